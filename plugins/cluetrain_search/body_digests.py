"""Digests of posts' and pages' plain text by a digest of their HTML, kept across full builds in CACHE_PATH.

Signing a post needs its text's digest; extracting the text from 5,000 posts' HTML took most of
a cached build's search time. The text itself is extracted only when a post is written.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import ClassVar

from cluetrain.content_format import FORBIDDEN_CHARACTERS, atomic_write
from cluetrain.markup import plain_text
from cluetrain.search import documents as search_documents
from cluetrain.search import text_digest

log = logging.getLogger(__name__)


@cache
def digests_version() -> str:
    """Changes whenever a digest could: the text extraction's code and libraries, and the digest's."""
    sources = hashlib.sha256()
    for source in (sys.modules[plain_text.__module__].__file__, search_documents.__file__, __file__):
        sources.update(Path(source).read_bytes())
    return f"{sources.hexdigest()[:16]}/{FORBIDDEN_CHARACTERS.pattern}/{metadata.version('nh3')}/{sys.version}"


class BodyDigests:
    """HTML digest → digest of its plain text; remembers which entries this build used, to keep only those."""

    FILE_NAME: ClassVar[str] = "cluetrain_search_bodies.pickle"

    def __init__(self, entries: dict[bytes, bytes] | None = None) -> None:
        self._entries = entries or {}
        self._used: dict[bytes, bytes] = {}
        self.extracted = 0

    @classmethod
    def load(cls, cache_dir: Path | None) -> BodyDigests:
        """The digests saved in ``cache_dir`` by this version of the code; none otherwise."""
        if cache_dir is None:
            return cls()
        try:
            with open(cache_dir / cls.FILE_NAME, "rb") as handle:
                version, entries = pickle.load(handle)
        except FileNotFoundError:
            return cls()
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError) as exc:
            log.warning("ignoring an unreadable search cache %s: %s", cls.FILE_NAME, exc)
            return cls()
        return cls(entries if version == digests_version() and isinstance(entries, dict) else None)

    def of(self, html: str) -> bytes:
        """``text_digest(plain_text(html))``, from the cache when this HTML was seen before."""
        key = text_digest(html)
        digest = self._entries.get(key)
        if digest is None:
            digest = text_digest(plain_text(html))
            self.extracted += 1
        self._used[key] = digest
        return digest

    def correct(self, html: str, digest: bytes) -> None:
        """Keep ``digest``, just computed from ``html``'s text for writing it (a damaged cache mends itself)."""
        key = text_digest(html)
        if self._used.get(key) != digest:
            self._used[key] = digest
            self.extracted += 1

    def save(self, cache_dir: Path) -> None:
        """Keep the digests of this build only, if anything changed."""
        if self.extracted or len(self._used) != len(self._entries):
            # No fsync: a cache lost in a crash is computed again, and an unreadable one is ignored.
            atomic_write(cache_dir / self.FILE_NAME, pickle.dumps((digests_version(), self._used), protocol=5),
                         durable=False)
