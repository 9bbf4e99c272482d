"""Community activity by month: what was posted, said, filed, resolved and answered, from the built context."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cluetrain.content_format.moderation_stats import ModerationMonth

from .summaries import ThreadSummaries, month_of, months_of

SECONDS_PER_HOUR = 3600


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last`` inclusive."""
    months, current = [], first
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


@dataclass(frozen=True, slots=True)
class MonthActivity:
    """One month of the site's life; ``held``/``published`` are None when the service exported none."""

    month: date
    posts: int
    comments: int
    feedback_filed: int
    feedback_resolved: int
    median_answer_hours: float | None
    held: int | None
    published: int | None

    @property
    def label(self) -> str:
        """``2026-05``, as on the charts' axes and in the tables."""
        # What strftime("%Y-%m") gives (glibc does not pad %Y either), at a fifth of its cost: each chart made
        # asks every month for its label, and an update that changes the months makes the charts again.
        return f"{self.month.year}-{self.month.month:02d}"


@dataclass(frozen=True, slots=True)
class Headline:
    """The numbers at the top of the stats page."""

    posts: int
    comments: int
    feedback_filed: int
    feedback_resolved: int
    median_answer_hours: float | None
    commenters: int


def resolved_at(item: Any, closed_statuses: Sequence[str]) -> datetime | None:
    """When a feedback item first reached a closed status; merged duplicates are not resolutions."""
    if item.merged_into is not None:
        return None
    return next((change.date for change in item.history if change.status in closed_statuses), None)


def answer_hours(item: Any) -> float | None:
    """Hours from filing to the official answer, or None if there is none."""
    if item.answer is None:
        return None
    return max((item.answer.date - item.date).total_seconds(), 0.0) / SECONDS_PER_HOUR


def median(values: list[float]) -> float | None:
    """The median of ``values`` (None for none)."""
    return statistics.median(values) if values else None


def monthly_activity(articles: Iterable[Any], threads: dict[str, tuple[Any, str]], feedback_items: Iterable[Any],
                     closed_statuses: Sequence[str], moderation: list[ModerationMonth] | None,
                     summaries: ThreadSummaries) -> list[MonthActivity]:
    """One row per month from the first activity to the last, empty months included."""
    posts = Counter(month_of(article.date) for article in articles)
    comments = months_of(summaries, (content.thread for content, _kind in threads.values()))
    items = list(feedback_items)
    filed = Counter(month_of(item.date) for item in items)
    resolved = Counter(month_of(moment) for item in items if (moment := resolved_at(item, closed_statuses)))
    answers: dict[date, list[float]] = defaultdict(list)
    for item in items:
        if (hours := answer_hours(item)) is not None:
            answers[month_of(item.date)].append(hours)
    return month_rows(posts, comments, filed, resolved, {month: median(hours) for month, hours in answers.items()},
                      moderation)


def month_rows(posts: Mapping[date, int], comments: Mapping[date, int], filed: Mapping[date, int],
               resolved: Mapping[date, int], medians: Mapping[date, float | None],
               moderation: list[ModerationMonth] | None) -> list[MonthActivity]:
    """The rows from counts by month (months absent count 0; none with a count 0 may be present)."""
    moderated = {date.fromisoformat(f"{row.month}-01"): row for row in moderation or ()}
    seen = set(posts) | set(comments) | set(filed) | set(resolved) | set(moderated)
    if not seen:
        return []
    return [
        MonthActivity(
            month=month, posts=posts.get(month, 0), comments=comments.get(month, 0),
            feedback_filed=filed.get(month, 0), feedback_resolved=resolved.get(month, 0),
            median_answer_hours=medians.get(month),
            held=moderated[month].held if month in moderated else (0 if moderation is not None else None),
            published=moderated[month].published if month in moderated else (0 if moderation is not None else None),
        )
        for month in months_between(min(seen), max(seen))
    ]


def headline(articles: Sequence[Any], threads: dict[str, tuple[Any, str]], feedback_items: Sequence[Any],
             closed_statuses: Sequence[str], summaries: ThreadSummaries) -> Headline:
    """Totals over the site's life."""
    shares = [summaries.of(content.thread) for content, _kind in threads.values()]
    hours = [h for item in feedback_items if (h := answer_hours(item)) is not None]
    return Headline(
        posts=len(articles), comments=sum(len(share.comments) for share in shares), feedback_filed=len(feedback_items),
        feedback_resolved=sum(1 for item in feedback_items if resolved_at(item, closed_statuses)),
        median_answer_hours=median(hours),
        # Public names are the only identity the site has; the contributors page uses keys.
        commenters=len(frozenset().union(*(share.authors for share in shares))),
    )
