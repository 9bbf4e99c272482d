"""Snippets: matched words found by Whoosh's highlighter, returned as data and never as HTML.

A snippet is a tuple of :class:`Segment` (text, matched?). Templates wrap matched segments
in ``<mark>`` and let autoescaping handle every piece, so visitor text can never become
markup, and the JSON API joins the pieces into plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from whoosh.highlight import Formatter, Fragment, PinpointFragmenter, WholeFragmenter, get_text

from cluetrain.search.query import Segment

ELLIPSIS = "…"
SNIPPET_CHARS = 220
_WORDS = re.compile(r"\w")
FRAGMENTS = 2


class SegmentFormatter(Formatter):
    """A Whoosh formatter whose output is a tuple of segments instead of a marked-up string."""

    def format_token(self, text: str, token: Any, replace: bool = False) -> Segment:
        """A matched word, as a highlighted segment."""
        return Segment(get_text(text, token, replace), True)

    def format_fragment(self, fragment: Fragment, replace: bool = False) -> list[Segment]:
        """The fragment's text cut into plain and highlighted segments."""
        segments: list[Segment] = []
        index, text = fragment.startchar, fragment.text
        for token in fragment.matches:
            if token.startchar is None or token.startchar < index:
                continue
            if token.startchar > index:
                segments.append(Segment(text[index:token.startchar], False))
            segments.append(self.format_token(text, token, replace))
            index = token.endchar
        segments.append(Segment(text[index:fragment.endchar], False))
        return segments

    def format(self, fragments: Iterable[Fragment], replace: bool = False) -> tuple[Segment, ...]:
        """Every fragment, in text order, with an ellipsis wherever text was left out."""
        fragments = [_whole_words(fragment) for fragment in fragments]
        segments: list[Segment] = []
        for fragment in fragments:
            if _WORDS.search(fragment.text, 0, fragment.startchar):
                segments.append(Segment(f" {ELLIPSIS} " if segments else ELLIPSIS, False))
            segments.extend(self.format_fragment(fragment, replace))
        if fragments:
            last = fragments[-1]
            # Say that text follows, or keep the closing punctuation when only that follows.
            rest = last.text[last.endchar :]
            segments.append(Segment(ELLIPSIS if _WORDS.search(rest) else rest.rstrip(), False))
        return tuple(_merged(segments))


def _merged(segments: list[Segment]) -> Iterable[Segment]:
    """Adjacent segments of the same kind joined, empty ones dropped."""
    current: Segment | None = None
    for segment in segments:
        if not segment.text:
            continue
        if current is not None and current.match == segment.match:
            current = Segment(current.text + segment.text, current.match)
            continue
        if current is not None:
            yield current
        current = segment
    if current is not None:
        yield current


def _whole_words(fragment: Fragment) -> Fragment:
    """Move a fragment's edges off half words ("ttach the"), never past its first or last match."""
    text = fragment.text
    first = min((t.startchar for t in fragment.matches), default=fragment.endchar)
    last = max((t.endchar for t in fragment.matches), default=fragment.startchar)
    start, end = fragment.startchar, fragment.endchar
    if 0 < start < first and _WORDS.match(text, start - 1):
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    if last < end < len(text) and _WORDS.match(text, end):
        space = text.rfind(" ", last, end)
        end = space if space != -1 else end
    fragment.startchar, fragment.endchar = start, end
    return fragment


def configure(results: Any) -> None:
    """Make a Whoosh ``Results`` object produce snippets as segments."""
    results.formatter = SegmentFormatter()


def snippet(hit: Any, body: str) -> tuple[Segment, ...]:
    """The hit's body around its matches: whole when short, else the best fragments."""
    # The fragmenter is the Results object's, shared by its hits, so it is chosen per hit here.
    if len(body) <= SNIPPET_CHARS:
        hit.results.fragmenter = WholeFragmenter()
    else:
        # Builds fragments from the stored offsets of the matched words, without re-analysing the body.
        hit.results.fragmenter = PinpointFragmenter(maxchars=SNIPPET_CHARS // FRAGMENTS, surround=50)
    return hit.highlights("body", text=body, top=FRAGMENTS) or leading_text(body)


def leading_text(body: str) -> tuple[Segment, ...]:
    """The start of ``body`` as an unhighlighted snippet (when the match was not in the body)."""
    if len(body) <= SNIPPET_CHARS:
        return (Segment(body, False),) if body else ()
    cut = body[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return (Segment(cut + ELLIPSIS, False),)
