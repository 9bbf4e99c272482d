"""Error pages: JSON for /api/, the site's own 404 page or a service page otherwise."""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from comments_service.static_site import not_found_page

TOO_LARGE = "The request is too large. A comment may be at most 65,525 characters; nothing was stored."
UNAVAILABLE = "The service is restarting or busy. Nothing was lost; please try again in a moment."


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _page(status: int, title: str, message: str):
    return render_template("error.html", title=title, message=message), status


def handle_http(exc: HTTPException):
    """Any HTTP error, in the client's language."""
    status = exc.code or 500
    message = TOO_LARGE if isinstance(exc, RequestEntityTooLarge) else (exc.description or exc.name)
    if _is_api():
        return jsonify({"error": message, "errors": {}}), status
    if status == 404 and current_app.config["SERVE_SITE"] and (page := not_found_page()) is not None:
        return page
    return _page(status, exc.name, message)


def handle_database_down(exc: OperationalError):
    """The database is unreachable or locked for too long: 503, never a stack trace."""
    current_app.logger.error("database unavailable: %s", exc)
    if _is_api():
        return jsonify({"error": UNAVAILABLE, "errors": {}}), HTTPStatus.SERVICE_UNAVAILABLE
    return _page(HTTPStatus.SERVICE_UNAVAILABLE, "Service unavailable", UNAVAILABLE)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(OperationalError, handle_database_down)
