"""The sitemap kept between a resident builder's updates: the bytes a fresh full build writes, and its caches."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from lxml import etree
from pelican.paginator import PaginationRule, Paginator

from cluetrain.incremental import UpdateMode
from plugins.cluetrain_seo.post_entries import PostEntries
from plugins.cluetrain_seo.sitemap import GENERATORS_CONTEXT_KEY, SitemapGenerator, sitemap_xml
from plugins.cluetrain_seo.sitemap_chunks import EntryChunks, isoformat, lastmod, newest, url_chunk
from tests.feedback_helpers import write_item
from tests.incremental_helpers import fresh_build, populate, resident

SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
OTHER_ZONE = timezone(timedelta(hours=2))


def _lastmods(data: bytes) -> dict[str, str | None]:
    tree = etree.fromstring(data)
    return {u.findtext("s:loc", namespaces=SITEMAP): u.findtext("s:lastmod", namespaces=SITEMAP)
            for u in tree.findall("s:url", SITEMAP)}


@pytest.mark.parametrize("settings", [
    {},
    # Small pages with an orphan, a pattern for the last page only (its URL depends on the page count), no origin.
    {"DEFAULT_PAGINATION": 3, "DEFAULT_ORPHANS": 1, "SITEURL": "",
     "PAGINATION_PATTERNS": ((1, "{url}", "{save_as}"),
                             (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
                             (-1, "{base_name}/last/", "{base_name}/last/index.html"))},
], ids=["default", "small-pages"])
def test_updates_leave_the_sitemap_as_a_fresh_full_build_writes_it(site, settings):
    populate(site)
    resident_site = resident(site, **settings)
    siteurl = settings.get("SITEURL", "http://127.0.0.1:8000")
    # post-2 (2025) is tagged alpha, beta and gamma: on a page of every tag's paginated listing. The comment is
    # newer than every post, so that every listing showing post-2 shows it.
    site.comment("post-2", "late", date=datetime(2026, 12, 20, 8, 30, tzinfo=UTC))
    comment = site.content / "comments" / "post-2" / "late.md"
    post = site.content / "posts" / "post-7.md"

    def edit_post() -> list[Path]:
        post.write_text(post.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
        return [post]

    def add_item() -> list[Path]:
        return [site.content / "feedback" / write_item(site.content, 7, "Offline sync", votes=2, created=30).file_name]

    def comment_on_item() -> list[Path]:
        site.comment("feedback-1", "on-item", date=datetime(2026, 12, 21, 9, 0, tzinfo=UTC))
        return [item_comment]

    item_comment = site.content / "comments" / "feedback-1" / "on-item.md"
    steps: list[tuple[str, Callable[[], list[Path]]]] = [
        ("comment", lambda: [comment]),
        ("comment removed", lambda: (comment.unlink(), [comment])[1]),
        ("post edited", edit_post),
        ("feedback item", add_item),
        ("comment on an item", comment_on_item),
        ("comment on an item removed", lambda: (item_comment.unlink(), [item_comment])[1]),
    ]
    for step, change in steps:
        before = (site.output / "sitemap.xml").read_bytes()
        report = resident_site.update(change())
        assert report.mode is UpdateMode.INCREMENTAL, (step, report.reason)
        written = (site.output / "sitemap.xml").read_bytes()
        assert written == (fresh_build(site, **settings)[0] / "sitemap.xml").read_bytes(), step
        shown = {url for url, when in _lastmods(written).items() if when == "2026-12-20T08:30:00+00:00"}
        if step == "comment":  # the post and every listing page that shows it say when it was commented on
            assert {f"{siteurl}/posts/post-2/", f"{siteurl}/archives/", f"{siteurl}/archives/2025/",
                    f"{siteurl}/tags/"} <= shown
            assert len([url for url in shown if "/tags/" in url]) == 4  # the tag index and a page of each tag
            assert [url for url in shown if "/categories/news/" in url]  # one page of its category
        else:
            assert not shown
        on_item = {url for url, when in _lastmods(written).items() if when == "2026-12-21T09:00:00+00:00"}
        if step == "comment on an item":  # the item's page and the hub's pages showing it, not the posts
            assert f"{siteurl}/feedback/1-item-number-1/" in on_item and f"{siteurl}/feedback/tags/" in on_item
            assert not any("/posts/" in url for url in on_item)
        else:
            assert not on_item
        assert (written != before) == (step != "post edited"), step
    assert f"{siteurl}/feedback/7-offline-sync/" in _lastmods(written)


def test_a_site_without_a_sitemap_writes_none_and_robots_names_none(site):
    populate(site, posts=3, items=1)
    resident_site = resident(site, SITEMAP_SAVE_AS=None)
    site.comment("post-1", "c1")
    assert resident_site.update([site.content / "comments" / "post-1" / "c1.md"]).mode is UpdateMode.INCREMENTAL
    assert not (site.output / "sitemap.xml").exists()
    assert (site.output / "robots.txt").read_text() == "User-agent: *\nAllow: /\n"


# --- PostEntries against the sitemap's entries worked out from scratch -------------------------------------------


@dataclass(frozen=True, order=True)
class _Wrapper:
    name: str
    save_as: str
    url: str


def _settings(rng: random.Random) -> dict[str, Any]:
    per_page = rng.choice((None, 1, 2, 3))
    return {
        "PAGINATED_TEMPLATES": {"index": per_page, "tag": rng.choice((None, 2, False)), "category": None,
                                "author": False},
        "DEFAULT_PAGINATION": rng.choice((2, 4, False)),
        "DEFAULT_ORPHANS": rng.choice((0, 1)),
        "PAGINATION_PATTERNS": [PaginationRule(1, "{url}", "{save_as}"),
                                PaginationRule(2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
                                PaginationRule(-1, "{base_name}/last/", "{base_name}/last/index.html")],
        "INDEX_SAVE_AS": "index.html",
        "DIRECT_TEMPLATES": ["index", "archives", "tags"],
        "ARCHIVES_SAVE_AS": "archives/index.html",
        "TAGS_SAVE_AS": "tags/index.html",
        "TAGS_URL": "tags/",
    }


def _moment(rng: random.Random) -> datetime:
    # Few distinct instants, some in another zone or naive: equal instants that print apart, ties to break.
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(6))
    return rng.choice((when, when.astimezone(OTHER_ZONE), when.replace(tzinfo=None)))


def _thread(rng: random.Random) -> Any:
    return rng.choice((None, SimpleNamespace(latest=None), SimpleNamespace(latest=_moment(rng))))


def _blog(rng: random.Random, posts: int) -> tuple[SimpleNamespace, dict[str, Any]]:
    articles = [SimpleNamespace(url=f"posts/p{n}/", date=_moment(rng), thread=_thread(rng)) for n in range(posts)]
    tags = {_Wrapper(name, f"tags/{name}/index.html", f"tags/{name}/"): [a for a in articles if rng.random() < 0.6]
            for name in ("a", "b", "c")}
    categories = [(_Wrapper("news", "categories/news/index.html", "categories/news/"), articles[::2])]
    authors = [(_Wrapper("ada", "authors/ada/index.html", "authors/ada/"), articles[1::2])]
    years = [{"url": "archives/2025/", "dates": articles[: posts // 2]},
             {"url": "archives/2026/", "dates": articles[posts // 2:]}]
    generator = SimpleNamespace(articles=articles, tags=tags, categories=categories, authors=authors)
    return generator, {"period_archives": {"year": years}}


def _from_scratch(generator: Any, settings: dict[str, Any], context: dict[str, Any], siteurl: str) -> list[bytes]:
    """The posts' entries as the sitemap worked them out at every update before it kept them."""
    def paginated(template: str, save_as: str, url: str, members: list[Any]) -> list[tuple[str, Any]]:
        per_page = settings["PAGINATED_TEMPLATES"].get(template, False)
        if per_page is False:
            return [(url, newest(map(lastmod, members)))]
        paginator = Paginator(save_as, url, members, settings, per_page or settings["DEFAULT_PAGINATION"])
        return [(page.url, newest(map(lastmod, page.object_list)))
                for page in map(paginator.page, paginator.page_range)]

    articles = generator.articles
    entries = [(a.url, lastmod(a)) for a in articles] + paginated("index", "index.html", "", articles)
    entries += [(settings.get(f"{name.upper()}_URL", os.path.dirname(settings[f"{name.upper()}_SAVE_AS"]) + "/"),
                 newest(map(lastmod, articles))) for name in ("archives", "tags")]
    for kind, groups in (("tag", generator.tags.items()), ("category", generator.categories),
                         ("author", generator.authors)):
        for wrapper, members in sorted(groups):
            entries += paginated(kind, wrapper.save_as, wrapper.url, members)
    entries += [(year["url"], newest(map(lastmod, year["dates"]))) for year in context["period_archives"]["year"]]
    return [url_chunk(siteurl, url, isoformat(when)) for url, when in entries]


