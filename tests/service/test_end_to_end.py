"""The real thing: `cluetrain serve` on 127.0.0.1 with a real Pelican build; form → approve → on the page."""

from __future__ import annotations

import urllib.parse
import urllib.request
from pathlib import Path

import lxml.html
import pytest

from tests.live_service import Service, free_port, make_project

pytestmark = pytest.mark.slow


@pytest.fixture
def service(tmp_path: Path):
    """The shared one-post project, a second post, and the real service on a free port."""
    project = make_project(tmp_path)
    (project / "content" / "posts" / "second.md").write_text(
        "Title: Second\nDate: 2026-01-02 10:00\nSlug: second\n\nMore.\n", encoding="utf-8")
    running = Service(project, free_port())
    running.start()
    yield running
    running.stop()


def test_comment_travels_from_the_built_page_to_the_built_page(service: Service):
    base = service.url
    page = lxml.html.fromstring(service.text("/posts/hello/"))
    form = page.xpath('//form[@method="post" and .//input[@name="thread"]]')
    assert len(form) == 1, "the post page should carry one comment form"
    fields = {i.get("name"): i.get("value", "") for i in form[0].xpath(".//input[@name]|.//textarea[@name]")}
    assert fields["thread"] == "hello"
    fields |= {"author": "Ada Lovelace", "email": "ada@example.org", "body": "An *end-to-end* comment."}
    action = urllib.parse.urljoin(f"{base}/posts/hello/", form[0].get("action") or "")
    request = urllib.request.Request(action, data=urllib.parse.urlencode(fields).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:  # follows the 303 to the receipt
        receipt_url = response.url
        receipt_page = response.read().decode()
    assert "/receipts/" in receipt_url and "end-to-end" in receipt_page
    receipt_path = urllib.parse.urlsplit(receipt_url).path
    receipt = service.json(receipt_path)
    assert receipt["status"] == "awaiting_moderation"

    token = service.cli("token", "create").strip().splitlines()[-1]
    approved = service.json(f"/api/moderation/comments/{receipt['id']}/approve", method="POST", token=token)
    assert approved["status"] == "approved"

    service.wait_for(lambda: service.json(receipt_path)["status"] == "published", "the receipt to say published")
    built = service.text("/posts/hello/")
    comment = lxml.html.fromstring(built).get_element_by_id(f"comment-{receipt['id']}")
    assert "end-to-end" in comment.text_content() and "Ada Lovelace" in comment.text_content()
    assert "ada@example.org" not in built
    assert (service.project / "content" / "comments" / "hello" / f"{receipt['id']}.md").is_file()
