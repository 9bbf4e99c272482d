"""Community pages in the resident builder: every update's stats, author and contributor pages and charts are
those of a fresh full build, and the outputs it names are the ones whose data changed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from cluetrain.content_format import (
    Answer,
    StatusChange,
    find_feedback_file,
    read_feedback,
    remove_feedback,
    write_feedback,
)
from cluetrain.content_format.moderation_stats import ModerationMonth, write_moderation_stats
from cluetrain.incremental import UpdateMode
from tests.feedback_helpers import write_item
from tests.incremental_helpers import differences, fresh_build, resident


def _commenters(site) -> str:
    return site.html("community/authors/maya-okafor/index.html").xpath("//dd[@data-stat='commenters']")[0].text


def test_a_renamed_commenter_reaches_the_author_page(site):
    site.post("p1", author="Maya Okafor")
    site.comment("p1", "c1", author="Ada", date=datetime(2026, 2, 1, tzinfo=UTC))
    site.comment("p1", "c2", author="Bob", date=datetime(2026, 2, 2, tzinfo=UTC))
    resident_site = resident(site)
    assert _commenters(site) == "2"
    # Same count, same months: only the number of distinct names changes.
    path = site.content / "comments" / "p1" / "c2.md"
    site.comment("p1", "c2", author="Ada", date=datetime(2026, 2, 2, tzinfo=UTC))
    report = resident_site.update([path])
    assert report.mode is UpdateMode.INCREMENTAL
    assert "community/authors/maya-okafor/index.html" in report.written
    assert _commenters(site) == "1"


# --- The running totals through the resident builder: each update leaves the site as a fresh full build makes it.

LEVELS = ((0, "Newcomer"), (3, "Regular"), (6, "Expert"))
ADA_KEY, BO_KEY = "a" * 16, "b" * 16


def _community(written: list[str]) -> set[str]:
    return {path for path in written if path.startswith("community/")}


def _update(site, resident_site, *paths) -> list[str]:
    report = resident_site.update(list(paths))
    assert report.mode is UpdateMode.INCREMENTAL, report.reason
    assert differences(site.output, fresh_build(site, COMMUNITY_CONTRIBUTOR_LEVELS=LEVELS)[0]) == []
    return report.written


def _item(site, item_id: int, **changes):
    path = find_feedback_file(site.content, item_id)
    write_feedback(site.content, dataclasses.replace(read_feedback(path), **changes))
    return path


def test_comments_feedback_and_levels_keep_the_community_pages_equal_to_a_full_build(site):
    site.post("p1", date="2026-01-05 10:00", author="Maya Okafor")
    site.post("p2", date="2026-02-05 10:00", author="Tom Reyes")
    site.comment("p1", "c1", author="Ada", date=datetime(2026, 1, 6, tzinfo=UTC), contributor=ADA_KEY)
    write_item(site.content, 1, "Dark mode", votes=1, created=3, author="Bo", contributor=BO_KEY)
    write_item(site.content, 2, "Export", votes=2, created=40, answer=("Priya", 41, "Soon."))
    resident_site = resident(site, COMMUNITY_CONTRIBUTOR_LEVELS=LEVELS)
    comments = site.content / "comments"

    # A comment in a month with none yet: the comments chart, the stats page, Tom's page and chart.
    site.comment("p2", "c2", author="Cy", date=datetime(2026, 3, 2, tzinfo=UTC))
    written = _community(_update(site, resident_site, comments / "p2" / "c2.md"))
    assert {"community/index.html", "community/charts/comments.svg", "community/authors/tom-reyes/index.html",
            "community/charts/author-tom-reyes.svg"} <= written
    assert "community/authors/maya-okafor/index.html" not in written
    # A commenter renamed: same counts and months, one name fewer (the headline's and Tom's commenters).
    site.comment("p2", "c2", author="Ada", date=datetime(2026, 3, 2, tzinfo=UTC))
    assert "community/index.html" in _community(_update(site, resident_site, comments / "p2" / "c2.md"))
    # Votes on an item nobody confirmed: nothing the community pages show.
    assert _community(_update(site, resident_site, _item(site, 2, votes=7))) == set()
    # Votes on Bo's item: his points (1 + 2 for filing → 5), the contributors page and his new level.
    written = _community(_update(site, resident_site, _item(site, 1, votes=3)))
    assert written == {"community/contributors/index.html"}
    # A status change to done (5 more points: Expert), then an answer (the answer-time chart).
    item = read_feedback(find_feedback_file(site.content, 1))
    done = StatusChange("done", item.date + timedelta(days=2), "Mod")
    written = _community(_update(site, resident_site, _item(site, 1, status="done", history=(*item.history, done))))
    assert {"community/contributors/index.html", "community/charts/feedback.svg"} <= written
    answer = Answer("Shipped.", "Priya", item.date + timedelta(hours=30))
    assert "community/charts/answer-time.svg" in _community(_update(site, resident_site, _item(site, 1, answer=answer)))
    # Ada's second and third comments take her to Regular: her badge on p1 changes too.
    site.comment("p2", "c3", author="Ada L.", date=datetime(2026, 3, 3, tzinfo=UTC), contributor=ADA_KEY)
    site.comment("p2", "c4", author="Ada L.", date=datetime(2026, 3, 4, tzinfo=UTC), contributor=ADA_KEY,
                 rewarded="Mug")
    report_paths = _update(site, resident_site, comments / "p2" / "c3.md", comments / "p2" / "c4.md")
    assert "posts/p1/index.html" in report_paths
    # A merge of item 2 into item 1 (a merge is not a resolution); then comments taken down, back under Regular.
    _item(site, 1, votes=10)
    _update(site, resident_site, _item(site, 2, votes=0, merged_into=1, status="duplicate",
                                       history=(*read_feedback(find_feedback_file(site.content, 2)).history,
                                                StatusChange("duplicate", item.date + timedelta(days=50), "Mod"))),
            find_feedback_file(site.content, 1))
    for name in ("c3.md", "c4.md"):
        (comments / "p2" / name).unlink()
    assert "posts/p1/index.html" in _update(site, resident_site, comments / "p2" / "c3.md", comments / "p2" / "c4.md")
    # A new item and a removed one, in one batch (the hub's list keeps its length).
    write_item(site.content, 3, "Offline", created=60, author="Dee", contributor=ADA_KEY)
    remove_feedback(site.content, 2)
    _update(site, resident_site, find_feedback_file(site.content, 3), site.content / "feedback" / "2-export.md")


def test_moderation_counts_are_read_again_with_each_update(site):
    site.post("p1", date="2026-01-05 10:00")
    resident_site = resident(site, COMMUNITY_CONTRIBUTOR_LEVELS=LEVELS)
    write_moderation_stats(site.content, [ModerationMonth("2026-01", published=3, held=2)])
    site.comment("p1", "c1", date=datetime(2026, 1, 6, tzinfo=UTC))
    written = _community(_update(site, resident_site, site.content / "comments" / "p1" / "c1.md"))
    assert "community/charts/moderation.svg" in written


def test_without_a_warm_up_the_first_update_compares_everything(site):
    # The totals are made after a full build; an update that finds none makes them then, from the content as it is.
    site.post("p1", date="2026-01-05 10:00")
    site.comment("p1", "c1", contributor=ADA_KEY, date=datetime(2026, 1, 6, tzinfo=UTC))
    resident_site = resident(site, COMMUNITY_CONTRIBUTOR_LEVELS=LEVELS)
    generator = next(g for g in resident_site.pelican.plugin_generators() if hasattr(g, "threads_to_rerender"))
    generator._totals = None
    for number in (2, 3):
        site.comment("p1", f"c{number}", contributor=ADA_KEY, date=datetime(2026, 2, number, tzinfo=UTC))
    written = _update(site, resident_site, *(site.content / "comments" / "p1" / f"c{n}.md" for n in (2, 3)))
    assert {"community/contributors/index.html", "community/index.html"} <= _community(written)
    assert _badges_of(site) == ["Regular"] * 3
    site.comment("p1", "c4", author="Bo", date=datetime(2026, 2, 9, tzinfo=UTC))
    _update(site, resident_site, site.content / "comments" / "p1" / "c4.md")


def _badges_of(site) -> list[str]:
    page = site.html("posts/p1/index.html")
    return [badge.text_content() for badge in page.xpath("//*[contains(@class, 'contributor-badge ')]")]