@pytest.mark.parametrize("seed", range(12))
def test_kept_post_entries_follow_new_threads_posts_listings_and_origins(seed):
    rng = random.Random(seed)
    generator, context = _blog(rng, rng.randint(0, 14))
    settings = _settings(rng)
    kept = PostEntries(settings, context, lambda content: content.url)
    siteurl = "https://a.example"
    for _ in range(25):
        roll = rng.random()
        if roll < 0.6 and generator.articles:  # a stale lastmod: the post's thread replaced (or the same again)
            post = rng.choice(generator.articles)
            post.thread = post.thread if rng.random() < 0.2 else _thread(rng)
        elif roll < 0.7:  # a post added: a new list of posts
            post = SimpleNamespace(url=f"posts/new{rng.random()}/", date=_moment(rng), thread=_thread(rng))
            generator.articles = [*generator.articles, post]
        elif roll < 0.8 and generator.articles:  # a tag's posts changed in place: one fewer or one more
            members = rng.choice(list(generator.tags.values()))
            if members and rng.random() < 0.5:
                members.pop(rng.randrange(len(members)))
            else:
                members.append(rng.choice(generator.articles))
        elif roll < 0.9:  # a year's posts changed in place
            rng.choice(context["period_archives"]["year"])["dates"].reverse()
        else:
            siteurl = rng.choice(("https://a.example", "https://b.example/&x", ""))
        section = kept.section(generator, siteurl)
        expected = _from_scratch(generator, settings, context, siteurl)
        assert section.chunks == expected
        assert section == PostEntries(settings, context, lambda content: content.url).section(generator, siteurl)


