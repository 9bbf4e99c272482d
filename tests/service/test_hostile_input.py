"""Malformed, oversized and hostile input on every endpoint: clean 4xx answers, nothing unsafe echoed."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from tests.service.conftest import comment_json, form_fields

XSS = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "'\"--></style></script><script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
]
CORPUS = Path(__file__).resolve().parent.parent / "data" / "xss" / "XSS_Polyglots.txt"


def assert_inert(page: bytes) -> None:
    """No script, no event handler, no javascript: URL in the parsed page."""
    doc = lxml.html.fromstring(page)
    assert not doc.xpath("//script|//iframe|//object|//embed|//svg|//img")
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert "javascript:" not in value.replace("\t", "").lower() or name == "value", (element.tag, name, value)


def test_non_json_bodies_and_wrong_types_on_the_json_api(client):
    assert client.post("/api/comments", data="thread=hello").status_code == 415
    bad = client.post("/api/comments", data="{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"]
    assert client.post("/api/comments", json=["a", "list"]).status_code == 400
    typed = client.post("/api/comments", json=comment_json(author=42, body=["x"], website={"a": 1}))
    assert typed.status_code == 422
    assert set(typed.get_json()["errors"]) == {"author", "body", "website"}
    unknown = client.post("/api/comments", json=comment_json(status="approved"))
    assert unknown.status_code == 400 and "status" in unknown.get_json()["errors"]
    wrong_extra = client.post("/api/comments", json=comment_json(hp=1))
    assert wrong_extra.status_code == 400 and "hp" in wrong_extra.get_json()["errors"]


def test_ten_megabytes_is_a_clean_413_everywhere(client, auth):
    big = "x" * (10 * 1024 * 1024)
    json_response = client.post("/api/comments", data=big, content_type="application/json")
    assert json_response.status_code == 413 and "too large" in json_response.get_json()["error"]
    form_response = client.post("/comments", data={"body": big, "thread": "hello"})
    assert form_response.status_code == 413 and b"too large" in form_response.data
    api_response = client.post("/api/moderation/bulk", data=big, content_type="application/json", headers=auth)
    assert api_response.status_code == 413


@pytest.mark.parametrize("field", ["author", "body", "email", "website"])
def test_nul_and_control_characters_are_refused(client, field):
    response = client.post("/api/comments", json=comment_json(**{field: "Ada\x00Lovelace"}))
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_lone_surrogates_are_refused(client):
    response = client.post("/api/comments", data='{"thread": "hello", "author": "A\\ud800", "body": "b\\udfff"}',
                           content_type="application/json", headers={"Idempotency-Key": "x"})
    assert response.status_code == 422 and {"author", "body"} <= set(response.get_json()["errors"])


@pytest.mark.parametrize("author", ["Ada\r\nStatus: published", "Ada\nLovelace", "Ada\u2028Lovelace"])
def test_line_breaks_in_the_author_are_refused(client, author):
    response = client.post("/api/comments", json=comment_json(author=author))
    assert response.status_code == 422 and "one line" in response.get_json()["errors"]["author"]


@pytest.mark.parametrize("website", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
                                     "https://x.org/\"onmouseover=alert(1)", "//evil.example", "ftp://x.org"])
def test_unsafe_websites_are_refused(client, website):
    response = client.post("/api/comments", json=comment_json(website=website))
    assert response.status_code == 422 and "website" in response.get_json()["errors"]


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_every_field_stays_escaped_on_the_receipt(client, payload):
    response = client.post("/comments", data=form_fields(author=f"Ada {payload}", body=f"Hi {payload}"))
    assert response.status_code == 303
    page = client.get(response.location)
    assert_inert(page.data)
    doc = lxml.html.fromstring(page.data)
    assert doc.get_element_by_id("receipt-author").text_content() == f"Ada {payload}"
    assert doc.get_element_by_id("receipt-body").text_content() == f"Hi {payload}"


def test_xss_polyglots_are_inert_on_receipts_and_re_rendered_forms(client):
    payloads = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()][:20]
    for n, payload in enumerate(payloads):
        fields = form_fields(author=payload[:245], body=payload, email=f"p{n}@example.org")
        response = client.post("/comments", data=fields)
        if response.status_code == 303:
            assert_inert(client.get(response.location).data)
        else:
            assert_inert(response.data)
        error = client.post("/comments", data=fields | {"website": payload[:200]})
        assert error.status_code in (303, 409, 422)
        assert_inert(error.data)


def test_hostile_query_strings_on_the_reply_form(client):
    assert client.get("/comments/reply?thread=../../etc/passwd&parent=x").status_code == 404
    assert client.get("/comments/reply?thread=hello&parent=../../x").status_code == 404
    page = client.get("/comments?thread=hello&parent=")
    assert page.status_code == 200


def test_receipt_tokens_cannot_escape(client):
    assert client.get("/receipts/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/api/receipts/' OR 1=1 --").status_code == 404


def test_stored_html_is_cleaned_again_on_display(app, client):
    """A row rendered by an older, laxer sanitizer cannot run script on a receipt page."""
    from sqlalchemy import update

    from comments_service.models import Comment

    answer = client.post("/api/comments", json=comment_json(body="fine")).get_json()
    with app.extensions["cluetrain_db"].write() as session:
        session.execute(update(Comment).where(Comment.id == answer["id"])
                        .values(html='<p>old<img src=x onerror="alert(1)"><script>alert(2)</script></p>'))
    page = client.get(answer["receipt_url"].removeprefix("http://localhost")).data.decode()
    assert "onerror" not in page and "alert(2)" not in page and "old" in page
