"""Identifiers, tokens and keyed hashes: comment ids, receipt tokens, avatar and contributor keys, form tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from itsdangerous import BadSignature, URLSafeSerializer

_FORM_TOKEN_SALT = "cluetrain-form-token"
AVATAR_KEY_LENGTH = 16
CONTRIBUTOR_KEY_LENGTH = 16


def new_comment_id() -> str:
    """A fresh comment id: "c" and 12 random base32 characters (60 bits); matches ID_PATTERN."""
    return "c" + base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()[:12]


def new_receipt_token() -> str:
    """An unguessable token for a receipt URL (192 bits)."""
    return secrets.token_urlsafe(24)


def new_api_token() -> str:
    """A new bearer token for the moderation API (256 bits)."""
    return "ct_" + secrets.token_urlsafe(32)


def sha256_hex(text: str) -> str:
    """SHA-256 of UTF-8 text, hex."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # hostile JSON may hold lone surrogates


def avatar_key(secret: str, email: str | None, name: str) -> str:
    """HMAC-SHA256 of the lowercased e-mail (or the name without one), first 16 hex digits."""
    subject = email.strip().lower() if email else name
    return hmac.new(secret.encode(), subject.encode("utf-8"), hashlib.sha256).hexdigest()[:AVATAR_KEY_LENGTH]


def contributor_key(secret: str, email: str) -> str:
    """A verified address's public key: HMAC-SHA256 of the lowercased e-mail, first 16 hex digits."""
    # Keyed so the key cannot be checked against a guessed address; a different secret than avatars'.
    digest = hmac.new(secret.encode(), email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:CONTRIBUTOR_KEY_LENGTH]


def body_hash(body: str) -> str:
    """A hash of the body that ignores case and whitespace, for spotting duplicates."""
    return sha256_hex(" ".join(body.casefold().split()))


def fingerprint(*values: str | None) -> str:
    """A hash of exactly what was submitted (to tell a retry from a reused idempotency key)."""
    return sha256_hex(json.dumps(values, ensure_ascii=False))


def idempotency_key(supplied: str | None, *derive_from: str | None) -> str:
    """The stored key: a hash of the client's key, or of the submission itself when there is none."""
    if supplied and supplied.strip():
        return sha256_hex("client:" + supplied.strip())
    return sha256_hex("derived:" + json.dumps(derive_from, ensure_ascii=False))


def issue_form_token(secret: str, now: float | None = None) -> str:
    """A signed timestamp the page's form carries, to measure how long filling it took."""
    return URLSafeSerializer(secret, salt=_FORM_TOKEN_SALT).dumps({"t": round(now or time.time(), 3)})


def form_age(token: str | None, secret: str, max_age: float, now: float | None = None) -> float | None:
    """Seconds since ``token`` was issued; None if missing, forged, garbled or expired."""
    if not token:
        return None
    try:
        data = URLSafeSerializer(secret, salt=_FORM_TOKEN_SALT).loads(token)
    except BadSignature:
        return None
    issued = data.get("t") if isinstance(data, dict) else None
    if not isinstance(issued, (int, float)):
        return None
    age = (now or time.time()) - issued
    if age > max_age or age < -60:  # a minute of clock skew between service processes is fine
        return None
    return max(age, 0.0)
