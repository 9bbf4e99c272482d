"""The generator that brings the search index up to date at the end of each build."""

from __future__ import annotations

import logging
from dataclasses import dataclass
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
    IndexReport,
    SearchIndex,
    SearchIndexLocked,
    index_location,
)
from cluetrain.search.indexer import IndexPlan, plan_sync, write_plan
from cluetrain.search.worker import IndexWorker, IndexWorkerFailed, start_worker, worth_a_worker

from .body_digests import BodyDigests
from .sources import collect_documents

log = logging.getLogger(__name__)

# Where the plugin keeps the run's generators (set at all_generators_finalized).
GENERATORS_CONTEXT_KEY = "cluetrain_search_generators"
# The site setting: from how many documents to write the index is written by a worker process.
WORKER_SETTING = "SEARCH_WORKER_MIN_DOCUMENTS"

index_progress = signal(INDEX_PROGRESS_SIGNAL)
index_reported = signal(INDEX_REPORT_SIGNAL)


@dataclass
class _Update:
    """One build's planned index update, and the worker writing it if it has one."""

    location: Path
    bodies: BodyDigests
    plan: IndexPlan
    worker: IndexWorker | None = None


class SearchIndexGenerator:
    """Writes no pages: adds, updates and removes the index documents whose content changed.

    The update is planned when the build starts writing (:meth:`prepare`, once everything is read);
    a large one (a first index) is then written by a worker process while the pages are, and
    :meth:`finish` waits for it when the build's output is done. Otherwise it is written here, in
    :meth:`generate_output`.
    """

    def __init__(self, context: dict, settings: dict, path: str, theme: str, output_path: str, **_: Any) -> None:
        self.context = context
        self.settings = settings
        self.output_path = Path(output_path)
        self._update: _Update | None = None
        # An update whose worker is still writing after this generator's turn (see finish()).
        self._joining: _Update | None = None

    def _progress(self, done: int, total: int) -> None:
        index_progress.send(self, done=done, total=total)

    def _plan(self) -> _Update | None:
        location = index_location(self.settings)
        if location is None or not wanted(self.context, SEARCH_INDEX):
            return None
        bodies = BodyDigests.load(full_build_cache_dir(self.context, self.settings, "LOAD_CONTENT_CACHE"))
        documents = collect_documents(
            self.context.get(GENERATORS_CONTEXT_KEY, ()), self.context, self.settings.get("SITEURL", ""), bodies
        )
        index = SearchIndex(location)
        try:
            plan = plan_sync(index, documents, rebuild=self.settings["SEARCH_REINDEX"])
        except DuplicateDocumentError as exc:
            raise BuildError([f"search index: {exc}"]) from exc
        finally:
            index.close()
        return _Update(location, bodies, plan)

    def prepare(self, spare_cpus: float | None = None) -> None:
        """Plan the update once the site is read; start a worker on it if it is large enough to be worth one.

        ``spare_cpus``: how many CPUs were idle while the build read the site (None: unknown).
        """
        update = self._plan()
        if update is not None and update.plan.needs_commit and worth_a_worker(
                len(update.plan.writes), self.settings.get(WORKER_SETTING), spare_cpus):
            try:
                update.worker = start_worker(update.location, update.plan)
            except OSError as exc:  # no process to be had (limits): written here instead, as a small one is
                log.warning("cannot start the search index worker (%s); writing the index in the build", exc)
        self._update = update

    def generate_output(self, writer: Any) -> None:
        """Synchronise the index with the site's documents (or wait for the worker doing it) and announce it."""
        # Taken, not kept: the resident builder calls this generator again for incremental updates.
        update, self._update = self._update, None
        if update is None:
            update = self._plan()
            if update is None:
                return
        if update.worker is not None:
            # The generators after this one write pages too (the community's charts): the worker goes on
            # meanwhile, and the build joins it when its output is done (finalized, see finish()).
            self._joining = update
            return
        self._announce(update, self._write(update))

    def finish(self) -> None:
        """Wait for the worker writing this build's index (at the end of the build's output) and announce it."""
        update, self._joining = self._joining, None
        if update is not None:
            self._announce(update, self._write(update))

    def _write(self, update: _Update) -> IndexReport:
        try:
            if update.worker is not None:
                return update.worker.join(self._progress)
            index = SearchIndex(update.location)
            try:
                return write_plan(index, update.plan, on_progress=self._progress)
            finally:
                index.close()
        except (SearchIndexLocked, IndexWorkerFailed) as exc:
            raise BuildError([f"search index: {exc}"]) from exc

    def _announce(self, update: _Update, report: IndexReport) -> None:
        cache_dir = full_build_cache_dir(self.context, self.settings, "CACHE_CONTENT")
        if cache_dir is not None:
            update.bodies.save(cache_dir)
        index_reported.send(self, report=report)
