"""The community numbers kept as running totals: an update costs what changed, not the size of the site.

Each thread and feedback item has a share of the numbers (its comments by month, names,
contributors' parts; when it was filed, resolved, answered). The resident builder replaces a
thread or an item that changes, never edits it, so an identity scan finds what changed; its old
share is taken away and its new one added. The result is what the full pass (``monthly_activity``,
``headline``, ``author_activity``, ``rank``) gives for the same content.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import compress
from operator import attrgetter, is_not
from typing import Any, TypeVar

from cluetrain.content_format.moderation_stats import ModerationMonth

from .activity import Headline, MonthActivity, answer_hours, month_rows, resolved_at
from .author_totals import AuthorTotals
from .authors import AuthorActivity
from .charts import Chart
from .contributor_totals import ContributorTotals, Source
from .contributors import Contribution, Level, Measure, Standing, item_contribution
from .stats_charts import community_charts
from .summaries import ThreadSummary, month_of
from .tallies import SortedValues, add_counts, add_members

K = TypeVar("K", str, int)


@dataclass(frozen=True, slots=True)
class ItemShare:
    """One feedback item's share: the months it was filed and resolved in, hours to its answer, its filer's part."""

    filed: date
    resolved: date | None
    hours: float | None
    parts: dict[str, Contribution]  # the filer's, by contributor key (none without a key)

    @classmethod
    def of(cls, item: Any, closed_statuses: Sequence[str], done_statuses: Collection[str]) -> ItemShare:
        """``item``'s share, as the full pass counts it."""
        moment = resolved_at(item, closed_statuses)
        part = item_contribution(item, done_statuses)
        return cls(month_of(item.date), month_of(moment) if moment else None, answer_hours(item),
                   {item.contributor: part} if part is not None else {})


@dataclass(frozen=True, slots=True)
class CommunityData:
    """What the community pages show (values: an update compares them before and after)."""

    months: list[MonthActivity]
    headline: Headline
    authors: list[AuthorActivity]
    contributors: list[Standing]
    levels_by_key: dict[str, Level]
    charts: list[Chart]  # the stats page's, from the months


@dataclass(frozen=True, slots=True)
class Changes:
    """What a refresh changed that comparing the months and the headline does not tell."""

    authors: frozenset[int]  # indexes of the authors whose activity was made again
    contributors: bool  # the ranking changed
    levels: frozenset[str]  # contributors whose level changed


def changed_objects(now: list[Any], before: list[Any], key: Callable[[Any], K],
                    counted: Mapping[K, tuple[Any, Any]]) -> list[tuple[K, Any]]:
    """Each key whose object in ``now`` is not the one ``counted`` (with ``before``'s objects), and its object now.

    None in ``now`` is no object; a key with no object now is paired with None. When the lists are
    as long as before, objects are compared where they stand, by identity (a C-speed pass), and only
    the keys of those that differ are looked at; otherwise every key is.
    """
    if len(now) == len(before):
        differ = list(compress(range(len(now)), map(is_not, now, before)))
        now, before = [now[index] for index in differ], [before[index] for index in differ]
    fresh = {key(obj): obj for obj in now if obj is not None}
    keys = fresh.keys() | {key(obj) for obj in before if obj is not None}
    return [(k, fresh.get(k)) for k in sorted(keys)
            if (counted[k][0] if k in counted else None) is not fresh.get(k)]


def _threads_of(contents: Sequence[Any]) -> list[Any]:
    """Each content's thread (None: none), in order."""
    try:
        # At C speed: the pass reads an attribute of every content object, mostly not in the CPU's caches
        # (the update rendered other pages meanwhile), and map() has more of those reads under way at once.
        return list(map(attrgetter("thread"), contents))
    except AttributeError:  # content the comments plugin did not see (it gives every content it sees a thread)
        return [getattr(content, "thread", None) for content in contents]


def _monthly(share: ItemShare) -> tuple[date, date | None, float | None]:
    """What of an item's share the months show."""
    return share.filed, share.resolved, share.hours


def _thread_key(thread: Any) -> str:
    return thread.key


def _item_id(item: Any) -> int:
    return item.id


