"""Submissions check the rules read-only before the write lock: the lock-held re-check keeps them exact.

Threads are held at a barrier after their read-only check, so every one of them passes it on an
empty database; only the re-check inside the write transaction can then refuse the late ones.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.dialects import sqlite

from cluetrain.content_format import CommentSource
from comments_service import history, intake
from comments_service.guard import Candidate
from comments_service.history import DatabaseHistory, take_snapshot
from comments_service.identity_models import VerifiedIdentity
from comments_service.manifest import ThreadManifest
from comments_service.models import Ban, BanKind, Comment, CommentStatus, utcnow
from tests.service.conftest import THREADS, comment_json

RACERS = 6


def race(app: Any, monkeypatch: pytest.MonkeyPatch, payloads: list[dict[str, Any]], ips: list[str]) -> Counter:
    """Post every payload from its own thread, all past the read-only check before any writes; count answers."""
    barrier = threading.Barrier(len(payloads), timeout=60)
    local = threading.local()
    prechecks: list[bool] = []
    real = intake.take_snapshot

    def held(session: Any, candidate: Candidate, idem: str, window: float) -> Any:
        snapshot = real(session, candidate, idem, window)
        if not getattr(local, "checked", False):  # the first call of a submission is its read-only check
            local.checked = True
            prechecks.append(snapshot.duplicate or snapshot.last_from_ip is not None)
            barrier.wait()
        return snapshot

    monkeypatch.setattr(intake, "take_snapshot", held)
    statuses: list[int] = []

    def post(payload: dict[str, Any], ip: str) -> None:
        response = app.test_client().post("/api/comments", json=payload, environ_base={"REMOTE_ADDR": ip})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=pair) for pair in zip(payloads, ips, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert prechecks == [False] * len(payloads)  # every read-only check saw nothing: the race really happened
    return Counter(statuses)


def stored(app: Any) -> int:
    with app.extensions["cluetrain"].database.read() as session:
        return session.scalar(select(func.count()).select_from(Comment)) or 0


def test_a_duplicate_sent_at_once_from_several_places_is_stored_once(make_app, database_url, monkeypatch):
    app = make_app(DATABASE_URL=database_url)
    payloads = [comment_json(body="Same words, sent six times at once.") for _ in range(RACERS)]
    for n, payload in enumerate(payloads):
        payload["idempotency_key"] = f"key-{n}"  # distinct keys: not retries, so the duplicate rule decides
    answers = race(app, monkeypatch, payloads, [f"10.1.0.{n}" for n in range(RACERS)])
    assert answers == Counter({202: 1, 409: RACERS - 1})
    assert stored(app) == 1


def test_a_flood_sent_at_once_is_refused_past_the_first(make_app, database_url, monkeypatch):
    app = make_app(rules="[limits]\nflood_seconds = 60\nrate_limit_count = 0\n[spam]\nmin_fill_seconds = 0\n",
                   DATABASE_URL=database_url)
    payloads = [comment_json(body=f"Different words, number {n}.", email=f"p{n}@example.org", author=f"P {n}")
                for n in range(RACERS)]
    answers = race(app, monkeypatch, payloads, ["10.2.0.1"] * RACERS)  # one address
    assert answers == Counter({202: 1, 429: RACERS - 1})
    assert stored(app) == 1


def test_the_same_request_sent_at_once_is_stored_once_and_every_sender_gets_its_receipt(make_app, database_url,
                                                                                      monkeypatch):
    app = make_app(DATABASE_URL=database_url)
    payloads = [comment_json(idempotency_key="one-key") for _ in range(RACERS)]
    answers = race(app, monkeypatch, payloads, [f"10.3.0.{n}" for n in range(RACERS)])
    assert answers == Counter({202: RACERS})
    assert stored(app) == 1


def add_comment(session: Any, n: int, **fields: Any) -> None:
    now = utcnow()
    values = {"id": f"c{n:012d}", "thread": "hello", "author": "Ada", "email": "Ada@Example.org", "body": f"b{n}",
              "html": f"<p>b{n}</p>", "body_hash": f"h{n}", "avatar": "a", "source": CommentSource.API,
              "status": CommentStatus.PENDING, "rule": "default", "rule_reason": "r", "ip": "10.4.0.1",
              "created_at": now, "updated_at": now, "receipt_token": f"t{n}", "idempotency_key": f"k{n}",
              "fingerprint": "f"}
    session.add(Comment(**(values | fields)))


CANDIDATES = [
    Candidate(thread="hello", author="Ada", email="ada@example.org", website=None, body="b", html="", body_hash="h1",
              ip="10.4.0.1"),
    Candidate(thread="hello", author="Bob", email="ADA@example.org", website=None, body="b", html="", body_hash="h2",
              ip="10.9.9.9"),
    Candidate(thread="other", author="Ada", email=None, website=None, body="b", html="", body_hash="h1", ip=None),
    Candidate(thread="hello", author="Cy", email="cy@example.org", website=None, body="b", html="", body_hash="h3",
              ip="10.5.0.1"),
    Candidate(thread="hello", author="Ada", email="ada@example.org", website=None, body="b", html="", body_hash="h4",
              ip="10.6.0.1"),
]


def test_the_one_statement_snapshot_answers_as_the_per_rule_queries_do(make_app, database_url):
    app = make_app(DATABASE_URL=database_url)
    database = app.extensions["cluetrain"].database
    with database.write() as session:
        add_comment(session, 1)
        add_comment(session, 2, body_hash="h2", status=CommentStatus.APPROVED, ip="10.5.0.1")
        add_comment(session, 3, body_hash="h3", status=CommentStatus.DELETED, author="Cy", email="cy@example.org")
        add_comment(session, 4, body_hash="h4", email=None, ip=None)
        session.add(Ban(kind=BanKind.IP, value="10.9.9.9", actor="test"))
        session.add(Ban(kind=BanKind.EMAIL, value="cy@example.org", actor="test"))
        session.add(VerifiedIdentity(email="ada@example.org", name="Ada"))
    with database.read() as session:
        past = DatabaseHistory(session)
        for c in CANDIDATES:
            snap = take_snapshot(session.connection(), c, "k2" if c.author == "Cy" else "none", 600.0)
            assert snap.earlier_id == ("c000000000002" if c.author == "Cy" else None)
            assert snap.is_duplicate(c) == past.is_duplicate(c), c
            assert snap.ban_matching(ip=c.ip, email=c.email) == past.ban_matching(ip=c.ip, email=c.email), c
            if c.ip:
                assert snap.count_from_ip(c.ip, 600.0) == past.count_from_ip(c.ip, 600.0), c
            if c.email:
                assert snap.is_known_author(c.author, c.email) == past.is_known_author(c.author, c.email), c
                assert snap.is_confirmed_email(c.email) == past.is_confirmed_email(c.email), c
            ours, theirs = snap.seconds_since_last(ip=c.ip, email=c.email), past.seconds_since_last(ip=c.ip,
                                                                                                    email=c.email)
            assert (ours is None) == (theirs is None), c
            if ours is not None and theirs is not None:
                assert abs(ours - theirs) < 5, c  # the two reads happen a moment apart


def query_plan(app: Any, statement: Any) -> list[str]:
    """SQLite's plan steps for ``statement`` on the app's database (a fresh connection: the current schema)."""
    sql = str(statement.compile(dialect=sqlite.dialect()))
    with sqlite3.connect(app.extensions["cluetrain"].database.url.database) as connection:
        plan = [row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, ["x"] * sql.count("?"))]
    assert plan and not [step for step in plan if step.startswith("SCAN") and step != "SCAN CONSTANT ROW"], plan
    return plan


def test_the_snapshot_reads_comments_through_indexes_only(app):
    query_plan(app, history._SNAPSHOT)


def test_the_cached_manifest_notices_a_new_thread_even_in_the_same_clock_tick(tmp_path: Path):
    path = tmp_path / "threads.json"
    path.write_text(json.dumps({"version": 1, "threads": THREADS}), encoding="utf-8")
    manifest = ThreadManifest(path)
    assert manifest.get("hello") is not None and manifest.get("hellp") is None
    assert manifest.origins() == {"http://127.0.0.1:8000"}
    before = path.stat()
    renamed = [{**THREADS[0], "key": "hellp", "url": "http://127.0.0.2:8000/posts/hello/"}, THREADS[1]]
    replacement = tmp_path / "threads.json.tmp"
    replacement.write_text(json.dumps({"version": 1, "threads": renamed}), encoding="utf-8")
    assert replacement.stat().st_size == before.st_size  # same size ...
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))  # ... and the same mtime: only a new file
    os.replace(replacement, path)  # as the build writes it
    assert manifest.get("hellp") is not None and manifest.get("hello") is None
    assert manifest.origins() == {"http://127.0.0.2:8000", "http://127.0.0.1:8000"}


@pytest.fixture
def sql_log(app: Any) -> Iterator[list[str]]:
    """Every statement the app's engine sends, with COMMIT and ROLLBACK marked, while the test runs."""
    engine = app.extensions["cluetrain_db"].engine
    sent: list[str] = []

    def statement(conn: Any, cursor: Any, text: str, *rest: Any) -> None:
        words = text.split()
        sent.append(" ".join(words[:3] if words[0] == "INSERT" else words[:2] if words[0] == "BEGIN" else words[:1]))

    listeners = [("before_cursor_execute", statement), ("commit", lambda conn: sent.append("COMMIT")),
                 ("rollback", lambda conn: sent.append("ROLLBACK"))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    yield sent
    for name, listener in listeners:
        event.remove(engine, name, listener)


def test_a_submission_is_one_short_write_transaction_after_a_read_only_check(client, sql_log):
    response = client.post("/api/comments", json=comment_json())
    assert response.status_code == 202
    write = sql_log.index("BEGIN IMMEDIATE")
    assert sql_log[:write] == ["BEGIN", "SELECT", "ROLLBACK"]  # the rules' read-only check, no lock
    # In the lock: the same check again, then the comment and its audit entry, committed together.
    assert sql_log[write:sql_log.index("COMMIT") + 1] == [
        "BEGIN IMMEDIATE", "SELECT", "INSERT INTO comments", "INSERT INTO audit_log", "COMMIT"]
    assert sql_log.count("BEGIN IMMEDIATE") == 1


def test_a_refusal_or_a_retry_never_takes_the_write_lock(client, sql_log):
    assert client.post("/api/comments", json=comment_json(), headers={"Idempotency-Key": "k1"}).status_code == 202
    sql_log.clear()
    retry = client.post("/api/comments", json=comment_json(), headers={"Idempotency-Key": "k1"})
    duplicate = client.post("/api/comments", json=comment_json(), headers={"Idempotency-Key": "k2"})
    assert retry.status_code == 202 and retry.get_json()["replayed"] is True
    assert duplicate.status_code == 409
    assert "BEGIN IMMEDIATE" not in sql_log and not [s for s in sql_log if s.startswith("INSERT")]


def test_a_submission_takes_one_pooled_connection_for_its_check_and_its_write(app, client):
    engine = app.extensions["cluetrain_db"].engine
    checkouts: list[Any] = []

    def checkout(dbapi_connection: Any, *_rest: Any) -> None:
        checkouts.append(dbapi_connection)

    event.listen(engine, "checkout", checkout)
    try:
        assert client.post("/api/comments", json=comment_json()).status_code == 202
    finally:
        event.remove(engine, "checkout", checkout)
    assert len(checkouts) == 1
