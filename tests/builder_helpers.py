"""`cluetrain builder` as a real subprocess, for the builder tests on SQLite and PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.live_service import STARTUP_SECONDS, Service, cluetrain_command

RELAXED_RULES = "[limits]\nflood_seconds = 0\nrate_limit_count = 0\n[spam]\nmin_fill_seconds = 0\n"
# Short lease so a takeover happens quickly; the tests wait for events, never for durations.
FAST_LEASE = {"CLUETRAIN_BUILDER_LEASE_SECONDS": "2", "CLUETRAIN_BUILDER_HEARTBEAT_SECONDS": "0.2",
              "CLUETRAIN_BUILDER_POLL_SECONDS": "0.2", "CLUETRAIN_EMBEDDED_BUILDER": "false"}


class BuilderRun:
    """One `cluetrain builder` subprocess with its own log file."""

    def __init__(self, service: Service, name: str) -> None:
        self.service = service
        self.log = service.project / f"builder-{name}.log"
        with self.log.open("a") as log:
            self.process = subprocess.Popen([*cluetrain_command(), "--project", str(service.project), "builder",
                                             "--site-url", service.url],
                                            env=service.env(), stdout=log, stderr=subprocess.STDOUT,
                                            cwd=service.project)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def wait_for(self, predicate, what: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not predicate():
            if self.process.poll() is not None:
                pytest.fail(f"the builder exited while waiting for {what}:\n{self.text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"gave up waiting for {what}:\n{self.text()[-3000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
