"""JSON-LD for posts and pages: schema.org BlogPosting/WebPage with its comments."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

from cluetrain.markup import plain_text

# Characters that could end a <script> element or start markup, as JSON escapes.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat(timespec="seconds")


def _person(name: str, url: str | None = None) -> dict[str, str]:
    person = {"@type": "Person", "name": name}
    if url:
        person["url"] = url
    return person


def _comment(node: Any, page_url: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "Comment",
        "@id": f"{page_url}#{node.anchor}",
        "url": f"{page_url}#{node.anchor}",
        "author": _person(node.author, node.website),
        "dateCreated": _iso(node.date),
        "text": node.text,
    }
    if node.replies:
        data["comment"] = [_comment(reply, page_url) for reply in node.replies]
    return data


def structured_data(content: Any, siteurl: str, sitename: str) -> dict[str, Any]:
    """The schema.org description of one article or page."""
    url = f"{siteurl}/{content.url}"
    is_article = getattr(content, "type", "article") == "article"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting" if is_article else "WebPage",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": plain_text(content.title),
        "publisher": {"@type": "Organization", "name": sitename, "url": f"{siteurl}/"},
    }
    if getattr(content, "summary", None):
        data["description"] = plain_text(content.summary)
    if getattr(content, "date", None):
        data["datePublished"] = _iso(content.date)
        data["dateModified"] = _iso(getattr(content, "modified", None) or content.date)
    authors = getattr(content, "authors", None) or []
    if authors:
        data["author"] = [_person(a.name, f"{siteurl}/{a.url}") for a in authors]
    tags = getattr(content, "tags", None) or []
    if tags:
        data["keywords"] = [t.name for t in tags]
    thread = getattr(content, "thread", None)
    if thread is not None:
        data["commentCount"] = thread.count
        data["comment"] = [_comment(node, url) for node in thread.comments]
        data["discussionUrl"] = f"{url}#comments"
    return data


@pass_context
def jsonld(context: Any, content: Any) -> Markup:
    """Jinja filter: the content's JSON-LD, escaped so it cannot break out of its <script>."""
    data = structured_data(content, context.get("SITEURL", ""), context.get("SITENAME", ""))
    return Markup(json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE))
