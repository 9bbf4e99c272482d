"""Notification helpers without a server: opt-in values, backoff, header-safe names, the no-SMTP default."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from comments_service.mailer import one_line
from comments_service.notification_models import OutboxMail, Subscription
from comments_service.notifications import BACKOFF_MAX_SECONDS, backoff, wants_notifications

from .conftest import comment_json


def test_opt_in_values():
    assert all(map(wants_notifications, ("on", "1", "true", True)))
    assert not any(map(wants_notifications, ("", "off", False, None, ["on"], {"a": 1})))


def test_backoff_doubles_up_to_a_cap():
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert backoff(40) == timedelta(seconds=BACKOFF_MAX_SECONDS)


def test_one_line_removes_every_line_break():
    assert one_line("Eve\r\nBcc: x\u2028y\x85z") == "Eve Bcc: x y z"


def test_without_smtp_nothing_is_queued_but_the_opt_in_is_kept(client, app):
    response = client.post("/api/comments", json=comment_json(notify=True))
    assert response.status_code == 202
    database = app.extensions["cluetrain"].database
    with database.read() as session:
        assert session.scalars(select(OutboxMail)).all() == []
        [subscription] = session.scalars(select(Subscription)).all()
    assert subscription.email == "ada@example.org" and subscription.confirmed_at is None
