"""Serving the built site (output/) at / for local use; in production the web server does this."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_file
from werkzeug.security import safe_join

bp = Blueprint("site", __name__)


def _resolve(relative: str) -> Path | None:
    root = Path(current_app.config["OUTPUT_PATH"])
    joined = safe_join(str(root), relative) if relative else str(root)
    if joined is None:
        return None
    path = Path(joined)
    if path.is_dir():
        path = path / "index.html"
    return path if path.is_file() else None


@bp.get("/", defaults={"relative": ""})
@bp.get("/<path:relative>")
def serve(relative: str):
    """A file of output/, a folder's index.html, or the site's 404 page."""
    path = _resolve(relative)
    if path is None:
        abort(404)
    return send_file(path, max_age=0)


def not_found_page():
    """output/404.html with status 404, if the site has one."""
    page = _resolve("404.html")
    if page is None:
        return None
    return send_file(page, max_age=0), 404


def init_app(app: Flask) -> None:
    """Serve OUTPUT_PATH at / when SERVE_SITE is on."""
    if app.config["SERVE_SITE"]:
        app.register_blueprint(bp)
