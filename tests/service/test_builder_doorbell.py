"""The builder's doorbell: workers on this host wake `cluetrain builder` at once; without it, polling still works."""

from __future__ import annotations

import threading
import time

from comments_service.builder_doorbell import DOORBELL_FILE, Doorbell, ring


def test_a_ring_ends_the_wait_and_every_ring_so_far_is_consumed(tmp_path):
    with Doorbell(tmp_path) as doorbell:
        assert doorbell.listening and (tmp_path / DOORBELL_FILE).exists()
        assert doorbell.wait(0) is False  # nobody rang
        for _ in range(3):
            ring(tmp_path)
        assert doorbell.wait(5) is True
        assert doorbell.wait(0) is False  # the three rings woke it once


def test_a_ring_from_another_thread_wakes_a_long_wait(tmp_path):
    with Doorbell(tmp_path) as doorbell:
        threading.Timer(0.05, ring, args=(tmp_path,)).start()
        started = time.monotonic()
        assert doorbell.wait(60) is True
        assert time.monotonic() - started < 30  # woken, not timed out (a bound, not a speed assertion)


def test_ringing_where_no_builder_listens_is_harmless(tmp_path):
    ring(tmp_path)  # no socket file at all
    (tmp_path / DOORBELL_FILE).write_text("not a socket")
    ring(tmp_path)
    ring(tmp_path / "missing-folder")


def test_a_dead_builders_socket_is_replaced_and_a_successors_is_left_alone(tmp_path):
    old = Doorbell(tmp_path)  # a builder that stalled and lost its lease; its socket file is still there
    successor = Doorbell(tmp_path)  # the next lease holder binds the same path
    assert successor.listening
    old.close()  # the old builder gives up after the successor bound: the file is not its own any more
    ring(tmp_path)
    assert successor.wait(5) is True and (tmp_path / DOORBELL_FILE).exists()
    successor.close()
    assert not (tmp_path / DOORBELL_FILE).exists()


def test_an_instance_path_too_long_for_a_socket_means_polling_only(tmp_path, caplog):
    deep = tmp_path / ("x" * 120)
    deep.mkdir()
    with Doorbell(deep) as doorbell:
        assert not doorbell.listening and doorbell.wait(0) is False
    assert "polling only" in caplog.text
    ring(deep)  # and ringing it is harmless
