"""Which community outputs an update changed, from the pages' data before and after it."""

from __future__ import annotations

from typing import Any

from .authors import AuthorActivity
from .stats_charts import author_chart
from .totals import Changes, CommunityData


def changed_outputs(community: Any, before: CommunityData, after: CommunityData, changes: Changes | None) -> list[str]:
    """The outputs (relative paths) whose data differ; ``changes`` (None: unknown) spares comparing the rest.

    Charts are value objects, so equal data make an equal file. Each output is compared only if
    what it is drawn from may have changed: the months (a short list) always, an author's page
    if their activity was made again, the contributors page if the ranking moved.
    """
    paths: list[str] = []
    months_changed = before.months is not after.months and before.months != after.months
    if months_changed:
        old = {chart.file_name: chart for chart in before.charts}
        paths += [f"{community.charts_url}{chart.file_name}" for chart in after.charts
                  if old.get(chart.file_name) != chart]
    indexes = changes.authors if changes is not None else range(len(after.authors))
    authors_changed = False
    for index in indexes:  # the same authors in the same order: they change only with a full build
        activity, previous = after.authors[index], before.authors[index]
        if _same(previous, activity):
            continue
        authors_changed = True
        paths.append(f"{community.authors_url}{activity.slug}/index.html")
        # The chart is drawn from the author (the same) and their months only.
        if activity.months != previous.months and (chart := author_chart(activity)):
            paths.append(f"{community.charts_url}{chart.file_name}")
    # The stats page lists every author with their posts and comments received.
    if authors_changed or months_changed or before.headline != after.headline:
        paths.append(f"{community.stats_url}index.html")
    ranking = changes.contributors if changes is not None else before.contributors != after.contributors
    if ranking:
        paths.append(f"{community.contributors_url}index.html")
    return paths


def _same(before: AuthorActivity, after: AuthorActivity) -> bool:
    """``before == after``, the short fields first: comparing the posts (hundreds, for some authors) is the cost."""
    return before is after or (before.comments_received == after.comments_received
                               and before.commenters == after.commenters and before.months == after.months
                               and before == after)
