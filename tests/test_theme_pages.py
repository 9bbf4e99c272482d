"""The built pages as a reader and a crawler see them: threads, forms, counts, head metadata."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest


def d(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 2, day, hour, tzinfo=UTC)


def comment_ids(element) -> list[str]:
    return [c.get("id") for c in element.xpath(".//*[contains(concat(' ', @class, ' '), ' comment ')][@id]")]


def entry_for(page, slug: str):
    """The listing entry (article or li) that links to a post."""
    link = page.xpath(f"//main//a[contains(@href, '/posts/{slug}/')]")[0]
    return link.xpath("ancestor::*[self::article or self::li][1]")[0]


@pytest.fixture
def discussed(site):
    site.post("hello", title="Hello", tags="alpha", category="News", summary="A short summary.")
    site.post("closed-one", title="Closed one", comments="closed", date="2026-01-05 09:00")
    site.post("quiet", title="Quiet", date="2026-01-04 09:00")
    site.comment("hello", "c3", author="Cy", date=d(3))
    site.comment("hello", "c1", author="Ada", date=d(1), website="https://ada.example.org/")
    site.comment("hello", "c2", author="Bob", date=d(2), parent="c1", body="A *reply*")
    site.comment("hello", "c4", author="Dee", date=d(4), parent="c2", body="Deeper")
    site.comment("hello", "c5", author="Eve", date=d(1, 12), parent="c1")
    site.comment("closed-one", "c9", author="Old", date=d(1))
    site.build()
    return site


def test_comments_are_in_the_page_nested_and_ordered(discussed):
    page = discussed.html("posts/hello/index.html")
    thread = page.xpath("//*[@id='comments']")[0]
    assert comment_ids(thread) == ["comment-c1", "comment-c5", "comment-c2", "comment-c4", "comment-c3"]
    c1 = page.get_element_by_id("comment-c1")
    assert comment_ids(c1) == ["comment-c5", "comment-c2", "comment-c4"]  # replies inside their parent
    c2 = page.get_element_by_id("comment-c2")
    assert comment_ids(c2) == ["comment-c4"]
    assert c2.xpath(".//em/text()") == ["reply"]
    assert "5 comments" in " ".join(thread.text_content().split())


def test_each_comment_shows_author_link_date_permalink_reply_and_avatar(discussed):
    c1 = discussed.html("posts/hello/index.html").get_element_by_id("comment-c1")
    author_link = c1.xpath(".//a[@href='https://ada.example.org/']")[0]
    assert set(author_link.get("rel").split()) >= {"nofollow", "ugc"} and author_link.text_content().strip() == "Ada"
    assert c1.xpath(".//time/@datetime")[0].startswith("2026-02-01T00:00:00")
    assert c1.xpath(".//a[@href='#comment-c1']")
    reply = c1.xpath(".//a[contains(@href, '/comments/reply')]")[0].get("href")
    assert "thread=hello" in reply and "parent=c1" in reply
    assert c1.xpath(".//svg//*[local-name()='rect']")


def test_open_thread_has_one_form_with_the_api_field_names(discussed):
    page = discussed.html("posts/hello/index.html")
    forms = page.xpath("//form[@method='post']")
    assert len(forms) == 1
    form = forms[0]
    assert form.get("action").endswith("/comments")
    names = set(form.xpath(".//input/@name | .//textarea/@name"))
    assert {"thread", "parent", "author", "email", "website", "body", "idempotency_key", "form_token", "hp"} <= names
    assert form.xpath(".//input[@name='thread']/@value") == ["hello"]
    for field in ("author", "email", "website", "body"):  # every visible field is labelled
        field_id = form.xpath(f".//*[@name='{field}']/@id")[0]
        assert form.xpath(f".//label[@for='{field_id}']"), field


def test_closed_thread_shows_its_comments_and_no_form(discussed):
    page = discussed.html("posts/closed-one/index.html")
    assert page.xpath("//form[@method='post']") == []
    assert comment_ids(page) == ["comment-c9"]
    assert "closed" in page.xpath("//*[@id='comments']")[0].text_content().lower()


def test_listings_show_comment_counts(discussed):
    for listing in ("index.html", "tags/alpha/index.html", "categories/news/index.html",
                    "authors/maya-okafor/index.html", "categories/index.html", "authors/index.html"):
        page = discussed.html(listing)
        assert re.search(r"\b5 comments\b", entry_for(page, "hello").text_content()), listing
    # The archives list every post without counts, so a new comment does not rewrite them all.
    assert "comment" not in entry_for(discussed.html("archives/index.html"), "hello").text_content()
    home = discussed.html("index.html")
    assert re.search(r"\b1 comment\b", entry_for(home, "closed-one").text_content())


def test_head_has_canonical_description_open_graph_and_feeds(discussed):
    page = discussed.html("posts/hello/index.html")
    url = "http://127.0.0.1:8000/posts/hello/"
    assert page.xpath("//link[@rel='canonical']/@href") == [url]
    assert page.xpath("//meta[@name='description']/@content") == ["A short summary."]
    assert page.xpath("//meta[@property='og:url']/@content") == [url]
    assert page.xpath("//meta[@property='og:title']/@content") == ["Hello"]
    feeds = page.xpath("//link[@rel='alternate'][@type='application/atom+xml']/@href")
    assert any(f.endswith("/feeds/comments/hello.atom.xml") for f in feeds)
    assert any(f.endswith("/feeds/all.atom.xml") for f in feeds)


def test_json_ld_blog_posting_carries_nested_comments(discussed):
    page = discussed.html("posts/hello/index.html")
    data = json.loads(page.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["@type"] == "BlogPosting" and data["headline"] == "Hello" and data["commentCount"] == 5
    first = data["comment"][0]
    assert first["@type"] == "Comment" and first["author"]["name"] == "Ada"
    assert first["url"] == "http://127.0.0.1:8000/posts/hello/#comment-c1"
    assert [c["author"]["name"] for c in first["comment"]] == ["Eve", "Bob"]


def test_hostile_author_cannot_leave_the_json_ld_script(site):
    site.post("hello")
    site.comment("hello", "c1", author='</script><script>alert(1)</script>', body="</script><b>x</b>")
    site.build()
    page = site.html("posts/hello/index.html")
    scripts = page.xpath("//script[@type='application/ld+json']/text()")
    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert data["comment"][0]["author"]["name"] == "</script><script>alert(1)</script>"
    assert not page.xpath("//script[contains(text(), 'alert')][not(@type)]")


def test_404_page_exists_and_is_not_in_the_sitemap(discussed):
    page = discussed.html("404.html")
    assert page.xpath("//title") and "404" not in discussed.read("sitemap.xml")


def test_a_reply_chain_of_any_length_builds_and_nests_at_most_max_depth(site):
    site.post("chain")
    site.comment("chain", "c0", date=d(1))
    for n in range(1, 300):
        site.comment("chain", f"c{n}", parent=f"c{n - 1}", author=f"Person {n}",
                     date=d(1) + (d(2) - d(1)) * n / 300)
    site.build(COMMENTS_MAX_DEPTH=5)
    page = site.html("posts/chain/index.html")
    assert len(comment_ids(page)) == 300
    deepest = page.get_element_by_id("comment-c299")
    ancestors = deepest.xpath("ancestor::*[contains(concat(' ', @class, ' '), ' comment ')]")
    assert [a.get("id") for a in ancestors] == [f"comment-c{n}" for n in range(5)]
    data = json.loads(page.xpath("//script[@type='application/ld+json']/text()")[0])
    assert data["commentCount"] == 300


def test_templates_escape_by_default(site):
    site.post("hello", title="<i>Title</i>")
    site.comment("hello", "c1", author="<b>Name</b>")
    site.build()
    page = site.read("posts/hello/index.html")
    assert "<b>Name</b>" not in page and "&lt;b&gt;Name&lt;/b&gt;" in page
