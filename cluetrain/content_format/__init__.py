"""The on-disk content format: the one place that reads and writes comment and feedback files.

Standard library only, so the plugins and the service can both use it. See README,
"How content is organised".
"""

from .comments import (
    AVATAR_PATTERN,
    COMMENTS_DIR,
    Comment,
    CommentSource,
    comment_path,
    dumps_comment,
    iter_comment_files,
    load_comments,
    loads_comment,
    read_comment,
    remove_comment,
    write_comment,
)
from .documents import (
    FORBIDDEN_CHARACTERS,
    ID_PATTERN,
    MAX_AUTHOR_LENGTH,
    MAX_BODY_LENGTH,
    MAX_WEBSITE_LENGTH,
    TEMP_SUFFIX,
    THREAD_PATTERN,
    WEBSITE_PATTERN,
    ContentFormatError,
    atomic_write,
    decode_value,
    dump_document,
    encode_value,
    parse_document,
    remove_stale_temp_files,
    validate_id,
    validate_thread_key,
    validate_website,
)

__all__ = [
    "AVATAR_PATTERN", "COMMENTS_DIR", "FORBIDDEN_CHARACTERS", "ID_PATTERN", "MAX_AUTHOR_LENGTH",
    "MAX_BODY_LENGTH", "MAX_WEBSITE_LENGTH", "TEMP_SUFFIX", "THREAD_PATTERN", "WEBSITE_PATTERN",
    "Comment", "CommentSource", "ContentFormatError", "atomic_write", "comment_path", "decode_value",
    "dump_document", "dumps_comment", "encode_value", "iter_comment_files", "load_comments",
    "loads_comment", "parse_document", "read_comment", "remove_comment", "remove_stale_temp_files",
    "validate_id", "validate_thread_key", "validate_website", "write_comment",
]
