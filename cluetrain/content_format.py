"""The on-disk format of approved comments: read, validate and write atomically (stdlib only).

A comment lives in ``<content>/comments/<thread>/<id>.md``::

    Id: c7k2m9x4q1
    Thread: hello-world
    Parent: c1a2b3c4d5
    Author: Ada Lovelace
    Date: 2026-05-01T12:00:00+00:00
    Website: https://example.org/
    Avatar: 3f9a0c1d2e4b5a69
    Source: web

    The Markdown body, kept verbatim.

Rules this module enforces, for the service and the plugins alike:

* File and folder names come only from validated ids and thread keys, never from
  free text, so no path can leave its folder.
* A metadata value is one line. A value that could be misread (control characters,
  edge whitespace, a leading double quote) is written as a JSON string literal, so
  every value round-trips exactly and no visitor text can start a metadata line.
* The header ends at the first blank line; everything after it is body, verbatim.
* There is no field for e-mail or IP addresses: personal data cannot reach content/.
"""

from __future__ import annotations

import enum
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

COMMENTS_DIR = "comments"
TEMP_SUFFIX = ".tmp"

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
THREAD_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,199}")
AVATAR_PATTERN = re.compile(r"[0-9a-f]{16,64}")
WEBSITE_PATTERN = re.compile(r"https?://[^\s\"'<>`\\]+", re.IGNORECASE)

# Characters XML 1.0 cannot carry (feeds, sitemaps): C0 controls but tab, LF and CR; lone surrogates.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

MAX_AUTHOR_LENGTH = 245
MAX_WEBSITE_LENGTH = 200
MAX_BODY_LENGTH = 65_525


class ContentFormatError(ValueError):
    """A content file, or a value meant for one, breaks the format; names the file and the problem."""

    def __init__(self, problem: str, path: Path | str | None = None) -> None:
        self.problem = problem
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


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

    def __post_init__(self) -> None:
        validate_id(self.id)
        validate_thread_key(self.thread)
        if self.parent is not None:
            validate_id(self.parent, what="parent id")
            if self.parent == self.id:
                raise ContentFormatError("a comment cannot reply to itself")
        _check_text(self.author, "author", MAX_AUTHOR_LENGTH, required=True)
        _check_text(self.body, "body", MAX_BODY_LENGTH, required=True)
        if self.date.tzinfo is None or self.date.utcoffset() is None:
            raise ContentFormatError("date must carry a time zone")
        if self.website is not None:
            validate_website(self.website)
        if self.avatar is not None and not AVATAR_PATTERN.fullmatch(self.avatar):
            raise ContentFormatError("avatar must be 16 to 64 lowercase hex digits")
        if not isinstance(self.source, CommentSource):
            raise ContentFormatError(f"source must be one of {_choices(CommentSource)}")


# --- validation -----------------------------------------------------------------------


def validate_id(value: str, *, what: str = "id") -> str:
    """Return ``value`` if it is a valid comment or item id, else raise."""
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ContentFormatError(
            f"{what} {value!r} is not valid: 1-64 characters of a-z, 0-9, '-' or '_', "
            "starting with a letter or digit"
        )
    return value


def validate_thread_key(value: str) -> str:
    """Return ``value`` if it is a valid thread key (a content slug), else raise."""
    if not isinstance(value, str) or not THREAD_PATTERN.fullmatch(value):
        raise ContentFormatError(
            f"thread key {value!r} is not valid: 1-200 characters of a-z, 0-9, '-' or '_', "
            "starting with a letter or digit"
        )
    return value


def validate_website(value: str) -> str:
    """Return ``value`` if it is an http(s) URL fit for a link, else raise."""
    if len(value) > MAX_WEBSITE_LENGTH:
        raise ContentFormatError(f"website is longer than {MAX_WEBSITE_LENGTH} characters")
    if not WEBSITE_PATTERN.fullmatch(value):
        raise ContentFormatError("website must be an http:// or https:// URL without spaces or quotes")
    return value


def _check_text(value: str, field: str, limit: int, *, required: bool) -> None:
    if not isinstance(value, str):
        raise ContentFormatError(f"{field} must be text")
    if required and not value.strip():
        raise ContentFormatError(f"{field} is empty")
    if len(value) > limit:
        raise ContentFormatError(f"{field} is longer than {limit} characters")
    if bad := FORBIDDEN_CHARACTERS.search(value):
        raise ContentFormatError(f"{field} contains the control character U+{ord(bad.group()):04X}")


def _choices(enum_type: type[enum.Enum]) -> str:
    return ", ".join(member.value for member in enum_type)


# --- the generic document: metadata lines, blank line, body --------------------------------


def _needs_quoting(value: str) -> bool:
    if not value or value != value.strip() or value.startswith('"'):
        return True
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)


def encode_value(value: str) -> str:
    """Encode one metadata value so that it stays on one line and round-trips exactly."""
    return json.dumps(value, ensure_ascii=False) if _needs_quoting(value) else value


