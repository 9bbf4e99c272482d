"""What the search index holds: one searchable document per post, page, feedback item or comment."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from hashlib import blake2b
from typing import Protocol


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
        return sign(self.id, self.type, self.url, self.title, text_digest(self.body), self.date, self.tags,
                    self.authors, self.status, self.context_title)

    def document(self) -> SearchDocument:
        """Itself: a document is its own :class:`Indexable`."""
        return self


class Indexable(Protocol):
    """What the indexer takes: a document's id and signature, and the document itself only when it is written.

    A source can sign a document without building its text (a post's body from a digest of its HTML
    kept across builds); ``signature`` must equal ``document().signature``.
    """

    @property
    def id(self) -> str: ...

    @property
    def signature(self) -> str: ...

    def document(self) -> SearchDocument: ...


# Joins a signature's values; the length-prefixed form takes over when a value holds it.
_SEPARATOR = "\x1f"


def text_digest(text: str) -> bytes:
    """The digest a signature takes of a document's body (a source may keep it instead of the text)."""
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def sign(doc_id: str, doc_type: DocType, url: str, title: str, body_digest: bytes, date: datetime | None,
         tags: tuple[str, ...], authors: tuple[str, ...], status: str | None, context_title: str | None) -> str:
    """The signature of a document with these values (its body given by :func:`text_digest`).

    Every build signs every document, so this joins strings rather than JSON-encoding them (3x
    faster). Counts before the tags and authors, and the separator check, keep it unambiguous.
    """
    # isoformat keeps the zone: the same instant in another zone only costs a needless rewrite.
    # None and "" are indexed alike (to_fields leaves both out), so they may sign alike.
    # A DocType is a str (its value): join takes it as it is, without the enum's slow .value.
    parts = (doc_id, doc_type, url, title, "" if date is None else date.isoformat(), str(len(tags)), *tags,
             str(len(authors)), *authors, status or "", context_title or "")
    text = _SEPARATOR.join(parts)
    if text.count(_SEPARATOR) == len(parts) - 1:
        person = b"joined"
    else:  # a value holds the separator: prefix the lengths instead, so that no two documents read the same
        text = ",".join([str(len(part)) for part in parts]) + ":" + "".join(parts)
        person = b"length-prefixed"
    digest = blake2b(body_digest, digest_size=16, person=person)
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def document_id(doc_type: DocType, key: str) -> str:
    """The stable id of a document: its type and the key its source gives it (slug, comment id)."""
    return f"{doc_type.value}:{key}"
