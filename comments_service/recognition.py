"""Community recognition of published comments: a moderator's "helpful" mark, an evangelist's reward.

Both change the comment's file (``Helpful: true``, ``Rewarded: <label>``), so each bumps the
revision and the publisher rewrites it; both are audited as edits with what changed.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cluetrain import content_format as cf
from comments_service.models import AuditAction, AuditEntry, Comment, CommentStatus, utcnow
from comments_service.moderation import ActionConflict, CommentNotFound, InvalidEdit


def _published(session: Session, comment_id: str) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise CommentNotFound(f"no comment with id {comment_id!r}")
    if comment.status is not CommentStatus.APPROVED:
        raise ActionConflict("only a published comment can be marked helpful or rewarded")
    return comment


def _changed(session: Session, comment: Comment, actor: str, reason: str | None, **details: object) -> None:
    comment.revision += 1
    comment.updated_at = utcnow()
    session.add(AuditEntry(actor=actor, action=AuditAction.EDIT, comment_id=comment.id, reason=reason,
                           details=details))


def mark_helpful(session: Session, comment_id: str, actor: str, helpful: bool, reason: str | None = None) -> Comment:
    """Mark (or unmark) a published comment as a helpful answer."""
    comment = _published(session, comment_id)
    if comment.helpful != helpful:
        comment.helpful = helpful
        _changed(session, comment, actor, reason, helpful=helpful)
    return comment


def check_reward(label: object) -> str | None:
    """A reward label as the content format accepts it (one short line), or None to clear; raises InvalidEdit."""
    if label is None or (isinstance(label, str) and not label.strip()):
        return None
    if not isinstance(label, str):
        raise InvalidEdit({"label": "must be text or null."})
    label = label.strip()
    if len(label) > cf.MAX_REWARD_LENGTH or any(ch in label for ch in "\r\n") or cf.FORBIDDEN_CHARACTERS.search(label):
        raise InvalidEdit({"label": f"must be one line of at most {cf.MAX_REWARD_LENGTH} characters."})
    return label


def mark_rewarded(session: Session, comment_id: str, actor: str, label: object, reason: str | None = None) -> Comment:
    """Record (or clear, with None) the reward an evangelist gave for a published comment."""
    clean = check_reward(label)
    comment = _published(session, comment_id)
    if comment.rewarded != clean:
        comment.rewarded = clean
        _changed(session, comment, actor, reason, rewarded=clean)
    return comment
