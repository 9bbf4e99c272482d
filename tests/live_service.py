"""The real service as a subprocess: `cluetrain serve` on a free 127.0.0.1 port over a temp project."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60  # a bound on waiting for a real server and its first build; not a speed assertion


def make_project(root: Path) -> Path:
    """The repository's settings, theme and plugins around a one-post content folder in ``root``."""
    shutil.copy(REPO / "pelicanconf.py", root / "pelicanconf.py")
    for folder in ("theme", "plugins"):
        (root / folder).symlink_to(REPO / folder)
    (root / "content" / "posts").mkdir(parents=True)
    (root / "content" / "posts" / "hello.md").write_text(
        "Title: Hello\nDate: 2026-01-01 10:00\nSlug: hello\n\nHi.\n", encoding="utf-8")
    return root


def cluetrain_command() -> list[str]:
    script = Path(sys.executable).with_name("cluetrain")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from cluetrain.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    """`cluetrain serve` on a temp project: the built site at /, the API on the same origin."""

    project: Path
    port: int
    settings: dict[str, str] = field(default_factory=dict)  # extra CLUETRAIN_* variables
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.project / "service.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLUETRAIN_")}
        rules = self.project / "rules.toml"
        return env | ({"CLUETRAIN_RULES_FILE": str(rules)} if rules.exists() else {}) | {
            "CLUETRAIN_SESSION_COOKIE_SECURE": "false",  # plain http://127.0.0.1
            "CLUETRAIN_PUBLISH_POLL_SECONDS": "1",
            "CLUETRAIN_REBUILD_DELAY_SECONDS": "0",
        } | self.settings

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([*cluetrain_command(), "--project", str(self.project), *args], env=self.env(),
                              input=stdin, capture_output=True, text=True, timeout=60, check=True)
        return done.stdout

    def start(self) -> None:
        command = [*cluetrain_command(), "--project", str(self.project), "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--site-url", self.url]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(command, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                            cwd=self.project)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"`cluetrain serve` exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"the service did not answer /healthz within 60 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # the CLI stops its workers on Ctrl-C
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def json(self, path: str, *, method: str = "GET", token: str | None = None, body: dict | None = None) -> dict:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, method=method, headers=headers,
                                         data=json.dumps(body or {}).encode() if method == "POST" else None)
        if method == "POST":
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def wait_for(self, predicate, what: str) -> None:
        """Poll until ``predicate()`` holds; fail with the server's log if it exits or takes too long."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while not predicate():
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(f"the service exited while waiting for {what}:\n{self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def text(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read().decode("utf-8")

    def comments(self) -> list[sqlite3.Row]:
        with sqlite3.connect(self.project / "instance" / "comments.sqlite3") as db:
            db.row_factory = sqlite3.Row
            return db.execute("SELECT id, status, rule, author, body, parent_id FROM comments ORDER BY created_at").fetchall()
