"""Comment feeds keyed by what they show, and the site-wide files laid out without their slow encoders."""

from __future__ import annotations

import heapq
import json
import random
import sys
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from markupsafe import Markup

from cluetrain.content_format import comment_path
from cluetrain.output_files import SELECTION_CONTEXT_KEY, OutputSelection
from plugins.cluetrain_comments.generators import (
    MANIFEST_VERSION,
    CommentFeedsGenerator,
    manifest_json,
    newest_comments,
)
from plugins.cluetrain_seo.sitemap import sitemap_etree, sitemap_xml

from .conftest import Site


def _content(position: int, dates: list[datetime], ids: list[str]) -> SimpleNamespace:
    nodes = [SimpleNamespace(date=d, id=i) for d, i in zip(dates, ids, strict=True)]
    thread = SimpleNamespace(latest=max(dates, default=None), walk=lambda: list(nodes))
    return SimpleNamespace(thread=thread, position=position)


@pytest.mark.parametrize("seed", range(20))
def test_newest_comments_are_nlargest_ties_included(seed):
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    other_zone = timezone(timedelta(hours=2))
    contents = []
    for position in range(rng.randint(0, 30)):
        count = rng.randint(0, 6)
        # Few distinct dates and ids, some in another zone (equal instants): plenty of ties to break.
        dates = [(base + timedelta(hours=rng.randint(0, 8))).astimezone(rng.choice([UTC, other_zone]))
                 for _ in range(count)]
        contents.append(_content(position, dates, [f"c{rng.randint(0, 3)}" for _ in range(count)]))
    for limit in (0, 1, 3, 10, 500):
        everything = ((content, node) for content in contents for node in content.thread.walk())
        expected = heapq.nlargest(limit, everything, key=lambda pair: (pair[1].date, pair[1].id))
        assert [(c.position, id(n)) for c, n in newest_comments(contents, limit)] == \
               [(c.position, id(n)) for c, n in expected]


@pytest.mark.parametrize("entries", [
    [],
    [{}],
    [{"key": "a", "title": Markup('Q "x" é\n\t\\ \u2028 \x00 <b>'), "url": "u", "kind": "page", "status": "open",
      "comments": 0}],
    [{"key": "a", "none": None, "flag": True, "ratio": 1.5, "big": 10**20}, {"key": "b", "comments": 3}],
])
def test_the_manifest_is_what_json_dumps_writes(entries):
    expected = json.dumps({"version": MANIFEST_VERSION, "threads": entries}, ensure_ascii=False, indent=1) + "\n"
    assert manifest_json(entries) == expected


@pytest.mark.parametrize("siteurl", ["", "https://a.example", "http://x/&y"])
@pytest.mark.parametrize("entries", [
    (),
    (("", None),),
    (("a/", "2026-01-01T00:00:00+00:00"), ("b&c<d>e\"'/é\u2028", None), ("x", "<&>")),
])
def test_the_sitemap_is_what_elementtree_writes(siteurl, entries):
    assert sitemap_xml(siteurl, entries) == sitemap_etree(siteurl, entries)


def _outputs(site: Site, output: str) -> dict[str, bytes]:
    folder = site.root / output
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*.xml")}


def _fresh(site: Site, name: str, **overrides: object) -> dict[str, bytes]:
    """The feeds and sitemap of a build without any cache."""
    site.build(OUTPUT_PATH=str(site.root / name), CACHE_PATH=str(site.root / f"{name}-cache"), **overrides)
    return _outputs(site, name)


def test_cached_comment_feeds_follow_every_input_they_show(site, monkeypatch):
    site.post("hello", title="Hello")
    site.post("other", title="Other")
    site.comment("hello", "c1", author="Ada", date=datetime(2026, 2, 1, tzinfo=UTC), body="First *one*")
    site.comment("hello", "c2", author="Bob", date=datetime(2026, 2, 3, tzinfo=UTC), parent="c1")
    site.comment("other", "c3", author="Cy", date=datetime(2026, 2, 2, tzinfo=UTC))
    site.build()
    first = _outputs(site, "output")
    assert first == _fresh(site, "fresh0")

    # Nothing changed: no feed is serialised again.
    atom = sys.modules["cluetrain.atom"]
    real = atom.ReproducibleAtom.writeString
    monkeypatch.setattr(atom.ReproducibleAtom, "writeString", lambda self, encoding: pytest.fail("wrote a feed"))
    for path in (site.output / "feeds").rglob("*.xml"):
        path.unlink()
    site.build()
    assert _outputs(site, "output") == first
    monkeypatch.setattr(atom.ReproducibleAtom, "writeString", real)

    changes = [
        ("a body edited, same length", lambda: site.comment("hello", "c1", author="Ada",
                                                             date=datetime(2026, 2, 1, tzinfo=UTC),
                                                             body="First *two*"), {}),
        ("an author renamed", lambda: site.comment("other", "c3", author="Di",
                                                   date=datetime(2026, 2, 2, tzinfo=UTC)), {}),
        ("a date moved (order changes)", lambda: site.comment("other", "c3", author="Di",
                                                              date=datetime(2026, 2, 9, tzinfo=UTC)), {}),
        ("a comment added", lambda: site.comment("other", "c4", author="Eve", date=datetime(2026, 2, 4, tzinfo=UTC)),
         {}),
        ("a comment removed", lambda: comment_path(site.content, "other", "c4").unlink(), {}),
        ("a post retitled", lambda: site.post("hello", title="Hello again"), {}),
        ("the site renamed", lambda: None, {"SITENAME": "Renamed"}),
        ("the site moved", lambda: None, {"SITEURL": "https://b.example"}),
        ("fewer in the all-comments feed", lambda: None, {"COMMENTS_FEED_MAX_ITEMS": 2}),
    ]
    for number, (what, change, settings) in enumerate(changes, start=1):
        change()
        site.build(**settings)
        assert _outputs(site, "output") == _fresh(site, f"fresh{number}", **settings), what


