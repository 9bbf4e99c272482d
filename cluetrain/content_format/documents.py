"""The generic content document (``Key: value`` lines, blank line, body) and atomic file writes.

Rules every content file follows, whatever it holds:

* File and folder names come only from validated ids and keys, never from free text,
  so no path can leave its folder.
* A metadata value is one line. A value that could be misread (control characters,
  edge whitespace, a leading double quote) is written as a JSON string literal, so
  every value round-trips exactly and no visitor text can start a metadata line.
* The header ends at the first blank line; everything after it is body, verbatim.
* Characters XML cannot carry are refused, so every value can reach a feed or sitemap.
"""

from __future__ import annotations

import enum
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
TEMP_SUFFIX = ".tmp"
CONTENT_FOLDERS = ("comments", "feedback")

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
THREAD_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,199}")
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


def check_text(value: str, field: str, limit: int, *, required: bool) -> None:
    if not isinstance(value, str):
        raise ContentFormatError(f"{field} must be text")
    if required and not value.strip():
        raise ContentFormatError(f"{field} is empty")
    if len(value) > limit:
        raise ContentFormatError(f"{field} is longer than {limit} characters")
    if bad := FORBIDDEN_CHARACTERS.search(value):
        raise ContentFormatError(f"{field} contains the control character U+{ord(bad.group()):04X}")


def choices(enum_type: type[enum.Enum]) -> str:
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


# Content files are small; a read of this size returns all of most of them in one call.
_READ_SIZE = 1 << 16


def read_file(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, read with plain os calls (no buffered file object: builds read files by the ten thousand)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        parts = []
        while chunk := os.read(fd, _READ_SIZE):
            parts.append(chunk)
    except OSError as exc:
        # os.read's errors (a folder: EISDIR) carry no file name; open()'s do, and so should these.
        raise OSError(exc.errno, exc.strerror, os.fspath(path)) from exc
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_document(path: Path | str, parse: Callable[[str], T]) -> T:
    """Parse a content file with ``parse``, naming the file in any error (bad UTF-8 or bad content)."""
    try:
        return parse(read_file(path).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ContentFormatError(f"not valid UTF-8 ({exc.reason})", path) from exc
    except ContentFormatError as exc:
        raise ContentFormatError(exc.problem, path) from exc


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
        # Most values are plain; only a quoted one needs decoding (checked inline: this runs per line of every file).
        fields[key] = decode_value(raw) if raw[:1] == '"' else raw
    return fields, body


# --- atomic files -----------------------------------------------------------------------------


def confined(base: Path, relative: Path) -> Path:
    base = base.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base):
        raise ContentFormatError(f"path {relative} would leave {base}")
    return target


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> bool:
    """Write ``data`` to ``path`` via a temp file and ``os.replace``; False if unchanged.

    ``durable`` also fsyncs the file and its folder: what content/ holds must survive a crash;
    output/ can be rebuilt from it, so its thousands of files skip that cost.
    """
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
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)
    return True


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temp_files(content_root: Path) -> list[Path]:
    """Delete temp files left by an interrupted write; returns what was removed."""
    removed = []
    root = Path(content_root)
    for folder in CONTENT_FOLDERS:
        base = root / folder
        if base.is_dir():
            for tmp in base.rglob(f".*{TEMP_SUFFIX}"):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed
