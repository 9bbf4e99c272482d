"""The correctness oracle: after any sequence of incremental updates, output/ equals a fresh full build."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies

from cluetrain.incremental import UpdateMode
from tests.incremental_helpers import EventMaker, differences, fresh_build, populate, resident, unlike_fresh


def _run_sequence(site, seed: int, batches: int, feedback_share: float = 0.35, *, contributors: tuple[str, ...] = (),
                  post_share: float = 0.0, **settings) -> list[UpdateMode]:
    threads = populate(site)
    resident_site = resident(site, **settings)
    events = EventMaker(site, threads, seed, feedback_share, contributors=contributors, post_share=post_share)
    modes = []
    for _ in range(batches):
        report = resident_site.update(events.batch())
        # Comment and feedback events alike are incremental (the fixture spells each tag one way: a tag
        # shown under another name is the documented fallback these events could reach).
        assert report.mode is UpdateMode.INCREMENTAL, report.reason
        modes.append(report.mode)
    fresh, report = fresh_build(site, **settings)
    assert differences(site.output, fresh) == []
    # The index the updates kept is the one a full build wants: nothing left to add, change or remove.
    assert report is not None and report.changed == []
    return modes


def test_random_comment_sequence_matches_a_fresh_full_build(site):
    _run_sequence(site, seed=6, batches=12)


def test_random_feedback_sequence_matches_a_fresh_full_build(site):
    _run_sequence(site, seed=11, batches=14, feedback_share=0.8)


def test_random_feedback_sequence_on_small_pages_matches_a_fresh_full_build(site):
    # Two items a page: new and removed items change how many pages a listing has.
    _run_sequence(site, seed=90, batches=14, feedback_share=0.7, FEEDBACK_PER_PAGE=2)


def test_contributors_crossing_levels_up_and_down_match_a_fresh_full_build(site):
    # Low levels, so that publishing and unpublishing comments moves the three contributors up and down.
    levels = ((2, "Regular"), (4, "Expert"), (7, "Champion"))
    _run_sequence(site, seed=23, batches=16, feedback_share=0.2, contributors=("c" * 16, "d" * 16, "e" * 16),
                  COMMUNITY_CONTRIBUTOR_LEVELS=levels)
    ranked = site.html("community/contributors/index.html").text_content()
    assert "Expert" in ranked or "Champion" in ranked  # levels were crossed on the way


def test_posts_edited_between_comments_and_feedback_match_a_fresh_full_build(site):
    # A post's text edited in place: its page, the listing cards with its summary and the feeds listing it.
    _run_sequence(site, seed=31, batches=14, feedback_share=0.3, post_share=0.3)


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
@given(seed=strategies.integers(0, 2**32 - 1), batches=strategies.integers(1, 15),
       feedback_share=strategies.sampled_from((0.2, 0.5, 0.9)), post_share=strategies.sampled_from((0.0, 0.2)))
def test_any_sequence_matches_a_fresh_full_build(tmp_path_factory, seed, batches, feedback_share, post_share):
    from tests.conftest import Site

    root = tmp_path_factory.mktemp("oracle")
    (root / "content" / "posts").mkdir(parents=True)
    _run_sequence(Site(root), seed, batches, feedback_share, post_share=post_share)


@pytest.mark.parametrize("seed", [47, 48])
def test_cached_full_builds_after_random_events_match_a_fresh_full_build(site, seed):
    # The page caches of full builds (posts, listings, hub pages, feeds kept by their inputs) under the same events:
    # after each batch a full build with the last one's caches, compared with a build from scratch at the end.
    from cluetrain.build import build_site, load_settings
    from tests.conftest import REPO
    from tests.incremental_helpers import overrides

    threads = populate(site)
    build_site(load_settings(REPO, overrides(site)))
    events = EventMaker(site, threads, seed, feedback_share=0.4, post_share=0.25)
    for _ in range(8):
        events.batch()
        build_site(load_settings(REPO, overrides(site)))
    assert unlike_fresh(site) == []
