"""Visitor-written Markdown to safe HTML: Python-Markdown, then the nh3 (Ammonia) sanitizer.

The one place that decides which HTML a visitor may produce. The site build and the
service both call it, so a comment looks the same on its receipt and on its page.
"""

from __future__ import annotations

import html

import markdown
import nh3
from markupsafe import Markup

from cluetrain.content_format import FORBIDDEN_CHARACTERS

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

# Built once: the allowlist never changes. Relative URLs are dropped: a visitor's link must
# say where it goes, and an undecodable scheme ("java\ufffdscript:") must not pass as a path.
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
    strip_comments=True,
)


def render_markdown(text: str) -> str:
    """Render visitor Markdown to HTML that is safe to embed in any page."""
    # A fresh Markdown instance per call: instances keep state and are not thread-safe.
    rendered = markdown.Markdown(extensions=list(_EXTENSIONS), output_format="html").convert(text)
    return sanitize_html(rendered)


def sanitize_html(fragment: str) -> str:
    """Reduce an HTML fragment to the allowlist; every link gets rel="nofollow ugc"."""
    # Entities such as &#1; decode to controls XML cannot carry (feeds). Replace, never delete them:
    # deleting would turn a harmless "java\x01script:" link into "javascript:" after the sanitizer ran.
    return FORBIDDEN_CHARACTERS.sub("\ufffd", _CLEANER.clean(fragment))


def stored_html(fragment: str) -> Markup:
    """HTML kept from an earlier render, cleaned again before it is shown (a stricter allowlist covers old rows)."""
    return Markup(sanitize_html(fragment))


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, tags removed and entities decoded (for JSON, feeds, search)."""
    return " ".join(FORBIDDEN_CHARACTERS.sub("", html.unescape(nh3.clean(fragment, tags=set()))).split())


def count_links(text: str) -> int:
    """How many links a visitor's Markdown renders to (moderation counts them)."""
    return render_markdown(text).count("<a ")
