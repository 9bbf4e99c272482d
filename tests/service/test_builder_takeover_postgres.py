"""Two `cluetrain builder` processes on one PostgreSQL database: one builds, the other takes over when it dies."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from comments_service.builder_lease import Lease
from comments_service.db import Database
from tests.builder_helpers import FAST_LEASE, RELAXED_RULES, BuilderRun
from tests.live_service import Service, free_port, make_project

pytestmark = pytest.mark.slow


def test_postgres_builders_take_over_after_a_kill(tmp_path: Path, postgres):
    project = make_project(tmp_path)
    (project / "rules.toml").write_text(RELAXED_RULES, encoding="utf-8")
    url = postgres.create_database(f"b_{secrets.token_hex(6)}")
    service = Service(project, free_port(), settings=FAST_LEASE | {"CLUETRAIN_DATABASE_URL": url})
    database = Database(url)
    holder = lambda: (Lease(database, seconds=1).current() or ("",))[0]  # noqa: E731
    running: list[BuilderRun] = []
    try:
        first = BuilderRun(service, "first")
        running.append(first)
        first.wait_for(lambda: "builder ready" in first.text(), "the first builder's first build")
        second = BuilderRun(service, "second")
        running.append(second)
        second.wait_for(lambda: "another builder is active" in second.text(), "the second builder to stand by")
        assert f":{first.process.pid}:" in holder() and "builder ready" not in second.text()
        first.kill()
        second.wait_for(lambda: "builder ready" in second.text(), "the second builder to take over")
        assert f":{second.process.pid}:" in holder()
    finally:
        for builder in running:
            builder.stop()
        database.dispose()
