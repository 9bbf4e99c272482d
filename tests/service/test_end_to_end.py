"""The real thing: `cluetrain serve` on 127.0.0.1 with a real Pelican build; form → approve → on the page."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import lxml.html
import pytest

from tests.service.pg_cluster import free_port

REPO = Path(__file__).resolve().parents[2]
WAIT = 120.0  # bounds on waiting for a real server and real builds; not speed assertions

pytestmark = pytest.mark.slow


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError):
        return 0, b""  # not listening yet


def wait_until(predicate, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        if process.poll() is not None:
            pytest.fail(f"the service exited ({process.returncode}) while waiting for {what}:\n"
                        f"{process.stderr.read()[-3000:]}")
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def site_project(tmp_path: Path) -> Path:
    """pelicanconf.py from the repository, its theme and plugins, and two posts."""
    shutil.copy(REPO / "pelicanconf.py", tmp_path / "pelicanconf.py")
    for folder in ("theme", "plugins"):
        (tmp_path / folder).symlink_to(REPO / folder)
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "hello.md").write_text("Title: Hello\nDate: 2026-01-01 10:00\nSlug: hello\n\nHi there.\n", encoding="utf-8")
    (posts / "second.md").write_text("Title: Second\nDate: 2026-01-02 10:00\nSlug: second\n\nMore.\n", encoding="utf-8")
    return tmp_path


def cluetrain(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["uv", "run", "cluetrain", "--project", str(project), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=True)


def test_comment_travels_from_the_built_page_to_the_built_page(site_project: Path):
    if shutil.which("uv") is None:
        pytest.skip("uv is not on PATH")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["uv", "run", "cluetrain", "--project", str(site_project), "serve", "--port", str(port), "--site-url", base],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_until(lambda: get(f"{base}/healthz")[0] == 200, "/healthz", server)
        status, page = get(f"{base}/posts/hello/")
        assert status == 200
        form = lxml.html.fromstring(page).xpath('//form[@method="post" and .//input[@name="thread"]]')
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
        _, receipt_json = get(receipt_url, {"Accept": "application/json"})
        receipt = json.loads(receipt_json)
        assert receipt["status"] == "awaiting_moderation"

        token = cluetrain(site_project, "token", "create").stdout.strip().splitlines()[-1]
        approve = urllib.request.Request(f"{base}/api/moderation/comments/{receipt['id']}/approve", data=b"",
                                         method="POST", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(approve, timeout=30) as response:
            assert json.loads(response.read())["status"] == "approved"

        def published() -> bool:
            return json.loads(get(receipt_url, {"Accept": "application/json"})[1])["status"] == "published"

        wait_until(published, "the receipt to say published", server)
        _, page = get(f"{base}/posts/hello/")
        comment = lxml.html.fromstring(page).get_element_by_id(f"comment-{receipt['id']}")
        assert "end-to-end" in comment.text_content() and "Ada Lovelace" in comment.text_content()
        assert b"ada@example.org" not in page
        assert (site_project / "content" / "comments" / "hello" / f"{receipt['id']}.md").is_file()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stderr.close()
