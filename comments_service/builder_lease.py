"""The single-builder lease: one row that names the process allowed to build the site, until it expires.

One design for both backends: a row in ``builder_leases`` taken and renewed by a conditional
UPDATE (``holder = me OR expires_at < now``). On SQLite the write session begins with BEGIN
IMMEDIATE, so takers are serialised; on PostgreSQL the UPDATE locks the row and re-checks the
condition, so two takers cannot both win. A PostgreSQL advisory lock would need a dedicated
connection held for the builder's life and has no SQLite equivalent; a lease works the same on
both, survives connection pool recycling, and its expiry frees a builder whose host vanished.
Clocks of the builder hosts must roughly agree (NTP): the lease is judged by the taker's clock.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import String, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from comments_service.db import Database
from comments_service.models import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)
SITE_LEASE = "site"


class BuilderLease(Base):
    """Who may build the site, until when."""

    __tablename__ = "builder_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


def new_holder_id() -> str:
    """A holder id that says where the builder runs (for logs) and is unique per process start."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """Take, renew and release the named lease for one holder."""

    def __init__(self, database: Database, *, seconds: float, holder: str | None = None,
                 name: str = SITE_LEASE, clock: Callable[[], float] = time.monotonic) -> None:
        self.database = database
        self.seconds = seconds
        self.holder = holder or new_holder_id()
        self.name = name
        self.clock = clock
        self._valid_until = float("-inf")  # by ``clock``: when the lease we last took or renewed runs out

    def holds(self) -> bool:
        """Whether this holder's lease is surely still valid, judged by the local clock alone (the fence).

        A builder that stalled (a long pause, a suspended VM) past its lease's end must not write
        another file: a standby may have taken over. A margin covers small clock differences.
        """
        return self.clock() < self._valid_until - min(2.0, self.seconds / 10)

    def try_acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours (this also renews it)."""
        asked = self.clock()  # before the UPDATE: the row's expiry is at least this plus seconds
        if self._try_acquire():
            self._valid_until = asked + self.seconds
            return True
        self._valid_until = float("-inf")
        return False

    def _try_acquire(self) -> bool:
        now = utcnow()
        expires = now + timedelta(seconds=self.seconds)
        with self.database.write() as session:
            done = session.execute(
                update(BuilderLease)
                .where(BuilderLease.name == self.name,
                       (BuilderLease.holder == self.holder) | (BuilderLease.expires_at < now))
                .values(holder=self.holder, expires_at=expires)
            )
            if done.rowcount:
                return True
            if session.scalar(select(BuilderLease.name).where(BuilderLease.name == self.name)) is not None:
                return False
        try:
            with self.database.write() as session:  # the first builder ever: create the row
                session.execute(insert(BuilderLease).values(name=self.name, holder=self.holder, expires_at=expires))
        except IntegrityError:
            return False  # another builder created it first
        return True

    def try_take_from(self, holder: str) -> bool:
        """Take the lease from ``holder`` (known dead) without waiting for it to expire."""
        asked = self.clock()
        with self.database.write() as session:
            done = session.execute(
                update(BuilderLease).where(BuilderLease.name == self.name, BuilderLease.holder == holder)
                .values(holder=self.holder, expires_at=utcnow() + timedelta(seconds=self.seconds))
            )
            if done.rowcount:
                self._valid_until = asked + self.seconds
            return bool(done.rowcount)

    def current(self) -> tuple[str, datetime] | None:
        """The holder and expiry on record, if any."""
        with self.database.read() as session:
            row = session.execute(select(BuilderLease.holder, BuilderLease.expires_at)
                                  .where(BuilderLease.name == self.name)).first()
        return (row[0], row[1]) if row else None

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so a waiting builder need not wait for expiry."""
        self._valid_until = float("-inf")
        with self.database.write() as session:
            session.execute(update(BuilderLease)
                            .where(BuilderLease.name == self.name, BuilderLease.holder == self.holder)
                            .values(expires_at=utcnow() - timedelta(seconds=1)))


def died_on_this_host(holder: str) -> bool:
    """Whether ``holder`` names a process of this host that no longer runs (e.g. a killed `cluetrain serve`)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False


class Heartbeat:
    """Renews a held lease every ``interval`` seconds in a thread; ``lost`` is set if renewal fails."""

    def __init__(self, lease: Lease, interval: float) -> None:
        self.lease = lease
        self.interval = interval
        self.lost = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cluetrain-lease", daemon=True)

    def start(self) -> None:
        """Start renewing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (the lease then expires unless released)."""
        self._stopping.set()
        self._thread.join(self.interval + 5)

    def _run(self) -> None:
        renewed = time.monotonic()
        while not self._stopping.wait(self.interval):
            try:
                held = self.lease.try_acquire()
            except SQLAlchemyError:
                # The database is unreachable: keep trying until the lease would have run out,
                # after which another builder may have taken it and this one must stop.
                log.exception("could not renew the builder lease")
                if time.monotonic() - renewed > self.lease.seconds:
                    self.lost.set()
                    return
                continue
            renewed = time.monotonic()
            if not held:
                log.error("lost the builder lease to %s; this builder stops building", self.lease.current())
                self.lost.set()
                return
