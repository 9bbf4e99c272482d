"""The builder's fence: a builder whose lease ran out stops writing output/ at the next file, and recovers."""

from __future__ import annotations

import pytest

from cluetrain.incremental import IncrementalBuilder, UpdateMode
from comments_service import RebuildFailed
from tests.conftest import REPO
from tests.incremental_helpers import differences, fresh_build, overrides, populate


class Fence:
    """Holds the lease for the first ``files`` files written, then not (as a builder stalled past its lease)."""

    def __init__(self, files: int | None = None) -> None:
        self.files = files
        self.asked = 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.files is None or self.asked <= self.files


def test_a_builder_without_its_lease_writes_nothing(site):
    populate(site, posts=3, items=1)
    builder = IncrementalBuilder(REPO, overrides(site), fence=Fence(files=0))
    with pytest.raises(RebuildFailed, match="lease ran out"):
        builder.rebuild([])
    assert not site.output.exists() or not any(site.output.rglob("*.html"))


def test_a_lease_lost_mid_build_stops_it_at_the_next_file_and_the_next_build_is_full(site):
    threads = populate(site, posts=5, items=2)
    fence = Fence()
    builder = IncrementalBuilder(REPO, overrides(site), fence=fence)
    builder.rebuild([])  # the first (full) build, with the lease held
    written_before = {path: path.stat().st_mtime_ns for path in site.output.rglob("*") if path.is_file()}

    site.comment(threads[0], "c1")
    fence.files, fence.asked = 1, 0  # the lease runs out after the first file of this update
    with pytest.raises(RebuildFailed, match="lease ran out"):
        builder.rebuild([site.content / "comments" / threads[0] / "c1.md"])
    rewritten = [path for path, stamp in written_before.items() if path.stat().st_mtime_ns != stamp]
    assert len(rewritten) <= 1  # the file written before the check, and nothing after

    fence.files = None  # renewed (nobody took over): building goes on, in full
    builder.rebuild([])
    assert builder.last_report is not None and builder.last_report.mode is UpdateMode.FULL
    assert differences(site.output, fresh_build(site)[0]) == []
