"""Where one comment submission's time goes: cProfile of the app (as one gunicorn worker runs it).

    uv run python benchmarks/submission_profile.py            # 500 submissions after 50 warm-up
    uv run python benchmarks/submission_profile.py -n 200 --top 40

The app is created exactly as `cluetrain.cli:wsgi_app()` does, over the built project of
submission_benchmark.py (built here if missing), with the same settings (TRUSTED_PROXIES=1, default
rules); requests go through Flask's test client, one visitor address each.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import service_bench as sb  # noqa: E402
from submission_benchmark import THREAD, body_text  # noqa: E402

ROOT = sb.WORK / "profile"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    project = sb.make_project(ROOT / "ours", THREAD)
    sb.build_site(project, "http://127.0.0.1:8000")
    for key, value in sb.cluetrain_env(project, TRUSTED_PROXIES="1", SITE_URL="http://127.0.0.1:8000",
                                       PUBLISH_POLL_SECONDS="5", NOTIFY_POLL_SECONDS="0").items():
        os.environ[key] = value
    os.chdir(project)
    from cluetrain.cli import wsgi_app

    app = wsgi_app()
    client = app.test_client()

    def post(n: int) -> None:
        response = client.post("/api/comments", json={
            "thread": THREAD, "author": f"Reader {n}", "email": f"reader{n}@example.org", "body": body_text(n)},
            headers={"X-Forwarded-For": sb.visitor_ip(n), "Accept": "application/json"})
        assert response.status_code in (201, 202), response.get_data(as_text=True)

    for n in range(50):
        post(n)
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
