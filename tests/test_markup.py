"""The sanitizer visitor Markdown goes through, on the build and in the service."""

from __future__ import annotations

import lxml.html
import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cluetrain.content_format import FORBIDDEN_CHARACTERS
from cluetrain.markup import count_links, plain_text, render_markdown, sanitize_html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        '<a href="java&#1;&#2;script:alert(1)">x</a>',
        "[y](java&#0;script:alert(2))",
        '<a href="&#106;avascript:alert(3)">z</a>',
        "<iframe src=https://evil.example></iframe>",
        '<p style="background:url(javascript:alert(1))" onclick="alert(1)">p</p>',
        "<svg><script>alert(1)</script></svg>",
        '<form action="https://evil.example"><input name=q></form>',
    ],
)
def test_nothing_executable_survives(hostile):
    html = render_markdown(hostile)
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    assert not tree.xpath("//script | //img | //iframe | //svg | //form | //input | //@style")
    assert not [a for a in tree.xpath("//@*") if a.attrname.startswith("on")]
    for href in tree.xpath("//a/@href"):
        assert href.startswith(("http://", "https://", "mailto:")), href
    assert not FORBIDDEN_CHARACTERS.search(html)


def test_markdown_formatting_and_links_survive_with_rel_nofollow_ugc():
    html = render_markdown("Some *emphasis*, `code` and [a link](https://example.org/a?b=1&c=2).\n\n> quote")
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    assert tree.xpath("//em/text()") == ["emphasis"] and tree.xpath("//code/text()") == ["code"]
    link = tree.xpath("//a")[0]
    assert link.get("href") == "https://example.org/a?b=1&c=2" and link.get("rel") == "nofollow ugc"
    assert tree.xpath("//blockquote")


def test_plain_text_and_link_count():
    assert plain_text(render_markdown("A &amp; *b* <b>c</b>")) == "A & b c"
    assert count_links("[a](https://a.example) https://b.example <a href='https://c.example'>c</a>") == 2


# Prose is rendered without Python-Markdown (cluetrain.markup's fast path): it must come out exactly as Markdown's.
def _markdown_itself(text: str) -> str:
    converter = markdown.Markdown(extensions=["fenced_code", "sane_lists"], output_format="html")
    return sanitize_html(converter.convert(text))


WORDS = st.text(alphabet="abcXYZéßж日本0123456789", min_size=1, max_size=8)
FIRST_LETTERS = st.sampled_from("aZéж日")
SEPARATORS = st.sampled_from([" ", "  ", ", ", ". ", "; ", ": ", "'", '"', "? ", "! ", " (", ") ", "/", "%", "@", "$",
                              "-", " - "])
LINE_BREAKS = st.sampled_from(["\n", "\n", "\n\n", "\n\n\n"])
SYNTAX = st.sampled_from(["*", "_", "`", "[", "]", "<", ">", "#", "&", "\\", "~", "=", "|", "+", "\t", " ", "  ",
                          "    ", "- ", "1. ", "> ", "---", "===", "```", "&amp;", "<b>", "\r", "\n \n", "(", "!"])


@st.composite
def prose(draw: st.DrawFn) -> str:
    """Paragraphs of lines that start with a letter: words and everyday punctuation."""
    text = ""
    for number in range(draw(st.integers(1, 6))):
        if number:
            text += draw(LINE_BREAKS)
        text += draw(FIRST_LETTERS) + draw(WORDS)
        for _ in range(draw(st.integers(0, 8))):
            text += draw(SEPARATORS) + draw(WORDS)
    return text


@st.composite
def marked_prose(draw: st.DrawFn) -> str:
    """Prose with a piece of Markdown syntax (or a tab, a trailing space, an indent) somewhere in it."""
    text = draw(prose())
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(SYNTAX) + text[at:]


@settings(max_examples=1500, deadline=None)
@given(prose())
def test_prose_renders_as_markdown_renders_it(text):
    assert render_markdown(text) == _markdown_itself(text)


@settings(max_examples=1500, deadline=None)
@given(marked_prose())
def test_text_with_markdown_syntax_renders_as_markdown_renders_it(text):
    assert render_markdown(text) == _markdown_itself(text)


@pytest.mark.parametrize("text", [
    "Thanks, this fixed it!\n\nOne question: does it work on 3.12 too?",
    "Great post.\nI'd add (as a side note) that 50% of users don't care - at all.",
    "Ünïcödé prose, 日本語 too.",
    "Line ending with two spaces  \nis a break",
    "Word\n---",
    "1. a list",
    "Not_emphasis but_maybe",
])
def test_everyday_comments_render_as_markdown_renders_them(text):
    assert render_markdown(text) == _markdown_itself(text)
