"""Outputs of content that is gone: a full build deletes the files the last one wrote and this one did not.

Pelican leaves them (``DELETE_OUTPUT_DIRECTORY`` off, which our full builds need to keep unchanged
pages): a removed post, a renamed slug, a tag no post carries any more or a deleted feedback item
stayed online at its old URL, unlike in a build from scratch. The page caches know better: each one
records the files it writes, and at the end of a full build reports those it recorded last time and
neither wrote nor kept now (``report_dropped``, over :data:`~cluetrain.output_files.OUTPUTS_DROPPED_SIGNAL`).
The build driver deletes them once the build has succeeded, if they lie inside OUTPUT_PATH and nothing in
this build wrote them (a page, a feed, a static file). A failed build deletes nothing and keeps what it
found for the next.

Whatever the file holds now: the resident builder replaces pages between full builds (a thread's page
after each approval), so the file is seldom the one the cache recorded. Files nobody recorded (a
verification file copied into output/) are never touched; output/ otherwise belongs to the build, as
with ``DELETE_OUTPUT_DIRECTORY`` (files of one's own go in content/, as static files).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import blinker

from cluetrain import cache_files
from cluetrain.output_files import OUTPUTS_DROPPED_SIGNAL

LEFTOVER_FILE = "cluetrain_dropped_outputs.pickle"
LEFTOVER_VERSION = 1


def report_dropped(sender: object, outputs: list[str]) -> None:
    """A cache's report of the files it recorded last time and this build neither wrote nor kept (if any)."""
    if outputs:
        blinker.signal(OUTPUTS_DROPPED_SIGNAL).send(sender, outputs=outputs)


class DroppedOutputs:
    """The files one full build's caches saw go (absolute paths), the static files it copied, and the removal."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.output_path = os.path.abspath(settings["OUTPUT_PATH"])
        self._leftover = Path(settings["CACHE_PATH"]) / LEFTOVER_FILE
        self.found: set[str] = set()
        self.static: list[str] = []  # copied by Pelican's static generator, which signals no file written

    def add(self, _sender: object, outputs: Iterable[str], **_kwargs: Any) -> None:
        """Receive a cache's report (connected to the named signal for the build's duration)."""
        self.found.update(outputs)

    def add_static(self, generator: Any) -> None:
        """Receive the static files Pelican will copy (a removed post's URL may now be a static file's)."""
        self.static += [os.path.join(generator.output_path, static.save_as) for static in generator.staticfiles]

    def _identity(self) -> tuple[object, ...]:
        return LEFTOVER_VERSION, os.path.realpath(self.output_path)

    def _candidates(self) -> set[str]:
        saved = cache_files.load(self._leftover, self._identity(), (set,))
        return (saved[0] if saved is not None else set()) | self.found

    def keep_for_next_build(self) -> None:
        """A failed build deletes nothing (a skipped post's page is not gone): the next successful build will."""
        candidates = self._candidates()
        if candidates:
            cache_files.save(self._leftover, self._identity(), candidates)

    def remove(self, produced: Iterable[str]) -> list[str]:
        """Delete each dropped file in OUTPUT_PATH that neither ``produced`` nor a static copy names; the deleted."""
        candidates = self._candidates()
        if not candidates:
            return []
        # A file can come back from another writer (a removed post's URL now a feedback page's, a post skipped by a
        # failed build back again, left as it was because its bytes are the same): what this build wrote is kept.
        written = {os.path.normpath(path) for path in (*produced, *self.static)}
        removed = []
        for path in sorted({os.path.normpath(path) for path in candidates}):
            if path in written or not self._inside(path) or os.path.islink(path) or not os.path.isfile(path):
                continue
            os.unlink(path)
            removed.append(path)
            self._remove_empty_folders(Path(path).parent)
        self._leftover.unlink(missing_ok=True)
        return removed

    def _inside(self, path: str) -> bool:
        # A cache shared by builds into other folders may name their files: never touch those.
        return path != self.output_path and os.path.commonpath((self.output_path, path)) == self.output_path

    def _remove_empty_folders(self, folder: Path) -> None:
        """A removed post's folder (posts/<slug>/) goes too, so that its URL answers 404, not an empty listing."""
        root = Path(self.output_path)
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (or gone): the folders above are not empty either
                return
            folder = folder.parent
