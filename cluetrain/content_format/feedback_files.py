"""Reading and writing feedback item files, and moving a merged duplicate's comments."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .comments import COMMENTS_DIR, Comment, read_comment, remove_comment, write_comment
from .documents import (
    ContentFormatError,
    atomic_write,
    choices,
    confined,
    dump_document,
    fsync_dir,
    parse_document,
    read_document,
    validate_thread_key,
)
from .feedback import (
    FEEDBACK_DIR,
    FEEDBACK_FILE_PATTERN,
    Answer,
    FeedbackItem,
    FeedbackKind,
    StatusChange,
    validate_feedback_id,
    validate_slug,
)

_KEYS = ("Id", "Slug", "Kind", "Status", "Title", "Author", "Date", "Votes", "Tags", "History", "Merged-Into",
         "Contributor", "Answer-By", "Answer-Date", "Answer")
_REQUIRED = ("Id", "Slug", "Kind", "Status", "Title", "Author", "Date")
_ANSWER_KEYS = ("Answer-By", "Answer-Date", "Answer")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def dumps_feedback(item: FeedbackItem) -> str:
    """Serialise a feedback item to the text of its file."""
    fields = [
        ("Id", str(item.id)), ("Slug", item.slug), ("Kind", item.kind.value), ("Status", item.status),
        ("Title", item.title), ("Author", item.author), ("Date", item.date.isoformat()), ("Votes", str(item.votes)),
    ]
    if item.tags:
        fields.append(("Tags", _json(list(item.tags))))
    if item.history:
        entries = [{"status": c.status, "date": c.date.isoformat()} | ({"by": c.by} if c.by else {})
                   for c in item.history]
        fields.append(("History", _json(entries)))
    if item.merged_into is not None:
        fields.append(("Merged-Into", str(item.merged_into)))
    if item.contributor:
        fields.append(("Contributor", item.contributor))
    if item.answer is not None:
        fields += [("Answer-By", item.answer.author), ("Answer-Date", item.answer.date.isoformat()),
                   ("Answer", item.answer.body)]
    return dump_document(fields, item.body)


def _date(raw: str, key: str) -> datetime:
    try:
        return datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ContentFormatError(f"{key} {raw!r} is not an ISO 8601 date-time") from exc


def _integer(raw: str, key: str) -> int:
    if not raw.isascii() or not raw.isdigit():
        raise ContentFormatError(f"{key} {raw!r} is not a whole number")
    return int(raw)


def _json_list(raw: str, key: str) -> list[Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ContentFormatError(f"{key} is not valid JSON: {exc.msg}") from exc
    if not isinstance(value, list):
        raise ContentFormatError(f"{key} must be a JSON list")
    return value


def _history(raw: str) -> tuple[StatusChange, ...]:
    changes = []
    for entry in _json_list(raw, "History"):
        if not isinstance(entry, dict) or not {"status", "date"} <= set(entry) <= {"status", "date", "by"}:
            raise ContentFormatError('every History entry must be {"status", "date"} with an optional "by"')
        if not all(isinstance(value, str) for value in entry.values()):
            raise ContentFormatError("History values must be text")
        changes.append(StatusChange(entry["status"], _date(entry["date"], "History date"), entry.get("by")))
    return tuple(changes)


def _answer(fields: dict[str, str]) -> Answer | None:
    present = [key for key in _ANSWER_KEYS if key in fields]
    if not present:
        return None
    if len(present) != len(_ANSWER_KEYS):
        raise ContentFormatError(f"an answer needs all of {', '.join(_ANSWER_KEYS)}")
    return Answer(body=fields["Answer"], author=fields["Answer-By"], date=_date(fields["Answer-Date"], "Answer-Date"))


def loads_feedback(text: str) -> FeedbackItem:
    """Parse and validate the text of a feedback file."""
    fields, body = parse_document(text, _KEYS)
    missing = [key for key in _REQUIRED if key not in fields]
    if missing:
        raise ContentFormatError(f"missing metadata: {', '.join(missing)}")
    try:
        kind = FeedbackKind(fields["Kind"])
    except ValueError as exc:
        raise ContentFormatError(f"Kind {fields['Kind']!r} is not one of {choices(FeedbackKind)}") from exc
    tags = _json_list(fields["Tags"], "Tags") if "Tags" in fields else []
    if not all(isinstance(tag, str) for tag in tags):
        raise ContentFormatError("Tags must be a JSON list of text")
    return FeedbackItem(
        id=_integer(fields["Id"], "Id"),
        slug=fields["Slug"],
        kind=kind,
        status=fields["Status"],
        title=fields["Title"],
        author=fields["Author"],
        date=_date(fields["Date"], "Date"),
        body=body,
        votes=_integer(fields.get("Votes", "0"), "Votes"),
        tags=tuple(tags),
        history=_history(fields["History"]) if "History" in fields else (),
        merged_into=_integer(fields["Merged-Into"], "Merged-Into") if "Merged-Into" in fields else None,
        answer=_answer(fields),
        contributor=fields.get("Contributor"),
    )


def feedback_path(content_root: Path, item_id: int, slug: str) -> Path:
    """Where item ``item_id`` lives: built only from the validated id and slug."""
    validate_feedback_id(item_id)
    validate_slug(slug)
    return confined(Path(content_root) / FEEDBACK_DIR, Path(f"{item_id}-{slug}.md"))


def read_feedback(path: Path) -> FeedbackItem:
    """Read one feedback file, checking that its name matches its Id and Slug."""
    path = Path(path)
    item = read_document(path, loads_feedback)
    if path.name != item.file_name:
        raise ContentFormatError(f"file name does not match Id and Slug ({item.file_name!r})", path)
    return item


def iter_feedback_files(content_root: Path) -> Iterator[Path]:
    """Every feedback file, in a stable order; stray files are errors."""
    root = Path(content_root) / FEEDBACK_DIR
    if not root.is_dir():
        return
    # scandir: the kind of each entry comes with its name, without a stat() per item file.
    with os.scandir(root) as found:
        files = sorted((entry.name, entry.is_dir()) for entry in found if not entry.name.startswith("."))
    for name, is_dir in files:
        if is_dir or not FEEDBACK_FILE_PATTERN.fullmatch(name):
            raise ContentFormatError("feedback/ holds only <id>-<slug>.md files", root / name)
        yield root / name


def load_feedback(content_root: Path) -> list[FeedbackItem]:
    """All feedback items ordered by id; the first bad file or a reused id raises."""
    items: dict[int, tuple[FeedbackItem, Path]] = {}
    for path in iter_feedback_files(content_root):
        item = read_feedback(path)
        if item.id in items:
            raise ContentFormatError(f"feedback id {item.id} is also used by {items[item.id][1]}", path)
        items[item.id] = (item, path)
    return [items[key][0] for key in sorted(items)]


def find_feedback_file(content_root: Path, item_id: int) -> Path | None:
    """The file of item ``item_id``, whatever its slug; None if there is none."""
    prefix = f"{validate_feedback_id(item_id)}-"
    root = Path(content_root) / FEEDBACK_DIR
    if not root.is_dir():
        return None
    matches = sorted(p for p in root.iterdir() if p.name.startswith(prefix) and FEEDBACK_FILE_PATTERN.fullmatch(p.name))
    return matches[0] if matches else None


def write_feedback(content_root: Path, item: FeedbackItem) -> Path:
    """Write an item's file atomically (same text: no-op); a file under an older slug is removed."""
    path = feedback_path(content_root, item.id, item.slug)
    atomic_write(path, dumps_feedback(item).encode("utf-8"))
    while (existing := find_feedback_file(content_root, item.id)) is not None and existing != path:
        existing.unlink()
        fsync_dir(path.parent)
    return path


def remove_feedback(content_root: Path, item_id: int) -> Path | None:
    """Remove item ``item_id``'s file, whatever its slug; returns the path removed, or None."""
    path = find_feedback_file(content_root, item_id)
    if path is None:
        return None
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return path


def move_thread_comments(content_root: Path, source: str, target: str) -> list[Comment]:
    """Move every comment of thread ``source`` into ``target`` (a merge); safe to run again."""
    # Write every copy before removing any original: a crash leaves duplicates (a failing
    # build that a re-run repairs), never a lost comment.
    validate_thread_key(target)
    folder = Path(content_root) / COMMENTS_DIR / validate_thread_key(source)
    paths = sorted(p for p in folder.glob("*.md") if not p.name.startswith(".")) if folder.is_dir() else []
    moved = [replace(comment, thread=target) for comment in map(read_comment, paths)]
    for comment in moved:
        write_comment(content_root, comment)
    for comment in moved:
        remove_comment(content_root, source, comment.id)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return moved
