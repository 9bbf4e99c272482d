"""The comment form in headless Chromium against the real service (`cluetrain serve` in a subprocess).

With JavaScript (theme/static/js/comments.js): drafts, remembered identity, field errors, the
visitor's own pending comment until its receipt settles, replies, hostile text. Without
JavaScript: the plain form POST lands on the receipt page.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cluetrain.content_format import Comment, write_comment

from .live_service import Service, free_port

pytestmark = pytest.mark.slow

POST = "/posts/hello/"
EXISTING = "cgrace0000001"  # a published comment on "hello", for the reply link
# No flood or rate limits (tests post quickly from one IP); a short minimum fill time, so a
# test can tell that the script's form token arrived (rule "default" instead of "fill_time").
RULES = """
[limits]
flood_seconds = 0
rate_limit_count = 0
[spam]
min_fill_seconds = 1
[approve]
addresses = ["staff@example.org"]
"""
MIN_FILL = 1.2
# Any way a payload could show that it ran.
TRAP = """
window.__ran = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__ran.push(name + ":" + String(args[0])); };
}
"""
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def service(project: Path):
    """The real service on a free port, its database and instance folder inside the temp project."""
    (project / "rules.toml").write_text(RULES, encoding="utf-8")
    (project / "content" / "posts" / "second.md").write_text(
        "Title: Second\nDate: 2026-01-02 10:00\nSlug: second\n\nMore.\n", encoding="utf-8")
    write_comment(project / "content", Comment(
        id=EXISTING, thread="hello", author="Grace Hopper", body="First!",
        date=datetime(2026, 1, 5, tzinfo=timezone.utc)))
    running = Service(project, free_port())
    running.start()
    yield running
    running.stop()


@pytest.fixture
def context(browser):
    """A browser profile: its pages share localStorage, like one visitor's tabs."""
    ctx = browser.new_context(java_script_enabled=True)
    ctx.add_init_script(TRAP)
    ctx.problems = []  # script errors and dialogs on any of its pages
    yield ctx
    problems = ctx.problems + [ran for page in ctx.pages for ran in page.evaluate("window.__ran || []")]
    ctx.close()
    assert problems == [], "the page ran something it should not have, or the script failed"


def open_post(context, service: Service, path: str = POST):
    """A new tab on the post, once the script has set the form up (key and token)."""
    page = context.new_page()
    page.ran = []
    for seen in (page.ran, context.problems):
        page.on("dialog", lambda dialog, seen=seen: seen.append("dialog:" + dialog.message))
        page.on("pageerror", lambda error, seen=seen: seen.append("pageerror:" + str(error)))
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.goto(service.url + path)
    wait_ready(page)
    return page


def wait_ready(page) -> None:
    page.wait_for_function("""() => {
        const form = document.querySelector("form#comment-form");
        return form && form.elements.idempotency_key.value && form.elements.form_token.value;
    }""")


def wait_saved(page, body: str) -> None:
    """Until the (debounced) draft holds ``body``."""
    page.wait_for_function("(body) => (JSON.parse(localStorage.getItem('cluetrain:draft:hello')) || {}).body === body", arg=body)


def values(page) -> dict[str, str]:
    return page.evaluate("""() => {
        const form = document.querySelector("form#comment-form");
        return Object.fromEntries([...form.elements].filter((e) => e.name).map((e) => [e.name, e.value]));
    }""")


def storage(page, key: str):
    return page.evaluate("(key) => JSON.parse(localStorage.getItem('cluetrain:' + key))", key)


def pending(page):
    return page.locator("article.comment.is-pending")


def send(page) -> None:
    page.click("#comment-form button[type=submit]")


def test_draft_is_restored_after_a_reload(context, service):
    page = open_post(context, service)
    page.fill("#comment-author", "Ada Lovelace")
    page.fill("#comment-body", "Half a thought")
    page.reload()
    wait_ready(page)
    assert values(page)["author"] == "Ada Lovelace"
    assert values(page)["body"] == "Half a thought"
    # A fresh tab has no form state of the browser's own: the script restores it.
    other = open_post(context, service)
    assert (values(other)["author"], values(other)["body"]) == ("Ada Lovelace", "Half a thought")
    assert storage(other, "draft:hello")["body"] == "Half a thought"
    # Drafts belong to their thread; the identity follows the visitor everywhere.
    second = open_post(context, service, "/posts/second/")
    assert (values(second)["author"], values(second)["body"]) == ("Ada Lovelace", "")


