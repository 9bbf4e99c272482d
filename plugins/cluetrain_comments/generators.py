"""Generators that write what the comments plugin produces: Atom feeds and threads.json."""

from __future__ import annotations

import heapq
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from pelican import signals

from cluetrain.atom import EPOCH, ReproducibleAtom
from cluetrain.output_files import replace_file, wanted

MANIFEST_VERSION = 1
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

    def _feed(self, title: str, link: str, feed_path: str, fallback: datetime) -> ReproducibleAtom:
        return ReproducibleAtom(
            title=title,
            link=link,
            description="",
            feed_url=self.absolute_url(feed_path),
            language=self.settings.get("DEFAULT_LANG"),
            fallback_date=fallback,
        )

    def _add(self, feed: ReproducibleAtom, content: Any, node: Any) -> None:
        link = f"{self.absolute_url(content.url)}#{node.anchor}"
        feed.add_item(
            title=f"{node.author} on “{content.title}”",
            link=link,
            description=node.text[:300],
            content=str(node.html),
            author_name=node.author,
            pubdate=node.date,
            unique_id=link,
        )

    def generate_output(self, writer: Any) -> None:
        """Write the feeds; entries newest first."""
        sitename = self.settings.get("SITENAME", "")
        all_path = self.settings.get("COMMENTS_FEED_ALL_ATOM")
        if all_path and wanted(self.context, all_path):
            self._write_all(all_path, sitename)
        for _key, (content, _kind) in sorted(self.threads().items()):
            if not content.thread.feed_url or not wanted(self.context, content.thread.feed_url):
                continue
            nodes = content.thread.walk()
            feed = self._feed(
                f"Comments on “{content.title}” — {sitename}",
                self.absolute_url(content.url),
                content.thread.feed_url,
                getattr(content, "date", EPOCH),
            )
            for node in sorted(nodes, key=lambda n: (n.date, n.id), reverse=True):
                self._add(feed, content, node)
            self.write(content.thread.feed_url, feed.writeString("utf-8").encode("utf-8"))

    def _write_all(self, all_path: str, sitename: str) -> None:
        # nlargest, not a sort of every comment: the feed shows the newest few of possibly 50,000.
        everything = ((content, node) for content, _kind in self.threads().values() for node in content.thread.walk())
        limit = self.settings.get("COMMENTS_FEED_MAX_ITEMS", 50)
        newest = heapq.nlargest(limit, everything, key=lambda pair: (pair[1].date, pair[1].id))
        feed = self._feed(f"Comments — {sitename}", self.absolute_url(""), all_path, EPOCH)
        for content, node in newest:
            self._add(feed, content, node)
        self.write(all_path, feed.writeString("utf-8").encode("utf-8"))


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
