"""A search request and its results, independent of the backend that answers them."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from cluetrain.content_format import FORBIDDEN_CHARACTERS
from cluetrain.search.documents import DocType

# Longer queries are cut here: the header form allows 200 characters, and every extra word
# is another posting list to intersect, so a 10 KB paste must not become a 2,000-term query.
MAX_QUERY_LENGTH = 200
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
# Deep pages cost as much as scoring everything before them; nobody reads page 100.
MAX_PAGE = 100


class SortOrder(enum.StrEnum):
    """How results are ordered."""

    RELEVANCE = "relevance"
    DATE = "date"


class SearchRequestError(ValueError):
    """A search parameter is invalid; ``parameter`` names it for the visitor."""

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter}: {problem}")


class SearchUnavailable(RuntimeError):
    """There is no usable index yet (the site has not been built with the search plugin)."""


def clean_query_text(raw: str) -> tuple[str, bool]:
    """Visitor text made safe to parse: control characters dropped, whitespace collapsed, length capped.

    Returns the text and whether it had to be shortened.
    """
    text = " ".join(FORBIDDEN_CHARACTERS.sub(" ", raw).split())
    if len(text) <= MAX_QUERY_LENGTH:
        return text, False
    cut = text[:MAX_QUERY_LENGTH]
    # Cut at a word boundary so the last word is not a misleading fragment.
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut), True


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What a visitor asked for: words (with "phrases"), filters, order and page."""

    text: str = ""
    types: frozenset[DocType] = frozenset()
    tag: str | None = None
    status: str | None = None
    author: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: SortOrder = SortOrder.RELEVANCE
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        if not 1 <= self.page <= MAX_PAGE:
            raise SearchRequestError("page", f"must be a number from 1 to {MAX_PAGE}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise SearchRequestError("per_page", f"must be a number from 1 to {MAX_PAGE_SIZE}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise SearchRequestError("to", "must not be before the start date")

    @property
    def has_filters(self) -> bool:
        """Whether anything but the words narrows the results."""
        return bool(self.types or self.tag or self.status or self.author or self.date_from or self.date_to)

    @property
    def is_empty(self) -> bool:
        """Nothing asked: no words and no filters."""
        return not self.text and not self.has_filters


class Segment(NamedTuple):
    """A piece of a snippet: plain text, and whether it matched the query."""

    text: str
    match: bool


@dataclass(frozen=True, slots=True)
class Hit:
    """One result as a results page or the JSON API shows it."""

    id: str
    type: DocType
    url: str
    title: str
    snippet: tuple[Segment, ...]
    date: datetime | None = None
    status: str | None = None
    authors: tuple[str, ...] = ()
    context_title: str | None = None

    @property
    def snippet_text(self) -> str:
        """The snippet without highlighting (JSON, plain-text uses)."""
        return "".join(segment.text for segment in self.snippet)


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of results, with what a results page needs to say about them."""

    request: SearchRequest
    total: int
    hits: tuple[Hit, ...] = ()
    # A corrected query text that finds something, when words looked misspelt.
    suggestion: str | None = None
    # True when the text had words but none that can be searched (only "*" or stop words).
    nothing_searchable: bool = False

    @property
    def page_count(self) -> int:
        """How many pages the results fill (capped at the deepest page we serve)."""
        return min(MAX_PAGE, math.ceil(self.total / self.request.page_size))
