"""The build's caches: chart SVGs by their data, feedback Markdown by its source; same bytes as without them."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest
from jinja2 import Environment

from cluetrain import markup
from cluetrain.markup import MarkdownCache, plain_text, render_markdown
from plugins.cluetrain_community.charts import CACHE_FOLDER, Chart, ChartCache, cache_key, draw_svg

from .conftest import REPO, Site
from .feedback_helpers import write_item

CHART = Chart("posts", "Posts by month", "Bar chart of posts.", "posts", ("Posts",),
              (("2026-01", (3,)), ("2026-02", (0,)), ("2026-03", (5,))))


def test_a_cached_chart_is_byte_for_byte_a_fresh_drawing(tmp_path):
    cache = ChartCache(tmp_path)
    first = cache.svg(CHART)
    again = ChartCache(tmp_path).svg(CHART)
    assert first == again == draw_svg(CHART)
    assert cache.drawn == 1


def test_changed_chart_data_is_drawn_again(tmp_path):
    cache = ChartCache(tmp_path)
    cache.svg(CHART)
    changed = Chart(*[getattr(CHART, name) for name in ("slug", "title", "summary", "unit", "series")],
                    rows=(*CHART.rows[:2], ("2026-03", (6,))))
    assert cache_key(changed) != cache_key(CHART)
    assert cache.svg(changed) == draw_svg(changed) != draw_svg(CHART)
    assert cache.drawn == 2
    # An int and the equal float are different data to the key (JSON writes 1 and 1.0).
    as_float = Chart(*[getattr(CHART, name) for name in ("slug", "title", "summary", "unit", "series")],
                     rows=tuple((label, (float(values[0]),)) for label, values in CHART.rows))
    assert cache_key(as_float) != cache_key(CHART)


@pytest.mark.parametrize("damage", [b"", b"not a digest\n<svg/>", "truncate"])
def test_a_damaged_cache_file_is_ignored_and_rewritten(tmp_path, damage):
    ChartCache(tmp_path).svg(CHART)
    path = tmp_path / f"{cache_key(CHART)}.svg"
    good = path.read_bytes()
    path.write_bytes(good[:len(good) // 2] if damage == "truncate" else damage)
    cache = ChartCache(tmp_path)
    assert cache.svg(CHART) == draw_svg(CHART)
    assert cache.drawn == 1
    assert path.read_bytes() == good


def test_without_reading_the_cache_charts_are_drawn_and_still_written(tmp_path):
    ChartCache(tmp_path).svg(CHART)
    cache = ChartCache(tmp_path, read=False)
    assert cache.svg(CHART) == draw_svg(CHART) and cache.drawn == 1
    readonly = ChartCache(tmp_path / "other", write=False)
    readonly.svg(CHART)
    assert not (tmp_path / "other").exists()


def test_matplotlib_is_not_imported_when_every_chart_is_cached(tmp_path):
    ChartCache(tmp_path).svg(CHART)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from pathlib import Path
        from plugins.cluetrain_community.charts import ChartCache
        from tests.test_build_caches import CHART
        cache = ChartCache(Path({str(tmp_path)!r}))
        cache.svg(CHART)
        assert cache.drawn == 0
        print("matplotlib" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "False"


def test_markdown_cache_hits_and_misses(tmp_path):
    cache = MarkdownCache.load(tmp_path)
    source = "Some *emphasis* and [a link](https://example.com)."
    html, text = cache.render(source)
    assert (str(html), text) == (render_markdown(source), plain_text(render_markdown(source)))
    assert cache.rendered == 1
    cache.save(tmp_path)
    again = MarkdownCache.load(tmp_path)
    assert again.render(source) == (html, text) and again.rendered == 0  # a hit
    again.render("Something else.")
    assert again.rendered == 1  # a miss
    again.save(tmp_path)
    pruned = MarkdownCache.load(tmp_path)
    pruned.render("Something else.")
    assert pruned.rendered == 0
    pruned.save(tmp_path)  # only what this build used is kept
    assert MarkdownCache.load(tmp_path).render(source) and MarkdownCache.load(tmp_path)._entries.keys() == \
        pruned._entries.keys()


def test_a_damaged_markdown_cache_is_ignored(tmp_path):
    (tmp_path / MarkdownCache.FILE_NAME).write_bytes(b"\x80\x05garbage")
    cache = MarkdownCache.load(tmp_path)
    assert cache.render("*Hi*")[0] == render_markdown("*Hi*") and cache.rendered == 1


def test_a_markdown_cache_of_another_renderer_or_layout_renders_again(tmp_path, monkeypatch):
    cache = MarkdownCache.load(tmp_path)
    cache.render("*Hi*")
    cache.save(tmp_path)
    monkeypatch.setattr(markup, "renderer_version", lambda: "another/renderer")
    assert MarkdownCache.load(tmp_path)._entries == {}  # rules changed: nothing rendered by the old ones is used
    monkeypatch.undo()
    # The layout before it moved onto cache_files: (version, entries), read as nothing rather than mis-read.
    (tmp_path / MarkdownCache.FILE_NAME).write_bytes(pickle.dumps((markup.renderer_version(), cache._entries)))
    again = MarkdownCache.load(tmp_path)
    assert again.render("*Hi*")[0] == render_markdown("*Hi*") and again.rendered == 1


def _feedback_site(root) -> Site:
    (root / "content" / "posts").mkdir(parents=True)
    site = Site(root)
    site.post("alpha", date="2026-01-05 10:00", author="Maya Okafor")
    site.post("beta", date="2026-02-05 10:00", author="Tomás Reyes")
    site.comment("alpha", "c1", date=datetime(2026, 1, 6, tzinfo=UTC))
    write_item(site.content, 1, "Dark mode", body="Please add *dark* mode.", answer=("Priya", 3, "**Soon.**"))
    write_item(site.content, 2, "Export", kind="bug", body="Exports `fail`.")
    return site


def _outputs(site: Site) -> dict[str, bytes]:
    return {str(path.relative_to(site.output)): path.read_bytes() for path in site.output.rglob("*") if path.is_file()}


def test_a_cached_build_writes_what_a_fresh_one_does_without_drawing_or_rendering(tmp_path, monkeypatch):
    site = _feedback_site(tmp_path / "site")
    site.build()
    first = _outputs(site)
    assert list((site.root / "cache" / CACHE_FOLDER).glob("*.svg"))
    assert (site.root / "cache" / "cluetrain_feedback_html.pickle").is_file()
    assert (site.root / "cache" / "cluetrain_feedback_feeds.pickle").is_file()

    # The plugins as Pelican loaded them: a cached build must neither draw, render feedback Markdown nor
    # serialise a feed (comment or feedback feeds).
    charts, markup = sys.modules["cluetrain_community.charts"], sys.modules["cluetrain.markup"]
    monkeypatch.setattr(charts, "draw_svg", lambda chart: pytest.fail(f"drew {chart.slug}"))
    monkeypatch.setattr(markup, "render_markdown", lambda source: pytest.fail(f"rendered {source!r}"))
    atom = sys.modules["cluetrain.atom"]
    monkeypatch.setattr(atom.ReproducibleAtom, "writeString", lambda self, encoding: pytest.fail("wrote a feed"))
    feeds = [path for path in site.output.rglob("*.xml") if b"<feed " in path.read_bytes()[:300]]
    assert len(feeds) > 3
    for path in [*site.output.rglob("*.svg"), *feeds]:
        path.unlink()
    site.build()
    assert _outputs(site) == first


def test_a_feedback_row_is_rendered_once_per_state_of_its_item():
    from types import SimpleNamespace

    from plugins.cluetrain_feedback.cards import feedback_card

    calls = []

    def row(item, compact):
        calls.append((item.item, compact))
        return f"<li>{item.item}</li>"

    tag = object()
    item = SimpleNamespace(item="one", thread=object(), merged_into=None, status="new", answer=None, tags=[tag])
    environment = Environment()
    variables = {"SITEURL": "https://a.example", "feedback_hub": object()}
    context = environment.from_string("").new_context(variables)
    assert feedback_card(context, item, row) == feedback_card(context, item, row) == "<li>one</li>"
    assert len(calls) == 1
    item.thread = object()  # the comments plugin attaches a new thread when a comment changes
    feedback_card(context, item, row)
    item.tags = [tag, object()]
    feedback_card(context, item, row)
    feedback_card(environment.from_string("").new_context({**variables, "SITEURL": "https://b.example"}), item, row)
    feedback_card(context, item, row, compact=True)
    assert len(calls) == 5
    # Another environment (another generator, build or theme) draws its own rows.
    feedback_card(Environment().from_string("").new_context(variables), item, row, compact=True)
    assert len(calls) == 6


def test_a_cached_comment_feed_is_the_feed_written_afresh(tmp_path):
    from cluetrain.atom import FeedCache

    head = {"title": "Comments", "link": "https://a.example/p/", "feed_url": "https://a.example/f.xml",
            "language": "en", "fallback_date": datetime(2026, 1, 1, tzinfo=UTC)}
    items = [{"title": "Ada on “P”", "link": "https://a.example/p/#c1", "description": "Hi", "content": "<p>Hi</p>",
              "author_name": "Ada", "pubdate": datetime(2026, 1, 2, tzinfo=UTC), "unique_id": "https://a.example/p/#c1"}]
    fresh = FeedCache("feeds.pickle")
    data = fresh.feed(head, items)
    fresh.save(tmp_path)
    cached = FeedCache.load(tmp_path, "feeds.pickle")
    assert cached.feed(head, items) == data and cached.written == 0
    changed = [{**items[0], "content": "<p>Hello</p>"}]
    assert b"Hello" in cached.feed(head, changed) and cached.written == 1
    (tmp_path / "feeds.pickle").write_bytes(b"garbage")
    assert FeedCache.load(tmp_path, "feeds.pickle").feed(head, items) == data


@pytest.mark.parametrize("documents", [
    ["[ref]: https://example.com\n\nSee [ref].", "And [ref] again, undefined here."],
    ["```\n<b>code</b>\n```", "Text with <b>html</b> and a footnote[^1].", "1. one\n2. two\n\n* a\n* b"],
])
def test_the_reused_markdown_converter_renders_as_a_fresh_one(documents):
    import markdown

    from cluetrain.markup import sanitize_html

    for text in documents:
        fresh = markdown.Markdown(extensions=["fenced_code", "sane_lists"], output_format="html").convert(text)
        assert render_markdown(text) == sanitize_html(fresh)


def test_an_identicon_is_drawn_once_per_avatar():
    from plugins.cluetrain_comments.threads import Avatar, identicon_once

    calls = []

    def macro(avatar):
        calls.append(avatar)
        return f"<svg>{avatar.hue}</svg>"

    environment = Environment()
    first, same, other = Avatar.from_key("k1"), Avatar.from_key("k1"), Avatar.from_key("k2")
    assert (identicon_once(environment, first, macro) == identicon_once(environment, same, macro)
            == f"<svg>{first.hue}</svg>")
    identicon_once(environment, other, macro)
    assert calls == [first, other]
    # Another environment (another theme or site in the same process) draws with its own macro.
    assert identicon_once(Environment(), first, lambda avatar: "<svg>theirs</svg>") == "<svg>theirs</svg>"


def test_a_cached_build_parses_no_post_again(tmp_path, monkeypatch):
    """Pelican's content cache pickles the settings (inside every Tag, Category and Author): a setting it cannot
    pickle, such as a wrapped Jinja filter, makes it keep an empty cache with only a warning."""
    from pelican.readers import MarkdownReader

    site = _feedback_site(tmp_path / "site")
    site.build()
    parsed = []
    original = MarkdownReader.read
    monkeypatch.setattr(MarkdownReader, "read", lambda self, path: parsed.append(path) or original(self, path))
    site.build()
    assert parsed == []
