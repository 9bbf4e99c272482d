"""The sanitizer visitor Markdown goes through, on the build and in the service."""

from __future__ import annotations

import lxml.html
import pytest

from cluetrain.content_format import FORBIDDEN_CHARACTERS
from cluetrain.markup import count_links, plain_text, render_markdown


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
