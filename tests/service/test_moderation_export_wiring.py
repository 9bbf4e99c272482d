"""The moderation-stats export runs after moderation actions: at once with no delay, once per burst otherwise."""

from __future__ import annotations

import time

from cluetrain.content_format.moderation_stats import read_moderation_stats

from .conftest import comment_json


def _held(client) -> str:
    return client.post("/api/comments", json=comment_json(body=f"Held {time.monotonic_ns()}.")).get_json()["id"]


def test_export_follows_each_action_without_delay(make_app, auth, project):
    app = make_app(MODERATION_STATS_DELAY_SECONDS=0, MODERATION_STATS_PATH="stats/moderation.json")
    client = app.test_client()
    comment_id = _held(client)
    assert not (project / "content" / "stats" / "moderation.json").exists()  # a hold is not an action
    assert client.post(f"/api/moderation/comments/{comment_id}/reject", headers=auth).status_code == 200
    [month] = read_moderation_stats(project / "content")
    assert (month.held, month.rejected, month.published) == (1, 1, 0)


def test_a_burst_of_actions_is_exported_once_after_a_quiet_delay(make_app, auth, project, monkeypatch):
    app = make_app(MODERATION_STATS_DELAY_SECONDS=0.3)
    exporter = app.extensions["cluetrain_moderation_export"]
    calls = []
    original = exporter.export
    monkeypatch.setattr(exporter, "export", lambda: calls.append(time.monotonic()) or original())
    client = app.test_client()
    ids = [_held(client) for _ in range(3)]
    for comment_id in ids:
        assert client.post(f"/api/moderation/comments/{comment_id}/spam", headers=auth).status_code == 200
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    exporter.stop()
    assert len(calls) == 1
    [month] = read_moderation_stats(project / "content")
    assert month.spam == 3


def test_no_path_no_export(make_app):
    app = make_app(MODERATION_STATS_PATH="")
    assert "cluetrain_moderation_export" not in app.extensions
