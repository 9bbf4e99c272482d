"""The dependency fan-out, explicitly: which outputs a comment on a post, page or feedback item rewrites."""

from __future__ import annotations

from cluetrain.incremental import UpdateMode
from cluetrain.incremental.fanout import TargetKind, article_targets
from tests.feedback_helpers import write_item
from tests.incremental_helpers import resident


def _twelve_posts(site):
    for month in range(1, 13):
        site.post(f"p{month}", date=f"2025-{month:02d}-01 09:00", author="Maya Okafor", tags="alpha",
                  category="news")


def test_an_old_posts_comment_reaches_its_listing_pages_and_nothing_else(site):
    _twelve_posts(site)
    resident_site = resident(site)
    pelican = resident_site.pelican
    oldest = next(a for a in pelican.articles.articles if a.slug == "p1")
    paths = {target.kind: target.paths for target in article_targets(pelican.articles, oldest)}
    assert paths[TargetKind.ARTICLE] == ("posts/p1/index.html",)
    assert paths[TargetKind.TAG] == ("tags/alpha/page/2/index.html",)
    assert paths[TargetKind.CATEGORY] == ("categories/news/page/2/index.html",)
    assert paths[TargetKind.AUTHOR] == ("authors/maya-okafor/page/2/index.html",)
    # The archives show no comment counts, and p1 is not among the newest three of its category or author.
    assert TargetKind.PERIOD not in paths
    direct = {p for t in article_targets(pelican.articles, oldest) if t.kind is TargetKind.DIRECT for p in t.paths}
    assert direct == {"page/2/index.html"}


def test_a_new_posts_comment_reaches_the_categories_and_authors_previews(site):
    _twelve_posts(site)
    resident_site = resident(site)
    pelican = resident_site.pelican
    newest = {a.slug: a for a in pelican.articles.articles}
    direct = {p for t in article_targets(pelican.articles, newest["p10"]) if t.kind is TargetKind.DIRECT
              for p in t.paths}
    assert direct == {"index.html", "categories/index.html", "authors/index.html"}
    site.comment("p10", "c1")
    report = resident_site.update([site.content / "comments" / "p10" / "c1.md"])
    assert {"categories/index.html", "authors/index.html"} <= set(report.written)
    assert not {"archives/index.html", "archives/2025/index.html", "tags/index.html"} & set(report.written)


def test_a_comment_writes_its_page_first_then_feeds_manifest_and_sitemap(site):
    _twelve_posts(site)
    resident_site = resident(site)
    site.comment("p12", "c1")
    report = resident_site.update([site.content / "comments" / "p12" / "c1.md"])
    assert report.mode is UpdateMode.INCREMENTAL
    assert report.written[0] == "posts/p12/index.html"
    assert {"feeds/comments/p12.atom.xml", "feeds/comments.atom.xml", "threads.json", "sitemap.xml",
            "index.html"} <= set(report.written)
    assert not {"posts/p11/index.html", "page/2/index.html", "feeds/all.atom.xml"} & set(report.written)


def test_a_pages_comment_touches_no_post_listing(site):
    site.post("p1")
    site.page("about", comments="open")
    resident_site = resident(site)
    site.comment("about", "c1")
    report = resident_site.update([site.content / "comments" / "about" / "c1.md"])
    assert report.written[0] == "about/index.html"
    assert not any(path.startswith(("tags/", "archives/", "posts/")) or path == "index.html"
                   for path in report.written)


def test_a_feedback_comment_rewrites_the_item_and_the_listings_that_show_it(site):
    site.post("p1")
    for number in (1, 2, 3):
        write_item(site.content, number, f"Item {number}", votes=number, created=number, tags=("ui",))
    resident_site = resident(site)
    site.comment("feedback-1", "c1")
    report = resident_site.update([site.content / "comments" / "feedback-1" / "c1.md"])
    assert report.written[0].startswith("feedback/1-item-1/")
    assert {"feedback/index.html", "feedback/top/index.html", "feedback/tags/ui/index.html",
            "feeds/feedback/1.atom.xml", "feedback/titles.json"} <= set(report.written)
    assert not any(path.startswith(("feedback/2-", "feedback/3-", "posts/")) for path in report.written)


def test_threads_json_follows_each_update_and_matches_a_full_build(site):
    # The manifest keeps each thread's entry between updates, so it must notice the one thread that changed.
    import json

    from tests.incremental_helpers import fresh_build

    _twelve_posts(site)
    write_item(site.content, 1, "Item 1")
    resident_site = resident(site)
    site.comment("p3", "c1")
    resident_site.update([site.content / "comments" / "p3" / "c1.md"])
    item = write_item(site.content, 1, "Item 1", votes=3)  # a changed item is a new object
    resident_site.update([site.content / "feedback" / f"{item.id}-{item.slug}.md"])
    site.comment("feedback-1", "c2")
    resident_site.update([site.content / "comments" / "feedback-1" / "c2.md"])
    threads = {entry["key"]: entry for entry in json.loads(site.read("threads.json"))["threads"]}
    assert threads["p3"]["comments"] == 1 and threads["p4"]["comments"] == 0
    assert threads["feedback-1"]["comments"] == 1
    assert site.read("threads.json") == (fresh_build(site)[0] / "threads.json").read_text()