def test_an_unchanged_update_formats_nothing_again():
    rng = random.Random(3)
    generator, context = _blog(rng, 9)
    kept = PostEntries(_settings(rng), context, lambda content: content.url)
    first = list(kept.section(generator, "https://a.example").chunks)
    again = kept.section(generator, "https://a.example").chunks
    assert all(a is b for a, b in zip(first, again, strict=True))


# --- EntryChunks and the generator's sections -------------------------------------------------------------------


def test_entry_chunks_reuse_an_element_only_for_the_same_lastmod_object():
    when = datetime(2026, 3, 1, tzinfo=UTC)
    chunks = EntryChunks()
    first = chunks.section("https://a.example", [("a/", when), ("b/", None)])
    same = chunks.section("https://a.example", [("a/", when), ("b/", None)])
    assert all(a is b for a, b in zip(first.chunks, same.chunks, strict=True))
    # The same instant in another zone is another object (and prints apart): formatted again.
    moved = chunks.section("https://a.example", [("a/", when.astimezone(OTHER_ZONE)), ("b/", None)])
    assert moved.chunks[0] == url_chunk("https://a.example", "a/", "2026-03-01T02:00:00+02:00")
    assert moved.chunks[1] is first.chunks[1]
    # Another origin: every element again.
    assert chunks.section("https://b.example", [("b/", None)]).chunks == [url_chunk("https://b.example", "b/", None)]


class _Entries:
    """A generator with ``sitemap_entries()`` (the SEO plugin's extension point)."""

    def __init__(self, entries: list[tuple[str, datetime | None]]) -> None:
        self.entries = entries

    def sitemap_entries(self) -> list[tuple[str, datetime | None]]:
        return list(self.entries)


def test_each_url_is_listed_once_the_first_entry_winning_as_sections_change(tmp_path):
    when = datetime(2026, 3, 1, tzinfo=UTC)
    first, second = _Entries([("a/", when), ("b/", None)]), _Entries([("b/", when), ("c/", when)])
    context: dict[str, Any] = {GENERATORS_CONTEXT_KEY: [first, second]}
    generator = SitemapGenerator(context, {}, "", "", str(tmp_path))
    stamp = isoformat(when)
    assert generator.sitemap("") == sitemap_xml("", (("a/", stamp), ("b/", None), ("c/", stamp)))
    first.entries = [("a/", when)]  # b/ now comes from the second generator only
    assert generator.sitemap("") == sitemap_xml("", (("a/", stamp), ("b/", stamp), ("c/", stamp)))
    first.entries, second.entries = [], []
    assert generator.sitemap("") == sitemap_xml("", ())
    context[GENERATORS_CONTEXT_KEY] = [second, _Entries([("x&y/", None)])]
    assert generator.sitemap("https://a.example") == sitemap_xml("https://a.example", (("x&y/", None),))
