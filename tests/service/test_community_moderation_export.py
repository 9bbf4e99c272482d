"""The moderation-stats export: monthly counts from the database, numbers only, read back by the format."""

from __future__ import annotations

from cluetrain.content_format.moderation_stats import read_moderation_stats
from comments_service.moderation_export import export_moderation_stats

from .conftest import comment_json


def test_export_counts_held_published_and_spam_without_personal_data(client, app, auth, project):
    held = client.post("/api/comments", json=comment_json()).get_json()["id"]
    client.post("/api/comments", json=comment_json(author="Bo", email="bo@example.org", body="Other.", hp="x"))
    assert client.post(f"/api/moderation/comments/{held}/approve", headers=auth).status_code == 200
    database = app.extensions["cluetrain"].database
    assert export_moderation_stats(database, project / "content", "stats/moderation.json")
    [month] = read_moderation_stats(project / "content")
    assert (month.published, month.held, month.spam, month.rejected) == (1, 1, 1, 0)
    text = (project / "content" / "stats" / "moderation.json").read_text()
    assert "example.org" not in text and "Ada" not in text
    assert not export_moderation_stats(database, project / "content", "stats/moderation.json")  # unchanged
