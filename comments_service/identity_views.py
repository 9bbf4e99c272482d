"""Visitor pages of verified identity: ask for a link, confirm it (POST only), forget this device."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, Flask, current_app, jsonify, make_response, render_template, request

from comments_service import identity
from comments_service.origins import origin_allowed, site_origin
from comments_service.runtime import get_runtime
from comments_service.validation import check_author, check_email

bp = Blueprint("identity", __name__, url_prefix="/identity")
BUSY = "Many confirmation links were asked for in the last hour. Please try again later."
SENT = ("If the address can receive mail, a confirmation link is on its way. "
        "It works once, on the device you open it on.")


def _page(title: str, message: str, *, action: str | None = None, button: str | None = None,
          status: HTTPStatus = HTTPStatus.OK):
    return render_template("community/mail_link.html", title=title, message=message, action=action,
                           button=button), status


def _request_form(values: dict[str, str], errors: dict[str, str], message: str | None = None,
                  status: HTTPStatus = HTTPStatus.OK):
    proven = current_identity()
    return render_template("community/identity_request.html", values=values, errors=errors, message=message,
                           proven=proven), status


def current_identity() -> identity.ProvenIdentity | None:
    """The identity this request's cookie proves, if any."""
    config = current_app.config
    return identity.read_identity(request.cookies.get(identity.COOKIE_NAME), config["SECRET_KEY"],
                                  config["IDENTITY_COOKIE_MAX_AGE"])


@bp.get("/")
def form():
    """The form that asks for a confirmation link."""
    return _request_form({"author": "", "email": ""}, {})


@bp.post("/")
def ask():
    """Queue a confirmation link (form or JSON); the answer is the same whether or not one was sent."""
    wants_json = request.is_json
    data = (request.get_json(silent=True) if wants_json else request.form) or {}
    values = {name: data.get(name) if isinstance(data.get(name), str) else "" for name in ("author", "email")}
    if not origin_allowed():
        return _request_form(values, {}, "This page is not allowed to ask for links here.", HTTPStatus.FORBIDDEN)
    errors: dict[str, str] = {}
    try:
        name = check_author(values["author"])
    except ValueError as exc:
        errors["author"] = str(exc)
    try:
        email = check_email(values["email"])
        if email is None:
            errors["email"] = "Please enter the e-mail address to confirm."
    except ValueError as exc:
        errors["email"] = str(exc)
    if not current_app.config["SMTP_HOST"]:
        errors["email"] = "This site sends no e-mail, so addresses cannot be confirmed."
    if errors:
        if wants_json:
            body = {"error": "Please fix the marked fields.", "errors": errors}
            return jsonify(body), HTTPStatus.UNPROCESSABLE_ENTITY
        return _request_form(values, errors, "Please fix the marked fields.", HTTPStatus.UNPROCESSABLE_ENTITY)
    config = current_app.config
    with get_runtime().database.write() as session:
        outcome = identity.request_confirmation(session, email, name, base_url=site_origin() or "",
                                                site_name=config["SITE_NAME"],
                                                interval_seconds=config["IDENTITY_REQUEST_INTERVAL"],
                                                per_hour=config["IDENTITY_REQUESTS_PER_HOUR"])
    if outcome is identity.RequestOutcome.BUSY:
        if wants_json:
            return jsonify({"error": BUSY, "errors": {}}), HTTPStatus.TOO_MANY_REQUESTS
        return _page("Please try later", BUSY, status=HTTPStatus.TOO_MANY_REQUESTS)
    notifier = current_app.extensions.get("cluetrain_notifier")
    if notifier is not None:
        notifier.notify()
    if wants_json:
        return jsonify({"message": SENT}), HTTPStatus.ACCEPTED
    return _page("Check your inbox", SENT, status=HTTPStatus.ACCEPTED)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Confirm the address on this device; a GET only shows the button (mail scanners fetch links)."""
    max_age = current_app.config["IDENTITY_LINK_MAX_AGE"]
    database = get_runtime().database
    try:
        if request.method == "GET":
            with database.read() as session:
                identity.find_request(session, token, max_age)
            return _page("Confirm your e-mail", "Confirm your address and remember me on this device.",
                         action=request.path, button="Confirm")
        with database.write() as session:
            proven = identity.confirm(session, token, max_age)
    except identity.LinkUsed:
        return _page("Link already used", "Each link works once. Ask for a new one for another device.",
                     status=HTTPStatus.GONE)
    except identity.LinkExpired:
        return _page("Link expired", "This link has expired; ask for a new one.", status=HTTPStatus.GONE)
    except identity.LinkInvalid:
        return _page("Link not valid", "This confirmation link is not valid.", status=HTTPStatus.NOT_FOUND)
    body, status = _page("Confirmed", f"Your comments as {proven.name} are now published without waiting, "
                                      "from this device.")
    response = make_response(body, status)
    identity.set_identity_cookie(response, proven, current_app.config)
    return response


@bp.post("/forget")
def forget():
    """Remove the identity cookie from this browser."""
    if not origin_allowed():
        return _page("Not allowed", "This page is not allowed to do that.", status=HTTPStatus.FORBIDDEN)
    body, status = _page("Forgotten", "This device no longer proves your e-mail address.")
    response = make_response(body, status)
    identity.clear_identity_cookie(response, current_app.config)
    return response


def init_app(app: Flask) -> None:
    """Register the identity pages."""
    app.register_blueprint(bp)
