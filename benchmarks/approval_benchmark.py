"""Approval → page, end to end through the running service: the moderator's API call until the page holds the comment.

    uv run python benchmarks/approval_benchmark.py                       # N = 500 posts, 30 approvals per shape
    uv run python benchmarks/approval_benchmark.py --size 2000 -n 40

builder_benchmark.py times the resident builder alone (file written → page written). This one runs
the real thing on a generated site (N posts, ~10 comments each, 2,000 feedback items) on 127.0.0.1,
in each deployment shape the README describes:

- ``gunicorn + cluetrain builder``: `gunicorn -w 2 'cluetrain.cli:wsgi_app()'` (sync workers) with
  EMBEDDED_BUILDER off, beside one `cluetrain builder` (default poll 1 s; workers ring its doorbell);
- ``gunicorn, embedded builders``: the same gunicorn command as it comes (one worker builds);
- ``cluetrain serve``: one process with its resident builder.

Each approval: a visitor's comment is submitted (held by the rules), then the clock starts, the
moderator approves it (`POST /api/moderation/comments/<id>/approve`), and the clock stops when
the post's page on disk holds the comment (its file is checked each time its mtime changes).
Prints one table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import service_bench as sb  # noqa: E402
from site_generator import generate  # noqa: E402

ROOT = sb.WORK / "approval"
# Every comment held for the moderator, and no per-visitor limits in the way of the benchmark's visitors.
HOLD_EVERYTHING = "[limits]\nflood_seconds = 0\nrate_limit_count = 0\n[hold]\nall = true\n"
PAGE_TIMEOUT = 60.0


def _cluetrain(project: Path, *args: str) -> list[str]:
    script = Path(sys.executable).with_name("cluetrain")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from cluetrain.cli import main; main()"]
    return [*command, "--project", str(project), *args]


def _project(size: int) -> Path:
    project = ROOT / f"n{size}"
    if not (project / "content").exists():
        sb.make_project(project, post_slug="post-0")
        (project / "content" / "posts" / "post-0.md").unlink()
        generate(project, size)
    (project / "rules.toml").write_text(HOLD_EVERYTHING, encoding="utf-8")
    return project


def _fresh_instance(project: Path) -> None:
    for name in ("instance", "output", "search_index"):
        shutil.rmtree(project / name, ignore_errors=True)


class Shape:
    """One deployment shape: how to start it, and its processes."""

    def __init__(self, name: str, project: Path, port: int) -> None:
        self.name = name
        self.project = project
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.processes: list[subprocess.Popen] = []
        self.env = sb.cluetrain_env(project, SITE_URL=self.url, RULES_FILE=str(project / "rules.toml"),
                                    TRUSTED_PROXIES="1")

    def start(self) -> None:
        log = self.project / f"{self.name.replace(' ', '-').replace(',', '')}.log"
        gunicorn = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}",
                    "--log-level", "warning", "cluetrain.cli:wsgi_app()"]
        site_url = ["--site-url", self.url]
        if self.name == "gunicorn + cluetrain builder":
            env = self.env | {"CLUETRAIN_EMBEDDED_BUILDER": "false"}
            self.processes.append(sb.start(_cluetrain(self.project, "builder", *site_url), cwd=self.project,
                                           env=env, log=log))
            self.processes.append(sb.start(gunicorn, cwd=self.project, env=env, log=log))
        elif self.name == "gunicorn, embedded builders":
            self.processes.append(sb.start(gunicorn, cwd=self.project, env=self.env, log=log))
        else:
            self.processes.append(sb.start(_cluetrain(self.project, "serve", "--port", str(self.port), *site_url),
                                           cwd=self.project, env=self.env, log=log))
        sb.wait_http(f"{self.url}/healthz", self.processes[-1], log)

    def stop(self) -> None:
        for process in reversed(self.processes):
            sb.stop(process)


def _request(url: str, data: dict | None = None, token: str | None = None, ip: str = "10.0.0.1") -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json", "X-Forwarded-For": ip}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data or {}).encode("utf-8")
    with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers, method="POST"),
                                timeout=30) as response:
        return json.loads(response.read() or b"{}")


def _wait_for_page(page: Path, marker: bytes, deadline: float) -> float:
    """Seconds on the monotonic clock when ``page`` first holds ``marker``."""
    seen = None
    while time.monotonic() < deadline:
        try:
            stamp = page.stat().st_mtime_ns
            if stamp != seen:
                seen = stamp
                if marker in page.read_bytes():
                    return time.monotonic()
        except FileNotFoundError:
            pass
        time.sleep(0.001)
    raise RuntimeError(f"{page} did not show {marker!r} within {PAGE_TIMEOUT} s")


def _wait_for_first_build(shape: Shape) -> None:
    """Until a first build is recorded (`cluetrain serve` builds before it answers, and records none)."""
    database = shape.project / "instance" / "comments.sqlite3"
    deadline = time.monotonic() + 900
    while shape.name != "cluetrain serve":
        try:
            with sqlite3.connect(database, timeout=30) as db:
                if db.execute("SELECT count(*) FROM site_builds WHERE outcome = 'ok'").fetchone()[0]:
                    return
        except sqlite3.OperationalError:  # not migrated yet
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{shape.name}: the first build did not finish")
        time.sleep(0.2)


def measure(shape: Shape, size: int, approvals: int) -> list[tuple[float, float]]:
    """Per approval: seconds from the approve call to the page holding the comment, and to the call's answer."""
    _fresh_instance(shape.project)
    shape.start()
    try:
        _wait_for_first_build(shape)
        made = subprocess.run(_cluetrain(shape.project, "token", "create"), cwd=shape.project,
                              env=shape.env, capture_output=True, text=True, check=True)
        token = made.stdout.strip().splitlines()[-1]
        timings = []
        for number in range(approvals):
            post = (number * 7919) % size
            comment = {"thread": f"post-{post}", "author": f"Reader {number}", "email": f"r{number}@example.org",
                       "body": f"Approval benchmark comment {number} on post {post}."}
            answer = _request(f"{shape.url}/api/comments", comment, ip=f"10.{number // 250}.{number % 250}.9")
            comment_id = answer["id"]
            page = shape.project / "output" / "posts" / f"post-{post}" / "index.html"
            started = time.monotonic()
            _request(f"{shape.url}/api/moderation/comments/{comment_id}/approve", token=token)
            answered = time.monotonic()
            shown = _wait_for_page(page, f'id="comment-{comment_id}"'.encode(), started + PAGE_TIMEOUT)
            timings.append((shown - started, answered - started))
            time.sleep(0.3)  # let the update's site-wide part finish, as between a moderator's clicks
        return timings
    finally:
        shape.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500, help="posts in the generated site")
    parser.add_argument("-n", type=int, default=30, help="approvals per shape")
    args = parser.parse_args()
    project = _project(args.size)
    print(f"| shape (N = {args.size} posts) | approval → page p50 / p95 / max | approve call p50 | load avg |")
    print("|---|---|---|---|")
    for name in ("gunicorn + cluetrain builder", "gunicorn, embedded builders", "cluetrain serve"):
        results = measure(Shape(name, project, sb.free_port()), args.size, args.n)
        pages = sorted(page for page, _ in results)
        p95 = pages[min(len(pages) - 1, int(0.95 * len(pages)))]
        print(f"| {name} | {_ms(statistics.median(pages))} / {_ms(p95)} / {_ms(pages[-1])} "
              f"| {_ms(statistics.median(call for _, call in results))} | {os.getloadavg()[0]:.1f} |", flush=True)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"

if __name__ == "__main__":
    main()
