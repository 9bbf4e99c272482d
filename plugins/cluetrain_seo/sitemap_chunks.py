"""Sitemap entries as the bytes of their ``<url>`` elements, and the lastmod each entry is drawn from."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
HEADER = f"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"{SITEMAP_NS}\">".encode()
FOOTER = b"\n</urlset>\n"


def lastmod(content: Any) -> datetime | None:
    """When a content object last changed: its own date, or its newest comment if later."""
    dates = [getattr(content, "modified", None) or getattr(content, "date", None)]
    thread = getattr(content, "thread", None)
    if thread is not None:
        dates.append(thread.latest)
    aware = [d if d.tzinfo else d.replace(tzinfo=UTC) for d in dates if isinstance(d, datetime)]
    return max(aware, default=None)


def newest(dates: Iterable[datetime | None]) -> datetime | None:
    """The latest of ``dates`` (None skipped), the first of equal ones (equal instants can print apart)."""
    # filter(None) drops only the Nones (a datetime is always true) and keeps the loop in C: a listing can hold
    # every post.
    return max(filter(None, dates), default=None)


def isoformat(modified: datetime | None) -> str | None:
    """A lastmod as the sitemap writes it."""
    return modified.isoformat(timespec="seconds") if modified is not None else None


def escape(text: str) -> str:
    """Text as ElementTree writes it inside an element."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def url_chunk(siteurl: str, url: str, modified: str | None) -> bytes:
    """One ``<url>`` element as ElementTree writes it indented, in UTF-8 (unencodable characters as references)."""
    loc = escape(f"{siteurl}/{url}")
    if modified is None:
        text = f"\n  <url>\n    <loc>{loc}</loc>\n  </url>"
    else:
        text = f"\n  <url>\n    <loc>{loc}</loc>\n    <lastmod>{escape(modified)}</lastmod>\n  </url>"
    # Encoded element by element: UTF-8 encodes each character on its own, so the join is the whole file's encoding.
    return text.encode("utf-8", "xmlcharrefreplace")


class Section(NamedTuple):
    """One generator's share of the sitemap: its URLs and their ``<url>`` elements, in order (repeats included)."""

    urls: list[str]
    chunks: list[bytes]


class EntryChunks:
    """The elements of one generator's ``sitemap_entries()``, each formatted again when its lastmod object changes."""

    def __init__(self) -> None:
        # A generator hands back the same datetime objects while nothing changed (its items' and threads' own dates).
        # A new object is formatted anew, even an equal one (equal instants can print apart): no element goes stale.
        self._siteurl = ""
        self._known: dict[str, tuple[datetime | None, bytes]] = {}

    def section(self, siteurl: str, entries: Iterable[tuple[str, datetime | None]]) -> Section:
        """The section of ``entries`` (relative URL, lastmod); only this call's URLs are kept for the next."""
        if siteurl != self._siteurl:
            self._siteurl, self._known = siteurl, {}
        known: dict[str, tuple[datetime | None, bytes]] = self._known
        fresh: dict[str, tuple[datetime | None, bytes]] = {}
        urls: list[str] = []
        chunks: list[bytes] = []
        for url, modified in entries:
            hit = known.get(url)
            if hit is None or hit[0] is not modified:  # the entry holds its datetime: its id cannot be reused
                hit = (modified, url_chunk(siteurl, url, isoformat(modified)))
            fresh[url] = hit
            urls.append(url)
            chunks.append(hit[1])
        self._known = fresh
        return Section(urls, chunks)
