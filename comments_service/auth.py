"""Who may moderate: Argon2id passwords, login throttling, sessions, CSRF tokens and API bearer tokens."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, jsonify, redirect, request, session, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comments_service import keys
from comments_service.db import Database
from comments_service.models import ApiToken, AuditAction, AuditEntry, LoginAttempt, Moderator, utcnow
from comments_service.runtime import get_runtime

_hasher = PasswordHasher()  # argon2-cffi's default type is Argon2id with RFC 9106 low-memory parameters
# Verified against when the username is unknown, so a miss costs as much time as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
SESSION_USER = "moderator_id"
SESSION_CSRF = "csrf_token"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class AuthError(Exception):
    """A credential was refused."""


class LoginThrottled(AuthError):
    """Too many failed logins for this account or address; try again later."""


class BadCredentials(AuthError):
    """Unknown user, wrong password, or a disabled account (deliberately not told apart)."""


class ModeratorExists(ValueError):
    """A moderator with this username already exists."""


def hash_password(password: str) -> str:
    """An Argon2id hash (PHC string) of ``password``."""
    return _hasher.hash(password)


def add_moderator(session: Session, username: str, password: str) -> Moderator:
    """Create a moderator account."""
    username = username.strip()
    if not username or len(username) > 80:
        raise ValueError("username must be 1 to 80 characters")
    if len(password) < 10:
        raise ValueError("password must be at least 10 characters")
    if session.scalar(select(Moderator.id).where(Moderator.username == username)) is not None:
        raise ModeratorExists(f"moderator {username!r} already exists")
    moderator = Moderator(username=username, password_hash=hash_password(password))
    session.add(moderator)
    session.flush()
    return moderator


def set_password(session: Session, username: str, password: str) -> Moderator:
    """Create the moderator, or give an existing one a new password."""
    moderator = session.scalar(select(Moderator).where(Moderator.username == username))
    if moderator is None:
        return add_moderator(session, username, password)
    moderator.password_hash = hash_password(password)
    moderator.disabled = False
    return moderator


def _failures(session: Session, column: Any, value: str) -> int:
    since = utcnow() - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    query = select(func.count()).select_from(LoginAttempt).where(
        column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    return session.scalar(query) or 0


def authenticate(database: Database, username: str, password: str, ip: str) -> Moderator:
    """Check a login and record the attempt; raises LoginThrottled or BadCredentials."""
    config = current_app.config
    with database.read() as db_session:
        if (_failures(db_session, LoginAttempt.username, username) >= config["LOGIN_MAX_FAILURES"]
                or _failures(db_session, LoginAttempt.ip, ip) >= config["LOGIN_IP_MAX_FAILURES"]):
            raise LoginThrottled("Too many failed logins; try again later.")
        moderator = db_session.scalar(select(Moderator).where(Moderator.username == username))
    try:  # outside any write transaction: hashing takes tens of milliseconds
        _hasher.verify(moderator.password_hash if moderator else _DUMMY_HASH, password)
        ok = moderator is not None and not moderator.disabled
    except (VerificationError, InvalidHashError):
        ok = False
    new_hash = hash_password(password) if ok and _hasher.check_needs_rehash(moderator.password_hash) else None
    with database.write() as db_session:
        db_session.add(LoginAttempt(username=username[:80], ip=ip, succeeded=ok))
        if ok:
            if new_hash:
                db_session.get(Moderator, moderator.id).password_hash = new_hash
            db_session.add(AuditEntry(actor=f"moderator:{moderator.username}", action=AuditAction.LOGIN,
                                      details={"ip": ip}))
    if not ok:
        raise BadCredentials("Wrong username or password.")
    return moderator


def log_in(moderator: Moderator) -> None:
    """Start a fresh session for ``moderator`` (a new CSRF token too)."""
    session.clear()
    session[SESSION_USER] = moderator.id
    session[SESSION_CSRF] = secrets.token_urlsafe(32)
    session.permanent = False


def log_out() -> None:
    """End the moderator's session."""
    session.clear()


def csrf_token() -> str:
    """The session's CSRF token, for forms (a Jinja global)."""
    if SESSION_CSRF not in session:
        session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return session[SESSION_CSRF]


def check_csrf() -> None:
    """Abort with 400 unless the form field or header carries the session's CSRF token."""
    expected = session.get(SESSION_CSRF)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, description="The form has expired or did not come from this site; reload it and try again.")


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """For moderator UI views: redirect to the login page without a session; check CSRF on POST."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        moderator_id = session.get(SESSION_USER)
        with get_runtime().database.read() as db_session:
            moderator = db_session.get(Moderator, moderator_id) if moderator_id else None
        if moderator is None or moderator.disabled:
            return redirect(url_for("admin.login", next=request.full_path))
        if request.method == "POST":
            check_csrf()
        g.actor = f"moderator:{moderator.username}"
        g.moderator = moderator
        return view(*args, **kwargs)

    return wrapped


def create_token(session: Session, name: str) -> str:
    """Create an API token and return it; only its SHA-256 is stored."""
    token = keys.new_api_token()
    session.add(ApiToken(name=name, token_hash=keys.sha256_hex(token)))
    return token


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """For the JSON moderation API: require ``Authorization: Bearer TOKEN``."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("Send Authorization: Bearer TOKEN (create one with `cluetrain token create`).")
        with get_runtime().database.write() as db_session:
            row = db_session.scalar(select(ApiToken).where(ApiToken.token_hash == keys.sha256_hex(token.strip())))
            if row is None or row.revoked_at is not None:
                return _unauthorized("The token is unknown or revoked.")
            row.last_used_at = utcnow()
            g.actor = f"token:{row.name}"
        return view(*args, **kwargs)

    return wrapped


def _unauthorized(message: str):
    return jsonify({"error": message, "errors": {}}), 401, {"WWW-Authenticate": 'Bearer realm="cluetrain"'}
