"""Feedback items and votes check read-only before the write lock: the lock-held re-check keeps them exact.

As in test_submission_precheck: threads are held at a barrier after their first (read-only) check, so
every one passes it on the same state; only the re-check inside the write transaction can refuse the late ones.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import lxml.html
import pytest
from sqlalchemy import func, select

from comments_service import feedback_history, feedback_intake, votes
from comments_service.feedback_history import FeedbackHistory, take_feedback_snapshot
from comments_service.feedback_models import FeedbackItem, FeedbackVote
from comments_service.guard import Candidate
from comments_service.models import Ban, BanKind, CommentStatus
from tests.service.feedback_fixtures import feedback_form, feedback_json, published, token_headers
from tests.service.test_submission_precheck import query_plan, sql_log  # noqa: F401  (sql_log: a fixture)

RACERS = 6
FLOOD_RULES = "[limits]\nflood_seconds = 60\nrate_limit_count = 0\n[spam]\nmin_fill_seconds = 0\n"


def hold_after_first_call(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, racers: int,
                          saw_nothing: Callable[[Any], bool]) -> list[bool]:
    """Make each thread's first call of ``module.name`` (its read-only check) wait for all the others."""
    barrier = threading.Barrier(racers, timeout=60)
    local = threading.local()
    first_calls: list[bool] = []
    real = getattr(module, name)

    def held(*args: Any) -> Any:
        result = real(*args)
        if not getattr(local, "checked", False):
            local.checked = True
            first_calls.append(saw_nothing(result))
            barrier.wait()
        return result

    monkeypatch.setattr(module, name, held)
    return first_calls


def run_at_once(requests: list[Callable[[], int]]) -> Counter:
    """Run every request in its own thread; count the status codes."""
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda r=request: statuses.append(r())) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


def race_feedback(app: Any, monkeypatch: pytest.MonkeyPatch, payloads: list[dict[str, Any]], ips: list[str]) -> Counter:
    """Post every item at once, all past the read-only check before any writes; count the answers."""
    clean = hold_after_first_call(monkeypatch, feedback_intake, "take_feedback_snapshot", len(payloads),
                                  lambda snap: snap.earlier_id is None and not snap.duplicate
                                  and snap.last_from_ip is None)

    def post(payload: dict[str, Any], ip: str) -> Callable[[], int]:
        return lambda: app.test_client().post("/api/feedback", json=payload,
                                              environ_base={"REMOTE_ADDR": ip}).status_code

    answers = run_at_once([post(payload, ip) for payload, ip in zip(payloads, ips, strict=True)])
    assert clean == [True] * len(payloads)  # every read-only check saw nothing: the race really happened
    return Counter({(201 if code in (201, 202) else code): n for code, n in answers.items()})


def stored(app: Any, model: Any = FeedbackItem) -> int:
    with app.extensions["cluetrain"].database.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_same_feedback_sent_at_once_from_several_places_is_stored_once(make_app, database_url, monkeypatch):
    app = make_app(DATABASE_URL=database_url)
    payloads = [feedback_json(body="Same words, sent six times at once.", idempotency_key=f"key-{n}")
                for n in range(RACERS)]  # distinct keys: not retries, so the duplicate rule decides
    answers = race_feedback(app, monkeypatch, payloads, [f"10.1.0.{n}" for n in range(RACERS)])
    assert answers == Counter({201: 1, 409: RACERS - 1})
    assert stored(app) == 1


def test_a_feedback_flood_sent_at_once_is_refused_past_the_first(make_app, database_url, monkeypatch):
    app = make_app(rules=FLOOD_RULES, DATABASE_URL=database_url)
    payloads = [feedback_json(title=f"Idea {n}", body=f"Different words, number {n}.", email=f"p{n}@example.org",
                              author=f"P {n}") for n in range(RACERS)]
    answers = race_feedback(app, monkeypatch, payloads, ["10.2.0.1"] * RACERS)  # one address
    assert answers == Counter({201: 1, 429: RACERS - 1})
    assert stored(app) == 1


def test_the_same_feedback_request_sent_at_once_is_stored_once(make_app, database_url, monkeypatch):
    app = make_app(DATABASE_URL=database_url)
    payloads = [feedback_json(idempotency_key="one-key") for _ in range(RACERS)]
    answers = race_feedback(app, monkeypatch, payloads, [f"10.3.0.{n}" for n in range(RACERS)])
    assert answers == Counter({201: RACERS})  # every sender gets the one item's receipt
    assert stored(app) == 1


def add_item(session: Any, n: int, **fields: Any) -> None:
    values = {"kind": "idea", "status": "open", "moderation": CommentStatus.PENDING, "title": f"T{n}",
              "slug": f"t{n}", "body": f"b{n}", "html": f"<p>b{n}</p>", "body_hash": f"h{n}", "tags": [],
              "author": "Ada", "email": "Ada@Example.org", "ip": "10.4.0.1", "source": "api", "rule": "default",
              "rule_reason": "r", "receipt_token": f"t{n}", "idempotency_key": f"k{n}", "fingerprint": "f",
              "votes": 0, "votes_base": 0, "revision": 1}
    session.add(FeedbackItem(**(values | fields)))


CANDIDATES = [
    Candidate(thread="feedback", author="Ada", email="ada@example.org", website=None, body="b", html="",
              body_hash="h1", ip="10.4.0.1"),
    Candidate(thread="feedback", author="Bob", email="ADA@example.org", website=None, body="b", html="",
              body_hash="h2", ip="10.9.9.9"),
    Candidate(thread="feedback", author="Ada", email=None, website=None, body="b", html="", body_hash="h1", ip=None),
    Candidate(thread="feedback", author="Cy", email="cy@example.org", website=None, body="b", html="",
              body_hash="h3", ip="10.5.0.1"),
]


def test_the_one_statement_feedback_snapshot_answers_as_the_per_rule_queries_do(make_app, database_url):
    app = make_app(DATABASE_URL=database_url)
    database = app.extensions["cluetrain"].database
    with database.write() as session:
        add_item(session, 1)
        add_item(session, 2, body_hash="h2", moderation=CommentStatus.APPROVED, ip="10.5.0.1")
        add_item(session, 3, body_hash="h3", moderation=CommentStatus.DELETED, author="Cy", email="cy@example.org")
        session.add(Ban(kind=BanKind.IP, value="10.9.9.9", actor="test"))
    with database.read() as session:
        past = FeedbackHistory(session)
        for c in CANDIDATES:
            snap = take_feedback_snapshot(session.connection(), c, "k2" if c.author == "Cy" else "none", 600.0)
            assert (snap.earlier_id is not None) == (c.author == "Cy"), c
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


def test_feedback_is_one_short_write_transaction_after_a_read_only_check(client, sql_log):  # noqa: F811
    assert client.post("/api/feedback", json=feedback_json()).status_code in (201, 202)
    write = sql_log.index("BEGIN IMMEDIATE")
    assert sql_log[:write] == ["BEGIN", "SELECT", "ROLLBACK"]  # the rules' read-only check, no lock
    assert sql_log[write:write + 2] == ["BEGIN IMMEDIATE", "SELECT"]  # the same check again, in the lock
    assert sql_log.count("BEGIN IMMEDIATE") == 1


def test_a_refused_or_retried_item_never_takes_the_write_lock(client, sql_log):  # noqa: F811
    assert client.post("/api/feedback", json=feedback_json(), headers={"Idempotency-Key": "k1"}).status_code in (
        201, 202)
    sql_log.clear()
    retry = client.post("/api/feedback", json=feedback_json(), headers={"Idempotency-Key": "k1"})
    duplicate = client.post("/api/feedback", json=feedback_json(), headers={"Idempotency-Key": "k2"})
    reused = client.post("/api/feedback", json=feedback_json(body="Other words."), headers={"Idempotency-Key": "k1"})
    assert retry.status_code in (201, 202) and retry.get_json()["replayed"] is True
    assert duplicate.status_code == 409 and reused.status_code == 422
    assert "BEGIN IMMEDIATE" not in sql_log and not [s for s in sql_log if s.startswith("INSERT")]


