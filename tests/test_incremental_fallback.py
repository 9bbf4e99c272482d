"""Changes the resident site cannot apply incrementally fall back to a full build, and stay correct."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

import pytest

from cluetrain.build import BuildError
from cluetrain.content_format import dumps_feedback, read_feedback, remove_feedback, write_feedback
from cluetrain.incremental import ChangeKind, UpdateMode, classify
from cluetrain.incremental.changes import classify_path
from tests.conftest import REPO
from tests.feedback_helpers import write_item
from tests.incremental_helpers import differences, fresh_build, overrides, resident


def test_changed_files_are_classified(site):
    content = site.content
    assert classify_path(content / "comments" / "hello" / "c1.md", content) == (ChangeKind.COMMENT, "hello")
    assert classify_path(content / "feedback" / "12-dark-mode.md", content) == (ChangeKind.FEEDBACK, 12)
    assert classify_path(content / "posts" / "hello.md", content)[0] is ChangeKind.OTHER
    assert classify_path(site.root / "theme" / "templates" / "base.html", content)[0] is ChangeKind.OTHER
    changes = classify([content / "comments" / "a" / "1.md", content / "posts" / "a.md"], content)
    assert changes.threads == {"a"} and changes.needs_full_build


def test_a_post_title_edit_falls_back_to_a_full_build(site):
    site.post("p1", title="Before")
    resident_site = resident(site)
    path = site.post("p1", title="After")
    report = resident_site.update([path])
    assert report.mode is UpdateMode.FULL and "p1.md" in report.reason
    # What the builder logs and `cluetrain serve` prints: the build's time, and nothing removed.
    assert report.seconds > 0 and report.first_page_seconds == report.seconds and report.removed == []
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


def _items(site, *tags):
    site.post("p1")
    for number, tag in enumerate(tags, start=1):
        write_item(site.content, number, f"Item {number}", votes=number, created=number, tags=(tag,))


def test_a_feedback_slug_change_moves_its_page_incrementally(site):
    _items(site, "ui", "api")
    resident_site = resident(site)
    old = next((site.content / "feedback").glob("2-*.md"))
    item = dataclasses.replace(read_feedback(old), slug="renamed")
    report = resident_site.update([old, write_feedback(site.content, item)])
    assert report.mode is UpdateMode.INCREMENTAL
    assert report.removed == ["feedback/2-item-2/index.html"] and report.written[0] == "feedback/2-renamed/index.html"
    assert differences(site.output, fresh_build(site)[0]) == []


def test_a_tag_shown_under_another_name_builds_in_full(site):
    _items(site, "UI", "ui")  # the tag is named as item 1 first wrote it: "UI", on both items' pages
    resident_site = resident(site)
    path = next((site.content / "feedback").glob("1-*.md"))
    write_feedback(site.content, dataclasses.replace(read_feedback(path), tags=()))
    report = resident_site.update([path])
    assert report.mode is UpdateMode.FULL and "tag 'ui'" in report.reason
    assert differences(site.output, fresh_build(site)[0]) == []


def test_a_removed_item_whose_comments_remain_fails_like_a_full_build(site):
    _items(site, "ui")
    site.comment("feedback-1", "c1")
    resident_site = resident(site)
    with pytest.raises(BuildError, match="matches no post"):
        resident_site.update([remove_feedback(site.content, 1)])


def test_two_files_for_one_item_build_in_full_and_fail_like_one(site):
    _items(site, "ui")
    resident_site = resident(site)
    item = read_feedback(next((site.content / "feedback").glob("1-*.md")))
    copy = site.content / "feedback" / "1-copy.md"  # written by hand: write_feedback removes the other slug
    copy.write_text(dumps_feedback(dataclasses.replace(item, slug="copy")), encoding="utf-8")
    with pytest.raises(BuildError, match="feedback id 1 is also used"):
        resident_site.update([copy])


def test_changes_named_once_are_not_found_again_by_timestamps(site):
    site.post("p1")
    site.post("p2")
    resident_site = resident(site)
    site.comment("p1", "c1")
    assert resident_site.update([site.content / "comments" / "p1" / "c1.md"]).mode is UpdateMode.INCREMENTAL
    assert resident_site.update([]).reason == "nothing changed"  # c1 was applied already
    site.comment("p2", "c2")
    (site.content / "comments" / "p1" / "c1.md").unlink()
    assert resident_site.update([site.content / "comments" / "p1" / "c1.md"]).mode is UpdateMode.INCREMENTAL
    report = resident_site.update([])  # only c2, which nobody named, is left to find
    assert report.mode is UpdateMode.INCREMENTAL and report.written[0] == "posts/p2/index.html"
    assert "posts/p1/index.html" not in report.written
    assert differences(site.output, fresh_build(site)[0]) == []


def test_the_chart_renderer_is_loaded_by_the_full_build_not_by_the_first_approval(site):
    site.post("p1")
    resident(site)  # a first full build draws the charts into the cache
    script = textwrap.dedent(f"""
        import sys
        import datetime
        sys.path.insert(0, {str(REPO)!r})
        from cluetrain.incremental import ResidentSite
        ResidentSite({str(REPO)!r}, {overrides(site)!r}).full_build("start")  # every chart from the cache
        print("matplotlib.figure" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip().splitlines()[-1] == "True"  # loaded by the community plugin's warm_up() hook
