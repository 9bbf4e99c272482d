"""The fan-out of feedback item changes, explicitly: what a vote, status, new item, removal or merge rewrites."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from lxml import html

from cluetrain.content_format import StatusChange, move_thread_comments, read_feedback, remove_feedback, write_feedback
from cluetrain.incremental import UpdateMode
from tests.feedback_helpers import day, item_page, write_item
from tests.incremental_helpers import differences, fresh_build, resident

PER_PAGE = {"FEEDBACK_PER_PAGE": 2}  # six items: three pages per listing, so order changes show


@pytest.fixture
def hub(site):
    """Six ideas (item n has n votes, filed on day n; odd ones tagged ui, even ones api) and a post."""
    site.post("p1")
    for number in range(1, 7):
        write_item(site.content, number, f"Item number {number}", votes=number, created=number,
                   tags=("ui",) if number % 2 else ("api",))
    return site


def _change(site, item_id: int, **changes):
    path = next((site.content / "feedback").glob(f"{item_id}-*.md"))
    write_feedback(site.content, dataclasses.replace(read_feedback(path), **changes))
    return path


def _listing_pages(written: list[str]) -> set[str]:
    """The hub's listing, roadmap and tag pages among ``written`` (item pages start with their id)."""
    return {path for path in written if path.startswith("feedback/") and path.endswith("index.html")
            and not path.removeprefix("feedback/")[:1].isdigit()}


def test_a_vote_batch_rewrites_the_item_and_exactly_the_listing_pages_that_change(hub):
    resident_site = resident(hub, **PER_PAGE)
    report = resident_site.update([_change(hub, 2, votes=5)])  # now ties item 5: top order 6, 5, 2, 4, 3, 1
    assert report.mode is UpdateMode.INCREMENTAL
    assert report.written[0] == "feedback/2-item-number-2/index.html"
    # Pages that show item 2 (its card's vote count) or whose order changed; not the first pages.
    assert _listing_pages(report.written) == {
        "feedback/page/3/index.html", "feedback/new/page/3/index.html",
        "feedback/top/page/2/index.html", "feedback/top/page/3/index.html",
        "feedback/status/new/page/2/index.html", "feedback/status/new/page/3/index.html",
        "feedback/kind/idea/page/2/index.html", "feedback/kind/idea/page/3/index.html",
        "feedback/tags/api/index.html", "feedback/tags/api/page/2/index.html",
    }
    assert {"feedback/titles.json", "sitemap.xml"} <= set(report.written)
    # Votes are in no feed, not in threads.json, and on no other item's page.
    assert not [path for path in report.written if path.startswith(("feeds/", "threads.json"))]
    assert not [path for path in report.written if path.startswith(("feedback/1-", "feedback/3-", "feedback/6-"))]
    assert report.removed == []
    assert differences(hub.output, fresh_build(hub, **PER_PAGE)[0]) == []


def test_a_status_change_rewrites_both_status_listings_the_roadmap_and_the_status_feed(hub):
    resident_site = resident(hub, **PER_PAGE)
    item = read_feedback(next((hub.content / "feedback").glob("2-*.md")))
    path = _change(hub, 2, status="planned", history=(*item.history, StatusChange("planned", day(10), "Mod")))
    report = resident_site.update([path])
    assert report.mode is UpdateMode.INCREMENTAL
    assert report.written[0] == "feedback/2-item-number-2/index.html"
    assert {"feedback/status/new/page/3/index.html", "feedback/status/planned/index.html",
            "feedback/roadmap/index.html", "feeds/feedback/status.atom.xml", "feeds/feedback/2.atom.xml",
            # most recently active now: every page of the hub's first listing moves
            "feedback/index.html", "feedback/page/2/index.html", "feedback/page/3/index.html"} <= set(report.written)
    assert not {"feedback/status/new/index.html", "feedback/status/new/page/2/index.html",
                "feeds/feedback/new.atom.xml", "feedback/status/done/index.html"} & set(report.written)
    assert differences(hub.output, fresh_build(hub, **PER_PAGE)[0]) == []


