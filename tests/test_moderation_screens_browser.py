"""Visitor text in the moderator's screens and on receipts, in Chromium, against the real service.

The public XSS payload lists go in through the JSON API as names and comment bodies; the
moderator logs in and pages through the whole queue; nothing may run, and no dangerous DOM
may be left, in the screens where a moderator reads what visitors wrote.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
from pathlib import Path

import pytest

from .live_service import Service, free_port, make_project
from .xss_harness import payloads, visit

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
RULES = """
[limits]
flood_seconds = 0
rate_limit_count = 0
[spam]
min_fill_seconds = 0
"""


@pytest.fixture
def service(tmp_path: Path):
    project = make_project(tmp_path)
    (project / "rules.toml").write_text(RULES, encoding="utf-8")
    running = Service(project, free_port())
    running.start()
    running.cli("moderator", "add", "mod", "--password-stdin", stdin=PASSWORD + "\n")
    yield running
    running.stop()


def submit_all(service: Service) -> list[str]:
    """Every payload as a body, and as the name where the service takes it as one; receipt paths."""
    receipts = []
    for index, payload in enumerate(payloads()):
        for author in (payload[:245], f"visitor {index}"):
            try:
                answer = service.json("/api/comments", method="POST",
                                      body={"thread": "hello", "author": author, "body": payload})
            except urllib.error.HTTPError as error:
                if error.code in (400, 422):
                    continue  # refused as a name (or as a body, e.g. control characters): try the next way
                if error.code == 409:
                    break  # the corpus repeats itself; the duplicate rule refuses the second copy
                raise
            receipts.append(urllib.parse.urlsplit(answer["receipt_url"]).path)
            break
    return receipts


def test_visitor_text_never_runs_in_the_moderation_queue_or_on_receipts(browser, service):
    receipts = submit_all(service)
    assert len(receipts) > 900

    context = browser.new_context(java_script_enabled=True)
    login = context.new_page()
    login.goto(service.url + "/moderate/login")
    login.fill("input[name=username]", "mod")
    login.fill("input[name=password]", PASSWORD)
    login.click("button[type=submit]")
    login.wait_for_url(service.url + "/moderate/**")
    login.close()

    failures = {}
    for offset in range(0, len(receipts), 50):
        url = f"{service.url}/moderate/?status=pending&offset={offset}"
        executed, found = visit(browser, url, ".comment-body", context=context)
        if executed or found:
            failures[url] = (executed[:3], found[:3])
    for path in receipts[::20]:
        executed, found = visit(browser, service.url + path, "main")
        if executed or found:
            failures[path] = (executed[:3], found[:3])
    context.close()
    assert failures == {}
