"""Bringing the index in line with the site: only documents whose signature changed are rewritten."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluetrain.search.documents import Indexable
from cluetrain.search.index import SearchIndex

# Named blinker signals the search plugin sends (named, so the CLI and tests need not import it):
# progress with ``done=`` and ``total=`` while writing, and the finished ``report=``.
INDEX_PROGRESS_SIGNAL = "cluetrain_search_progress"
INDEX_REPORT_SIGNAL = "cluetrain_search_indexed"
# Report progress every this many documents: often enough for a progress bar, cheap enough to ignore.
PROGRESS_EVERY = 200

ProgressCallback = Callable[[int, int], None]


class DuplicateDocumentError(ValueError):
    """Two documents offered for indexing share an id; names it."""


@dataclass
class IndexReport:
    """What one synchronisation changed, by document id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rebuilt: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> list[str]:
        """Every id that was written or removed."""
        return [*self.added, *self.updated, *self.removed]

    def summary(self) -> str:
        """One line for build output."""
        what = "rebuilt" if self.rebuilt else "updated"
        return (
            f"Search index {what}: {len(self.added)} added, {len(self.updated)} changed, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged in {self.seconds:.2f} s"
        )


def index_location(settings: Mapping[str, Any]) -> Path | None:
    """Where the site settings put the index (relative paths are relative to the project folder).

    The project folder is the one holding the content folder (``PATH``), so a test site in a
    temporary folder keeps its index there too. None means search is turned off.
    """
    configured = settings.get("SEARCH_INDEX_PATH")
    if configured is None:
        return None
    path = Path(configured)
    return path if path.is_absolute() else Path(settings["PATH"]).resolve().parent / path


@dataclass
class IndexPlan:
    """What a synchronisation will write and remove (decided before anything is written), and its report."""

    report: IndexReport
    writes: list[Indexable]
    replace_all: bool
    # How long planning took: the report's seconds are that and the writing's (not what the build did between).
    seconds: float

    @property
    def needs_commit(self) -> bool:
        """Whether anything is to be written, removed or replaced."""
        return bool(self.writes or self.report.removed or self.replace_all)


def plan_sync(index: SearchIndex, documents: Iterable[Indexable], *, rebuild: bool = False) -> IndexPlan:
    """Which of ``documents`` the index lacks or holds another version of, and which stored ids are gone.

    A document (:class:`Indexable`) is built only when it is written: an unchanged one is only signed.
    """
    started = time.perf_counter()
    wanted: dict[str, Indexable] = {}
    for document in documents:
        if document.id in wanted:
            raise DuplicateDocumentError(f"two documents have the search id {document.id!r}")
        wanted[document.id] = document
    stored = {} if rebuild else index.signatures()
    report = IndexReport(rebuilt=rebuild)
    writes: list[Indexable] = []
    for doc_id, document in wanted.items():
        previous = stored.get(doc_id)
        # Signing costs JSON and a hash: a document the index lacks is signed once, when written, not compared.
        if previous is not None and previous == document.signature:
            report.unchanged += 1
            continue
        (report.updated if previous is not None else report.added).append(doc_id)
        writes.append(document)
    report.removed = sorted(set(stored) - set(wanted))
    return IndexPlan(report, writes, rebuild, time.perf_counter() - started)


def write_plan(index: SearchIndex, plan: IndexPlan, *, on_progress: ProgressCallback | None = None) -> IndexReport:
    """Carry out ``plan`` in this process, in one commit; returns its report."""
    started = time.perf_counter()
    report = plan.report
    writes = plan.writes
    if plan.needs_commit:
        with index.writing(replace_all=plan.replace_all) as changes:
            for done, document in enumerate(writes, start=1):
                changes.add(document.document())
                if on_progress and (done % PROGRESS_EVERY == 0 or done == len(writes)):
                    on_progress(done, len(writes))
            for doc_id in report.removed:
                changes.remove(doc_id)
    report.seconds = plan.seconds + time.perf_counter() - started
    return report


def synchronize(
    index: SearchIndex,
    documents: Iterable[Indexable],
    *,
    rebuild: bool = False,
    on_progress: ProgressCallback | None = None,
) -> IndexReport:
    """Make the index hold exactly ``documents``; with ``rebuild``, rewrite all of them in one commit."""
    return write_plan(index, plan_sync(index, documents, rebuild=rebuild), on_progress=on_progress)
