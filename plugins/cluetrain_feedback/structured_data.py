"""JSON-LD for item pages: a schema.org DiscussionForumPosting with its answer, comments and counts."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

# The SEO plugin's escaping and Comment shape, so both kinds of page are script-safe the same way.
# PLUGINS lists cluetrain_seo before cluetrain_feedback, so Pelican has already loaded it.
from cluetrain_seo.structured_data import _SCRIPT_SAFE, _comment, _iso, _person

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
        "author": _person(entry.author),
        "datePublished": _iso(entry.date),
        "dateModified": _iso(entry.modified),
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
            "author": _person(entry.answer.author),
            "dateCreated": _iso(entry.answer.date),
            "text": entry.answer.text,
        })
    if thread is not None:
        replies += [_comment(node, url) for node in thread.comments]
        data["discussionUrl"] = f"{url}#comments"
    if replies:
        data["comment"] = replies
    return data


@pass_context
def feedback_jsonld(context: Any, entry: FeedbackEntry) -> Markup:
    """Jinja filter: an item's JSON-LD, escaped so it cannot break out of its <script>."""
    data = discussion_posting(entry, context.get("SITEURL", ""), context.get("SITENAME", ""))
    return Markup(json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE))
