"""Public XSS payload lists through the real path (comment files → build → page) in headless Chromium."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from cluetrain.content_format import ContentFormatError

from .xss_harness import payloads, visit

pytestmark = pytest.mark.slow

PER_THREAD = 120


def test_detector_reports_an_unsanitized_payload(browser, tmp_path, static_server):
    """The harness must see a payload that does run, or its silence proves nothing."""
    (tmp_path / "index.html").write_text(
        '<!doctype html><html><body><article class="comment">'
        '<img src="x" onerror="alert(7)"><a href="javascript:alert(8)">x</a></article></body></html>'
    )
    executed, found = visit(browser, static_server(tmp_path) + "/", ".comment")
    assert "alert:7" in executed
    assert "attribute onerror" in found and any(f.startswith("href=javascript:") for f in found)


def test_no_payload_runs_or_leaves_dangerous_dom_on_built_pages(browser, site, static_server):
    corpus = payloads()
    assert len(corpus) > 900
    base = static_server(site.output)
    when = datetime(2026, 2, 1, tzinfo=timezone.utc)
    threads = []
    refused = 0
    for index, payload in enumerate(corpus):
        thread = f"xss-{index // PER_THREAD}"
        if index % PER_THREAD == 0:
            site.post(thread, title=f"XSS {index}", date="2026-01-10 09:00")
            threads.append(thread)
        stored = False
        for author in (payload[:245].strip() or "x", "x"):  # as author and body, else as body alone
            try:
                site.comment(thread, f"c{index}", author=author, body=payload, date=when + timedelta(minutes=index))
            except ContentFormatError as exc:
                refusal = str(exc)
                continue
            stored = True
            break
        if not stored:  # only what XML cannot carry is refused outright, with the reason
            assert "control character" in refusal, payload
            refused += 1
    site.build(SITEURL=base, FEED_DOMAIN=base)
    failures = {}
    for thread in threads:
        executed, found = visit(browser, f"{base}/posts/{thread}/", ".comment, script[type='application/ld+json']")
        if executed or found:
            failures[thread] = (executed[:5], found[:5])
    assert failures == {}
    # JSON-LD stays data: it parses, and carries the hostile authors as plain strings.
    ld = site.html(f"posts/{threads[0]}/index.html").xpath("//script[@type='application/ld+json']/text()")
    assert json.loads(ld[0])["commentCount"] >= PER_THREAD - refused
    assert refused < 10
