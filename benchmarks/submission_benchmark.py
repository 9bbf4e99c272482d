"""Comment submissions per second and latency under gunicorn (2 workers): our service against Isso 0.14.

    uv run python benchmarks/submission_benchmark.py                      # 2,000 per level, c = 1, 8, 32
    uv run python benchmarks/submission_benchmark.py --requests 300       # quick

Both servers run on 127.0.0.1 in the same run, `gunicorn -w 2` (the README's production
command: two sync worker processes; `--threads N` for N threads each), each with its own
SQLite database and moderation on: ours with the packaged default rules file, Isso with
`[moderation] enabled = true` and its guard on. Each request is a new visitor: a distinct
X-Forwarded-For address (its own /24, as Isso anonymizes to /24), trusted by both servers
(TRUSTED_PROXIES=1; Isso `trusted-proxies = 127.0.0.1`), and a distinct body, so the per-IP
flood and rate limits and the duplicate rule see ordinary traffic instead of refusing it.
Both servers stay up for the whole run and take turns at each concurrency level (ours, then Isso),
so other load on the machine falls on both alike. Afterwards the rows in both databases are
counted against the acknowledged answers.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import service_bench as sb  # noqa: E402

ROOT = sb.WORK / "submissions"
THREAD = "bench"
OK_CODES = {201, 202}  # stored: published at once, or held for moderation


def body_text(i: int) -> str:
    return f"Comment number {i}: the funnel chart in this post matches what we see after the release."


def ours_request(offset: int):
    def make(i: int):
        n = offset + i
        body = sb.json_body({"thread": THREAD, "author": f"Reader {n}", "email": f"reader{n}@example.org",
                             "body": body_text(n)})
        return "POST", "/api/comments", body, {"Content-Type": "application/json", "Accept": "application/json",
                                               "X-Forwarded-For": sb.visitor_ip(n)}
    return make


def isso_request(offset: int):
    def make(i: int):
        n = offset + i
        body = sb.json_body({"text": body_text(n), "author": f"Reader {n}", "email": f"reader{n}@example.org",
                             "title": "Benchmark post"})
        return "POST", f"/new?uri=%2F{THREAD}%2F", body, {"Content-Type": "application/json",
                                                          "X-Forwarded-For": sb.visitor_ip(n)}
    return make


def count_rows(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM comments").fetchone()[0]


@dataclass
class Server:
    """One server under test and what it has acknowledged so far."""

    name: str
    port: int
    pid: int
    make_factory: Callable[[int], Callable[[int], tuple]]
    database: Path
    acknowledged: int = 0
    offset: int = 0
    rows: list[list[str]] = field(default_factory=list)

    def load(self, total: int, concurrency: int, max_seconds: float, record: bool) -> None:
        """Send ``total`` new visitors' submissions; with ``record``, add a row to the table."""
        result = sb.run_load(self.port, self.make_factory(self.offset), total=total, concurrency=concurrency,
                             max_seconds=max_seconds, server_pid=self.pid)
        self.offset += total
        ok = sum(n for code, n in result.statuses.items() if code in OK_CODES)
        self.acknowledged += ok
        if not record:
            return
        other = {code: n for code, n in result.statuses.items() if code not in OK_CODES}
        self.rows.append([self.name, str(concurrency), sb.load_average().split()[0], f"{result.count}",
                          f"{ok / result.wall:.0f}", f"{result.percentile(50) * 1000:.0f}",
                          f"{result.percentile(99) * 1000:.0f}", f"{result.cpu / max(result.count, 1) * 1000:.1f}",
                          f"{result.client_cpu / max(result.count, 1) * 1000:.1f}",
                          ", ".join(f"{c}×{n}" for c, n in sorted(other.items())) + ", ".join(
                              f"{e}×{n}" for e, n in result.errors.items()) or "—"])
        print(f"  {self.name} c={concurrency}: {ok / result.wall:.0f}/s p99 {result.percentile(99) * 1000:.0f} ms"
              f" (load {sb.load_average()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrency level")
    parser.add_argument("--levels", default="1,8,32", help="concurrency levels")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (processes)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="bound on each level's duration")
    parser.add_argument("--only", choices=("ours", "isso"), help="run one side only")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    print(f"load average before: {sb.load_average()}; gunicorn -w {args.workers}"
          + (f" --threads {args.threads}" if args.threads > 1 else ""), flush=True)

    servers: list[Server] = []
    processes = []
    try:
        if args.only != "isso":
            project = sb.make_project(ROOT / "ours", THREAD)
            port = sb.free_port()
            print("building the site for our service ...", flush=True)
            sb.build_site(project, f"http://127.0.0.1:{port}")
            # The README's production shape: service workers without a builder (`cluetrain builder` beside them
            # builds; this benchmark approves nothing, so it is not started).
            process = sb.start_ours(project, port, args.workers, args.threads, TRUSTED_PROXIES="1",
                                    PUBLISH_POLL_SECONDS="5", NOTIFY_POLL_SECONDS="0", EMBEDDED_BUILDER="false")
            processes.append(process)
            servers.append(Server("ours", port, process.pid, ours_request,
                                  project / "instance" / "comments.sqlite3"))
        if args.only != "ours":
            root = ROOT / "isso"
            if root.exists():
                shutil.rmtree(root)
            port = sb.free_port()
            process = sb.start_isso(root, port, f"http://127.0.0.1:{port}/", moderation=True, workers=args.workers,
                                    threads=args.threads)
            processes.append(process)
            servers.append(Server("Isso 0.14", port, process.pid, isso_request, root / "comments.db"))
        # Both servers are up for the whole run and take turns at each level, so a burst of other load on
        # the machine falls on both rather than on whichever happened to be measured at the time.
        for server in servers:
            server.load(args.warmup, 4, args.max_seconds, record=False)
        for level in levels:
            for server in servers:
                server.load(args.requests, level, args.max_seconds, record=True)
                time.sleep(1)
    finally:
        for process in processes:
            sb.stop(process)

    print()
    sb.print_table(["server", "concurrency", "load 1 min", "requests", "acknowledged/s", "p50 ms", "p99 ms",
                    "server CPU ms/req", "client CPU ms/req", "other answers"], [r for s in servers for r in s.rows])
    print()
    sb.print_table(["server", "acknowledged (incl. warm-up)", "rows stored"],
                   [[s.name, str(s.acknowledged), str(count_rows(s.database))] for s in servers])
    print(f"\nload average after: {sb.load_average()}")


if __name__ == "__main__":
    main()
