"""Classifying changed content files: what an incremental update can handle, and what needs a full build."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluetrain.content_format import COMMENTS_DIR, FEEDBACK_DIR, ContentFormatError, read_comment

FEEDBACK_FILE = re.compile(r"(?P<id>[1-9][0-9]*)-[a-z0-9-]+\.md")


class ChangeKind(enum.StrEnum):
    """What a changed file is, as far as regeneration goes."""

    COMMENT = "comment"  # content/comments/<thread>/<id>.md
    FEEDBACK = "feedback"  # content/feedback/<id>-<slug>.md (status, votes, answer, edits)
    OTHER = "other"  # posts, pages, settings, theme: a full build


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """A batch of changed files, grouped by what they affect."""

    threads: frozenset[str] = frozenset()
    feedback_ids: frozenset[int] = frozenset()
    others: tuple[Path, ...] = ()
    posts: tuple[Path, ...] = ()  # others found to be resident posts, to re-read in place (post_edits)

    @property
    def needs_full_build(self) -> bool:
        """Whether something outside comments and feedback changed (or nothing was named at all)."""
        return bool(self.others)


def classify_path(path: Path, content_root: Path) -> tuple[ChangeKind, str | int | None]:
    """The kind of one changed file and its thread key or feedback id."""
    try:
        parts = Path(path).resolve().relative_to(Path(content_root).resolve()).parts
    except ValueError:
        return ChangeKind.OTHER, None
    if len(parts) == 3 and parts[0] == COMMENTS_DIR and parts[2].endswith(".md") and not parts[2].startswith("."):
        return ChangeKind.COMMENT, parts[1]
    if len(parts) == 2 and parts[0] == FEEDBACK_DIR and (match := FEEDBACK_FILE.fullmatch(parts[1])):
        return ChangeKind.FEEDBACK, int(match["id"])
    return ChangeKind.OTHER, None


def classify(paths: Iterable[Path], content_root: Path) -> ChangeSet:
    """Group ``paths`` into thread keys, feedback ids and anything else."""
    threads: set[str] = set()
    feedback: set[int] = set()
    others: list[Path] = []
    for path in paths:
        kind, key = classify_path(path, content_root)
        if kind is ChangeKind.COMMENT:
            threads.add(str(key))
        elif kind is ChangeKind.FEEDBACK:
            feedback.add(int(key))  # type: ignore[arg-type]
        else:
            others.append(Path(path))
    return ChangeSet(frozenset(threads), frozenset(feedback), tuple(others))


def snapshot(content_root: Path) -> dict[str, int]:
    """Every file under ``content_root`` with its modification time (ns): to find changes nobody named."""
    stamps: dict[str, int] = {}
    for folder, dirs, files in os.walk(content_root):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue  # temp files of atomic writes, editors' swap files
            path = os.path.join(folder, name)
            try:
                stamps[path] = os.stat(path).st_mtime_ns
            except FileNotFoundError:
                continue  # removed while we looked: the next snapshot will miss it too
    return stamps


@dataclass(frozen=True, slots=True)
class Restamped:
    """Named files' stamps in :func:`snapshot`'s form: those that exist, and those that are gone."""

    stamps: dict[str, int]
    removed: tuple[str, ...]


def restamp(paths: Iterable[Path], content_root: Path) -> Restamped:
    """The stamps of ``paths`` (files under ``content_root``) keyed as :func:`snapshot` keys them."""
    stamps: dict[str, int] = {}
    removed: list[str] = []
    root = Path(content_root).resolve()
    for path in paths:
        key = os.path.join(content_root, Path(path).resolve().relative_to(root))
        try:
            stamps[key] = os.stat(key).st_mtime_ns
        except FileNotFoundError:
            removed.append(key)
    return Restamped(stamps, tuple(removed))


def changed_since(before: dict[str, int], after: dict[str, int]) -> list[Path]:
    """Files added, removed or modified between two snapshots."""
    return [Path(path) for path in sorted(set(before) | set(after)) if before.get(path) != after.get(path)]


def read_thread(content_root: Path, key: str) -> list[Any]:
    """The approved comments of one thread, from its folder (as ``load_comments`` reads them)."""
    folder = Path(content_root) / COMMENTS_DIR / key
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and not p.is_dir())
    for path in paths:
        if path.suffix != ".md":
            raise ContentFormatError("comment files must end in .md", path)
    return [read_comment(path) for path in paths]