def test_a_refused_form_comes_back_with_everything_typed_without_the_write_lock(client, sql_log):  # noqa: F811
    assert client.post("/feedback", data=feedback_form()).status_code == 303
    sql_log.clear()
    response = client.post("/feedback", data=feedback_form(title="Export breaks again"))  # same text: a duplicate
    assert response.status_code == 409
    page = lxml.html.fromstring(response.data)
    assert page.xpath('//input[@name="title"]/@value') == ["Export breaks again"]
    assert page.xpath('//textarea[@name="body"]/text()')[0].strip() == "The CSV has one column too many."
    assert page.xpath('//input[@name="tags"]/@value') == ["export, csv"]
    assert page.xpath('//input[@name="author"]/@value') == ["Grace"]
    assert "BEGIN IMMEDIATE" not in sql_log and not [s for s in sql_log if s.startswith("INSERT")]


def race_votes(app: Any, monkeypatch: pytest.MonkeyPatch, item_ids: list[int], tokens: list[str], ip: str) -> Counter:
    """Cast every vote at once from one address, all past the read-only limit check before any writes."""
    hold_after_first_call(monkeypatch, votes, "_check_limits", len(tokens), lambda _: True)

    def post(item_id: int, token: str) -> Callable[[], int]:
        return lambda: app.test_client().post(f"/api/feedback/{item_id}/vote", json={"voter": token},
                                              environ_base={"REMOTE_ADDR": ip}).status_code

    return run_at_once([post(item_id, token) for item_id, token in zip(item_ids, tokens, strict=True)])


def test_votes_from_one_address_sent_at_once_keep_the_per_item_limit(make_app, database_url, monkeypatch):
    app = make_app(DATABASE_URL=database_url, FEEDBACK_VOTES_PER_IP_PER_ITEM=2, FEEDBACK_VOTES_PER_IP=0)
    item = published(app.test_client(), token_headers(app))["id"]
    answers = race_votes(app, monkeypatch, [item] * RACERS, [f"voter-{n:016d}" for n in range(RACERS)], "10.6.0.1")
    assert answers == Counter({200: 2, 429: RACERS - 2})
    assert stored(app, FeedbackVote) == 2


def test_votes_from_one_address_sent_at_once_keep_the_per_address_limit(make_app, database_url, monkeypatch):
    app = make_app(DATABASE_URL=database_url, FEEDBACK_VOTES_PER_IP_PER_ITEM=0, FEEDBACK_VOTES_PER_IP=3)
    client, auth = app.test_client(), token_headers(app)
    items = [published(client, auth, title=f"Item {n}", body=f"Body {n}.")["id"] for n in range(RACERS)]
    answers = race_votes(app, monkeypatch, items, [f"voter-{n:016d}" for n in range(RACERS)], "10.7.0.1")
    assert answers == Counter({200: 3, 429: RACERS - 3})
    assert stored(app, FeedbackVote) == 3


def test_the_same_browser_voting_at_once_is_counted_once(make_app, database_url, monkeypatch):
    app = make_app(DATABASE_URL=database_url)
    item = published(app.test_client(), token_headers(app))["id"]
    answers = race_votes(app, monkeypatch, [item] * RACERS, ["one-browser-0123456789"] * RACERS, "10.8.0.1")
    assert answers == Counter({200: RACERS})
    assert stored(app, FeedbackVote) == 1
    with app.extensions["cluetrain"].database.read() as session:
        assert session.scalar(select(FeedbackItem.votes).where(FeedbackItem.id == item)) == 1


def test_the_feedback_snapshot_finds_items_by_e_mail_through_the_lower_email_index(app):
    plan = query_plan(app, feedback_history._SNAPSHOT)  # and no step scans a table
    # Both e-mail checks (flood, known author); without migration 0009 they walked every approved item.
    assert sum("feedback_items USING INDEX ix_feedback_items_email_lower" in step for step in plan) == 2, plan
