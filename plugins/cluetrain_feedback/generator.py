"""The feedback hub's generator: reads content/feedback/ and writes its pages, feeds and title index."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pelican import signals
from pelican.generators import Generator

from cluetrain.atom import FeedCache, full_build_cache_dir
from cluetrain.content_format import FeedbackItem, FeedbackKind, tag_slug
from cluetrain.output_files import SELECTION_CONTEXT_KEY, replace_file, wanted
from cluetrain.search import SearchDocument

from . import feeds
from .item_files import load_items
from .items import (
    HUB_URL,
    FeedbackEntry,
    FeedbackTag,
    link_merges,
    load_rendering_cache,
    make_entry,
    save_rendering_cache,
    unify_tags,
)
from .listings import (
    KIND_HEADINGS,
    ROADMAP_URL,
    TAGS_URL,
    Listing,
    RoadmapColumn,
    build_listings,
    build_roadmap,
    pages,
    tag_counts,
)
from .page_cache import PageCache
from .search_documents import search_document
from .statuses import FeedbackStatus, StatusScheme

TITLES_VERSION = 1
FEED_CACHE_FILE = "cluetrain_feedback_feeds.pickle"
ENTRIES_CONTEXT_KEY = "feedback_entries"


@dataclass(frozen=True, slots=True)
class KindLink:
    """A kind's listing, for the hub's filters."""

    kind: FeedbackKind
    heading: str
    url: str


@dataclass(frozen=True, slots=True)
class Hub:
    """What every hub template gets as ``feedback_hub``: its URLs, statuses, kinds and feeds."""

    url: str
    roadmap_url: str
    tags_url: str
    statuses: list[FeedbackStatus]
    kinds: list[KindLink]
    feed_new: str | None
    feed_status: str | None
    titles_json: str | None


def _newest(entries: list[FeedbackEntry]) -> datetime | None:
    return max((entry.activity for entry in entries), default=None)


class FeedbackGenerator(Generator):
    """Item pages, listings, roadmap, tag index, Atom feeds and the titles index of the feedback hub."""

    def generate_context(self) -> None:
        """Read and check every item; expose them for other plugins as ``feedback_entries``."""
        self.scheme = StatusScheme.from_settings(self.settings)
        content_root = Path(self.settings["PATH"])
        pattern = self.settings.get("FEEDBACK_FEED_ITEM_ATOM")
        self.rendered = load_rendering_cache(self.settings)  # kept for the resident builder's item updates
        self.entries = [make_entry(item, self.scheme, content_root, pattern, self.rendered)
                        for item in load_items(content_root, self.settings)]
        save_rendering_cache(self.rendered, self.settings)
        link_merges(self.entries)
        self.tags: dict[str, FeedbackTag] = unify_tags(self.entries)
        self.hub = Hub(
            url=HUB_URL, roadmap_url=ROADMAP_URL, tags_url=TAGS_URL, statuses=list(self.scheme.statuses.values()),
            kinds=[KindLink(kind, KIND_HEADINGS[kind], f"{HUB_URL}kind/{kind.value}/") for kind in FeedbackKind],
            feed_new=self.settings.get("FEEDBACK_FEED_NEW_ATOM"),
            feed_status=self.settings.get("FEEDBACK_FEED_STATUS_ATOM"),
            titles_json=self.settings.get("FEEDBACK_TITLES_JSON"),
        )
        self.context[ENTRIES_CONTEXT_KEY] = self.entries
        self.context["feedback_hub"] = self.hub
        self._sitemap_kept: tuple[list[Listing], list[tuple[str, datetime | None]]] | None = None

    def update_items(self, items: Mapping[int, FeedbackItem | None]) -> None:
        """Replace, add or remove (None) items, then re-link merges and tags as a full read would."""
        pattern = self.settings.get("FEEDBACK_FEED_ITEM_ATOM")
        content_root = Path(self.settings["PATH"])
        by_id = {entry.id: entry for entry in self.entries}
        for item_id, item in items.items():
            if item is None:
                by_id.pop(item_id, None)
            else:
                by_id[item_id] = make_entry(item, self.scheme, content_root, pattern, self.rendered)
        entries = [by_id[item_id] for item_id in sorted(by_id)]
        for entry in entries:
            # Tags were shared by unify_tags: start again from the names this item's file wrote.
            entry.tags = [FeedbackTag(tag, tag_slug(tag)) for tag in entry.item.tags]
            entry.merged_into, entry.duplicates = None, []
        link_merges(entries)
        self.tags = unify_tags(entries)
        self.entries[:] = entries  # in place: other plugins hold this list as ``feedback_entries``
        self.forget_listings()

    def discussion_contents(self) -> Iterator[tuple[FeedbackEntry, str]]:
        """Every item has a thread ``feedback-<id>`` (the comments plugin's extension point)."""
        for entry in self.entries:
            yield entry, "feedback"

    def search_documents(self) -> Iterator[SearchDocument]:
        """Every item but merged duplicates (the search plugin's extension point)."""
        return (document for entry in self.entries if (document := self.search_document_of(entry)))

    def search_document_of(self, entry: FeedbackEntry) -> SearchDocument | None:
        """One item's search document (None for a merged duplicate)."""
        return search_document(entry, self.settings.get("SITEURL", "")) if entry.merged_into is None else None

    # Listings depend on comment activity, known only after the comments plugin attached threads.
    @cached_property
    def listings(self) -> list[Listing]:
        return build_listings(self.entries, self.scheme, self.tags)

    @cached_property
    def roadmap(self) -> list[RoadmapColumn]:
        return build_roadmap(self.entries, self.scheme)

    def page_members(self) -> dict[str, tuple[int, ...]]:
        """Every listing, roadmap and tag-index page (save_as) with the ids of the items it shows, in order."""
        members = {page.save_as: tuple(entry.id for entry in page.object_list)
                   for listing in self.listings for page in pages(listing, self._per_page(), self.settings)}
        # 0 separates the columns: moving an item between columns changes the roadmap.
        members[f"{ROADMAP_URL}index.html"] = tuple(
            entry_id for column in self.roadmap for entry_id in (0, *(entry.id for entry in column.items)))
        members[f"{TAGS_URL}index.html"] = ()
        return members

    def listing_pages(self) -> dict[str, tuple[str, ...]]:
        """Every listing (url) with its pages (save_as): a page count change rewrites all of them."""
        return {listing.url: tuple(page.save_as for page in pages(listing, self._per_page(), self.settings))
                for listing in self.listings}

    def tag_index(self) -> list[tuple[str, str, int]]:
        """What the tag index page shows: (slug, name, count), in its order."""
        return [(tag.slug, tag.name, count) for tag, count in tag_counts(self.entries, self.tags)]

    def hub_feeds(self) -> dict[str, list[feeds.FeedEvent]]:
        """The hub-wide feeds (new items, status changes) with the events each shows, newest first."""
        return feeds.hub_events(self.entries, self.hub.feed_new, self.hub.feed_status,
                                self.settings["FEEDBACK_FEED_MAX_ITEMS"])

    def item_feed_events(self, entry: FeedbackEntry) -> list[feeds.FeedEvent]:
        """The events of one item's own feed, newest first."""
        return feeds.newest([feeds.creation(entry), *feeds.changes(entry), *feeds.comments(entry)], None)

    def forget_listings(self) -> None:
        """Drop the computed listings and roadmap (the resident builder calls it after comments or items change)."""
        vars(self).pop("listings", None)
        vars(self).pop("roadmap", None)

    def _per_page(self) -> int:
        return self.settings["FEEDBACK_PER_PAGE"]

    def sitemap_entries(self) -> Iterator[tuple[str, datetime | None]]:
        """Item pages and the pages of every non-empty listing (the SEO plugin's extension point)."""
        # A resident builder asks after every change. Whatever changes an item or its comments also drops the
        # listings (forget_listings), so while they are the same object, so are these entries (~10 ms at 2,000).
        listings = self.listings
        kept = self._sitemap_kept
        if kept is None or kept[0] is not listings:
            kept = self._sitemap_kept = (listings, list(self._sitemap_entries()))
        return iter(kept[1])

    def _sitemap_entries(self) -> Iterator[tuple[str, datetime | None]]:
        for entry in self.entries:
            if entry.merged_into is None:  # a merged item's page names the original as canonical
                yield entry.url, entry.activity
        for listing in self.listings:
            if listing.items or listing.is_hub:
                for page in pages(listing, self._per_page(), self.settings):
                    yield page.url, _newest(page.object_list)
        yield ROADMAP_URL, _newest([entry for column in self.roadmap for entry in column.items])
        if self.tags:
            yield TAGS_URL, _newest(self.entries)

    def generate_output(self, writer: Any) -> None:
        """Write every page, feed and the titles index."""
        self.page_cache = PageCache.open(self)
        self._write_items(writer)
        if self._writes_hub_pages():
            self._write_listings(writer)
            self._render(writer, f"{ROADMAP_URL}index.html", "feedback/roadmap", columns=self.roadmap)
            self._render(writer, f"{TAGS_URL}index.html", "feedback/tags",
                         tag_counts=tag_counts(self.entries, self.tags))
        self._write_feeds()
        if self.page_cache is not None:
            self.page_cache.save()
            self.page_cache = None
        self._write_titles()

    def _writes_hub_pages(self) -> bool:
        """Whether this run may write a listing, roadmap or tag page (not when an update selected only item pages)."""
        selection = self.context.get(SELECTION_CONTEXT_KEY)
        if selection is None or selection.prefixes:
            return True
        # Item pages are feedback/<id>-<slug>/: skipping the rest spares computing every listing.
        return any(path.startswith(HUB_URL) and not path.removeprefix(HUB_URL)[:1].isdigit()
                   for path in selection.paths)

    def _render(self, writer: Any, save_as: str, template: str, **variables: Any) -> None:
        if not wanted(self.context, save_as):
            return
        pages = getattr(self, "page_cache", None)
        key = pages.key(template, save_as, variables) if pages is not None else None
        if key is not None and pages.unchanged(save_as, key):
            # Written by an earlier build from the same inputs; still an output of this one.
            signals.content_written.send(os.path.join(self.output_path, save_as), context=self.context)
            return
        writer.write_file(save_as, self.get_template(template), self.context,
                          relative_urls=self.settings["RELATIVE_URLS"], **variables)
        if pages is not None:
            pages.written(save_as, key)

    def _write_items(self, writer: Any) -> None:
        for entry in self.entries:
            self._render(writer, entry.save_as, "feedback/item", item=entry)

    def _write_listings(self, writer: Any) -> None:
        for listing in self.listings:
            all_pages = list(pages(listing, self._per_page(), self.settings))
            for number, page in enumerate(all_pages):
                self._render(
                    writer, page.save_as, "feedback/listing", listing=listing, items_page=page,
                    items_paginator=page.paginator,
                    items_previous_page=all_pages[number - 1] if number > 0 else None,
                    items_next_page=all_pages[number + 1] if number + 1 < len(all_pages) else None,
                )

    def _write_feeds(self) -> None:
        s = self.settings
        siteurl, sitename = s.get("SITEURL", ""), s.get("SITENAME", "")
        # One feed per item: a full build serialises again only the feeds whose entries changed.
        cache = FeedCache.load(full_build_cache_dir(self.context, s, "LOAD_CONTENT_CACHE"), FEED_CACHE_FILE)
        common = {"siteurl": siteurl, "language": s.get("DEFAULT_LANG"), "cache": cache}
        hub_link = f"{siteurl}/{HUB_URL}"
        titles = {self.hub.feed_new: f"New feedback — {sitename}",
                  self.hub.feed_status: f"Feedback status changes — {sitename}"}
        wanted_hub = [path for path in titles if path and wanted(self.context, path)]
        # The hub feeds show every entry: the same entries (and code, settings), the same feeds.
        hub_keys = {path: self._unchanged_output(path, ("hub feed", titles[path], self.entries))
                    for path in wanted_hub}
        if any(key is not False for key in hub_keys.values()):
            for path, events in self.hub_feeds().items():
                if hub_keys.get(path, False) is not False:
                    self._write(path, feeds.write_feed(events, title=titles[path], link=hub_link,
                                                       feed_url=f"{siteurl}/{path}", **common), hub_keys[path])
        for entry in self.entries:
            if not entry.feed_url or not wanted(self.context, entry.feed_url):
                continue
            # An item's feed shows only that entry's events (and its title, URL, the settings).
            key = self._unchanged_output(entry.feed_url, ("item feed", entry))
            if key is not False:
                self._write(entry.feed_url, feeds.write_feed(
                    self.item_feed_events(entry), title=f"“{entry.title}” — {sitename} feedback",
                    link=f"{siteurl}/{entry.url}", feed_url=f"{siteurl}/{entry.feed_url}", **common), key)
        save_to = full_build_cache_dir(self.context, s, "CACHE_CONTENT")
        if save_to is not None:
            cache.save(save_to)

    def title_items(self) -> list[dict[str, Any]]:
        """What titles.json lists: every visible item's title, URL, kind, status and counts."""
        siteurl = self.settings.get("SITEURL", "")
        return [
            {"id": e.id, "title": e.title, "url": f"{siteurl}/{e.url}", "kind": e.kind.value, "status": e.status.key,
             "status_label": e.status.label, "votes": e.votes, "comments": e.comment_count}
            for e in self.entries if e.merged_into is None
        ]

    def _write_titles(self) -> None:
        target = self.hub.titles_json
        if not target or not wanted(self.context, target):
            return
        document = {"version": TITLES_VERSION, "items": self.title_items()}
        self._write(target, (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))

    def _unchanged_output(self, relative: str, shown: Any) -> bytes | None | Literal[False]:
        """False if the output at ``relative`` is as an earlier build wrote it from ``shown`` (then signalled as
        written), else its key for the page cache (None: not kept)."""
        pages = getattr(self, "page_cache", None)
        if pages is None:
            return None
        key = pages.output_key(relative, shown)
        if key is not None and pages.unchanged(relative, key):
            signals.content_written.send(os.path.join(self.output_path, relative), context=self.context)
            return False
        return key

    def _write(self, relative: str, data: bytes, key: bytes | None = None) -> None:
        target = Path(self.output_path) / relative
        replace_file(target, data)
        signals.content_written.send(os.fspath(target), context=self.context)
        pages = getattr(self, "page_cache", None)
        if pages is not None:
            pages.written(relative, key)
