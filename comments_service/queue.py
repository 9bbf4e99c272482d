"""The moderation queue's query: comments by status, thread and text, newest first, a page at a time.

Shared by the JSON API and the moderator screens, so both filter exactly alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from comments_service.models import Comment, CommentStatus

MAX_LIMIT = 500


class QueueFilterError(ValueError):
    """Query parameters that name no status or no valid page; ``errors`` maps each to a message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which comments to list."""

    statuses: tuple[CommentStatus, ...] = ()
    thread: str = ""
    text: str = ""
    limit: int = 100
    offset: int = 0

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, default_status: str = "", default_limit: int = 100) -> QueueFilter:
        """Parse ``status`` (comma-separated), ``thread``, ``q``, ``limit`` and ``offset``."""
        errors: dict[str, str] = {}
        names = [s for s in (args.get("status") or default_status).split(",") if s]
        bad = [s for s in names if s not in CommentStatus.__members__.values()]
        if bad:
            errors["status"] = f"unknown status {', '.join(bad)} (use {', '.join(CommentStatus)})."
        try:
            limit = min(int(args.get("limit", default_limit)), MAX_LIMIT)
            offset = int(args.get("offset", 0))
            if limit < 1 or offset < 0:
                raise ValueError
        except ValueError:
            errors["limit"] = f"limit must be 1-{MAX_LIMIT} and offset ≥ 0."
        if errors:
            raise QueueFilterError(errors)
        return cls(tuple(CommentStatus(s) for s in names), (args.get("thread") or "").strip(),
                   (args.get("q") or "").strip(), limit, offset)

    def query(self) -> Select[tuple[Comment]]:
        """The matching comments, unordered and unpaged."""
        query = select(Comment)
        if self.statuses:
            query = query.where(Comment.status.in_(self.statuses))
        if self.thread:
            query = query.where(Comment.thread == self.thread)
        if self.text:
            # A literal substring: the visitor's % and _ mean themselves.
            like = "%" + self.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            fields = (Comment.body, Comment.author, Comment.email, Comment.website, Comment.ip)
            query = query.where(or_(*(func.lower(f).like(like, escape="\\") for f in fields)))
        return query

    def run(self, session: Session) -> tuple[int, list[Comment]]:
        """(how many match, this page of them, newest first)."""
        query = self.query()
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        page = session.scalars(query.order_by(Comment.created_at.desc(), Comment.id).limit(self.limit).offset(self.offset))
        return total, list(page)