def test_refused_send_shows_errors_by_their_fields_and_keeps_everything(context, service):
    page = open_post(context, service)
    typed = {"author": "Ada Lovelace", "email": "ada@localhost", "website": "https://ada.example.org/"}
    for name, value in typed.items():
        page.fill(f"#comment-{name}", value)
    # Longer than the service accepts (maxlength stops typing, not a pasted script value).
    long_body = "x" * 65_526
    page.eval_on_selector("#comment-body", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", long_body)
    send(page)
    page.wait_for_selector(".form-status.is-error")
    email_error = page.locator("#comment-email-error.field-error")
    body_error = page.locator("#comment-body-error.field-error")
    assert "e-mail address" in email_error.inner_text()
    assert "65,526 characters" in body_error.inner_text()
    assert page.get_attribute("#comment-email", "aria-invalid") == "true"
    assert "comment-email-error" in page.get_attribute("#comment-email", "aria-describedby").split()
    assert page.get_attribute("#comment-body", "aria-describedby").split() == ["comment-body-note", "comment-body-error"]
    assert "Please fix the marked fields." in page.inner_text(".form-status")
    assert page.evaluate("document.activeElement.id") == "comment-email"  # the first field to fix
    assert {k: values(page)[k] for k in typed} == typed and values(page)["body"] == long_body
    assert service.comments() == []  # nothing stored
    # Fixing a field clears its error.
    page.fill("#comment-email", "ada@example.org")
    assert email_error.count() == 0 and page.get_attribute("#comment-email", "aria-invalid") is None
    page.fill("#comment-email", "ada@localhost")
    other = open_post(context, service)
    assert {k: values(other)[k] for k in typed} == typed and values(other)["body"] == long_body


def test_service_down_then_back_keeps_the_comment_until_it_is_confirmed(context, service):
    page = open_post(context, service)
    page.fill("#comment-author", "Ada Lovelace")
    page.fill("#comment-body", "Sent while the service restarts")
    key = values(page)["idempotency_key"]
    # A 503 from a busy service, then no service at all.
    page.route("**/api/comments", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "The comment service is restarting or busy.", "errors": {}})))
    send(page)
    page.wait_for_selector(".form-status.is-error")
    assert "restarting or busy" in page.inner_text(".form-status")
    assert "still here" in page.inner_text(".form-status")
    page.unroute("**/api/comments")
    service.stop()
    send(page)
    page.wait_for_function("document.querySelector('.form-status').textContent.includes('could not be reached')")
    assert page.is_enabled("#comment-form button[type=submit]")
    assert values(page)["body"] == "Sent while the service restarts"
    assert storage(page, "draft:hello")["body"] == "Sent while the service restarts"
    service.start()
    page.reload()
    wait_ready(page)
    assert values(page)["body"] == "Sent while the service restarts"
    assert values(page)["idempotency_key"] == key  # the same comment, so the same key
    time.sleep(MIN_FILL)
    posts = []
    page.on("request", lambda r: posts.append(r) if r.url.endswith("/api/comments") and r.method == "POST" else None)
    # Two submits in a row (Enter pressed twice): one request, the button disabled meanwhile.
    disabled = page.evaluate("""() => {
        const form = document.querySelector('#comment-form');
        form.requestSubmit();
        form.requestSubmit();
        return form.querySelector('button[type=submit]').disabled;
    }""")
    assert disabled
    pending(page).wait_for()
    assert len(posts) == 1 and posts[0].headers["idempotency-key"] == key
    assert [row["body"] for row in service.comments()] == ["Sent while the service restarts"]


