"""On every kind of error the visitor gets the form back with every field as typed and what to fix."""

from __future__ import annotations

import lxml.html
import pytest

from tests.service.conftest import form_fields, form_values

TYPED = {
    "author": "Zoë “Z” O'Hara <b>",
    "email": "zoe@example.net",
    "website": "https://zoe.example.net/?a=1&b=2",
    "body": "Line one\n\nA <script>alert(1)</script> & **bold** — ünïcödé\n  indented",
}


def assert_form_kept(page: bytes, typed: dict[str, str]) -> None:
    values = form_values(page)
    for name, value in typed.items():
        assert values[name] == value, name


def message_of(page: bytes) -> str:
    return lxml.html.fromstring(page).get_element_by_id("form-message").text_content()


@pytest.mark.parametrize(
    ("change", "status", "field", "expected"),
    [
        ({"author": ""}, 422, "author", "enter your name"),
        ({"author": "x" * 246}, 422, "author", "limit is 245"),
        ({"email": "not-an-address"}, 422, "email", "e-mail address like"),
        ({"email": "a@b.c" + "c" * 100}, 422, "email", "limit is 100"),
        ({"website": "javascript:alert(1)"}, 422, "website", "http:// or https://"),
        ({"website": "https://example.org/" + "x" * 200}, 422, "website", "limit is 200"),
        ({"body": "   "}, 422, "body", "write your comment"),
        ({"body": "x" * 65_526}, 422, "body", "the limit is 65,525"),
        ({"thread": "no-such-thread"}, 422, "thread", "no discussion"),
    ],
)
def test_field_errors_keep_every_field(client, change, status, field, expected):
    sent = form_fields(**TYPED) | change
    response = client.post("/comments", data=sent)
    assert response.status_code == status
    typed = {k: sent[k] for k in ("author", "email", "website", "body")}
    assert_form_kept(response.data, typed)
    doc = lxml.html.fromstring(response.data)
    assert expected in doc.get_element_by_id("form-message").text_content()
    if field in ("author", "email", "website", "body"):
        assert expected in doc.get_element_by_id(f"error-{field}").text_content()
        assert doc.get_element_by_id(field).get("aria-invalid") == "true"


def test_closed_thread_keeps_the_text(client):
    response = client.post("/comments", data=form_fields(thread="closed-post", **TYPED))
    assert response.status_code == 409
    assert_form_kept(response.data, TYPED)
    assert "closed" in message_of(response.data)


def test_flood_limit_keeps_the_text(make_app):
    client = make_app(rules="[limits]\nflood_seconds = 15\n[spam]\nmin_fill_seconds = 0\n").test_client()
    assert client.post("/comments", data=form_fields(body="first")).status_code == 303
    response = client.post("/comments", data=form_fields(**TYPED))
    assert response.status_code == 429
    assert_form_kept(response.data, TYPED)
    assert "too quickly" in message_of(response.data)


def test_rate_limit_keeps_the_text(make_app):
    rules = "[limits]\nflood_seconds = 0\nrate_limit_count = 2\n[spam]\nmin_fill_seconds = 0\n"
    client = make_app(rules=rules).test_client()
    for n in range(2):
        sent = client.post("/comments", data=form_fields(body=f"comment {n}", email=f"a{n}@example.org"))
        assert sent.status_code == 303
    response = client.post("/comments", data=form_fields(**TYPED))
    assert response.status_code == 429
    assert_form_kept(response.data, TYPED)
    assert "Too many comments" in message_of(response.data)


def test_duplicate_keeps_the_text(client):
    assert client.post("/comments", data=form_fields(**TYPED, idempotency_key="one")).status_code == 303
    response = client.post("/comments", data=form_fields(**TYPED, idempotency_key="two"))
    assert response.status_code == 409
    assert_form_kept(response.data, TYPED)
    assert "already sent" in message_of(response.data)


def test_service_not_ready_keeps_the_text(client, project):
    (project / "output" / "threads.json").unlink()  # e.g. restarting before the first build finished
    response = client.post("/comments", data=form_fields(**TYPED))
    assert response.status_code == 503
    assert_form_kept(response.data, TYPED)
    assert "send it again" in message_of(response.data)


def test_database_down_keeps_the_text(make_app):
    import sqlite3

    app = make_app(SQLITE_BUSY_TIMEOUT=0.2)
    other = sqlite3.connect(app.extensions["cluetrain"].database.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds SQLite's write lock: ours gives up after 0.2 s
    try:
        response = app.test_client().post("/comments", data=form_fields(**TYPED))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 503
    assert_form_kept(response.data, TYPED)


def test_foreign_origin_keeps_the_text(client):
    response = client.post("/comments", data=form_fields(**TYPED), headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert_form_kept(response.data, TYPED)


def test_form_keeps_the_original_form_token_and_idempotency_key(client, app):
    from comments_service.keys import issue_form_token

    token = issue_form_token(app.config["SECRET_KEY"])
    response = client.post("/comments", data=form_fields(author="", form_token=token, idempotency_key="uuid-1"))
    values = form_values(response.data)
    assert values["form_token"] == token and values["idempotency_key"] == "uuid-1"
    assert values["hp"] == ""
