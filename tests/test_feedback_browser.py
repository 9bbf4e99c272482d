"""The feedback hub in headless Chromium against the real service: file an idea, vote, with and without JavaScript."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from cluetrain.content_format import FeedbackItem, FeedbackKind, StatusChange, write_feedback

from .live_service import Service, free_port

pytestmark = pytest.mark.slow

RULES = "[limits]\nflood_seconds = 0\nrate_limit_count = 0\n[spam]\nmin_fill_seconds = 0\n"
EXISTING = FeedbackItem(
    id=7, slug="dark-mode-for-reports", kind=FeedbackKind.IDEA, status="planned", title="Dark mode for reports",
    author="Grace", date=datetime(2026, 1, 5, tzinfo=timezone.utc), body="Easier on the eyes at night.", votes=3,
    history=(StatusChange("new", datetime(2026, 1, 5, tzinfo=timezone.utc)),
             StatusChange("planned", datetime(2026, 1, 6, tzinfo=timezone.utc), "Priya")),
)
ITEM_PAGE = f"/feedback/{EXISTING.id}-{EXISTING.slug}/"


@pytest.fixture
def service(project: Path):
    """The real service over a project with one published item (taken in from its file at start)."""
    (project / "rules.toml").write_text(RULES, encoding="utf-8")
    write_feedback(project / "content", EXISTING)
    running = Service(project, free_port())
    running.start()
    yield running
    running.stop()


def open_page(browser, service: Service, path: str, *, javascript: bool):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.goto(service.url + path)
    return page


def fill_idea(page, title: str) -> None:
    page.check('input[name="kind"][value="idea"]')
    page.fill("#feedback-title", title)
    page.fill("#feedback-body", "A report I can *export*.")
    page.fill("#feedback-tags", "reports, export")
    page.fill("#feedback-author", "Ada Lovelace")


def test_filing_an_idea_with_javascript_shows_the_receipt_in_place(browser, service):
    page = open_page(browser, service, "/feedback/", javascript=True)
    page.type("#feedback-title", "Dark mode", delay=20)
    similar = page.locator("#feedback-similar")
    similar.wait_for(state="visible")
    assert similar.locator("a").first.get_attribute("href") == service.url + ITEM_PAGE
    fill_idea(page, "Scheduled PDF reports")
    page.click("#feedback-form button[type=submit]")
    link = page.locator("#feedback-form .form-status a.fb-receipt-link")
    link.wait_for()
    assert page.url == service.url + "/feedback/"  # no navigation
    assert page.input_value("#feedback-title") == ""  # ready for the next one
    link.click()
    page.wait_for_url("**/feedback/receipts/**")
    assert page.get_attribute("#receipt-status", "data-status") == "awaiting_moderation"
    assert page.text_content("h1") == "Your feedback: Scheduled PDF reports"
    assert page.problems == []


def test_filing_an_idea_without_javascript_lands_on_the_receipt(browser, service):
    page = open_page(browser, service, "/feedback/", javascript=False)
    fill_idea(page, "Weekly e-mail summaries")
    page.click("#feedback-form button[type=submit]")
    page.wait_for_url("**/feedback/receipts/**")
    assert page.get_attribute("#receipt-status", "data-status") == "awaiting_moderation"
    assert page.text_content("#receipt-tags") == "reports, export"


def test_voting_with_javascript_counts_at_once_and_can_be_undone(browser, service):
    page = open_page(browser, service, ITEM_PAGE, javascript=True)
    button = page.locator("header form.fb-vote button")
    count = page.locator("header form.fb-vote [data-votes]")
    button.click()
    page.wait_for_function("() => document.querySelector('header form.fb-vote button').ariaPressed === 'true'")
    assert count.text_content() == "4"
    page.reload()  # the static page still says 3: the live count and this browser's vote come back
    page.wait_for_function("() => document.querySelector('header form.fb-vote [data-votes]').textContent === '4'")
    assert button.get_attribute("aria-pressed") == "true"
    button.click()
    page.wait_for_function("() => document.querySelector('header form.fb-vote button').ariaPressed === 'false'")
    assert count.text_content() == "3"
    assert page.problems == []


def test_voting_without_javascript_goes_through_a_page_that_can_undo_it(browser, service):
    page = open_page(browser, service, ITEM_PAGE, javascript=False)
    page.click("header form.fb-vote button")
    page.wait_for_url(f"**/feedback/{EXISTING.id}/vote")
    assert page.get_attribute("#vote-status", "data-voted") == "true"
    assert page.text_content("#vote-count") == "4"
    page.click("form button[type=submit]")
    assert page.get_attribute("#vote-status", "data-voted") == "false"
    page.click("#vote-back")
    assert page.url == service.url + ITEM_PAGE
