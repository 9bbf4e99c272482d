"""Visitor-written Markdown to safe HTML: Python-Markdown, then the nh3 (Ammonia) sanitizer.

The one place that decides which HTML a visitor may produce. The site build and the
service both call it, so a comment looks the same on its receipt and on its page.
"""

from __future__ import annotations

import html

import markdown
import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6",
        "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "ul",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc"

_EXTENSIONS = ("fenced_code", "sane_lists")


def render_markdown(text: str) -> str:
    """Render visitor Markdown to HTML that is safe to embed in any page."""
    # A fresh Markdown instance per call: instances keep state and are not thread-safe.
    rendered = markdown.Markdown(extensions=list(_EXTENSIONS), output_format="html").convert(text)
    return sanitize_html(rendered)


def sanitize_html(fragment: str) -> str:
    """Reduce an HTML fragment to the allowlist; every link gets rel="nofollow ugc"."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, tags removed and entities decoded (for JSON, feeds, search)."""
    return " ".join(html.unescape(nh3.clean(fragment, tags=set())).split())


def count_links(text: str) -> int:
    """How many links a visitor's Markdown renders to (moderation counts them)."""
    return render_markdown(text).count("<a ")
