"""The service's background loops: a daemon thread that works every few seconds and when woken."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class PollingLoop:
    """Runs ``work`` every ``poll_seconds`` and whenever woken; a failure is logged and retried next round."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, work: Callable[[], None], poll_seconds: float) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, args=(work, poll_seconds), name=self.name, daemon=True)
            self._thread.start()

    def _run(self, work: Callable[[], None], poll_seconds: float) -> None:
        while not self._stopping.is_set():
            self._wake.wait(poll_seconds)
            self._wake.clear()
            if self._stopping.is_set():
                break
            try:
                work()
            except Exception:  # noqa: BLE001 - the loop must outlive any one failure; logged, retried
                log.exception("%s failed; retrying in %s s", self.name, poll_seconds)

    def wake(self) -> None:
        """Run the work now (or as soon as the current round ends)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish its round and exit."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
