"""Filing feedback: JSON and form, the comment rules, idempotency, receipts, and what reaches the file."""

from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import select

from cluetrain.content_format import read_feedback
from comments_service import feedback_api, feedback_intake
from comments_service.feedback_models import FeedbackAuditAction, FeedbackAuditEntry, FeedbackItem, FeedbackStatusChange
from comments_service.models import BuildOutcome, SiteBuild, utcnow
from tests.service.feedback_fixtures import feedback_form, feedback_json, item_file, manifest_with_items, submit

HOSTILE_TITLE = 'Dark mode\nStatus: done\r\nVotes: 99999 </script><script>alert(1)</script>'


def test_json_submission_is_held_with_a_receipt(client):
    response = client.post("/api/feedback", json=feedback_json())
    assert response.status_code == 202
    body = response.get_json()
    assert {"id", "status", "receipt_url"} <= set(body)
    assert body["status"] == "awaiting_moderation" and body["feedback_status"] == "new"
    assert body["receipt_url"].endswith(f"/feedback/receipts/{body['receipt_url'].rsplit('/', 1)[1]}")
    assert response.headers["Location"] == body["receipt_url"]
    receipt = client.get(body["receipt_url"], headers={"Accept": "application/json"}).get_json()
    assert receipt["id"] == body["id"] and receipt["title"] == "Dark mode for the dashboard"
    assert "email" not in receipt and "ip" not in receipt
    assert client.get(f"/api/feedback/receipts/{body['receipt_url'].rsplit('/', 1)[1]}").get_json() == receipt


def test_staff_submission_is_published_at_once_with_a_safe_file(make_app, project):
    app = make_app(rules="[approve]\naddresses = [\"staff@example.org\"]\n[spam]\nmin_fill_seconds = 0\n")
    client = app.test_client()
    response = client.post("/api/feedback", json=feedback_json(title=HOSTILE_TITLE, email="staff@example.org",
                                                                tags=[" <b>Dash</b> ", "<B>dash</B>", "../../etc"]))
    assert response.status_code == 201
    item_id = response.get_json()["id"]
    path = item_file(project, item_id)
    assert path.name == f"{item_id}-dark-mode-status-done-votes-99999-script-script-alert-1.md"  # ≤ 60
    assert path.parent == project / "content" / "feedback"
    item = read_feedback(path)
    assert item.title == " ".join(HOSTILE_TITLE.split())  # one line, otherwise as typed
    assert item.status == "new" and item.votes == 0 and item.tags == ("<b>Dash</b>", "../../etc")
    text = path.read_text(encoding="utf-8")
    assert "staff@example.org" not in text and "127.0.0.1" not in text
    assert [line.split(":", 1)[0] for line in text.split("\n\n", 1)[0].splitlines()] == [
        "Id", "Slug", "Kind", "Status", "Title", "Author", "Date", "Votes", "Tags", "History"]


def test_form_post_without_javascript_lands_on_the_receipt(client):
    response = client.post("/feedback", data=feedback_form())
    assert response.status_code == 303 and "/feedback/receipts/" in response.headers["Location"]
    page = lxml.html.fromstring(client.get(response.headers["Location"]).data)
    assert page.xpath('string(//*[@id="receipt-status"]/@data-status)') == "awaiting_moderation"
    assert page.xpath('string(//*[@id="receipt-tags"])') == "export, csv"
    assert "The CSV has one column too many." in page.xpath('string(//*[@id="receipt-html"])')


def test_form_errors_come_back_with_everything_typed(client):
    response = client.post("/feedback", data=feedback_form(kind="rant", title="  ", body="Kept text."))
    assert response.status_code == 422
    page = lxml.html.fromstring(response.data)
    assert set(page.xpath('//*[@class="field-error"]/@id')) == {"error-kind", "error-title"}
    assert page.xpath('//textarea[@name="body"]/text()')[0].strip() == "Kept text."
    assert page.xpath('//input[@name="tags"]/@value') == ["export, csv"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "rant"}, "kind"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": " "}, "body"),
        ({"tags": "a,b"}, None),  # a string is fine: the form's comma-separated field
        ({"tags": [1]}, "tags"),
        ({"tags": [f"t{i}" for i in range(9)]}, "tags"),
        ({"tags": ["x" * 41]}, "tags"),
        ({"author": ""}, "author"),
        ({"email": "not an address"}, "email"),
        ({"body": "bad \x00 byte"}, "body"),
    ],
)
def test_invalid_fields_are_named(client, fields, field):
    response = client.post("/api/feedback", json=feedback_json(**fields))
    if field is None:
        assert response.status_code == 202
    else:
        assert response.status_code == 422 and set(response.get_json()["errors"]) == {field}


