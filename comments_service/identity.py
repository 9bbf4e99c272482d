"""Verified identity without accounts: a one-time link confirms an e-mail; a signed cookie then proves it.

The cookie carries the confirmed address and name, signed with SECRET_KEY and timed; it never
leaves the service's origin (HttpOnly, SameSite=Lax). Each device gets its own cookie by
opening a fresh link, so nothing but the mailbox vouches for a person.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comments_service import keys
from comments_service.identity_models import IdentityRequest, VerifiedIdentity
from comments_service.mailer import one_line
from comments_service.models import utcnow
from comments_service.notification_models import MailKind, MailStatus, OutboxMail

COOKIE_NAME = "cluetrain_identity"
COOKIE_SALT = "cluetrain-identity-cookie"


@dataclass(frozen=True, slots=True)
class ProvenIdentity:
    """What a valid identity cookie proves: this browser's owner confirmed ``email`` as ``name``."""

    email: str  # lowercased
    name: str


class LinkInvalid(Exception):
    """The confirmation link names no request."""


class LinkExpired(LinkInvalid):
    """The confirmation link is older than IDENTITY_LINK_MAX_AGE."""


class LinkUsed(LinkInvalid):
    """The confirmation link was already used (each works once: another device needs another link)."""


class RequestOutcome(enum.StrEnum):
    """What asking for a confirmation link did."""

    QUEUED = "queued"
    TOO_SOON = "too_soon"  # a link went to this address less than IDENTITY_REQUEST_INTERVAL ago
    BUSY = "busy"  # IDENTITY_REQUESTS_PER_HOUR links went out site-wide in the last hour


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=COOKIE_SALT)


def read_identity(value: str | None, secret: str, max_age: int) -> ProvenIdentity | None:
    """The identity a cookie value proves; None when missing, forged, garbled or expired."""
    if not value:
        return None
    try:
        data = _signer(secret).loads(value, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str) or not isinstance(data.get("n"), str):
        return None
    return ProvenIdentity(email=data["e"], name=data["n"])


def set_identity_cookie(response: Response, identity: ProvenIdentity, config: Any) -> None:
    """Give this browser the long-lived proof of ``identity``."""
    token = _signer(config["SECRET_KEY"]).dumps({"e": identity.email, "n": identity.name})
    response.set_cookie(COOKIE_NAME, token, max_age=config["IDENTITY_COOKIE_MAX_AGE"], httponly=True,
                        secure=config["SESSION_COOKIE_SECURE"], samesite="Lax", path="/")


def clear_identity_cookie(response: Response, config: Any) -> None:
    """Forget the identity on this browser."""
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, secure=config["SESSION_COOKIE_SECURE"],
                           samesite="Lax")


def request_confirmation(session: Session, email: str, name: str, *, base_url: str, site_name: str,
                         interval_seconds: int, per_hour: int = 0) -> RequestOutcome:
    """Record a one-time link for ``email`` and queue the mail that carries it (sent by the notifier)."""
    email = email.strip().lower()
    if per_hour:
        # A cap on everyone together: the per-address interval alone lets a script mail many addresses.
        last_hour = session.scalar(select(func.count()).select_from(IdentityRequest).where(
            IdentityRequest.created_at >= utcnow() - timedelta(hours=1))) or 0
        if last_hour >= per_hour:
            return RequestOutcome.BUSY
    since = utcnow() - timedelta(seconds=interval_seconds)
    recent = session.scalar(select(IdentityRequest.id).where(IdentityRequest.email == email,
                                                             IdentityRequest.created_at >= since).limit(1))
    if recent is not None:  # a form cannot be used to flood someone's inbox
        return RequestOutcome.TOO_SOON
    token = keys.new_receipt_token()
    session.add(IdentityRequest(token=token, email=email, name=name))
    session.add(OutboxMail(kind=MailKind.CONFIRM_IDENTITY, recipient=email, recipient_name=one_line(name),
                           variables={"name": name, "site_name": site_name,
                                      "confirm_url": f"{base_url}/identity/confirm/{token}"},
                           status=MailStatus.PENDING, attempts=0, next_attempt_at=utcnow()))
    return RequestOutcome.QUEUED


def find_request(session: Session, token: str, max_age: int) -> IdentityRequest:
    """The usable request behind a link; raises LinkInvalid, LinkExpired or LinkUsed."""
    found = session.scalar(select(IdentityRequest).where(IdentityRequest.token == token))
    if found is None:
        raise LinkInvalid(token)
    if found.used_at is not None:
        raise LinkUsed(token)
    if utcnow() - found.created_at > timedelta(seconds=max_age):
        raise LinkExpired(token)
    return found


def confirm(session: Session, token: str, max_age: int) -> ProvenIdentity:
    """Use a link: the address is confirmed under the link's name; raises as find_request does."""
    found = find_request(session, token, max_age)
    found.used_at = utcnow()
    identity = session.scalar(select(VerifiedIdentity).where(VerifiedIdentity.email == found.email))
    if identity is None:
        session.add(VerifiedIdentity(email=found.email, name=found.name))
    else:  # confirming again (another device) may change the name shown
        identity.name, identity.confirmed_at = found.name, utcnow()
    return ProvenIdentity(email=found.email, name=found.name)
