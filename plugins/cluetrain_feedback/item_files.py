"""Feedback item files read once: a file whose stat signature did not change is taken from CACHE_PATH.

Reading and checking 2,000 item files costs ~70 ms a build; their parsed items, kept by file name
with the file's (mtime_ns, ctime_ns, size, inode), load in ~15 ms. An editor rewriting a file in place
keeps its inode and may keep its size, never its mtime_ns; a tool that puts the mtime back (cp -p, touch)
still changes the ctime. The cache is dropped when any source file of
the project's code or any installed version changes (the parser and the item type among them: cache_files.code_version).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cluetrain import cache_files
from cluetrain.content_format import ContentFormatError, FeedbackItem, read_feedback
from cluetrain.content_format.feedback_files import iter_feedback_files

CACHE_FILE = "cluetrain_feedback_items.pickle"
CACHE_VERSION = 3  # 2: the ctime joined the signature; 3: the code version is cache_files.code_version

Signature = tuple[int, int, int, int]
Known = dict[str, tuple[Signature, FeedbackItem]]


def _load(settings: Mapping[str, Any], code: bytes | None) -> Known:
    cache_path = settings.get("CACHE_PATH")
    if not cache_path or not settings.get("LOAD_CONTENT_CACHE"):
        return {}
    saved = cache_files.load(Path(cache_path) / CACHE_FILE, (CACHE_VERSION, code), (dict,))
    return saved[0] if saved is not None else {}


def load_items(content_root: Path, settings: Mapping[str, Any]) -> list[FeedbackItem]:
    """As ``load_feedback``: every item ordered by id, the first bad file or a reused id raising; read once."""
    code = cache_files.code_version()  # None (a source file vanished): nothing is loaded or saved
    known = _load(settings, code)
    kept: Known = {}
    changed = False
    items: dict[int, tuple[FeedbackItem, Path]] = {}
    for path in iter_feedback_files(content_root):
        stat = os.stat(path)
        signature = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)
        found = known.get(path.name)
        if found is not None and found[0] == signature:
            item = found[1]
        else:
            item, changed = read_feedback(path), True
        kept[path.name] = (signature, item)
        if item.id in items:
            raise ContentFormatError(f"feedback id {item.id} is also used by {items[item.id][1]}", path)
        items[item.id] = (item, path)
    cache_path = settings.get("CACHE_PATH")
    if cache_path and settings.get("CACHE_CONTENT") and (changed or len(kept) != len(known)):
        cache_files.save(Path(cache_path) / CACHE_FILE, (CACHE_VERSION, code), kept)
    return [items[key][0] for key in sorted(items)]
