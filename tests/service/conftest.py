"""Fixtures for the comments service: a real temporary project (content/, output/threads.json),
a real SQLite (or PostgreSQL) database, the flaskr-style ``app``, ``client`` and ``runner``."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner

from comments_service import create_app
from tests.service.pg_cluster import PostgresServer, find_postgres_bin

THREADS = [
    {"key": "hello", "title": "Hello", "url": "http://127.0.0.1:8000/posts/hello/", "kind": "article",
     "status": "open", "comments": 0},
    {"key": "closed-post", "title": "Closed post", "url": "http://127.0.0.1:8000/posts/closed-post/",
     "kind": "article", "status": "closed", "comments": 0},
]
# Rules for most tests: nothing time- or rate-based, so tests can post freely and quickly.
RELAXED_RULES = """
[limits]
flood_seconds = 0
rate_limit_count = 0
[spam]
min_fill_seconds = 0
"""


class FakeBuilder:
    """Records rebuild requests instead of running Pelican."""

    def __init__(self) -> None:
        self.calls: list[list[Path]] = []

    def rebuild(self, changed: Any) -> None:
        self.calls.append(list(changed))


def write_manifest(output: Path, threads: list[dict[str, Any]] = THREADS) -> Path:
    """Write output/threads.json as the build would."""
    output.mkdir(parents=True, exist_ok=True)
    path = output / "threads.json"
    path.write_text(json.dumps({"version": 1, "threads": threads}), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with content/ and a built manifest (no Pelican needed)."""
    (tmp_path / "content" / "comments").mkdir(parents=True)
    write_manifest(tmp_path / "output")
    (tmp_path / "rules.toml").write_text(RELAXED_RULES, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster for the session; skips only when no server binary exists."""
    bindir = find_postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin")
    server = PostgresServer(bindir)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, project: Path) -> str:
    """Each backend in turn: SQLite in the instance folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{project / 'instance' / 'comments.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t_{secrets.token_hex(6)}")


@pytest.fixture
def make_app(project: Path) -> Iterator[Callable[..., Any]]:
    """Create apps on the project; keyword arguments are settings, ``rules`` replaces the rules file."""
    apps = []

    def make(rules: str | None = None, builder: Any = None, **config: Any) -> Any:
        rules_file = project / "rules.toml"
        if rules is not None:
            rules_file = project / f"rules-{secrets.token_hex(4)}.toml"
            rules_file.write_text(rules, encoding="utf-8")
        settings = {"PROJECT_ROOT": str(project), "RULES_FILE": str(rules_file), "PUBLISH_POLL_SECONDS": 0,
                    "SESSION_COOKIE_SECURE": False, "REBUILD_DELAY_SECONDS": 0}
        app = create_app(settings | config, builder=builder)
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["cluetrain"].stop()
        app.extensions["cluetrain_db"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    """The service on a temporary SQLite database with relaxed rules."""
    return make_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(project: Path) -> Callable[..., Any]:
    """Run `cluetrain --project PROJECT ...` in-process; returns click's Result."""
    from cluetrain.cli import main

    def run(*args: str, input: str | None = None) -> Any:
        env = {"CLUETRAIN_RULES_FILE": str(project / "rules.toml")}
        return CliRunner().invoke(main, ["--project", str(project), *args], input=input, env=env,
                                  catch_exceptions=False)

    return run


@pytest.fixture
def token(app: Any) -> str:
    """A moderation API token."""
    from comments_service.auth import create_token

    with app.extensions["cluetrain"].database.write() as session:
        return create_token(session, "tests")


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    """Headers that authenticate to the moderation API."""
    return {"Authorization": f"Bearer {token}"}


def comment_json(**fields: Any) -> dict[str, Any]:
    """A valid JSON submission, with ``fields`` replacing the defaults."""
    return {"thread": "hello", "author": "Ada Lovelace", "email": "ada@example.org",
            "website": "https://ada.example.org/", "body": "A *thoughtful* comment.", "parent": None} | fields


def form_fields(**fields: str) -> dict[str, str]:
    """A valid form submission as the theme's form posts it."""
    base = {"thread": "hello", "parent": "", "author": "Ada Lovelace", "email": "ada@example.org",
            "website": "https://ada.example.org/", "body": "A *thoughtful* comment.", "idempotency_key": "",
            "form_token": "", "hp": ""}
    return base | fields


def form_values(html: bytes | str) -> dict[str, str]:
    """The values of the comment form's fields in a returned page, parsed with lxml."""
    doc = lxml.html.fromstring(html)
    forms = doc.xpath('//form[@id="comment-form"]')
    assert len(forms) == 1, "expected exactly one comment form"
    values = {}
    for field in forms[0].xpath(".//input|.//textarea"):
        if field.tag == "textarea":
            # HTML drops one newline right after <textarea>; browsers do, lxml does not.
            text = field.text or ""
            values[field.get("name")] = text[1:] if text.startswith("\n") else text
        else:
            values[field.get("name")] = field.get("value", "")
    return values


@pytest.fixture(autouse=True)
def _no_cluetrain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come only from the tests, never from the developer's environment."""
    for key in list(os.environ):
        if key.startswith("CLUETRAIN_"):
            monkeypatch.delenv(key)