def decode_value(raw: str) -> str:
    """Decode a metadata value written by :func:`encode_value`."""
    if raw.startswith('"'):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ContentFormatError(f"quoted value is not a valid JSON string: {exc.msg}") from exc
        if not isinstance(value, str):
            raise ContentFormatError("quoted value is not a string")
        return value
    return raw


def dump_document(fields: list[tuple[str, str]], body: str) -> str:
    """Serialise ordered ``Key: value`` metadata and a body."""
    lines = [f"{key}: {encode_value(value)}" for key, value in fields]
    return "\n".join(lines) + "\n\n" + body


def parse_document(text: str, allowed: tuple[str, ...]) -> tuple[dict[str, str], str]:
    """Split a document into its metadata (keys checked against ``allowed``) and body."""
    header, sep, body = text.partition("\n\n")
    if not sep:
        raise ContentFormatError("no blank line between the metadata and the body")
    fields: dict[str, str] = {}
    for number, line in enumerate(header.split("\n"), start=1):
        key, colon, raw = line.partition(": ")
        if not colon:
            raise ContentFormatError(f"metadata line {number} is not 'Key: value': {line[:60]!r}")
        if key not in allowed:
            raise ContentFormatError(f"unknown metadata key {key!r} (allowed: {', '.join(allowed)})")
        if key in fields:
            raise ContentFormatError(f"metadata key {key!r} appears twice")
        fields[key] = decode_value(raw)
    return fields, body


# --- comments -------------------------------------------------------------------------------

_COMMENT_KEYS = ("Id", "Thread", "Parent", "Author", "Date", "Website", "Avatar", "Source")
_REQUIRED_COMMENT_KEYS = ("Id", "Thread", "Author", "Date")


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
    fields.append(("Source", comment.source.value))
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
    try:
        source = CommentSource(fields.get("Source", CommentSource.WEB.value))
    except ValueError as exc:
        raise ContentFormatError(
            f"Source {fields['Source']!r} is not one of {_choices(CommentSource)}"
        ) from exc
    return Comment(
        id=fields["Id"],
        thread=fields["Thread"],
        parent=fields.get("Parent"),
        author=fields["Author"],
        date=date,
        website=fields.get("Website"),
        avatar=fields.get("Avatar"),
        source=source,
        body=body,
    )


def comment_path(content_root: Path, thread: str, comment_id: str) -> Path:
    """Where the comment ``comment_id`` of ``thread`` lives; never outside its thread folder."""
    validate_thread_key(thread)
    validate_id(comment_id)
    return _confined(content_root / COMMENTS_DIR, Path(thread) / f"{comment_id}.md")


def read_comment(path: Path) -> Comment:
    """Read one comment file, checking that its name and folder match its metadata."""
    path = Path(path)
    try:
        comment = loads_comment(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ContentFormatError(f"not valid UTF-8 ({exc.reason})", path) from exc
    except ContentFormatError as exc:
        raise ContentFormatError(exc.problem, path) from exc
    if path.name != f"{comment.id}.md":
        raise ContentFormatError(f"file name does not match Id {comment.id!r}", path)
    if path.parent.name != comment.thread:
        raise ContentFormatError(f"folder does not match Thread {comment.thread!r}", path)
    return comment


def iter_comment_files(content_root: Path) -> Iterator[Path]:
    """Every comment file under ``content_root``, in a stable order; stray files are errors."""
    root = Path(content_root) / COMMENTS_DIR
    if not root.is_dir():
        return
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            raise ContentFormatError("only thread folders belong directly in comments/", entry)
        for path in sorted(entry.iterdir()):
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.suffix != ".md":
                raise ContentFormatError("comment files must end in .md", path)
            yield path


def load_comments(content_root: Path) -> dict[str, list[Comment]]:
    """All approved comments, grouped by thread key; the first bad file raises."""
    threads: dict[str, list[Comment]] = {}
    seen: dict[str, Path] = {}
    for path in iter_comment_files(content_root):
        comment = read_comment(path)
        if comment.id in seen:
            raise ContentFormatError(f"comment id {comment.id!r} also used by {seen[comment.id]}", path)
        seen[comment.id] = path
        threads.setdefault(comment.thread, []).append(comment)
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
    _fsync_dir(path.parent)
    return True


# --- atomic files -----------------------------------------------------------------------------


def _confined(base: Path, relative: Path) -> Path:
    base = base.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise ContentFormatError(f"path {relative} would leave {base}")
    return target


def atomic_write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via a synced temp file and ``os.replace``; False if unchanged."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}{TEMP_SUFFIX}")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(content_root: Path) -> list[Path]:
    """Delete temp files left by an interrupted write; returns what was removed."""
    removed = []
    root = Path(content_root)
    for folder in (COMMENTS_DIR, "feedback"):
        base = root / folder
        if base.is_dir():
            for tmp in base.rglob(f".*{TEMP_SUFFIX}"):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed
