"""Writing output/: which files a build should write (all, or those an incremental update selected), and how.

Standard library only: the plugins' generators consult ``wanted`` before computing an
output, so an incremental update can re-run them and pay only for the outputs it needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluetrain.content_format import atomic_write

# A file's stat signature (mtime, ctime, size, inode): nobody can set a ctime back, and an atomic replacement
# changes the inode, so a file another writer touched never matches the signature kept for it.
Signature = tuple[int, int, int, int]

# Where an incremental update puts its selection in the Pelican context; absent in full builds.
SELECTION_CONTEXT_KEY = "cluetrain_output_selection"
# Where a build's generators share one ContentUrls (they read the same posts' URLs, several times each).
CONTENT_URLS_CONTEXT_KEY = "cluetrain_content_urls"
# The named signal (blinker) a full build's page caches send with ``outputs=``: the files (absolute paths) the
# last full build wrote and this one neither wrote nor kept (cluetrain.dropped_outputs).
OUTPUTS_DROPPED_SIGNAL = "cluetrain_outputs_dropped"
# The selection entry that names the search index (kept outside output/, written by the search plugin).
SEARCH_INDEX = "<search index>"


@dataclass(frozen=True, slots=True)
class OutputSelection:
    """Output paths relative to OUTPUT_PATH ('posts/a/index.html', 'sitemap.xml'), and whole folders."""

    paths: frozenset[str]
    prefixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, paths: Iterable[str], prefixes: Iterable[str] = ()) -> OutputSelection:
        """A selection of ``paths`` and of everything whose path starts with one of ``prefixes``."""
        return cls(frozenset(paths), tuple(prefixes))

    def wants(self, relative: str) -> bool:
        """Whether the output at ``relative`` is to be written."""
        return relative in self.paths or (bool(self.prefixes) and relative.startswith(self.prefixes))


def wanted(context: Mapping[str, Any], relative: str) -> bool:
    """Whether a generator should write ``relative`` in this run (always, in a full build)."""
    selection = context.get(SELECTION_CONTEXT_KEY)
    return selection is None or selection.wants(relative)


def file_signature(path: str) -> Signature | None:
    """The stat signature of the file at ``path`` (None if there is none)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino


def replace_file(path: Path, data: bytes) -> bool:
    """Write an output file atomically (readers never see half a page); False if unchanged.

    No fsync, unlike content/ writes: output/ can always be rebuilt from content/, and a
    build writes thousands of files.
    """
    return atomic_write(path, data, durable=False)


class ContentUrls:
    """``content.url`` read once per content object, for generators that list every post at every update.

    Pelican formats a URL anew on every read (~25 µs), and a resident builder keeps the same
    content objects between updates (a post's URL changes only with its metadata: a full build, with
    new generators).
    The object is kept beside its URL so that its id cannot be reused by another object.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[Any, str]] = {}

    def __call__(self, content: Any) -> str:
        known = self._known.get(id(content))
        if known is None or known[0] is not content:
            known = self._known[id(content)] = (content, content.url)
        return known[1]


def content_urls(context: dict[str, Any]) -> ContentUrls:
    """The build's one ``ContentUrls``, kept in the Pelican context that all its generators share."""
    urls = context.get(CONTENT_URLS_CONTEXT_KEY)
    if urls is None:
        urls = context[CONTENT_URLS_CONTEXT_KEY] = ContentUrls()
    return urls
