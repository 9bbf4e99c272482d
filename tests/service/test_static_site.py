"""The service also serves output/ at / for local use: files, folder index pages, the site's 404 page."""

from __future__ import annotations


def test_serves_the_built_site(client, project):
    output = project / "output"
    (output / "posts" / "hello").mkdir(parents=True)
    (output / "index.html").write_text("<h1>Home</h1>", encoding="utf-8")
    (output / "posts" / "hello" / "index.html").write_text("<h1>Hello</h1>", encoding="utf-8")
    (output / "404.html").write_text("<h1>Lost?</h1>", encoding="utf-8")
    assert client.get("/").data == b"<h1>Home</h1>"
    assert client.get("/posts/hello/").data == b"<h1>Hello</h1>"
    assert client.get("/threads.json").get_json()["version"] == 1
    missing = client.get("/posts/nope/")
    assert missing.status_code == 404 and missing.data == b"<h1>Lost?</h1>"
    assert client.get("/../instance/secret_key").status_code == 404
    assert client.get("/%2e%2e/instance/secret_key").status_code == 404


def test_service_routes_win_over_site_files(client, project):
    (project / "output" / "healthz").write_text("shadow", encoding="utf-8")
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_site_serving_can_be_turned_off(make_app, project):
    (project / "output" / "index.html").write_text("<h1>Home</h1>", encoding="utf-8")
    client = make_app(SERVE_SITE=False).test_client()
    assert client.get("/").status_code == 404
