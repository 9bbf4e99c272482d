"""A wake-up for `cluetrain builder` on this host: workers ring it after publishing files.

The builder polls the database every ``BUILDER_POLL_SECONDS`` for changed files; a worker that
has just written an approved comment or a feedback change rings a Unix datagram socket in the
instance folder, so the builder looks at once instead of at its next poll. Ringing is best
effort — no builder on this host, a builder on another host, a full socket buffer — and the
poll still finds everything, so nothing depends on a ring arriving.
"""

from __future__ import annotations

import logging
import os
import select
import socket
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

DOORBELL_FILE = "builder.sock"


def ring(instance: Path) -> None:
    """Tell a builder listening in ``instance`` that files changed (silently nothing if none listens)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            sender.sendto(b"\n", os.fspath(Path(instance) / DOORBELL_FILE))
    except OSError:
        pass  # no builder here (or its queue is full, so it is awake anyway): its poll finds the change


class Doorbell:
    """The builder's end: ``wait(timeout)`` returns early, True, when someone rang."""

    def __init__(self, instance: Path) -> None:
        self.path = Path(instance) / DOORBELL_FILE
        self._socket: socket.socket | None = None
        self._inode = 0
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            # A builder that died left its socket file; only the lease holder listens, so it is ours now.
            self.path.unlink(missing_ok=True)
            listener.bind(os.fspath(self.path))
        except OSError as exc:  # e.g. a path longer than a socket name may be
            listener.close()
            log.warning("no builder doorbell at %s (%s): changes are found by polling only", self.path, exc)
            return
        listener.setblocking(False)
        self._socket = listener
        self._inode = self.path.stat().st_ino

    @property
    def listening(self) -> bool:
        """Whether rings can reach this builder."""
        return self._socket is not None

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a ring; True if rung (every ring so far is consumed)."""
        if self._socket is None:
            return False
        readable, _, _ = select.select([self._socket], [], [], timeout)
        rung = False
        while readable:
            try:
                self._socket.recv(64)
                rung = True
            except BlockingIOError:
                break
        return rung

    def close(self) -> None:
        """Stop listening and remove the socket file."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            try:
                if self.path.stat().st_ino == self._inode:  # not a successor's socket, bound since
                    self.path.unlink()
            except FileNotFoundError:
                pass

    def __enter__(self) -> Doorbell:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
