"""Comment threads: which content has one, whether it is open, and its comments as a tree."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, pass_environment
from markupsafe import Markup
from pelican import signals

from cluetrain.content_format import Comment, ContentFormatError, comment_path, validate_thread_key

from .rendered import RenderedBodies

OPEN, CLOSED = "open", "closed"
IDENTICON_SIZE = 5


@dataclass(frozen=True, slots=True)
class Avatar:
    """A 5×5 mirrored identicon drawn from a stable, non-reversible key."""

    hue: int
    cells: tuple[tuple[int, int], ...]

    @classmethod
    def from_key(cls, key: str) -> Avatar:
        """Derive the identicon from the avatar key (itself a keyed hash, never an address)."""
        digest = hashlib.sha256(key.encode()).digest()
        half = (IDENTICON_SIZE + 1) // 2
        cells = []
        for y in range(IDENTICON_SIZE):
            for x in range(half):
                if digest[2 + y * half + x] & 1:
                    cells.append((x, y))
                    if x != IDENTICON_SIZE - 1 - x:
                        cells.append((IDENTICON_SIZE - 1 - x, y))
        return cls(hue=int.from_bytes(digest[:2], "big") % 360, cells=tuple(sorted(cells)))


@functools.lru_cache(maxsize=1 << 14)
def avatar_of(avatar_key: str | None, author: str) -> Avatar:
    """A comment's identicon: from its avatar key, else from its author's name (drawn once per person)."""
    return Avatar.from_key(avatar_key or hashlib.sha256(f"name:{author}".encode()).hexdigest())


# Avatar → its identicon as the theme's macro drew it (an Avatar is a value: equal avatars, equal SVG), kept on
# the Jinja environment, which each generator of each build makes anew: never shared by two themes or sites.
IDENTICONS_ATTRIBUTE = "cluetrain_identicons"


@pass_environment
def identicon_once(environment: Environment, avatar: Avatar, macro: Any) -> Markup:
    """Jinja filter: ``macro(avatar)`` drawn once per avatar and generator (people comment more than once)."""
    drawn: dict[Avatar, Markup] | None = getattr(environment, IDENTICONS_ATTRIBUTE, None)
    if drawn is None:
        drawn = {}
        setattr(environment, IDENTICONS_ATTRIBUTE, drawn)
    found = drawn.get(avatar)
    if found is None:
        found = drawn[avatar] = Markup(macro(avatar))
    return found


def offer_identicon_filter(pelican: Any) -> None:
    """At ``initialized``: offer the filter to the templates."""
    pelican.settings.setdefault("JINJA_FILTERS", {})["identicon_once"] = identicon_once


signals.initialized.connect(offer_identicon_filter)


@dataclass(slots=True)
class CommentNode:
    """One comment as the theme shows it, with its replies."""

    comment: Comment
    html: Markup
    text: str
    avatar: Avatar
    depth: int = 0
    replies: list[CommentNode] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.comment.id

    @property
    def anchor(self) -> str:
        return f"comment-{self.comment.id}"

    @property
    def author(self) -> str:
        return self.comment.author

    @property
    def website(self) -> str | None:
        return self.comment.website

    @property
    def date(self) -> datetime:
        return self.comment.date

    @property
    def parent(self) -> str | None:
        return self.comment.parent


@dataclass(slots=True)
class Thread:
    """A content object's discussion: open or closed, with its comment tree."""

    key: str
    open: bool
    closed_reason: str | None
    comments: list[CommentNode]
    count: int
    latest: datetime | None
    feed_url: str | None

    def walk(self) -> list[CommentNode]:
        """Every node, depth-first in display order."""
        return walk(self.comments)


def walk(roots: list[CommentNode]) -> list[CommentNode]:
    """Every node under ``roots``, depth-first in display order."""
    ordered: list[CommentNode] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(node.replies))
    return ordered