def test_a_new_item_adds_its_page_thread_and_sitemap_entry_and_takes_comments_incrementally(hub):
    resident_site = resident(hub, **PER_PAGE)
    item = write_item(hub.content, 7, "Offline sync", created=20, tags=("docs",))
    report = resident_site.update([hub.content / "feedback" / item.file_name])
    assert report.mode is UpdateMode.INCREMENTAL
    assert report.written[0] == "feedback/7-offline-sync/index.html"
    assert {"feeds/feedback/new.atom.xml", "feeds/feedback/7.atom.xml", "feedback/tags/docs/index.html",
            "feedback/tags/index.html", "feedback/page/4/index.html", "threads.json"} <= set(report.written)
    threads = {t["key"] for t in json.loads(hub.read("threads.json"))["threads"]}
    assert "feedback-7" in threads
    assert "/feedback/7-offline-sync/" in hub.read("sitemap.xml")
    hub.comment("feedback-7", "c1", body="Yes please.")
    report = resident_site.update([hub.content / "comments" / "feedback-7" / "c1.md"])
    assert report.mode is UpdateMode.INCREMENTAL and report.written[0] == "feedback/7-offline-sync/index.html"
    assert item_page(hub, item).xpath('//article[@id="comment-c1"]')
    assert differences(hub.output, fresh_build(hub, **PER_PAGE)[0]) == []


def test_a_removed_item_loses_its_page_feeds_thread_and_last_tag_listing(hub):
    write_item(hub.content, 7, "Offline sync", created=20, tags=("docs",))
    hub.comment("feedback-7", "c1")
    resident_site = resident(hub, **PER_PAGE)
    comment = hub.content / "comments" / "feedback-7" / "c1.md"
    comment.unlink()  # the service takes the item's comments down with it
    report = resident_site.update([comment, remove_feedback(hub.content, 7)])
    assert report.mode is UpdateMode.INCREMENTAL
    # Its page and feeds, its tag's only listing, and the fourth page of every listing that had seven items.
    fourth_pages = {f"feedback/{listing}page/4/index.html" for listing in ("", "top/", "new/", "status/new/",
                                                                           "kind/idea/")}
    assert set(report.removed) == {"feedback/7-offline-sync/index.html", "feeds/feedback/7.atom.xml",
                                   "feeds/comments/feedback-7.atom.xml", "feedback/tags/docs/index.html",
                                   *fourth_pages}
    assert not (hub.output / "feedback" / "7-offline-sync").exists()
    assert "feedback-7" not in {t["key"] for t in json.loads(hub.read("threads.json"))["threads"]}
    assert differences(hub.output, fresh_build(hub, **PER_PAGE)[0]) == []


def test_a_merge_moves_votes_and_comments_and_a_retitled_original_rewrites_its_duplicates_page(hub):
    hub.comment("feedback-5", "c1", body="Me too.")
    resident_site = resident(hub)
    moved = [hub.content / "comments" / key / "c1.md" for key in ("feedback-5", "feedback-6")]
    move_thread_comments(hub.content, "feedback-5", "feedback-6")
    duplicate = read_feedback(next((hub.content / "feedback").glob("5-*.md")))
    history = (*duplicate.history, StatusChange("duplicate", duplicate.date + timedelta(days=1), "Mod"))
    paths = [_change(hub, 6, votes=11), _change(hub, 5, votes=0, merged_into=6, status="duplicate", history=history)]
    report = resident_site.update(moved + paths)
    assert report.mode is UpdateMode.INCREMENTAL
    assert {"feedback/5-item-number-5/index.html", "feedback/6-item-number-6/index.html"} <= set(report.written)
    assert hub.html("feedback/5-item-number-5/index.html").xpath('//p[contains(@class, "fb-merged")]/a/@href')
    assert hub.html("feedback/6-item-number-6/index.html").xpath('//article[@id="comment-c1"]')
    assert differences(hub.output, fresh_build(hub)[0]) == []
    report = resident_site.update([_change(hub, 6, title="Item six, retitled")])
    assert report.mode is UpdateMode.INCREMENTAL
    assert "feedback/5-item-number-5/index.html" in report.written  # "merged into #6 “Item six, retitled”"
    assert "feedback/4-item-number-4/index.html" not in report.written
    assert differences(hub.output, fresh_build(hub)[0]) == []
    report = resident_site.update([remove_feedback(hub.content, 5)])  # the duplicate taken down
    assert report.mode is UpdateMode.INCREMENTAL
    assert "feedback/6-item-number-6/index.html" in report.written  # no longer "also requested as #5"
    assert differences(hub.output, fresh_build(hub)[0]) == []


