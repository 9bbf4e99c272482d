"""JSON-LD for posts and pages: schema.org BlogPosting/WebPage with its comments."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

from cluetrain.jsonld import comment, iso, person, script_safe
from cluetrain.markup import plain_text


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
        data["datePublished"] = iso(content.date)
        data["dateModified"] = iso(getattr(content, "modified", None) or content.date)
    authors = getattr(content, "authors", None) or []
    if authors:
        data["author"] = [person(a.name, f"{siteurl}/{a.url}") for a in authors]
    tags = getattr(content, "tags", None) or []
    if tags:
        data["keywords"] = [t.name for t in tags]
    thread = getattr(content, "thread", None)
    if thread is not None:
        data["commentCount"] = thread.count
        data["comment"] = [comment(node, url) for node in thread.comments]
        data["discussionUrl"] = f"{url}#comments"
    return data


@pass_context
def jsonld(context: Any, content: Any) -> Markup:
    """Jinja filter: the content's JSON-LD, escaped so it cannot break out of its <script>."""
    data = structured_data(content, context.get("SITEURL", ""), context.get("SITENAME", ""))
    return script_safe(data)


# The context names it reads (shared macro modules in cluetrain_comments key on them).
jsonld.context_reads = ("SITEURL", "SITENAME")  # type: ignore[attr-defined]
