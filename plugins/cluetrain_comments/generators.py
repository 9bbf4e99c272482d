"""Generators that write what the comments plugin produces: Atom feeds and threads.json.

A full build keeps each feed's bytes in CACHE_PATH (cluetrain.atom.FeedCache), so an unchanged
thread's feed is not serialised again (one feed per thread). Its cache key is drawn from the
values the feed shows, read straight off the thread: the entries themselves are built only for
a feed that is not in the cache.
"""

from __future__ import annotations

import heapq
import json
import logging
import os
from collections.abc import Callable, Iterable
from datetime import datetime
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, NamedTuple

from pelican import signals

from cluetrain.atom import EPOCH, FeedCache, FeedFields, full_build_cache_dir
from cluetrain.output_files import SELECTION_CONTEXT_KEY, content_urls, replace_file, wanted

log = logging.getLogger(__name__)
MANIFEST_VERSION = 1
FEED_CACHE_FILE = "cluetrain_comment_feeds.pickle"


class _OutputGenerator:
    """Shared constructor and file writing for our small output-only generators."""

    def __init__(self, context: dict, settings: dict, path: str, theme: str, output_path: str, **_: Any) -> None:
        self.context = context
        self.settings = settings
        self.output_path = Path(output_path)
        # threads.json reads every thread's URL, and a resident builder rewrites it after each comment; the
        # theme has read most of them already, into the build's shared ContentUrls.
        self.content_url = content_urls(context)

    def threads(self) -> dict[str, tuple[Any, str]]:
        from . import THREADS_CONTEXT_KEY

        return self.context.get(THREADS_CONTEXT_KEY, {})

    def absolute_url(self, relative: str) -> str:
        return f"{self.settings.get('SITEURL', '')}/{relative}"

    def write(self, relative: str, data: bytes) -> None:
        target = self.output_path / relative
        replace_file(target, data)
        signals.content_written.send(os.fspath(target), context=self.context)


def _shown(nodes: Iterable[Any]) -> list[tuple[Any, ...]]:
    """What a feed entry shows of each node (see ``CommentFeedsGenerator._item``), in the nodes' order."""
    # Strings pickle faster than a datetime or a Markup, and show all the feed uses: the date as the feed
    # writes it (isoformat; it also fixes the order), the HTML as str(html).
    return [(node.id, node.author, node.date.isoformat(), node.text, str(node.html)) for node in nodes]


def newest_comments(contents: Iterable[Any], limit: int) -> list[tuple[Any, Any]]:
    """``heapq.nlargest(limit, every (content, node), key=(date, id))``, ties in the same order, walking few threads.

    A thread's ``latest`` is its newest comment's date, so the threads are visited newest first and the
    walk stops at the first whose newest comment is older than the oldest of ``limit`` already found:
    a resident builder rewrites this feed after every comment, and walking 50,000 of them cost 0.1 s.
    """
    if limit <= 0:
        return []
    contents = list(contents)
    newest_dates = [content.thread.latest for content in contents]
    known = [moment for moment in newest_dates if moment is not None]
    # The `limit` threads with the newest comments hold `limit` comments at least as new as the last of them,
    # so a thread whose newest comment is older has none in the feed: only the others are sorted.
    floor = heapq.nlargest(limit, known)[-1] if len(known) > limit else None
    # nlargest breaks ties by first seen; -position does the same whatever order the threads are visited in.
    paired = enumerate(zip(contents, newest_dates, strict=True))
    rows = ((moment, -position, content) for position, (content, moment) in paired
            if moment is not None and (floor is None or moment >= floor))
    order = sorted(rows, key=lambda row: (row[0], row[1]), reverse=True)
    heap: list[tuple[Any, ...]] = []
    for latest, thread_rank, content in order:
        if len(heap) >= limit and latest < heap[0][0]:
            break
        for node_rank, node in enumerate(content.thread.walk()):
            entry = (node.date, node.id, thread_rank, -node_rank, content, node)
            if len(heap) < limit:
                heapq.heappush(heap, entry)
            elif entry[:4] > heap[0][:4]:
                heapq.heapreplace(heap, entry)
    heap.sort(key=lambda entry: entry[:4], reverse=True)
    return [(entry[4], entry[5]) for entry in heap]


