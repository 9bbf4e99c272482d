"""Verified identity against a real SMTP server (aiosmtpd): the confirmation link (once, POST only,
expiring), the identity cookie's attributes, auto-approval with it, and impersonation held without it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from comments_service.identity import COOKIE_NAME
from comments_service.identity_models import IdentityRequest, VerifiedIdentity
from comments_service.models import Comment, utcnow

from .conftest import comment_json
from .test_notifications_mail import link, mail_app, path_of, run, smtp  # noqa: F401 - fixtures

CONFIRM_PREFIX = "http://127.0.0.1:8000/identity/confirm/"


def ask(client, author="Ada Lovelace", email="ada@example.org"):
    return client.post("/identity/", json={"author": author, "email": email})


def confirm_by_mail(app, client, inbox) -> str:
    """Ask for a link, receive it, open it and press Confirm; returns the link's path."""
    assert ask(client).status_code == 202
    run(app)
    messages = [m for to, m in inbox.take() if to == ["ada@example.org"]]
    assert len(messages) == 1
    path = path_of(link(messages[0], CONFIRM_PREFIX))
    page = client.get(path)
    assert page.status_code == 200 and client.get_cookie(COOKIE_NAME) is None  # a fetch confirms nothing
    response = client.post(path)
    assert response.status_code == 200
    return path


def submit(client, **fields):
    response = client.post("/api/comments", json=comment_json(**fields))
    assert response.status_code in (201, 202), response.get_json()
    body = response.get_json()
    with client.application.extensions["cluetrain"].database.read() as session:
        row = session.get(Comment, body["id"])
        return row.status.value, row.rule, row.contributor


def test_confirmation_link_sets_a_long_lived_http_only_cookie_and_works_once(mail_app, smtp):
    _, inbox = smtp
    client = mail_app.test_client()
    assert ask(client).status_code == 202
    run(mail_app)
    [(to, message)] = inbox.take()
    assert to == ["ada@example.org"] and "Confirm your e-mail" in message["Subject"]
    path = path_of(link(message, CONFIRM_PREFIX))
    response = client.post(path)
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE_NAME + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    assert "Secure" not in cookie  # SESSION_COOKIE_SECURE is off in tests, and the cookie follows it
    assert client.post(path).status_code == 410  # used: another device needs another link
    with mail_app.extensions["cluetrain"].database.read() as session:
        identity = session.scalar(select(VerifiedIdentity))
        assert (identity.email, identity.name) == ("ada@example.org", "Ada Lovelace")


def test_confirmed_commenter_is_approved_and_impersonator_is_held(mail_app, smtp):
    _, inbox = smtp
    ada = mail_app.test_client()
    confirm_by_mail(mail_app, ada, inbox)
    status, rule, contributor = submit(ada, email="Ada@Example.org")
    assert (status, rule) == ("approved", "verified") and contributor and len(contributor) == 16
    # Another browser types the same name and address: held, although known_author would approve it.
    mallory = mail_app.test_client()
    assert submit(mallory, body="Send your password to me.")[:2] == ("pending", "unproven_identity")
    # A forged cookie proves nothing.
    mallory.set_cookie(COOKIE_NAME, "eyJlIjoiYWRhQGV4YW1wbGUub3JnIiwibiI6IkFkYSBMb3ZlbGFjZSJ9.forged.sig")
    assert submit(mallory, body="Forged.")[:2] == ("pending", "unproven_identity")
    # The confirmed person with a different name is not auto-approved by the cookie, nor held.
    assert submit(ada, author="Someone Else", body="Other name.")[1] != "unproven_identity"


def test_a_second_device_confirms_with_a_new_link(mail_app, smtp):
    _, inbox = smtp
    confirm_by_mail(mail_app, mail_app.test_client(), inbox)
    phone = mail_app.test_client()
    with mail_app.extensions["cluetrain"].database.write() as session:  # past IDENTITY_REQUEST_INTERVAL
        session.execute(update(IdentityRequest).values(created_at=utcnow() - timedelta(hours=1)))
    confirm_by_mail(mail_app, phone, inbox)
    assert submit(phone)[:2] == ("approved", "verified")


def test_requests_are_throttled_per_address_and_links_expire(make_app, smtp):
    controller, inbox = smtp
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, NOTIFY_POLL_SECONDS=0,
                   SITE_URL="http://127.0.0.1:8000", IDENTITY_LINK_MAX_AGE=60)
    client = app.test_client()
    assert ask(client).status_code == 202 and ask(client).status_code == 202  # same answer either way
    run(app)
    [(_, message)] = inbox.take()
    path = path_of(link(message, CONFIRM_PREFIX))
    with app.extensions["cluetrain"].database.write() as session:
        session.execute(update(IdentityRequest).values(created_at=utcnow() - timedelta(minutes=2)))
    assert client.get(path).status_code == 410 and client.post(path).status_code == 410
    assert client.post("/identity/confirm/not-a-token").status_code == 404
    assert client.get_cookie(COOKIE_NAME) is None