def test_confirmed_send_shows_the_pending_comment_and_clears_the_draft(context, service):
    page = open_post(context, service)
    page.fill("#comment-author", "Ada Lovelace")
    page.fill("#comment-body", "A *first* comment")
    key = values(page)["idempotency_key"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    time.sleep(MIN_FILL)
    with page.expect_request(lambda r: r.url.endswith("/api/comments") and r.method == "POST") as sent:
        send(page)
    assert sent.value.headers["idempotency-key"] == key
    card = pending(page)
    card.wait_for()
    assert card.locator(".pending-badge").inner_text() == "Awaiting moderation"
    assert card.locator(".comment-author").inner_text() == "Ada Lovelace"
    assert card.locator(".comment-body em").inner_text() == "first"  # the service's sanitized HTML
    assert re.fullmatch(re.escape(service.url) + r"/receipts/[\w-]+", card.locator("a.comment-receipt").get_attribute("href"))
    assert page.locator(".comment-list > article.comment.is-pending").count() == 1  # in the thread
    assert "awaiting moderation" in page.inner_text(".form-status.is-ok")
    assert page.evaluate("document.activeElement.classList.contains('is-pending')")
    assert values(page)["body"] == "" and values(page)["author"] == "Ada Lovelace"
    assert values(page)["idempotency_key"] not in ("", key)
    assert storage(page, "draft:hello") is None
    [row] = service.comments()
    assert (row["status"], row["rule"]) == ("pending", "default")  # the form token counted

    for again in (page, open_post(context, service)):
        if again is page:
            page.reload()
            wait_ready(page)
        pending(again).wait_for()
        assert pending(again).count() == 1
        assert values(again)["body"] == "" and values(again)["author"] == "Ada Lovelace"
        assert pending(again).locator(".comment-body em").inner_text() == "first"


def test_name_is_remembered_on_another_visit(browser, context, service):
    page = open_post(context, service)
    page.fill("#comment-author", "Ada Lovelace")
    page.fill("#comment-email", "ada@example.org")
    page.fill("#comment-website", "https://ada.example.org/")
    page.fill("#comment-body", "Hello")
    time.sleep(MIN_FILL)
    send(page)
    pending(page).wait_for()
    page.close()
    later = open_post(context, service, "/posts/second/")
    assert {k: values(later)[k] for k in ("author", "email", "website", "body")} == {
        "author": "Ada Lovelace", "email": "ada@example.org", "website": "https://ada.example.org/", "body": ""}
    assert pending(later).count() == 0  # pending comments stay on their own thread
    # Another browser profile knows nothing.
    stranger = browser.new_context()
    stranger.problems = []
    fresh = open_post(stranger, service)
    assert values(fresh)["author"] == ""
    stranger.close()


def test_reply_link_moves_the_form_and_sets_the_parent(context, service):
    page = open_post(context, service)
    existing = page.locator(f"#comment-{EXISTING}")
    page.click(f"#comment-{EXISTING} a.comment-reply")
    assert page.locator(f"#comment-{EXISTING} > form#comment-form").count() == 1
    assert values(page)["parent"] == EXISTING
    assert page.inner_text(".form-replying") == "Replying to Grace Hopper — cancel"
    assert page.evaluate("document.activeElement.id") == "comment-body"
    page.click(".form-replying button")
    assert existing.locator("form#comment-form").count() == 0
    assert values(page)["parent"] == "" and page.locator(".form-replying").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('comment-reply')")

    # A reply in progress survives a reload, still under its comment.
    page.click(f"#comment-{EXISTING} a.comment-reply")
    page.fill("#comment-author", "Ada Lovelace")
    page.fill("#comment-body", "Replying to Grace")
    wait_saved(page, "Replying to Grace")
    other = open_post(context, service)
    assert other.locator(f"#comment-{EXISTING} > form#comment-form").count() == 1
    assert values(other)["parent"] == EXISTING and values(other)["body"] == "Replying to Grace"
    time.sleep(MIN_FILL)
    send(other)
    reply = other.locator(f"#comment-{EXISTING} > .replies > article.comment.is-pending")
    reply.wait_for()
    assert reply.get_attribute("data-depth") == "1"
    assert other.locator(f"#comment-{EXISTING} form#comment-form").count() == 0  # back in place
    assert values(other)["parent"] == ""
    assert [row["parent_id"] for row in service.comments()] == [EXISTING]
    third = open_post(context, service)
    third.locator(f"#comment-{EXISTING} > .replies > article.comment.is-pending").wait_for()


def test_hostile_text_in_the_pending_comment_is_only_text(context, service):
    page = open_post(context, service)
    page.fill("#comment-author", HOSTILE)
    page.fill("#comment-body", f"Look: {HOSTILE} [x](javascript:alert(2))")
    time.sleep(MIN_FILL)
    send(page)
    card = pending(page)
    card.wait_for()
    page.wait_for_timeout(300)  # time for an onerror to fire, were there an image
    assert card.locator(".comment-author").inner_text() == HOSTILE
    assert card.locator("img, script, [onerror]").count() == 0
    assert card.locator("a[href^='javascript']").count() == 0
    assert "Look:" in card.locator(".comment-body").inner_text()
    # Offline later (receipt unreachable): the remembered Markdown is shown, as text.
    context.route("**/api/receipts/**", lambda route: route.abort())
    offline = open_post(context, service)
    card = pending(offline)
    card.wait_for()
    offline.wait_for_timeout(300)
    assert card.locator(".comment-author").inner_text() == HOSTILE
    assert HOSTILE in card.locator(".comment-body").inner_text()
    assert card.locator("img, script, [onerror]").count() == 0
    for visited in (page, offline):
        assert visited.ran == [] and visited.evaluate("window.__ran") == []


def test_pending_comment_is_forgotten_once_published_or_rejected(context, service):
    page = open_post(context, service)
    # Staff are approved at once (201): shown until the static page carries the comment.
    page.fill("#comment-author", "Ada Lovelace")
    page.fill("#comment-email", "staff@example.org")
    page.fill("#comment-body", "Approved at once")
    time.sleep(MIN_FILL)
    with page.expect_response(lambda r: r.url.endswith("/api/comments")) as answer:
        send(page)
    assert answer.value.status == 201
    page.wait_for_selector(".form-status.is-ok")
    shown = page.locator("article.is-pending", has_text="Approved at once")
    if shown.count():  # not yet built: "publishing"
        assert shown.locator(".pending-badge").inner_text() == "Approved — being published"
    # Anyone else waits for a moderator, who says no.
    page.fill("#comment-email", "")
    page.fill("#comment-body", "Reject me")
    send(page)
    page.locator("article.is-pending", has_text="Reject me").wait_for()
    approved, rejected = (row["id"] for row in service.comments())
    token = service.cli("token", "create", "--name", "tests").strip().splitlines()[-1]
    service.json(f"/api/moderation/comments/{rejected}/reject", method="POST", token=token)
    receipts = {p["id"]: p["receipt_url"] for p in storage(page, "pending")}
    assert set(receipts) <= {approved, rejected} and rejected in receipts
    deadline = time.monotonic() + 60
    while f'id="comment-{approved}"' not in service.text(POST):
        assert time.monotonic() < deadline, "the approved comment was not on the page within 60 s"
        time.sleep(0.3)
    later = open_post(context, service)
    later.locator(f"#comment-{approved}").wait_for()  # on the static page now
    later.wait_for_function("JSON.parse(localStorage.getItem('cluetrain:pending')).length === 0")
    assert pending(later).count() == 0
    assert "Reject me" not in later.inner_text("#comments")
    assert later.ran == []


def test_without_javascript_the_form_posts_and_shows_the_receipt(browser, service):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(service.url + POST)
    page.fill("#comment-author", "Ada Lovelace")
    page.fill("#comment-body", "Sent *without* a script")
    with page.expect_navigation():
        send(page)
    assert re.fullmatch(re.escape(service.url) + r"/receipts/[\w-]+", page.url)
    assert page.inner_text("#receipt-status").startswith("Awaiting moderation")
    assert "awaiting moderation" in page.inner_text("body").lower()
    assert page.inner_text("#receipt-html em") == "without"
    assert page.inner_text("#receipt-author") == "Ada Lovelace"
    [row] = service.comments()
    assert (row["status"], row["rule"]) == ("pending", "fill_time")  # no token without JavaScript: held
    context.close()