class CommentFeedsGenerator(_OutputGenerator):
    """Writes an Atom feed per thread and one for all comments."""

    def _head(self, title: str, link: str, feed_path: str, fallback: datetime) -> dict[str, Any]:
        return {"title": title, "link": link, "feed_url": self.absolute_url(feed_path),
                "language": self.settings.get("DEFAULT_LANG"), "fallback_date": fallback}

    def _item(self, content: Any, node: Any) -> dict[str, Any]:
        link = f"{self.absolute_url(self.content_url(content))}#{node.anchor}"
        return {"title": f"{node.author} on “{content.title}”", "link": link, "description": node.text[:300],
                "content": str(node.html), "author_name": node.author, "pubdate": node.date, "unique_id": link}

    def _site(self) -> tuple[Any, ...]:
        """The settings every feed's head reads (part of every cache key)."""
        return self.settings.get("SITEURL", ""), self.settings.get("SITENAME", ""), self.settings.get("DEFAULT_LANG")

    def generate_output(self, writer: Any) -> None:
        """Write the feeds; entries newest first."""
        feeds = FeedCache.load(full_build_cache_dir(self.context, self.settings, "LOAD_CONTENT_CACHE"), FEED_CACHE_FILE)
        site = self._site()
        all_path = self.settings.get("COMMENTS_FEED_ALL_ATOM")
        if all_path and wanted(self.context, all_path):
            self._write_all(feeds, all_path, site)
        threads = self.threads()
        for key in self._feed_keys(threads):
            content, _kind = threads[key]
            thread = content.thread
            if not thread.feed_url or not wanted(self.context, thread.feed_url):
                continue
            url, nodes = self.content_url(content), thread.walk()
            fallback = getattr(content, "date", EPOCH)
            # Entries go in (date, id) order, so the nodes in display order determine the feed as well.
            material = ("thread", site, content.title, url, thread.feed_url, fallback, _shown(nodes))
            self._write_feed(feeds, thread.feed_url, material, self._thread_feed, content, url, fallback, nodes)
        save_to = full_build_cache_dir(self.context, self.settings, "CACHE_CONTENT")
        if save_to is not None:
            feeds.save(save_to)

    def _feed_keys(self, threads: dict[str, tuple[Any, str]]) -> list[str]:
        """The threads whose feed this run may write: all of them, or those an update selected by path."""
        # A resident builder selects a feed or two per update; finding them by path beats visiting every thread.
        selection = self.context.get(SELECTION_CONTEXT_KEY)
        pattern = self.settings.get("COMMENTS_FEED_ATOM") or ""
        before, marker, after = pattern.format(thread="\0").partition("\0")  # the pattern as written, around the key
        if selection is None or selection.prefixes or not marker:
            return sorted(threads)
        keys = (path[len(before):len(path) - len(after)] for path in selection.paths
                if path.startswith(before) and path.endswith(after) and len(path) > len(before) + len(after))
        return sorted(key for key in keys if key in threads and pattern.format(thread=key) in selection.paths)

    def _write_feed(self, feeds: FeedCache, relative: str, material: Any, build: Callable[..., FeedFields],
                    *args: Any) -> None:
        """Write the feed drawn from ``material`` unless the last full build left exactly it in its file."""
        target = os.path.join(self.output_path, relative)
        key = feeds.key_for(material)
        if not feeds.unchanged(target, key):
            replace_file(Path(target), feeds.feed_for(material, build, *args, key=key))
            feeds.wrote(target, key)
        signals.content_written.send(target, context=self.context)

    def _thread_feed(self, content: Any, url: str, fallback: datetime, nodes: list[Any]) -> FeedFields:
        head = self._head(f"Comments on “{content.title}” — {self.settings.get('SITENAME', '')}",
                          self.absolute_url(url), content.thread.feed_url, fallback)
        ordered = sorted(nodes, key=lambda n: (n.date, n.id), reverse=True)
        return head, [self._item(content, node) for node in ordered]

    def _write_all(self, feeds: FeedCache, all_path: str, site: tuple[Any, ...]) -> None:
        newest = newest_comments([content for content, _kind in self.threads().values()],
                                 self.settings.get("COMMENTS_FEED_MAX_ITEMS", 50))
        material = ("all", site, all_path, [(content.title, self.content_url(content), *_shown([node])[0])
                                            for content, node in newest])
        self._write_feed(feeds, all_path, material, self._all_feed, all_path, newest)

    def _all_feed(self, all_path: str, newest: list[tuple[Any, Any]]) -> FeedFields:
        head = self._head(f"Comments — {self.settings.get('SITENAME', '')}", self.absolute_url(""), all_path, EPOCH)
        return head, [self._item(content, node) for content, node in newest]


