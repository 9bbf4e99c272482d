"""A full build deletes the outputs of content gone (a removed post, slug, tag or feedback item), nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cluetrain.build import BuildError
from cluetrain.content_format import feedback_path
from cluetrain.dropped_outputs import DroppedOutputs
from cluetrain.incremental import UpdateMode

from .conftest import Site
from .feedback_helpers import write_item
from .incremental_helpers import differences, fresh_build, resident, unlike_fresh
from .live_service import REPO

GONE = "posts/p3/index.html"
GONE_TAG = "tags/gamma/index.html"
GONE_TAG_FEED = "feeds/tags/gamma.atom.xml"
GONE_THREAD_FEED = "feeds/comments/p3.atom.xml"
SECOND_INDEX_PAGE = "page/2/index.html"  # two posts a page: three posts make a second page, two do not


def blog(root: Path) -> Site:
    """Three posts (the third alone in its tag, with a comment), two to a listing page, a feedback item; built."""
    (root / "content" / "posts").mkdir(parents=True)
    shutil.copytree(REPO / "theme", root / "theme")
    site = Site(root)
    site.post("p1", title="First", tags="alpha")
    site.post("p2", title="Second", date="2026-01-11 09:00", tags="alpha")
    site.post("p3", title="Third", date="2026-01-12 09:00", tags="gamma")
    site.comment("p3", "c1", body="Nice.")
    write_item(site.content, 7, "Dark mode please")
    build(site)
    return site


def build(site: Site, **settings: object) -> object:
    return site.build(THEME=str(site.root / "theme"), DEFAULT_PAGINATION=2, **settings)


def remove_p3(site: Site) -> None:
    (site.content / "posts" / "p3.md").unlink()
    shutil.rmtree(site.content / "comments" / "p3")  # its comments go with it (a thread must match a post)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return blog(tmp_path)


def test_a_removed_posts_page_listing_page_tag_and_feeds_go(site):
    for path in (GONE, GONE_TAG, GONE_TAG_FEED, GONE_THREAD_FEED, SECOND_INDEX_PAGE):
        assert (site.output / path).is_file()
    remove_p3(site)
    stats = build(site)
    for path in (GONE, GONE_TAG, GONE_TAG_FEED, GONE_THREAD_FEED, SECOND_INDEX_PAGE):
        assert not (site.output / path).exists(), path
    assert not (site.output / "posts" / "p3").exists()  # its folder too: the URL answers 404
    assert not (site.output / "page").exists()
    assert (site.output / "posts" / "p1" / "index.html").is_file()
    # The author's and the category's second listing pages went too (two posts left: one page each).
    removed = {str(Path(path).relative_to(site.output)) for path in stats.removed}
    assert removed == {GONE, GONE_TAG, GONE_TAG_FEED, GONE_THREAD_FEED, SECOND_INDEX_PAGE,
                       "authors/maya-okafor/page/2/index.html", "categories/posts/page/2/index.html"}
    assert "removed 7 files of content gone" in stats.summary()
    assert unlike_fresh(site, THEME=str(site.root / "theme"), DEFAULT_PAGINATION=2) == []


def test_a_renamed_slug_leaves_no_page_at_the_old_url(site):
    path = site.content / "posts" / "p1.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Slug: p1", "Slug: p-one"), encoding="utf-8")
    build(site)
    assert not (site.output / "posts" / "p1").exists()
    assert "First" in site.read("posts/p-one/index.html")


def test_a_removed_feedback_items_page_and_feeds_go(site):
    item = "feedback/7-dark-mode-please/index.html"
    feeds = ("feeds/feedback/7.atom.xml", "feeds/comments/feedback-7.atom.xml")  # its status and comment feeds
    assert all((site.output / path).is_file() for path in (item, *feeds))
    feedback_path(site.content, 7, "dark-mode-please").unlink()
    stats = build(site)
    assert {str(Path(path).relative_to(site.output)) for path in stats.removed} == {item, *feeds}
    assert not (site.output / "feedback" / "7-dark-mode-please").exists()
    assert unlike_fresh(site, THEME=str(site.root / "theme"), DEFAULT_PAGINATION=2) == []


def test_files_nobody_recorded_stay(site):
    verification = site.output / "google0123.html"
    verification.write_text("google-site-verification", encoding="utf-8")
    beside = site.output / "posts" / "p3" / "notes.txt"  # in a removed post's folder, which therefore stays
    beside.write_text("mine", encoding="utf-8")
    remove_p3(site)
    build(site)
    assert verification.read_text(encoding="utf-8") == "google-site-verification"
    assert beside.read_text(encoding="utf-8") == "mine"
    assert not (site.output / GONE).exists()


def test_a_page_rewritten_since_the_last_full_build_still_goes(site):
    # As the resident builder replaces a thread's page after an approval: the file is no longer the one recorded.
    page = site.output / GONE
    page.unlink()
    page.write_text(site.read("posts/p1/index.html"), encoding="utf-8")
    remove_p3(site)
    build(site)
    assert not page.exists()


def test_the_resident_builder_removes_a_post_whose_page_it_rewrote_since(tmp_path):
    site = blog(tmp_path)
    live = resident(site, THEME=str(site.root / "theme"), DEFAULT_PAGINATION=2)
    site.comment("p3", "c2", body="Me too.")  # approved: the resident builder replaces p3's page and feeds
    assert live.update([site.content / "comments" / "p3" / "c2.md"]).mode is UpdateMode.INCREMENTAL
    post = site.content / "posts" / "p3.md"
    remove_p3(site)
    report = live.update([post])
    assert report.mode is UpdateMode.FULL
    assert GONE in report.removed and GONE_THREAD_FEED in report.removed
    assert differences(site.output, fresh_build(site, THEME=str(site.root / "theme"), DEFAULT_PAGINATION=2)[0]) == []


def test_a_static_file_now_at_a_removed_posts_url_stays(site):
    remove_p3(site)
    static = site.content / "extra" / "p3.html"
    static.parent.mkdir()
    static.write_text("<p>Moved.</p>", encoding="utf-8")
    build(site, EXTRA_PATH_METADATA={"extra/p3.html": {"path": GONE}})
    assert site.read(GONE) == "<p>Moved.</p>"


def test_a_failed_build_deletes_nothing_and_the_next_successful_one_does(site):
    remove_p3(site)
    broken = site.content / "posts" / "p2.md"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("Date: 2026-01-11 09:00", "Date: not a date"), encoding="utf-8")
    with pytest.raises(BuildError, match="p2.md"):
        build(site)
    # Pelican skipped p2: its page is not gone, and p3's is not deleted by a build that failed.
    assert (site.output / "posts" / "p2" / "index.html").is_file()
    assert (site.output / GONE).is_file()
    broken.write_text(text, encoding="utf-8")
    build(site)
    # p2's page came back with the bytes it had (so the file was left as it was): it is not deleted.
    assert "Second" in site.read("posts/p2/index.html")
    assert not (site.output / GONE).exists()
    assert unlike_fresh(site, THEME=str(site.root / "theme"), DEFAULT_PAGINATION=2) == []


def test_a_build_into_another_folder_deletes_nothing_in_the_first(site):
    # The comment feeds' cache names files by absolute path, and is shared by builds with one CACHE_PATH.
    other = site.root / "elsewhere"
    build(site, OUTPUT_PATH=str(other))
    assert (site.output / GONE_THREAD_FEED).is_file()
    assert (other / GONE_THREAD_FEED).is_file()


def test_without_kept_pages_nothing_is_known_and_nothing_deleted(site):
    remove_p3(site)
    build(site, KEEP_UNCHANGED_PAGES=False)
    assert (site.output / GONE).is_file()  # as Pelican leaves it (DELETE_OUTPUT_DIRECTORY off)


def test_only_files_inside_the_output_that_the_build_did_not_write_are_deleted(tmp_path):
    output, cache = tmp_path / "output", tmp_path / "cache"
    (output / "a").mkdir(parents=True)
    recorded, changed, outside, written = (output / "a" / "x.html", output / "y.html", tmp_path / "z.html",
                                           output / "w.html")  # changed: no matter (see the module)
    for path in (recorded, changed, outside, written):
        path.write_text("old", encoding="utf-8")
    (output / "folder").mkdir()
    (tmp_path / "target.html").write_text("not ours", encoding="utf-8")
    (output / "link.html").symlink_to(tmp_path / "target.html")
    dropped = DroppedOutputs({"OUTPUT_PATH": str(output), "CACHE_PATH": str(cache)})
    dropped.add(None, outputs=[str(path) for path in (recorded, changed, outside, written)])
    dropped.add(None, outputs=[str(output / "never.html"), str(output / "folder"), str(output / "link.html"),
                               str(output), f"{output}/a/../y.html"])
    assert dropped.remove([str(written)]) == [str(recorded), str(changed)]
    assert not (output / "a").exists() and output.is_dir()
    assert outside.exists() and written.exists() and (output / "folder").is_dir()
    assert (tmp_path / "target.html").exists() and (output / "link.html").is_symlink()


def test_what_a_failed_build_found_waits_for_the_next_build(tmp_path):
    output, cache = tmp_path / "output", tmp_path / "cache"
    output.mkdir()
    page = output / "gone.html"
    page.write_text("old", encoding="utf-8")
    settings = {"OUTPUT_PATH": str(output), "CACHE_PATH": str(cache)}
    failed = DroppedOutputs(settings)
    failed.add(None, outputs=[str(page)])
    failed.keep_for_next_build()
    assert page.exists()
    assert DroppedOutputs(settings).remove([]) == [str(page)]
    assert not page.exists()
    assert DroppedOutputs(settings).remove([]) == []  # done once: the record is gone
