"""Moderator accounts (Argon2id), login throttling, CSRF, the minimal moderation screens, CLI commands."""

from __future__ import annotations

import re

import lxml.html
from sqlalchemy import select

from comments_service.auth import add_moderator
from comments_service.models import ApiToken, Moderator
from tests.service.conftest import THREADS, comment_json, write_manifest

PASSWORD = "correct horse battery"


def add(app, username="alice", password=PASSWORD):
    with app.extensions["cluetrain"].database.write() as session:
        add_moderator(session, username, password)


def csrf_of(page) -> str:
    return lxml.html.fromstring(page.data).xpath('//input[@name="csrf_token"]/@value')[0]


def log_in(client, username="alice", password=PASSWORD, **environ):
    token = csrf_of(client.get("/moderate/login"))
    return client.post("/moderate/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=environ)


def test_passwords_are_argon2id(app):
    add(app)
    with app.extensions["cluetrain"].database.read() as session:
        stored = session.scalar(select(Moderator.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_logout_and_the_queue(app, client):
    add(app)
    assert client.get("/moderate/").status_code == 302
    assert log_in(client).status_code == 303
    client.post("/api/comments", json=comment_json(body="Please *moderate* me"))
    queue = client.get("/moderate/")
    assert queue.status_code == 200 and b"Please <em>moderate</em> me" in queue.data
    token = csrf_of(queue)
    assert client.post("/moderate/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/moderate/").status_code == 302


def test_wrong_password_and_unknown_user_look_the_same(app, client):
    add(app)
    wrong = log_in(client, password="nope")
    unknown = log_in(client, username="mallory")
    assert wrong.status_code == unknown.status_code == 401
    assert b"Wrong username or password" in wrong.data and b"Wrong username or password" in unknown.data


def test_login_is_throttled_per_account(make_app):
    app = make_app(LOGIN_MAX_FAILURES=3)
    add(app)
    client = app.test_client()
    for _ in range(3):
        assert log_in(client, password="bad").status_code == 401
    throttled = log_in(client)  # even the right password
    assert throttled.status_code == 401 and b"Too many failed logins" in throttled.data
    assert log_in(app.test_client(), username="bob").status_code == 401  # other accounts: wrong password only
    assert b"Too many" not in log_in(app.test_client(), username="bob").data


def test_login_is_throttled_per_ip(make_app):
    app = make_app(LOGIN_IP_MAX_FAILURES=2, LOGIN_MAX_FAILURES=100)
    add(app)
    client = app.test_client()
    for name in ("x", "y"):
        log_in(client, username=name, password="bad", REMOTE_ADDR="192.0.2.5")
    assert b"Too many" in log_in(client, REMOTE_ADDR="192.0.2.5").data
    assert log_in(app.test_client(), REMOTE_ADDR="192.0.2.6").status_code == 303


def test_csrf_is_required_on_every_moderator_post(app, client):
    add(app)
    no_token = client.post("/moderate/login", data={"username": "alice", "password": PASSWORD})
    assert no_token.status_code == 400
    log_in(client)
    comment = client.post("/api/comments", json=comment_json()).get_json()
    forged = client.post(f"/moderate/comments/{comment['id']}/approve", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    token = csrf_of(client.get("/moderate/"))
    done = client.post(f"/moderate/comments/{comment['id']}/approve", data={"csrf_token": token})
    assert done.status_code == 303
    approved = client.get("/moderate/?status=approved")
    assert comment["id"].encode() in approved.data


def test_queue_bulk_and_edit_and_approve(app, client, project):
    add(app)
    log_in(client)
    ids = [client.post("/api/comments", json=comment_json(body=f"n{n}")).get_json()["id"] for n in range(3)]
    token = csrf_of(client.get("/moderate/"))
    client.post("/moderate/bulk", data={"csrf_token": token, "action": "spam", "ids": ids[:2]})
    assert b"spam: 2 done" in client.get("/moderate/").data
    client.post(f"/moderate/comments/{ids[2]}/edit",
                data={"csrf_token": token, "author": "Ada", "website": "", "body": "Fixed", "then": "approve"})
    text = (project / "content" / "comments" / "hello" / f"{ids[2]}.md").read_text(encoding="utf-8")
    assert text.endswith("\n\nFixed") and "Author: Ada\n" in text


def test_login_redirect_stays_on_site(app, client):
    add(app)
    token = csrf_of(client.get("/moderate/login"))
    response = client.post("/moderate/login?next=https://evil.example/",
                           data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.location == "/moderate/"


def test_cli_token_create_prints_the_token_last_and_stores_a_hash(runner, app, client):
    result = runner("token", "create", "--name", "ci")
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"ct_[A-Za-z0-9_-]{43}", token)
    with app.extensions["cluetrain"].database.read() as session:
        stored = session.scalar(select(ApiToken.token_hash).where(ApiToken.name == "ci"))
    assert stored and token not in stored
    assert client.get("/api/moderation/comments", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_cli_moderator_add(runner, app, client):
    result = runner("moderator", "add", "bob", "--password-stdin", input="a long password\n")
    assert result.exit_code == 0, result.output
    assert runner("moderator", "add", "bob", "--password-stdin", input="a long password\n").exit_code == 1
    assert runner("moderator", "add", "eve", "--password-stdin", input="short\n").exit_code == 1
    assert log_in(client, username="bob", password="a long password").status_code == 303


def test_queue_filters_by_thread_and_text_and_pages(app, client, project):
    write_manifest(project / "output", [*THREADS, {**THREADS[0], "key": "second", "url": "http://127.0.0.1:8000/posts/second/"}])
    add(app)
    log_in(client)
    for n in range(60):
        thread = "hello" if n % 2 else "second"
        body = f"note {n} about {'pricing' if n % 3 == 0 else 'apis'}"
        assert client.post("/api/comments", json=comment_json(thread=thread, body=body, email=f"p{n}@example.org")).status_code == 202
    page = lxml.html.fromstring(client.get("/moderate/").data)
    assert "60 pending comments" in page.text_content()
    assert len(page.xpath("//article[contains(@class, 'queue-item')]")) == 50
    older = lxml.html.fromstring(client.get(page.xpath("//a[@rel='next']/@href")[0]).data)
    assert len(older.xpath("//article[contains(@class, 'queue-item')]")) == 10
    filtered = lxml.html.fromstring(client.get("/moderate/?status=pending&thread=hello&q=PRICING").data)
    bodies = [" ".join(a.text_content().split()) for a in filtered.xpath("//div[@class='comment-body']")]
    assert bodies and all("pricing" in b for b in bodies)
    assert len(bodies) == len([n for n in range(60) if n % 2 and n % 3 == 0])
    assert filtered.xpath("//input[@name='q']/@value") == ["PRICING"]


def test_queue_survives_hostile_filters(app, client):
    add(app)
    log_in(client)
    for query in ("status=nonsense", "offset=-1", "limit=abc", "q=%25_%5C", "thread=" + "x" * 5000, "q=%00"):
        assert client.get(f"/moderate/?{query}").status_code in (200, 303), query
