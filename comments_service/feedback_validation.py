"""Checks for what visitors and moderators send about feedback items; messages say what to fix.

Limits come from cluetrain.content_format, so whatever passes can be written to content/.
Name and e-mail are checked exactly as for comments.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cluetrain import content_format as cf
from comments_service.validation import FieldErrors, check_author, check_email

FEEDBACK_FIELDS = ("kind", "title", "body", "tags", "author", "email")
EDITABLE_FIELDS = ("kind", "title", "tags", "body")


@dataclass(frozen=True, slots=True)
class FeedbackFields:
    """A new item's visitor-supplied fields, checked and normalised."""

    kind: cf.FeedbackKind
    title: str
    body: str
    tags: tuple[str, ...]
    author: str
    email: str | None


def _one_line(value: str) -> str:
    """Whitespace (line breaks included) collapsed to single spaces: titles and tags are one line."""
    return " ".join(value.split())


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value)


def check_kind(value: Any) -> cf.FeedbackKind:
    """One of the kinds."""
    try:
        return cf.FeedbackKind(value)
    except ValueError:
        raise ValueError(f"Please choose what it is: {', '.join(k.value for k in cf.FeedbackKind)}.") from None


def check_title(value: Any) -> str:
    """A one-line title."""
    if not isinstance(value, str):
        raise ValueError("must be text.")
    title = _one_line(value)
    if not title:
        raise ValueError("Please give your feedback a title.")
    if len(title) > cf.MAX_TITLE_LENGTH:
        raise ValueError(f"The title is {len(title)} characters long; the limit is {cf.MAX_TITLE_LENGTH}.")
    if _has_control(title):
        raise ValueError("The title must not contain control characters.")
    return title


def check_description(value: Any) -> str:
    """The Markdown description, line endings normalised."""
    if not isinstance(value, str):
        raise ValueError("must be text.")
    body = value.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise ValueError("Please describe your feedback.")
    if len(body) > cf.MAX_BODY_LENGTH:
        raise ValueError(f"The description is {len(body):,} characters long; the limit is {cf.MAX_BODY_LENGTH:,}.")
    if bad := cf.FORBIDDEN_CHARACTERS.search(body):
        raise ValueError(f"The description contains the invisible control character U+{ord(bad.group()):04X}; "
                         "please remove it.")
    return body


def check_tags(value: Any) -> tuple[str, ...]:
    """A list of tags, or one comma-separated string (the form's field)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ValueError("must be a list of text.")
    tags = cf.normalize_tags(_one_line(tag) for tag in value)
    if len(tags) > cf.MAX_TAGS:
        raise ValueError(f"Please use at most {cf.MAX_TAGS} tags.")
    for tag in tags:
        if len(tag) > cf.MAX_TAG_LENGTH:
            raise ValueError(f"The tag “{tag[:20]}…” is longer than {cf.MAX_TAG_LENGTH} characters.")
        if _has_control(tag) or cf.FORBIDDEN_CHARACTERS.search(tag):
            raise ValueError("Tags must not contain control characters.")
    return tags


def _text_field(check: Callable[[str], Any]) -> Callable[[Any], Any]:
    def checked(value: Any) -> Any:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError("must be text.")
        return check(value)
    return checked


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "kind": check_kind, "title": check_title, "body": check_description, "tags": check_tags,
    "author": _text_field(check_author), "email": _text_field(check_email),
}


def _run(raw: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in names:
        try:
            clean[name] = _CHECKS[name](raw.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    return clean


def validate_feedback(raw: Mapping[str, Any]) -> FeedbackFields:
    """Check every field of a new item at once; FieldErrors lists all problems."""
    return FeedbackFields(**_run(raw, FEEDBACK_FIELDS))


def validate_feedback_edit(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields a moderator may change; only those present are returned."""
    unknown = {name: f"cannot be edited (editable: {', '.join(EDITABLE_FIELDS)})." for name in raw
               if name not in EDITABLE_FIELDS}
    if unknown:
        raise FieldErrors(unknown)
    return _run(raw, tuple(name for name in EDITABLE_FIELDS if name in raw))


def check_public_name(value: Any, field: str) -> str | None:
    """An optional public name (who answered); raises FieldErrors naming ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return _text_field(check_author)(value)
    except ValueError as exc:
        raise FieldErrors({field: str(exc).replace("Your name", "The name")}) from None
