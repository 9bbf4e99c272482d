"""Accepting a submission: validate, check the thread, run the rules, store — acknowledged after commit."""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from flask import current_app
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cluetrain import content_format as cf
from cluetrain.markup import render_markdown
from comments_service import keys, notifications
from comments_service.guard import Action, Candidate, Decision, evaluate
from comments_service.history import take_snapshot
from comments_service.identity import ProvenIdentity
from comments_service.models import (
    MAX_USER_AGENT_LENGTH,
    AuditAction,
    AuditEntry,
    Comment,
    CommentStatus,
    utcnow,
)
from comments_service.rules import RuleSet
from comments_service.runtime import get_runtime
from comments_service.validation import CommentFields, FieldErrors, validate_comment

log = logging.getLogger(__name__)
RULES_ACTOR = "rules"
SUBMISSION_LOCK_KEY = 0x636F6D6D  # submissions' guard checks and inserts run one at a time on PostgreSQL too
_INSERT_COMMENT = insert(Comment.__table__)  # built once: SQLAlchemy reuses the compiled statement
_INSERT_AUDIT = insert(AuditEntry.__table__)
_STATUS_FOR = {Action.APPROVE: CommentStatus.APPROVED, Action.HOLD: CommentStatus.PENDING,
               Action.REJECT: CommentStatus.REJECTED, Action.SPAM: CommentStatus.SPAM}


class Refusal(enum.StrEnum):
    """Why a submission was not stored."""

    INVALID = "invalid"
    CLOSED = "closed"
    RULE = "rule"
    KEY_REUSED = "key_reused"


class SubmissionRefused(Exception):
    """Nothing was stored; ``errors`` maps fields to what to fix, ``message`` is for the whole form."""

    def __init__(self, kind: Refusal, status: HTTPStatus, message: str, errors: dict[str, str] | None = None,
                 rule: str | None = None) -> None:
        self.kind, self.status, self.message, self.errors, self.rule = kind, status, message, errors or {}, rule
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Submission:
    """What arrived: the visitor's fields as typed, plus what the request says about the sender."""

    fields: Mapping[str, Any]
    source: cf.CommentSource
    ip: str | None
    user_agent: str | None
    idempotency_key: str | None = None
    honeypot: str = ""
    form_token: str | None = None
    proven: ProvenIdentity | None = None  # community identity: what the sender's identity cookie proves


@dataclass(frozen=True, slots=True)
class Accepted:
    """A stored comment; ``replayed`` when it was stored by an earlier, identical request."""

    comment: Comment
    replayed: bool


def _check_thread(clean: CommentFields) -> None:
    info = get_runtime().manifest.get(clean.thread)
    if info is None:
        raise SubmissionRefused(Refusal.INVALID, HTTPStatus.UNPROCESSABLE_ENTITY, "Please fix the marked fields.",
                                {"thread": "There is no discussion with this key on the site."})
    if not info.open:
        raise SubmissionRefused(Refusal.CLOSED, HTTPStatus.CONFLICT,
                                "Comments are closed for this discussion; your comment was not sent.")


def _parent_exists(connection: Connection, clean: CommentFields) -> bool:
    """A reply needs a published parent in the same thread: in the database or as a file."""
    parent = connection.execute(select(Comment.thread, Comment.status).where(Comment.id == clean.parent)).first()
    if parent is not None:
        return parent.thread == clean.thread and parent.status is CommentStatus.APPROVED
    return cf.comment_path(current_app.config["CONTENT_PATH"], clean.thread, clean.parent).is_file()


