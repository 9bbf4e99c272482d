"""The generator that brings the search index up to date at the end of each build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blinker import signal

from cluetrain.atom import full_build_cache_dir
from cluetrain.build import BuildError
from cluetrain.output_files import SEARCH_INDEX, wanted
from cluetrain.search import (
    INDEX_PROGRESS_SIGNAL,
    INDEX_REPORT_SIGNAL,
    DuplicateDocumentError,
    SearchIndex,
    SearchIndexLocked,
    index_location,
    synchronize,
)

from .body_digests import BodyDigests
from .sources import collect_documents

# Where the plugin keeps the run's generators (set at all_generators_finalized).
GENERATORS_CONTEXT_KEY = "cluetrain_search_generators"

index_progress = signal(INDEX_PROGRESS_SIGNAL)
index_reported = signal(INDEX_REPORT_SIGNAL)


class SearchIndexGenerator:
    """Writes no pages: adds, updates and removes the index documents whose content changed."""

    def __init__(self, context: dict, settings: dict, path: str, theme: str, output_path: str, **_: Any) -> None:
        self.context = context
        self.settings = settings
        self.output_path = Path(output_path)

    def _progress(self, done: int, total: int) -> None:
        index_progress.send(self, done=done, total=total)

    def generate_output(self, writer: Any) -> None:
        """Synchronise the index with the site's documents and announce the report."""
        location = index_location(self.settings)
        if location is None or not wanted(self.context, SEARCH_INDEX):
            return
        bodies = BodyDigests.load(full_build_cache_dir(self.context, self.settings, "LOAD_CONTENT_CACHE"))
        documents = collect_documents(
            self.context.get(GENERATORS_CONTEXT_KEY, ()), self.context, self.settings.get("SITEURL", ""), bodies
        )
        index = SearchIndex(location)
        try:
            report = synchronize(index, documents, rebuild=self.settings["SEARCH_REINDEX"], on_progress=self._progress)
        except (SearchIndexLocked, DuplicateDocumentError) as exc:
            raise BuildError([f"search index: {exc}"]) from exc
        finally:
            index.close()
        cache_dir = full_build_cache_dir(self.context, self.settings, "CACHE_CONTENT")
        if cache_dir is not None:
            bodies.save(cache_dir)
        index_reported.send(self, report=report)
