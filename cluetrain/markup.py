"""Visitor-written Markdown to safe HTML: Python-Markdown, then the nh3 (Ammonia) sanitizer.

The one place that decides which HTML a visitor may produce. The site build and the
service both call it, so a comment looks the same on its receipt and on its page.
The build keeps what it rendered in a :class:`MarkdownCache`, keyed by a hash of the source.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
from pathlib import Path
from typing import ClassVar, Self

import markdown
import nh3
from markupsafe import Markup

from cluetrain import cache_files
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


_local = threading.local()


def _converter() -> markdown.Markdown:
    # One instance per thread (instances keep state and are not thread-safe), reset before each
    # document as Python-Markdown documents: building one costs more than converting a comment.
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown.Markdown(extensions=list(_EXTENSIONS), output_format="html")
    return converter.reset()


# Prose: lines that start with a letter and hold letters, digits, inner spaces and punctuation that begins no
# Markdown syntax (no * _ ` [ ] < > # & \\ ~ = | +, no tab, no trailing space), in paragraphs split by blank lines.
# Most comments are prose, and Python-Markdown leaves it as it is, wrapped in paragraphs: building that directly
# costs ~7 µs instead of ~75 (the first cold build of 50,000 comments). A property test holds the two to one output.
_PROSE_LINE = r"[^\W\d_][\w .,;:'\"?!()/%@$-]*(?<! )"  # and no underscore (\w has it): checked apart, faster
_PROSE = re.compile(rf"\n*{_PROSE_LINE}(?:\n+{_PROSE_LINE})*\n*")
_PARAGRAPH_BREAK = re.compile(r"\n{2,}")


def render_markdown(text: str) -> str:
    """Render visitor Markdown to HTML that is safe to embed in any page."""
    if "_" not in text and _PROSE.fullmatch(text):
        rendered = "\n".join(f"<p>{paragraph}</p>" for paragraph in _PARAGRAPH_BREAK.split(text.strip("\n")))
    else:
        rendered = _converter().convert(text)
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


# The cache file's layout (cache_files: identity, then the entries); 2 since it moved onto cache_files.
CACHE_FORMAT = 2


def renderer_version() -> str:
    """Changes whenever the rendering could: this module's source, Markdown's and nh3's versions."""
    rules = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return f"{rules}/{markdown.__version__}/{getattr(nh3, '__version__', '?')}"


class MarkdownCache:
    """Source hash → (sanitized HTML, plain text), kept in one pickle; remembers which entries this build used."""

    FILE_NAME: ClassVar[str] = "cluetrain_markdown_html.pickle"

    def __init__(self, version: str, entries: dict[str, tuple[str, str]] | None = None) -> None:
        self.version = version
        self._entries = entries or {}
        self._used: set[str] = set()
        self.rendered = 0

    @classmethod
    def load(cls, cache_dir: Path | None) -> Self:
        """The cache saved in ``cache_dir`` if it matches this renderer; an empty one otherwise."""
        version = renderer_version()
        if cache_dir is None:
            return cls(version)
        saved = cache_files.load(Path(cache_dir) / cls.FILE_NAME, (CACHE_FORMAT, version), (dict,))
        return cls(version, saved[0] if saved is not None else None)

    def render(self, source: str) -> tuple[Markup, str]:
        """The source's HTML (safe) and plain text, rendered now or taken from the cache."""
        key = hashlib.blake2b(source.encode("utf-8"), digest_size=20).hexdigest()
        self._used.add(key)
        found = self._entries.get(key)
        if found is None:
            rendered = render_markdown(source)
            found = self._entries[key] = (rendered, plain_text(rendered))
            self.rendered += 1
        return Markup(found[0]), found[1]

    def save(self, cache_dir: Path) -> None:
        """Keep only what this build used (so removed sources do not pile up) and write it if it changed.

        A cache this build did not use at all is left as it is (another copy of the plugin did the work).
        """
        if not self._used or (self.rendered == 0 and len(self._used) == len(self._entries)):
            self._used = set()
            return
        self._entries = {key: self._entries[key] for key in self._used if key in self._entries}
        cache_files.save(Path(cache_dir) / self.FILE_NAME, (CACHE_FORMAT, self.version), self._entries)
        self.rendered = 0
        self._used = set()
