"""Digests of posts' and pages' plain text by a digest of their HTML, kept across full builds in CACHE_PATH.

Signing a post needs its text's digest; extracting the text from 5,000 posts' HTML took most of
a cached build's search time. The text itself is extracted only when a post is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from cluetrain import cache_files
from cluetrain.markup import plain_text
from cluetrain.search import text_digest

# 2: the code version became the whole code (cache_files.code_version; it was three modules and nh3).
FORMAT = 2


def digests_version() -> str | None:
    """What saved digests must have been computed by: this layout and this code (None: the code is unknown)."""
    # The code (cache_files.code_version) holds the text extraction's, the digest's and the libraries' versions.
    code = cache_files.code_version()
    return None if code is None else f"{FORMAT}/{code.hex()}"


class BodyDigests:
    """HTML digest → digest of its plain text; remembers which entries this build used, to keep only those."""

    FILE_NAME: ClassVar[str] = "cluetrain_search_bodies.pickle"

    def __init__(self, entries: dict[bytes, bytes] | None = None, version: str | None = None) -> None:
        self._entries = entries or {}
        self._version = version  # the code version taken when loaded, saved with (None: taken when saving)
        self._used: dict[bytes, bytes] = {}
        self.extracted = 0

    @classmethod
    def load(cls, cache_dir: Path | None) -> BodyDigests:
        """The digests saved in ``cache_dir`` by this version of the code; none otherwise."""
        if cache_dir is None:
            return cls()
        version = digests_version()
        saved = cache_files.load(cache_dir / cls.FILE_NAME, (version,), (dict,))
        return cls(saved[0] if saved is not None else None, version)

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
            version = self._version if self._version is not None else digests_version()
            cache_files.save(cache_dir / self.FILE_NAME, (version,), self._used)
