"""Approved comments on disk: ``<content>/comments/<thread>/<id>.md``.

Example::

    Id: c7k2m9x4q1
    Thread: hello-world
    Parent: c1a2b3c4d5
    Author: Ada Lovelace
    Date: 2026-05-01T12:00:00+00:00
    Website: https://example.org/
    Avatar: 3f9a0c1d2e4b5a69
    Contributor: 9b1e0c4d7a2f5e38
    Source: web
    Helpful: true
    Rewarded: Conference ticket

    The Markdown body, kept verbatim.

There is no field for e-mail or IP addresses: personal data cannot reach content/. The optional
``Contributor`` is a keyed hash of an address its owner confirmed (never the address itself).
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .documents import (
    MAX_AUTHOR_LENGTH,
    MAX_BODY_LENGTH,
    ContentFormatError,
    atomic_write,
    check_text,
    choices,
    confined,
    dump_document,
    fsync_dir,
    parse_document,
    read_document,
    validate_id,
    validate_thread_key,
    validate_website,
)

if TYPE_CHECKING:
    from .comment_cache import CommentCache

COMMENTS_DIR = "comments"
AVATAR_PATTERN = re.compile(r"[0-9a-f]{16,64}")
CONTRIBUTOR_PATTERN = re.compile(r"[0-9a-f]{16}")
MAX_REWARD_LENGTH = 60


class CommentSource(enum.StrEnum):
    """How an approved comment reached the site."""

    WEB = "web"
    API = "api"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class Comment:
    """One approved comment as stored in content/."""

    id: str
    thread: str
    author: str
    date: datetime
    body: str
    parent: str | None = None
    website: str | None = None
    avatar: str | None = None
    source: CommentSource = CommentSource.WEB
    contributor: str | None = None  # community: the public key of a verified commenter
    helpful: bool = False  # community: a moderator marked this answer as helpful
    rewarded: str | None = None  # community: an evangelist rewarded it (a short label, e.g. "T-shirt")

    def __post_init__(self) -> None:
        validate_id(self.id)
        validate_thread_key(self.thread)
        if self.parent is not None:
            validate_id(self.parent, what="parent id")
            if self.parent == self.id:
                raise ContentFormatError("a comment cannot reply to itself")
        check_text(self.author, "author", MAX_AUTHOR_LENGTH, required=True)
        check_text(self.body, "body", MAX_BODY_LENGTH, required=True)
        if self.date.tzinfo is None or self.date.utcoffset() is None:
            raise ContentFormatError("date must carry a time zone")
        if self.website is not None:
            validate_website(self.website)
        if self.avatar is not None and not AVATAR_PATTERN.fullmatch(self.avatar):
            raise ContentFormatError("avatar must be 16 to 64 lowercase hex digits")
        if self.contributor is not None and not CONTRIBUTOR_PATTERN.fullmatch(self.contributor):
            raise ContentFormatError("contributor must be 16 lowercase hex digits")
        if not isinstance(self.helpful, bool):
            raise ContentFormatError("helpful must be true or false")
        if self.rewarded is not None:
            check_text(self.rewarded, "rewarded", MAX_REWARD_LENGTH, required=True)
            if "\n" in self.rewarded or "\r" in self.rewarded:
                raise ContentFormatError("rewarded must be one line")
        if not isinstance(self.source, CommentSource):
            raise ContentFormatError(f"source must be one of {choices(CommentSource)}")


_COMMENT_KEYS = ("Id", "Thread", "Parent", "Author", "Date", "Website", "Avatar", "Contributor", "Source", "Helpful",
                 "Rewarded")
_REQUIRED_COMMENT_KEYS = ("Id", "Thread", "Author", "Date")
_SOURCES = {member.value: member for member in CommentSource}


def dumps_comment(comment: Comment) -> str:
    """Serialise a comment to the text of its file."""
    fields = [("Id", comment.id), ("Thread", comment.thread)]
    if comment.parent:
        fields.append(("Parent", comment.parent))
    fields += [("Author", comment.author), ("Date", comment.date.isoformat())]
    if comment.website:
        fields.append(("Website", comment.website))
    if comment.avatar:
        fields.append(("Avatar", comment.avatar))
    if comment.contributor:
        fields.append(("Contributor", comment.contributor))
    fields.append(("Source", comment.source.value))
    if comment.helpful:
        fields.append(("Helpful", "true"))
    if comment.rewarded:
        fields.append(("Rewarded", comment.rewarded))
    return dump_document(fields, comment.body)


def loads_comment(text: str) -> Comment:
    """Parse and validate the text of a comment file."""
    fields, body = parse_document(text, _COMMENT_KEYS)
    missing = [key for key in _REQUIRED_COMMENT_KEYS if key not in fields]
    if missing:
        raise ContentFormatError(f"missing metadata: {', '.join(missing)}")
    try:
        date = datetime.fromisoformat(fields["Date"])
    except ValueError as exc:
        raise ContentFormatError(f"Date {fields['Date']!r} is not an ISO 8601 date-time") from exc
    # A dict look-up: calling the enum costs more than the rest of a field's parsing.
    source = _SOURCES.get(fields.get("Source", CommentSource.WEB.value))
    if source is None:
        raise ContentFormatError(f"Source {fields['Source']!r} is not one of {choices(CommentSource)}")
    if fields.get("Helpful", "true") != "true":
        raise ContentFormatError(f"Helpful {fields['Helpful']!r} must be true (or left out)")
    return Comment(
        id=fields["Id"],
        thread=fields["Thread"],
        parent=fields.get("Parent"),
        author=fields["Author"],
        date=date,
        website=fields.get("Website"),
        avatar=fields.get("Avatar"),
        source=source,
        contributor=fields.get("Contributor"),
        helpful="Helpful" in fields,
        rewarded=fields.get("Rewarded"),
        body=body,
    )


def comment_path(content_root: Path, thread: str, comment_id: str) -> Path:
    """Where the comment ``comment_id`` of ``thread`` lives; never outside its thread folder."""
    validate_thread_key(thread)
    validate_id(comment_id)
    return confined(content_root / COMMENTS_DIR, Path(thread) / f"{comment_id}.md")


def read_comment(path: Path | str) -> Comment:
    """Read one comment file, checking that its name and folder match its metadata."""
    folder, name = os.path.split(os.fspath(path))
    return read_comment_file(os.fspath(path), os.path.basename(folder), name)


def read_comment_file(path: str, folder_name: str, name: str) -> Comment:
    """:func:`read_comment` for a path already split into its folder's and its own name."""
    # Plain strings and os calls: a full build reads every comment file, and pathlib's parsing
    # cost as much as the reading. Errors still name the file (ContentFormatError makes it a Path).
    comment = read_document(path, loads_comment)
    if name != f"{comment.id}.md":
        raise ContentFormatError(f"file name does not match Id {comment.id!r}", path)
    if folder_name != comment.thread:
        raise ContentFormatError(f"folder does not match Thread {comment.thread!r}", path)
    return comment


