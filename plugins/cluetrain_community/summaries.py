"""Each thread's share of the community numbers, computed once per thread rather than on every update."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from .contributors import Contribution, contributions_of


def month_of(moment: datetime) -> date:
    """The first day of ``moment``'s month, in UTC (naive datetimes are taken as UTC)."""
    # Most dates are in UTC already (comment files are written so): no conversion for them.
    utc = moment if moment.tzinfo is UTC or moment.tzinfo is None else moment.astimezone(UTC)
    return date(utc.year, utc.month, 1)


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """One thread's approved comments: their records, how many fell in each month, who wrote them, what they gave."""

    comments: tuple[Any, ...]  # each node's Comment, in display order
    months: Counter[date]
    authors: frozenset[str]  # public names
    contributions: dict[str, Contribution]  # by contributor key

    @classmethod
    def of(cls, thread: Any) -> ThreadSummary:
        """Walk ``thread`` once."""
        comments = tuple(node.comment for node in thread.walk())
        months: dict[date, int] = {}
        for comment in comments:  # a plain dict, then one Counter: Counter's own counting costs more per thread
            month = month_of(comment.date)
            months[month] = months.get(month, 0) + 1
        return cls(comments, Counter(months), frozenset(comment.author for comment in comments),
                   contributions_of(comments))


class ThreadSummaries:
    """Summaries by thread object. The resident builder replaces a thread that changes (never edits it),

    so a summary stays valid for as long as its thread object is the content's thread: the full pass
    computes each once, and the running totals (``totals``) start from them.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[Any, ThreadSummary]] = {}

    def of(self, thread: Any) -> ThreadSummary:
        """``thread``'s summary (computed now if this thread object is new)."""
        known = self._known.get(id(thread))
        if known is None or known[0] is not thread:
            known = (thread, ThreadSummary.of(thread))
            self._known[id(thread)] = known
        return known[1]


def months_of(summaries: ThreadSummaries, threads: Iterable[Any]) -> Counter[date]:
    """Comments by month over ``threads``."""
    total: Counter[date] = Counter()
    for thread in threads:
        total.update(summaries.of(thread).months)
    return total