class CommunityTotals:
    """Running totals over the public threads and the feedback items; ``refresh`` follows what changed."""

    def __init__(self, articles: Sequence[Any], authors: Iterable[tuple[Any, list[Any]]], url_of: Callable[[Any], str],
                 closed_statuses: Sequence[str], done_statuses: Collection[str], points: Mapping[Measure, int],
                 levels: Sequence[Level]) -> None:
        self._closed, self._done = closed_statuses, frozenset(done_statuses)
        # Posts change only with a full build (which makes a new generator): counted once.
        self._posts = Counter(month_of(article.date) for article in articles)
        self._post_count = len(articles)
        self._threads: dict[str, tuple[Any, ThreadSummary]] = {}  # by key
        self._items: dict[int, tuple[Any, ItemShare]] = {}  # by id
        self._comments: dict[date, int] = {}
        self._comment_count = 0
        self._names: dict[str, int] = {}  # public name → how many threads have it
        self._filed: dict[date, int] = {}
        self._resolved: dict[date, int] = {}
        self._answers: dict[date, SortedValues] = {}  # hours to the answer, by the month items were filed
        self._hours = SortedValues()
        self._medians: dict[date, float | None] = {}
        self._months_changed = True  # since ``data`` last made the months
        self._moderation: list[ModerationMonth] | None = None  # what ``data`` last made them with
        # What the last refresh saw, in site order: the next one compares with them, object by object.
        self._seen_threads: list[Any] = []
        self._seen_items: list[Any] = []
        self._positions: dict[Source, tuple[int, int]] | None = None  # made from them when a tie needs them
        self.authors = AuthorTotals(authors, url_of)
        self.contributors = ContributorTotals(points, levels)

    def refresh(self, contents: Sequence[Any], items: Iterable[Any],
                share_of: Callable[[Any], ThreadSummary] = ThreadSummary.of) -> Changes:
        """Follow the threads of ``contents`` (in site order) and the feedback ``items`` as they are now.

        ``items`` is read after the threads: it may be a generator over the same (now cached) entries.
        """
        threads = _threads_of(contents)
        for key, thread in changed_objects(threads, self._seen_threads, _thread_key, self._threads):
            self._thread_changed(key, self._threads.get(key), (thread, share_of(thread)) if thread else None)
            self.authors.thread_changed(key, self._share_of)
        now = list(items)
        for item_id, item in changed_objects(now, self._seen_items, _item_id, self._items):
            self._item_changed(item_id, item)
        self._seen_threads, self._seen_items, self._positions = threads, now, None
        ranking, levels = self.contributors.settle(self._position)
        return Changes(self.authors.settle(), ranking, levels)

    def _share_of(self, thread: Any) -> ThreadSummary:
        known = self._threads.get(thread.key)
        return known[1] if known is not None and known[0] is thread else ThreadSummary.of(thread)

    def _thread_changed(self, key: str, old: tuple[Any, ThreadSummary] | None,
                        new: tuple[Any, ThreadSummary] | None) -> None:
        for sign, known in ((-1, old), (1, new)):
            if known is None:
                continue
            share = known[1]
            add_counts(self._comments, share.months, sign)
            self._months_changed = self._months_changed or bool(share.months)
            self._comment_count += sign * len(share.comments)
            add_members(self._names, share.authors, sign)
            self.contributors.add(key, share.contributions, sign)
        if new is None:
            del self._threads[key]
        else:
            self._threads[key] = new

    def _item_changed(self, item_id: int, item: Any | None) -> None:
        old = self._items.pop(item_id, None)
        new = (item, ItemShare.of(item, self._closed, self._done)) if item is not None else None
        if old is None or new is None or _monthly(old[1]) != _monthly(new[1]):  # votes alone leave them alone
            self._months_changed = True
        for sign, known in ((-1, old), (1, new)):
            if known is None:
                continue
            share = known[1]
            add_counts(self._filed, {share.filed: 1}, sign)
            if share.resolved is not None:
                add_counts(self._resolved, {share.resolved: 1}, sign)
            if share.hours is not None:
                self._count_hours(share.filed, share.hours, sign)
            self.contributors.add(item_id, share.parts, sign)
        if new is not None:
            self._items[item_id] = new

    def _count_hours(self, month: date, hours: float, sign: int) -> None:
        values = self._answers.setdefault(month, SortedValues())
        for tally in (values, self._hours):
            if sign > 0:
                tally.add(hours)
            else:
                tally.remove(hours)
        self._medians[month] = values.median()
        if not values:
            del self._answers[month], self._medians[month]

    def _position(self, source: Source) -> tuple[int, int]:
        """Where ``rank`` meets ``source``: every thread in site order, then every item in the hub's order."""
        if self._positions is None:
            self._positions = {thread.key: (0, index) for index, thread in enumerate(self._seen_threads) if thread}
            self._positions.update({item.id: (1, index) for index, item in enumerate(self._seen_items)})
        return self._positions[source]

    def data(self, moderation: list[ModerationMonth] | None, previous: CommunityData) -> CommunityData:
        """The pages' data now (``moderation``: the exported moderation counts, read for this update).

        Months and charts equal to ``previous``'s (the data ``data`` gave last, or the full pass's) are
        ``previous``'s own lists: compared once here, not again by whoever compares the data.
        """
        months, charts = previous.months, previous.charts
        if self._months_changed or moderation != self._moderation:
            made = month_rows(self._posts, self._comments, self._filed, self._resolved, self._medians, moderation)
            self._months_changed, self._moderation = False, moderation
            if made != months:
                months, charts = made, community_charts(made)
        headline = Headline(posts=self._post_count, comments=self._comment_count, feedback_filed=len(self._items),
                            feedback_resolved=sum(self._resolved.values()), median_answer_hours=self._hours.median(),
                            commenters=len(self._names))
        return CommunityData(months, headline, self.authors.activities, self.contributors.ranked,
                             self.contributors.levels_by_key, charts)

    def threads_of(self, keys: frozenset[str]) -> set[str]:
        """The threads in which any of the contributors ``keys`` commented."""
        return {source for source in self.contributors.sources_of(keys) if isinstance(source, str)}
