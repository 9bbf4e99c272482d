"""Accepting a new feedback item: validate, run the comment rules, store — acknowledged after commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus

from flask import current_app, has_request_context
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cluetrain import content_format as cf
from cluetrain.markup import render_markdown
from comments_service import guard, keys
from comments_service.feedback_history import FEEDBACK_THREAD, take_feedback_snapshot
from comments_service.feedback_models import (
    FeedbackAuditAction,
    FeedbackAuditEntry,
    FeedbackItem,
    FeedbackStatusChange,
)
from comments_service.feedback_runtime import get_feedback
from comments_service.feedback_validation import FeedbackFields, validate_feedback
from comments_service.guard import Action, Candidate, Decision, evaluate
from comments_service.identity_views import current_identity
from comments_service.intake import RULES_ACTOR, Refusal, Submission, SubmissionRefused
from comments_service.models import MAX_USER_AGENT_LENGTH, CommentStatus, utcnow
from comments_service.runtime import get_runtime
from comments_service.validation import FieldErrors

log = logging.getLogger(__name__)
_STATE_FOR = {Action.APPROVE: CommentStatus.APPROVED, Action.HOLD: CommentStatus.PENDING,
              Action.REJECT: CommentStatus.REJECTED, Action.SPAM: CommentStatus.SPAM}
FIX_FIELDS = "Please fix the marked fields."
# New items' checks and inserts run one at a time on PostgreSQL too; apart from comments, whose rules never count items.
FEEDBACK_LOCK_KEY = 0x66656564
# The comment rules' words for a visitor, where feedback needs its own.
REFUSALS = {guard.duplicate.__name__: "You have already sent this feedback."}
_INSERT_ITEM = insert(FeedbackItem.__table__)  # built once: SQLAlchemy reuses the compiled statements
_INSERT_STATUS_CHANGE = insert(FeedbackStatusChange.__table__)
_INSERT_AUDIT = insert(FeedbackAuditEntry.__table__)


@dataclass(frozen=True, slots=True)
class AcceptedFeedback:
    """A stored item; ``replayed`` when an earlier identical request stored it."""

    item: FeedbackItem
    replayed: bool


def _values(clean: FeedbackFields) -> tuple[str | None, ...]:
    return (clean.kind.value, clean.title, clean.body, ",".join(clean.tags), clean.author, clean.email)


def _replay(earlier: FeedbackItem, fingerprint: str) -> AcceptedFeedback:
    if earlier.fingerprint != fingerprint:
        raise SubmissionRefused(Refusal.KEY_REUSED, HTTPStatus.UNPROCESSABLE_ENTITY,
                                "This idempotency key was already used for different feedback.",
                                {"idempotency_key": "already used for different feedback; send a new key."})
    return AcceptedFeedback(earlier, replayed=True)


def submit_feedback(submission: Submission) -> AcceptedFeedback:
    """Store a new item and return it; raise SubmissionRefused when nothing was stored."""
    try:
        clean = validate_feedback(submission.fields)
    except FieldErrors as exc:
        raise SubmissionRefused(Refusal.INVALID, HTTPStatus.UNPROCESSABLE_ENTITY, FIX_FIELDS, exc.errors) from exc
    config = current_app.config
    html = render_markdown(clean.body)
    values = _values(clean)
    idem = keys.idempotency_key(submission.idempotency_key, "feedback", *values)
    fingerprint = keys.fingerprint("feedback", *values)
    proven = submission.proven or (current_identity() if has_request_context() else None)  # community identity
    candidate = Candidate(
        thread=FEEDBACK_THREAD, author=clean.author, email=clean.email, website=None,
        # The rules read the title too: a disallowed word in it counts like one in the body.
        body=f"{clean.title}\n\n{clean.body}", html=html, body_hash=keys.body_hash(clean.body), ip=submission.ip,
        honeypot=submission.honeypot,
        form_age=keys.form_age(submission.form_token, config["SECRET_KEY"], config["FORM_TOKEN_MAX_AGE"]),
        # community: a confirmed commenter's identity cookie proves the e-mail here too (rule unproven_identity)
        proven_email=proven.email if proven else None, proven_name=proven.name if proven else None,
    )
    runtime, settings = get_runtime(), get_feedback().settings

    def decide(connection: Connection) -> Decision | AcceptedFeedback:
        snapshot = take_feedback_snapshot(connection, candidate, idem, runtime.rules.rate_limit_seconds)
        if snapshot.earlier_id is not None:
            with Session(connection) as session:
                earlier = session.get(FeedbackItem, snapshot.earlier_id)
            assert earlier is not None  # read in the same transaction
            return _replay(earlier, fingerprint)
        decision = evaluate(candidate, runtime.rules, snapshot)
        if decision.action is Action.REFUSE:
            status = HTTPStatus.CONFLICT if decision.rule == "duplicate" else HTTPStatus.TOO_MANY_REQUESTS
            public = REFUSALS.get(decision.rule) or decision.public or decision.reason
            raise SubmissionRefused(Refusal.RULE, status, public, rule=decision.rule)
        return decision

    def store(connection: Connection, decision: Decision) -> AcceptedFeedback:
        now = utcnow()
        row = {
            "kind": clean.kind, "status": settings.initial_status, "moderation": _STATE_FOR[decision.action],
            "status_reason": decision.public if decision.action in (Action.REJECT, Action.SPAM) else None,
            "title": clean.title, "slug": cf.slugify(clean.title), "body": clean.body, "html": html,
            "body_hash": candidate.body_hash, "tags": list(clean.tags), "author": clean.author, "email": clean.email,
            "ip": submission.ip, "user_agent": (submission.user_agent or "")[:MAX_USER_AGENT_LENGTH] or None,
            "source": submission.source, "rule": decision.rule, "rule_reason": decision.reason, "created_at": now,
            "updated_at": now, "receipt_token": keys.new_receipt_token(), "idempotency_key": idem,
            "fingerprint": fingerprint, "votes": 0, "votes_base": 0, "revision": 1,
            # community: a public contributor key only for an address the sender proved
            "contributor": keys.contributor_key(config["CONTRIBUTOR_SECRET"], clean.email)
            if candidate.proves_email() else None,
        }
        # Core INSERTs, as for a comment: the ORM's unit of work cost more than the three statements.
        [item_id] = connection.execute(_INSERT_ITEM, row).inserted_primary_key
        connection.execute(_INSERT_STATUS_CHANGE, {"item_id": item_id, "status": row["status"], "at": now, "by": None})
        connection.execute(_INSERT_AUDIT, {
            "actor": RULES_ACTOR, "action": FeedbackAuditAction.SUBMIT, "item_id": item_id, "at": now,
            "reason": f"{decision.rule}: {decision.reason}", "details": {"decision": decision.action.value}})
        return AcceptedFeedback(FeedbackItem(id=item_id, **row), replayed=False)  # what was stored; in no session

    try:
        # As for a comment: the rules read-only first, then again in one short serialized write with the item.
        accepted = runtime.database.check_then_write(FEEDBACK_LOCK_KEY, decide, store, AcceptedFeedback)
    except IntegrityError:
        # A concurrent identical request won the race (PostgreSQL); answer with its receipt.
        with runtime.database.read() as session:
            earlier = session.scalar(select(FeedbackItem).where(FeedbackItem.idempotency_key == idem))
        if earlier is None:
            raise
        return _replay(earlier, fingerprint)
    if not accepted.replayed:
        item = accepted.item
        log.info("feedback %s: %s by rule %s", item.id, item.moderation, item.rule)
        if item.moderation is CommentStatus.APPROVED:
            get_feedback().after_change()
    return accepted
