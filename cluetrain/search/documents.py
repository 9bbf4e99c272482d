"""What the search index holds: one searchable document per post, page, feedback item or comment."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, fields
from datetime import datetime, timezone


class DocType(enum.StrEnum):
    """The kinds of document a visitor can find; the value is what URLs and JSON carry."""

    POST = "post"
    PAGE = "page"
    FEEDBACK = "feedback"
    COMMENT = "comment"


def normalize_key(value: str) -> str:
    """The form a tag, author or status is stored and filtered in: case-folded, spaces collapsed."""
    # Commas separate keywords in the index, so a visitor's "Smith, Jo" must not become two authors.
    return " ".join(value.replace(",", " ").split()).casefold()


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One searchable item, independent of the search backend.

    ``id`` is stable across builds (``post:<slug>``, ``comment:<id>``...), ``url`` is absolute
    and, for a comment, ends in its permalink fragment. ``context_title`` is the title of
    what a comment belongs to (shown, never searched, so a comment does not outrank its post).
    """

    id: str
    type: DocType
    url: str
    title: str
    body: str
    date: datetime | None = None
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    status: str | None = None
    context_title: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.type, DocType):
            raise TypeError(f"document {self.id!r}: type must be a DocType, not {self.type!r}")
        if self.date is not None and self.date.tzinfo is None:
            raise ValueError(f"document {self.id!r}: date must carry a time zone")

    @property
    def signature(self) -> str:
        """A digest of everything indexed; equal signatures mean re-indexing would change nothing."""
        # A flat list, not asdict(): this runs for every document on every build, and asdict's
        # recursive copying made it four times slower.
        values = [getattr(self, item.name) for item in fields(self)]
        encoded = json.dumps(values, ensure_ascii=False, default=_utc_iso).encode("utf-8")
        return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def _utc_iso(value: object) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"cannot sign a {type(value).__name__}")
    return value.astimezone(timezone.utc).isoformat()


def document_id(doc_type: DocType, key: str) -> str:
    """The stable id of a document: its type and the key its source gives it (slug, comment id)."""
    return f"{doc_type.value}:{key}"
