"""Votes: one per browser token, undo, limits per IP address, live counts, and batched file writes."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import func, select

from cluetrain.content_format import read_feedback
from comments_service.feedback_models import FeedbackItem, FeedbackVote
from tests.service.feedback_fixtures import item_file, published, token_headers

ALICE, BOB = "alice-token-0123456789", "bob-token-0123456789ab"


def vote(client, item_id, voter, *, ip="10.0.0.1", undo=False):
    method = client.delete if undo else client.post
    return method(f"/api/feedback/{item_id}/vote", json={"voter": voter}, environ_base={"REMOTE_ADDR": ip})


def test_one_vote_per_browser_and_undo(client, auth):
    item = published(client, auth)["id"]
    assert vote(client, item, ALICE).get_json() == {"id": item, "votes": 1, "voted": True}
    assert vote(client, item, ALICE).get_json() == {"id": item, "votes": 1, "voted": True}  # again: no change
    assert vote(client, item, BOB).get_json()["votes"] == 2
    assert vote(client, item, ALICE, undo=True).get_json() == {"id": item, "votes": 1, "voted": False}
    assert vote(client, item, ALICE, undo=True).get_json()["votes"] == 1
    assert vote(client, item, ALICE).get_json()["votes"] == 2  # voting again after undo counts


@pytest.mark.parametrize("voter", [None, "short", "x" * 129, "bad token with spaces!", 12345678901234567])
def test_a_voter_token_is_required(client, auth, voter):
    item = published(client, auth)["id"]
    assert vote(client, item, voter).status_code == 400


def test_only_published_open_items_take_votes(client, auth):
    held = client.post("/api/feedback", json={"kind": "bug", "title": "Held", "body": "Not approved yet.",
                                              "author": "Ada"}).get_json()
    assert vote(client, held["id"], ALICE).status_code == 404
    assert vote(client, 999, ALICE).status_code == 404
    item = published(client, auth)["id"]
    client.post(f"/api/moderation/feedback/{item}/status", headers=auth, json={"status": "done"})
    assert vote(client, item, ALICE).status_code == 409


def test_limits_per_ip_address(make_app):
    app = make_app(FEEDBACK_VOTES_PER_IP_PER_ITEM=2, FEEDBACK_VOTES_PER_IP=3)
    client, auth = app.test_client(), token_headers(app)
    first, second = published(client, auth)["id"], published(client, auth, title="Two", body="Second.")["id"]
    assert vote(client, first, "a" * 20).status_code == 200
    assert vote(client, first, "b" * 20).status_code == 200
    limited = vote(client, first, "c" * 20)
    assert limited.status_code == 429 and "this item" in limited.get_json()["error"]
    assert vote(client, first, "c" * 20, ip="10.9.9.9").status_code == 200  # another network
    assert vote(client, second, "d" * 20).status_code == 200
    assert vote(client, second, "e" * 20).status_code == 429  # three votes from 10.0.0.1 this hour
    assert vote(client, first, "a" * 20, undo=True).status_code == 200  # taking a vote back always works


def test_live_counts(client, auth):
    first, second = published(client, auth)["id"], published(client, auth, title="Two", body="Second.")["id"]
    vote(client, first, ALICE)
    vote(client, first, BOB)
    response = client.get(f"/api/feedback/votes?ids={first},{second},999")
    assert response.get_json() == {"votes": {str(first): 2, str(second): 0}}
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/api/feedback/votes?ids=1,x").status_code == 400


def test_votes_reach_the_file_in_batches(make_app, project):
    app = make_app(FEEDBACK_VOTE_FLUSH_SECONDS=3600)
    client, auth = app.test_client(), token_headers(app)
    first, second = published(client, auth)["id"], published(client, auth, title="Two", body="Second.")["id"]
    publisher = app.extensions["cluetrain_feedback"].publisher
    for n in range(5):
        vote(client, first, f"voter-{n:016d}")
    vote(client, second, ALICE)
    assert publisher.reconcile() == []  # not due yet: no file write, no rebuild per vote
    assert read_feedback(item_file(project, first)).votes == 0
    assert len(publisher.reconcile(flush_votes=True)) == 2  # one pass writes every waiting count
    assert read_feedback(item_file(project, first)).votes == 5
    assert read_feedback(item_file(project, second)).votes == 1
    assert publisher.reconcile(flush_votes=True) == []


def test_a_due_batch_is_written_by_the_next_pass(make_app, project):
    app = make_app(FEEDBACK_VOTE_FLUSH_SECONDS=0)
    client, auth = app.test_client(), token_headers(app)
    item = published(client, auth)["id"]
    vote(client, item, ALICE)
    assert len(app.extensions["cluetrain_feedback"].publisher.reconcile()) == 1
    assert read_feedback(item_file(project, item)).votes == 1


def test_voting_without_javascript_uses_a_cookie_and_can_be_undone(client, auth):
    item = published(client, auth)["id"]
    response = client.post(f"/feedback/{item}/vote", data={"action": "vote"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/feedback/{item}/vote")
    assert "HttpOnly" in response.headers["Set-Cookie"]
    page = lxml.html.fromstring(client.get(f"/feedback/{item}/vote").data)
    assert page.xpath('string(//*[@id="vote-status"]/@data-voted)') == "true"
    assert page.xpath('string(//*[@id="vote-count"])') == "1"
    client.post(f"/feedback/{item}/vote", data={"action": "vote"})  # the same browser: still one vote
    client.post(f"/feedback/{item}/vote", data={"action": "unvote"})
    page = lxml.html.fromstring(client.get(f"/feedback/{item}/vote").data)
    assert page.xpath('string(//*[@id="vote-count"])') == "0"
    assert page.xpath('//form/input[@name="action"]/@value') == ["vote"]


THREADS, PER_THREAD = 8, 25


def test_concurrent_votes_from_threads_are_all_counted(make_app, database_url):
    app = make_app(DATABASE_URL=database_url)
    client = app.test_client()
    item = published(client, token_headers(app))["id"]
    errors = []

    def voters(worker: int) -> None:
        local = app.test_client()
        for n in range(PER_THREAD):
            token = f"t{worker:02d}-voter-{n:08d}"
            response = vote(local, item, token, ip=f"10.1.{worker}.{n}")
            if response.status_code != 200:
                errors.append(response.get_data(as_text=True))
            if n % 5 == 0:  # and some browsers take their vote back and vote again
                vote(local, item, token, ip=f"10.1.{worker}.{n}", undo=True)
                vote(local, item, token, ip=f"10.1.{worker}.{n}")

    workers = [threading.Thread(target=voters, args=(w,)) for w in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert_counted(app, item, THREADS * PER_THREAD)


PROCESSES, PER_PROCESS = 6, 40


def vote_many(project: str, rules: str, item: int, worker: int) -> list[int]:
    """In a child process: its own app on the same SQLite file; every voter votes twice."""
    from comments_service import create_app

    app = create_app({"PROJECT_ROOT": project, "RULES_FILE": rules, "PUBLISH_POLL_SECONDS": 0})
    client = app.test_client()
    statuses = []
    for n in range(PER_PROCESS):
        for _ in range(2):
            statuses.append(vote(client, item, f"p{worker}-voter-{n:010d}", ip=f"10.2.{worker}.{n}").status_code)
    app.extensions["cluetrain_db"].dispose()
    return statuses


@pytest.mark.slow
def test_concurrent_votes_from_processes_on_one_sqlite_file(client, auth, app, project: Path):
    item = published(client, auth)["id"]
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(vote_many, [(str(project), str(project / "rules.toml"), item, w)
                                           for w in range(PROCESSES)])
    assert {status for statuses in results for status in statuses} == {200}
    assert_counted(app, item, PROCESSES * PER_PROCESS)


def assert_counted(app, item_id: int, expected: int) -> None:
    with app.extensions["cluetrain"].database.read() as session:
        counted = session.scalar(select(FeedbackItem.votes).where(FeedbackItem.id == item_id))
        rows = session.scalar(select(func.count()).select_from(FeedbackVote).where(FeedbackVote.item_id == item_id))
    assert counted == rows == expected