def test_without_smtp_addresses_cannot_be_confirmed(client):
    response = ask(client)
    assert response.status_code == 422 and "email" in response.get_json()["errors"]
    assert client.get("/identity/").status_code == 200


def test_forget_clears_the_cookie(mail_app, smtp):
    _, inbox = smtp
    client = mail_app.test_client()
    confirm_by_mail(mail_app, client, inbox)
    assert client.get_cookie(COOKIE_NAME) is not None
    assert client.post("/identity/forget").status_code == 200
    assert client.get_cookie(COOKIE_NAME) is None


def test_a_proven_comment_file_carries_the_contributor_key_and_no_address(mail_app, smtp, tmp_path):
    from cluetrain import content_format as cf
    from comments_service.keys import contributor_key

    _, inbox = smtp
    ada = mail_app.test_client()
    confirm_by_mail(mail_app, ada, inbox)
    _, _, key = submit(ada)
    typed = mail_app.test_client()
    status, _, typed_key = submit(typed, author="Grace", email="grace@example.org", body="Typed only.")
    assert typed_key is None
    mail_app.extensions["cluetrain"].publisher.reconcile()
    content = mail_app.config["CONTENT_PATH"]
    texts = [path.read_text(encoding="utf-8") for path in cf.iter_comment_files(content)]
    proven = [text for text in texts if f"Contributor: {key}\n" in text]
    assert len(proven) == 1 and key == contributor_key(mail_app.config["CONTRIBUTOR_SECRET"], "ada@example.org")
    assert all("example.org" not in text.split("\n\n")[0].replace("https://ada.example.org/", "") for text in texts)


def test_the_service_form_is_prefilled_for_a_confirmed_commenter(mail_app, smtp):
    _, inbox = smtp
    client = mail_app.test_client()
    confirm_by_mail(mail_app, client, inbox)
    page = client.get("/comments?thread=hello").get_data(as_text=True)
    assert 'value="Ada Lovelace"' in page and 'value="ada@example.org"' in page and 'href="/identity/"' in page
    assert 'value="Ada Lovelace"' not in mail_app.test_client().get("/comments?thread=hello").get_data(as_text=True)


def test_a_site_wide_cap_on_confirmation_mails(make_app, smtp):
    controller, inbox = smtp
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, NOTIFY_POLL_SECONDS=0,
                   SITE_URL="http://127.0.0.1:8000", IDENTITY_REQUESTS_PER_HOUR=2)
    client = app.test_client()
    assert [ask(client, email=f"p{i}@example.org").status_code for i in range(3)] == [202, 202, 429]
    run(app)
    assert len(inbox.take()) == 2


def test_feedback_under_a_confirmed_address_needs_the_cookie_too(mail_app, smtp):
    from comments_service.feedback_models import FeedbackItem
    from tests.service.feedback_fixtures import feedback_json

    _, inbox = smtp
    ada = mail_app.test_client()
    confirm_by_mail(mail_app, ada, inbox)

    def rule_of(client, **fields) -> str:
        response = client.post("/api/feedback", json=feedback_json(**fields))
        assert response.status_code in (201, 202), response.get_data(as_text=True)
        with mail_app.extensions["cluetrain"].database.read() as session:
            return session.get(FeedbackItem, response.get_json()["id"]).rule

    assert rule_of(mail_app.test_client(), title="Mallory's idea") == "unproven_identity"
    assert rule_of(ada, title="Ada's own idea", body="Really mine.") != "unproven_identity"


def test_a_proven_feedback_file_carries_the_contributor_key(mail_app, smtp, auth, project):
    from comments_service.keys import contributor_key
    from tests.service.feedback_fixtures import feedback_json, item_file

    _, inbox = smtp
    ada = mail_app.test_client()
    confirm_by_mail(mail_app, ada, inbox)
    mine = ada.post("/api/feedback", json=feedback_json(title="Proven idea")).get_json()["id"]
    typed = mail_app.test_client().post("/api/feedback", json=feedback_json(
        title="Typed idea", author="Grace", email="grace@example.org", body="Other.")).get_json()["id"]
    for item_id in (mine, typed):
        assert ada.post(f"/api/moderation/feedback/{item_id}/approve", headers=auth).status_code == 200
    key = contributor_key(mail_app.config["CONTRIBUTOR_SECRET"], "ada@example.org")
    assert f"\nContributor: {key}\n" in item_file(project, mine).read_text(encoding="utf-8")
    assert "Contributor:" not in item_file(project, typed).read_text(encoding="utf-8")
