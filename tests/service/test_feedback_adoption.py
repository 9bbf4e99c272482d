"""Item files the database does not know (the sample content, a restore) are taken in at start."""

from __future__ import annotations

import shutil

from cluetrain.content_format import read_feedback
from tests.service.feedback_fixtures import REPO_CONTENT, item_file, submit, token_headers


def test_existing_files_are_taken_in_and_new_items_number_after_them(project, database_url, make_app):
    shutil.copytree(REPO_CONTENT / "feedback", project / "content" / "feedback")
    before = {path.name: path.read_bytes() for path in (project / "content" / "feedback").iterdir()}
    app = make_app(DATABASE_URL=database_url)
    client, auth = app.test_client(), token_headers(app)
    assert {path.name: path.read_bytes() for path in (project / "content" / "feedback").iterdir()} == before
    listed = client.get("/api/moderation/feedback?limit=500", headers=auth).get_json()
    assert listed["total"] == len(before)
    merged = client.get("/api/moderation/feedback/11", headers=auth).get_json()
    assert merged["merged_into"] == 12 and merged["status"] == "duplicate" and merged["source"] == "import"
    assert merged["email"] is None and [h["status"] for h in merged["history"]] == ["new", "duplicate"]
    new = submit(client)
    assert new["id"] == max(int(name.split("-", 1)[0]) for name in before) + 1
    votes = client.post("/api/feedback/3/vote", json={"voter": "v" * 20}).get_json()
    assert votes == {"id": 3, "votes": 144, "voted": True}  # the file's 143, and this one
    assert client.post("/api/feedback/1/vote", json={"voter": "v" * 20}).status_code == 409  # done
    client.post("/api/moderation/feedback/3/status", headers=auth, json={"status": "in-progress"})
    on_disk = read_feedback(item_file(project, 3))
    assert on_disk.status == "in-progress" and on_disk.answer.author == "Tomás Reyes" and on_disk.votes == 144
    assert [c.status for c in on_disk.history] == ["new", "under-review", "planned", "in-progress"]
    make_app(DATABASE_URL=database_url)  # a second start takes in nothing twice
    assert client.get("/api/moderation/feedback?limit=500", headers=auth).get_json()["total"] == len(before) + 1


def test_a_broken_file_does_not_stop_the_service(project, make_app, caplog):
    folder = project / "content" / "feedback"
    folder.mkdir()
    (folder / "1-broken.md").write_text("Id: 1\nno blank line", encoding="utf-8")
    client = make_app().test_client()
    assert submit(client)["id"] == 1
    assert "cannot take in the feedback files" in caplog.text
