"""Files the plugins write besides pages: manifest, comment feeds, sitemap, robots.txt, JSON-LD."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from lxml import etree

ATOM = {"a": "http://www.w3.org/2005/Atom"}
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def d(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 2, day, hour, tzinfo=timezone.utc)


def test_manifest_lists_public_threads_with_state_and_counts(site):
    site.post("open-post", title="Open post")
    site.post("closed-post", title="Closed", comments="closed")
    site.post("draft-post", status="draft")
    site.page("about", title="About")
    site.page("faq", title="FAQ", comments="open")
    site.comment("open-post", "c1")
    site.comment("open-post", "c2", parent="c1", date=d(2))
    site.build()
    manifest = json.loads(site.read("threads.json"))
    assert manifest["version"] == 1
    by_key = {t["key"]: t for t in manifest["threads"]}
    assert set(by_key) == {"open-post", "closed-post", "faq"}  # no draft, no page without a thread
    assert by_key["open-post"] == {
        "key": "open-post", "title": "Open post", "url": "http://127.0.0.1:8000/posts/open-post/",
        "kind": "article", "status": "open", "comments": 2,
    }
    assert by_key["closed-post"]["status"] == "closed"
    assert by_key["faq"]["kind"] == "page" and by_key["faq"]["url"].endswith("/faq/")


def test_threads_close_after_the_configured_days(site):
    site.post("old", date="2026-01-01 00:00")  # NOW is 2026-06-01
    site.post("recent", date="2026-05-25 00:00")
    site.post("kept-open", date="2025-01-01 00:00", comments="open")
    site.build(COMMENTS_CLOSE_AFTER_DAYS=30)
    status = {t["key"]: t["status"] for t in json.loads(site.read("threads.json"))["threads"]}
    assert status == {"old": "closed", "recent": "open", "kept-open": "open"}


def test_thread_feed_has_every_comment_newest_first_linking_to_anchors(site):
    site.post("hello", title="Hello")
    site.comment("hello", "c1", author="Ada", date=d(1), body="First *one*")
    site.comment("hello", "c2", author="Bob", date=d(3), parent="c1")
    site.comment("hello", "c3", author="Cy", date=d(2))
    site.build()
    feed = etree.fromstring(site.read("feeds/comments/hello.atom.xml").encode())
    entries = feed.findall("a:entry", ATOM)
    links = [e.find("a:link", ATOM).get("href") for e in entries]
    assert links == [f"http://127.0.0.1:8000/posts/hello/#comment-{i}" for i in ("c2", "c3", "c1")]
    assert feed.findtext("a:updated", namespaces=ATOM) == "2026-02-03T00:00:00+00:00"
    assert "<em>one</em>" in entries[-1].findtext("a:content", namespaces=ATOM)


def test_all_comments_feed_spans_threads_and_respects_the_limit(site):
    site.post("one")
    site.post("two")
    for day in range(1, 6):
        site.comment("one" if day % 2 else "two", f"c{day}", date=d(day))
    site.build(COMMENTS_FEED_MAX_ITEMS=3)
    feed = etree.fromstring(site.read("feeds/comments.atom.xml").encode())
    ids = [e.findtext("a:id", namespaces=ATOM).rsplit("-", 1)[1] for e in feed.findall("a:entry", ATOM)]
    assert ids == ["c5", "c4", "c3"]


def test_empty_feed_does_not_depend_on_the_clock(site):
    site.post("quiet", date="2026-01-10 09:00")
    site.build()
    first = site.read("feeds/comments/quiet.atom.xml")
    assert "<updated>2026-01-10T09:00:00+00:00</updated>" in first
    site.build()
    assert site.read("feeds/comments/quiet.atom.xml") == first


def test_sitemap_lists_every_page_and_listing_with_comment_lastmod(site):
    for n in range(12):  # more than one page of the index (DEFAULT_PAGINATION = 10)
        site.post(f"post-{n}", date=f"2025-0{1 + n % 9}-10 09:00", tags="alpha, beta", category="News")
    site.page("about", title="About")
    site.comment("post-3", "c1", date=datetime(2026, 3, 3, tzinfo=timezone.utc))
    site.build()
    tree = etree.fromstring(site.read("sitemap.xml").encode())
    entries = {u.findtext("s:loc", namespaces=SITEMAP): u.findtext("s:lastmod", namespaces=SITEMAP)
               for u in tree.findall("s:url", SITEMAP)}
    base = "http://127.0.0.1:8000/"
    expected = {base, base + "page/2/", base + "about/", base + "archives/", base + "archives/2025/",
                base + "tags/", base + "tags/alpha/", base + "tags/alpha/page/2/", base + "categories/news/",
                base + "authors/", base + "authors/maya-okafor/", base + "authors/maya-okafor/page/2/"}
    expected |= {f"{base}posts/post-{n}/" for n in range(12)}
    assert expected <= set(entries)
    assert not any("404" in url for url in entries)
    for url in entries:  # every URL in the sitemap is a page the build wrote
        relative = url.removeprefix(base)
        assert (site.output / relative / "index.html").is_file() or (site.output / relative).is_file(), url
    assert entries[base + "posts/post-3/"] == "2026-03-03T00:00:00+00:00"
    assert entries[base + "posts/post-4/"] == "2025-05-10T09:00:00+00:00"
    assert entries[base + "tags/alpha/"] == "2026-03-03T00:00:00+00:00"  # a listing shows the count
    assert site.read("robots.txt") == "User-agent: *\nAllow: /\nSitemap: http://127.0.0.1:8000/sitemap.xml\n"