MANIFEST_FIELDS = ("key", "title", "url", "kind", "status", "comments")


class _ManifestRow(NamedTuple):
    """One thread's entry in threads.json, with the content and thread it was read from."""

    content: Any
    thread: Any
    values: tuple[Any, ...]  # the entry's fields, then the count's type
    text: str  # the entry as written


class ThreadManifestGenerator(_OutputGenerator):
    """Writes threads.json: every public thread with its title, URL and open/closed state."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each thread's entry as last laid out, by thread key, with the content and thread it was read from: a
        # resident builder rewrites threads.json after every comment, and only the commented thread's entry changed.
        self._rows: dict[str, _ManifestRow] = {}

    def generate_output(self, writer: Any) -> None:
        """Write the manifest the comments service validates submissions against."""
        target = self.settings.get("COMMENTS_MANIFEST")
        if not target or not wanted(self.context, target):
            return
        known, rows = self._rows, {}
        for key, (content, kind) in sorted(self.threads().items()):
            if getattr(content, "status", "published") == "draft":
                continue
            row = known.get(key)
            # A resident builder gives a content a new thread object when its comments or state change, and a new
            # content object when its title or URL can (an edit of a post's text keeps both: neither shows here).
            if row is None or row.content is not content or row.thread is not content.thread or row.values[3] != kind:
                count = content.thread.count
                # The count's type too: equal numbers of other types (1, True, 1.0) are written apart.
                values = (key, content.title, self.absolute_url(self.content_url(content)), kind,
                          "open" if content.thread.open else "closed", count, type(count))
                text = (row.text if row is not None and row.values == values
                        else manifest_row(dict(zip(MANIFEST_FIELDS, values[:-1], strict=True))))
                row = _ManifestRow(content, content.thread, values, text)
            rows[key] = row
        self._rows = rows
        self.write(target, manifest_from_rows([row.text for row in rows.values()]).encode("utf-8"))


def manifest_json(entries: list[dict[str, Any]]) -> str:
    """``json.dumps({"version": …, "threads": entries}, ensure_ascii=False, indent=1) + "\\n"``, entries being flat.

    json's indenting encoder is pure Python (~10 µs an entry); this one writes each value with json's
    own C functions and lays out the same lines.
    """
    if not entries or not all(entries):  # json writes [] and {} on one line
        return json.dumps({"version": MANIFEST_VERSION, "threads": entries}, ensure_ascii=False, indent=1) + "\n"
    return manifest_from_rows([manifest_row(entry) for entry in entries])


def manifest_row(entry: dict[str, Any]) -> str:
    """One non-empty, flat entry as ``manifest_json`` lays it out in the threads list."""
    return "  {\n" + ",\n".join(f"   {encode_basestring(name)}: {_json_scalar(value)}"
                                for name, value in entry.items()) + "\n  }"


def manifest_from_rows(rows: list[str]) -> str:
    """The manifest around its entries, each laid out by ``manifest_row``."""
    if not rows:
        return json.dumps({"version": MANIFEST_VERSION, "threads": []}, ensure_ascii=False, indent=1) + "\n"
    return f'{{\n "version": {MANIFEST_VERSION},\n "threads": [\n' + ",\n".join(rows) + "\n ]\n}\n"


def _json_scalar(value: Any) -> str:
    """A value as json.dumps(ensure_ascii=False) writes it."""
    if isinstance(value, str):
        return encode_basestring(value)
    if type(value) is int:
        return int.__repr__(value)
    if isinstance(value, (dict, list, tuple)):
        raise TypeError("manifest entries hold scalars only")  # json would indent them
    return json.dumps(value, ensure_ascii=False)
