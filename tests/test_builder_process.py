"""`cluetrain builder` as real processes on one SQLite file: one active builder, takeover, nothing lost."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import lxml.html
import pytest

from tests.builder_helpers import FAST_LEASE, RELAXED_RULES, BuilderRun
from tests.live_service import STARTUP_SECONDS, Service, cluetrain_command, free_port, make_project

pytestmark = pytest.mark.slow

def query(project: Path, sql: str) -> list[tuple]:
    path = project / "instance" / "comments.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path, timeout=30) as db:
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError:  # the table does not exist before the first migration
            return []


def lease_holder(project: Path) -> str | None:
    rows = query(project, "SELECT holder FROM builder_leases")
    return rows[0][0] if rows else None


def good_builds(project: Path) -> int:
    return query(project, "SELECT count(*) FROM site_builds WHERE outcome = 'ok'")[0][0] if lease_holder(project) \
        else 0


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = make_project(tmp_path)
    (project / "rules.toml").write_text(RELAXED_RULES, encoding="utf-8")
    return project


@pytest.fixture
def builders():
    running: list[BuilderRun] = []
    yield running
    for builder in running:
        builder.stop()


def test_one_builder_is_active_and_another_takes_over_when_it_dies(project: Path, builders):
    service = Service(project, free_port(), settings=FAST_LEASE)  # only for its environment and URL
    first = BuilderRun(service, "first")
    builders.append(first)
    first.wait_for(lambda: "builder ready" in first.text(), "the first builder's first build")
    assert f":{first.process.pid}:" in lease_holder(project)
    builds_by_first = good_builds(project)
    assert builds_by_first >= 1

    second = BuilderRun(service, "second")
    builders.append(second)
    second.wait_for(lambda: "another builder is active" in second.text(), "the second builder to stand by")
    # Still the first one's: the standby neither took the lease nor built.
    assert f":{first.process.pid}:" in lease_holder(project)
    assert "holds the builder lease" not in second.text() and "builder ready" not in second.text()

    first.kill()  # no clean release: the second must wait for the lease to expire
    second.wait_for(lambda: "builder ready" in second.text(), "the second builder to take over and build")
    assert f":{second.process.pid}:" in lease_holder(project)
    assert good_builds(project) > builds_by_first


def submit(service: Service, author: str, body: str) -> str:
    """Post the comment form on the built page; returns the receipt's path."""
    page = lxml.html.fromstring(service.text("/posts/hello/"))
    form = page.xpath('//form[@method="post" and .//input[@name="thread"]]')[0]
    fields = {i.get("name"): i.get("value", "") for i in form.xpath(".//input[@name]|.//textarea[@name]")}
    fields |= {"author": author, "email": f"{author.lower()}@example.org", "body": body}
    action = urllib.parse.urljoin(f"{service.url}/posts/hello/", form.get("action") or "")
    request = urllib.request.Request(action, data=urllib.parse.urlencode(fields).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return urllib.parse.urlsplit(response.url).path


# Workers that write approved files at once, and workers that leave it to the builder's reconcile.
@pytest.mark.parametrize("workers_publish", [True, False], ids=["workers-write-files", "builder-writes-files"])
def test_a_restarted_builder_publishes_what_was_approved_while_it_was_down(project: Path, builders,
                                                                          workers_publish: bool):
    publishing = {} if workers_publish else {"CLUETRAIN_PUBLISH_ON_COMMIT": "false",
                                             "CLUETRAIN_PUBLISH_POLL_SECONDS": "0"}
    service = Service(project, free_port(), settings=FAST_LEASE | publishing)
    first = BuilderRun(service, "first")
    builders.append(first)
    first.wait_for(lambda: "builder ready" in first.text(), "the first build")
    service.start()  # workers without a builder of their own (EMBEDDED_BUILDER = false)
    try:
        first.kill()  # mid-batch: the approvals below are recorded, but nothing builds them yet
        token = service.cli("token", "create").strip().splitlines()[-1]
        receipts = [submit(service, name, f"Comment from {name}.") for name in ("Ada", "Grace")]
        ids = [service.json(path)["id"] for path in receipts]
        for comment_id in ids:
            service.json(f"/api/moderation/comments/{comment_id}/approve", method="POST", token=token)
        assert [service.json(path)["status"] for path in receipts] == ["publishing", "publishing"]
        written = [(project / "content" / "comments" / "hello" / f"{i}.md").is_file() for i in ids]
        assert written == [workers_publish] * 2
        page = service.text("/posts/hello/")
        assert all(f"comment-{comment_id}" not in page for comment_id in ids)

        second = BuilderRun(service, "second")
        builders.append(second)
        service.wait_for(lambda: all(service.json(path)["status"] == "published" for path in receipts),
                         "the receipts to say published")
        page = lxml.html.fromstring(service.text("/posts/hello/"))
        for comment_id, name in zip(ids, ("Ada", "Grace"), strict=True):
            assert f"Comment from {name}." in page.get_element_by_id(f"comment-{comment_id}").text_content()
    finally:
        service.stop()


def test_serve_with_its_embedded_builder_is_the_one_active_builder(project: Path, builders):
    lease_only = {k: v for k, v in FAST_LEASE.items() if k != "CLUETRAIN_EMBEDDED_BUILDER"}
    service = Service(project, free_port(), settings=lease_only)
    service.start()
    try:
        standby = BuilderRun(service, "standby")
        builders.append(standby)
        standby.wait_for(lambda: "another builder is active" in standby.text(), "the builder to stand by")
        assert "builder ready" not in standby.text()
    finally:
        service.stop()  # Ctrl-C hands the lease over
    standby.wait_for(lambda: "builder ready" in standby.text(), "the builder to take over from serve")

    refused = subprocess.run([*cluetrain_command(), "--project", str(project), "serve", "--port", str(free_port())],
                             env=service.env(), capture_output=True, text=True, timeout=STARTUP_SECONDS)
    assert refused.returncode != 0 and "another builder is active" in refused.stderr


def _gunicorn(service: Service, workers: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        gunicorn = Path(shutil.which("gunicorn") or "gunicorn")
    with service.log.open("a") as log:
        # The README's production command: sync workers.
        return subprocess.Popen([str(gunicorn), "-w", str(workers), "-b",
                                 f"127.0.0.1:{service.port}", "cluetrain.cli:wsgi_app()"], env=service.env(),
                                cwd=service.project, stdout=log, stderr=subprocess.STDOUT)


def _healthy(service: Service) -> bool:
    try:
        with urllib.request.urlopen(service.url + "/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        time.sleep(0.1)
        return False


def _worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return {int(pid) for pid in children.read_text().split()} if children.exists() else set()


def test_gunicorn_workers_and_a_separate_builder(project: Path, builders):
    """The production shape: `gunicorn -w 2 'cluetrain.cli:wsgi_app()'` without builders, one `cluetrain builder`."""
    # A poll far longer than the test waits: the approval reaches the page because the worker rings the builder.
    service = Service(project, free_port(), settings=FAST_LEASE | {"CLUETRAIN_BUILDER_POLL_SECONDS": "600"})
    builder = BuilderRun(service, "production")
    builders.append(builder)
    builder.wait_for(lambda: "builder ready" in builder.text(), "the first build")
    assert "woken at once by workers on this host" in builder.text()
    service.process = _gunicorn(service, workers=2)

    try:
        service.wait_for(lambda: _healthy(service), "gunicorn to answer /healthz")
        token = service.cli("token", "create").strip().splitlines()[-1]
        receipt = submit(service, "Linus", "Through gunicorn.")
        comment_id = service.json(receipt)["id"]
        service.json(f"/api/moderation/comments/{comment_id}/approve", method="POST", token=token)
        service.wait_for(lambda: service.json(receipt)["status"] == "published", "the receipt to say published")
        page = lxml.html.fromstring(service.text("/posts/hello/"))
        assert "Through gunicorn." in page.get_element_by_id(f"comment-{comment_id}").text_content()
        assert "holds the builder lease" in builder.text()  # gunicorn's workers never took it
        assert f":{builder.process.pid}:" in lease_holder(project)
    finally:
        service.process.send_signal(signal.SIGTERM)
        service.process.wait(timeout=30)


def test_gunicorn_workers_with_embedded_builders_elect_one_and_another_takes_over(project: Path):
    """`gunicorn -w 2 'cluetrain.cli:wsgi_app()'` as it comes (EMBEDDED_BUILDER on): one worker builds."""
    embedded = {k: v for k, v in FAST_LEASE.items() if k != "CLUETRAIN_EMBEDDED_BUILDER"}
    service = Service(project, free_port(), settings=embedded)
    service.process = _gunicorn(service, workers=2)

    def published(receipt: str) -> bool:
        try:
            return service.json(receipt)["status"] == "published"
        except OSError:  # a worker is being replaced
            return False

    try:
        service.wait_for(lambda: _healthy(service), "gunicorn to answer /healthz")
        service.wait_for(lambda: lease_holder(project) is not None and good_builds(project) >= 1, "a first build")
        holder = lease_holder(project)
        workers = _worker_pids(service.process.pid)
        assert len(workers) == 2 and sum(f":{pid}:" in holder for pid in workers) == 1  # one worker, not both
        token = service.cli("token", "create").strip().splitlines()[-1]
        receipt = submit(service, "Linus", "Through an elected worker.")
        comment_id = service.json(receipt)["id"]
        service.json(f"/api/moderation/comments/{comment_id}/approve", method="POST", token=token)
        service.wait_for(lambda: published(receipt), "the receipt to say published")
        page = lxml.html.fromstring(service.text("/posts/hello/"))
        assert "Through an elected worker." in page.get_element_by_id(f"comment-{comment_id}").text_content()

        building = next(pid for pid in workers if f":{pid}:" in holder)
        os.kill(building, signal.SIGKILL)  # no clean hand-over: the other worker takes over when the lease runs out
        service.wait_for(lambda: (now := lease_holder(project)) is not None and f":{building}:" not in now,
                         "another worker to take the builder lease")
        receipt = submit(service, "Grace", "After the takeover.")
        comment_id = service.json(receipt)["id"]
        service.json(f"/api/moderation/comments/{comment_id}/approve", method="POST", token=token)
        service.wait_for(lambda: published(receipt), "the new builder to publish")
        assert "After the takeover." in service.text("/posts/hello/")
    finally:
        service.process.send_signal(signal.SIGTERM)
        service.process.wait(timeout=60)
