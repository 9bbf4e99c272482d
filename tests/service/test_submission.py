"""Submitting comments by form and JSON, on SQLite and PostgreSQL: stored, acknowledged, idempotent."""

from __future__ import annotations

import lxml.html
from sqlalchemy import func, select

from comments_service import intake
from comments_service.models import AuditAction, AuditEntry, Comment, CommentStatus
from tests.service.conftest import comment_json, form_fields

STAFF_RULES = '[approve]\ndomains = ["example.org"]\n[spam]\nmin_fill_seconds = 0\n[limits]\nflood_seconds = 0\n'


def rows(app):
    with app.extensions["cluetrain"].database.read() as session:
        return list(session.scalars(select(Comment).order_by(Comment.created_at)))


def test_json_submission_is_held_stored_and_acknowledged(make_app, database_url):
    app = make_app(DATABASE_URL=database_url)
    response = app.test_client().post("/api/comments", json=comment_json(), headers={"User-Agent": "pytest-agent"},
                                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "awaiting_moderation" and body["author"] == "Ada Lovelace"
    assert body["receipt_url"].startswith("http://localhost/receipts/") and "email" not in body
    [stored] = rows(app)
    assert stored.id == body["id"] and stored.status is CommentStatus.PENDING
    assert (stored.email, stored.ip, stored.user_agent) == ("ada@example.org", "203.0.113.9", "pytest-agent")
    assert stored.html == "<p>A <em>thoughtful</em> comment.</p>" and stored.body == "A *thoughtful* comment."
    assert stored.rule == "default"


def test_auto_approved_comment_is_201_and_written_without_private_data(make_app, database_url, project):
    app = make_app(rules=STAFF_RULES, DATABASE_URL=database_url)
    response = app.test_client().post("/api/comments", json=comment_json(), environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "publishing"  # file written, page not rebuilt (no builder here)
    path = project / "content" / "comments" / "hello" / f"{body['id']}.md"
    text = path.read_text(encoding="utf-8")
    assert "Author: Ada Lovelace" in text and text.endswith("\n\nA *thoughtful* comment.")
    assert "ada@example.org" not in text and "203.0.113.9" not in text


def test_idempotency_key_returns_the_same_receipt(make_app, database_url):
    client = make_app(DATABASE_URL=database_url).test_client()
    first = client.post("/api/comments", json=comment_json(), headers={"Idempotency-Key": "k-1"})
    again = client.post("/api/comments", json=comment_json(), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 202
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["replayed"] is True
    assert again.get_json()["receipt_url"] == first.get_json()["receipt_url"]


def test_reusing_a_key_for_other_content_is_refused(client):
    client.post("/api/comments", json=comment_json(), headers={"Idempotency-Key": "k-2"})
    response = client.post("/api/comments", json=comment_json(body="Different"), headers={"Idempotency-Key": "k-2"})
    assert response.status_code == 422 and "idempotency_key" in response.get_json()["errors"]


def test_form_post_redirects_to_a_receipt_showing_exactly_what_was_sent(client):
    response = client.post("/comments", data=form_fields(body="Line one\r\n\r\n**bold** <b>x</b>"))
    assert response.status_code == 303 and "/receipts/" in response.location
    page = client.get(response.location)
    doc = lxml.html.fromstring(page.data)
    assert doc.get_element_by_id("receipt-status").get("data-status") == "awaiting_moderation"
    assert doc.get_element_by_id("receipt-author").text_content() == "Ada Lovelace"
    assert doc.get_element_by_id("receipt-body").text_content() == "Line one\n\n**bold** <b>x</b>"
    assert doc.get_element_by_id("receipt-website").text_content() == "https://ada.example.org/"
    assert "ada@example.org" not in page.get_data(as_text=True)


def test_double_click_without_javascript_returns_the_same_receipt(client, app):
    first = client.post("/comments", data=form_fields())
    second = client.post("/comments", data=form_fields())
    assert first.location == second.location
    assert len(rows(app)) == 1


def test_receipt_as_json_by_accept_header_and_api_path(client):
    receipt = client.post("/api/comments", json=comment_json()).get_json()
    path = receipt["receipt_url"].removeprefix("http://localhost")
    by_accept = client.get(path, headers={"Accept": "application/json"}).get_json()
    by_api = client.get(path.replace("/receipts/", "/api/receipts/")).get_json()
    assert by_accept["id"] == by_api["id"] == receipt["id"]
    assert client.get("/receipts/not-a-token").status_code == 404
    assert client.get("/api/receipts/not-a-token").get_json()["error"]


def test_unknown_thread_closed_thread_and_missing_parent(client):
    unknown = client.post("/api/comments", json=comment_json(thread="nope"))
    assert unknown.status_code == 422 and "thread" in unknown.get_json()["errors"]
    closed = client.post("/api/comments", json=comment_json(thread="closed-post"))
    assert closed.status_code == 409 and "closed" in closed.get_json()["error"]
    orphan = client.post("/api/comments", json=comment_json(parent="cdoesnotexist"))
    assert orphan.status_code == 422 and "parent" in orphan.get_json()["errors"]


def test_reply_to_an_approved_comment_or_a_comment_file(client, auth, project):
    parent = client.post("/api/comments", json=comment_json()).get_json()
    held_reply = client.post("/api/comments", json=comment_json(parent=parent["id"], body="Reply"))
    assert held_reply.status_code == 422  # the parent is not published yet
    client.post(f"/api/moderation/comments/{parent['id']}/approve", headers=auth)
    reply = client.post("/api/comments", json=comment_json(parent=parent["id"], body="Reply"))
    assert reply.status_code == 201 and reply.get_json()["parent"] == parent["id"]  # a known author now
    imported = project / "content" / "comments" / "hello" / "cimported1.md"
    imported.write_text("Id: cimported1\nThread: hello\nAuthor: Old\nDate: 2020-01-01T00:00:00+00:00\n\nOld one.",
                        encoding="utf-8")
    stranger = comment_json(parent="cimported1", body="Hi", author="Bob", email="bob@example.net")
    assert client.post("/api/comments", json=stranger).status_code == 202


def test_every_submission_is_audited_with_the_rule_that_decided(client, app):
    client.post("/api/comments", json=comment_json())
    with app.extensions["cluetrain"].database.read() as session:
        entry = session.scalar(select(AuditEntry))
        count = session.scalar(select(func.count()).select_from(AuditEntry))
    assert count == 1 and entry.actor == "rules" and entry.reason.startswith("default:")


def test_form_token_endpoint_and_cors_for_the_site_origin(client):
    response = client.get("/api/form-token", headers={"Origin": "http://127.0.0.1:8000"})
    assert response.get_json()["form_token"]
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert response.headers["Cache-Control"] == "no-store"
    other = client.get("/api/form-token", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_foreign_origin_cannot_post(client, app):
    response = client.post("/api/comments", json=comment_json(), headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    ok = client.post("/api/comments", json=comment_json(), headers={"Origin": "http://127.0.0.1:8000"})
    assert ok.status_code == 202
    assert len(rows(app)) == 1


def test_reply_form_shows_the_comment_replied_to(client, auth):
    parent = client.post("/api/comments", json=comment_json(body="The *original*")).get_json()
    client.post(f"/api/moderation/comments/{parent['id']}/approve", headers=auth)
    page = client.get(f"/comments/reply?thread=hello&parent={parent['id']}")
    assert page.status_code == 200
    doc = lxml.html.fromstring(page.data)
    assert "The original" in doc.get_element_by_id("replying-to").text_content()
    form = doc.get_element_by_id("comment-form")
    assert form.get("method") == "post" and form.xpath('.//input[@name="parent"]')[0].get("value") == parent["id"]
    assert form.xpath('.//input[@name="form_token"]')[0].get("value")
    assert client.get("/comments/reply?thread=hello&parent=cnothere").status_code == 404
    assert client.get("/comments/reply?thread=nope").status_code == 404


def test_cors_preflight_for_the_json_api(client):
    response = client.options("/api/comments", headers={
        "Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, idempotency-key"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]


def test_the_answer_describes_exactly_the_stored_row_and_its_audit_entry(make_app, database_url, monkeypatch):
    from comments_service import submission

    answered = []
    monkeypatch.setattr(submission, "submit", lambda sent: answered.append(intake.submit(sent)) or answered[-1])
    app = make_app(DATABASE_URL=database_url)
    response = app.test_client().post("/api/comments", json=comment_json(), headers={"User-Agent": "pytest-agent"},
                                      environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 202
    [accepted] = answered
    [stored] = rows(app)
    columns = [column.key for column in Comment.__table__.columns]
    assert {key: getattr(accepted.comment, key) for key in columns} == {key: getattr(stored, key) for key in columns}
    with app.extensions["cluetrain"].database.read() as session:
        [entry] = session.scalars(select(AuditEntry))
    assert (entry.actor, entry.action, entry.comment_id, entry.at) == ("rules", AuditAction.SUBMIT, stored.id,
                                                                       stored.created_at)
    assert entry.reason == "default: no rule approved it; the default is to hold"
    assert entry.details == {"decision": "hold"}
