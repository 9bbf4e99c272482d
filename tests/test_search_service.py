"""The service's search pages and JSON API over a real index: results, escaping, hostile input, freshness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import lxml.html
import pytest

from comments_service import create_app

from .conftest import Site
from .test_search_index import build_search_site, write_search_site

MARKUP_MARK = "mark"


def make_search_app(root: Path, **config: Any) -> Any:
    """The comments service on ``root`` (a built site), without background threads or rebuilds."""
    settings = {"PROJECT_ROOT": str(root), "SESSION_COOKIE_SECURE": False, "PUBLISH_POLL_SECONDS": 0,
                "SITE_URL": "http://127.0.0.1:8000"}
    with pytest.MonkeyPatch.context() as env:
        for key in [k for k in os.environ if k.startswith("CLUETRAIN_")]:
            env.delenv(key)  # settings come from the test, never from the developer's environment
        app = create_app(settings | config)
    app.config["TESTING"] = True
    return app


def close_app(app: Any) -> None:
    if "cluetrain_search" in app.extensions:
        app.extensions["cluetrain_search"].close()
    app.extensions["cluetrain"].stop()
    app.extensions["cluetrain_db"].dispose()


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    site = Site(tmp_path_factory.mktemp("search-service"))
    (site.content / "posts").mkdir(parents=True)
    write_search_site(site)
    build_search_site(site)
    return site


@pytest.fixture(scope="module")
def client(built_site: Site) -> Iterator[Any]:
    app = make_search_app(built_site.root)
    yield app.test_client()
    close_app(app)


def page(client: Any, **params: Any) -> tuple[int, lxml.html.HtmlElement]:
    response = client.get(f"/search?{urlencode(params, doseq=True)}")
    assert response.mimetype == "text/html"
    return response.status_code, lxml.html.fromstring(response.get_data(as_text=True))


def hits(doc: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return doc.xpath('//article[contains(@class, "search-hit")]')


def test_results_page_shows_title_type_date_snippet_and_link(client):
    status, doc = page(client, q="crash")
    assert status == 200
    first = hits(doc)[0]
    link = first.xpath(".//h2/a")[0]
    assert link.text_content().strip() == "Login crash on Safari"
    assert link.get("href") == "http://127.0.0.1:8000/posts/login-crash/"
    assert "post" in first.xpath('.//*[@class="search-type"]')[0].text_content()
    assert first.xpath(".//time")[0].get("datetime").startswith("2026-01-10")
    assert [m.text_content().lower() for m in first.xpath(".//mark")] == ["crashes", "crash"]
    assert "3 results" in doc.xpath('//*[@class="search-summary"]')[0].text_content()


def test_a_comment_result_links_to_its_anchor_and_names_its_thread(client):
    _, doc = page(client, q="morning", type="comment")
    [hit] = hits(doc)
    link = hit.xpath(".//h2/a")[0]
    assert link.get("href") == "http://127.0.0.1:8000/posts/login-crash/#comment-c1"
    assert link.text_content().strip() == "Comment by Grace Hopper on “Login crash on Safari”"


def test_feedback_results_show_their_status(client):
    _, doc = page(client, q="csv")
    [hit] = hits(doc)
    assert hit.xpath('.//*[@class="eyebrow"]')[0].text_content().split() == ["feedback", "·", "Planned"]


def test_visitor_text_in_snippets_is_escaped_with_only_our_highlights(client):
    response = client.get("/search?q=alert+froze")
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;<mark>alert</mark>(&#39;owned&#39;)&lt;/script&gt;" in html
    [hit] = hits(lxml.html.fromstring(html))
    summary = hit.xpath('.//*[@class="card-summary"]')[0]
    assert {element.tag for element in summary.iterdescendants()} == {MARKUP_MARK}
    assert "<script>alert('owned')</script>" in summary.text_content()


def test_did_you_mean_links_to_the_corrected_search(client):
    _, doc = page(client, q="dashbord", type="post")
    [link] = doc.xpath('//p[contains(., "Did you mean")]/a')
    assert link.text_content() == "dashboard"
    status, corrected = page(client, **dict(parse_qsl(urlsplit(link.get("href")).query)))
    assert status == 200 and hits(corrected)


def test_pagination_links_carry_the_search(client):
    _, doc = page(client, q="changelog", sort="date", per_page=5)
    assert "Page 1 of 3" in doc.xpath('//*[@class="pagination-status"]')[0].text_content()
    next_href = doc.xpath('//a[@rel="next"]')[0].get("href")
    assert "page=2" in next_href and "q=changelog" in next_href and "sort=date" in next_href
    _, last = page(client, q="changelog", sort="date", per_page=5, page=3)
    assert len(hits(last)) == 2 and not last.xpath('//a[@rel="next"]')


def test_no_results_and_no_query_say_so_plainly(client):
    status, doc = page(client, q="xylophone")
    assert status == 200 and "Nothing matches “xylophone”" in doc.text_content()
    status, doc = page(client)
    assert status == 200 and "Type some words" in doc.text_content() and not hits(doc)
    _, doc = page(client, q="crash", type="comment,page", tag="nothing-like-this")
    [without] = doc.xpath('//a[.="without the filters"]')
    assert urlsplit(without.get("href")).query == "q=crash"
    assert doc.xpath('//input[@value="comment"]/@checked') and doc.xpath('//input[@value="page"]/@checked')


HOSTILE_QUERIES = [
    "*", '"unbalanced quote', "x" * 10_240, "word " * 2_000, "' OR 1=1; DROP TABLE comments; --",
    "SELECT * FROM comments WHERE 1", "日本語のテキスト 🙂 ñandú", "nul\x00byte", "\x00", "((((((", "))", "AND OR NOT",
    "title:secret id:post:x", "crash^1000", "a*b?c", "[a TO z]", "\\", "%s%s%n", "<script>alert(1)</script>",
    "\u202e\u200b", "NOT crash", '"" ""',
]


@pytest.mark.parametrize("text", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_hostile_queries_get_a_clean_page_and_clean_json(client, text):
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "<script>alert(1)" not in body
    assert lxml.html.fromstring(body).xpath("//main")
    api = client.get("/api/search", query_string={"q": text})
    assert api.status_code == 200 and isinstance(api.get_json()["results"], list)


def test_long_queries_are_shortened_with_a_notice(client):
    _, doc = page(client, q="crash " * 100)
    assert "only its first words were used" in doc.text_content()


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"page": "0"}, "page"), ({"page": "x"}, "page"), ({"page": "9" * 5000}, "page"),
     ({"per_page": "1000"}, "per_page"), ({"from": "yesterday"}, "from"), ({"to": "2026-13-45"}, "to"),
     ({"type": "evil"}, "type"), ({"sort": "random"}, "sort"), ({"from": "2026-02-01", "to": "2026-01-01"}, "to")],
)
def test_bad_parameters_are_named_in_a_400(client, params, parameter):
    status, doc = page(client, q="crash", **params)
    assert status == 400 and parameter in doc.xpath('//*[@role="alert"]')[0].text_content()
    api = client.get("/api/search", query_string={"q": "crash", **params})
    assert api.status_code == 400 and parameter in api.get_json()["errors"]


def test_json_api_returns_the_documented_shape(client):
    data = client.get("/api/search?q=crash&per_page=2").get_json()
    assert data["total"] == 3 and data["pages"] == 2 and len(data["results"]) == 2
    first = data["results"][0]
    assert set(first) >= {"url", "title", "type", "snippet", "date"}
    assert (first["url"], first["type"], first["title"]) == (
        "http://127.0.0.1:8000/posts/login-crash/", "post", "Login crash on Safari")
    assert "<mark>" not in first["snippet"] and "crash report" in first["snippet"]
    [comment] = client.get("/api/search?q=morning&type=comment").get_json()["results"]
    assert comment["url"].endswith("#comment-c1") and comment["title"] == "Login crash on Safari"
    [feedback] = client.get("/api/search?status=planned").get_json()["results"]
    assert (feedback["type"], feedback["status"]) == ("feedback", "planned")


def test_json_api_filters_by_type_and_author(client):
    data = client.get("/api/search?type=comment,feedback&author=Grace+Hopper").get_json()
    assert [r["url"] for r in data["results"]] == ["http://127.0.0.1:8000/posts/login-crash/#comment-c1"]


def test_the_site_may_call_the_api_from_its_origin(client):
    allowed = client.get("/api/search?q=crash", headers={"Origin": "http://127.0.0.1:8000"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    other = client.get("/api/search?q=crash", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_without_an_index_search_is_unavailable_not_broken(tmp_path):
    app = make_search_app(tmp_path, SEARCH_INDEX_PATH=str(tmp_path / "nowhere"))
    try:
        client = app.test_client()
        response = client.get("/search?q=crash")
        assert response.status_code == 503 and "not available" in response.get_data(as_text=True)
        assert client.get("/api/search?q=crash").status_code == 503
        assert not (tmp_path / "nowhere").exists()  # the service never creates or writes the index
    finally:
        close_app(app)


def test_a_published_comment_is_found_by_the_running_service(site):
    write_search_site(site)
    build_search_site(site)
    app = make_search_app(site.root)
    try:
        client = app.test_client()
        assert client.get("/api/search?q=zeiss").get_json()["total"] == 0
        site.comment("webhooks", "c9", body="Do webhooks retry when my Zeiss endpoint is down?")
        report = build_search_site(site)
        assert report.changed == ["comment:c9"]
        [result] = client.get("/api/search?q=zeiss").get_json()["results"]
        assert result["url"] == "http://127.0.0.1:8000/posts/webhooks/#comment-c9"
    finally:
        close_app(app)
