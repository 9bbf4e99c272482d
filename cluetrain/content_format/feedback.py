"""Feedback items on disk: ``<content>/feedback/<id>-<slug>.md``.

Example::

    Id: 17
    Slug: local-midnight-for-daily-visitor-counts
    Kind: idea
    Status: planned
    Title: Local midnight for daily visitor counts
    Author: Kenji Yamada
    Date: 2025-11-20T09:12:00+00:00
    Votes: 142
    Tags: ["dashboard", "privacy"]
    History: [{"status": "new", "date": "2025-11-20T09:12:00+00:00"}, ...]
    Answer-By: Priya Natarajan
    Answer-Date: 2026-01-08T10:00:00+00:00
    Answer: "We are testing it.\\n\\nMore soon."

    The Markdown description, kept verbatim.

Multi-valued metadata (tags, status history) is one JSON value, so it round-trips
exactly; like every value it goes through :func:`encode_value`, so no visitor text can
start a metadata line. The file name is built only from the validated id and slug.
There is no field for e-mail or IP addresses.
"""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from .documents import MAX_AUTHOR_LENGTH, MAX_BODY_LENGTH, ContentFormatError, check_text, choices
from .comments import CONTRIBUTOR_PATTERN

FEEDBACK_DIR = "feedback"
FEEDBACK_ID_PATTERN = re.compile(r"[1-9][0-9]{0,9}")
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
STATUS_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
FEEDBACK_FILE_PATTERN = re.compile(r"(?P<id>[1-9][0-9]{0,9})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md")

MAX_SLUG_LENGTH = 60
MAX_STATUS_LENGTH = 40
MAX_TITLE_LENGTH = 200
MAX_TAG_LENGTH = 40
MAX_TAGS = 8
MAX_VOTES = 10**9
SLUG_FALLBACK = "item"


class FeedbackKind(enum.StrEnum):
    """What a visitor is telling the company."""

    BUG = "bug"
    IDEA = "idea"
    QUESTION = "question"
    PRAISE = "praise"

    @property
    def label(self) -> str:
        """The kind as a reader sees it ("Bug")."""
        return self.value.capitalize()


class DefaultStatus(enum.StrEnum):
    """The statuses a site has unless it configures its own."""

    NEW = "new"
    UNDER_REVIEW = "under-review"
    PLANNED = "planned"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    DECLINED = "declined"
    DUPLICATE = "duplicate"


DEFAULT_STATUSES: tuple[str, ...] = tuple(status.value for status in DefaultStatus)
DEFAULT_ROADMAP_STATUSES: tuple[str, ...] = tuple(
    status.value for status in (DefaultStatus.PLANNED, DefaultStatus.IN_PROGRESS, DefaultStatus.DONE))
DEFAULT_CLOSED_STATUSES: tuple[str, ...] = tuple(
    status.value for status in (DefaultStatus.DONE, DefaultStatus.DECLINED, DefaultStatus.DUPLICATE))


def status_label(key: str) -> str:
    """A status key as a reader sees it: ``in-progress`` → ``In progress``."""
    return key.replace("-", " ").capitalize()


# --- slugs and tags ----------------------------------------------------------------------------


def slugify(text: str, *, max_length: int = MAX_SLUG_LENGTH, fallback: str = SLUG_FALLBACK) -> str:
    """``[a-z0-9-]`` only, at most ``max_length`` characters, cut at a word boundary; never empty."""
    # Apostrophes join their word ("site's" → "sites"), they do not split it.
    joined = re.sub(r"['\u2019]", "", text)
    ascii_text = unicodedata.normalize("NFKD", joined).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            slug = slug or word[:max_length]
            break
        slug = candidate
    return slug or fallback