def submit(submission: Submission) -> Accepted:
    """Store a submission and return it; raise SubmissionRefused when nothing was stored."""
    try:
        clean = validate_comment(submission.fields)
    except FieldErrors as exc:
        raise SubmissionRefused(Refusal.INVALID, HTTPStatus.UNPROCESSABLE_ENTITY, "Please fix the marked fields.",
                                exc.errors) from exc
    _check_thread(clean)
    config = current_app.config
    html = render_markdown(clean.body)
    values = (clean.thread, clean.parent, clean.author, clean.email, clean.website, clean.body)
    idem = keys.idempotency_key(submission.idempotency_key, *values)
    candidate = Candidate(
        thread=clean.thread, author=clean.author, email=clean.email, website=clean.website,
        body=clean.body, html=html, body_hash=keys.body_hash(clean.body), ip=submission.ip,
        honeypot=submission.honeypot,
        form_age=keys.form_age(submission.form_token, config["SECRET_KEY"], config["FORM_TOKEN_MAX_AGE"]),
        proven_email=submission.proven.email if submission.proven else None,
        proven_name=submission.proven.name if submission.proven else None,
    )
    # Community: a public contributor key only for an address the sender proved, never for a typed one.
    contributor = keys.contributor_key(config["CONTRIBUTOR_SECRET"], clean.email) if candidate.proves_email() else None
    runtime = get_runtime()
    fingerprint = keys.fingerprint(*values)

    def store(connection: Connection, decision: Decision) -> Accepted:
        now = utcnow()
        row = dict(
            id=keys.new_comment_id(), thread=clean.thread, parent_id=clean.parent, author=clean.author,
            email=clean.email, website=clean.website, body=clean.body, html=html, body_hash=candidate.body_hash,
            avatar=keys.avatar_key(config["AVATAR_SECRET"], clean.email, clean.author),
            source=submission.source, status=_STATUS_FOR[decision.action],
            status_reason=decision.public if decision.action in (Action.REJECT, Action.SPAM) else None,
            rule=decision.rule, rule_reason=decision.reason, ip=submission.ip,
            user_agent=(submission.user_agent or "")[:MAX_USER_AGENT_LENGTH] or None,
            created_at=now, updated_at=now, receipt_token=keys.new_receipt_token(),
            idempotency_key=idem, fingerprint=fingerprint, revision=1, written_revision=None,
            file_changed_at=None, contributor=contributor, helpful=False, rewarded=None,
        )
        # Core INSERTs: the ORM's unit of work cost more than the two statements.
        connection.execute(_INSERT_COMMENT, row)
        connection.execute(_INSERT_AUDIT, {
            "actor": RULES_ACTOR, "action": AuditAction.SUBMIT, "comment_id": row["id"], "at": now,
            "reason": f"{decision.rule}: {decision.reason}", "details": {"decision": decision.action.value}})
        comment = Comment(**row)  # what was stored, for the receipt; in no session
        # Community: reply notifications, mailed once the comment is approved.
        if notifications.wants_notifications(submission.fields.get("notify")):
            with Session(connection) as session:  # joins this transaction: committed with the comment
                notifications.request_replies(session, comment)
                session.flush()
        return Accepted(comment, replayed=False)

    try:
        accepted = runtime.database.check_then_write(
            SUBMISSION_LOCK_KEY, lambda read: _decide(read, clean, candidate, idem, fingerprint, runtime.rules),
            store, Accepted)
    except IntegrityError:
        # A concurrent identical request won the race (PostgreSQL); answer with its receipt.
        with runtime.database.read() as session:
            earlier = session.scalar(select(Comment).where(Comment.idempotency_key == idem))
        if earlier is None:
            raise
        return _replay(earlier, fingerprint)
    if not accepted.replayed:
        comment = accepted.comment
        log.info("comment %s on %s: %s by rule %s", comment.id, comment.thread, comment.status, comment.rule)
        if comment.status is CommentStatus.APPROVED:
            runtime.after_moderation()
    return accepted


def _decide(connection: Connection, clean: CommentFields, candidate: Candidate, idem: str, fingerprint: str,
            rules: RuleSet) -> Decision | Accepted:
    """The rules' decision on the database as this connection sees it, or the earlier comment with this key."""
    snapshot = take_snapshot(connection, candidate, idem, rules.rate_limit_seconds)
    if snapshot.earlier_id is not None:
        with Session(connection) as session:
            earlier = session.get(Comment, snapshot.earlier_id)
        assert earlier is not None  # read in the same transaction
        return _replay(earlier, fingerprint)
    if clean.parent and not _parent_exists(connection, clean):
        raise SubmissionRefused(Refusal.INVALID, HTTPStatus.UNPROCESSABLE_ENTITY,
                                "The comment you are replying to is not (or no longer) published.",
                                {"parent": "There is no published comment with this id in this discussion."})
    decision = evaluate(candidate, rules, snapshot)
    if decision.action is Action.REFUSE:
        status = HTTPStatus.CONFLICT if decision.rule == "duplicate" else HTTPStatus.TOO_MANY_REQUESTS
        raise SubmissionRefused(Refusal.RULE, status, decision.public or decision.reason, rule=decision.rule)
    return decision


def _replay(earlier: Comment, fingerprint: str) -> Accepted:
    if earlier.fingerprint != fingerprint:
        raise SubmissionRefused(Refusal.KEY_REUSED, HTTPStatus.UNPROCESSABLE_ENTITY,
                                "This idempotency key was already used for a different comment.",
                                {"idempotency_key": "already used for a different comment; send a new key."})
    return Accepted(earlier, replayed=True)
