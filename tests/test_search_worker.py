"""The search index written by a worker process while the build writes pages: same index, failures fail the build."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pelican import signals

from cluetrain.build import BuildError
from cluetrain.incremental import UpdateMode
from cluetrain.search import DocType, IndexReport, SearchIndex, SortOrder
from cluetrain.search.schema import INDEX_NAME
from cluetrain.search.worker import (
    BUSY_FACTOR,
    MIN_SPARE_CPUS,
    MIN_WORKER_WRITES,
    IdleMeter,
    usable_cpus,
    worth_a_worker,
)
from cluetrain.site_settings import SITE_SETTINGS, SiteSettingError, apply
from tests.incremental_helpers import populate, resident

from .conftest import Site
from .test_search_index import build_search_site, feedback_item, ids, offering, search, write_search_site

ALWAYS = {"SEARCH_WORKER_MIN_DOCUMENTS": 0}
NEVER = {"SEARCH_WORKER_MIN_DOCUMENTS": None}


def worker_pids() -> list[int]:
    """This process's children that are index workers."""
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:  # gone meanwhile
                continue
            if b"cluetrain.search.worker" in command:
                pids.append(int(pid))
    return pids


@contextmanager
def workers_seen_when_writing() -> Iterator[list[int]]:
    """The index workers running when the build writes its first page."""
    seen: list[int] = []

    def first_page(*_args: Any, **_kwargs: Any) -> None:
        signals.content_written.disconnect(first_page)
        seen.extend(worker_pids())

    signals.content_written.connect(first_page)
    try:
        yield seen
    finally:
        signals.content_written.disconnect(first_page)


def stored_documents(path: Path) -> dict[str, dict[str, Any]]:
    """Every stored document by id, with its signature column."""
    from whoosh.index import open_dir  # after cluetrain.search, which keeps Whoosh 2.7's import warnings quiet

    index = open_dir(str(path), indexname=INDEX_NAME, readonly=True)
    with index.searcher() as searcher:
        signatures = searcher.reader().column_reader("signature")
        return {fields["id"]: {**fields, "signature": signatures[docnum]}
                for docnum, fields in searcher.iter_docs()}


def search_site(root: Path) -> Site:
    site = Site(root)
    (site.content / "posts").mkdir(parents=True)
    write_search_site(site)
    return site


def test_the_worker_writes_the_index_the_build_would_have(tmp_path):
    in_process, in_worker = search_site(tmp_path / "in-process"), search_site(tmp_path / "worker")
    with workers_seen_when_writing() as none_seen:
        first = build_search_site(in_process, **NEVER)
    with workers_seen_when_writing() as seen:
        second = build_search_site(in_worker, **ALWAYS)
    assert none_seen == [] and len(seen) == 1
    assert (second.added, second.updated, second.removed, second.unchanged) == (
        first.added, first.updated, first.removed, first.unchanged)
    assert len(first.added) > 20
    assert stored_documents(in_worker.root / "search_index") == stored_documents(in_process.root / "search_index")
    left, right = SearchIndex(in_process.root / "search_index"), SearchIndex(in_worker.root / "search_index")
    try:
        for query in ({"text": "crash"}, {"text": "webhooks", "sort": SortOrder.DATE}, {"text": "zebra"},
                      {"text": "crahs"}, {"types": frozenset(DocType), "page_size": 50},
                      {"text": "dashboard", "types": frozenset({DocType.COMMENT})}, {"status": "done"}):
            expected, got = search(left, **query), search(right, **query)
            assert got == expected, query
        assert ids(search(right, "zebra")) == ["post:long-read"]
    finally:
        left.close()
        right.close()
    # The posts' text digests the worker extracted were kept, as the build keeps its own: a cached build signs
    # the posts from them without extracting their text again.
    digests = [site.root / "cache" / "cluetrain_search_bodies.pickle" for site in (in_process, in_worker)]
    assert digests[1].read_bytes() == digests[0].read_bytes()
    with workers_seen_when_writing() as seen:
        again = build_search_site(in_worker, **ALWAYS)
    assert seen == [] and again.changed == [] and again.unchanged == len(first.added)


def test_a_small_update_stays_in_the_build_process(site):
    write_search_site(site)
    with workers_seen_when_writing() as seen:
        report = build_search_site(site)  # the default threshold
    assert seen == [] and len(report.added) < MIN_WORKER_WRITES


def test_a_killed_worker_fails_the_build_and_leaves_the_index_as_it_was(site):
    write_search_site(site)
    build_search_site(site, **NEVER)
    before = stored_documents(site.root / "search_index")
    site.comment("webhooks", "c9", body="Do webhooks retry when my Zeiss endpoint is down?")

    def kill_worker(*_args: Any, **_kwargs: Any) -> None:
        signals.content_written.disconnect(kill_worker)
        for pid in worker_pids():
            os.kill(pid, signal.SIGKILL)

    signals.content_written.connect(kill_worker)
    try:
        with pytest.raises(BuildError) as failed:
            build_search_site(site, SEARCH_REINDEX=True, **ALWAYS)
    finally:
        signals.content_written.disconnect(kill_worker)
    assert failed.value.problems == [
        "search index: the index worker was killed by SIGKILL before committing; the index was left as it was"]
    assert stored_documents(site.root / "search_index") == before
    # Its lock went with it: the next build writes the index.
    report = build_search_site(site, **ALWAYS)
    assert report.added == ["comment:c9"] and "comment:c9" in stored_documents(site.root / "search_index")


