"""JSON-LD for item pages: a schema.org DiscussionForumPosting with its answer, comments and counts."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

# The same Comment shape and escaping as posts, so every page is script-safe the same way.
from cluetrain.jsonld import comment, iso, person, script_safe

from .items import FeedbackEntry

LIKE_ACTION = "https://schema.org/LikeAction"
COMMENT_ACTION = "https://schema.org/CommentAction"


def _counter(action: str, count: int) -> dict[str, Any]:
    return {"@type": "InteractionCounter", "interactionType": action, "userInteractionCount": count}


def discussion_posting(entry: FeedbackEntry, siteurl: str, sitename: str) -> dict[str, Any]:
    """The schema.org description of one feedback item."""
    url = f"{siteurl}/{entry.url}"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "DiscussionForumPosting",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": entry.title,
        "text": entry.text,
        "articleSection": entry.kind.label,
        "author": person(entry.author),
        "datePublished": iso(entry.date),
        "dateModified": iso(entry.modified),
        "isPartOf": {"@type": "WebPage", "@id": f"{siteurl}/feedback/", "name": f"{sitename} feedback"},
        "publisher": {"@type": "Organization", "name": sitename, "url": f"{siteurl}/"},
        "creativeWorkStatus": entry.status.label,
    }
    if entry.tags:
        data["keywords"] = [tag.name for tag in entry.tags]
    if entry.merged_into is not None:
        data["sameAs"] = f"{siteurl}/{entry.merged_into.url}"
    thread = entry.thread
    count = thread.count if thread is not None else 0
    data["interactionStatistic"] = [_counter(LIKE_ACTION, entry.votes), _counter(COMMENT_ACTION, count)]
    data["commentCount"] = count
    replies = []
    if entry.answer is not None:
        replies.append({
            "@type": "Comment",
            "@id": f"{url}#{entry.answer.anchor}",
            "url": f"{url}#{entry.answer.anchor}",
            "author": person(entry.answer.author),
            "dateCreated": iso(entry.answer.date),
            "text": entry.answer.text,
        })
    if thread is not None:
        replies += [comment(node, url) for node in thread.comments]
        data["discussionUrl"] = f"{url}#comments"
    if replies:
        data["comment"] = replies
    return data


@pass_context
def feedback_jsonld(context: Any, entry: FeedbackEntry) -> Markup:
    """Jinja filter: an item's JSON-LD, escaped so it cannot break out of its <script>."""
    data = discussion_posting(entry, context.get("SITEURL", ""), context.get("SITENAME", ""))
    return script_safe(data)


# The context names it reads (shared macro modules in cluetrain_comments key on them).
feedback_jsonld.context_reads = ("SITEURL", "SITENAME")  # type: ignore[attr-defined]