def tag_slug(tag: str) -> str:
    """The URL slug of a tag; a tag with no Latin letters or digits gets a stable hash."""
    # Distinct non-Latin tags must not all collapse into one fallback page.
    digest = hashlib.sha256(tag.casefold().encode("utf-8")).hexdigest()[:10]
    return slugify(tag, max_length=MAX_TAG_LENGTH, fallback=f"t-{digest}")


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags with whitespace collapsed, empty ones dropped, one per slug, in the order given."""
    seen: set[str] = set()
    result: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise ContentFormatError("every tag must be text")
        clean = " ".join(tag.split())
        if clean and tag_slug(clean) not in seen:
            seen.add(tag_slug(clean))
            result.append(clean)
    return tuple(result)


# --- values ------------------------------------------------------------------------------------


def validate_feedback_id(value: int) -> int:
    """Return ``value`` if it is a valid feedback id (a positive integer of at most 10 digits)."""
    if isinstance(value, bool) or not isinstance(value, int) or not FEEDBACK_ID_PATTERN.fullmatch(str(value)):
        raise ContentFormatError(f"feedback id {value!r} is not valid: a positive integer of at most 10 digits")
    return value


def validate_slug(value: str) -> str:
    """Return ``value`` if it is a valid item slug, else raise."""
    if not isinstance(value, str) or len(value) > MAX_SLUG_LENGTH or not SLUG_PATTERN.fullmatch(value):
        raise ContentFormatError(
            f"slug {value!r} is not valid: 1-{MAX_SLUG_LENGTH} characters of a-z, 0-9 and single '-' between words"
        )
    return value


def validate_status(value: str) -> str:
    """Return ``value`` if it has the shape of a status key (which keys exist is site configuration)."""
    if not isinstance(value, str) or len(value) > MAX_STATUS_LENGTH or not STATUS_PATTERN.fullmatch(value):
        raise ContentFormatError(f"status {value!r} is not valid: a-z, 0-9 and '-', starting with a letter")
    return value


def feedback_thread_key(item_id: int) -> str:
    """The comment thread of a feedback item: ``feedback-<id>``."""
    return f"feedback-{validate_feedback_id(item_id)}"


def _check_date(value: datetime, what: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ContentFormatError(f"{what} must be a date-time with a time zone")


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of an item's status history; ``by`` is a moderator's public name."""

    status: str
    date: datetime
    by: str | None = None

    def __post_init__(self) -> None:
        validate_status(self.status)
        _check_date(self.date, "a status change date")
        if self.by is not None:
            check_text(self.by, "status change author", MAX_AUTHOR_LENGTH, required=True)


@dataclass(frozen=True, slots=True)
class Answer:
    """The company's official answer: Markdown, who wrote it and when."""

    body: str
    author: str
    date: datetime

    def __post_init__(self) -> None:
        check_text(self.body, "answer", MAX_BODY_LENGTH, required=True)
        check_text(self.author, "answer author", MAX_AUTHOR_LENGTH, required=True)
        _check_date(self.date, "Answer-Date")


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """One published feedback item as stored in content/."""

    id: int
    slug: str
    kind: FeedbackKind
    status: str
    title: str
    author: str
    date: datetime
    body: str
    votes: int = 0
    tags: tuple[str, ...] = ()
    history: tuple[StatusChange, ...] = ()
    merged_into: int | None = None
    answer: Answer | None = None
    contributor: str | None = None  # community: the filer's public key, only for a verified address

    def __post_init__(self) -> None:
        validate_feedback_id(self.id)
        validate_slug(self.slug)
        if not isinstance(self.kind, FeedbackKind):
            raise ContentFormatError(f"kind must be one of {choices(FeedbackKind)}")
        validate_status(self.status)
        check_text(self.title, "title", MAX_TITLE_LENGTH, required=True)
        check_text(self.author, "author", MAX_AUTHOR_LENGTH, required=True)
        check_text(self.body, "body", MAX_BODY_LENGTH, required=True)
        _check_date(self.date, "date")
        if isinstance(self.votes, bool) or not isinstance(self.votes, int) or not 0 <= self.votes <= MAX_VOTES:
            raise ContentFormatError(f"votes must be a whole number from 0 to {MAX_VOTES}")
        if len(self.tags) > MAX_TAGS:
            raise ContentFormatError(f"at most {MAX_TAGS} tags")
        for tag in self.tags:
            check_text(tag, "tag", MAX_TAG_LENGTH, required=True)
        if normalize_tags(self.tags) != tuple(self.tags):
            raise ContentFormatError("tags must be trimmed, on one line and distinct (see normalize_tags)")
        if self.history and self.history[-1].status != self.status:
            raise ContentFormatError(f"the last status in History is {self.history[-1].status!r}, not {self.status!r}")
        if any(later.date < earlier.date for earlier, later in zip(self.history, self.history[1:])):
            raise ContentFormatError("History must be in date order")
        if self.merged_into is not None and validate_feedback_id(self.merged_into) == self.id:
            raise ContentFormatError("an item cannot be merged into itself")
        if self.contributor is not None and not CONTRIBUTOR_PATTERN.fullmatch(self.contributor):
            raise ContentFormatError("contributor must be 16 lowercase hex digits")

    @property
    def thread_key(self) -> str:
        """The key of the item's comment thread."""
        return feedback_thread_key(self.id)

    @property
    def file_name(self) -> str:
        """``<id>-<slug>.md``."""
        return f"{self.id}-{self.slug}.md"

    def with_status(self, status: str, date: datetime, by: str | None = None) -> FeedbackItem:
        """A copy in ``status``, the change recorded in its history."""
        history = self.history or (StatusChange(self.status, self.date),)
        return replace(self, status=status, history=(*history, StatusChange(status, date, by)))
