"""Moderating feedback through the JSON API and the moderator screens: each change reaches the file."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import lxml.html
import pytest

from cluetrain.content_format import Comment, load_comments, read_feedback, write_comment
from comments_service.auth import create_token, set_password
from tests.service.feedback_fixtures import feedback_json, item_file, manifest_with_items, published, submit


def test_moderation_needs_a_token(client, token):
    item = submit(client)
    assert client.post(f"/api/moderation/feedback/{item['id']}/approve").status_code == 401
    assert client.post(f"/api/moderation/feedback/{item['id']}/status", json={"status": "planned"},
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/moderation/feedback").status_code == 401


def test_approve_writes_the_file_and_reject_removes_it(project, database_url, make_app):
    app = make_app(DATABASE_URL=database_url)
    client = app.test_client()
    with app.extensions["cluetrain"].database.write() as session:
        auth = {"Authorization": f"Bearer {create_token(session, 'pg')}"}
    item = submit(client)
    approved = client.post(f"/api/moderation/feedback/{item['id']}/approve", headers=auth).get_json()
    assert approved["moderation"] == "approved" and approved["published_revision"] == 1
    assert read_feedback(item_file(project, item["id"])).title == "Dark mode for the dashboard"
    rejected = client.post(f"/api/moderation/feedback/{item['id']}/reject", json={"reason": "Off topic."},
                           headers=auth).get_json()
    assert rejected["moderation"] == "rejected" and rejected["published_revision"] is None
    assert not list((project / "content" / "feedback").glob("*.md"))
    receipt = client.get(item["receipt_url"], headers={"Accept": "application/json"}).get_json()
    assert receipt["status"] == "not_published" and receipt["reason"] == "Off topic."


def test_status_and_answer_are_written_with_history(client, auth, project):
    item = published(client, auth)
    response = client.post(f"/api/moderation/feedback/{item['id']}/status", headers=auth,
                           json={"status": "planned", "answer": "Yes.\n\nStatus: done — in *3.1*.", "by": "Priya"})
    assert response.status_code == 200 and response.get_json()["status"] == "planned"
    on_disk = read_feedback(item_file(project, item["id"]))
    assert on_disk.status == "planned"
    assert [(c.status, c.by) for c in on_disk.history] == [("new", None), ("planned", "Priya")]
    assert on_disk.answer.body == "Yes.\n\nStatus: done — in *3.1*." and on_disk.answer.author == "Priya"
    client.post(f"/api/moderation/feedback/{item['id']}/status", headers=auth, json={"status": "in-progress"})
    on_disk = read_feedback(item_file(project, item["id"]))
    assert on_disk.status == "in-progress" and on_disk.answer.author == "Priya"  # the answer stays
    assert on_disk.history[-1].by == "The Cluetrain team"  # FEEDBACK_ANSWER_AUTHOR's default
    client.post(f"/api/moderation/feedback/{item['id']}/status", headers=auth, json={"answer": None})
    assert read_feedback(item_file(project, item["id"])).answer is None
    detail = client.get(f"/api/moderation/feedback/{item['id']}", headers=auth).get_json()
    assert [h["status"] for h in detail["history"]] == ["new", "planned", "in-progress"]
    assert [a["action"] for a in detail["audit"]][:3] == ["submit", "approve", "publish"]
    assert {"status", "answer"} <= {a["action"] for a in detail["audit"]}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"status": "someday"}, 422, "status"),
        ({"status": "duplicate"}, 422, "status"),
        ({"status": 3}, 400, "status"),
        ({}, 400, "status"),
        ({"status": "planned", "by": "x" * 300}, 400, "by"),
        ({"answer": "bad \x00"}, 422, "answer"),
    ],
)
def test_bad_status_changes_are_refused(client, auth, body, status, field):
    item = published(client, auth)
    response = client.post(f"/api/moderation/feedback/{item['id']}/status", headers=auth, json=body)
    assert response.status_code == status and field in response.get_json()["errors"]


def test_edit_changes_title_and_tags_but_never_the_address(client, auth, project):
    item = published(client, auth)
    before = item_file(project, item["id"]).name
    response = client.patch(f"/api/moderation/feedback/{item['id']}", headers=auth,
                            json={"title": "Dark theme\nStatus: done", "tags": ["ui", "UI", "accessibility"]})
    assert response.status_code == 200
    on_disk = read_feedback(item_file(project, item["id"]))
    assert item_file(project, item["id"]).name == before
    assert on_disk.title == "Dark theme Status: done" and on_disk.status == "new"
    assert on_disk.tags == ("ui", "accessibility")
    refused = client.patch(f"/api/moderation/feedback/{item['id']}", headers=auth, json={"votes": 5})
    assert refused.status_code == 422 and "votes" in refused.get_json()["errors"]


def test_merge_moves_votes_and_comments_and_points_to_the_original(client, auth, project):
    original = published(client, auth, title="Dark mode")
    duplicate = published(client, auth, title="Night theme", body="Something darker.")
    for voter, target in (("a" * 20, original), ("b" * 20, duplicate), ("a" * 20, duplicate)):
        client.post(f"/api/feedback/{target['id']}/vote", json={"voter": voter})
    manifest_with_items(project / "output", original["id"], duplicate["id"])
    dup_thread, orig_thread = f"feedback-{duplicate['id']}", f"feedback-{original['id']}"
    write_comment(project / "content", Comment(id="cfile1", thread=dup_thread, author="Old", body="From a file.",
                                               date=datetime(2026, 1, 1, tzinfo=timezone.utc)))
    comment = client.post("/api/comments", json={"thread": dup_thread, "author": "Bo", "body": "Me too"}).get_json()
    client.post(f"/api/moderation/comments/{comment['id']}/approve", headers=auth)

    response = client.post(f"/api/moderation/feedback/{duplicate['id']}/merge", headers=auth,
                           json={"into": original["id"], "reason": "Same request."})
    assert response.status_code == 200
    merged = response.get_json()
    assert merged["merged_into"] == original["id"] and merged["status"] == "duplicate" and merged["votes"] == 0
    on_disk = read_feedback(item_file(project, duplicate["id"]))
    assert on_disk.merged_into == original["id"] and on_disk.status == "duplicate"
    assert read_feedback(item_file(project, original["id"])).votes == 2  # a and b; a counted once
    threads = load_comments(project / "content")
    assert sorted(c.id for c in threads[orig_thread]) == sorted(["cfile1", comment["id"]])
    assert dup_thread not in threads
    moved = client.get(f"/api/moderation/comments/{comment['id']}", headers=auth).get_json()
    assert moved["thread"] == orig_thread
    again = client.post(f"/api/moderation/feedback/{duplicate['id']}/merge", headers=auth, json={"into": original["id"]})
    assert again.status_code == 409
    assert client.post(f"/api/moderation/feedback/{original['id']}/merge", headers=auth,
                       json={"into": duplicate["id"]}).status_code == 409
    assert client.post(f"/api/moderation/feedback/{original['id']}/reject", headers=auth).status_code == 409


def test_moderator_screens_change_status_answer_and_merge_with_csrf(app, client, project):
    with app.extensions["cluetrain"].database.write() as session:
        set_password(session, "mod", "correct horse battery")
    item = submit(client)
    other = submit(client, title="Another", body="Different words.")
    page = client.get("/moderate/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    client.post("/moderate/login", data={"username": "mod", "password": "correct horse battery", "csrf_token": csrf})
    queue = lxml.html.fromstring(client.get("/moderate/feedback/").data)
    csrf = queue.xpath('//input[@name="csrf_token"]/@value')[0]  # a new session has a new token
    assert {a.get("href") for a in queue.xpath('//article//h2/a')} == {
        f"/moderate/feedback/{item['id']}", f"/moderate/feedback/{other['id']}"}
    assert client.post(f"/moderate/feedback/{item['id']}/approve").status_code == 400  # no CSRF token
    for target in (item, other):
        client.post(f"/moderate/feedback/{target['id']}/approve", data={"csrf_token": csrf})
    client.post(f"/moderate/feedback/{item['id']}/status",
                data={"csrf_token": csrf, "status": "planned", "answer": "Soon.", "by": "Priya"})
    on_disk = read_feedback(item_file(project, item["id"]))
    assert on_disk.status == "planned" and on_disk.answer.author == "Priya"
    client.post(f"/moderate/feedback/{other['id']}/merge", data={"csrf_token": csrf, "into": f"#{item['id']}"})
    assert read_feedback(item_file(project, other["id"])).merged_into == item["id"]
    detail = client.get(f"/moderate/feedback/{other['id']}").get_data(as_text=True)
    assert "Merged into" in detail and "ada@example.org" in detail  # moderators see the private fields


def test_ban_marks_held_items_from_the_same_sender_as_spam(client, auth):
    first = submit(client, email="troll@example.org")
    second = submit(client, email="troll@example.org", title="Again", body="More of it.")
    client.post(f"/api/moderation/feedback/{first['id']}/ban", headers=auth, json={"reason": "abuse"})
    assert client.get(f"/api/moderation/feedback/{second['id']}", headers=auth).get_json()["moderation"] == "spam"
    third = client.post("/api/feedback", json=feedback_json(email="troll@example.org", title="Third", body="Still."))
    assert third.get_json()["status"] == "not_published"
