"""`cluetrain builder`: the one site builder beside several service workers, fed through the database.

Service workers publish approved comments (files plus ``file_changed_at``) and start no builder
(``EMBEDDED_BUILDER = false``). This process waits for the single-builder lease, then keeps a
resident incremental builder and polls the database: every comment file changed after the last
successful build's start is rebuilt, and each build is recorded as a SiteBuild row, which is what
receipts read. A builder that starts (or takes over) does a full build first, so nothing recorded
while no builder ran is lost.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from comments_service.builder_doorbell import Doorbell, ring
from comments_service.builder_lease import Heartbeat, Lease, died_on_this_host
from comments_service.config import load_settings
from comments_service.db import Database, upgrade
from comments_service.publisher import Publisher
from comments_service.regeneration import Builder, build_and_record, changes_since_last_build

log = logging.getLogger(__name__)


class BuilderProcess:
    """Holds the lease while alive; builds what the database says changed."""

    def __init__(self, project_root: Path, make_builder: Any, *, environ: dict[str, str] | None = None) -> None:
        self.project_root = Path(project_root).resolve()
        self.instance = self.project_root / "instance"
        self.settings = load_settings(self.instance, os.environ if environ is None else environ,
                                      {"PROJECT_ROOT": self.project_root})
        self.database = Database(self.settings["DATABASE_URL"], busy_timeout=self.settings["SQLITE_BUSY_TIMEOUT"])
        # Called with the lease's fence once the lease is held: a standby keeps no resident site.
        self.make_builder = make_builder
        self.lease = Lease(self.database, seconds=self.settings["BUILDER_LEASE_SECONDS"])
        self.stopping = threading.Event()

    def run(self) -> None:
        """Migrate, then wait for the lease and build until stopped (a lost lease means waiting again)."""
        upgrade(self.database, self.instance / "migrate.lock")
        try:
            while not self.stopping.is_set():
                if self._wait_for_lease():
                    self._serve_lease()
        finally:
            self.database.dispose()

    def stop(self) -> None:
        """Finish the current build, give the lease up and return from run()."""
        self.stopping.set()
        ring(self.instance)  # out of a doorbell wait at once

    def _wait_for_lease(self) -> bool:
        announced = None
        while not self.stopping.is_set():
            if self.lease.try_acquire():
                log.info("builder %s holds the builder lease; this process builds the site", self.lease.holder)
                return True
            current = self.lease.current()
            holder = current[0] if current else None
            if holder != announced:
                log.info("another builder is active (%s, lease until %s); waiting to take over",
                         holder, current[1].isoformat() if current else "?")
                announced = holder
            self.stopping.wait(self.settings["BUILDER_HEARTBEAT_SECONDS"])
        return False

    def _serve_lease(self) -> None:
        heartbeat = Heartbeat(self.lease, self.settings["BUILDER_HEARTBEAT_SECONDS"])
        heartbeat.start()
        try:
            self._build_loop(heartbeat)
        finally:
            heartbeat.stop()
            if not heartbeat.lost.is_set():
                self.lease.release()

    def _build_loop(self, heartbeat: Heartbeat) -> None:
        content = self.settings["CONTENT_PATH"]
        publisher = Publisher(self.database, content, lock_path=self.instance / "publish.lock")
        # Files for every approval recorded while no worker published. Not start_up(): its temp-file
        # sweep could delete a file a running worker is writing at this moment.
        publisher.reconcile()
        builder: Builder = self.make_builder(self.lease.holds)
        with Doorbell(self.instance) as doorbell:
            # The first build is full: it covers every change recorded since the last successful build.
            ok = self._build(builder, [])
            log.info("builder ready (%s); polling every %s s%s", "site built" if ok else "first build failed",
                     self.settings["BUILDER_POLL_SECONDS"],
                     ", woken at once by workers on this host" if doorbell.listening else "")
            while not self._pause(doorbell, ok):
                if heartbeat.lost.is_set():
                    return  # another builder may hold it now: building on would make two writers of output/
                publisher.reconcile()
                changed = changes_since_last_build(self.database, content)
                if changed is None and ok:
                    continue
                log.info("building %s", f"{len(changed)} changed comment file(s)" if changed else "changed content")
                ok = self._build(builder, changed or [])

    def _build(self, builder: Builder, changed: list[Path]) -> bool:
        return build_and_record(builder, self.database, changed, lock_path=self.instance / "build.lock",
                                retry_after=self.settings["REBUILD_RETRY_SECONDS"])

    def _pause(self, doorbell: Doorbell, ok: bool) -> bool:
        """Wait until the next look at the database (early when a worker rings); True when stopping."""
        if ok and doorbell.listening:
            doorbell.wait(self.settings["BUILDER_POLL_SECONDS"])
        else:  # after a failed build, wait the retry time whatever rings: each attempt may be a full build
            self.stopping.wait(self.settings["BUILDER_POLL_SECONDS"] if ok else self.settings["REBUILD_RETRY_SECONDS"])
        return self.stopping.is_set()


def run_builder(project_root: Path, make_builder: Any) -> None:
    """Run a BuilderProcess until SIGTERM or SIGINT."""
    process = BuilderProcess(project_root, make_builder)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: process.stop())
    process.run()


def start_in_worker(project_root: Path, make_builder: Any, *, join_seconds: float = 20.0) -> BuilderProcess:
    """Run a BuilderProcess in a thread of a service worker; the worker's exit stops it and hands the lease on.

    Every gunicorn worker of ``wsgi_app()`` starts one: they share the lease, so exactly one of them
    builds (keeping the resident site in that process only) and the others stand by to take over.
    """
    process = BuilderProcess(project_root, make_builder)
    thread = threading.Thread(target=process.run, name="cluetrain-builder", daemon=True)
    thread.start()

    def stop() -> None:
        process.stop()
        thread.join(join_seconds)  # finish the current build (gunicorn's graceful timeout is 30 s)

    atexit.register(stop)
    return process


class BuilderActive(RuntimeError):
    """Another builder holds the lease; the message names it."""


def claim_for_embedded(project_root: Path, service_config: dict[str, Any]) -> Heartbeat:
    """Take the lease for `cluetrain serve`'s embedded builder and keep it renewed; BuilderActive if taken."""
    instance = Path(project_root).resolve() / "instance"
    settings = load_settings(instance, os.environ, service_config)
    database = Database(settings["DATABASE_URL"], busy_timeout=settings["SQLITE_BUSY_TIMEOUT"])
    upgrade(database, instance / "migrate.lock")
    lease = Lease(database, seconds=settings["BUILDER_LEASE_SECONDS"])
    holder = lease.current()
    # A serve restarted right after a crash need not wait for its own dead lease to expire.
    taken = holder is not None and died_on_this_host(holder[0]) and lease.try_take_from(holder[0])
    if not taken and not lease.try_acquire():
        holder = lease.current()
        database.dispose()
        raise BuilderActive(f"another builder is active ({holder[0] if holder else '?'}): stop it, or run the "
                            "service with EMBEDDED_BUILDER = false beside it")
    heartbeat = Heartbeat(lease, settings["BUILDER_HEARTBEAT_SECONDS"])
    heartbeat.start()
    return heartbeat


def release_embedded(heartbeat: Heartbeat) -> None:
    """Stop renewing and hand the lease over at once (the service is stopping)."""
    heartbeat.stop()
    if not heartbeat.lost.is_set():
        heartbeat.lease.release()
    heartbeat.lease.database.dispose()
