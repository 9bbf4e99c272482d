"""Random feedback events for the incremental-builder oracle, as the service's feedback publisher writes them."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cluetrain.content_format import (
    Answer,
    FeedbackItem,
    FeedbackKind,
    StatusChange,
    feedback_thread_key,
    find_feedback_file,
    move_thread_comments,
    read_feedback,
    remove_feedback,
    slugify,
    write_feedback,
)

WORDS = ("dark", "mode", "export", "sync", "faster", "search", "login", "charts", "offline", "import")
FEEDBACK_TAGS = ("ui", "api", "docs", "dark-mode")
STATUSES = ("new", "under-review", "planned", "in-progress", "done", "declined")


class FeedbackEvents:
    """New item, vote batch, status change, answer, edit, merge and removal on a fixture site's items.

    ``threads`` and ``published`` are the comment bookkeeping of the caller (an EventMaker): a merge
    moves the duplicate's comments, a removal takes its comments down first, as the service does.
    """

    def __init__(self, content: Path, rng: random.Random, threads: list[str], published: dict[str, list[str]],
                 parents: dict[str, str | None]) -> None:
        self.content, self.random = content, rng
        self.threads, self.published, self.parents = threads, published, parents

    def items(self) -> list[FeedbackItem]:
        return [read_feedback(path) for path in sorted((self.content / "feedback").glob("*.md"))]

    def _write(self, item: FeedbackItem) -> Path:
        return write_feedback(self.content, item)

    def new_item(self) -> list[Path]:
        """A newly approved item (its thread opens for comments)."""
        item_id = max((item.id for item in self.items()), default=0) + 1
        title = " ".join(self.random.sample(WORDS, 3)).capitalize()
        date = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=self.random.randrange(3000))
        item = FeedbackItem(id=item_id, slug=slugify(title), kind=self.random.choice(list(FeedbackKind)),
                            status="new", title=title, author=self.random.choice(("Ada", "Bo")), date=date,
                            body=f"Please *{title.lower()}*.", tags=tuple(self.random.sample(FEEDBACK_TAGS, 2)),
                            history=(StatusChange("new", date),))
        self.threads.append(feedback_thread_key(item_id))
        return [self._write(item)]

    def _open_items(self) -> list[FeedbackItem]:
        return [item for item in self.items() if item.merged_into is None]

    def votes(self, item: FeedbackItem) -> list[Path]:
        return [self._write(dataclasses.replace(item, votes=item.votes + self.random.randrange(1, 5)))]

    def status(self, item: FeedbackItem) -> list[Path]:
        status = self.random.choice([s for s in STATUSES if s != item.status])
        change = StatusChange(status, item.history[-1].date + timedelta(days=1), "Mod")
        return [self._write(dataclasses.replace(item, status=status, history=(*item.history, change)))]

    def answer(self, item: FeedbackItem) -> list[Path]:
        date = item.date + timedelta(hours=self.random.randrange(1, 500))
        answer = Answer(f"We hear you ({self.random.randrange(100)}).", "Priya", date)
        return [self._write(dataclasses.replace(item, answer=answer))]

    def edit(self, item: FeedbackItem) -> list[Path]:
        """A moderator's edit of title, body or tags (the slug, and so the file name, stays)."""
        title = " ".join(self.random.sample(WORDS, 2)).capitalize()
        tags = tuple(self.random.sample(FEEDBACK_TAGS, self.random.randrange(0, 3)))
        return [self._write(dataclasses.replace(item, title=title, tags=tags, body=f"Edited: {title}."))]

    def merge(self, _item: FeedbackItem) -> list[Path]:
        """A duplicate (with nothing merged into it) into an original: votes and comments follow."""
        items = self.items()
        targets = {item.merged_into for item in items}
        candidates = [item for item in items if item.merged_into is None and item.id not in targets]
        if len(candidates) < 2:
            return []
        duplicate, original = self.random.sample(candidates, 2)
        source, target = feedback_thread_key(duplicate.id), feedback_thread_key(original.id)
        changed: list[Path] = []
        for comment in move_thread_comments(self.content, source, target):
            changed += [self.content / "comments" / key / f"{comment.id}.md" for key in (source, target)]
        self.published.setdefault(target, []).extend(self.published.pop(source, []))
        if source in self.threads:
            self.threads.remove(source)  # closed: no new comments
        change = StatusChange("duplicate", duplicate.history[-1].date + timedelta(days=1), "Mod")
        changed.append(self._write(dataclasses.replace(original, votes=original.votes + duplicate.votes)))
        changed.append(self._write(dataclasses.replace(duplicate, votes=0, merged_into=original.id,
                                                       status="duplicate", history=(*duplicate.history, change))))
        return changed

    def remove(self, item: FeedbackItem) -> list[Path]:
        """Take an item down (not one others are merged into), its comments first."""
        if any(other.merged_into == item.id for other in self.items()):
            return []
        key = feedback_thread_key(item.id)
        changed = []
        for comment_id in self.published.pop(key, []):
            path = self.content / "comments" / key / f"{comment_id}.md"
            path.unlink()
            self.parents.pop(comment_id, None)
            changed.append(path)
        if key in self.threads:
            self.threads.remove(key)
        path = find_feedback_file(self.content, item.id)
        remove_feedback(self.content, item.id)
        return [*changed, path] if path else changed

    def any(self) -> list[Path]:
        """One random event; removals and merges rarer than votes and status changes."""
        roll = self.random.random()
        if roll < 0.15 or not self._open_items():
            return self.new_item()
        if roll >= 0.9:  # merged duplicates can be taken down too (their original's page lists them)
            return self.remove(self.random.choice(self.items()))
        item = self.random.choice(self._open_items())
        events = ((0.35, self.votes), (0.55, self.status), (0.65, self.answer), (0.78, self.edit), (0.9, self.merge))
        return next(event for limit, event in events if roll < limit)(item)
