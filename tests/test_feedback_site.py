"""The feedback hub in real builds: listings and their order, item pages, JSON-LD, feeds, sitemap, errors."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from cluetrain.build import BuildError
from cluetrain.search import DocType, SearchIndex, SearchRequest

from .conftest import Site
from .feedback_helpers import day, item_page, listed_ids, write_item

ATOM = {"a": "http://www.w3.org/2005/Atom"}
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SITE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """Eight items of every kind and several statuses (one merged), built three to a page (once)."""
    root = tmp_path_factory.mktemp("hub")
    (root / "content" / "posts").mkdir(parents=True)
    site = Site(root)
    site.post("hello")
    items = {
        1: write_item(site.content, 1, "Dark mode", votes=50, created=1, status="planned", changed={"planned": 5},
                      tags=("Dashboard",), answer=("Priya", 6, "Yes, *soon*.")),
        2: write_item(site.content, 2, "Export breaks", kind="bug", votes=10, created=2, status="done",
                      changed={"in-progress": 3, "done": 8}, tags=("export",), answer=("Tomás", 8, "Fixed.")),
        3: write_item(site.content, 3, "Weekly email", votes=30, created=3, status="under-review",
                      changed={"under-review": 4}, tags=("dashboard", "notifications")),
        4: write_item(site.content, 4, "Is it GDPR?", kind="question", votes=5, created=4),
        5: write_item(site.content, 5, "Love it", kind="praise", votes=1, created=5),
        6: write_item(site.content, 6, "Monday email", votes=0, created=6, status="duplicate",
                      changed={"duplicate": 7}, tags=("notifications",), merged_into=3),
        7: write_item(site.content, 7, "Helm chart", votes=30, created=7, status="in-progress",
                      changed={"in-progress": 9}),
        8: write_item(site.content, 8, "Safari loop", kind="bug", votes=2, created=10),
    }
    site.comment("feedback-4", "c1", author="Bo", date=day(20), body="Same question.")
    site.comment("feedback-4", "c2", author="Priya", date=day(21), body="Answered below.", parent="c1")
    site.comment("feedback-1", "c3", author="Cy", date=day(2), body="+1")
    site.build(FEEDBACK_PER_PAGE=3)
    return site, items


def test_every_listing_holds_the_right_items_in_the_right_order(hub):
    site, _ = hub
    expected = {
        "feedback/": [4, 8, 7, 2, 1, 5, 3],  # recently active: comments count as activity; no merged item
        "feedback/top/": [1, 7, 3, 2, 4, 8, 5],  # votes, then newer first on a tie
        "feedback/new/": [8, 7, 5, 4, 3, 2, 1],
        "feedback/answered/": [2, 1],  # by the answer's date
        "feedback/status/new/": [4, 8, 5],
        "feedback/status/planned/": [1],
        "feedback/status/duplicate/": [6],  # the only place a merged item is listed
        "feedback/status/declined/": [],
        "feedback/kind/bug/": [2, 8],
        "feedback/kind/idea/": [1, 7, 3],
        "feedback/kind/question/": [4],
        "feedback/tags/dashboard/": [1, 3],
        "feedback/tags/notifications/": [3],
    }
    assert {url: listed_ids(site, url) for url in expected} == expected
    assert (site.output / "feedback/page/3/index.html").is_file()
    assert not (site.output / "feedback/page/4").exists()
    hub_page = site.html("feedback/index.html")
    assert hub_page.xpath('//form[@id="feedback-form"]/@action') == ["/feedback"]
    assert not site.html("feedback/page/2/index.html").xpath('//form[@id="feedback-form"]')
    assert hub_page.xpath('//nav[contains(@class, "site-nav")]//a[@aria-current="page"]/text()') == ["Feedback"]


def test_roadmap_has_a_column_per_roadmap_status(hub):
    site, _ = hub
    page = site.html("feedback/roadmap/index.html")
    columns = {
        section.get("aria-labelledby").removeprefix("fb-column-"):
            [int(li.get("data-id")) for li in section.xpath('.//li[contains(@class, "fb-item")]')]
        for section in page.xpath('//section[contains(@class, "fb-column")]')
    }
    assert columns == {"planned": [1], "in-progress": [7], "done": [2]}
    assert list(columns) == ["planned", "in-progress", "done"]


def test_item_page_shows_status_votes_answer_history_and_thread(hub):
    site, items = hub
    page = item_page(site, items[1])
    assert page.xpath("//h1/text()") == ["Dark mode"]
    assert page.xpath('string(//header[@class="fb-page-header"]//a[contains(@class, "fb-status")])') == "Planned"
    assert page.xpath('string(//form[contains(@class, "fb-vote")]//*[@data-votes])') == "50"
    assert page.xpath('//form[contains(@class, "fb-vote")]/@action') == ["/feedback/1/vote"]
    answer = page.xpath('//section[@id="answer"]')[0]
    assert answer.xpath('string(.//*[@class="fb-answer-author"])') == "Priya"
    assert answer.xpath(".//time/@datetime") == ["2026-01-06T09:00:00+00:00"]
    assert answer.xpath(".//em/text()") == ["soon"]
    history = page.xpath('//ol[@class="fb-history-list"]/li')
    assert [li.xpath('string(.//a[contains(@class, "fb-status")])') for li in history] == ["New", "Planned"]
    assert page.xpath('//form[@id="comment-form"]//input[@name="thread"]/@value') == ["feedback-1"]
    assert page.xpath('//article[@id="comment-c3"]')
    assert page.xpath('//link[@rel="canonical"]/@href') == [f"{SITE}/feedback/1-dark-mode/"]


def test_json_ld_is_a_discussion_forum_posting_with_counts_answer_and_comments(hub):
    site, items = hub
    scripts = item_page(site, items[4]).xpath('//script[@type="application/ld+json"]/text()')
    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert data["@type"] == "DiscussionForumPosting"
    assert data["headline"] == "Is it GDPR?" and data["url"] == f"{SITE}/feedback/4-is-it-gdpr/"
    counters = {c["interactionType"]: c["userInteractionCount"] for c in data["interactionStatistic"]}
    assert counters == {"https://schema.org/LikeAction": 5, "https://schema.org/CommentAction": 2}
    assert [c["text"] for c in data["comment"]] == ["Same question."]
    assert data["comment"][0]["comment"][0]["author"]["name"] == "Priya"
    answered = json.loads(item_page(site, items[1]).xpath('//script[@type="application/ld+json"]/text()')[0])
    assert answered["comment"][0]["@id"].endswith("#answer") and answered["comment"][0]["text"] == "Yes, soon."


def test_merged_item_points_to_its_original_and_takes_no_votes_or_comments(hub):
    site, items = hub
    duplicate = item_page(site, items[6])
    assert duplicate.xpath('//p[contains(@class, "fb-merged")]/a/@href') == [f"{SITE}/feedback/3-weekly-email/"]
    assert duplicate.xpath('//link[@rel="canonical"]/@href') == [f"{SITE}/feedback/3-weekly-email/"]
    assert not duplicate.xpath('//form[contains(@class, "fb-vote")] | //form[@id="comment-form"]')
    original = item_page(site, items[3])
    assert original.xpath('//section[contains(@class, "fb-duplicates")]//a/@href') == [
        f"{SITE}/feedback/6-monday-email/"]
    done = item_page(site, items[2])
    assert not done.xpath('//form[contains(@class, "fb-vote")]') and done.xpath('//div[contains(@class, "fb-vote-closed")]')
    manifest = {t["key"]: t for t in json.loads(site.read("threads.json"))["threads"]}
    assert manifest["feedback-6"]["status"] == "closed"
    assert manifest["feedback-3"] == {"key": "feedback-3", "title": "Weekly email", "kind": "feedback",
                                      "url": f"{SITE}/feedback/3-weekly-email/", "status": "open", "comments": 0}
    assert {key for key in manifest if key.startswith("feedback-")} == {f"feedback-{i}" for i in range(1, 9)}


def test_sitemap_lists_items_and_non_empty_listings(hub):
    site, _ = hub
    tree = etree.fromstring(site.read("sitemap.xml").encode())
    entries = {u.findtext("s:loc", namespaces=SITEMAP): u.findtext("s:lastmod", namespaces=SITEMAP)
               for u in tree.findall("s:url", SITEMAP)}
    assert entries[f"{SITE}/feedback/4-is-it-gdpr/"] == "2026-01-21T09:00:00+00:00"  # its newest comment
    for url in ("feedback/", "feedback/page/2/", "feedback/page/3/", "feedback/top/", "feedback/roadmap/",
                "feedback/tags/", "feedback/status/planned/", "feedback/tags/dashboard/", "feedback/kind/praise/"):
        assert f"{SITE}/{url}" in entries, url
    assert f"{SITE}/feedback/6-monday-email/" not in entries  # canonical is the original
    assert f"{SITE}/feedback/status/declined/" not in entries  # empty


def test_feeds_of_new_items_status_changes_and_each_item(hub):
    site, _ = hub

    def links(path):
        feed = etree.fromstring(site.read(path).encode())
        return [e.find("a:link", ATOM).get("href").removeprefix(f"{SITE}/feedback/")
                for e in feed.findall("a:entry", ATOM)]

    assert links("feeds/feedback/new.atom.xml") == [
        "8-safari-loop/", "7-helm-chart/", "6-monday-email/", "5-love-it/", "4-is-it-gdpr/", "3-weekly-email/",
        "2-export-breaks/", "1-dark-mode/"]
    assert links("feeds/feedback/status.atom.xml") == [
        "7-helm-chart/#status-history-1", "2-export-breaks/#status-history-2", "2-export-breaks/#answer",
        "6-monday-email/#status-history-1", "1-dark-mode/#answer", "1-dark-mode/#status-history-1",
        "3-weekly-email/#status-history-1", "2-export-breaks/#status-history-1"]
    assert links("feeds/feedback/4.atom.xml") == ["4-is-it-gdpr/#comment-c2", "4-is-it-gdpr/#comment-c1",
                                                  "4-is-it-gdpr/"]
    titles = json.loads(site.read("feedback/titles.json"))
    assert titles["version"] == 1
    assert [i["id"] for i in titles["items"]] == [1, 2, 3, 4, 5, 7, 8]
    assert titles["items"][0] == {"id": 1, "title": "Dark mode", "url": f"{SITE}/feedback/1-dark-mode/",
                                  "kind": "idea", "status": "planned", "status_label": "Planned", "votes": 50,
                                  "comments": 1}


HOSTILE_TITLE = '</script><script>alert("t")</script>\nStatus: done'
HOSTILE_TAG = "<img src=x onerror=alert(1)>"


def test_hostile_titles_and_tags_stay_text_everywhere(site):
    site.post("hello")
    item = write_item(site.content, 1, HOSTILE_TITLE, tags=(HOSTILE_TAG, "../../etc"),
                      body="Status: done\n\n<script>alert('b')</script>")
    site.build()
    assert item.slug == "script-script-alert-t-script-status-done" and item.status == "new"
    page = item_page(site, item)
    assert page.xpath("//h1/text()") == [HOSTILE_TITLE]
    scripts = page.xpath("//script")
    assert [s.get("src") or s.get("type") for s in scripts] == [
        f"{SITE}/theme/js/feedback.js", "application/ld+json", f"{SITE}/theme/js/comments.js"]
    raw = site.read(f"feedback/1-{item.slug}/index.html")
    ld_text = raw.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in ld_text and json.loads(ld_text)["headline"] == HOSTILE_TITLE
    assert page.xpath('//ul[contains(@class, "fb-tags")]//a/text()') == [HOSTILE_TAG, "../../etc"]
    assert page.xpath('//ul[contains(@class, "fb-tags")]//a/@href') == [
        f"{SITE}/feedback/tags/img-src-x-onerror-alert-1/", f"{SITE}/feedback/tags/etc/"]
    assert not page.xpath("//img") and page.xpath('string(//div[contains(@class, "fb-description")])').count(
        "Status: done") == 1
    written = sorted(p.relative_to(site.output).as_posix() for p in (site.output / "feedback").rglob("*.html"))
    assert f"feedback/1-{item.slug}/index.html" in written
    assert all(".." not in p and "<" not in p for p in written)
    assert (site.output / "feedback/tags/etc/index.html").is_file()
    assert not (site.root / "etc").exists()
    assert json.loads(site.read("feedback/titles.json"))["items"][0]["title"] == HOSTILE_TITLE


def test_statuses_are_configuration(site):
    write_item(site.content, 1, "Ship it", status="open", initial="open")
    site.build(FEEDBACK_STATUSES=("open", "shipped"), FEEDBACK_ROADMAP_STATUSES=["shipped"],
               FEEDBACK_CLOSED_STATUSES=("shipped",))
    assert listed_ids(site, "feedback/status/open/") == [1]
    assert site.html("feedback/roadmap/index.html").xpath('//h2[@id="fb-column-shipped"]')
    assert not (site.output / "feedback/status/planned").exists()
    with pytest.raises(BuildError, match="FEEDBACK_ROADMAP_STATUSES: 'planned' is not one of FEEDBACK_STATUSES"):
        site.build(FEEDBACK_STATUSES=("open", "shipped"))


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda c: write_item(c, 1, "A", status="someday"), r"1-a\.md: unknown status 'someday'"),
        (lambda c: write_item(c, 2, "B", status="duplicate", merged_into=9), r"2-b\.md: Merged-Into 9 is not"),
        (lambda c: (write_item(c, 1, "A", status="duplicate", merged_into=2),
                    write_item(c, 2, "B", status="duplicate", merged_into=3), write_item(c, 3, "C")),
         "itself merged into 3"),
    ],
)
def test_bad_feedback_fails_the_build_naming_the_file(site, setup, message):
    setup(site.content)
    with pytest.raises(BuildError, match=message):
        site.build()


def test_comments_on_a_missing_item_fail_the_build(site):
    write_item(site.content, 1, "A")
    site.comment("feedback-2", "c1")
    with pytest.raises(BuildError, match="thread 'feedback-2' matches no post or page"):
        site.build()


def test_items_are_search_documents_with_status_and_their_comments(hub):
    site, _ = hub
    index = SearchIndex(site.root / "search_index")
    feedback = frozenset({DocType.FEEDBACK})
    [hit] = index.query(SearchRequest(text="dark", types=feedback)).hits
    assert (hit.id, hit.status, hit.url) == ("feedback:1", "planned", f"{SITE}/feedback/1-dark-mode/")
    assert [h.id for h in index.query(SearchRequest(text="monday email")).hits] == []  # merged away
    assert [h.id for h in index.query(SearchRequest(status="under-review")).hits] == ["feedback:3"]
    comments = index.query(SearchRequest(text="same question", types=frozenset({DocType.COMMENT}))).hits
    assert [h.url for h in comments] == [f"{SITE}/feedback/4-is-it-gdpr/#comment-c1"]
