"""Field checks shared by every path that accepts visitor text: submission, API edit, moderator edit.

Limits and patterns come from cluetrain.content_format, so whatever is accepted here can be
written to content/. Messages say what to fix, for the form and the JSON errors alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cluetrain import content_format as cf
from comments_service.models import MAX_EMAIL_LENGTH

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
FORM_FIELDS = ("thread", "parent", "author", "email", "website", "body")


class FieldErrors(ValueError):
    """One or more fields are wrong; ``errors`` maps each field to what to fix."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


@dataclass(frozen=True, slots=True)
class CommentFields:
    """A comment's visitor-supplied fields, checked and normalised."""

    thread: str
    parent: str | None
    author: str
    email: str | None
    website: str | None
    body: str


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in value)


def _text(raw: Mapping[str, Any], name: str, errors: dict[str, str]) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = "must be text."
        return ""
    return value


def check_author(value: str) -> str:
    """The author's name, trimmed; raises ValueError with what to fix."""
    value = value.strip()
    if not value:
        raise ValueError("Please enter your name.")
    if len(value) > cf.MAX_AUTHOR_LENGTH:
        raise ValueError(f"Your name is {len(value)} characters long; the limit is {cf.MAX_AUTHOR_LENGTH}.")
    if _has_control(value):
        raise ValueError("Your name must be one line, without control characters.")
    return value


def check_email(value: str) -> str | None:
    """The e-mail address (optional), trimmed; raises ValueError with what to fix."""
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValueError(f"Your e-mail address is {len(value)} characters long; the limit is {MAX_EMAIL_LENGTH}.")
    if _has_control(value) or not EMAIL_PATTERN.fullmatch(value):
        raise ValueError("Please enter an e-mail address like name@example.org, or leave it empty.")
    return value


def check_website(value: str) -> str | None:
    """The website (optional), an http(s) URL; raises ValueError with what to fix."""
    value = value.strip()
    if not value:
        return None
    if len(value) > cf.MAX_WEBSITE_LENGTH:
        raise ValueError(f"Your website address is {len(value)} characters long; the limit is {cf.MAX_WEBSITE_LENGTH}.")
    if _has_control(value):
        raise ValueError("Your website address must not contain control characters.")
    try:
        return cf.validate_website(value)
    except cf.ContentFormatError:
        raise ValueError("Your website must start with http:// or https:// and contain no spaces or quotes.") from None


def check_body(value: str) -> str:
    """The Markdown body, line endings normalised; raises ValueError with what to fix."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if not value.strip():
        raise ValueError("Please write your comment.")
    if len(value) > cf.MAX_BODY_LENGTH:
        raise ValueError(f"Your comment is {len(value):,} characters long; the limit is {cf.MAX_BODY_LENGTH:,}.")
    if bad := cf.FORBIDDEN_CHARACTERS.search(value):  # what the content format (and XML feeds) cannot carry
        raise ValueError(f"Your comment contains the invisible control character U+{ord(bad.group()):04X}; "
                         "please remove it.")
    return value


def check_thread(value: str) -> str:
    """The thread key's syntax (the manifest decides whether it exists)."""
    try:
        return cf.validate_thread_key(value.strip())
    except cf.ContentFormatError:
        raise ValueError("This form does not name a valid discussion; reload the page and try again.") from None


def check_parent(value: str) -> str | None:
    """The id of the comment replied to (optional)."""
    value = value.strip()
    if not value:
        return None
    try:
        return cf.validate_id(value)
    except cf.ContentFormatError:
        raise ValueError("The comment you are replying to is not valid; reload the page and try again.") from None


_CHECKS = {"thread": check_thread, "parent": check_parent, "author": check_author, "email": check_email,
           "website": check_website, "body": check_body}


def validate_comment(raw: Mapping[str, Any]) -> CommentFields:
    """Check every field of a submission at once; FieldErrors lists all problems."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, check in _CHECKS.items():
        text = _text(raw, name, errors)
        if name in errors:
            continue
        try:
            clean[name] = check(text)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    return CommentFields(**clean)


def validate_edit(raw: Mapping[str, Any], allowed: tuple[str, ...] = ("author", "website", "body")) -> dict[str, Any]:
    """Check the fields a moderator may change; only those present are returned."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in raw:
        if name not in allowed:
            errors[name] = f"cannot be edited (editable: {', '.join(allowed)})."
    for name in allowed:
        if name not in raw:
            continue
        text = _text(raw, name, errors)
        if name in errors:
            continue
        try:
            clean[name] = _CHECKS[name](text)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    return clean
