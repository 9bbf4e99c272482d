"""Pelican's own pages kept between full builds: an unchanged write call renders nothing, every input renders again."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pelican import signals

from cluetrain.written_pages import CACHE_FILE, rendered_last

from .conftest import Site
from .incremental_helpers import unlike_fresh
from .live_service import REPO

P1 = "posts/p1/index.html"
P2 = "posts/p2/index.html"
ALL_FEED = "feeds/all.atom.xml"
ALPHA_FEED = "feeds/tags/alpha.atom.xml"
BETA_FEED = "feeds/tags/beta.atom.xml"
ENGINEERING_FEED = "feeds/categories/engineering.atom.xml"  # p3's category only
# Always rendered: the archives group posts with Jinja's groupby (a closure: it cannot be keyed), and Pelican writes
# each year's page with a context of its own.
ALWAYS = {"archives/index.html", "archives/2026/index.html"}


def blog(root: Path) -> Site:
    """Posts with tags and categories (listings to keep), one linking another, a comment; our theme copied."""
    (root / "content" / "posts").mkdir(parents=True)
    shutil.copytree(REPO / "theme", root / "theme")
    site = Site(root)
    site.post("p1", title="First", tags="alpha", category="news")
    site.post("p2", title="Second", date="2026-01-11 09:00", tags="alpha, beta", category="news",
              body="Read [the first one]({filename}p1.md) first.")
    site.post("p3", title="Third", date="2026-01-12 09:00", tags="beta", category="engineering")
    site.comment("p1", "c1", body="Nice.")
    return site


def build(site: Site, **settings: object) -> None:
    site.build(THEME=str(site.root / "theme"), **settings)


def rendered(site: Site) -> set[str]:
    return set(rendered_last(site.root / "cache", site.output))


def same_as_fresh(site: Site, **settings: object) -> list[str]:
    """Outputs that differ from a build from scratch with the blog's theme."""
    return unlike_fresh(site, THEME=str(site.root / "theme"), **settings)


@pytest.fixture
def built(tmp_path: Path) -> Site:
    """The blog built twice: the second build found every page in the cache."""
    site = blog(tmp_path)
    build(site)
    build(site)
    return site


def test_an_unchanged_build_renders_no_post_or_listing(built):
    assert rendered(built) == ALWAYS
    assert same_as_fresh(built) == []


@pytest.mark.parametrize("off", ["LOAD_CONTENT_CACHE", "KEEP_UNCHANGED_PAGES"])
def test_a_build_without_the_cache_renders_every_page_and_feed(built, off):
    feeds: list[object] = []

    def generated(_context: object, feed: object) -> None:
        feeds.append(feed)

    kept = (built.root / "cache" / CACHE_FILE).stat().st_mtime_ns
    signals.feed_generated.connect(generated)
    try:
        build(built, **{off: False})
    finally:
        signals.feed_generated.disconnect(generated)
    folders = [built.output / "feeds" / folder for folder in ("tags", "categories", "authors")]
    pelicans = [feed for folder in folders for feed in folder.iterdir()]
    assert len(feeds) == len(pelicans) + 1  # and all.atom.xml
    if off == "LOAD_CONTENT_CACHE":  # rendered, and remembered for the next build
        assert {P1, P2, "index.html", "tags/alpha/index.html", "categories/news/index.html"} <= rendered(built)
    else:  # rendered as Pelican does, nothing remembered
        assert (built.root / "cache" / CACHE_FILE).stat().st_mtime_ns == kept
    assert same_as_fresh(built) == []


def _append(site: Site, slug: str, text: str) -> None:
    path = site.content / "posts" / f"{slug}.md"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def _template(site: Site, name: str, old: str, new: str) -> None:
    path = site.root / "theme" / "templates" / name
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def _move_p1(site: Site) -> None:
    shutil.rmtree(site.content / "comments" / "p1")  # its thread would no longer match a post
    path = site.content / "posts" / "p1.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Slug: p1", "Slug: p-one"), encoding="utf-8")


def _replace_output(site: Site) -> None:
    target = site.output / P1
    target.unlink()
    target.write_text("stale", encoding="utf-8")


CHANGES: dict[str, tuple[Callable[[Site], object], set[str]]] = {
    "post text": (lambda site: _append(site, "p1", "More."),
                  {P1, "index.html", "tags/alpha/index.html", ALL_FEED, ALPHA_FEED, "feeds/categories/news.atom.xml"}),
    "comment": (lambda site: site.comment("p1", "c2", body="Agreed."), {P1, "index.html"}),
    # p2 links p1 by file name: p1's new slug changes p2's text, though p2's file did not change.
    "linked post's URL": (lambda site: _move_p1(site), {P2, "posts/p-one/index.html", BETA_FEED}),
    "post template": (lambda site: _template(site, "article.html", "<article", "<!-- new -->\n<article"), {P1, P2}),
    "setting": (lambda site: None, {P1, P2, "index.html", "tags/alpha/index.html", ALL_FEED, ENGINEERING_FEED}),
    "output removed": (lambda site: (site.output / P1).unlink(), {P1}),
    "output replaced": (_replace_output, {P1}),
    "feed removed": (lambda site: (site.output / BETA_FEED).unlink(), {BETA_FEED}),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_input_renders_its_pages_again(built, change):
    apply, expected = CHANGES[change]
    apply(built)
    settings = {"SITENAME": "Renamed"} if change == "setting" else {}
    build(built, **settings)
    assert expected <= rendered(built)
    assert "posts/p3/index.html" not in rendered(built) or change in ("post template", "setting")
    assert ENGINEERING_FEED not in rendered(built) or change == "setting"  # a feed p3 alone is in
    assert same_as_fresh(built, **settings) == []


def test_the_build_after_a_cold_one_renders_nothing_though_it_reads_comments_from_their_cache(tmp_path):
    site = blog(tmp_path)
    site.comment("p1", "c2", body="Me too.")  # a thread of several comments: its key repeats in each
    site.comment("p1", "c3", body="And me.", parent="c2")
    time.sleep(2.1)  # the comment cache keeps files changed more than 2 s before a build (racy timestamps)
    build(site)  # comments parsed
    build(site)  # comments read back from the cache: the same values, in objects shared another way
    assert rendered(site) == ALWAYS


def test_a_failed_build_leaves_no_writer_waiting_for_the_next_build(tmp_path):
    import gc

    from pelican import signals

    from cluetrain.build import BuildError

    site = blog(tmp_path)
    _template(site, "article.html", "<article", "{{ no_such_function() }}<article")
    with pytest.raises(BuildError):
        build(site)
    gc.collect()
    waiting = [receiver for receiver in signals.finalized.receivers_for(None)
               if getattr(receiver, "__name__", "") == "_keep_pages"]
    assert waiting == []
