"""Contributors' standings kept up to date: each contributor's tally is the sum of their parts in threads and items."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .contributors import Contribution, Level, Measure, Standing, rank_order, standing_of
from .tallies import add_counts

# Where a part comes from: a thread key (its comments) or a feedback item id.
Source = str | int
# More changed standings than this in one update: sort them all again rather than move each into place.
RESORT_FROM = 64


class ContributorTotals:
    """The ranking ``rank`` gives, kept by adding and taking away the parts of changed threads and items.

    Counts are running sums. The name (on the newest comment or item) and the rewards (in thread
    order) are worked out again only for the contributors whose parts changed, from their parts.
    """

    def __init__(self, points: Mapping[Measure, int], levels: Sequence[Level]) -> None:
        self.points, self.levels = points, levels
        self._parts: dict[str, dict[Source, Contribution]] = {}
        self._counts: dict[str, dict[Measure, int]] = {}
        self._dirty: set[str] = set()
        self._standings: dict[str, Standing] = {}
        self.ranked: list[Standing] = []
        self._order: list[tuple[int, str, str]] = []  # rank_order of each standing in ``ranked``
        self.levels_by_key: dict[str, Level] = {}

    def add(self, source: Source, contributions: Mapping[str, Contribution], sign: int = 1) -> None:
        """Count the parts ``source`` gives (``sign`` -1: the parts it gave before it changed or went)."""
        for key, part in contributions.items():
            parts = self._parts.setdefault(key, {})
            if sign > 0:
                parts[source] = part
            else:
                del parts[source]
            add_counts(self._counts.setdefault(key, {}), part.counts, sign)
            self._dirty.add(key)

    def settle(self, position: Callable[[Source], Any]) -> tuple[bool, frozenset[str]]:
        """Re-rank the contributors whose parts changed: (whether the ranking changed, keys whose level changed).

        ``position`` orders sources as ``rank`` meets them: every thread in site order, then every item.
        """
        changed: list[tuple[str, Standing | None, Standing | None]] = []
        for key in self._dirty:
            before = self._standings.get(key)
            after = self._standing(key, position) if self._parts.get(key) else None
            if after is None:
                self._parts.pop(key, None)
                self._counts.pop(key, None)
                self._standings.pop(key, None)
            else:
                self._standings[key] = after
            if before != after:
                changed.append((key, before, after))
        self._dirty.clear()
        if not changed:
            return False, frozenset()
        self._rerank(changed)
        levels = frozenset(key for key, before, after in changed if _level(before) != _level(after))
        if levels:
            # A new dict: the previous one is the "before" of whoever compared levels.
            self.levels_by_key = {s.key: s.level for s in self.ranked if s.level}  # in rank order, as the full pass
        return True, levels

    def _rerank(self, changed: list[tuple[str, Standing | None, Standing | None]]) -> None:
        # New lists: the previous ranking stays as it was, for comparison and for pages not yet rewritten.
        if len(changed) >= RESORT_FROM:
            self.ranked = sorted(self._standings.values(), key=rank_order)
            self._order = [rank_order(standing) for standing in self.ranked]
            return
        ranked, order = list(self.ranked), list(self._order)
        for _key, before, after in changed:
            if before is not None:
                index = bisect_left(order, rank_order(before))
                del ranked[index], order[index]
            if after is not None:
                place = rank_order(after)
                index = bisect_left(order, place)
                ranked.insert(index, after)
                order.insert(index, place)
        self.ranked, self._order = ranked, order

    def _standing(self, key: str, position: Callable[[Source], Any]) -> Standing:
        parts = self._parts[key]
        # ``rank`` keeps the name of the last entry it meets at the newest date: the latest-placed part among ties.
        newest = max(part.newest for part in parts.values())
        tied = [source for source, part in parts.items() if part.newest == newest]
        name = parts[max(tied, key=position) if len(tied) > 1 else tied[0]].name
        rewarding = [source for source, part in parts.items() if part.rewards]
        if len(rewarding) > 1:
            rewarding.sort(key=position)
        rewards = [reward for source in rewarding for reward in parts[source].rewards]
        return standing_of(key, name, self._counts[key], rewards, self.points, self.levels)

    def sources_of(self, keys: frozenset[str]) -> set[Source]:
        """The threads and items in which the contributors ``keys`` have a part."""
        return {source for key in keys for source in self._parts.get(key, ())}


def _level(standing: Standing | None) -> Level | None:
    return standing.level if standing is not None else None
