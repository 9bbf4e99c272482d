"""Helpers for the feedback service tests: submissions, manifests with item threads, published items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.conftest import THREADS, write_manifest

SITE = "http://127.0.0.1:8000"


def feedback_json(**fields: Any) -> dict[str, Any]:
    """A valid JSON submission, with ``fields`` replacing the defaults."""
    return {"kind": "idea", "title": "Dark mode for the dashboard", "body": "Please add a *dark* theme.",
            "tags": ["dashboard"], "author": "Ada Lovelace", "email": "ada@example.org"} | fields


def feedback_form(**fields: str) -> dict[str, str]:
    """A valid form submission, as the hub's form posts it without JavaScript."""
    base = {"kind": "bug", "title": "Export breaks", "body": "The CSV has one column too many.",
            "tags": "export, csv", "author": "Grace", "email": "", "idempotency_key": "", "form_token": "", "hp": ""}
    return base | fields


def manifest_with_items(output: Path, *item_ids: int, closed: tuple[int, ...] = ()) -> None:
    """threads.json as a build would write it with threads for these feedback items."""
    items = [{"key": f"feedback-{i}", "title": f"Item {i}", "url": f"{SITE}/feedback/{i}-item/", "kind": "feedback",
              "status": "closed" if i in closed else "open", "comments": 0} for i in item_ids]
    write_manifest(output, THREADS + items)


def submit(client: Any, **fields: Any) -> dict[str, Any]:
    """Submit an item through the JSON API; the receipt."""
    response = client.post("/api/feedback", json=feedback_json(**fields))
    assert response.status_code in (201, 202), response.get_data(as_text=True)
    return response.get_json()


def published(client: Any, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    """Submit and approve an item; the moderator's view of it."""
    receipt = submit(client, **fields)
    response = client.post(f"/api/moderation/feedback/{receipt['id']}/approve", headers=auth)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def item_file(project: Path, item_id: int) -> Path:
    """The one file of item ``item_id``."""
    [path] = (project / "content" / "feedback").glob(f"{item_id}-*.md")
    return path


def token_headers(app: Any) -> dict[str, str]:
    """Headers that authenticate ``app``'s moderation API with a new token."""
    from comments_service.auth import create_token

    with app.extensions["cluetrain"].database.write() as session:
        return {"Authorization": f"Bearer {create_token(session, 'feedback-tests')}"}


REPO_CONTENT = Path(__file__).resolve().parents[2] / "content"
