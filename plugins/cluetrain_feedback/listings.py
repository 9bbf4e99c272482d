"""Which feedback listings the hub has, what each holds and in which order, and their pages."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pelican.paginator import Page, Paginator

from cluetrain.content_format import FeedbackKind

from .items import HUB_URL, FeedbackEntry, FeedbackTag
from .statuses import FeedbackStatus, StatusScheme

ROADMAP_URL = f"{HUB_URL}roadmap/"
TAGS_URL = f"{HUB_URL}tags/"
KIND_HEADINGS = {FeedbackKind.BUG: "Bugs", FeedbackKind.IDEA: "Ideas", FeedbackKind.QUESTION: "Questions",
                 FeedbackKind.PRAISE: "Praise"}


class Section(enum.StrEnum):
    """The hub's tabs; a listing names the one it belongs to, for the active tab."""

    ALL = "all"
    TOP = "top"
    NEWEST = "new"
    ANSWERED = "answered"
    ROADMAP = "roadmap"
    STATUS = "status"
    KIND = "kind"
    TAG = "tag"


SortKey = Callable[[FeedbackEntry], tuple[Any, ...]]


def most_active(entry: FeedbackEntry) -> tuple[datetime, int]:
    return entry.activity, entry.id


def most_votes(entry: FeedbackEntry) -> tuple[int, datetime, int]:
    return entry.votes, entry.date, entry.id


def newest(entry: FeedbackEntry) -> tuple[datetime, int]:
    return entry.date, entry.id


def latest_answer(entry: FeedbackEntry) -> tuple[datetime, int]:
    assert entry.answer is not None  # only answered items are sorted this way
    return entry.answer.date, entry.id


def latest_status_change(entry: FeedbackEntry) -> tuple[datetime, int]:
    return entry.status_date, entry.id


@dataclass(frozen=True, slots=True)
class Listing:
    """One paginated list of items: where it lives, its heading, and its items in order."""

    url: str
    heading: str
    intro: str
    section: Section
    items: list[FeedbackEntry]
    is_hub: bool = False

    @property
    def save_as(self) -> str:
        return f"{self.url}index.html"


def _sorted(entries: Sequence[FeedbackEntry], key: SortKey) -> list[FeedbackEntry]:
    return sorted(entries, key=key, reverse=True)


def build_listings(entries: Sequence[FeedbackEntry], scheme: StatusScheme,
                   tags: Mapping[str, FeedbackTag]) -> list[Listing]:
    """Every listing of the hub; merged duplicates appear only under their status."""
    visible = [entry for entry in entries if entry.merged_into is None]
    listings = [
        Listing(HUB_URL, "Feedback", "Report a bug, suggest an idea, ask a question — and see what others asked.",
                Section.ALL, _sorted(visible, most_active), is_hub=True),
        Listing(f"{HUB_URL}top/", "Top voted", "The items with the most votes.", Section.TOP,
                _sorted(visible, most_votes)),
        Listing(f"{HUB_URL}new/", "Newest", "The most recently filed items.", Section.NEWEST,
                _sorted(visible, newest)),
        Listing(f"{HUB_URL}answered/", "Recently answered", "Items with an official answer, newest answer first.",
                Section.ANSWERED, _sorted([e for e in visible if e.answer is not None], latest_answer)),
    ]
    for status in scheme.statuses.values():
        members = [entry for entry in entries if entry.status is status]
        listings.append(Listing(status.url, status.label, f"Items with the status “{status.label}”.",
                                Section.STATUS, _sorted(members, most_votes)))
    for kind in FeedbackKind:
        members = [entry for entry in visible if entry.kind is kind]
        listings.append(Listing(f"{HUB_URL}kind/{kind.value}/", KIND_HEADINGS[kind],
                                f"Every {kind.value}, most votes first.", Section.KIND, _sorted(members, most_votes)))
    # Items grouped by tag in one pass, not every tag tested against every item (tags × items).
    by_tag: dict[FeedbackTag, list[FeedbackEntry]] = {}
    for entry in visible:
        for tag in dict.fromkeys(entry.tags):  # an item listed once per tag, as ``tag in entry.tags`` did
            by_tag.setdefault(tag, []).append(entry)
    for tag in sorted(tags.values(), key=lambda t: t.slug):
        listings.append(Listing(tag.url, f"Tagged “{tag.name}”", "", Section.TAG,
                                _sorted(by_tag.get(tag, []), most_votes)))
    return listings


@dataclass(frozen=True, slots=True)
class RoadmapColumn:
    """One column of the roadmap: a status and its items."""

    status: FeedbackStatus
    items: list[FeedbackEntry]


def build_roadmap(entries: Sequence[FeedbackEntry], scheme: StatusScheme) -> list[RoadmapColumn]:
    """Columns in configured order; finished work newest first, the rest by votes."""
    columns = []
    for status in scheme.roadmap:
        members = [entry for entry in entries if entry.status is status and entry.merged_into is None]
        key = latest_status_change if status.closed else most_votes
        columns.append(RoadmapColumn(status, _sorted(members, key)))
    return columns


def tag_counts(entries: Sequence[FeedbackEntry], tags: Mapping[str, FeedbackTag]) -> list[tuple[FeedbackTag, int]]:
    """Every tag with how many visible items carry it, most used first."""
    counts = {slug: 0 for slug in tags}
    for entry in entries:
        if entry.merged_into is None:
            for tag in entry.tags:
                counts[tag.slug] += 1
    return sorted(((tags[slug], n) for slug, n in counts.items()), key=lambda pair: (-pair[1], pair[0].slug))


def pages(listing: Listing, per_page: int, settings: Mapping[str, Any]) -> Iterator[Page]:
    """The listing's pages (Pelican's PAGINATION_PATTERNS give their URLs); an empty list has one."""
    paginator = Paginator(listing.save_as, listing.url, listing.items, settings, per_page)
    for number in paginator.page_range:
        yield paginator.page(number)