def test_a_batch_of_comments_and_feedback_changes_is_one_incremental_update(hub):
    resident_site = resident(hub)
    hub.comment("p1", "c1")
    hub.comment("feedback-3", "c2")
    paths = [hub.content / "comments" / "p1" / "c1.md", hub.content / "comments" / "feedback-3" / "c2.md",
             _change(hub, 4, votes=9), _change(hub, 3, answer=None, body="Edited.")]
    report = resident_site.update(paths)
    assert report.mode is UpdateMode.INCREMENTAL
    assert {"posts/p1/index.html", "feedback/3-item-number-3/index.html",
            "feedback/4-item-number-4/index.html"} <= set(report.written)
    assert differences(hub.output, fresh_build(hub)[0]) == []


def test_votes_for_a_contributor_update_the_contributors_page_and_their_badge_on_every_thread(site):
    site.post("p1")
    site.post("p2")
    key = "a" * 16
    site.comment("p1", "c1", contributor=key)  # 1 point, plus 2 for filing and 1 per vote: Newcomer below 10
    write_item(site.content, 1, "Dark mode", votes=1, contributor=key)
    resident_site = resident(site)
    report = resident_site.update([_change(site, 1, votes=3)])
    assert report.mode is UpdateMode.INCREMENTAL
    assert "community/contributors/index.html" in report.written
    assert "posts/p1/index.html" not in report.written  # same level, same badge
    assert differences(site.output, fresh_build(site)[0]) == []
    report = resident_site.update([_change(site, 1, votes=9)])  # 12 points: Regular, a badge on every thread
    assert report.mode is UpdateMode.INCREMENTAL, report.reason
    assert "posts/p1/index.html" in report.written and "posts/p2/index.html" not in report.written
    assert _badges(site, "posts/p1/index.html") == ["Regular"]
    assert differences(site.output, fresh_build(site)[0]) == []
    (site.content / "comments" / "p1" / "c1.md").unlink()  # 11 points: still Regular, nothing else to show
    report = resident_site.update([site.content / "comments" / "p1" / "c1.md"])
    assert report.mode is UpdateMode.INCREMENTAL and differences(site.output, fresh_build(site)[0]) == []


def test_a_first_level_reached_later_shows_on_earlier_threads(site):
    levels = ((5, "Regular"), (20, "Expert"))  # no level below 5 points: a contributor's first badge comes late
    site.post("p1")
    site.post("p2")
    key = "b" * 16
    for number in range(4):
        site.comment("p1", f"c{number}", contributor=key)
    resident_site = resident(site, COMMUNITY_CONTRIBUTOR_LEVELS=levels)
    assert _badges(site, "posts/p1/index.html") == []
    site.comment("p2", "c9", contributor=key)  # the fifth point
    report = resident_site.update([site.content / "comments" / "p2" / "c9.md"])
    assert report.mode is UpdateMode.INCREMENTAL, report.reason
    assert _badges(site, "posts/p1/index.html") == ["Regular"] * 4
    assert differences(site.output, fresh_build(site, COMMUNITY_CONTRIBUTOR_LEVELS=levels)[0]) == []
    (site.content / "comments" / "p2" / "c9.md").unlink()  # back under 5 points: every badge goes again
    report = resident_site.update([site.content / "comments" / "p2" / "c9.md"])
    assert report.mode is UpdateMode.INCREMENTAL and _badges(site, "posts/p1/index.html") == []
    assert differences(site.output, fresh_build(site, COMMUNITY_CONTRIBUTOR_LEVELS=levels)[0]) == []


def _badges(site, page: str) -> list[str]:
    tree = html.fromstring(site.read(page))
    return [badge.text_content() for badge in tree.xpath("//*[contains(@class, 'contributor-badge ')]")]
