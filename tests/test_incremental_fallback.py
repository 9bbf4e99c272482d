"""Changes the resident site cannot apply incrementally fall back to a full build, and stay correct."""

from __future__ import annotations

import pytest

from cluetrain.build import BuildError
from cluetrain.incremental import ChangeKind, UpdateMode, classify
from cluetrain.incremental.changes import classify_path
from tests.incremental_helpers import differences, fresh_build, resident


def test_changed_files_are_classified(site):
    content = site.content
    assert classify_path(content / "comments" / "hello" / "c1.md", content) == (ChangeKind.COMMENT, "hello")
    assert classify_path(content / "feedback" / "12-dark-mode.md", content) == (ChangeKind.FEEDBACK, 12)
    assert classify_path(content / "posts" / "hello.md", content)[0] is ChangeKind.OTHER
    assert classify_path(site.root / "theme" / "templates" / "base.html", content)[0] is ChangeKind.OTHER
    changes = classify([content / "comments" / "a" / "1.md", content / "posts" / "a.md"], content)
    assert changes.threads == {"a"} and changes.needs_full_build


def test_a_post_edit_falls_back_to_a_full_build(site):
    site.post("p1", title="Before")
    resident_site = resident(site)
    path = site.post("p1", title="After")
    report = resident_site.update([path])
    assert report.mode is UpdateMode.FULL and "p1.md" in report.reason
    assert "After" in site.read("posts/p1/index.html")
    # The resident state is the new build's: a comment after it is incremental and correct.
    site.comment("p1", "c1")
    assert resident_site.update([site.content / "comments" / "p1" / "c1.md"]).mode is UpdateMode.INCREMENTAL
    assert differences(site.output, fresh_build(site)[0]) == []


def test_a_comment_on_an_unknown_thread_builds_in_full_and_fails_like_one(site):
    site.post("p1")
    resident_site = resident(site)
    site.comment("nowhere", "c1")
    with pytest.raises(BuildError, match="matches no post"):
        resident_site.update([site.content / "comments" / "nowhere" / "c1.md"])


def test_a_broken_comment_fails_and_the_next_update_builds_in_full(site):
    site.post("p1")
    resident_site = resident(site)
    site.comment("p1", "c1", parent="missing")
    with pytest.raises(BuildError, match="Parent 'missing'"):
        resident_site.update([site.content / "comments" / "p1" / "c1.md"])
    (site.content / "comments" / "p1" / "c1.md").unlink()
    assert resident_site.update([site.content / "comments" / "p1" / "c1.md"]).mode is UpdateMode.FULL


def test_changes_nobody_named_are_found_by_their_timestamps(site):
    site.post("p1")
    resident_site = resident(site)
    assert resident_site.update([]).reason == "nothing changed"
    site.comment("p1", "c1")
    report = resident_site.update([])
    assert report.mode is UpdateMode.INCREMENTAL and report.written[0] == "posts/p1/index.html"
    assert differences(site.output, fresh_build(site)[0]) == []