def scan_comment_folders(content_root: Path | str) -> Iterator[tuple[str, str, list[str]]]:
    """(path, name, sorted file names) of every thread folder, in order; stray entries in comments/ are errors."""
    # The paths are strings spelt as pathlib spells them (str(Path(...))), so messages read the same.
    root = str(Path(content_root) / COMMENTS_DIR)
    if not os.path.isdir(root):
        return
    # scandir: the kind of each entry comes with its name, without a stat() per entry.
    with os.scandir(root) as found:
        folders = sorted((entry.name, entry.is_dir()) for entry in found if not entry.name.startswith("."))
    for folder_name, is_dir in folders:
        folder = f"{root}{os.sep}{folder_name}"
        if not is_dir:
            raise ContentFormatError("only thread folders belong directly in comments/", folder)
        with os.scandir(folder) as found:
            files = sorted((item.name, item.is_dir()) for item in found if not item.name.startswith("."))
        yield folder, folder_name, [name for name, is_dir in files if not is_dir]


def _check_suffix(folder: str, name: str) -> None:
    # Path.suffix == ".md", for names that do not start with a dot. Checked as each file is reached,
    # so a folder with several problems reports the one it always reported first.
    if not name.endswith(".md"):
        raise ContentFormatError("comment files must end in .md", f"{folder}{os.sep}{name}")


def iter_comment_files(content_root: Path) -> Iterator[Path]:
    """Every comment file under ``content_root``, in a stable order; stray files are errors."""
    for folder, _folder_name, names in scan_comment_folders(content_root):
        for name in names:
            _check_suffix(folder, name)
            yield Path(folder, name)


def load_comments(content_root: Path | str, cache: CommentCache | None = None) -> dict[str, list[Comment]]:
    """All approved comments, grouped by thread key; the first bad file raises.

    With a ``cache``, files unchanged since it was saved are taken from it, and it learns the others.
    """
    threads: dict[str, list[Comment]] = {}
    seen: dict[str, str] = {}
    for folder, folder_name, names in scan_comment_folders(content_root):
        cached = cache.folder(folder_name) if cache is not None else None
        for name in names:
            _check_suffix(folder, name)
            path = f"{folder}{os.sep}{name}"
            comment = cached.comment(path, name) if cached is not None else read_comment_file(path, folder_name, name)
            if comment.id in seen:
                raise ContentFormatError(f"comment id {comment.id!r} also used by {Path(seen[comment.id])}", path)
            seen[comment.id] = path
            threads.setdefault(comment.thread, []).append(comment)
        if cached is not None:
            cached.done()
    return threads


def write_comment(content_root: Path, comment: Comment) -> Path:
    """Write a comment file atomically; returns its path. Rewriting the same text is a no-op."""
    path = comment_path(content_root, comment.thread, comment.id)
    atomic_write(path, dumps_comment(comment).encode("utf-8"))
    return path


def remove_comment(content_root: Path, thread: str, comment_id: str) -> bool:
    """Remove a comment file; returns False if it was not there."""
    path = comment_path(content_root, thread, comment_id)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    fsync_dir(path.parent)
    return True


