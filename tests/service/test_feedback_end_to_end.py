"""Status changes, merges and votes travel from the API to the item's file to the rebuilt page (real Pelican)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import func, select

from cluetrain.build import BuildError, build_site, load_settings
from comments_service import RebuildFailed, create_app
from comments_service.models import BuildOutcome, SiteBuild
from tests.live_service import make_project
from tests.service.feedback_fixtures import feedback_json, token_headers

pytestmark = pytest.mark.slow
WAIT = 60.0  # a bound on waiting for real builds, not a speed assertion
SITE = "http://127.0.0.1:8000"


class FullBuilder:
    """A Builder that runs a whole Pelican build for every change (the resident builder's fallback, alone)."""

    def __init__(self, project_root: Path) -> None:
        self.project_root = project_root

    def rebuild(self, changed) -> None:  # noqa: ARG002 - a full build covers every change
        try:
            build_site(load_settings(self.project_root))
        except BuildError as exc:
            raise RebuildFailed("; ".join(exc.problems)) from exc


@pytest.fixture
def live(tmp_path: Path):
    """The service on a real project, rebuilding the site with Pelican after every change."""
    project = make_project(tmp_path)
    (project / "rules.toml").write_text("[spam]\nmin_fill_seconds = 0\n[limits]\nflood_seconds = 0\n",
                                        encoding="utf-8")
    FullBuilder(project).rebuild([])
    app = create_app({"PROJECT_ROOT": str(project), "RULES_FILE": str(project / "rules.toml"),
                      "PUBLISH_POLL_SECONDS": 0, "REBUILD_DELAY_SECONDS": 0}, builder=FullBuilder(project))
    yield app, project
    app.extensions["cluetrain"].stop()
    app.extensions["cluetrain_db"].dispose()


def builds(app) -> int:
    with app.extensions["cluetrain"].database.read() as session:
        return session.scalar(select(func.count()).select_from(SiteBuild).where(SiteBuild.outcome == BuildOutcome.OK))


def after_rebuild(app, project: Path, change):
    """Run ``change`` and wait for the build it causes; the change's result."""
    before = builds(app)
    result = change()
    deadline = time.monotonic() + WAIT
    while builds(app) <= before:
        assert time.monotonic() < deadline, "no rebuild happened"
        time.sleep(0.05)
    return result


def page(project: Path, item_id: int) -> lxml.html.HtmlElement:
    [folder] = (project / "output" / "feedback").glob(f"{item_id}-*")
    return lxml.html.parse(str(folder / "index.html")).getroot()


def test_status_change_and_merge_reach_the_rebuilt_pages(live):
    app, project = live
    client, auth = app.test_client(), token_headers(app)
    ids = []
    for fields in (feedback_json(title="Dark mode"), feedback_json(title="Night theme", body="Darker, please.")):
        item = client.post("/api/feedback", json=fields).get_json()
        after_rebuild(app, project, lambda i=item: client.post(f"/api/moderation/feedback/{i['id']}/approve",
                                                                headers=auth))
        ids.append(item["id"])
    original, duplicate = ids
    receipt = client.get(f"/api/feedback/receipts/{item['receipt_url'].rsplit('/', 1)[1]}").get_json()
    assert receipt["status"] == "published" and receipt["permalink"].endswith(f"/feedback/{duplicate}-night-theme/")

    after_rebuild(app, project, lambda: client.post(
        f"/api/moderation/feedback/{original}/status", headers=auth,
        json={"status": "planned", "answer": "Coming in *3.2*.", "by": "Priya Natarajan"}))
    shown = page(project, original)
    assert shown.xpath('string(//header[@class="fb-page-header"]//a[contains(@class, "fb-status")])') == "Planned"
    assert shown.xpath('string(//section[@id="answer"]//*[@class="fb-answer-author"])') == "Priya Natarajan"
    assert shown.xpath('//section[@id="answer"]//em/text()') == ["3.2"]
    roadmap = lxml.html.parse(str(project / "output/feedback/roadmap/index.html")).getroot()
    assert roadmap.xpath('//section[contains(@class, "fb-column-planned")]//li/@data-id') == [str(original)]

    comment = client.post("/api/comments", json={"thread": f"feedback-{duplicate}", "author": "Bo",
                                                 "body": "Me too!"}).get_json()
    after_rebuild(app, project, lambda: client.post(f"/api/moderation/comments/{comment['id']}/approve",
                                                    headers=auth))
    client.post(f"/api/feedback/{duplicate}/vote", json={"voter": "v" * 20})
    after_rebuild(app, project, lambda: client.post(f"/api/moderation/feedback/{duplicate}/merge", headers=auth,
                                                    json={"into": original}))
    merged = page(project, duplicate)
    assert merged.xpath('//p[contains(@class, "fb-merged")]/a/@href') == [
        f"{SITE}/feedback/{original}-dark-mode/"]
    shown = page(project, original)
    assert shown.xpath(f'//article[@id="comment-{comment["id"]}"]')  # the comment followed
    assert shown.xpath('string(//header[@class="fb-page-header"]//*[@data-votes])') == "1"  # so did the vote
    threads = {t["key"]: t for t in json.loads((project / "output/threads.json").read_text())["threads"]}
    assert threads[f"feedback-{duplicate}"]["status"] == "closed"
    assert threads[f"feedback-{original}"]["comments"] == 1
