"""Community recognition through the moderation API: helpful and rewarded marks land in the comment's file."""

from __future__ import annotations

from cluetrain import content_format as cf

from .conftest import comment_json


def _published(client, auth) -> str:
    comment_id = client.post("/api/comments", json=comment_json()).get_json()["id"]
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=auth).status_code == 200
    return comment_id


def _file(app, comment_id: str) -> cf.Comment:
    app.extensions["cluetrain"].publisher.reconcile()
    return cf.read_comment(cf.comment_path(app.config["CONTENT_PATH"], "hello", comment_id))


def test_helpful_and_rewarded_are_written_to_the_file_and_audited(app, client, auth):
    comment_id = _published(client, auth)
    assert client.post(f"/api/moderation/comments/{comment_id}/helpful", headers=auth).status_code == 200
    response = client.post(f"/api/moderation/comments/{comment_id}/rewarded", headers=auth,
                           json={"label": "Conference ticket", "reason": "best answer of May"})
    assert response.status_code == 200
    found = _file(app, comment_id)
    assert found.helpful and found.rewarded == "Conference ticket"
    audit = client.get(f"/api/moderation/comments/{comment_id}", headers=auth).get_json()
    assert "best answer of May" in str(audit)
    assert client.post(f"/api/moderation/comments/{comment_id}/helpful", headers=auth,
                       json={"helpful": False}).status_code == 200
    assert client.post(f"/api/moderation/comments/{comment_id}/rewarded", headers=auth,
                       json={"label": None}).status_code == 200
    cleared = _file(app, comment_id)
    assert not cleared.helpful and cleared.rewarded is None


def test_only_published_comments_and_clean_labels(app, client, auth):
    held = client.post("/api/comments", json=comment_json(body="Held one.")).get_json()["id"]
    assert client.post(f"/api/moderation/comments/{held}/helpful", headers=auth).status_code == 409
    assert client.post("/api/moderation/comments/cnope/helpful", headers=auth).status_code == 404
    published = _published(client, auth)
    bad = client.post(f"/api/moderation/comments/{published}/rewarded", headers=auth, json={"label": "a\nb"})
    assert bad.status_code == 422 and "label" in bad.get_json()["errors"]
    assert client.post(f"/api/moderation/comments/{published}/rewarded", headers=auth,
                       json={"label": "x" * 61}).status_code == 422
    assert client.post(f"/api/moderation/comments/{published}/rewarded", headers=auth, json={}).status_code == 400
    assert client.post(f"/api/moderation/comments/{published}/helpful", headers=auth,
                       json={"helpful": "yes"}).status_code == 400
    assert client.post(f"/api/moderation/comments/{published}/helpful").status_code == 401
