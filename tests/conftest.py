"""Shared fixtures: real Pelican builds of small fixture sites in temporary folders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from cluetrain.build import BuildStats, build_site, load_settings
from cluetrain.content_format import Comment, CommentSource, write_comment

from .live_service import REPO, make_project

# A fixed "now", so thread closing and anything dated is reproducible.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


@dataclass
class Site:
    """A throwaway site: content/, output/ and cache/ in a temp folder, our theme and plugins."""

    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def output(self) -> Path:
        return self.root / "output"

    def post(self, slug: str, *, title: str | None = None, date: str = "2026-01-10 09:00",
             author: str = "Maya Okafor", body: str = "Some words.", folder: str = "posts",
             **metadata: str) -> Path:
        """Write a Markdown post (or page, with folder="pages")."""
        meta = {"Title": title or slug.replace("-", " ").title(), "Date": date, "Author": author, "Slug": slug}
        meta.update({key.replace("_", "-").title(): value for key, value in metadata.items()})
        path = self.content / folder / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{k}: {v}\n" for k, v in meta.items()) + "\n" + body + "\n", encoding="utf-8")
        return path

    def page(self, slug: str, **kwargs: Any) -> Path:
        return self.post(slug, folder="pages", **kwargs)

    def comment(self, thread: str, comment_id: str, *, author: str = "Ada", body: str = "Hello.",
                date: datetime | None = None, parent: str | None = None, **kwargs: Any) -> Comment:
        """Write an approved comment through the content format."""
        comment = Comment(id=comment_id, thread=thread, author=author, body=body,
                          date=date or datetime(2026, 2, 1, tzinfo=timezone.utc), parent=parent,
                          source=kwargs.pop("source", CommentSource.WEB), **kwargs)
        write_comment(self.content, comment)
        return comment

    def settings(self, **overrides: Any) -> dict[str, Any]:
        base = {
            "PATH": str(self.content),
            "OUTPUT_PATH": str(self.output),
            "CACHE_PATH": str(self.root / "cache"),
            "COMMENTS_NOW": NOW,
        }
        return load_settings(REPO, base | overrides)

    def build(self, **overrides: Any) -> BuildStats:
        return build_site(self.settings(**overrides))

    def read(self, relative: str) -> str:
        return (self.output / relative).read_text(encoding="utf-8")

    def html(self, relative: str) -> lxml.html.HtmlElement:
        return lxml.html.fromstring(self.read(relative))


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """An empty fixture site; add posts and comments, then ``build()``."""
    (tmp_path / "content" / "posts").mkdir(parents=True)
    return Site(tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repository's settings, theme and plugins around a one-post content folder."""
    return make_project(tmp_path)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (browsers cannot be downloaded here)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def static_server():
    """Serve a folder over real HTTP on 127.0.0.1; yields a function folder → base URL."""
    import functools
    import http.server
    import threading

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    servers = []

    def serve(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
