"""Generators that write what the comments plugin produces: Atom feeds and threads.json.

A full build keeps each feed's bytes in CACHE_PATH under a hash of everything the feed is
written from, so an unchanged thread's feed is not serialised again (one feed per thread).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import os
import pickle
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pelican import signals

from cluetrain import atom
from cluetrain.atom import EPOCH, ReproducibleAtom
from cluetrain.content_format import atomic_write
from cluetrain.output_files import SELECTION_CONTEXT_KEY, replace_file, wanted

log = logging.getLogger(__name__)
MANIFEST_VERSION = 1
FEED_CACHE_FILE = "cluetrain_comment_feeds.pickle"


@cache
def feed_writer_version() -> str:
    """Changes whenever a feed's bytes could: this module's and cluetrain.atom's source, feedgenerator's version."""
    sources = hashlib.sha256(Path(__file__).read_bytes() + Path(atom.__file__).read_bytes()).hexdigest()[:16]
    return f"{sources}/{metadata.version('feedgenerator')}"


class FeedCache:
    """Feed bytes by a hash of the feed's fields and its entries' (repr: datetimes keep their zone)."""

    def __init__(self, entries: dict[str, bytes] | None = None) -> None:
        self._entries = entries or {}
        self._used: dict[str, bytes] = {}
        self.written = 0

    @classmethod
    def load(cls, cache_dir: Path | None) -> FeedCache:
        """The feeds saved in ``cache_dir`` by this version of the writer; none otherwise."""
        if cache_dir is None:
            return cls()
        try:
            with open(cache_dir / FEED_CACHE_FILE, "rb") as handle:
                version, entries = pickle.load(handle)
        except FileNotFoundError:
            return cls()
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError) as exc:
            log.warning("ignoring an unreadable comment feed cache: %s", exc)
            return cls()
        return cls(entries if version == feed_writer_version() and isinstance(entries, dict) else None)

    def feed(self, head: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
        """The feed's bytes, from the cache or written now."""
        key = hashlib.blake2b(repr((sorted(head.items()), [sorted(i.items()) for i in items])).encode("utf-8"),
                              digest_size=20).hexdigest()
        data = self._entries.get(key)
        if data is None:
            feed = ReproducibleAtom(description="", **head)
            for item in items:
                feed.add_item(**item)
            data = feed.writeString("utf-8").encode("utf-8")
            self.written += 1
        self._used[key] = data
        return data

    def save(self, cache_dir: Path) -> None:
        """Keep the feeds of this build only, if anything changed."""
        if self.written or len(self._used) != len(self._entries):
            # No fsync: a cache lost in a crash is written again, and an unreadable one is ignored.
            atomic_write(cache_dir / FEED_CACHE_FILE, pickle.dumps((feed_writer_version(), self._used), protocol=5),
                         durable=False)


class _OutputGenerator:
    """Shared constructor and file writing for our small output-only generators."""

    def __init__(self, context: dict, settings: dict, path: str, theme: str, output_path: str, **_: Any) -> None:
        self.context = context
        self.settings = settings
        self.output_path = Path(output_path)

    def threads(self) -> dict[str, tuple[Any, str]]:
        from . import THREADS_CONTEXT_KEY

        return self.context.get(THREADS_CONTEXT_KEY, {})

    def absolute_url(self, relative: str) -> str:
        return f"{self.settings.get('SITEURL', '')}/{relative}"

    def write(self, relative: str, data: bytes) -> None:
        target = self.output_path / relative
        replace_file(target, data)
        signals.content_written.send(os.fspath(target), context=self.context)


class CommentFeedsGenerator(_OutputGenerator):
    """Writes an Atom feed per thread and one for all comments."""

    def _head(self, title: str, link: str, feed_path: str, fallback: datetime) -> dict[str, Any]:
        return {"title": title, "link": link, "feed_url": self.absolute_url(feed_path),
                "language": self.settings.get("DEFAULT_LANG"), "fallback_date": fallback}

    def _item(self, content: Any, node: Any) -> dict[str, Any]:
        link = f"{self.absolute_url(content.url)}#{node.anchor}"
        return {"title": f"{node.author} on “{content.title}”", "link": link, "description": node.text[:300],
                "content": str(node.html), "author_name": node.author, "pubdate": node.date, "unique_id": link}

    def _cache_dir(self, setting: str) -> Path | None:
        # Incremental updates write a few feeds: only full builds read and prune the cache.
        if self.context.get(SELECTION_CONTEXT_KEY) is not None or not self.settings.get(setting):
            return None
        return Path(self.settings["CACHE_PATH"])

    def generate_output(self, writer: Any) -> None:
        """Write the feeds; entries newest first."""
        feeds = FeedCache.load(self._cache_dir("LOAD_CONTENT_CACHE"))
        sitename = self.settings.get("SITENAME", "")
        all_path = self.settings.get("COMMENTS_FEED_ALL_ATOM")
        if all_path and wanted(self.context, all_path):
            self._write_all(feeds, all_path, sitename)
        for _key, (content, _kind) in sorted(self.threads().items()):
            if not content.thread.feed_url or not wanted(self.context, content.thread.feed_url):
                continue
            head = self._head(f"Comments on “{content.title}” — {sitename}", self.absolute_url(content.url),
                              content.thread.feed_url, getattr(content, "date", EPOCH))
            nodes = sorted(content.thread.walk(), key=lambda n: (n.date, n.id), reverse=True)
            self.write(content.thread.feed_url, feeds.feed(head, [self._item(content, node) for node in nodes]))
        save_to = self._cache_dir("CACHE_CONTENT")
        if save_to is not None:
            feeds.save(save_to)

    def _write_all(self, feeds: FeedCache, all_path: str, sitename: str) -> None:
        # nlargest, not a sort of every comment: the feed shows the newest few of possibly 50,000.
        everything = ((content, node) for content, _kind in self.threads().values() for node in content.thread.walk())
        limit = self.settings.get("COMMENTS_FEED_MAX_ITEMS", 50)
        newest = heapq.nlargest(limit, everything, key=lambda pair: (pair[1].date, pair[1].id))
        head = self._head(f"Comments — {sitename}", self.absolute_url(""), all_path, EPOCH)
        self.write(all_path, feeds.feed(head, [self._item(content, node) for content, node in newest]))


class ThreadManifestGenerator(_OutputGenerator):
    """Writes threads.json: every public thread with its title, URL and open/closed state."""

    def generate_output(self, writer: Any) -> None:
        """Write the manifest the comments service validates submissions against."""
        target = self.settings.get("COMMENTS_MANIFEST")
        if not target or not wanted(self.context, target):
            return
        entries = []
        for key, (content, kind) in sorted(self.threads().items()):
            if getattr(content, "status", "published") == "draft":
                continue
            entries.append(
                {
                    "key": key,
                    "title": content.title,
                    "url": self.absolute_url(content.url),
                    "kind": kind,
                    "status": "open" if content.thread.open else "closed",
                    "comments": content.thread.count,
                }
            )
        manifest = {"version": MANIFEST_VERSION, "threads": entries}
        self.write(target, (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
