"""Where one comment submission's time goes: cProfile of the app (as one gunicorn worker runs it).

    uv run python benchmarks/submission_profile.py            # 500 submissions after 50 warm-up
    uv run python benchmarks/submission_profile.py -n 200 --top 40
    uv run python benchmarks/submission_profile.py --concurrency 8 -n 800   # time waiting for the write lock
    uv run python benchmarks/submission_profile.py --statements             # the SQL of one submission
    uv run python benchmarks/submission_profile.py --statements --rounds 5  # ... and the best of 5 timings

The app is created exactly as `cluetrain.cli:wsgi_app()` does, over a project like the one of
submission_benchmark.py (built here if missing or with --rebuild; every run starts a new database), with
the same settings (TRUSTED_PROXIES=1, default rules); requests go through Flask's test client, one
visitor address each.

With --concurrency N, N threads submit at once (no profiler) and the script reports how long each
submission waited for the write lock (the writers' kernel lock, then `BEGIN IMMEDIATE`) against
its whole time. With --statements it prints every SQL statement one submission sends, and the
wall and CPU time per submission over -n submissions without the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import service_bench as sb  # noqa: E402
from submission_benchmark import THREAD, body_text  # noqa: E402

ROOT = sb.WORK / "profile"


def settle(window: float = 0.5, busy: float = 0.05) -> None:
    """Wait until this process's background threads go quiet: the app's builder builds the site once at start."""
    for _ in range(120):  # a minute at most
        before = time.process_time()
        time.sleep(window)  # this thread sleeps: any CPU time now is theirs
        if time.process_time() - before < busy * window:
            return


def lock_waits(post, total: int, concurrency: int) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from contextlib import contextmanager

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from comments_service import db

    local = threading.local()
    file_lock = db.file_lock

    @contextmanager
    def timed_lock(path):  # replaces the module's name in this process only; the service's files are untouched
        started = time.perf_counter()
        with file_lock(path):
            local.wait = getattr(local, "wait", 0.0) + time.perf_counter() - started
            yield

    db.file_lock = timed_lock

    @event.listens_for(Engine, "before_cursor_execute")
    def before(conn, cursor, statement, *rest):  # noqa: ARG001
        if statement.startswith("BEGIN IMMEDIATE"):
            local.started = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def after(conn, cursor, statement, *rest):  # noqa: ARG001
        if statement.startswith("BEGIN IMMEDIATE"):
            local.wait = getattr(local, "wait", 0.0) + time.perf_counter() - local.started

    samples: list[tuple[float, float]] = []

    def one(n: int) -> None:
        local.wait = 0.0
        started = time.perf_counter()
        post(n)
        samples.append((time.perf_counter() - started, local.wait))

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(50, 50 + total)))
    wall = time.perf_counter() - started
    samples.sort()
    pick = lambda p: samples[min(len(samples) - 1, int(p / 100 * (len(samples) - 1)))]  # noqa: E731
    print(f"{total} submissions, {concurrency} threads in one process: {total / wall:.0f}/s")
    print("percentile | submission ms | of which waiting for the write lock ms")
    for p in (50, 90, 99, 100):
        whole, wait = pick(p)
        print(f"p{p} | {whole * 1000:.1f} | {wait * 1000:.1f}")
    share = sum(w for _, w in samples) / sum(t for t, _ in samples)
    print(f"mean share of time waiting for the write lock: {share:.0%}")


def statements(post, total: int, rounds: int) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    sent: list[str] = []

    @event.listens_for(Engine, "before_cursor_execute")
    def record(conn, cursor, statement, *rest):  # noqa: ARG001
        sent.append(" ".join(statement.split())[:100])

    post(50)
    event.remove(Engine, "before_cursor_execute", record)
    begins = sum(s.startswith("BEGIN") for s in sent)
    print(f"one submission: {len(sent)} SQL statements, {begins} transactions (each BEGIN; reads roll back):")
    for statement in sent:
        print(f"  {statement}")
    first = 51
    walls, cpus = [], []
    for _ in range(rounds):  # on a shared machine the best round is the least disturbed one
        started, cpu = time.perf_counter(), time.process_time()
        for n in range(first, first + total):
            post(n)
        walls.append((time.perf_counter() - started) / total * 1000)
        cpus.append((time.process_time() - cpu) / total * 1000)
        first += total
    label = f"best of {rounds} rounds of {total}" if rounds > 1 else f"{total} submissions"
    print(f"{label} without the profiler: {min(walls):.2f} ms wall, "
          f"{min(cpus):.2f} ms CPU each (Flask test client included)")
    if rounds > 1:
        print("CPU ms per round: " + " ".join(f"{cpu:.2f}" for cpu in cpus))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=0, help="threads submitting at once; 0: profile")
    parser.add_argument("--statements", action="store_true", help="print one submission's SQL, then time -n")
    parser.add_argument("--rebuild", action="store_true", help="build the site even if an earlier run built it")
    parser.add_argument("--rounds", type=int, default=1, help="with --statements: time -n this many times, best")
    args = parser.parse_args()
    project = ROOT / "ours"
    if args.rebuild or not (project / "output" / "threads.json").exists():
        sb.make_project(project, THREAD)
        sb.build_site(project, "http://127.0.0.1:8000")
    else:  # the site as built before (the theme being edited cannot break A/B runs), a new database
        shutil.rmtree(project / "instance", ignore_errors=True)
    for key, value in sb.cluetrain_env(project, TRUSTED_PROXIES="1", SITE_URL="http://127.0.0.1:8000",
                                       PUBLISH_POLL_SECONDS="5", NOTIFY_POLL_SECONDS="0").items():
        os.environ[key] = value
    os.chdir(project)
    from cluetrain.cli import wsgi_app

    app = wsgi_app()
    settle()
    client = app.test_client()

    def post(n: int) -> None:
        response = client.post("/api/comments", json={
            "thread": THREAD, "author": f"Reader {n}", "email": f"reader{n}@example.org", "body": body_text(n)},
            headers={"X-Forwarded-For": sb.visitor_ip(n), "Accept": "application/json"})
        assert response.status_code in (201, 202), response.get_data(as_text=True)

    for n in range(50):
        post(n)
    if args.concurrency:
        lock_waits(post, args.n, args.concurrency)
        return
    if args.statements:
        statements(post, args.n, args.rounds)
        return
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for n in range(50, 50 + args.n):
        post(n)
    profiler.disable()
    wall = time.perf_counter() - started
    print(f"{args.n} submissions in {wall:.2f} s (profiled): {wall / args.n * 1000:.1f} ms each")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
