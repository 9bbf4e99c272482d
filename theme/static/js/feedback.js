/*
 * Cluetrain feedback hub: progressive enhancement of the feedback form and the vote buttons.
 *
 * Without this script the form is a plain POST to the service (which answers with a receipt
 * page) and a vote is a form POST (answered with a page that offers to undo it). With it:
 *   - similar existing items are suggested while the title is typed (from the site search,
 *     GET /api/search?type=feedback, or, when it cannot answer, the titles index the build writes);
 *   - the form is sent as JSON with a form token and an idempotency key, and the receipt link is
 *     shown in place; if the request cannot be made at all, the plain form POST takes over;
 *   - votes toggle in place with one random token per browser, and counts are refreshed from
 *     the service, so a vote shows at once although the static page is updated in batches.
 *
 * Visitor text only ever reaches the page through textContent.
 */
(() => {
  "use strict";

  const PREFIX = "cluetrain:feedback:";
  const SUGGEST_DELAY = 250; // ms of quiet typing before suggesting
  const MAX_SUGGESTIONS = 5;
  const MIN_WORD = 3;
  const STOP_WORDS = new Set(["the", "and", "for", "with", "not", "can", "you", "are", "that", "this", "from",
    "when", "our", "add", "please", "support", "would", "should", "could", "have", "has", "but", "all"]);
  const FIELDS = ["kind", "title", "body", "tags", "author", "email"];

  const store = {
    get(key) {
      try {
        return JSON.parse(localStorage.getItem(PREFIX + key));
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem(PREFIX + key, JSON.stringify(value));
      } catch {
        /* private modes: only the convenience is lost */
      }
    },
  };

  function randomHex(bytes) {
    return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (x) => x.toString(16).padStart(2, "0")).join("");
  }

  /** This browser's voter token: random, never derived from anything about the visitor. */
  function voterToken() {
    let token = store.get("voter");
    if (typeof token !== "string" || !/^[0-9a-f]{32}$/.test(token)) {
      token = randomHex(16);
      store.set("voter", token);
    }
    return token;
  }

  const votedIds = () => new Set(Array.isArray(store.get("voted")) ? store.get("voted").map(String) : []);

  function remember(id, voted) {
    const ids = votedIds();
    if (voted) ids.add(String(id));
    else ids.delete(String(id));
    store.set("voted", [...ids]);
  }

  /* ---------- Suggestions while typing a title ---------- */

  const words = (text) => (text.toLowerCase().normalize("NFKD").match(/[\p{L}\p{N}]+/gu) || [])
    .filter((w) => w.length >= MIN_WORD && !STOP_WORDS.has(w));

  function score(queryWords, title) {
    const titleWords = words(title);
    let hits = 0;
    for (const q of queryWords) {
      if (titleWords.some((t) => t.startsWith(q) || q.startsWith(t))) hits += 1;
    }
    return hits;
  }

  const statusLabel = (key) => {
    const text = String(key || "").replace(/-/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  };

  function suggestionItem(title, url, status, votes) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = String(url);
    link.textContent = String(title);
    li.append(link);
    if (status) {
      const badge = document.createElement("span");
      badge.className = `fb-status fb-status-${String(status).replace(/[^a-z0-9-]/g, "")}`;
      badge.textContent = statusLabel(status);
      li.append(badge);
    }
    if (typeof votes === "number") li.append(` ${votes} votes`);
    return li;
  }

  function suggestions(form) {
    const input = form.elements.namedItem("title");
    const box = form.querySelector(".fb-similar");
    const list = box && box.querySelector(".fb-similar-list");
    const service = (form.dataset.service || "").replace(/\/+$/, "");
    const source = form.dataset.titles;
    if (!input || !list) return;
    let index = null;
    let timer = 0;
    let asked = 0;

    /** The site search (stemming, relevance), any of the significant words: the service's /api/search. */
    async function fromSearch(query) {
      const q = encodeURIComponent(query.join(" OR "));
      const response = await fetch(`${service}/api/search?type=feedback&per_page=${MAX_SUGGESTIONS}&q=${q}`,
        { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`search answered ${response.status}`);
      const data = await response.json();
      return (data.results || []).map((hit) => suggestionItem(hit.title, hit.url, hit.status));
    }

    /** Without the search service: the titles index the build writes, matched by words. */
    async function fromTitles(query) {
      if (!source) return [];
      if (!index) {
        const response = await fetch(source, { headers: { Accept: "application/json" } });
        const data = response.ok ? await response.json() : null;
        index = data && Array.isArray(data.items) ? data.items : [];
      }
      return index
        .map((item) => ({ item, hits: score(query, String(item.title)) }))
        .filter((r) => r.hits > 0 && r.hits >= Math.min(2, query.length))
        .sort((a, b) => b.hits - a.hits || b.item.votes - a.item.votes)
        .slice(0, MAX_SUGGESTIONS)
        .map(({ item }) => suggestionItem(item.title, item.url, item.status, Number(item.votes) || 0));
    }

    async function update() {
      const query = words(input.value);
      const mine = ++asked;
      let found = [];
      if (query.length) {
        try {
          found = await fromSearch(query);
        } catch {
          found = await fromTitles(query).catch(() => []);
        }
      }
      if (mine !== asked) return; // a newer keystroke's answer wins
      list.replaceChildren(...found);
      box.hidden = found.length === 0;
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, SUGGEST_DELAY);
    });
  }

  /* ---------- Sending the form as JSON ---------- */

  function sending(form) {
    const el = (name) => form.elements.namedItem(name);
    const service = (form.dataset.service || "").replace(/\/+$/, "");
    const status = form.querySelector(".form-status");
    const submit = form.querySelector('[type="submit"]');
    el("idempotency_key").value = crypto.randomUUID ? crypto.randomUUID() : randomHex(16);
    let tokenAsked = false;

    function say(message, kind) {
      status.classList.remove("is-error", "is-ok");
      if (kind) status.classList.add(kind);
      status.textContent = message;
    }

    async function fetchToken() {
      if (tokenAsked) return;
      tokenAsked = true;
      try {
        const response = await fetch(`${service}/api/form-token`, { cache: "no-store" });
        const data = response.ok ? await response.json() : null;
        if (data && typeof data.form_token === "string") el("form_token").value = data.form_token;
      } catch {
        /* without a token the service holds the item for a moderator; it never drops it */
      }
    }
    form.addEventListener("focusin", fetchToken, { once: true });

    function clearErrors() {
      for (const node of form.querySelectorAll(".field-error")) node.remove();
      for (const node of form.querySelectorAll('[aria-invalid="true"]')) node.removeAttribute("aria-invalid");
    }

    function showErrors(errors) {
      let first = null;
      const unplaced = [];
      for (const [name, message] of Object.entries(errors || {})) {
        const field = el(name);
        if (!field || !field.id) {
          unplaced.push(String(message));
          continue;
        }
        const error = document.createElement("p");
        error.className = "field-error";
        error.textContent = String(message);
        field.after(error);
        field.setAttribute("aria-invalid", "true");
        first = first || field;
      }
      return { first, unplaced };
    }

    form.addEventListener("submit", async (event) => {
      if (!window.fetch || form.dataset.plain) return; // the plain POST
      event.preventDefault();
      clearErrors();
      const data = {};
      for (const name of FIELDS) data[name] = String(el(name).value || "");
      data.tags = data.tags.split(",").map((t) => t.trim()).filter(Boolean);
      for (const name of ["hp", "form_token", "idempotency_key"]) data[name] = el(name).value;
      submit.disabled = true;
      say("Sending…");
      let response;
      try {
        response = await fetch(`${service}/api/feedback`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(data),
        });
      } catch {
        // The request could not be made (offline, blocked): let the browser post the form;
        // the idempotency key makes a second arrival harmless.
        form.dataset.plain = "1";
        form.submit();
        return;
      }
      submit.disabled = false;
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        const link = document.createElement("a");
        link.href = String(answer.receipt_url || "");
        link.className = "fb-receipt-link";
        link.textContent = "Your receipt";
        say(answer.status === "approved" ? "Thank you! Your feedback is published; the page updates in a moment. "
          : "Thank you! A moderator will read your feedback before it is published. ", "is-ok");
        status.append(link);
        for (const name of ["title", "body", "tags"]) el(name).value = "";
        el("idempotency_key").value = crypto.randomUUID ? crypto.randomUUID() : randomHex(16);
        form.querySelector(".fb-similar")?.setAttribute("hidden", "");
        return;
      }
      const { first, unplaced } = showErrors(answer.errors);
      say([answer.error || "Your feedback could not be sent. Please try again.", ...unplaced].join(" "), "is-error");
      (first || status).focus?.();
    });
  }

  /* ---------- Votes ---------- */

  function setCount(id, votes) {
    for (const node of document.querySelectorAll(`[data-item="${CSS.escape(String(id))}"] [data-votes]`)) {
      node.textContent = String(votes);
    }
  }

  function setPressed(id, pressed) {
    for (const button of document.querySelectorAll(`form.fb-vote[data-item="${CSS.escape(String(id))}"] button`)) {
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
    }
  }

  async function refreshCounts(service, ids) {
    if (!ids.length) return;
    try {
      const response = await fetch(`${service}/api/feedback/votes?ids=${ids.join(",")}`, { cache: "no-store" });
      const data = response.ok ? await response.json() : null;
      for (const [id, votes] of Object.entries((data && data.votes) || {})) setCount(id, Number(votes) || 0);
    } catch {
      /* the static counts stay: they are at most one batch behind */
    }
  }

  function voting() {
    const forms = [...document.querySelectorAll("form.fb-vote[data-item]")];
    const boxes = [...document.querySelectorAll(".fb-vote[data-item]")];
    if (!boxes.length) return;
    const service = (document.querySelector("[data-service]")?.dataset.service || "").replace(/\/+$/, "");
    const voted = votedIds();
    for (const form of forms) setPressed(form.dataset.item, voted.has(form.dataset.item));
    refreshCounts(service, [...new Set(boxes.map((b) => b.dataset.item))]);

    for (const form of forms) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const id = form.dataset.item;
        const button = form.querySelector("button");
        const undo = button.getAttribute("aria-pressed") === "true";
        button.disabled = true;
        try {
          const response = await fetch(`${service}/api/feedback/${encodeURIComponent(id)}/vote`, {
            method: undo ? "DELETE" : "POST",
            headers: { "Content-Type": "application/json", Accept: "application/json" },
            body: JSON.stringify({ voter: voterToken() }),
          });
          const data = await response.json().catch(() => ({}));
          if (response.ok) {
            remember(id, Boolean(data.voted));
            setPressed(id, Boolean(data.voted));
            setCount(id, Number(data.votes) || 0);
          } else {
            button.title = String(data.error || "Your vote could not be counted. Please try again later.");
          }
        } catch {
          button.title = "Your vote could not be sent. Please try again.";
        } finally {
          button.disabled = false;
        }
      });
    }
  }

  const form = document.getElementById("feedback-form");
  if (form) {
    suggestions(form);
    sending(form);
  }
  voting();
})();
