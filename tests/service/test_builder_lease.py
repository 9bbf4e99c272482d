"""The single-builder lease on SQLite and PostgreSQL, and the builder loop that serves it (fake builder)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from comments_service.builder_lease import BuilderLease, Heartbeat, Lease, died_on_this_host
from comments_service.db import Database, upgrade
from comments_service.models import BuildOutcome, SiteBuild, utcnow


@pytest.fixture
def database(database_url: str, project: Path):
    database = Database(database_url, busy_timeout=5)
    upgrade(database, project / "instance" / "migrate.lock")
    yield database
    database.dispose()


def expire(database: Database) -> None:
    """Make the recorded lease run out now, as if its holder had died a lease ago."""
    with database.write() as session:
        session.execute(update(BuilderLease).values(expires_at=utcnow() - timedelta(seconds=1)))


def test_one_holder_until_the_lease_expires(database):
    first, second = Lease(database, seconds=60, holder="a"), Lease(database, seconds=60, holder="b")
    assert first.try_acquire()
    assert not second.try_acquire()
    assert first.try_acquire()  # renewing our own lease
    assert first.current()[0] == "a"
    expire(database)
    assert second.try_acquire()
    assert not first.try_acquire()
    assert second.current()[0] == "b"


def test_release_lets_the_next_builder_in_at_once(database):
    first, second = Lease(database, seconds=60, holder="a"), Lease(database, seconds=60, holder="b")
    assert first.try_acquire()
    first.release()
    assert second.try_acquire()


def test_competing_takers_get_one_lease(database):
    leases = [Lease(database, seconds=60, holder=f"h{i}") for i in range(8)]
    results: list[bool] = []
    barrier = threading.Barrier(len(leases))

    def take(lease: Lease) -> None:
        barrier.wait()
        results.append(lease.try_acquire())

    threads = [threading.Thread(target=take, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1


def test_heartbeat_reports_a_lost_lease(database):
    mine, theirs = Lease(database, seconds=60, holder="a"), Lease(database, seconds=60, holder="b")
    assert mine.try_acquire()
    expire(database)
    assert theirs.try_acquire()
    heartbeat = Heartbeat(mine, interval=0.01)
    heartbeat.start()
    assert heartbeat.lost.wait(30)
    heartbeat.stop()


class RecordingBuilder:
    """Records what it was asked to build; fails on demand."""

    def __init__(self) -> None:
        self.calls: list[list[Path]] = []
        self.built = threading.Event()

    def rebuild(self, changed) -> None:
        self.calls.append(list(changed))
        self.built.set()


def test_builder_process_builds_on_start_and_records_the_build(project, monkeypatch):
    from cluetrain.builder_process import BuilderProcess

    fake = RecordingBuilder()
    env = {"CLUETRAIN_BUILDER_POLL_SECONDS": "0.01", "CLUETRAIN_BUILDER_HEARTBEAT_SECONDS": "0.01"}
    process = BuilderProcess(project, lambda _fence: fake, environ=env)
    thread = threading.Thread(target=process.run)
    thread.start()
    try:
        assert fake.built.wait(30)
    finally:
        process.stop()
        thread.join(30)
    assert fake.calls[0] == []  # the first build is full
    database = Database(process.settings["DATABASE_URL"])
    with database.read() as session:
        assert session.query(SiteBuild).filter_by(outcome=BuildOutcome.OK).count() >= 1
    # A clean stop gives the lease up, so the next builder need not wait for it to expire.
    assert Lease(database, seconds=60, holder="next").try_acquire()
    database.dispose()


def test_a_dead_holder_on_this_host_is_recognised(database):
    import socket
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{socket.gethostname()}:{done.stdout.strip()}:0000"
    assert died_on_this_host(dead)
    assert not died_on_this_host(Lease(database, seconds=60).holder)  # this very process
    assert not died_on_this_host(f"elsewhere.example:{done.stdout.strip()}:0000")
    assert Lease(database, seconds=60, holder=dead).try_acquire()
    successor = Lease(database, seconds=60, holder="next")
    assert not successor.try_acquire()
    assert successor.try_take_from(dead) and successor.current()[0] == "next"


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_fence_holds_only_while_the_lease_surely_lasts(database):
    clock = FakeClock()
    lease = Lease(database, seconds=30, holder="a", clock=clock)
    assert not lease.holds()  # never taken
    assert lease.try_acquire()
    assert lease.holds()
    clock.now += 28.5  # inside the lease, but within the safety margin (2 s) of its end
    assert not lease.holds()
    assert lease.try_acquire()  # renewed: valid for another lease from the renewal
    assert lease.holds()
    clock.now += 31  # stalled past the end without renewing: a standby may have taken over
    assert not lease.holds()


def test_the_fence_drops_when_another_builder_holds_the_lease(database):
    clock = FakeClock()
    first, second = Lease(database, seconds=30, holder="a", clock=clock), Lease(database, seconds=30, holder="b")
    assert first.try_acquire()
    expire(database)
    assert second.try_acquire()
    assert not first.try_acquire()
    assert not first.holds()
    first_again = Lease(database, seconds=30, holder="a", clock=clock)
    first_again.release()
    assert not first_again.holds()
