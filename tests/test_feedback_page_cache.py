"""The feedback page cache in real builds: unchanged pages are skipped, and every input re-renders a page."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plugins.cluetrain_feedback.page_cache import CACHE_FILE

from .conftest import Site
from .feedback_helpers import day, write_item
from .incremental_helpers import unlike_fresh
from .live_service import REPO

ADA = "a" * 16
POINTS = {"comment": 1, "feedback": 2, "done": 5, "vote": 1, "helpful": 5}
LEVELS = ((0, "Newcomer"), (4, "Regular"), (20, "Expert"))
ITEM_1 = "feedback/1-dark-mode/index.html"
ITEM_3 = "feedback/3-weekly-email/index.html"
ITEM_6 = "feedback/6-monday-email/index.html"
FEED_1 = "feeds/feedback/1.atom.xml"
FEED_NEW = "feeds/feedback/new.atom.xml"
FEED_STATUS = "feeds/feedback/status.atom.xml"


def rendered(site: Site) -> set[str]:
    """The feedback pages the last build rendered (the others were left as the build before wrote them)."""
    with open(site.root / "cache" / CACHE_FILE, "rb") as file:
        return set(pickle.load(file)[2])


def hub_site(root: Path) -> Site:
    """Six items (one merged into another), comments on one by a confirmed contributor, our theme copied."""
    (root / "content" / "posts").mkdir(parents=True)
    shutil.copytree(REPO / "theme", root / "theme")
    site = Site(root)
    site.post("hello")
    write_item(site.content, 1, "Dark mode", votes=10, created=1, status="planned", changed={"planned": 5},
               tags=("Dashboard",))
    write_item(site.content, 2, "Export breaks", kind="bug", votes=3, created=2, tags=("export",))
    write_item(site.content, 3, "Weekly email", votes=30, created=3, tags=("dashboard",))
    write_item(site.content, 4, "Is it GDPR?", kind="question", votes=5, created=4)
    write_item(site.content, 5, "Love it", kind="praise", votes=1, created=5)
    write_item(site.content, 6, "Monday email", created=6, status="duplicate", changed={"duplicate": 7},
               merged_into=3)
    site.comment("feedback-1", "c1", author="Ada", date=day(20), body="Please.", contributor=ADA)
    return site


def build(site: Site, **settings: object) -> None:
    site.build(THEME=str(site.root / "theme"), COMMUNITY_CONTRIBUTOR_POINTS=POINTS,
               COMMUNITY_CONTRIBUTOR_LEVELS=LEVELS, FEEDBACK_PER_PAGE=2, **settings)


def same_as_fresh(site: Site, **settings: object) -> list[str]:
    """Outputs that differ from a build from scratch with the hub's settings."""
    return unlike_fresh(site, THEME=str(site.root / "theme"), COMMUNITY_CONTRIBUTOR_POINTS=POINTS,
                        COMMUNITY_CONTRIBUTOR_LEVELS=LEVELS, FEEDBACK_PER_PAGE=2, **settings)


@pytest.fixture
def built(tmp_path: Path) -> Site:
    """The hub built twice: the second build found every page in the cache."""
    site = hub_site(tmp_path)
    build(site)
    build(site)
    return site


def test_an_unchanged_build_renders_no_feedback_page_or_feed(built):
    assert rendered(built) == set()
    assert same_as_fresh(built) == []


def test_a_build_without_the_cache_renders_every_page(built):
    built.build(THEME=str(built.root / "theme"), COMMUNITY_CONTRIBUTOR_POINTS=POINTS,
                COMMUNITY_CONTRIBUTOR_LEVELS=LEVELS, FEEDBACK_PER_PAGE=2, LOAD_CONTENT_CACHE=False)
    assert {ITEM_1, "feedback/index.html", FEED_1, FEED_NEW} <= rendered(built)


def _edit(site: Site, **changes: object) -> Callable[[], None]:
    base = {"votes": 10, "created": 1, "status": "planned", "changed": {"planned": 5}, "tags": ("Dashboard",)}

    def edit() -> None:
        write_item(site.content, 1, "Dark mode", **(base | changes))
    return edit


