"""The community pages in real builds: stats and per-author numbers on a fixture site with known counts,
SVG charts with their data tables, the rules page from the rules TOML, links from forms, the sitemap."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from lxml import etree

from cluetrain.content_format.moderation_stats import ModerationMonth, write_moderation_stats
from cluetrain.rules_summary import PACKAGED_RULES_FILE, load_rules_document, rules_in_force

from .conftest import Site
from .feedback_helpers import day, write_item

SVG = "{http://www.w3.org/2000/svg}svg"
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
CUSTOM_RULES = """
[hold]
all = true
[reject]
words = ["casino", "pills"]
[limits]
flood_seconds = 120
"""


def when(month: int, day_of_month: int = 1) -> datetime:
    return datetime(2026, month, day_of_month, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def community(tmp_path_factory):
    """3 posts by 2 authors, 5 comments, 3 feedback items, exported moderation counts; built once."""
    root = tmp_path_factory.mktemp("community")
    (root / "content" / "posts").mkdir(parents=True)
    site = Site(root)
    site.post("alpha", date="2026-01-05 10:00", author="Maya Okafor")
    site.post("beta", date="2026-01-20 10:00", author="Tomás Reyes")
    site.post("gamma", date="2026-03-02 10:00", author="Maya Okafor")
    site.page("community-rules", title="Community rules", template="community/rules", body="Be kind.")
    site.comment("alpha", "c1", author="Ada", date=when(1, 6))
    site.comment("alpha", "c2", author="Bo", date=when(1, 7), parent="c1")
    site.comment("beta", "c3", author="Ada", date=when(2, 1))
    site.comment("gamma", "c4", author="Cy", date=when(3, 3))
    write_item(site.content, 1, "Dark mode", created=1, status="done", changed={"done": 10},
               answer=("Priya", 3, "Shipped."))  # answered after 48 hours, resolved in January
    write_item(site.content, 2, "Export", kind="bug", created=5, answer=("Priya", 6, "Looking."))  # 24 hours
    write_item(site.content, 3, "Dark theme", created=40, status="duplicate", changed={"duplicate": 41},
               merged_into=1)  # filed in February; a merge is not a resolution
    site.comment("feedback-2", "c5", author="Dee", date=day(35))
    write_moderation_stats(site.content, [ModerationMonth("2026-01", published=3, held=2, spam=7),
                                          ModerationMonth("2026-03", published=1, held=1)])
    (root / "rules.toml").write_text(CUSTOM_RULES, encoding="utf-8")
    site.build(COMMUNITY_RULES_FILE="rules.toml")
    return site


def table(page, chart: str) -> dict[str, list[str]]:
    rows = page.xpath(f'//table[@data-chart="{chart}"]/tbody/tr')
    return {row.xpath("string(th)"): [td.text_content() for td in row.xpath("td")] for row in rows}


def headline(page) -> dict[str, str]:
    return {dd.get("data-stat"): dd.text_content().strip() for dd in page.xpath('//dl[@class="community-headline"]//dd')}


def test_headline_numbers_match_the_fixture(community):
    page = community.html("community/index.html")
    assert headline(page) == {"posts": "3", "comments": "5", "commenters": "4", "feedback-filed": "3",
                              "feedback-resolved": "1", "median-answer": "36.0 hours"}


def test_monthly_tables_hold_the_known_counts(community):
    page = community.html("community/index.html")
    assert table(page, "posts") == {"2026-01": ["2"], "2026-02": ["0"], "2026-03": ["1"]}
    assert table(page, "comments") == {"2026-01": ["2"], "2026-02": ["2"], "2026-03": ["1"]}
    assert table(page, "feedback") == {"2026-01": ["2", "1"], "2026-02": ["1", "0"], "2026-03": ["0", "0"]}
    assert table(page, "answer-time") == {"2026-01": ["36"], "2026-02": ["–"], "2026-03": ["–"]}
    assert table(page, "moderation") == {"2026-01": ["3", "2"], "2026-02": ["0", "0"], "2026-03": ["1", "1"]}


def test_every_chart_is_an_svg_file_beside_its_table(community):
    page = community.html("community/index.html")
    sections = page.xpath('//section[contains(@class, "community-chart")]')
    assert [s.get("id") for s in sections] == [
        "chart-posts", "chart-comments", "chart-feedback", "chart-answer-time", "chart-moderation"]
    for section in sections:
        slug = section.get("id").removeprefix("chart-")
        image = section.xpath(".//img")[0]
        assert image.get("alt") and image.get("src") == f"http://127.0.0.1:8000/community/charts/{slug}.svg"
        assert section.xpath(f'.//table[@data-chart="{slug}"]/caption')
        svg = etree.fromstring((community.output / f"community/charts/{slug}.svg").read_bytes())
        assert svg.tag == SVG and svg.findtext("{http://www.w3.org/2000/svg}title")
    assert not page.xpath("//script[not(@type) or @type!='application/ld+json'][not(@src)]")  # no inline script


def test_charts_are_reproducible(community):
    before = (community.output / "community/charts/feedback.svg").read_bytes()
    community.build(COMMUNITY_RULES_FILE="rules.toml")
    assert (community.output / "community/charts/feedback.svg").read_bytes() == before


def test_author_pages_count_posts_and_comments_received(community):
    maya = community.html("community/authors/maya-okafor/index.html")
    assert headline(maya) == {"posts": "2", "comments-received": "3", "commenters": "3"}
    rows = [[cell.text_content() for cell in row] for row in maya.xpath('//table[@data-table="posts"]/tbody/tr')]
    assert [(row[0], row[2]) for row in rows] == [("Gamma", "1"), ("Alpha", "2")]
    assert table(maya, "author-maya-okafor") == {"2026-01": ["1", "2"], "2026-02": ["0", "0"], "2026-03": ["1", "1"]}
    tomas = community.html("community/authors/tomas-reyes/index.html")
    assert headline(tomas) == {"posts": "1", "comments-received": "1", "commenters": "1"}
    stats = community.html("community/index.html")
    assert stats.xpath('//section[@class="community-authors"]//a/@href') == [
        "http://127.0.0.1:8000/community/authors/maya-okafor/", "http://127.0.0.1:8000/community/authors/tomas-reyes/"]


def test_rules_page_summarises_the_configured_rules_file(community):
    page = community.html("community-rules/index.html")
    assert "Be kind." in page.xpath("string(//div[contains(@class, 'post-content')])")
    rules = {li.get("data-rule"): li.get("data-outcome") for li in page.xpath('//ol[@class="community-rule-list"]/li')}
    assert rules["hold_all"] == "held" and rules["disallowed_words"] == "rejected"
    assert "120" not in rules and "2 minutes" in page.xpath("string(//li[@data-rule='flood'])")
    assert "casino" not in community.read("community-rules/index.html")  # the words themselves stay private
    assert rules["max_links"] == "held"  # not in the site's file: the packaged default applies, as in the service


def test_every_form_and_page_links_the_rules(community):
    post = community.html("posts/alpha/index.html")
    rules_url = "http://127.0.0.1:8000/community-rules/"
    assert rules_url in post.xpath('//form[@id="comment-form"]//a/@href')
    assert rules_url in post.xpath("//footer//a/@href")
    assert post.xpath('//nav[contains(@class, "site-nav")]//a[text()="Community"]/@href') == [
        "http://127.0.0.1:8000/community/"]
    hub = community.html("feedback/index.html")
    assert rules_url in hub.xpath('//form[@id="feedback-form"]//a/@href')


def test_community_pages_are_in_the_sitemap(community):
    locs = etree.fromstring(community.read("sitemap.xml").encode()).xpath("//s:loc/text()", namespaces=SITEMAP)
    assert {"http://127.0.0.1:8000/community/", "http://127.0.0.1:8000/community/authors/maya-okafor/"} <= set(locs)


def test_packaged_rules_summary_matches_the_service_defaults():
    """The plugin's reading of the packaged file agrees with the service's RuleSet defaults."""
    from comments_service.rules import RuleSet, load_rules

    assert load_rules(PACKAGED_RULES_FILE) == RuleSet()
    keys = [rule.rule for rule in rules_in_force(load_rules_document())]
    assert keys == ["duplicate", "flood", "rate_limit", "fill_time", "max_links", "unproven_identity", "verified",
                    "known_author", "default"]
