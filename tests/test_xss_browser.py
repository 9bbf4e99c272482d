"""Public XSS payload lists through the real path (comment files → build → page) in headless Chromium."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cluetrain.content_format import ContentFormatError

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "data" / "xss"
PER_THREAD = 120

# Hooks every way a payload could show it ran; runs before any page script.
TRAP = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__xss.push(name + ":" + String(args[0])); };
}
"""

# Dangerous DOM left inside visitor content, as the browser parsed it.
DANGEROUS_DOM = """
(root) => {
  const found = [];
  const bad = new Set(["SCRIPT","IFRAME","OBJECT","EMBED","BASE","META","LINK","FORM","STYLE","FRAME","FRAMESET","MATH","IMG","INPUT","BUTTON","TEXTAREA","SELECT","VIDEO","AUDIO","SOURCE"]);
  for (const scope of document.querySelectorAll(root)) {
    for (const el of scope.querySelectorAll("*")) {
      if (bad.has(el.tagName.toUpperCase())) found.push("element " + el.tagName);
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith("on")) found.push("attribute " + name);
        if (["href","src","action","formaction","xlink:href","data","srcdoc"].includes(name)) {
          let protocol = "";
          try { protocol = new URL(attr.value, document.baseURI).protocol; } catch (e) { protocol = "invalid:"; }
          if (["javascript:", "vbscript:"].includes(protocol) || /^\\s*data:text\\/html/i.test(attr.value))
            found.push(name + "=" + attr.value.slice(0, 60));
        }
      }
    }
  }
  return found;
}
"""


def payloads() -> list[str]:
    lines = []
    for name in ("xss_alert_identifiable.txt", "XSS_Polyglots.txt", "RSNAKE_XSS.txt"):
        lines += [line for line in (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    lines += json.loads((CORPUS / "dompurify_fixtures.json").read_text(encoding="utf-8"))
    return [line for line in lines if line.strip()]  # an empty body is refused before it is stored


def visit(browser, url: str, scope: str) -> tuple[list[str], list[str]]:
    """Load a page; return (what executed, dangerous DOM under ``scope``)."""
    context = browser.new_context(java_script_enabled=True)
    page = context.new_page()
    page.add_init_script(TRAP)
    executed: list[str] = []
    page.on("dialog", lambda dialog: (executed.append("dialog:" + dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: executed.append("pageerror:" + str(error)[:80]))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # let onerror/onload handlers of broken media fire
    executed += page.evaluate("window.__xss")
    found = page.evaluate(DANGEROUS_DOM, scope)
    context.close()
    return executed, found


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
