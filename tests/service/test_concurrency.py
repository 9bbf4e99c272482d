"""8 processes, each its own app on the same SQLite file, 300 comments each: nothing lost, nothing doubled."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from comments_service.models import Comment
from tests.service.conftest import comment_json

PROCESSES = 8
PER_PROCESS = 300
RETRY_EVERY = 10  # every 10th comment is sent twice with the same key, like a client retrying


def post_many(project: str, rules: str, worker: int) -> dict:
    """In a child process: create the app and post PER_PROCESS comments; report what was acknowledged."""
    from comments_service import create_app

    app = create_app({"PROJECT_ROOT": project, "RULES_FILE": rules, "PUBLISH_POLL_SECONDS": 0})
    client = app.test_client()
    acknowledged, failures = [], []
    for n in range(PER_PROCESS):
        key = f"w{worker}-n{n}"
        payload = comment_json(body=f"Comment {n} from worker {worker}", email=f"w{worker}@example.org")
        for _attempt in range(2 if n % RETRY_EVERY == 0 else 1):
            response = client.post("/api/comments", json=payload, headers={"Idempotency-Key": key},
                                   environ_base={"REMOTE_ADDR": f"10.0.0.{worker}"})
            if response.status_code in (201, 202):
                acknowledged.append(response.get_json()["id"])
            else:
                failures.append((response.status_code, response.get_data(as_text=True)[:200]))
    app.extensions["cluetrain_db"].dispose()
    return {"acknowledged": acknowledged, "failures": failures}


@pytest.mark.slow  # eight processes and 2,640 requests: CI runs it, `-m "not slow"` skips it
def test_concurrent_writers_on_one_sqlite_file(make_app, project):
    app = make_app()  # creates and migrates the database first, as `cluetrain serve` would
    rules = project / "concurrency-rules.toml"
    rules.write_text("[limits]\nflood_seconds = 0\nrate_limit_count = 0\n[spam]\nmin_fill_seconds = 0\n",
                     encoding="utf-8")
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(post_many, [(str(project), str(rules), w) for w in range(PROCESSES)])
    elapsed = time.perf_counter() - started
    failures = [f for r in results for f in r["failures"]]
    assert failures == []  # in particular, no "database is locked"
    acknowledged = [i for r in results for i in r["acknowledged"]]
    retries = PROCESSES * len(range(0, PER_PROCESS, RETRY_EVERY))
    assert len(acknowledged) == PROCESSES * PER_PROCESS + retries
    distinct = Counter(acknowledged)
    assert len(distinct) == PROCESSES * PER_PROCESS  # each retry got its first receipt back
    with app.extensions["cluetrain"].database.read() as session:
        stored = set(session.scalars(select(Comment.id)))
        count = session.scalar(select(func.count()).select_from(Comment))
    assert count == len(stored) == len(distinct) and stored == set(distinct)
    print(f"\n{len(acknowledged)} submissions from {PROCESSES} processes in {elapsed:.1f} s "
          f"({len(acknowledged) / elapsed:.0f}/s)")


def test_the_writers_file_lock_excludes_other_holders_and_makes_its_folder(tmp_path):
    import threading

    from comments_service.db import file_lock

    path = tmp_path / "missing" / "comments.sqlite3.write-lock"
    events: list[str] = []
    held = threading.Event()

    def second() -> None:
        held.wait()
        with file_lock(path):
            events.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with file_lock(path):  # the folder does not exist yet
        held.set()
        time.sleep(0.2)  # the other holder tries meanwhile: it must wait
        events.append("first")
    thread.join()
    assert events == ["first", "second"] and path.exists()
