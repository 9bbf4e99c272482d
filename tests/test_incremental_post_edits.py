"""A post's text edited in place is applied incrementally; any other post change is a full build."""

from __future__ import annotations

import pytest
from pelican.contents import Content

from cluetrain.build import BuildError
from cluetrain.incremental import UpdateMode
from tests.incremental_helpers import differences, fresh_build, populate, resident


def _append(path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def _edited(site, slug: str, old: str, new: str):
    path = site.content / "posts" / f"{slug}.md"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return path


def test_a_text_edit_rewrites_the_post_its_cards_and_feeds_without_a_full_build(site):
    populate(site, posts=18, items=2)
    resident_site = resident(site)
    path = site.content / "posts" / "post-17.md"  # the newest post: first on the home page
    _append(path, "A corrected *sentence*.")
    report = resident_site.update([path])
    assert report.mode is UpdateMode.INCREMENTAL, report.reason
    assert report.written[0] == "posts/post-17/index.html"  # the post's own page first
    body = site.html("posts/post-17/index.html").xpath("//article//em/text()")
    assert "sentence" in body
    cards = site.html("index.html").xpath("//div[@class='card-summary']//em/text()")
    assert cards == ["sentence"]  # the listing card shows the new summary
    assert "A corrected" in site.read("feeds/all.atom.xml")
    assert report.search_documents == 1  # the post's own document, not its comments'
    assert differences(site.output, fresh_build(site)[0]) == []


def test_the_same_post_edited_twice_shows_the_last_text(site):
    populate(site, posts=4, items=1)
    resident_site = resident(site)
    path = site.content / "posts" / "post-1.md"
    for text in ("First fix.", "Second fix."):
        _append(path, text)
        assert resident_site.update([path]).mode is UpdateMode.INCREMENTAL
    assert "Second fix." in site.html("posts/post-1/index.html").text_content()
    assert differences(site.output, fresh_build(site)[0]) == []


@pytest.mark.parametrize(("change", "reason"), [
    (lambda site: _edited(site, "post-2", "Title: Post 2", "Title: A New Title"),
     "changed more than its text (metadata, title)"),
    (lambda site: _edited(site, "post-2", "Title:", "Summary: Hand-written.\nTitle:"), "changed more than its text"),
    (lambda site: _edited(site, "post-2", "Some words.", "See [the logo]({static}/images/logo.png)."),
     "links other static files"),
    (lambda site: site.post("brand-new"), "not a comment, feedback or known post file"),
    (lambda site: site.page("about", comments="open", body="Changed page."), "not a comment, feedback or known"),
])
def test_other_post_changes_build_in_full(site, change, reason):
    populate(site, posts=4, items=1)
    (site.content / "images").mkdir()
    (site.content / "images" / "logo.png").write_bytes(b"\x89PNG\r\n")
    resident_site = resident(site)
    report = resident_site.update([change(site)])
    assert report.mode is UpdateMode.FULL and reason in report.reason
    assert differences(site.output, fresh_build(site)[0]) == []


def test_a_removed_post_builds_in_full(site):
    populate(site, posts=4, items=1)
    resident_site = resident(site)
    path = site.content / "posts" / "post-3.md"
    path.unlink()
    report = resident_site.update([path])
    assert report.mode is UpdateMode.FULL


def test_an_unreadable_post_builds_in_full_and_fails_like_one(site):
    populate(site, posts=4, items=1)
    resident_site = resident(site)
    path = site.post("post-1", date="not a date")
    with pytest.raises(BuildError, match="post-1"):
        resident_site.update([path])


def test_a_full_build_leaves_no_earlier_post_in_pelicans_memoized_caches(site):
    populate(site, posts=4, items=1)
    resident_site = resident(site)
    assert all(vars(Content)[name].cache for name in ("get_content", "get_summary"))  # the first build's posts
    resident_site.full_build("again")  # renders nothing (its pages are kept), but reads every post anew
    context = resident_site.pelican.context
    current = {id(content) for content in context["articles"] + context["pages"]}
    for name in ("get_content", "get_summary"):
        held = {id(key[0]) for key in vars(Content)[name].cache}
        assert held <= current
