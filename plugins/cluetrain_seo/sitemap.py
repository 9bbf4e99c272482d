"""The sitemap (every post, page and listing, lastmod reflecting the newest comment) and robots.txt."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from pelican import signals
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.paginator import Paginator

from cluetrain.output_files import content_urls, replace_file, wanted

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
GENERATORS_CONTEXT_KEY = "cluetrain_generators"


def remember_generators(generators: list[Any]) -> None:
    """Keep the run's generators in its context, for the sitemap to walk at write time."""
    if generators:
        generators[0].context[GENERATORS_CONTEXT_KEY] = generators


def lastmod(content: Any) -> datetime | None:
    """When a content object last changed: its own date, or its newest comment if later."""
    dates = [getattr(content, "modified", None) or getattr(content, "date", None)]
    thread = getattr(content, "thread", None)
    if thread is not None:
        dates.append(thread.latest)
    aware = [d if d.tzinfo else d.replace(tzinfo=UTC) for d in dates if isinstance(d, datetime)]
    return max(aware, default=None)


def _newest(contents: Iterable[Any]) -> datetime | None:
    return max((d for d in map(lastmod, contents) if d is not None), default=None)


def _shown(entries: Iterable[tuple[str, datetime | None]]) -> Iterator[tuple[str, str | None]]:
    """Each URL once (the first entry wins), with its lastmod as written (equal datetimes can print apart)."""
    seen: set[str] = set()
    for url, modified in entries:
        if url not in seen:
            seen.add(url)
            yield url, modified.isoformat(timespec="seconds") if modified is not None else None


def _escape(text: str) -> str:
    """Text as ElementTree writes it inside an element."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def sitemap_xml(siteurl: str, entries: tuple[tuple[str, str | None], ...]) -> bytes:
    """The sitemap as ElementTree writes it indented (``sitemap_etree``), laid out directly: 10× faster."""
    if not entries:
        return sitemap_etree(siteurl, entries)
    parts = [f"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"{SITEMAP_NS}\">"]
    for url, modified in entries:
        loc = _escape(f"{siteurl}/{url}")
        if modified is None:
            parts.append(f"\n  <url>\n    <loc>{loc}</loc>\n  </url>")
        else:
            parts.append(f"\n  <url>\n    <loc>{loc}</loc>\n    <lastmod>{_escape(modified)}</lastmod>\n  </url>")
    parts.append("\n</urlset>\n")
    return "".join(parts).encode("utf-8", "xmlcharrefreplace")


def sitemap_etree(siteurl: str, entries: tuple[tuple[str, str | None], ...]) -> bytes:
    """The sitemap built with ElementTree: the reference ``sitemap_xml`` matches byte for byte."""
    ElementTree.register_namespace("", SITEMAP_NS)
    urlset = ElementTree.Element(f"{{{SITEMAP_NS}}}urlset")
    for url, modified in entries:
        element = ElementTree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ElementTree.SubElement(element, f"{{{SITEMAP_NS}}}loc").text = f"{siteurl}/{url}"
        if modified is not None:
            ElementTree.SubElement(element, f"{{{SITEMAP_NS}}}lastmod").text = modified
    ElementTree.indent(urlset)
    return ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


class SitemapGenerator:
    """Writes sitemap.xml and robots.txt after the other generators have read the site."""

    def __init__(self, context: dict, settings: dict, path: str, theme: str, output_path: str, **_: Any) -> None:
        self.context = context
        self.settings = settings
        self.output_path = Path(output_path)
        # The last sitemap with the entries it was drawn from: a resident builder rewrites it after every
        # change, and most changes (votes, edits) leave every URL and lastmod as they were.
        self._last: tuple[tuple[tuple[str, str | None], ...], bytes] | None = None
        # The sitemap lists every post at every update of a resident builder; the theme read most URLs already.
        self._url = content_urls(context)

    def _paginated(self, template: str, save_as: str, url: str, articles: list[Any],
                   newest: Any = _newest) -> Iterator[tuple[str, Any]]:
        per_page = self.settings["PAGINATED_TEMPLATES"].get(template, False)
        if per_page is False or not save_as:
            if save_as:
                yield url, newest(articles)
            return
        paginator = Paginator(save_as, url, articles, self.settings, per_page or self.settings["DEFAULT_PAGINATION"])
        for number in paginator.page_range:
            page = paginator.page(number)
            yield page.url, newest(page.object_list)

    def entries(self) -> Iterator[tuple[str, datetime | None]]:
        """(relative URL, lastmod) of every public page the site builds."""
        for generator in self.context.get(GENERATORS_CONTEXT_KEY, ()):
            if isinstance(generator, ArticlesGenerator):
                yield from self._article_entries(generator)
            elif isinstance(generator, PagesGenerator):
                for page in generator.pages:
                    yield self._url(page), lastmod(page)
            elif hasattr(generator, "sitemap_entries"):
                yield from generator.sitemap_entries()

    def _article_entries(self, generator: ArticlesGenerator) -> Iterator[tuple[str, datetime | None]]:
        s = self.settings
        articles = generator.articles
        # Each post is in the index, its tags, category, author and year listings: its lastmod once.
        mods = {id(article): lastmod(article) for article in articles}

        def newest(contents: Iterable[Any]) -> datetime | None:
            found = [mods[id(c)] if id(c) in mods else lastmod(c) for c in contents]
            return max((d for d in found if d is not None), default=None)

        for article in articles:
            yield self._url(article), mods[id(article)]
        everything = newest(articles)
        yield from self._paginated("index", s.get("INDEX_SAVE_AS", "index.html"), "", articles, newest)
        for listing in ("archives", "tags", "categories", "authors"):
            save_as = s.get(f"{listing.upper()}_SAVE_AS")
            if save_as and listing in s.get("DIRECT_TEMPLATES", ()):
                yield s.get(f"{listing.upper()}_URL", os.path.dirname(save_as) + "/"), everything
        for kind, groups in (("tag", generator.tags), ("category", generator.categories),
                             ("author", generator.authors)):
            for wrapper, members in sorted(groups.items() if isinstance(groups, dict) else groups):
                yield from self._paginated(kind, wrapper.save_as, wrapper.url, members, newest)
        for period in self.context.get("period_archives", {}).get("year", []):
            yield period["url"], newest(period["dates"])

    def generate_output(self, writer: Any) -> None:
        """Write sitemap.xml and robots.txt."""
        siteurl = self.settings.get("SITEURL", "")
        sitemap_path = self.settings.get("SITEMAP_SAVE_AS")
        if sitemap_path and wanted(self.context, sitemap_path):
            entries = tuple(_shown(self.entries()))
            if self._last is None or self._last[0] != entries:
                self._last = (entries, self._sitemap(siteurl, entries))
            self._write(sitemap_path, self._last[1])
        robots_path = self.settings.get("ROBOTS_SAVE_AS")
        if robots_path and wanted(self.context, robots_path):
            lines = ["User-agent: *", "Allow: /"]
            if sitemap_path:
                lines.append(f"Sitemap: {siteurl}/{sitemap_path}")
            self._write(robots_path, ("\n".join(lines) + "\n").encode("utf-8"))

    @staticmethod
    def _sitemap(siteurl: str, entries: tuple[tuple[str, str | None], ...]) -> bytes:
        return sitemap_xml(siteurl, entries)

    def _write(self, relative: str, data: bytes) -> None:
        target = self.output_path / relative
        replace_file(target, data)
        signals.content_written.send(os.fspath(target), context=self.context)
