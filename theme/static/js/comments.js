/*
 * Cluetrain comments: progressive enhancement of the comment form.
 *
 * Without this script the form is a plain POST to the comments service, which answers with a
 * receipt page. With it, the visitor gets:
 *   - a form token (the service's minimum-fill-time rule) and an idempotency key per comment;
 *   - their name, e-mail and website remembered in this browser, and a draft per thread that
 *     survives reloads and failed sends (cleared only once the service confirms receipt);
 *   - sending without leaving the page, errors next to the fields they concern;
 *   - their own comment shown in place, "Awaiting moderation", on every visit until its
 *     receipt says it was published (the static page then has it) or not published;
 *   - replies: the form moves under the comment being answered.
 *
 * Visitor text only ever reaches the page through textContent. The sanitized HTML the service
 * returns is rebuilt node by node from an inert document against an allowlist (see safeFragment).
 */
(() => {
  "use strict";

  const PREFIX = "cluetrain:";
  const MAX_PENDING = 30; // a browser keeps at most this many comments awaiting moderation
  const SAVE_DELAY = 400; // ms of quiet typing before the draft is written
  const TEXT_FIELDS = ["author", "email", "website", "body"];
  const IDENTITY = ["author", "email", "website"];

  // localStorage may be disabled, full or throw (private modes): the form must keep working.
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
        /* nothing to do: the visitor loses only the convenience */
      }
    },
    remove(key) {
      try {
        localStorage.removeItem(PREFIX + key);
      } catch {
        /* as above */
      }
    },
  };

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // randomUUID exists only in secure contexts (HTTPS, localhost); getRandomValues everywhere.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /* ---------- Rendering the service's sanitized HTML without trusting it ---------- */

  // The same allowlist as cluetrain/markup.py (the service already sanitized with it).
  const ALLOWED = {
    A: ["href", "title"], ABBR: ["title"], B: [], BLOCKQUOTE: [], BR: [], CODE: [], DEL: [], EM: [],
    H3: [], H4: [], H5: [], H6: [], HR: [], I: [], LI: [], OL: [], P: [], PRE: [], S: [], STRONG: [],
    SUB: [], SUP: [], UL: [],
  };
  const DROP = new Set(["SCRIPT", "STYLE", "TEMPLATE", "NOSCRIPT", "IFRAME", "OBJECT", "SVG", "MATH"]);

  function copyAllowed(from, to) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        to.append(node.data);
      } else if (node.nodeType === Node.ELEMENT_NODE && !DROP.has(node.tagName.toUpperCase())) {
        const attributes = ALLOWED[node.tagName.toUpperCase()];
        if (!attributes) {
          copyAllowed(node, to); // an unknown element keeps only its text
          continue;
        }
        const copy = document.createElement(node.tagName.toLowerCase());
        for (const name of attributes) {
          const value = node.getAttribute(name);
          if (value === null) continue;
          if (name === "href" && !/^(https?:|mailto:)/i.test(value)) continue;
          copy.setAttribute(name, value);
        }
        if (copy.tagName === "A") copy.rel = "nofollow ugc";
        copyAllowed(node, copy);
        to.append(copy);
      }
    }
  }

  /** A fragment of the allowed elements of ``html``; parsed inertly (nothing loads or runs). */
  function safeFragment(html) {
    const inert = new DOMParser().parseFromString(html, "text/html");
    const fragment = document.createDocumentFragment();
    copyAllowed(inert.body, fragment);
    return fragment;
  }

  /* ---------- Pending comments: kept in this browser until their receipt settles ---------- */

  function pendingAll() {
    const list = store.get("pending");
    return Array.isArray(list) ? list : [];
  }

  function keepPending(record) {
    const others = pendingAll().filter((p) => p.id !== record.id);
    store.set("pending", [...others, record].slice(-MAX_PENDING));
  }

  function dropPending(id) {
    store.set("pending", pendingAll().filter((p) => p.id !== id));
  }

  function receiptApiUrl(service, receiptUrl) {
    // The receipt page's URL ends in its token; the JSON (with CORS) lives under /api/receipts/.
    const token = new URL(receiptUrl, location.href).pathname.split("/").filter(Boolean).pop();
    return `${service}/api/receipts/${encodeURIComponent(token)}`;
  }

  function svgAvatar() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    for (const [name, value] of Object.entries({
      class: "avatar", viewBox: "0 0 5 5", width: "40", height: "40", "aria-hidden": "true", focusable: "false",
    })) svg.setAttribute(name, value);
    const rect = document.createElementNS(ns, "rect");
    for (const [name, value] of Object.entries({ class: "avatar-bg", width: "5", height: "5" })) rect.setAttribute(name, value);
    svg.append(rect);
    return svg;
  }

  /** The visitor's own comment as an article like the static ones, marked pending. */
  function pendingArticle(record, html) {
    const article = document.createElement("article");
    article.className = "comment is-pending";
    article.dataset.pendingId = record.id;
    article.tabIndex = -1; // focused after sending, so screen readers land on it

    const header = document.createElement("header");
    header.className = "comment-header";
    const meta = document.createElement("p");
    meta.className = "comment-meta";
    let author;
    if (record.website && /^https?:\/\//i.test(record.website)) {
      author = document.createElement("a");
      author.href = record.website;
      author.rel = "nofollow ugc";
    } else {
      author = document.createElement("span");
    }
    author.className = "comment-author";
    author.textContent = record.author;
    meta.append(author);
    const date = new Date(record.created_at);
    if (!Number.isNaN(date.getTime())) {
      const time = document.createElement("time");
      time.dateTime = record.created_at;
      // "5 January 2026", like the site's DEFAULT_DATE_FORMAT, with the page's month names.
      const month = date.toLocaleDateString(document.documentElement.lang || undefined, { month: "long" });
      time.textContent = `${date.getDate()} ${month} ${date.getFullYear()}`;
      meta.append(time);
    }
    const badge = document.createElement("span");
    badge.className = "pending-badge";
    badge.textContent = record.status_text || "Awaiting moderation";
    meta.append(badge);
    header.append(svgAvatar(), meta);

    const body = document.createElement("div");
    body.className = "comment-body prose";
    if (typeof html === "string") {
      body.append(safeFragment(html));
    } else {
      // No fresh HTML from the service (offline): the Markdown as typed, as plain text.
      const p = document.createElement("p");
      p.style.whiteSpace = "pre-wrap";
      p.textContent = record.body;
      body.append(p);
    }

    const actions = document.createElement("p");
    actions.className = "comment-actions";
    actions.append("Only you can see this until a moderator approves it. ");
    const receipt = document.createElement("a");
    receipt.className = "comment-receipt";
    receipt.href = record.receipt_url;
    receipt.textContent = "Your receipt";
    actions.append(receipt);

    article.append(header, body, actions);
    return article;
  }

  /* ---------- One comment form ---------- */

  function enhance(form) {
    const el = (name) => form.elements.namedItem(name);
    const service = (form.dataset.service || "").replace(/\/+$/, "");
    const thread = el("thread").value;
    const draftKey = `draft:${thread}`;
    const discussion = form.closest(".discussion") || document;
    const submit = form.querySelector('[type="submit"]');
    const home = document.createComment(" comment form "); // where the form returns after a reply
    form.before(home);
    let status = form.querySelector(".form-status");
    if (!status) {
      status = document.createElement("p");
      status.className = "form-status";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      form.append(status);
    }
    let saveTimer = 0;
    let sending = false;
    let replyLink = null;
    let focusAfter = null; // where focus goes once the button is enabled again

    function say(message, kind) {
      status.classList.remove("is-error", "is-ok");
      if (kind) status.classList.add(kind);
      status.textContent = message;
    }

    /* Drafts and the remembered identity. */

    function saveDraft() {
      clearTimeout(saveTimer);
      saveTimer = 0;
      const draft = { key: el("idempotency_key").value, parent: el("parent").value };
      for (const name of TEXT_FIELDS) draft[name] = el(name).value;
      // A draft is a comment being written; the name alone is the identity, below.
      if (draft.body.trim()) store.set(draftKey, draft);
      else store.remove(draftKey);
      const identity = Object.fromEntries(IDENTITY.map((name) => [name, el(name).value.trim()]));
      if (IDENTITY.some((name) => identity[name])) store.set("identity", identity);
      else store.remove("identity");
    }

    const saveSoon = () => {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(saveDraft, SAVE_DELAY);
    };

    function restore() {
      const draft = store.get(draftKey) || {};
      const identity = store.get("identity") || {};
      for (const name of TEXT_FIELDS) {
        const value = draft[name] ?? identity[name];
        // Never overwrite what is already there (the browser's own form restoration, autofill).
        if (typeof value === "string" && value && !el(name).value) el(name).value = value;
      }
      // The draft keeps its key: if a send whose answer was lost did arrive, resending the same
      // text is answered with that comment's receipt instead of making a duplicate.
      el("idempotency_key").value = typeof draft.key === "string" && draft.key ? draft.key : newKey();
      el("parent").value = "";
      const link = draft.parent && discussion.querySelector(`a.comment-reply[data-parent="${CSS.escape(draft.parent)}"]`);
      if (link) startReply(link, false);
    }

    async function refreshFormToken() {
      el("form_token").value = "";
      try {
        const response = await fetch(`${service}/api/form-token`, { headers: { Accept: "application/json" }, cache: "no-store" });
        const data = response.ok ? await response.json() : null;
        if (data && typeof data.form_token === "string") el("form_token").value = data.form_token;
      } catch {
        // Without a token the service holds the comment for a moderator; it never drops it.
      }
    }

    /* Replies: the form moves under the comment being answered. */

    const replying = document.createElement("p");
    replying.className = "form-replying";
    replying.hidden = true;
    const title = form.querySelector(".form-title");
    if (title) title.after(replying);
    else form.prepend(replying);

    function startReply(link, focus = true) {
      const comment = link.closest(".comment");
      if (!comment) return;
      replyLink = link;
      el("parent").value = link.dataset.parent;
      (link.closest(".comment-actions") || comment.querySelector(".comment-body") || link).after(form);
      const name = comment.querySelector(".comment-author")?.textContent.trim() || "this comment";
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "form-replying-cancel";
      cancel.textContent = "cancel";
      cancel.addEventListener("click", () => cancelReply(true));
      const who = document.createElement("strong");
      who.textContent = name;
      replying.replaceChildren("Replying to ", who, " — ", cancel);
      replying.hidden = false;
      if (focus) {
        saveSoon();
        el("body").focus();
      }
    }

    function cancelReply(focus) {
      const link = replyLink;
      replyLink = null;
      el("parent").value = "";
      replying.hidden = true;
      replying.replaceChildren();
      home.after(form);
      if (focus) {
        saveSoon();
        (link && link.isConnected ? link : el("body")).focus();
      }
    }

    discussion.addEventListener("click", (event) => {
      const link = event.target.closest?.("a.comment-reply[data-parent]");
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault(); // the no-JavaScript reply page stays reachable with a modified click
      startReply(link);
    });

    /* Field errors: next to their field, announced with it. */

    function clearError(field) {
      const id = `${field.id}-error`;
      document.getElementById(id)?.remove();
      field.removeAttribute("aria-invalid");
      const rest = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter((x) => x && x !== id);
      if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
      else field.removeAttribute("aria-describedby");
    }

    function clearErrors() {
      for (const name of TEXT_FIELDS) clearError(el(name));
    }

    /** Show each error by its field; return the first such field on the form and the messages that have none. */
    function showErrors(errors) {
      const unplaced = [];
      for (const [name, message] of Object.entries(errors || {})) {
        const field = el(name);
        if (!field || field.type === "hidden" || !field.id) {
          unplaced.push(String(message));
          continue;
        }
        clearError(field);
        const error = document.createElement("p");
        error.className = "field-error";
        error.id = `${field.id}-error`;
        error.textContent = String(message);
        field.after(error);
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", [field.getAttribute("aria-describedby"), error.id].filter(Boolean).join(" "));
      }
      // In the form's order, not the answer's (JSON keys come sorted).
      return { first: form.querySelector('[aria-invalid="true"]'), unplaced };
    }

    /* The visitor's own comments, shown in place until settled. */

    function place(article, parentId) {
      const parent = parentId && document.getElementById(`comment-${parentId}`);
      if (parent) {
        let replies = parent.querySelector(":scope > .replies");
        if (!replies) {
          replies = document.createElement("div");
          replies.className = "replies";
          parent.append(replies);
        }
        article.dataset.depth = String(Number(parent.dataset.depth || 0) + 1);
        replies.append(article);
        return;
      }
      let list = discussion.querySelector(".comment-list");
      if (!list) {
        list = document.createElement("div");
        list.className = "comment-list";
        home.before(list);
      }
      article.dataset.depth = "0";
      list.append(article);
      discussion.querySelector(".discussion-empty")?.setAttribute("hidden", "");
    }

    function show(record, html) {
      discussion.querySelector(`[data-pending-id="${CSS.escape(record.id)}"]`)?.remove();
      const article = pendingArticle(record, html);
      place(article, record.parent);
      return article;
    }

    /**
     * Ask the receipt where a remembered comment stands. Settled (published: the static page has
     * it; not published; deleted): forget it and return null. Otherwise return the fresh HTML to
     * show, or undefined when the service cannot be asked (the stored text is shown instead).
     */
    async function check(record) {
      if (document.getElementById(`comment-${record.id}`)) {
        dropPending(record.id); // the static page already carries it
        return null;
      }
      let receipt = null;
      try {
        const response = await fetch(receiptApiUrl(service, record.receipt_url), { headers: { Accept: "application/json" }, cache: "no-store" });
        if (response.status === 404) {
          dropPending(record.id); // deleted by a moderator
          return null;
        }
        if (response.ok) receipt = await response.json();
      } catch {
        /* offline or the service is restarting: show what we know */
      }
      if (!receipt) return undefined;
      if (receipt.status === "published" || receipt.status === "not_published") {
        dropPending(record.id);
        return null;
      }
      Object.assign(record, { status: receipt.status, status_text: receipt.status_text });
      keepPending(record);
      return typeof receipt.html === "string" ? receipt.html : undefined;
    }

    async function showRemembered() {
      const mine = pendingAll().filter((r) => r && r.thread === thread && r.id && r.receipt_url);
      const answers = await Promise.all(mine.map(check)); // in parallel, then shown in the order sent
      mine.forEach((record, i) => answers[i] !== null && show(record, answers[i]));
    }

    /* Sending. */

    function sendingState(on) {
      sending = on;
      submit.disabled = on;
      form.setAttribute("aria-busy", String(on));
    }

    function kept(message) {
      return `${message} Everything you typed is still here and saved in this browser.`;
    }

    async function send(retried = false) {
      const payload = { thread, hp: el("hp")?.value || "" };
      for (const name of ["parent", ...TEXT_FIELDS, "form_token", "idempotency_key"]) payload[name] = el(name).value;
      saveDraft(); // whatever happens next, a reload brings this back
      let response;
      let data = null;
      try {
        response = await fetch(`${service}/api/comments`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": payload.idempotency_key },
          body: JSON.stringify(payload),
        });
      } catch {
        say(kept("Your comment was not sent: the comment service could not be reached. Check your connection and send it again."), "is-error");
        focusAfter = submit;
        return null;
      }
      try {
        data = await response.json();
      } catch {
        data = null;
      }
      if (response.ok && data && data.id) return data;
      if (response.status >= 500 || !data) {
        say(kept((data && data.error) || (response.status >= 500
          ? "The comment service is restarting or busy, so your comment was not sent. Please send it again in a moment."
          : `Your comment was not sent (the service answered ${response.status}).`)), "is-error");
        focusAfter = submit;
        return null;
      }
      // The key was used for a different text (an earlier send arrived, then the text changed):
      // this is a new comment, so it gets a new key.
      if (data.errors && data.errors.idempotency_key && !retried) {
        el("idempotency_key").value = newKey();
        return send(true);
      }
      const { first, unplaced } = showErrors(data.errors);
      say(kept([data.error || "Your comment was not sent.", ...unplaced].join(" ")), "is-error");
      focusAfter = first || submit;
      return null;
    }

    function confirmed(data) {
      clearTimeout(saveTimer);
      store.remove(draftKey); // only now: the service has it
      const record = {
        id: data.id, thread, parent: data.parent || el("parent").value || null, receipt_url: data.receipt_url,
        author: data.author, website: data.website, body: data.body, created_at: data.created_at,
        status: data.status, status_text: data.status_text,
      };
      if (replyLink) cancelReply(false);
      el("body").value = "";
      el("idempotency_key").value = newKey();
      refreshFormToken();
      saveDraft(); // the identity, now without a body
      if (data.status === "not_published") {
        say(`Your comment was received but will not be published: ${data.reason || "a rule stopped it."}`, "is-error");
        return;
      }
      if (data.status === "published") {
        say("Thanks! Your comment is published; reload the page to see it.", "is-ok");
        return;
      }
      keepPending(record);
      const article = show(record, typeof data.html === "string" ? data.html : null);
      say(data.status === "awaiting_moderation"
        ? "Thanks! Your comment was received and is awaiting moderation. It is shown to you in the thread until a moderator approves it."
        : "Thanks! Your comment was approved and will be on the page in a moment.", "is-ok");
      article.focus();
      article.scrollIntoView({ block: "nearest" });
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (sending) return; // no double submits, even from Enter pressed twice
      sendingState(true);
      clearErrors();
      say("Sending…");
      try {
        const data = await send();
        if (data) confirmed(data);
      } finally {
        sendingState(false);
        focusAfter?.focus();
        focusAfter = null;
      }
    });

    form.addEventListener("input", (event) => {
      if (event.target.getAttribute?.("aria-invalid") === "true") clearError(event.target);
      saveSoon();
    });
    // A reload or tab close within SAVE_DELAY of the last keystroke must not lose it.
    addEventListener("pagehide", () => {
      if (saveTimer) saveDraft();
    });

    restore();
    refreshFormToken();
    showRemembered();
  }

  // An old browser keeps the plain form, which works without any of this.
  if (!window.fetch || !window.crypto?.getRandomValues || !window.DOMParser || !window.CSS?.escape) return;
  document.querySelectorAll("form#comment-form").forEach(enhance);
})();