def thread_key_of(content: object) -> str:
    """The thread key of a Pelican content object: its slug, validated."""
    slug = getattr(content, "slug", None)
    try:
        return validate_thread_key(slug)
    except ContentFormatError as exc:
        raise ContentFormatError(
            f"slug {slug!r} cannot key a comment thread; set a 'Slug:' of a-z, 0-9 and '-'",
            getattr(content, "source_path", None),
        ) from exc


def discussion_state(
    content: object, *, is_page: bool, settings: dict, now: datetime
) -> tuple[bool, bool, str | None]:
    """(has a thread, is open, reason when closed) from metadata and site settings."""
    raw = getattr(content, "metadata", {}).get("comments")
    value = str(raw).strip().lower() if raw is not None else None
    if value not in (None, OPEN, CLOSED):
        raise ContentFormatError(
            f"unknown value {raw!r} for 'Comments' (use open or closed)",
            getattr(content, "source_path", None),
        )
    if is_page and value is None and not settings.get("COMMENTS_ON_PAGES", False):
        return False, False, None
    if value == CLOSED:
        return True, False, "Comments are closed for this discussion."
    days = int(settings.get("COMMENTS_CLOSE_AFTER_DAYS") or 0)
    date = getattr(content, "date", None)
    if value is None and days > 0 and isinstance(date, datetime):
        aware = date if date.tzinfo else date.replace(tzinfo=UTC)
        if now - aware > timedelta(days=days):
            return True, False, f"Comments close {days} days after publication."
    return True, True, None


def build_tree(content_root: Path | str, thread: str, comments: list[Comment], max_depth: int,
               bodies: RenderedBodies) -> list[CommentNode]:
    """Nest a thread's comments under their parents, siblings by date; orphans are errors.

    Replies nested deeper than ``max_depth`` are shown at that depth, under their nearest
    ancestor that can still hold replies (as WordPress does), so a reply chain of any length
    keeps pages readable and templates' recursion bounded; ``parent`` still names the real parent.
    """
    nodes = {
        c.id: CommentNode(
            comment=c,
            html=(rendered := bodies.render(c.body))[0],
            text=rendered[1],
            avatar=avatar_of(c.avatar, c.author),
        )
        for c in comments
    }
    roots: list[CommentNode] = []
    for node in nodes.values():
        parent_id = node.comment.parent
        if parent_id is None:
            roots.append(node)
        elif parent_id in nodes:
            nodes[parent_id].replies.append(node)
        else:
            raise ContentFormatError(
                f"Parent {parent_id!r} is not a comment of thread {thread!r}",
                comment_path(Path(content_root), thread, node.id),
            )
    depth = _true_depths(roots)
    if len(depth) != len(nodes):
        stray = sorted(set(nodes) - set(depth))
        raise ContentFormatError(
            f"replies form a cycle and never reach a top-level comment: {', '.join(stray)}",
            comment_path(Path(content_root), thread, stray[0]),
        )
    # Most threads are shallower than max_depth: then nothing moves, and the walk is skipped.
    for node in walk(roots) if max(depth.values(), default=0) > max_depth else ():
        if depth[node.id] > max_depth:
            parent = nodes[node.comment.parent]
            holder = parent
            while depth[holder.id] >= max_depth:
                holder = nodes[holder.comment.parent]
            if holder is not parent:
                parent.replies.remove(node)
                holder.replies.append(node)
    _order_and_depth(roots)
    return roots


def _true_depths(roots: list[CommentNode]) -> dict[str, int]:
    depth: dict[str, int] = {}
    stack = [(node, 0) for node in roots]
    while stack:
        node, level = stack.pop()
        depth[node.id] = level
        stack.extend((child, level + 1) for child in node.replies)
    return depth


def _sort_key(node: CommentNode) -> tuple[datetime, str]:
    return node.comment.date, node.comment.id


def _order_and_depth(roots: list[CommentNode]) -> None:
    roots.sort(key=_sort_key)
    stack = [(node, 0) for node in roots]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        node.replies.sort(key=_sort_key)
        stack.extend((child, depth + 1) for child in node.replies)
