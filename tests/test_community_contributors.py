"""The contributors page in a real build: people ranked by known counts and points, levels from the
settings, badges beside names in threads; unconfirmed commenters are not ranked."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cluetrain.build import BuildError
from plugins.cluetrain_community.contributors import Level, Measure, check_levels, check_points, level_for

from .conftest import Site
from .feedback_helpers import write_item

ADA, BO = "a" * 16, "b" * 16
POINTS = {"comment": 1, "feedback": 2, "done": 5, "vote": 1, "helpful": 5}
LEVELS = ((0, "Newcomer"), (10, "Regular"), (20, "Expert"))


def when(day: int) -> datetime:
    return datetime(2026, 1, day, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Ada: 3 comments (1 helpful, 1 rewarded) + 1 done item with 4 votes = 3+5+2+5+4 = 19 → Regular.
    Bo: 1 comment + 1 new item with 1 vote = 1+2+1 = 4 → Newcomer. Cy has no key: not ranked."""
    root = tmp_path_factory.mktemp("contributors")
    (root / "content" / "posts").mkdir(parents=True)
    site = Site(root)
    site.post("alpha", date="2026-01-05 10:00")
    site.post("beta", date="2026-01-06 10:00")
    site.comment("alpha", "c1", author="Ada", date=when(6), contributor=ADA, helpful=True)
    site.comment("alpha", "c2", author="Bo", date=when(7), contributor=BO, parent="c1")
    site.comment("alpha", "c3", author="Cy", date=when(8))
    site.comment("beta", "c4", author="Ada L.", date=when(9), contributor=ADA, rewarded="Conference ticket")
    site.comment("beta", "c5", author="Ada L.", date=when(10), contributor=ADA)
    write_item(site.content, 1, "Dark mode", status="done", changed={"done": 10}, votes=4, author="Ada",
               contributor=ADA)
    write_item(site.content, 2, "Export", votes=1, author="Bo", contributor=BO)
    site.build(COMMUNITY_CONTRIBUTOR_POINTS=POINTS, COMMUNITY_CONTRIBUTOR_LEVELS=LEVELS)
    return site


def test_contributors_are_ranked_with_known_counts(site):
    page = site.html("community/contributors/index.html")
    rows = page.xpath("//table[@data-table='contributors']/tbody/tr")
    assert [row.get("data-contributor") for row in rows] == [ADA, BO]
    ada = {cell.get("data-stat"): cell.text_content() for cell in rows[0].xpath("td[@data-stat]")}
    assert ada == {"points": "19", "comment": "3", "feedback": "1", "done": "1", "vote": "4", "helpful": "1"}
    assert rows[0].xpath("string(th)") == "Ada L."  # the name on the newest comment
    assert "Regular" in rows[0].text_content() and "Conference ticket" in rows[0].text_content()
    assert "Newcomer" in rows[1].text_content()
    assert "Cy" not in page.text_content()


def test_badges_beside_names_in_threads(site):
    thread = next(site.html(str(p.relative_to(site.output))) for p in site.output.rglob("*.html")
                  if 'id="comment-c1"' in p.read_text(encoding="utf-8"))

    def badges(comment_id: str) -> list[str]:
        return thread.xpath(f"//*[@id='{comment_id}']/header//span[contains(@class, 'badge')]/text()")

    assert badges("comment-c1") == ["Regular", "Helpful answer"]
    assert badges("comment-c2") == ["Newcomer"]
    assert badges("comment-c3") == []  # no confirmed e-mail, no level


def test_contributor_keys_but_never_addresses_in_output(site):
    for path in site.output.rglob("*.html"):
        assert "@example" not in path.read_text(encoding="utf-8")


def test_points_and_levels_settings_are_checked():
    assert check_points({"comment": 3})[Measure.VOTE] == 0
    with pytest.raises(ValueError, match="unknown keys"):
        check_points({"likes": 1})
    with pytest.raises(ValueError, match="rising"):
        check_levels(((10, "B"), (0, "A")))
    levels = check_levels(LEVELS)
    assert level_for(9, levels) == Level("Newcomer", 0) and level_for(25, levels).name == "Expert"


def test_a_bad_points_setting_fails_the_build(tmp_path):
    (tmp_path / "content" / "posts").mkdir(parents=True)
    site = Site(tmp_path)
    site.post("alpha")
    with pytest.raises(BuildError, match="COMMUNITY_CONTRIBUTOR_POINTS"):
        site.build(COMMUNITY_CONTRIBUTOR_POINTS={"likes": 1})


def test_incremental_updates_keep_badges_equal_to_a_full_build(tmp_path):
    """A newcomer's first comment, and crossing a level (a badge on other threads), update incrementally."""
    from cluetrain.incremental import UpdateMode
    from tests.incremental_helpers import differences, fresh_build, populate, resident

    site = Site(tmp_path)
    threads = populate(site)
    site.comment(threads[0], "k1", contributor=ADA, date=when(3))
    resident_site = resident(site)
    site.comment(threads[1], "k2", author="Bo", contributor=BO, date=when(4))
    assert resident_site.update([site.content / "comments" / threads[1] / "k2.md"]).mode is UpdateMode.INCREMENTAL
    assert differences(site.output, fresh_build(site)[0]) == []
    site.comment(threads[1], "k3", contributor=ADA, date=when(5), helpful=True)
    site.comment(threads[1], "k4", contributor=ADA, date=when(6), helpful=True)  # 3 comments + 2 helpful = 13: Regular
    report = resident_site.update([site.content / "comments" / threads[1] / name for name in ("k3.md", "k4.md")])
    assert report.mode is UpdateMode.INCREMENTAL
    assert f"posts/{threads[0]}/index.html" in report.written  # Ada's first comment there shows her new badge
    assert differences(site.output, fresh_build(site)[0]) == []
