"""Reading a 200-comment thread: our static post page against Isso 0.14's thread API.

    uv run python benchmarks/thread_read_benchmark.py                  # c = 1 and 8, ≤ 2,000 requests / 20 s each
    uv run python benchmarks/thread_read_benchmark.py --seconds 5      # quick

Ours: one post with 200 approved comments, built with our theme and plugins (the comments are
in the page's HTML), the output folder served by Python's `http.server` (ThreadingHTTPServer)
on 127.0.0.1, `GET /posts/bench/`. Isso: `gunicorn -w 2`, its own config (moderation off so the
comments are visible without 200 moderator actions), 200 comments posted through its API from
distinct addresses, then `GET /?uri=/bench/` (what its embed script asks on every page view).
If `nginx` is on the PATH (e.g. `apt-get install nginx-light`), the same folder is also served by
nginx (2 worker processes, sendfile, no gzip) for comparison. Each level sends a fixed number of requests but stops after --seconds; server CPU is the
server processes' user+system time from /proc over the level, divided by the requests answered.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import service_bench as sb  # noqa: E402

ROOT = sb.WORK / "thread_read"
THREAD = "bench"
WORDS = ("analytics event funnel visitor cohort retention dashboard query latency ingest pipeline schema "
         "privacy cookie consent export release metric chart segment sampling storage index cluster").split()


def text(i: int, words: int = 40) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(words)).capitalize() + "."


def our_site(comments: int) -> Path:
    from cluetrain.content_format import Comment, CommentSource, write_comment

    project = sb.make_project(ROOT / "ours", THREAD)
    start = datetime(2026, 1, 1, 11, tzinfo=timezone.utc)
    for i in range(comments):
        write_comment(project / "content", Comment(
            id=f"c{i}", thread=THREAD, author=f"Reader {i}", body=text(i), date=start + timedelta(minutes=i),
            source=CommentSource.WEB))
    sb.build_site(project, "http://127.0.0.1:8000")
    return project


NGINX_CONFIG = """\
worker_processes 2;
daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp; fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
    types {{ text/html html; text/css css; application/javascript js; }}
    server {{
        listen 127.0.0.1:{port};
        root {folder};
        index index.html;
    }}
}}
"""


def start_nginx(nginx: str, folder: Path, port: int):
    root = ROOT / "nginx"
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    config = root / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(root=root, port=port, folder=folder), encoding="utf-8")
    log = root / "nginx.log"
    process = sb.start([nginx, "-c", str(config), "-p", str(root)], cwd=root, env=dict(sb.os.environ), log=log)
    sb.wait_http(f"http://127.0.0.1:{port}/", process, log)
    return process


def row(name: str, result: sb.Result, size: int) -> list[str]:
    other = {code: n for code, n in result.statuses.items() if code != 200}
    problems = ", ".join(f"{c}×{n}" for c, n in sorted(other.items())) + ", ".join(
        f"{e}×{n}" for e, n in result.errors.items())
    return [name, str(result.count), f"{result.rate:.1f}", f"{result.percentile(50) * 1000:.1f}",
            f"{result.percentile(99) * 1000:.1f}", f"{result.cpu / max(result.count, 1) * 1000:.2f}",
            f"{size / 1024:.0f} KB", problems or "—"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000, help="at most this many requests per level")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per level")
    parser.add_argument("--levels", default="1,8")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    print(f"load average before: {sb.load_average()}", flush=True)
    rows = []

    print(f"building a post with {args.comments} comments ...", flush=True)
    project = our_site(args.comments)
    page = project / "output" / "posts" / THREAD / "index.html"
    assert page.read_text(encoding="utf-8").count("Reader ") >= args.comments, "the comments are not in the page"
    port = sb.free_port()
    server = sb.PageServer(project / "output", port)
    try:
        get_page = lambda i: ("GET", f"/posts/{THREAD}/", None, {})  # noqa: E731
        sb.run_load(port, get_page, total=50, concurrency=2)
        for level in levels:
            result = sb.run_load(port, get_page, total=args.requests, concurrency=level,
                                 max_seconds=args.seconds, server_pid=server.process.pid)
            rows.append(row(f"ours: static page, http.server, c={level}", result, page.stat().st_size))
            print("  " + " | ".join(rows[-1]), flush=True)
    finally:
        server.stop()
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx:
        port = sb.free_port()
        process = start_nginx(nginx, project / "output", port)
        try:
            sb.run_load(port, get_page, total=50, concurrency=2)
            for level in levels:
                result = sb.run_load(port, get_page, total=args.requests, concurrency=level,
                                     max_seconds=args.seconds, server_pid=process.pid)
                rows.append(row(f"ours: static page, nginx -w 2, c={level}", result, page.stat().st_size))
                print("  " + " | ".join(rows[-1]), flush=True)
        finally:
            sb.stop(process)

    root = ROOT / "isso"
    if root.exists():
        shutil.rmtree(root)
    port = sb.free_port()
    process = sb.start_isso(root, port, f"http://127.0.0.1:{port}/", moderation=False)
    try:
        def post(i: int):
            body = sb.json_body({"text": text(i), "author": f"Reader {i}", "email": f"reader{i}@example.org",
                                 "title": "Benchmark post"})
            return "POST", f"/new?uri=%2F{THREAD}%2F", body, {"Content-Type": "application/json",
                                                              "X-Forwarded-For": sb.visitor_ip(i)}
        made = sb.run_load(port, post, total=args.comments, concurrency=1)
        assert made.statuses[201] == args.comments, f"Isso refused comments: {made.statuses} {made.errors}"
        get_thread = lambda i: ("GET", f"/?uri=%2F{THREAD}%2F", None, {"Accept": "application/json"})  # noqa: E731
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", f"/?uri=%2F{THREAD}%2F")
        response = conn.getresponse()
        size = len(response.read())
        conn.close()
        sb.run_load(port, get_thread, total=4, concurrency=2, max_seconds=args.seconds)  # warm both workers
        for level in levels:
            result = sb.run_load(port, get_thread, total=args.requests, concurrency=level,
                                 max_seconds=args.seconds, server_pid=process.pid)
            rows.append(row(f"Isso 0.14: GET /?uri=, gunicorn -w 2, c={level}", result, size))
            print("  " + " | ".join(rows[-1]), flush=True)
    finally:
        sb.stop(process)

    print()
    sb.print_table(["server", "requests", "requests/s", "p50 ms", "p99 ms", "server CPU ms/req", "response",
                    "other answers"], rows)
    print(f"\nload average after: {sb.load_average()}")


if __name__ == "__main__":
    main()
