"""Comment bodies rendered once: Markdown → sanitized HTML → plain text, cached by a hash of the body.

Rendering is most of what comments cost a build (about 0.2 ms each), and an approved comment
never changes its body without a new revision, so a body's rendering is kept between builds
in CACHE_PATH and, in the resident builder, in memory.
"""

from __future__ import annotations

from cluetrain.markup import MarkdownCache, renderer_version

CACHE_FILE = "cluetrain_comment_html.pickle"

__all__ = ["CACHE_FILE", "RenderedBodies", "renderer_version"]


class RenderedBodies(MarkdownCache):
    """Body hash → (sanitized HTML, plain text) of comments; remembers which entries this build used."""

    FILE_NAME = CACHE_FILE
