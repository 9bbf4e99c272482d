"""The rebuild worker: one builder, bursts coalesced, failures retried, receipts "published" only after a build."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import select

from comments_service.auth import create_token
from comments_service.models import BuildOutcome, SiteBuild
from comments_service.regeneration import RebuildFailed, RegenerationWorker
from tests.service.conftest import FakeBuilder, comment_json

WAIT = 20.0  # generous: the worker is a real thread on a busy CI machine


def wait_until(predicate, what: str) -> None:
    """Poll until ``predicate()`` holds; this bounds a wait, it does not measure speed."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.01)


class BlockingBuilder(FakeBuilder):
    """Blocks inside rebuild() until released, to pile up requests meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.running = 0
        self.max_running = 0

    def rebuild(self, changed):
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        self.entered.set()
        self.release.wait(WAIT)
        super().rebuild(changed)
        self.running -= 1


class FlakyBuilder(FakeBuilder):
    """Fails the first time, then works."""

    def rebuild(self, changed):
        super().rebuild(changed)
        if len(self.calls) == 1:
            raise RebuildFailed("theme: broken template")


def test_approval_rebuilds_and_the_receipt_then_says_published(make_app):
    builder = FakeBuilder()
    app = make_app(builder=builder)
    client = app.test_client()
    with app.extensions["cluetrain"].database.write() as session:
        headers = {"Authorization": f"Bearer {create_token(session, 't')}"}
    comment = client.post("/api/comments", json=comment_json()).get_json()
    client.post(f"/api/moderation/comments/{comment['id']}/approve", headers=headers)
    wait_until(lambda: builder.calls, "a rebuild")
    assert any(path.name == f"{comment['id']}.md" for path in builder.calls[-1])

    def receipt():
        return client.get(comment["receipt_url"], headers={"Accept": "application/json"}).get_json()

    wait_until(lambda: receipt()["status"] == "published", "the receipt to say published")
    assert receipt()["permalink"] == f"http://127.0.0.1:8000/posts/hello/#comment-{comment['id']}"


def test_a_burst_of_requests_during_a_build_gives_one_more_build(app):
    builder = BlockingBuilder()
    database = app.extensions["cluetrain"].database
    worker = RegenerationWorker(builder, database, lock_path=Path(app.instance_path) / "b.lock", delay=0,
                                retry_after=0)
    worker.start()
    try:
        worker.request([Path("a.md")])
        assert builder.entered.wait(WAIT)
        for name in ("b.md", "c.md", "d.md"):
            worker.request([Path(name)])
        builder.release.set()
        wait_until(lambda: len(builder.calls) == 2, "the second build")
        assert builder.calls == [[Path("a.md")], [Path("b.md"), Path("c.md"), Path("d.md")]]
        assert builder.max_running == 1
    finally:
        worker.stop()


def test_a_failed_build_is_recorded_and_retried(app):
    builder = FlakyBuilder()
    database = app.extensions["cluetrain"].database
    worker = RegenerationWorker(builder, database, lock_path=Path(app.instance_path) / "b.lock", delay=0,
                                retry_after=0.05)
    worker.start()
    try:
        worker.request([Path("x.md")])
        wait_until(lambda: len(builder.calls) == 2, "the retry")
        assert builder.calls == [[Path("x.md")], [Path("x.md")]]
        def recorded():
            with database.read() as session:
                return len(list(session.scalars(select(SiteBuild)))) == 2

        wait_until(recorded, "both builds recorded")
        with database.read() as session:
            builds = list(session.scalars(select(SiteBuild).order_by(SiteBuild.id)))
        assert [b.outcome for b in builds] == [BuildOutcome.FAILED, BuildOutcome.OK]
        assert builds[0].error == "theme: broken template"
    finally:
        worker.stop()


def test_submissions_never_wait_for_a_build(make_app):
    builder = BlockingBuilder()
    app = make_app(builder=builder, rules='[default]\naction = "approve"\n[spam]\nmin_fill_seconds = 0\n[limits]\nflood_seconds = 0\n')
    client = app.test_client()
    first = client.post("/api/comments", json=comment_json(body="one"))
    assert first.status_code == 201
    assert builder.entered.wait(WAIT)  # a build is running and blocked
    second = client.post("/api/comments", json=comment_json(body="two", email="b@example.org"))
    try:
        assert second.status_code == 201 and second.get_json()["status"] == "publishing"
    finally:
        builder.release.set()
