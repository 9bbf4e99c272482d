"""Which browser origins may post comments and read visitor API answers (Origin check and CORS)."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from comments_service.manifest import origin_of
from comments_service.runtime import get_runtime

# Visitor endpoints a page on the site's origin may call from JavaScript.
CORS_PREFIXES = ("/api/comments", "/api/form-token", "/api/receipts/")
CORS_HEADERS = "Content-Type, Idempotency-Key, Accept"


def allowed_origins() -> set[str]:
    """The service's own origin, the site's (setting or manifest), and ALLOWED_ORIGINS."""
    config = current_app.config
    allowed = {request.host_url.rstrip("/").lower()}
    allowed |= {o for o in (origin_of(config["SITE_URL"]), *map(origin_of, config["ALLOWED_ORIGINS"])) if o}
    if not config["SITE_URL"]:
        allowed |= get_runtime().manifest.origins()
    return allowed


def site_origin() -> str:
    """Where the public site lives, for links and its stylesheet: SITE_URL, else the manifest's origin."""
    configured = origin_of(current_app.config["SITE_URL"])
    if configured:
        return configured
    found = sorted(get_runtime().manifest.origins())
    return found[0] if len(found) == 1 else ""


def origin_allowed() -> bool:
    """Whether the request's Origin (when the browser sent one) may post here."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser cross-site request (curl, a form from an old browser)
    return origin.lower() in allowed_origins()


def _add_cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin and request.path.startswith(CORS_PREFIXES) and origin.lower() in allowed_origins():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    response.vary.add("Origin")
    return response


def init_app(app: Flask) -> None:
    """Add CORS headers to visitor API answers for allowed origins."""
    app.after_request(_add_cors)
