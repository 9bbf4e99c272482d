"""The build's thread manifest (output/threads.json), re-read whenever the file changes."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)
SUPPORTED_VERSION = 1


class ManifestUnavailable(RuntimeError):
    """There is no usable manifest yet (the site has not been built)."""


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    """One thread as the build describes it."""

    key: str
    title: str
    url: str
    kind: str
    open: bool
    comments: int


class ThreadManifest:
    """Reads threads.json, keeping the last good version if a newer one is broken."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._threads: dict[str, ThreadInfo] | None = None
        self._origins: frozenset[str] = frozenset()  # of the threads above; every visitor POST checks its Origin

    def threads(self) -> dict[str, ThreadInfo]:
        """Every thread by key; reloads if the file was replaced or its mtime or size changed."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            stat = None
        with self._lock:
            # The inode too: the build replaces the file atomically, possibly within one tick of the clock.
            stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size) if stat else None
            if stamp is not None and stamp != self._stamp:
                self._reload(stamp)
            if self._threads is None:
                raise ManifestUnavailable(f"{self.path} does not exist or is not valid yet; build the site first")
            return self._threads

    def get(self, key: str) -> ThreadInfo | None:
        """The thread ``key``, or None if the site has no such thread."""
        return self.threads().get(key)

    def origins(self) -> set[str]:
        """The origins (scheme://host:port) of the site's pages, for checking Origin headers."""
        try:
            self.threads()
        except ManifestUnavailable:
            return set()
        return set(self._origins)

    def _reload(self, stamp: tuple[int, int, int]) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != SUPPORTED_VERSION:
                raise ValueError(f"unsupported manifest version {data.get('version')!r}")
            threads = {
                entry["key"]: ThreadInfo(
                    key=str(entry["key"]),
                    title=str(entry.get("title", entry["key"])),
                    url=str(entry.get("url", "")),
                    kind=str(entry.get("kind", "article")),
                    open=entry.get("status") == "open",
                    comments=int(entry.get("comments", 0)),
                )
                for entry in data["threads"]
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # A build may be rewriting it right now; keep serving from the last good one.
            log.warning("cannot read thread manifest %s: %s", self.path, exc)
            return
        self._origins = frozenset(origin for info in threads.values() if (origin := origin_of(info.url)))
        self._threads, self._stamp = threads, stamp


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()
