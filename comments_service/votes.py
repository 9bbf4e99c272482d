"""Votes without accounts: one per browser token and item, limited per IP address, undo possible.

The count on the item row changes in the same transaction as the vote row (``votes + 1``
in SQL, so concurrent voters are all counted), and the item is marked for the next batch
of file writes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from comments_service.db import Database
from comments_service.feedback_models import FeedbackItem, FeedbackVote
from comments_service.feedback_runtime import FeedbackSettings
from comments_service.models import CommentStatus, utcnow

VOTER_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
MAX_COUNT_IDS = 200
_INSERT_VOTE = insert(FeedbackVote.__table__)  # built once: SQLAlchemy reuses the compiled statement
_VOTABLE = select(FeedbackItem.moderation, FeedbackItem.votes, FeedbackItem.merged_into_id, FeedbackItem.status)


class VoteRefused(Exception):
    """The vote was not counted; ``status`` is the HTTP status that says why."""

    status = HTTPStatus.CONFLICT


class ItemNotVotable(VoteRefused):
    """No published item has this id."""

    status = HTTPStatus.NOT_FOUND


class VotingClosed(VoteRefused):
    """The item is merged or in a closed status."""


class TooManyVotes(VoteRefused):
    """The IP address has reached a vote limit."""

    status = HTTPStatus.TOO_MANY_REQUESTS


class BadVoterToken(VoteRefused):
    """The browser's token is missing or malformed."""

    status = HTTPStatus.BAD_REQUEST


@dataclass(frozen=True, slots=True)
class VoteResult:
    """An item's live count, and whether this browser's vote is in it."""

    item_id: int
    votes: int
    voted: bool

    def as_json(self) -> dict[str, int | bool]:
        """The answer of the vote endpoints."""
        return {"id": self.item_id, "votes": self.votes, "voted": self.voted}


def voter_hash(secret: str, token: str) -> str:
    """The stored form of a browser's token: keyed, so the database cannot be used to vote."""
    if not isinstance(token, str) or not VOTER_TOKEN_PATTERN.fullmatch(token):
        raise BadVoterToken("Send a voter token of 16-128 letters, digits, '-' or '_'.")
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def _votable(connection: Connection, item_id: int) -> Row[tuple[CommentStatus, int, int | None, str]]:
    item = connection.execute(_VOTABLE.where(FeedbackItem.id == item_id)).first()
    if item is None or item.moderation is not CommentStatus.APPROVED:
        raise ItemNotVotable(f"there is no published feedback item {item_id}")
    return item


def _current(connection: Connection, item_id: int) -> int:
    return connection.scalar(select(FeedbackItem.votes).where(FeedbackItem.id == item_id)) or 0


def _check_limits(connection: Connection, settings: FeedbackSettings, item_id: int, ip: str | None) -> None:
    if not ip:
        return
    if settings.votes_per_ip_per_item:
        same_item = connection.scalar(select(func.count()).select_from(FeedbackVote).where(
            FeedbackVote.item_id == item_id, FeedbackVote.ip == ip)) or 0
        if same_item >= settings.votes_per_ip_per_item:
            raise TooManyVotes("Too many votes for this item from your network.")
    if settings.votes_per_ip:
        since = utcnow() - timedelta(seconds=settings.vote_window_seconds)
        recent = connection.scalar(select(func.count()).select_from(FeedbackVote).where(
            FeedbackVote.ip == ip, FeedbackVote.created_at >= since)) or 0
        if recent >= settings.votes_per_ip:
            raise TooManyVotes("Too many votes from your network recently. Please try again later.")


def _adjust(connection: Connection, item_id: int, delta: int) -> None:
    now = utcnow()
    connection.execute(
        update(FeedbackItem).where(FeedbackItem.id == item_id)
        .values(votes=FeedbackItem.votes + delta, votes_dirty_since=func.coalesce(FeedbackItem.votes_dirty_since, now))
    )


def _lock_key(ip: str | None) -> int:
    """The advisory lock of one address's votes: its limits are counted over its votes only."""
    digest = hashlib.blake2b((ip or "").encode(), digest_size=8, person=b"cluetrain-vote").digest()
    return int.from_bytes(digest, "big", signed=True)


def cast_vote(database: Database, settings: FeedbackSettings, secret: str, item_id: int, token: str,
              ip: str | None) -> VoteResult:
    """Count this browser's vote (again voting changes nothing); raise VoteRefused when not possible."""
    voter = voter_hash(secret, token)

    def check(connection: Connection) -> VoteResult | None:
        """This browser's counted vote, or None when a new one may be counted."""
        item = _votable(connection, item_id)
        mine = select(FeedbackVote.id).where(FeedbackVote.item_id == item_id, FeedbackVote.voter_hash == voter)
        if connection.scalar(mine) is not None:
            return VoteResult(item_id, item.votes, True)
        if item.merged_into_id is not None or item.status in settings.closed_statuses:
            raise VotingClosed("This item takes no more votes.")
        _check_limits(connection, settings, item_id, ip)
        return None

    def count(connection: Connection, _: None) -> VoteResult:
        # A Core INSERT, as for comments: no ORM unit of work for one row.
        connection.execute(_INSERT_VOTE, {"item_id": item_id, "voter_hash": voter, "ip": ip, "created_at": utcnow()})
        _adjust(connection, item_id, +1)
        return VoteResult(item_id, _current(connection, item_id), True)

    try:
        # Votes from one address run one at a time on PostgreSQL too, so its limits see each other's votes.
        return database.check_then_write(_lock_key(ip), check, count, VoteResult)
    except IntegrityError:
        # The same browser voted in a concurrent request that committed first (PostgreSQL).
        with database.read() as session:
            return VoteResult(item_id, _current(session, item_id), True)


def withdraw_vote(database: Database, secret: str, item_id: int, token: str) -> VoteResult:
    """Take this browser's vote back (none there: nothing changes)."""
    voter = voter_hash(secret, token)
    with database.write_connection() as connection:
        _votable(connection, item_id)
        removed = connection.execute(delete(FeedbackVote).where(FeedbackVote.item_id == item_id,
                                                                FeedbackVote.voter_hash == voter))
        if removed.rowcount:
            _adjust(connection, item_id, -1)
        return VoteResult(item_id, _current(connection, item_id), False)


def has_voted(database: Database, secret: str, item_id: int, token: str) -> bool:
    """Whether this browser's vote for the item is counted."""
    voter = voter_hash(secret, token)
    with database.read() as session:
        query = select(FeedbackVote.id).where(FeedbackVote.item_id == item_id, FeedbackVote.voter_hash == voter)
        return session.scalar(query) is not None


def live_counts(database: Database, item_ids: list[int]) -> dict[int, int]:
    """The current count of each published item among ``item_ids``."""
    with database.read() as session:
        rows = session.execute(select(FeedbackItem.id, FeedbackItem.votes).where(
            FeedbackItem.id.in_(item_ids[:MAX_COUNT_IDS]), FeedbackItem.moderation == CommentStatus.APPROVED))
        return {item_id: votes for item_id, votes in rows}
