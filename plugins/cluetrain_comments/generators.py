"""Generators that write what the comments plugin produces: Atom feeds and threads.json.

A full build keeps each feed's bytes in CACHE_PATH (cluetrain.atom.FeedCache), so an unchanged
thread's feed is not serialised again (one feed per thread).
"""

from __future__ import annotations

import heapq
import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from pelican import signals

from cluetrain.atom import EPOCH, FeedCache, full_build_cache_dir
from cluetrain.output_files import ContentUrls, replace_file, wanted

log = logging.getLogger(__name__)
MANIFEST_VERSION = 1
FEED_CACHE_FILE = "cluetrain_comment_feeds.pickle"


class _OutputGenerator:
    """Shared constructor and file writing for our small output-only generators."""

    def __init__(self, context: dict, settings: dict, path: str, theme: str, output_path: str, **_: Any) -> None:
        self.context = context
        self.settings = settings
        self.output_path = Path(output_path)
        # threads.json reads every thread's URL, and a resident builder rewrites it after each comment.
        self.content_url = ContentUrls()

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
        link = f"{self.absolute_url(self.content_url(content))}#{node.anchor}"
        return {"title": f"{node.author} on “{content.title}”", "link": link, "description": node.text[:300],
                "content": str(node.html), "author_name": node.author, "pubdate": node.date, "unique_id": link}

    def generate_output(self, writer: Any) -> None:
        """Write the feeds; entries newest first."""
        feeds = FeedCache.load(full_build_cache_dir(self.context, self.settings, "LOAD_CONTENT_CACHE"), FEED_CACHE_FILE)
        sitename = self.settings.get("SITENAME", "")
        all_path = self.settings.get("COMMENTS_FEED_ALL_ATOM")
        if all_path and wanted(self.context, all_path):
            self._write_all(feeds, all_path, sitename)
        for _key, (content, _kind) in sorted(self.threads().items()):
            if not content.thread.feed_url or not wanted(self.context, content.thread.feed_url):
                continue
            head = self._head(f"Comments on “{content.title}” — {sitename}",
                              self.absolute_url(self.content_url(content)), content.thread.feed_url,
                              getattr(content, "date", EPOCH))
            nodes = sorted(content.thread.walk(), key=lambda n: (n.date, n.id), reverse=True)
            self.write(content.thread.feed_url, feeds.feed(head, [self._item(content, node) for node in nodes]))
        save_to = full_build_cache_dir(self.context, self.settings, "CACHE_CONTENT")
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
                    "url": self.absolute_url(self.content_url(content)),
                    "kind": kind,
                    "status": "open" if content.thread.open else "closed",
                    "comments": content.thread.count,
                }
            )
        manifest = {"version": MANIFEST_VERSION, "threads": entries}
        self.write(target, (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
