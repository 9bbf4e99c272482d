"""With the resident builder, an approved item and a status change reach the pages without a full build."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from cluetrain.incremental import IncrementalBuilder, UpdateMode
from comments_service import create_app
from tests.live_service import make_project
from tests.service.feedback_fixtures import feedback_json, token_headers
from tests.service.test_feedback_end_to_end import after_rebuild, page

pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path: Path):
    """The service on a real project, with the resident (incremental) builder after one full build."""
    project = make_project(tmp_path)
    (project / "rules.toml").write_text("[spam]\nmin_fill_seconds = 0\n[limits]\nflood_seconds = 0\n",
                                        encoding="utf-8")
    builder = IncrementalBuilder(project)
    builder.site.full_build("start")
    app = create_app({"PROJECT_ROOT": str(project), "RULES_FILE": str(project / "rules.toml"),
                      "PUBLISH_POLL_SECONDS": 0, "REBUILD_DELAY_SECONDS": 0}, builder=builder)
    yield app, project, builder
    app.extensions["cluetrain"].stop()
    app.extensions["cluetrain_db"].dispose()


def test_an_approved_item_and_its_status_change_are_incremental_updates(live):
    app, project, builder = live
    client, auth = app.test_client(), token_headers(app)
    item = client.post("/api/feedback", json=feedback_json(title="Dark mode")).get_json()
    after_rebuild(app, project, lambda: client.post(f"/api/moderation/feedback/{item['id']}/approve", headers=auth))
    assert builder.last_report.mode is UpdateMode.INCREMENTAL, builder.last_report.reason
    assert page(project, item["id"]).xpath('string(//h1)') == "Dark mode"

    after_rebuild(app, project, lambda: client.post(f"/api/moderation/feedback/{item['id']}/status", headers=auth,
                                                    json={"status": "planned", "by": "Priya Natarajan"}))
    assert builder.last_report.mode is UpdateMode.INCREMENTAL, builder.last_report.reason
    shown = page(project, item["id"])
    assert shown.xpath('string(//header[@class="fb-page-header"]//a[contains(@class, "fb-status")])') == "Planned"
    roadmap = lxml.html.parse(str(project / "output/feedback/roadmap/index.html")).getroot()
    assert roadmap.xpath('//section[contains(@class, "fb-column-planned")]//li/@data-id') == [str(item["id"])]


def test_a_merge_with_comments_is_one_incremental_update(live):
    app, project, builder = live
    client, auth = app.test_client(), token_headers(app)
    ids = []
    for title, body in (("Dark mode", "Dark, please."), ("Night theme", "Darker, please.")):
        item = client.post("/api/feedback", json=feedback_json(title=title, body=body)).get_json()
        after_rebuild(app, project, lambda i=item: client.post(f"/api/moderation/feedback/{i['id']}/approve",
                                                                headers=auth))
        ids.append(item["id"])
    original, duplicate = ids
    comment = client.post("/api/comments", json={"thread": f"feedback-{duplicate}", "author": "Bo",
                                                 "body": "Me too!"}).get_json()
    after_rebuild(app, project, lambda: client.post(f"/api/moderation/comments/{comment['id']}/approve",
                                                    headers=auth))
    after_rebuild(app, project, lambda: client.post(f"/api/moderation/feedback/{duplicate}/merge", headers=auth,
                                                    json={"into": original}))
    assert builder.last_report.mode is UpdateMode.INCREMENTAL, builder.last_report.reason
    assert page(project, duplicate).xpath('//p[contains(@class, "fb-merged")]/a/@href')
    assert page(project, original).xpath(f'//article[@id="comment-{comment["id"]}"]')
