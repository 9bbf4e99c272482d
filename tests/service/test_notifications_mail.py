"""Notifications by e-mail against a real SMTP server (aiosmtpd on 127.0.0.1): the right mails to the
right people, only after approval, double opt-in, one-click unsubscribe, signed moderation links,
retries with backoff, and no header injection through names."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import socket
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from comments_service.mailer import SmtpSettings, compose, mail_environment, send
from comments_service.models import utcnow
from comments_service.notification_models import MailStatus, OutboxMail

from .conftest import comment_json

MODERATOR = "mod@example.org"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def take(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        taken, self.messages = self.messages, []
        return taken


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def mail_app(make_app, smtp):
    controller, _ = smtp
    return make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MODERATOR_EMAILS=[MODERATOR],
                    NOTIFY_POLL_SECONDS=0, SITE_URL="http://127.0.0.1:8000", MAIL_FROM="site@example.org")


def run(app) -> None:
    app.extensions["cluetrain_notifier"].run_once()


def post(client, **fields) -> str:
    response = client.post("/api/comments", json=comment_json(**fields))
    assert response.status_code in (201, 202), response.get_json()
    return response.get_json()["id"]


def approve(client, auth, comment_id: str) -> None:
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=auth).status_code == 200


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def link(message, prefix: str) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(word for word in text.split() if word.startswith(prefix))


@pytest.mark.slow
def test_reply_notifications_end_to_end(mail_app, smtp, auth):
    _, inbox = smtp
    client = mail_app.test_client()
    first = post(client, notify=True)  # Ada asks for notifications; held (default rule)
    run(mail_app)
    mails = inbox.take()
    assert [rcpt for rcpt, _ in mails] == [[MODERATOR]]  # nothing to Ada before approval
    assert "awaits moderation" in mails[0][1]["Subject"]

    approve(client, auth, first)
    run(mail_app)
    [(rcpt, confirm)] = inbox.take()
    assert rcpt == ["ada@example.org"] and "confirm" in confirm["Subject"].lower()
    assert confirm.get_body(("html",)) is not None  # text + HTML alternative
    confirm_url = link(confirm, "http://127.0.0.1:8000/notifications/confirm/")
    assert client.get(path_of(confirm_url)).status_code == 200  # a GET (a mail scanner) confirms nothing

    reply = post(client, author="Bob", email="bob@example.org", body="A reply.", parent=first)
    approve(client, auth, reply)
    run(mail_app)
    assert [rcpt for rcpt, _ in inbox.take()] == [[MODERATOR]]  # not confirmed yet: no reply mail

    assert client.post(path_of(confirm_url)).status_code == 200
    second = post(client, author="Bob", email="bob@example.org", body="Another reply.", parent=first)
    approve(client, auth, second)
    run(mail_app)
    mails = inbox.take()
    replies = [message for rcpt, message in mails if rcpt == ["ada@example.org"]]
    assert len(replies) == 1 and "Bob replied" in replies[0]["Subject"]
    assert f"#comment-{second}" in replies[0].get_body(("plain",)).get_content()
    unsubscribe = replies[0]["List-Unsubscribe"].strip("<>")
    assert replies[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not any(rcpt == ["bob@example.org"] for rcpt, _ in mails)  # Bob did not opt in

    post(client, author="Spammer", email="s@example.org", body="spam", parent=first, hp="filled")
    run(mail_app)
    assert not any(rcpt == ["ada@example.org"] for rcpt, _ in inbox.take())  # spam is never mailed about

    one_click = client.post(path_of(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    third = post(client, author="Bob", email="bob@example.org", body="Third reply.", parent=first)
    approve(client, auth, third)
    run(mail_app)
    assert not any(rcpt == ["ada@example.org"] for rcpt, _ in inbox.take())


@pytest.mark.slow
def test_signed_moderation_links_approve_after_confirmation(mail_app, smtp):
    _, inbox = smtp
    client = mail_app.test_client()
    held = post(client)
    run(mail_app)
    [(_, message)] = inbox.take()
    approve_url = link(message, "http://127.0.0.1:8000/notifications/moderate/")
    assert client.get(path_of(approve_url)).status_code == 200
    assert client.post(path_of(approve_url)).status_code == 200
    with mail_app.extensions["cluetrain"].database.read() as session:
        from comments_service.models import Comment

        assert session.get(Comment, held).status.value == "approved"
    tampered = approve_url[:-3] + ("aaa" if not approve_url.endswith("aaa") else "bbb")
    assert client.post(path_of(tampered)).status_code == 404


@pytest.mark.slow
def test_failed_sends_are_retried_with_backoff(make_app, smtp):
    controller, inbox = smtp
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), MODERATOR_EMAILS=[MODERATOR],
                   NOTIFY_POLL_SECONDS=0, SITE_URL="http://127.0.0.1:8000")
    post(app.test_client())
    run(app)  # nobody listens on that port
    database = app.extensions["cluetrain"].database
    with database.read() as session:
        [mail] = session.scalars(select(OutboxMail)).all()
    assert mail.status is MailStatus.PENDING and mail.attempts == 1 and mail.next_attempt_at > utcnow()
    notifier = app.extensions["cluetrain_notifier"]
    notifier.smtp = dataclasses.replace(notifier.smtp, port=controller.port)  # the server is back
    with app.app_context():
        assert notifier.send_due() == 0  # not due yet
        assert notifier.send_due(now=utcnow() + timedelta(minutes=5)) == 1
    assert [rcpt for rcpt, _ in inbox.take()] == [[MODERATOR]]


@pytest.mark.slow
def test_line_breaks_in_names_cannot_inject_headers(smtp):
    controller, inbox = smtp
    settings = SmtpSettings("127.0.0.1", controller.port, "", "", False, "site@example.org", "Site\r\nX-Evil: 1")
    hostile = "Eve\r\nBcc: victim@example.org\nSubject: owned"
    message = compose(mail_environment(), settings, template="reply", recipient="ada@example.org",
                      recipient_name=hostile, variables={"name": hostile, "replier": hostile, "title": "T\r\nX: y",
                                                         "excerpt": "<b>hi</b>", "url": "http://x/",
                                                         "site_name": "S"},
                      unsubscribe_url="http://x/u")
    send(settings, message)
    [(rcpt, received)] = inbox.take()
    assert rcpt == ["ada@example.org"]
    assert received["Bcc"] is None and received["X-Evil"] is None and received["X"] is None
    assert received.get_all("Subject") and len(received.get_all("Subject")) == 1
    assert "&lt;b&gt;hi&lt;/b&gt;" in received.get_body(("html",)).get_content()  # HTML bodies are autoescaped