def test_a_failing_worker_fails_the_build_with_its_error(site):
    write_search_site(site)
    (site.root / "not-a-folder").write_text("in the way")
    with pytest.raises(BuildError) as failed:
        build_search_site(site, SEARCH_INDEX_PATH="not-a-folder", **ALWAYS)
    [problem] = failed.value.problems
    assert problem.startswith("search index: the index worker failed: FileExistsError: ")
    assert "not-a-folder" in problem and problem.endswith("; the index was left as it was")


def test_an_index_locked_by_another_writer_fails_the_build(site, monkeypatch):
    write_search_site(site)
    build_search_site(site, **NEVER)
    monkeypatch.setattr("cluetrain.search.index.WRITE_LOCK_TIMEOUT", 0.2)  # not a minute
    holder = SearchIndex(site.root / "search_index")
    with holder.writing(), pytest.raises(BuildError) as failed:
        build_search_site(site, SEARCH_REINDEX=True, **ALWAYS)
    holder.close()
    assert failed.value.problems == [
        f"search index: {site.root / 'search_index'}: another build is writing the search index"]


def test_duplicate_ids_fail_the_build_before_any_worker_starts(site):
    site.post("hello")
    twins = [feedback_item("f1", "One", "First.", "new", 2), feedback_item("f1", "Two", "Second.", "new", 3)]
    with offering(*twins), workers_seen_when_writing() as seen, pytest.raises(BuildError) as failed:
        site.build(**ALWAYS)
    assert seen == []
    assert failed.value.problems == ["search index: two documents have the search id 'feedback:f1'"]


def test_the_resident_builder_updates_an_index_the_worker_wrote(site):
    populate(site, posts=6, items=2)
    resident_site = resident(site, **ALWAYS)
    index = SearchIndex(site.root / "search_index")
    try:
        assert search(index, "zeiss").total == 0
        site.comment("post-3", "c1", body="Does the Zeiss exporter retry?",
                     date=datetime(2026, 3, 1, tzinfo=UTC))
        report = resident_site.update([site.content / "comments" / "post-3" / "c1.md"])
        assert report.mode is UpdateMode.INCREMENTAL, report.reason
        assert report.search_documents == 1
        [hit] = search(index, "zeiss").hits
        assert hit.id == "comment:c1"
    finally:
        index.close()


def test_worth_a_worker_needs_many_documents_and_a_second_idle_cpu():
    assert not worth_a_worker(10**6, None, spare_cpus=2.0)
    assert worth_a_worker(0, 0) and worth_a_worker(1, 0, spare_cpus=0.0)  # forced, even on a busy machine
    assert not worth_a_worker(MIN_WORKER_WRITES - 1, MIN_WORKER_WRITES, spare_cpus=1.0)
    two_cpus = usable_cpus() > 1
    assert worth_a_worker(MIN_WORKER_WRITES, MIN_WORKER_WRITES, spare_cpus=1.0) is two_cpus
    assert worth_a_worker(MIN_WORKER_WRITES, MIN_WORKER_WRITES, spare_cpus=None) is two_cpus  # unknown: not held back
    busy = MIN_SPARE_CPUS - 0.1  # another build kept the second CPU busy: only a much larger update is worth it
    assert not worth_a_worker(MIN_WORKER_WRITES * BUSY_FACTOR - 1, MIN_WORKER_WRITES, spare_cpus=busy)
    assert worth_a_worker(MIN_WORKER_WRITES * BUSY_FACTOR, MIN_WORKER_WRITES, spare_cpus=busy) is two_cpus
    assert usable_cpus() == len(os.sched_getaffinity(0))


def test_the_idle_meter_reads_idle_cpus_over_a_while():
    meter = IdleMeter()
    assert meter.spare_cpus() is None  # too soon to tell
    time.sleep(0.3)
    spare = meter.spare_cpus()
    assert spare is not None and 0.0 <= spare <= usable_cpus() + 0.1


def test_the_setting_defaults_to_the_measured_threshold():
    [setting] = [s for s in SITE_SETTINGS if s.name == "SEARCH_WORKER_MIN_DOCUMENTS"]
    assert setting.default == MIN_WORKER_WRITES


@pytest.mark.parametrize(("value", "message"), [
    ("2000", "must be int, not str '2000'"),
    (True, "must be int, not bool True"),
    (2.5, "must be int, not float 2.5"),
    (-1, "must not be negative, not -1"),
])
def test_bad_worker_thresholds_are_named(value, message):
    with pytest.raises(SiteSettingError, match=f"SEARCH_WORKER_MIN_DOCUMENTS {message}"):
        apply({"SEARCH_WORKER_MIN_DOCUMENTS": value})


def test_a_bad_worker_threshold_fails_the_build(site):
    site.post("hello")
    with pytest.raises(BuildError) as failed:
        site.build(SEARCH_WORKER_MIN_DOCUMENTS="many")
    assert failed.value.problems == ["setting SEARCH_WORKER_MIN_DOCUMENTS must be int, not str 'many'"]


def test_reports_are_announced_once_per_build(site):
    write_search_site(site)
    report = build_search_site(site, **ALWAYS)  # asserts exactly one report
    assert isinstance(report, IndexReport) and report.summary().startswith("Search index updated: ")
