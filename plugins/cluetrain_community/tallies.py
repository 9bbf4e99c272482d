"""Running tallies that shares are added to and taken away from: counts by key, and numbers kept for a median."""

from __future__ import annotations

import statistics
from bisect import bisect_left, insort
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def add_counts(total: dict[K, int], part: Mapping[K, int], sign: int = 1) -> None:
    """Add ``part`` to ``total`` (``sign`` -1: take it away); a key whose count reaches 0 is dropped.

    Dropped, not kept at 0: a month with nothing left in it must not count as a month with activity.
    """
    for key, count in part.items():
        if not count:
            continue
        value = total.get(key, 0) + sign * count
        if value:
            total[key] = value
        else:
            del total[key]


def add_members(total: dict[K, int], members: Iterable[K], sign: int = 1) -> None:
    """Count each of ``members`` once more in ``total`` (``sign`` -1: once less), as ``add_counts``."""
    add_counts(total, dict.fromkeys(members, 1), sign)


class SortedValues:
    """A multiset of numbers kept in order, so that its median costs no sort of everything."""

    def __init__(self, values: Iterable[float] = ()) -> None:
        self._values = sorted(values)

    def __len__(self) -> int:
        return len(self._values)

    def add(self, value: float) -> None:
        """One more ``value``."""
        insort(self._values, value)

    def remove(self, value: float) -> None:
        """One ``value`` less (it must be there: a share is taken away only after it was added)."""
        index = bisect_left(self._values, value)
        if index == len(self._values) or self._values[index] != value:
            raise ValueError(f"{value!r} was never added")
        del self._values[index]

    def median(self) -> float | None:
        """``statistics.median`` of the values (the same float: it is computed from the same sorted list)."""
        return statistics.median(self._values) if self._values else None
