"""Atom feeds whose bytes depend only on their entries, so a build is reproducible (and checkable).

A full build keeps each feed's bytes in CACHE_PATH under a hash of everything the feed is
written from (:class:`FeedCache`), so an unchanged feed is not serialised again.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from feedgenerator import Atom1Feed

from cluetrain.content_format import atomic_write
from cluetrain.output_files import SELECTION_CONTEXT_KEY

log = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A feed as FeedCache.feed takes it: the feed's fields, then each entry's.
FeedFields = tuple[dict[str, Any], list[dict[str, Any]]]


class ReproducibleAtom(Atom1Feed):
    """An Atom feed whose <updated> is its newest entry's date, never the clock's."""

    def __init__(self, *args: Any, fallback_date: datetime = EPOCH, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fallback_date = fallback_date

    def latest_post_date(self) -> datetime:
        dates = [item["pubdate"] for item in self.items if item.get("pubdate")]
        return max(dates, default=self.fallback_date)


@cache
def feed_writer_version() -> str:
    """Changes whenever a feed's bytes could: this module's source and feedgenerator's version."""
    return f"{hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]}/{metadata.version('feedgenerator')}"


def full_build_cache_dir(context: Mapping[str, Any], settings: Mapping[str, Any], setting: str) -> Path | None:
    """CACHE_PATH when ``setting`` (LOAD_CONTENT_CACHE or CACHE_CONTENT) is on and this is a full build."""
    # Incremental updates write a few feeds: only full builds read and prune a feed cache.
    if context.get(SELECTION_CONTEXT_KEY) is not None or not settings.get(setting):
        return None
    return Path(settings["CACHE_PATH"])


class FeedCache:
    """Feed bytes by a hash of the feed's fields and its entries' (repr: datetimes keep their zone)."""

    def __init__(self, file_name: str, entries: dict[str, bytes] | None = None) -> None:
        self.file_name = file_name
        self._entries = entries or {}
        self._used: dict[str, bytes] = {}
        self.written = 0

    @classmethod
    def load(cls, cache_dir: Path | None, file_name: str) -> FeedCache:
        """The feeds saved in ``cache_dir``/``file_name`` by this version of the writer; none otherwise."""
        if cache_dir is None:
            return cls(file_name)
        try:
            with open(cache_dir / file_name, "rb") as handle:
                version, entries = pickle.load(handle)
        except FileNotFoundError:
            return cls(file_name)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError) as exc:
            log.warning("ignoring an unreadable feed cache %s: %s", file_name, exc)
            return cls(file_name)
        return cls(file_name, entries if version == feed_writer_version() and isinstance(entries, dict) else None)

    def feed(self, head: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
        """The bytes of ``ReproducibleAtom(description="", **head)`` with ``add_item(**item)`` each, cached or new."""
        key = hashlib.blake2b(repr((sorted(head.items()), [sorted(i.items()) for i in items])).encode("utf-8"),
                              digest_size=20).hexdigest()
        return self._cached(key, lambda: (head, items))

    def feed_for(self, material: Any, build: Callable[..., FeedFields], *args: Any) -> bytes:
        """The feed ``build(*args)`` describes (as ``feed`` takes it), cached under a hash of ``material``.

        ``material`` must determine what ``build`` returns (equal material, equal feed) and be picklable;
        it can be much cheaper to gather than the entries, which are then built only for a feed not cached.
        """
        # Pickle, not repr: it copies strings instead of escaping them, and tells a str from a Markup.
        data = pickle.dumps(material, protocol=5)
        key = "m" + hashlib.blake2b(data, digest_size=20).hexdigest()  # apart from feed()'s keys
        return self._cached(key, build, *args)

    def _cached(self, key: str, build: Callable[..., FeedFields], *args: Any) -> bytes:
        data = self._entries.get(key)
        if data is None:
            head, items = build(*args)
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
            atomic_write(cache_dir / self.file_name, pickle.dumps((feed_writer_version(), self._used), protocol=5),
                         durable=False)
