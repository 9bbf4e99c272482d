"""The moderation JSON API: token auth, every action, edits, listing, bulk, audit, and the OpenAPI file."""

from __future__ import annotations

import re

from comments_service.api import openapi_document
from comments_service.auth import create_token
from tests.service.conftest import comment_json


def submit(client, **fields):
    return client.post("/api/comments", json=comment_json(**fields)).get_json()


def comment_file(project, comment_id, thread="hello"):
    return project / "content" / "comments" / thread / f"{comment_id}.md"


def test_token_is_required(client, token):
    assert client.get("/api/moderation/comments").status_code == 401
    wrong = client.get("/api/moderation/comments", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/api/moderation/comments/x/approve", headers={"Authorization": token}).status_code == 401


def test_approve_writes_the_file_and_reject_removes_it(project, database_url, make_app):
    app = make_app(DATABASE_URL=database_url)
    client = app.test_client()
    with app.extensions["cluetrain"].database.write() as session:
        headers = {"Authorization": f"Bearer {create_token(session, 'pg')}"}
    comment = submit(client)
    approved = client.post(f"/api/moderation/comments/{comment['id']}/approve", headers=headers)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert approved.get_json()["published_revision"] == 1
    assert comment_file(project, comment["id"]).is_file()
    rejected = client.post(f"/api/moderation/comments/{comment['id']}/reject", json={"reason": "Off topic."},
                           headers=headers)
    assert rejected.get_json()["status"] == "rejected" and not comment_file(project, comment["id"]).exists()
    receipt = client.get(comment["receipt_url"], headers={"Accept": "application/json"}).get_json()
    assert receipt["status"] == "not_published" and receipt["reason"] == "Off topic."


def test_spam_delete_and_unknown_ids(client, auth):
    one, two = submit(client, body="one"), submit(client, body="two")
    assert client.post(f"/api/moderation/comments/{one['id']}/spam", headers=auth).get_json()["status"] == "spam"
    assert client.post(f"/api/moderation/comments/{two['id']}/delete", headers=auth).get_json()["status"] == "deleted"
    missing = client.post("/api/moderation/comments/cnothere/approve", headers=auth)
    assert missing.status_code == 404 and missing.get_json()["error"]
    unknown_verb = client.post("/api/moderation/comments/x/frobnicate", headers=auth)
    assert unknown_verb.status_code in (404, 405) and unknown_verb.get_json()["error"]
    bad_reason = client.post(f"/api/moderation/comments/{one['id']}/reject", json={"reason": 5}, headers=auth)
    assert bad_reason.status_code == 400 and "reason" in bad_reason.get_json()["errors"]
    not_json = client.post(f"/api/moderation/comments/{one['id']}/reject", data="[1]", headers=auth,
                           content_type="application/json")
    assert not_json.status_code == 400


def test_ban_marks_spam_bans_and_catches_the_next_comment(client, auth, app):
    first = client.post("/api/comments", json=comment_json(body="one"), environ_base={"REMOTE_ADDR": "198.51.100.1"}).get_json()
    second = client.post("/api/comments", json=comment_json(body="two"), environ_base={"REMOTE_ADDR": "198.51.100.1"}).get_json()
    banned = client.post(f"/api/moderation/comments/{first['id']}/ban", json={"reason": "abuse"}, headers=auth)
    assert banned.get_json()["status"] == "spam"
    assert client.get(f"/api/moderation/comments/{second['id']}", headers=auth).get_json()["status"] == "spam"
    again = client.post("/api/comments", json=comment_json(body="three", email="new@example.net"),
                        environ_base={"REMOTE_ADDR": "198.51.100.1"}).get_json()
    assert again["status"] == "not_published"
    listed = client.get("/api/moderation/comments?status=spam", headers=auth).get_json()
    assert {c["rule"] for c in listed["comments"]} >= {"banned"}


def test_edit_is_validated_like_a_submission_and_can_approve(client, auth, project):
    comment = submit(client)
    bad = client.patch(f"/api/moderation/comments/{comment['id']}", headers=auth,
                       json={"website": "javascript:alert(1)", "author": "A\nB", "email": "x@y.z"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"website", "author", "email"}
    edited = client.patch(f"/api/moderation/comments/{comment['id']}", headers=auth,
                          json={"body": "Edited *text*", "website": "", "approve": True, "reason": "typo"})
    body = edited.get_json()
    assert edited.status_code == 200 and body["status"] == "approved" and body["html"] == "<p>Edited <em>text</em></p>"
    assert body["website"] is None and body["revision"] == 2
    assert comment_file(project, comment["id"]).read_text(encoding="utf-8").endswith("\n\nEdited *text*")
    client.patch(f"/api/moderation/comments/{comment['id']}", headers=auth, json={"body": "Again"})
    assert comment_file(project, comment["id"]).read_text(encoding="utf-8").endswith("\n\nAgain")  # rewritten
    assert client.patch(f"/api/moderation/comments/{comment['id']}", headers=auth, json={"approve": "yes"}).status_code == 400


def test_a_reply_needs_a_published_parent_and_a_parent_keeps_its_replies(client, auth, project):
    parent = submit(client, body="parent")
    client.post(f"/api/moderation/comments/{parent['id']}/approve", headers=auth)
    reply = submit(client, body="reply", parent=parent["id"], author="Bob", email="bob@example.net")
    client.post(f"/api/moderation/comments/{reply['id']}/approve", headers=auth)
    refused = client.post(f"/api/moderation/comments/{parent['id']}/reject", headers=auth)
    assert refused.status_code == 409 and reply["id"] in refused.get_json()["error"]
    assert comment_file(project, parent["id"]).is_file()
    client.post(f"/api/moderation/comments/{reply['id']}/reject", headers=auth)
    assert client.post(f"/api/moderation/comments/{parent['id']}/reject", headers=auth).status_code == 200
    conflict = client.post(f"/api/moderation/comments/{reply['id']}/approve", headers=auth)
    assert conflict.status_code == 409 and "not published" in conflict.get_json()["error"]


def test_list_filters_by_status_thread_and_query(client, auth):
    a = submit(client, body="About cats", email="cat@example.org")
    submit(client, body="About dogs", author="Dog Person", email="dog@example.org")
    client.post(f"/api/moderation/comments/{a['id']}/approve", headers=auth)
    listing = client.get("/api/moderation/comments", headers=auth).get_json()
    assert listing["total"] == 2 and listing["comments"][0]["body"] == "About dogs"  # newest first
    assert listing["comments"][0]["email"] == "dog@example.org" and "ip" in listing["comments"][0]
    approved = client.get("/api/moderation/comments?status=approved", headers=auth).get_json()
    assert [c["id"] for c in approved["comments"]] == [a["id"]]
    assert client.get("/api/moderation/comments?q=DOG", headers=auth).get_json()["total"] == 1
    assert client.get("/api/moderation/comments?q=100%25", headers=auth).get_json()["total"] == 0
    assert client.get("/api/moderation/comments?thread=other", headers=auth).get_json()["total"] == 0
    bad = client.get("/api/moderation/comments?status=nope&limit=x", headers=auth)
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"status", "limit"}


def test_bulk_reports_each_result(client, auth, project):
    ids = [submit(client, body=f"bulk {n}")["id"] for n in range(3)]
    response = client.post("/api/moderation/bulk", headers=auth,
                           json={"action": "approve", "ids": [*ids, "cmissing", ids[0]]})
    results = response.get_json()["results"]
    assert [r["ok"] for r in results] == [True, True, True, False]
    assert all(comment_file(project, i).is_file() for i in ids)
    bad = client.post("/api/moderation/bulk", headers=auth, json={"action": "nuke", "ids": "x"})
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"action", "ids"}


