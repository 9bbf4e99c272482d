"""Shared parts of the service benchmarks: Isso in a throwaway venv, our service and Isso under
gunicorn on 127.0.0.1, a bounded HTTP load generator, and server CPU time read from /proc.

Everything lives under benchmarks/_work/ (ignored by git); nothing is installed into the project.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "benchmarks" / "_work"
ISSO_VENV = WORK / "isso-venv"
ISSO_VERSION = "0.14.0"
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_isso() -> Path:
    """A venv with isso==0.14.0 and gunicorn under benchmarks/_work/ (created once); returns its bin/."""
    bin_dir = ISSO_VENV / "bin"
    marker = ISSO_VENV / f".isso-{ISSO_VERSION}-ok"
    if not marker.exists():
        if not (bin_dir / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(ISSO_VENV)], check=True)
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", f"isso=={ISSO_VERSION}", "gunicorn"],
                       check=True)
        marker.touch()
    return bin_dir


def wait_http(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{url} did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


def start(command: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as handle:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        # The whole process group (start_new_session): killing only gunicorn's master left a hung worker running.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- our service --------------------------------------------------------------------------------

def make_project(root: Path, post_slug: str = "bench") -> Path:
    """The repository's settings, theme and plugins around a one-post content folder."""
    if root.exists():
        shutil.rmtree(root)
    (root / "content" / "posts").mkdir(parents=True)
    shutil.copy(REPO / "pelicanconf.py", root / "pelicanconf.py")
    for folder in ("theme", "plugins"):
        (root / folder).symlink_to(REPO / folder)
    (root / "content" / "posts" / f"{post_slug}.md").write_text(
        f"Title: Benchmark post\nDate: 2026-01-01 10:00\nSlug: {post_slug}\n\nA post to comment on.\n",
        encoding="utf-8")
    return root


def cluetrain_env(project: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLUETRAIN_")}
    return env | {"CLUETRAIN_SESSION_COOKIE_SECURE": "false"} | {f"CLUETRAIN_{k}": v for k, v in settings.items()}


def build_site(project: Path, site_url: str) -> None:
    script = Path(sys.executable).with_name("cluetrain")
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from cluetrain.cli import main; main()"]
    subprocess.run([*command, "--project", str(project), "build", "--quiet", "--site-url", site_url],
                   cwd=project, env=cluetrain_env(project), check=True, timeout=600)


def gunicorn_options(workers: int, threads: int) -> list[str]:
    return ["-w", str(workers)] + (["--threads", str(threads)] if threads > 1 else [])


def start_ours(project: Path, port: int, workers: int = 2, threads: int = 1, **settings: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", *gunicorn_options(workers, threads), "-b", f"127.0.0.1:{port}",
               "--log-level", "warning", "cluetrain.cli:wsgi_app()"]
    env = cluetrain_env(project, SITE_URL=f"http://127.0.0.1:{port}", **settings)
    log = project / "gunicorn.log"
    process = start(command, cwd=project, env=env, log=log)
    wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
    # The worker holding the builder lease builds the site once at start (about 1 s of CPU): without waiting,
    # that build was counted as the first level's server CPU and slowed its requests.
    wait_idle(process.pid)
    return process


# --- Isso -----------------------------------------------------------------------------------------

ISSO_CONFIG = """\
[general]
dbpath = {db}
host = {host}
max-age = 15m
notify = stdout
log-file = {root}/isso.log

[moderation]
enabled = {moderation}
purge-after = 30d

[server]
listen = http://127.0.0.1:{port}/
trusted-proxies = 127.0.0.1

[guard]
enabled = true
ratelimit = 2
direct-reply = 3
reply-to-self = false
require-author = false
require-email = false

[markup]
options = strikethrough, superscript, autolink, fenced-code

[hash]
salt = Eech7co8Ohloopo9Ol6baimi
algorithm = pbkdf2
"""


def start_isso(root: Path, port: int, site_host: str, *, moderation: bool, workers: int = 2,
               threads: int = 1) -> subprocess.Popen:
    """Isso 0.14 under gunicorn with its own config; ``site_host`` serves the pages it checks."""
    bin_dir = ensure_isso()
    root.mkdir(parents=True, exist_ok=True)
    config = root / "isso.cfg"
    config.write_text(ISSO_CONFIG.format(db=root / "comments.db", host=site_host, root=root, port=port,
                                         moderation="true" if moderation else "false"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {"ISSO_SETTINGS": str(config), "PATH": f"{bin_dir}:{env.get('PATH', '')}"}
    command = [str(bin_dir / "gunicorn"), *gunicorn_options(workers, threads), "-b", f"127.0.0.1:{port}",
               "--log-level", "warning", "--preload", "isso.run"]
    log = root / "gunicorn.log"
    process = start(command, cwd=root, env=env, log=log)
    wait_http(f"http://127.0.0.1:{port}/info", process, log)
    return process


class PageServer:
    """A ThreadingHTTPServer in a subprocess serving ``folder`` (its CPU time can then be read from /proc)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        log = folder.parent / f"http-server-{port}.log"
        self.process = start([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                              "--directory", str(folder)], cwd=folder, env=dict(os.environ), log=log)
        wait_http(f"http://127.0.0.1:{port}/", self.process, log)

    def stop(self) -> None:
        stop(self.process)


# --- CPU time from /proc --------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found += [int(c) for c in text.split()]
    except OSError:
        pass
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its live descendants (gunicorn master and workers)."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
        stack += _children(current)
    return total


def wait_idle(pid: int, *, window: float = 0.5, busy: float = 0.05, limit: float = 60.0) -> None:
    """Wait until ``pid`` and its descendants use under ``busy`` of a core over ``window`` seconds."""
    deadline = time.monotonic() + limit
    before = tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(window)
        now = tree_cpu_seconds(pid)
        if now - before < busy * window:
            return
        before = now


# --- load generation -----------------------------------------------------------------------------

@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, every answered request
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    wall: float = 0.0
    cpu: float = 0.0  # server CPU seconds over the run
    client_cpu: float = 0.0  # this (load-generating) process's CPU seconds over the run

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall else 0.0


def run_load(port: int, make_request, *, total: int, concurrency: int, max_seconds: float = 120.0,
             server_pid: int | None = None) -> Result:
    """Send ``total`` requests (or until ``max_seconds``) with ``concurrency`` threads.

    ``make_request(i)`` returns (method, path, body bytes or None, headers). A new connection per
    request: gunicorn's sync workers close the connection after each answer anyway.
    """
    result = Result()
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            method, path, body, headers = make_request(i)
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    result.errors[type(exc).__name__] += 1
                continue
            elapsed = time.perf_counter() - started
            with lock:
                result.latencies.append(elapsed)
                result.statuses[response.status] += 1

    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    client_before = time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    result.wall = time.perf_counter() - started
    result.client_cpu = time.process_time() - client_before
    if server_pid:
        result.cpu = tree_cpu_seconds(server_pid) - cpu_before
    return result


def json_body(data: dict) -> bytes:
    return json.dumps(data).encode("utf-8")


def visitor_ip(i: int) -> str:
    """A distinct address per simulated visitor, in its own /24 (Isso anonymizes addresses to /24)."""
    return f"{11 + i // 62500}.{i // 250 % 250}.{i % 250}.1"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"  # noqa: E731
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
