"""Which charts the stats and author pages show, built from the monthly activity."""

from __future__ import annotations

from .activity import MonthActivity
from .authors import AuthorActivity
from .charts import Chart


def community_charts(months: list[MonthActivity]) -> list[Chart]:
    """Posts, comments, feedback filed vs resolved, answer time and (when exported) moderation outcomes."""
    if not months:
        return []
    charts = [
        Chart("posts", "Posts by month", "Bar chart of posts published each month.", "posts",
              ("Posts",), tuple((m.label, (m.posts,)) for m in months)),
        Chart("comments", "Comments by month", "Bar chart of approved comments each month.", "comments",
              ("Comments",), tuple((m.label, (m.comments,)) for m in months)),
        Chart("feedback", "Feedback filed and resolved by month",
              "Grouped bar chart of feedback items filed and items resolved each month.", "items",
              ("Filed", "Resolved"), tuple((m.label, (m.feedback_filed, m.feedback_resolved)) for m in months)),
        Chart("answer-time", "Median time to the first official answer",
              "Bar chart of the median hours from filing to the official answer, by the month items were filed.",
              "hours", ("Median hours",), tuple((m.label, (m.median_answer_hours,)) for m in months)),
    ]
    if any(m.held is not None for m in months):
        charts.append(Chart(
            "moderation", "Comments published and held by month",
            "Grouped bar chart of comments published and comments held for a moderator each month.", "comments",
            ("Published", "Held"), tuple((m.label, (m.published, m.held)) for m in months)))
    return charts


def author_chart(activity: AuthorActivity) -> Chart | None:
    """An author's posts and the comments they received, by month (None without any activity)."""
    if not activity.months:
        return None
    return Chart(f"author-{activity.slug}", f"{activity.author.name}: posts and comments received by month",
                 f"Grouped bar chart of posts by {activity.author.name} and comments they received each month.",
                 "count", ("Posts", "Comments received"),
                 tuple((month.strftime("%Y-%m"), (posts, comments)) for month, posts, comments in activity.months))
