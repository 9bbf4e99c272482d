"""Atom feeds whose bytes depend only on their entries, so a build is reproducible (and checkable).

A full build keeps each feed's bytes in CACHE_PATH under a hash of everything the feed is
written from (:class:`FeedCache`), so an unchanged feed is not serialised again.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feedgenerator import Atom1Feed

from cluetrain import cache_files
from cluetrain.dropped_outputs import report_dropped
from cluetrain.output_files import SELECTION_CONTEXT_KEY, Signature, file_signature

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Beside a feed cache: which feed each output file holds, with the file's stat signature.
FILES_SUFFIX = ".files"
# 2: the code version became the whole code (cache_files.code_version; it was this module and feedgenerator).
FORMAT = 2
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


def feed_writer_version() -> str | None:
    """What saved feeds must have been written by: this layout and this code (None: the code is unknown)."""
    # The whole code (cache_files.code_version): this writer, feedgenerator's version, and the plugins' code that
    # builds a feed's entries from the material ``feed_for`` keys it by.
    code = cache_files.code_version()
    return None if code is None else f"{FORMAT}/{code.hex()}"


def full_build_cache_dir(context: Mapping[str, Any], settings: Mapping[str, Any], setting: str) -> Path | None:
    """CACHE_PATH when ``setting`` (LOAD_CONTENT_CACHE or CACHE_CONTENT) is on and this is a full build."""
    # Incremental updates write a few feeds: only full builds read and prune a feed cache.
    if context.get(SELECTION_CONTEXT_KEY) is not None or not settings.get(setting):
        return None
    return Path(settings["CACHE_PATH"])


class FeedCache:
    """Feed bytes by a hash of the feed's fields and its entries' (repr: datetimes keep their zone).

    Feeds written with ``feed_for`` may also be given their output path (``unchanged`` / ``wrote``): a feed whose
    key and file are those of the last build is then neither looked up nor written again (reading thousands of
    feed files back to compare them cost more than the rest of a cached build's feeds). The bytes are read from
    CACHE_PATH only once a feed needs them.
    """

    def __init__(self, file_name: str, entries: dict[str, bytes] | None = None, *, cache_dir: Path | None = None,
                 files: dict[str, tuple[str, Signature]] | None = None) -> None:
        self.file_name = file_name
        self._cache_dir = cache_dir  # where the bytes wait until needed (None: ``entries`` are all there is)
        self._loaded = entries if entries is not None or cache_dir is not None else {}
        self._used: dict[str, bytes] = {}
        self._files = files or {}  # output path -> (key, signature) as the last build left them
        self._files_now: dict[str, tuple[str, Signature]] = {}
        self.written = 0
        self.kept = 0
        self.version: str | None = None  # the code version taken when loaded, saved with (None: taken when saving)

    @classmethod
    def load(cls, cache_dir: Path | None, file_name: str) -> FeedCache:
        """The feeds saved in ``cache_dir``/``file_name`` by this version of the writer; none otherwise."""
        if cache_dir is None:
            return cls(file_name)
        cache = cls(file_name, cache_dir=cache_dir)
        cache.version = feed_writer_version()
        cache._files = _read_versioned(cache_dir / f"{file_name}{FILES_SUFFIX}", cache.version)
        return cache

    @property
    def _entries(self) -> dict[str, bytes]:
        if self._loaded is None:
            assert self._cache_dir is not None
            if self.version is None:
                self.version = feed_writer_version()
            self._loaded = _read_versioned(self._cache_dir / self.file_name, self.version)
        return self._loaded

    def feed(self, head: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
        """The bytes of ``ReproducibleAtom(description="", **head)`` with ``add_item(**item)`` each, cached or new."""
        key = hashlib.blake2b(repr((sorted(head.items()), [sorted(i.items()) for i in items])).encode("utf-8"),
                              digest_size=20).hexdigest()
        return self._cached(key, lambda: (head, items))

    @staticmethod
    def key_for(material: Any) -> str:
        """The cache key of a feed drawn from ``material`` (see ``feed_for``)."""
        # Pickle, not repr: it copies strings instead of escaping them, and tells a str from a Markup.
        return "m" + hashlib.blake2b(pickle.dumps(material, protocol=5), digest_size=20).hexdigest()

    def feed_for(self, material: Any, build: Callable[..., FeedFields], *args: Any, key: str | None = None) -> bytes:
        """The feed ``build(*args)`` describes (as ``feed`` takes it), cached under a hash of ``material``.

        ``material`` must determine what ``build`` returns (equal material, equal feed) and be picklable;
        it can be much cheaper to gather than the entries, which are then built only for a feed not cached.
        ``key`` is ``key_for(material)`` when already known.
        """
        return self._cached(key or self.key_for(material), build, *args)

    def unchanged(self, path: str, key: str) -> bool:
        """Whether the file at ``path`` is the feed the last build wrote there with this ``key`` (then kept as is)."""
        found = self._files.get(path)
        if found is None or found[0] != key or file_signature(path) != found[1]:
            return False
        self._files_now[path] = found
        self.kept += 1
        return True

    def wrote(self, path: str, key: str) -> None:
        """The feed with ``key`` was just written to ``path`` (or found there unchanged)."""
        signature = file_signature(path)
        if signature is not None:
            self._files_now[path] = (key, signature)

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
        """Keep the feeds of this build only, if anything changed; report the files of the last build's feeds gone."""
        dropped = [path for path in self._files if path not in self._files_now]
        report_dropped(self, dropped)
        version = (self.version if self.version is not None else feed_writer_version(),)
        kept = {key for key, _signature in self._files_now.values()}
        if self.written or (self._loaded is not None and set(self._used) | kept != set(self._loaded)):
            entries = self._entries
            keep = {key: entries[key] for key in kept if key in entries} | self._used
            cache_files.save(cache_dir / self.file_name, version, keep)
        if self._files_now != self._files:
            cache_files.save(cache_dir / f"{self.file_name}{FILES_SUFFIX}", version, self._files_now)


def _read_versioned(path: Path, version: str | None) -> dict[str, Any]:
    """A dict saved with this writer's version; empty when missing, unreadable or from another version."""
    saved = cache_files.load(path, (version,), (dict,))
    return saved[0] if saved is not None else {}
