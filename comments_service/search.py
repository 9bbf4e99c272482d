"""Site search: the results page and ``GET /api/search``, answered from the index the build writes.

The service never writes the index: it opens it read-only, and each query sees the newest
version the site build has committed (see ``cluetrain.search``).
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from cluetrain.search import (
    DocType,
    Hit,
    SearchIndex,
    SearchRequest,
    SearchRequestError,
    SearchResults,
    SearchUnavailable,
    SortOrder,
    clean_query_text,
)
from cluetrain.search.query import DEFAULT_PAGE_SIZE
from comments_service.origins import allowed_origins

bp = Blueprint("search", __name__)
EXTENSION = "cluetrain_search"
DEFAULT_INDEX_FOLDER = "search_index"
MAX_FILTER_LENGTH = 100
UNAVAILABLE = "Search is not available right now: the site's search index has not been built yet."
# Parameters a results page carries from one link to the next (pagination, sorting, "did you mean").
LINK_PARAMETERS = ("q", "type", "tag", "status", "author", "from", "to", "sort", "per_page")


def index_path(config: dict[str, Any]) -> Path:
    """The index folder: SEARCH_INDEX_PATH (relative to PROJECT_ROOT), or PROJECT_ROOT/search_index."""
    root = Path(config["PROJECT_ROOT"])
    configured = config.get("SEARCH_INDEX_PATH")
    path = Path(configured) if configured else Path(DEFAULT_INDEX_FOLDER)
    return path if path.is_absolute() else root / path


def search_index() -> SearchIndex:
    """The app's index reader, created on first use (it opens nothing until a query)."""
    extensions = current_app.extensions
    if EXTENSION not in extensions:
        # setdefault: two first requests at once agree on one reader; the other is never opened.
        extensions.setdefault(EXTENSION, SearchIndex(index_path(current_app.config)))
    return extensions[EXTENSION]


# --- parameters ---------------------------------------------------------------------------------


def _text(args: MultiDict[str, str], name: str) -> str | None:
    text, _ = clean_query_text(args.get(name, ""))
    return text[:MAX_FILTER_LENGTH] or None


def _types(args: MultiDict[str, str]) -> frozenset[DocType]:
    wanted = {part.strip() for value in args.getlist("type") for part in value.split(",") if part.strip()}
    try:
        return frozenset(DocType(value) for value in wanted)
    except ValueError:
        choices = ", ".join(kind.value for kind in DocType)
        raise SearchRequestError("type", f"must be one of {choices}") from None


def _date(args: MultiDict[str, str], name: str) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise SearchRequestError(name, "must be a date like 2026-01-31") from None


def _number(args: MultiDict[str, str], name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:  # also Python's limit on very long digit strings
        raise SearchRequestError(name, "must be a whole number") from None


def _sort(args: MultiDict[str, str]) -> SortOrder:
    raw = args.get("sort", "").strip() or SortOrder.RELEVANCE.value
    try:
        return SortOrder(raw)
    except ValueError:
        raise SearchRequestError("sort", "must be relevance or date") from None


def parse_request(args: MultiDict[str, str]) -> tuple[SearchRequest, bool]:
    """The SearchRequest the query string asks for, and whether the words had to be shortened."""
    text, shortened = clean_query_text(args.get("q", ""))
    search_request = SearchRequest(
        text=text,
        types=_types(args),
        tag=_text(args, "tag"),
        status=_text(args, "status"),
        author=_text(args, "author"),
        date_from=_date(args, "from"),
        date_to=_date(args, "to"),
        sort=_sort(args),
        page=_number(args, "page", 1),
        page_size=_number(args, "per_page", DEFAULT_PAGE_SIZE),
    )
    return search_request, shortened


# --- the results page -------------------------------------------------------------------------------


def link(**changes: Any) -> str:
    """This search's URL with some parameters changed (None drops one); pages start again at 1."""
    params: dict[str, list[str]] = {
        name: request.args.getlist(name) for name in LINK_PARAMETERS if request.args.getlist(name)
    }
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = [str(value)]
    return url_for("search.search_page", **params)


def _page(status: int = HTTPStatus.OK, **variables: Any) -> tuple[str, int]:
    form = {
        "q": clean_query_text(request.args.get("q", ""))[0],
        "types": {part.strip() for value in request.args.getlist("type") for part in value.split(",")},
        **{name: request.args.get(name, "") for name in ("tag", "status", "author", "from", "to", "sort")},
    }
    page = render_template(
        "search.html", form=form, doc_types=list(DocType), sort_orders=list(SortOrder), link=link,
        statuses=current_app.config.get("FEEDBACK_STATUSES") or (), **variables,
    )
    return page, status


@bp.get("/search")
def search_page() -> tuple[str, int]:
    """The results page (works without JavaScript: the site's search form submits here)."""
    try:
        search_request, shortened = parse_request(request.args)
        if search_request.is_empty:
            return _page()
        results = search_index().query(search_request)
    except SearchRequestError as exc:
        return _page(HTTPStatus.BAD_REQUEST, error=exc)
    except SearchUnavailable:
        current_app.logger.warning("search index missing at %s", search_index().path)
        return _page(HTTPStatus.SERVICE_UNAVAILABLE, unavailable=UNAVAILABLE)
    return _page(results=results, shortened=shortened)


# --- JSON -----------------------------------------------------------------------------------------------


def hit_json(hit: Hit) -> dict[str, Any]:
    """One result for the JSON API; a comment's title is that of what it comments on."""
    return {
        "url": hit.url,
        "title": hit.title or hit.context_title or "",
        "type": hit.type.value,
        "snippet": hit.snippet_text,
        "date": hit.date.isoformat(timespec="seconds") if hit.date else None,
        "status": hit.status,
        "authors": list(hit.authors),
    }


def results_json(results: SearchResults) -> dict[str, Any]:
    """A page of results for the JSON API."""
    return {
        "total": results.total,
        "page": results.request.page,
        "pages": results.page_count,
        "suggestion": results.suggestion,
        "results": [hit_json(hit) for hit in results.hits],
    }


@bp.get("/api/search")
def search_api() -> tuple[Response, int]:
    """Search as JSON: ``{"total": N, "results": [{"url", "title", "type", "snippet", "date"}, ...]}``."""
    try:
        search_request, _ = parse_request(request.args)
        if search_request.is_empty:
            return jsonify({"total": 0, "page": 1, "pages": 0, "suggestion": None, "results": []}), HTTPStatus.OK
        results = search_index().query(search_request)
    except SearchRequestError as exc:
        return jsonify({"error": f"{exc.parameter} {exc.problem}", "errors": {exc.parameter: exc.problem}}), 400
    except SearchUnavailable:
        return jsonify({"error": UNAVAILABLE, "errors": {}}), HTTPStatus.SERVICE_UNAVAILABLE
    return jsonify(results_json(results)), HTTPStatus.OK


@bp.after_request
def _allow_site_scripts(response: Response) -> Response:
    """Let the site's pages (e.g. the feedback form's "similar items") call the API from their origin."""
    origin = request.headers.get("Origin")
    if origin and request.path == "/api/search" and origin.lower() in allowed_origins():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    return response
