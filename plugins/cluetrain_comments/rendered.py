"""Comment bodies rendered once: Markdown → sanitized HTML → plain text, cached by a hash of the body.

Rendering is most of what comments cost a build (about 0.2 ms each), and an approved comment
never changes its body without a new revision, so a body's rendering is kept between builds
in CACHE_PATH and, in the resident builder, in memory.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path

import markdown
import nh3
from markupsafe import Markup

from cluetrain import markup
from cluetrain.content_format import atomic_write
from cluetrain.markup import plain_text, render_markdown

log = logging.getLogger(__name__)
CACHE_FILE = "cluetrain_comment_html.pickle"


def renderer_version() -> str:
    """Changes whenever the rendering could: the sanitizer rules' source, Markdown's and nh3's versions."""
    rules = hashlib.sha256(Path(markup.__file__).read_bytes()).hexdigest()[:16]
    return f"{rules}/{markdown.__version__}/{getattr(nh3, '__version__', '?')}"


class RenderedBodies:
    """Body hash → (sanitized HTML, plain text); remembers which entries this build used."""

    def __init__(self, version: str, entries: dict[str, tuple[str, str]] | None = None) -> None:
        self.version = version
        self._entries = entries or {}
        self._used: set[str] = set()
        self.rendered = 0

    @classmethod
    def load(cls, cache_dir: Path | None) -> RenderedBodies:
        """The cache saved in ``cache_dir`` if it matches this renderer; an empty one otherwise."""
        version = renderer_version()
        if cache_dir is None:
            return cls(version)
        try:
            with open(Path(cache_dir) / CACHE_FILE, "rb") as handle:
                saved_version, entries = pickle.load(handle)
        except FileNotFoundError:
            return cls(version)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError) as exc:
            log.warning("ignoring an unreadable comment cache: %s", exc)
            return cls(version)
        return cls(version, entries if saved_version == version else None)

    def render(self, body: str) -> tuple[Markup, str]:
        """The body's HTML (safe) and plain text, rendered now or taken from the cache."""
        key = hashlib.blake2b(body.encode("utf-8"), digest_size=20).hexdigest()
        self._used.add(key)
        found = self._entries.get(key)
        if found is None:
            html = render_markdown(body)
            found = self._entries[key] = (html, plain_text(html))
            self.rendered += 1
        return Markup(found[0]), found[1]

    def save(self, cache_dir: Path) -> None:
        """Keep only what this build used (so removed comments do not pile up) and write it if it changed."""
        if self.rendered == 0 and len(self._used) == len(self._entries):
            self._used = set()
            return
        self._entries = {key: self._entries[key] for key in self._used if key in self._entries}
        atomic_write(Path(cache_dir) / CACHE_FILE, pickle.dumps((self.version, self._entries), protocol=5))
        self.rendered = 0
        self._used = set()
