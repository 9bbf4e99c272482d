"""The moderators' digest against a real SMTP server: one mail every N hours, only when something new is held."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comments_service.models import utcnow

from .test_notifications_mail import MODERATOR, post, smtp  # noqa: F401 - smtp is a fixture

pytestmark = pytest.mark.slow


@pytest.fixture
def digest_app(make_app, smtp):  # noqa: F811 - the imported fixture
    controller, _ = smtp
    return make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MODERATOR_EMAILS=[MODERATOR],
                    MODERATOR_DIGEST_HOURS=6, NOTIFY_POLL_SECONDS=0, SITE_URL="http://127.0.0.1:8000",
                    MAIL_FROM="site@example.org")


def test_held_comments_arrive_as_one_digest_every_n_hours(digest_app, smtp):  # noqa: F811
    _, inbox = smtp
    notifier = digest_app.extensions["cluetrain_notifier"]
    client = digest_app.test_client()
    post(client, author="Ada", body="First held comment.", email="a@example.org")
    post(client, author="Bob", body="Second held comment.", email="b@example.org")
    notifier.run_once()
    mails = inbox.take()
    assert [to for to, _ in mails] == [[MODERATOR]]  # one digest, no per-comment mails
    message = mails[0][1]
    assert message["Subject"] == "2 comments await moderation"
    text = message.get_body(("plain",)).get_content()
    assert "First held comment." in text and "Second held comment." in text
    assert text.count("/notifications/moderate/") == 4  # approve and reject for each

    post(client, author="Cy", body="Third, within the six hours.", email="c@example.org")
    notifier.run_once()
    assert inbox.take() == []  # not due yet

    later = utcnow() + timedelta(hours=7)
    with digest_app.app_context():
        assert notifier.queue_digest(now=later) is True
        notifier.send_due(now=later)
    (to, message), = inbox.take()
    assert message["Subject"] == "3 comments await moderation"

    with digest_app.app_context():  # due again, but nothing new was held: no mail
        assert notifier.queue_digest(now=later + timedelta(hours=7)) is False