def test_unknown_fields_and_wrong_content_type_are_refused(client):
    assert client.post("/api/feedback", json=feedback_json(status="done")).status_code == 400
    assert client.post("/api/feedback", data="kind=idea").status_code == 415
    assert client.post("/api/feedback", json=[1]).status_code == 400


def test_a_retry_with_the_same_key_returns_the_first_receipt(client):
    first = client.post("/api/feedback", json=feedback_json(), headers={"Idempotency-Key": "k-1"}).get_json()
    again = client.post("/api/feedback", json=feedback_json(), headers={"Idempotency-Key": "k-1"}).get_json()
    assert again["id"] == first["id"] and again["replayed"] is True
    reused = client.post("/api/feedback", json=feedback_json(title="Other"), headers={"Idempotency-Key": "k-1"})
    assert reused.status_code == 422 and "idempotency_key" in reused.get_json()["errors"]


def test_the_comment_rules_apply_to_feedback(make_app):
    client = make_app(rules="[reject]\nwords = [\"casino\"]\n[limits]\nflood_seconds = 0\n"
                            "rate_limit_count = 2\n[spam]\nmin_fill_seconds = 0\n").test_client()
    spam = client.post("/api/feedback", json=feedback_json(hp="http://spam.example"))
    assert spam.status_code == 202 and spam.get_json()["status"] == "not_published"
    rejected = client.post("/api/feedback", json=feedback_json(title="Best casino ideas", body="Other text"))
    assert rejected.get_json()["status"] == "not_published"
    assert client.post("/api/feedback", json=feedback_json()).get_json()["id"] == spam.get_json()["id"]  # a retry
    duplicate = client.post("/api/feedback", json=feedback_json(title="Dark mode, again"))
    assert duplicate.status_code == 409 and duplicate.get_json()["error"] == "You have already sent this feedback."
    limited = client.post("/api/feedback", json=feedback_json(body="Third one"))
    assert limited.status_code == 429


def test_foreign_origins_cannot_post_but_the_site_can_read_answers(client):
    assert client.post("/api/feedback", json=feedback_json(), headers={"Origin": "https://evil.example"}).status_code == 403
    answer = client.post("/api/feedback", json=feedback_json(), headers={"Origin": "http://127.0.0.1:8000"})
    assert answer.status_code == 202
    assert answer.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    preflight = client.options("/api/feedback/1/vote", headers={"Origin": "http://127.0.0.1:8000",
                                                                "Access-Control-Request-Method": "DELETE"})
    assert "DELETE" in preflight.headers["Access-Control-Allow-Methods"]


def test_receipt_links_to_the_item_page_once_built(app, client, auth, project):
    receipt = submit(client)
    client.post(f"/api/moderation/feedback/{receipt['id']}/approve", headers=auth)
    token = receipt["receipt_url"].rsplit("/", 1)[1]
    assert client.get(f"/api/feedback/receipts/{token}").get_json()["status"] == "publishing"
    manifest_with_items(project / "output", receipt["id"])
    with app.extensions["cluetrain"].database.write() as session:
        session.add(SiteBuild(started_at=utcnow(), finished_at=utcnow(), outcome=BuildOutcome.OK))
    after = client.get(f"/api/feedback/receipts/{token}").get_json()
    assert after["status"] == "published"
    assert after["permalink"] == f"http://127.0.0.1:8000/feedback/{receipt['id']}-item/"


def test_the_answer_describes_exactly_the_stored_item_its_status_and_its_audit_entry(make_app, database_url,
                                                                                     monkeypatch):
    answered = []
    monkeypatch.setattr(feedback_api, "submit_feedback",
                        lambda sent: answered.append(feedback_intake.submit_feedback(sent)) or answered[-1])
    app = make_app(DATABASE_URL=database_url)
    assert app.test_client().post("/api/feedback", json=feedback_json()).status_code == 202
    [accepted] = answered
    columns = [column.key for column in FeedbackItem.__table__.columns]
    with app.extensions["cluetrain"].database.read() as session:
        [stored] = session.scalars(select(FeedbackItem))
        [change] = session.scalars(select(FeedbackStatusChange))
        [entry] = session.scalars(select(FeedbackAuditEntry))
    assert {key: getattr(accepted.item, key) for key in columns} == {key: getattr(stored, key) for key in columns}
    assert (change.item_id, change.status, change.at, change.by) == (stored.id, "new", stored.created_at, None)
    assert (entry.actor, entry.action, entry.item_id) == ("rules", FeedbackAuditAction.SUBMIT, stored.id)
    assert entry.reason == "default: no rule approved it; the default is to hold"
    assert entry.details == {"decision": "hold"}
