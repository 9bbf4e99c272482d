"""E-mails to feedback authors against a real SMTP server (aiosmtpd): opt-in from the receipt, double
opt-in, one mail per status change or answer, one-click unsubscribe; nothing without confirmation."""

from __future__ import annotations

import pytest

from tests.service.feedback_fixtures import SITE, manifest_with_items, published, submit

from .test_notifications_mail import link, path_of, run, smtp  # noqa: F401 - fixtures


@pytest.fixture
def feedback_mail_app(make_app, smtp, project):  # noqa: F811
    controller, _ = smtp
    manifest_with_items(project / "output", 1, 2)
    return make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, NOTIFY_POLL_SECONDS=0,
                    SITE_URL="http://127.0.0.1:8000", MAIL_FROM="site@example.org")


def receipt_path(client, auth, **fields) -> tuple[int, str]:
    item = published(client, auth, **fields)
    with client.application.extensions["cluetrain"].database.read() as session:
        from comments_service.feedback_models import FeedbackItem

        return item["id"], f"/notifications/feedback/{session.get(FeedbackItem, item['id']).receipt_token}"


def set_status(client, auth, item_id: int, **body) -> None:
    response = client.post(f"/api/moderation/feedback/{item_id}/status", headers=auth, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_double_opt_in_then_status_and_answer_mails_then_unsubscribe(feedback_mail_app, smtp, auth):
    _, inbox = smtp
    client = feedback_mail_app.test_client()
    item_id, opt_in = receipt_path(client, auth)
    set_status(client, auth, item_id, status="planned")
    run(feedback_mail_app)
    assert inbox.take() == []  # nobody asked
    assert client.get(opt_in).status_code == 200
    assert "Check your inbox" in client.post(opt_in).get_data(as_text=True)
    run(feedback_mail_app)
    [(to, confirmation)] = inbox.take()
    assert to == ["ada@example.org"] and "confirm" in confirmation["Subject"].lower()
    set_status(client, auth, item_id, status="in-progress")
    run(feedback_mail_app)
    assert inbox.take() == []  # not confirmed yet
    confirm = path_of(link(confirmation, "http://127.0.0.1:8000/notifications/confirm/"))
    assert client.get(confirm).status_code == 200 and client.post(confirm).status_code == 200
    set_status(client, auth, item_id, status="done", answer="Shipped in *3.1*.", by="Priya")
    run(feedback_mail_app)
    [(to, update)] = inbox.take()  # a status change with an answer is one mail
    text = update.get_body(("plain",)).get_content()
    assert to == ["ada@example.org"] and "Done" in text and "Shipped in *3.1*." in text
    assert f"{SITE}/feedback/{item_id}-item/" in text
    unsubscribe = update["List-Unsubscribe"].strip("<>")
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.post(path_of(unsubscribe), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    set_status(client, auth, item_id, status="declined")
    run(feedback_mail_app)
    assert inbox.take() == []


def test_opt_in_needs_a_published_item_with_an_address(feedback_mail_app, smtp, auth):
    _, inbox = smtp
    client = feedback_mail_app.test_client()
    held = submit(client)
    with feedback_mail_app.extensions["cluetrain"].database.read() as session:
        from comments_service.feedback_models import FeedbackItem

        token = session.get(FeedbackItem, held["id"]).receipt_token
    assert "Not yet" in client.post(f"/notifications/feedback/{token}").get_data(as_text=True)
    _, no_address = receipt_path(client, auth, email="", title="Another one", body="Other words.")
    assert "No e-mail address" in client.post(no_address).get_data(as_text=True)
    assert client.post("/notifications/feedback/nope").status_code == 404
    run(feedback_mail_app)
    assert inbox.take() == []


def test_asking_twice_sends_one_confirmation(feedback_mail_app, smtp, auth):
    _, inbox = smtp
    client = feedback_mail_app.test_client()
    _, opt_in = receipt_path(client, auth)
    client.post(opt_in)
    client.post(opt_in)
    run(feedback_mail_app)
    assert len(inbox.take()) == 1


def test_the_receipt_links_to_the_opt_in(feedback_mail_app, auth):
    client = feedback_mail_app.test_client()
    _, opt_in = receipt_path(client, auth)
    token = opt_in.rsplit("/", 1)[1]
    page = client.get(f"/feedback/receipts/{token}").get_data(as_text=True)
    assert f'href="{opt_in}"' in page
