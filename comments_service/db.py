"""The database: engine set-up (SQLite WAL and BEGIN IMMEDIATE, or PostgreSQL), sessions, migrations."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
_BEGIN_OPTION = "cluetrain_begin"
_MIGRATION_LOCK_KEY = 0x636C7565  # any constant shared by every process of this service
Checked = TypeVar("Checked")
Answer = TypeVar("Answer")


class Database:
    """One engine and two session factories: ``read()`` and ``write()``; ``check_then_write()`` on connections."""

    def __init__(self, url: str, *, busy_timeout: float = 30.0) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = create_engine(
                self.url, connect_args={"timeout": busy_timeout, "check_same_thread": False}
            )
            _configure_sqlite(self.engine, busy_timeout)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True)
        # Writers take the SQLite write lock at BEGIN: a deferred transaction that reads and then
        # writes fails with "database is locked" under concurrency, whatever the busy timeout.
        writer = self.engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)
        self._write_engine = writer
        # SQLite makes a blocked writer sleep and poll (1 ms growing to 100 ms), so under load most
        # of a submission's time was spent asleep while the lock sat free. Writers of one database
        # file queue on a kernel lock first, and SQLite's own lock is then almost always free.
        database_file = self.url.database if self.is_sqlite else None
        self.write_queue = Path(f"{database_file}.write-lock") if database_file not in (None, "", ":memory:") else None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, committed on leaving the block and rolled back on error."""
        with self._write_queue(), self._writer() as session, session.begin():
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A write transaction as a Core connection (no ORM session), committed on leaving the block."""
        with self._write_queue(), self._write_engine.begin() as connection:
            yield connection

    def _write_queue(self) -> AbstractContextManager[None]:
        """Wait for this database file's other writers on this machine (see __init__)."""
        return file_lock(self.write_queue) if self.write_queue else nullcontext()

    def serialize(self, connection: Connection, key: int) -> None:
        """Make write transactions that call this with ``key`` run one at a time, until this one ends."""
        # SQLite already runs one writer at a time (BEGIN IMMEDIATE). PostgreSQL runs them side by side, so checks
        # such as "is this a duplicate?" would not see each other's rows: a lock held until commit serializes them.
        if not self.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def check_then_write(self, key: int, check: Callable[[Connection], Checked | Answer],
                         write: Callable[[Connection, Checked], Answer], answered: type[Answer]) -> Answer:
        """``check`` read-only; unless it answered, ``check`` again serialized on ``key``, then ``write``; commit."""
        # The first check takes no write lock: a retry or a refusal never queues behind writers. Another request may
        # store a duplicate or a flood after it, so the check is repeated on the committed state, under the lock.
        # One Core connection for both, not ORM sessions: a submission's few statements cost less than a session's
        # bookkeeping or a second trip through the pool.
        with self.engine.connect() as connection:
            outcome = check(connection)
            if isinstance(outcome, answered):
                return outcome
            connection.rollback()  # the read-only transaction; the write's begins with BEGIN IMMEDIATE
            connection.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
            with self._write_queue(), connection.begin():
                self.serialize(connection, key)
                outcome = check(connection)
                if isinstance(outcome, answered):
                    return outcome  # e.g. stored by a concurrent identical request since the first check
                answer = write(connection, outcome)  # type: ignore[arg-type]  # not an answer, so what check decided
        return answer  # only now committed (and, on SQLite, synced): the caller may acknowledge it

    def dispose(self) -> None:
        """Close pooled connections (before a fork, or at exit)."""
        self.engine.dispose()


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see on_begin)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")  # an acknowledged comment survives a power cut
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes on this machine (held on a lock file)."""
    # A bare descriptor, and the folder made only when missing: every submission takes this lock, and a file
    # object plus an always-failing mkdir cost 20 µs of its CPU time, os.open 3 µs.
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, flags, 0o666)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # which releases the lock


def upgrade(database: Database, lock_path: Path) -> None:
    """Bring the schema to the newest migration (serialised between processes starting together)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with file_lock(lock_path), database.engine.begin() as connection:
        if not database.is_sqlite:  # several hosts may start at once: lock in the server itself
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def init_app(app: Flask) -> None:
    """Create the app's database, migrate it if configured, and dispose of it at exit."""
    database = Database(app.config["DATABASE_URL"], busy_timeout=app.config["SQLITE_BUSY_TIMEOUT"])
    app.extensions["cluetrain_db"] = database
    if app.config["AUTO_MIGRATE"]:
        upgrade(database, Path(app.instance_path) / "migrate.lock")


def get_db() -> Database:
    """The current app's database."""
    return current_app.extensions["cluetrain_db"]
