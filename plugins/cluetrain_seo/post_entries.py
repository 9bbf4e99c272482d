"""The sitemap's posts and post listings, kept between a resident builder's updates.

Each entry (a post, or a page of the index, a tag, category, author or year listing) shows the newest
lastmod of a group of posts: the post alone, or the listing page's posts. The groups, their pages' URLs
and the elements are worked out once per set of posts and listings (the "shape"); an update then looks
for posts whose ``thread`` object is not the one last seen (the resident builder gives a post whose
comments change a new thread, never edits one; a post edit keeps the post's dates) and formats again
only the entries of the groups holding such a post. A changed shape (another generator, as after a full
build, or other posts, listings or SITEURL) lays everything out afresh. Settings are read per layout: a
build with other settings has new generators.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pelican.paginator import Paginator

from .sitemap_chunks import Section, isoformat, lastmod, newest, url_chunk


class PostEntries:
    """The section of one ``ArticlesGenerator``: laid out when its shape changes, then refreshed per update."""

    def __init__(self, settings: dict[str, Any], context: dict[str, Any], url_of: Callable[[Any], str]) -> None:
        self.settings = settings
        self.context = context
        self.url_of = url_of
        self._shape: tuple[Any, ...] | None = None
        self._siteurl = ""
        self._tracked: list[Any] = []  # every post an entry shows: the generator's posts first
        self._threads: list[Any] = []  # each tracked post's thread when its lastmod was taken
        self._mods: list[datetime | None] = []  # each tracked post's lastmod
        self._members: list[tuple[int, ...]] = []  # each group's posts (positions in _tracked), in listing order
        self._newest: list[datetime | None] = []  # each group's newest lastmod
        self._groups_of: list[list[int]] = []  # the groups each tracked post is in
        self._entries_of: list[list[int]] = []  # the entries that show each group
        self._section = Section([], [])

    def section(self, generator: Any, siteurl: str) -> Section:
        """The generator's posts and listings, each once per listing page, lastmod the newest comment or date."""
        shape = self._shape_of(generator, siteurl)
        if shape != self._shape:
            self._lay_out(generator, siteurl)
            self._shape = shape
        else:
            self._refresh()
        return self._section

    def _shape_of(self, generator: Any, siteurl: str) -> tuple[Any, ...]:
        """What the layout is drawn from, lists copied (changes made in place then show); posts compare by identity."""
        groups = [[(wrapper, list(members)) for wrapper, members in _items(g)]
                  for g in (generator.tags, generator.categories, generator.authors)]
        periods = [(period["url"], list(period["dates"])) for period in self._years()]
        return generator, siteurl, list(generator.articles), groups, periods

    def _years(self) -> list[dict[str, Any]]:
        return self.context.get("period_archives", {}).get("year", [])

    def _lay_out(self, generator: Any, siteurl: str) -> None:
        """Work out every entry, group and element from scratch."""
        self._siteurl = siteurl
        s = self.settings
        articles = generator.articles
        self._tracked = list(articles)  # kept: a tracked post's id stays its own while the layout lasts
        position = {id(content): number for number, content in enumerate(self._tracked)}
        group_of: dict[tuple[int, ...], int] = {}  # equal groups shared (the direct listings all show every post)
        entries: list[tuple[str, int]] = []

        def group(contents: list[Any]) -> int:
            try:
                members = tuple(map(position.__getitem__, map(id, contents)))
            except KeyError:  # a listed post that is not one of the generator's (none, in Pelican): tracked too
                for content in contents:
                    if id(content) not in position:
                        position[id(content)] = len(self._tracked)
                        self._tracked.append(content)
                members = tuple(map(position.__getitem__, map(id, contents)))
            return group_of.setdefault(members, len(group_of))

        entries += ((self.url_of(article), group([article])) for article in articles)
        entries += self._paginated("index", s.get("INDEX_SAVE_AS", "index.html"), "", articles, group)
        for listing in ("archives", "tags", "categories", "authors"):
            save_as = s.get(f"{listing.upper()}_SAVE_AS")
            if save_as and listing in s.get("DIRECT_TEMPLATES", ()):
                entries.append((s.get(f"{listing.upper()}_URL", os.path.dirname(save_as) + "/"), group(articles)))
        for kind, groups in (("tag", generator.tags), ("category", generator.categories),
                             ("author", generator.authors)):
            for wrapper, members in sorted(_items(groups)):
                entries += self._paginated(kind, wrapper.save_as, wrapper.url, members, group)
        for period in self._years():
            entries.append((period["url"], group(period["dates"])))

        self._members = list(group_of)
        self._threads = [getattr(content, "thread", None) for content in self._tracked]
        self._mods = [lastmod(content) for content in self._tracked]
        self._newest = [newest(map(self._mods.__getitem__, members)) for members in self._members]
        self._groups_of = [[] for _ in self._tracked]
        for number, members in enumerate(self._members):
            for member in members:
                self._groups_of[member].append(number)
        self._entries_of = [[] for _ in self._members]
        for number, (_, shown) in enumerate(entries):
            self._entries_of[shown].append(number)
        urls = [url for url, _ in entries]
        self._section = Section(urls, [url_chunk(siteurl, url, isoformat(self._newest[shown]))
                                       for url, shown in entries])

    def _paginated(self, template: str, save_as: str, url: str, articles: list[Any],
                   group: Callable[[list[Any]], int]) -> list[tuple[str, int]]:
        """A listing's entries: one per page, as Pelican paginates it (its URLs follow PAGINATION_PATTERNS)."""
        per_page = self.settings["PAGINATED_TEMPLATES"].get(template, False)
        if per_page is False or not save_as:
            return [(url, group(articles))] if save_as else []
        paginator = Paginator(save_as, url, articles, self.settings, per_page or self.settings["DEFAULT_PAGINATION"])
        pages = [paginator.page(number) for number in paginator.page_range]
        return [(page.url, group(page.object_list)) for page in pages]

    def _refresh(self) -> None:
        """Take the lastmod of posts with a new thread again, and format the entries whose group's newest changed."""
        threads = self._threads
        # The one walk over every post an update makes: an identity test each.
        changed = [number for number, content in enumerate(self._tracked)
                   if getattr(content, "thread", None) is not threads[number]]
        dirty: set[int] = set()
        for number in changed:
            content = self._tracked[number]
            threads[number] = getattr(content, "thread", None)
            self._mods[number] = lastmod(content)
            dirty.update(self._groups_of[number])
        urls, chunks = self._section
        for shown in dirty:
            latest = newest(map(self._mods.__getitem__, self._members[shown]))
            if latest is self._newest[shown]:
                continue  # the same datetime object: the same text
            self._newest[shown] = latest
            for entry in self._entries_of[shown]:
                chunks[entry] = url_chunk(self._siteurl, urls[entry], isoformat(latest))


def _items(groups: Any) -> list[tuple[Any, list[Any]]]:
    """A generator's tags (a dict), categories or authors (lists of pairs) as (URL wrapper, posts) pairs."""
    return list(groups.items() if isinstance(groups, dict) else groups)
