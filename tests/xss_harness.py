"""The XSS harness for browser tests: public payload lists, traps for anything that runs, a DOM audit."""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "xss"

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


# Anywhere on a page of ours: no event handler attributes, no script URLs, no inline scripts
# (our own pages have none of these, so any one of them came from a visitor).
PAGE_WIDE = """
() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    if (el.tagName === "SCRIPT" && !el.src && el.type !== "application/ld+json") found.push("inline script");
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith("on")) found.push("attribute " + attr.name);
      const isUrl = ["href","src","action","formaction","xlink:href","data","srcdoc","poster","background","cite","ping"]
        .includes(attr.name.toLowerCase());
      if (isUrl && (/^\\s*(javascript|vbscript):/i.test(attr.value) || /^\\s*data:text\\/html/i.test(attr.value)))
        found.push(attr.name + "=" + attr.value.slice(0, 60));
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


def visit(browser, url: str, scope: str, *, context=None) -> tuple[list[str], list[str]]:
    """Load a page; return (what executed, dangerous DOM under ``scope``)."""
    own_context = context is None
    context = context or browser.new_context(java_script_enabled=True)
    page = context.new_page()
    page.add_init_script(TRAP)
    executed: list[str] = []
    page.on("dialog", lambda dialog: (executed.append("dialog:" + dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: executed.append("pageerror:" + str(error)[:80]))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)  # let onerror/onload handlers of broken media fire
    executed += page.evaluate("window.__xss")
    found = page.evaluate(DANGEROUS_DOM, scope) + page.evaluate(PAGE_WIDE)
    page.close()
    if own_context:
        context.close()
    return executed, found