CHANGES: dict[str, tuple[Callable[[Site], None], set[str]]] = {
    # votes 10 → 12: the file is rewritten in place with the same size
    "vote": (lambda site: _edit(site, votes=12)(), {ITEM_1, "feedback/index.html", "feedback/top/index.html"}),
    "status": (lambda site: _edit(site, status="in-progress", changed={"planned": 5, "in-progress": 9})(),
               {ITEM_1, "feedback/status/in-progress/index.html", "feedback/roadmap/index.html", FEED_1,
                FEED_STATUS}),
    "answer": (lambda site: _edit(site, answer=("Priya", 9, "Soon."))(),
               {ITEM_1, "feedback/answered/index.html", FEED_1, FEED_STATUS}),
    "description": (lambda site: _edit(site, body="Detail!")(), {ITEM_1, FEED_1, FEED_NEW}),
    "comment": (lambda site: site.comment("feedback-1", "c2", author="Bo", date=day(21), body="Me too."),
                {ITEM_1, "feedback/index.html", FEED_1}),
    "merge": (lambda site: write_item(site.content, 2, "Export breaks", kind="bug", votes=3, created=2,
                                      tags=("export",), status="duplicate", changed={"duplicate": 8}, merged_into=3),
              {ITEM_3, "feedback/2-export-breaks/index.html"}),
    "duplicate retitled": (lambda site: write_item(site.content, 6, "Monday mail", created=6, status="duplicate",
                                                   changed={"duplicate": 7}, merged_into=3),
                           {ITEM_3, "feedback/6-monday-mail/index.html"}),
    "item added": (lambda site: write_item(site.content, 7, "Helm chart", votes=2, created=7),
                   {"feedback/7-helm-chart/index.html", "feedback/new/index.html", "feeds/feedback/7.atom.xml",
                    FEED_NEW}),
    # Ada's second comment, on a post, takes her to "Regular": her badge on item 1's thread changes.
    "contributor level": (lambda site: site.comment("hello", "p1", author="Ada", date=day(22), contributor=ADA,
                                                    helpful=True), {ITEM_1}),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_each_input_renders_its_pages_again(built, change):
    apply, expected = CHANGES[change]
    apply(built)
    build(built)
    assert expected <= rendered(built)
    if change != "contributor level":  # levels are digested whole: a change renders every page again
        # An unrelated item's page and feed stay as they were.
        assert not {"feedback/5-love-it/index.html", "feeds/feedback/5.atom.xml"} & rendered(built)
    assert same_as_fresh(built) == []


def test_a_removed_item_is_forgotten_and_its_listings_rendered(built):
    (built.content / "feedback").joinpath(next(p.name for p in (built.content / "feedback").iterdir()
                                               if p.name.startswith("5-"))).unlink()
    build(built)
    assert {"feedback/index.html", "feedback/kind/praise/index.html"} <= rendered(built)
    with open(built.root / "cache" / CACHE_FILE, "rb") as file:
        assert "feedback/5-love-it/index.html" not in pickle.load(file)[1]


def test_a_template_change_renders_every_page_of_it(built):
    template = built.root / "theme" / "templates" / "feedback" / "item.html"
    template.write_text(template.read_text(encoding="utf-8").replace("Status history", "Status log"), encoding="utf-8")
    build(built)
    assert {ITEM_1, ITEM_3, ITEM_6} <= rendered(built)
    assert "Status log" in built.read(ITEM_1)
    assert same_as_fresh(built) == []


def test_a_change_to_a_template_they_import_renders_every_page(built):
    """base.html imports _shell.html (the site header): item and listing pages extend base.html."""
    template = built.root / "theme" / "templates" / "_shell.html"
    template.write_text(template.read_text(encoding="utf-8").replace("Skip to content", "Skip to the page"),
                        encoding="utf-8")
    build(built)
    assert {ITEM_1, "feedback/index.html", "feedback/roadmap/index.html"} <= rendered(built)
    assert "Skip to the page" in built.read("feedback/index.html")
    assert same_as_fresh(built) == []


def test_a_setting_change_renders_every_page(built):
    build(built, SITESUBTITLE="Now with a subtitle")
    assert {ITEM_1, "feedback/index.html", "feedback/tags/index.html"} <= rendered(built)
    assert same_as_fresh(built, SITESUBTITLE="Now with a subtitle") == []


def test_an_output_file_replaced_or_removed_is_written_again(built):
    page = built.output / ITEM_1
    original, stat = page.read_bytes(), page.stat()
    page.write_bytes(original.replace(b"Dark mode", b"Dark mood"))  # in place, same size,
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime: only the ctime tells
    (built.output / ITEM_3).unlink()
    (built.output / FEED_1).write_bytes(b"")
    build(built)
    assert {ITEM_1, ITEM_3, FEED_1} <= rendered(built)
    assert page.read_bytes() == original
    assert same_as_fresh(built) == []


def test_incremental_updates_leave_the_cache_correct(tmp_path):
    """The resident builder rewrites pages without the cache; the next full build must not keep stale ones."""
    from cluetrain.incremental import UpdateMode
    from tests.incremental_helpers import resident

    site = hub_site(tmp_path)
    settings = {"THEME": str(site.root / "theme"), "COMMUNITY_CONTRIBUTOR_POINTS": POINTS,
                "COMMUNITY_CONTRIBUTOR_LEVELS": LEVELS, "FEEDBACK_PER_PAGE": 2}
    build(site)
    resident_site = resident(site, **settings)
    path = next(p for p in (site.content / "feedback").iterdir() if p.name.startswith("1-"))
    _edit(site, votes=12)()
    assert resident_site.update([path]).mode is UpdateMode.INCREMENTAL
    assert ">12<" in site.read(ITEM_1)
    _edit(site, votes=10)()  # back to the inputs the cache knows: the page must show 10 votes again
    build(site)
    assert ITEM_1 in rendered(site)
    assert same_as_fresh(site) == []


def test_now_is_part_of_what_a_page_shows(built):
    """Threads close after a while: a build at another time that closes them renders the pages again."""
    later = datetime(2030, 1, 1, tzinfo=UTC)
    build(built, COMMENTS_NOW=later)
    assert ITEM_1 in rendered(built)
    assert same_as_fresh(built, COMMENTS_NOW=later) == []


def _closure_filter(value: object) -> object:
    def filtered(text: object) -> object:
        return text
    return filtered


def test_a_value_that_cannot_be_digested_is_rendered_every_time(built):
    """A setting holding a closure (its state is not in its pickle): no page is kept, every one is rendered."""
    build(built, JINJA_FILTERS={"unused": _closure_filter(None)})
    build(built, JINJA_FILTERS={"unused": _closure_filter(None)})
    assert {ITEM_1, "feedback/index.html"} <= rendered(built)


def test_the_code_digest_follows_the_modules_loaded_as_first_read(tmp_path):
    """A module loaded (a plugin, a filter) enters the code digest; its file edited under the running process does not.

    The code running is the one first read: a deploy replacing files under a running builder must not key pages the old
    code renders with the new code's digest (the restarted builder, reading the new files, keys them anew).
    """
    from cluetrain.fingerprints import code_digest

    (tmp_path / "page_cache_probe.py").write_text("VALUE = 1\n", encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        before = code_digest()
        import page_cache_probe  # noqa: F401
        loaded = code_digest()
        assert loaded != before
        (tmp_path / "page_cache_probe.py").write_text("VALUE = 2\n", encoding="utf-8")
        assert code_digest() == loaded
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("page_cache_probe", None)


def test_relative_urls_turn_the_cache_off(built):
    """With RELATIVE_URLS each page's SITEURL is its own: pages are rendered every time; back to absolute URLs,
    the pages those builds rewrote no longer match what the cache knows and are rendered again."""
    build(built, RELATIVE_URLS=True)
    build(built, RELATIVE_URLS=True)
    assert same_as_fresh(built, RELATIVE_URLS=True) == []
    build(built)
    assert {ITEM_1, "feedback/index.html"} <= rendered(built)  # feeds show absolute URLs either way
    assert same_as_fresh(built) == []