def test_a_feed_file_left_as_written_is_not_written_again_but_a_changed_one_is(site, monkeypatch):
    site.post("hello", title="Hello")
    site.comment("hello", "c1", author="Ada", date=datetime(2026, 2, 1, tzinfo=UTC))
    site.build()
    feed = site.output / "feeds" / "comments" / "hello.atom.xml"
    everything = site.output / "feeds" / "comments.atom.xml"
    good, good_all = feed.read_bytes(), everything.read_bytes()
    replaced = []
    replace_file = sys.modules["cluetrain_comments.generators"].replace_file
    monkeypatch.setattr(sys.modules["cluetrain_comments.generators"], "replace_file",
                        lambda path, data: (path.name.endswith(".atom.xml") and replaced.append(path.name))
                        or replace_file(path, data))

    stats = site.build()
    assert replaced == []  # both feeds kept as the last build left them
    assert {str(feed), str(everything)} <= set(stats.written)  # still outputs of this build

    # Edited in place, same size: the inode stays, the size too; the feed is written again.
    with open(feed, "r+b") as handle:
        handle.write(good[:-2] + b"X\n")
    everything.unlink()
    site.build()
    assert sorted(replaced) == ["comments.atom.xml", "hello.atom.xml"]
    assert feed.read_bytes() == good and everything.read_bytes() == good_all

    # A new comment changes the feed's key; a setting changes every key.
    replaced.clear()
    site.comment("hello", "c2", author="Bob", date=datetime(2026, 2, 2, tzinfo=UTC))
    site.build()
    assert sorted(replaced) == ["comments.atom.xml", "hello.atom.xml"]
    replaced.clear()
    site.build(SITENAME="Renamed")
    assert sorted(replaced) == ["comments.atom.xml", "hello.atom.xml"]
    assert b"Renamed" in feed.read_bytes()


def test_an_unreadable_feed_file_list_is_ignored(site):
    site.post("hello", title="Hello")
    site.comment("hello", "c1", author="Ada", date=datetime(2026, 2, 1, tzinfo=UTC))
    site.build()
    feed = site.output / "feeds" / "comments" / "hello.atom.xml"
    good = feed.read_bytes()
    for path in (site.root / "cache").glob("cluetrain_comment_feeds.pickle*"):
        path.write_bytes(b"garbage")
    feed.write_bytes(b"damaged")
    site.build()
    assert feed.read_bytes() == good


@pytest.mark.parametrize("pattern", ["feeds/comments/{thread}.atom.xml", "feeds/{{raw}}/{thread}/atom.xml"])
def test_an_update_visits_only_the_threads_whose_feed_it_selected(tmp_path, pattern):
    threads = {key: (object(), "article") for key in ("a", "b", "feedback-7")}
    context: dict = {}
    generator = CommentFeedsGenerator(context, {"COMMENTS_FEED_ATOM": pattern}, "", "", str(tmp_path))
    assert generator._feed_keys(threads) == ["a", "b", "feedback-7"]  # a full build: every thread
    selected = [pattern.format(thread=key) for key in ("feedback-7", "b", "gone")]
    context[SELECTION_CONTEXT_KEY] = OutputSelection.of([*selected, "sitemap.xml", pattern.format(thread="")])
    assert generator._feed_keys(threads) == ["b", "feedback-7"]
    context[SELECTION_CONTEXT_KEY] = OutputSelection.of([], prefixes=["feeds/"])  # a whole folder: every thread
    assert generator._feed_keys(threads) == ["a", "b", "feedback-7"]