def test_every_action_is_audited_with_who_what_when_why(client, auth):
    comment = submit(client)
    client.post(f"/api/moderation/comments/{comment['id']}/approve", json={"reason": "fine"}, headers=auth)
    detail = client.get(f"/api/moderation/comments/{comment['id']}", headers=auth).get_json()
    trail = [(e["actor"], e["action"], e["reason"]) for e in detail["audit"]]
    assert trail[0][:2] == ("rules", "submit")
    assert ("token:tests", "approve", "fine") in trail
    assert any(actor == "publisher" and action == "publish" for actor, action, _ in trail)
    assert all(e["at"] for e in detail["audit"])
    log = client.get(f"/api/moderation/audit?comment={comment['id']}", headers=auth).get_json()["entries"]
    assert len(log) == len(trail)


def test_openapi_lists_every_api_route(app, client):
    document = client.get("/api/openapi.json").get_json()
    assert document == openapi_document() and document["openapi"].startswith("3.")
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/") or rule.rule == "/healthz"):
            continue
        paths = [rule.rule]
        verbs = re.search(r"<any\(([^)]*)\):\w+>", rule.rule)
        if verbs:
            paths = [rule.rule.replace(verbs.group(0), v.strip()) for v in verbs.group(1).split(",")]
        for path in paths:
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path).replace("{comment_id}", "{id}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method.lower()) in documented, f"{method} {path} is not in openapi.json"


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "threads": 2}
