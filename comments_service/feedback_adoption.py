"""Taking in feedback files the database does not know: sample content, items restored from git."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cluetrain import content_format as cf
from cluetrain.markup import render_markdown
from comments_service import keys
from comments_service.feedback_models import FeedbackAuditAction, FeedbackAuditEntry, FeedbackItem, FeedbackStatusChange
from comments_service.models import CommentStatus, utcnow

ADOPTION_ACTOR = "import"


def _row(item: cf.FeedbackItem) -> FeedbackItem:
    # The file is already published as it is: its revision is written, its votes are the base count.
    now = utcnow()
    answer = item.answer
    return FeedbackItem(
        id=item.id, kind=item.kind, status=item.status, moderation=CommentStatus.APPROVED, title=item.title,
        slug=item.slug, body=item.body, html=render_markdown(item.body), body_hash=keys.body_hash(item.body),
        tags=list(item.tags), author=item.author, email=None, ip=None, user_agent=None,
        source=cf.CommentSource.IMPORT, rule=ADOPTION_ACTOR, rule_reason="taken in from its file in content/",
        created_at=item.date, updated_at=now, receipt_token=keys.new_receipt_token(),
        idempotency_key=keys.sha256_hex(f"import:{item.id}"), fingerprint=keys.fingerprint(item.title, item.body),
        merged_into_id=item.merged_into,
        answer_body=answer.body if answer else None,
        answer_html=render_markdown(answer.body) if answer else None,
        answer_by=answer.author if answer else None, answer_at=answer.date if answer else None,
        votes=item.votes, votes_base=item.votes, revision=1, written_revision=1, votes_written=item.votes,
        file_changed_at=None,  # already on the site as built: nothing to rebuild for it
    )


def adopt_files(session: Session, content_root: Path) -> int:
    """Insert a row for every item file whose id the database lacks; returns how many."""
    known = set(session.scalars(select(FeedbackItem.id)))
    items = [item for item in cf.load_feedback(content_root) if item.id not in known]
    # Originals first: a duplicate's Merged-Into must name a row that exists.
    items.sort(key=lambda item: (item.merged_into is not None, item.id))
    for item in items:
        session.add(_row(item))
        session.flush()
        history = item.history or (cf.StatusChange(item.status, item.date),)
        session.add_all(FeedbackStatusChange(item_id=item.id, status=c.status, at=c.date, by=c.by) for c in history)
        session.add(FeedbackAuditEntry(actor=ADOPTION_ACTOR, action=FeedbackAuditAction.IMPORT, item_id=item.id,
                                       details={"file": item.file_name}))
    return len(items)
