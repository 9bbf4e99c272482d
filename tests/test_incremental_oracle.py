"""The correctness oracle: after any sequence of incremental updates, output/ equals a fresh full build."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies

from cluetrain.incremental import UpdateMode
from tests.incremental_helpers import EventMaker, differences, fresh_build, populate, resident


def _run_sequence(site, seed: int, batches: int) -> list[UpdateMode]:
    threads = populate(site)
    resident_site = resident(site)
    events = EventMaker(site, threads, seed)
    modes = []
    for _ in range(batches):
        modes.append(resident_site.update(events.batch()).mode)
    fresh, report = fresh_build(site)
    assert differences(site.output, fresh) == []
    # The index the updates kept is the one a full build wants: nothing left to add, change or remove.
    assert report is not None and report.changed == []
    return modes


def test_random_comment_sequence_matches_a_fresh_full_build(site):
    modes = _run_sequence(site, seed=6, batches=12)
    assert UpdateMode.INCREMENTAL in modes


def test_first_comment_on_a_listed_post_rewrites_its_listings(site):
    threads = populate(site)
    resident_site = resident(site)
    site.comment(threads[0], "c1")
    report = resident_site.update([site.content / "comments" / threads[0] / "c1.md"])
    assert report.mode is UpdateMode.INCREMENTAL
    assert report.written[0] == f"posts/{threads[0]}/index.html"
    assert differences(site.output, fresh_build(site)[0]) == []


@pytest.mark.slow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=strategies.integers(0, 2**32 - 1), batches=strategies.integers(1, 15))
def test_any_sequence_matches_a_fresh_full_build(tmp_path_factory, seed, batches):
    from tests.conftest import Site

    root = tmp_path_factory.mktemp("oracle")
    (root / "content" / "posts").mkdir(parents=True)
    _run_sequence(Site(root), seed, batches)
