"""What one incremental update rewrites, and the exception that asks for a full build instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .fanout import Target


class NeedsFullBuild(Exception):
    """A change the resident site cannot apply incrementally; the message says why."""


@dataclass
class Plan:
    """The outputs one incremental update rewrites: the changed contents' own pages first, then the rest."""

    own_targets: list[Target] = field(default_factory=list)
    own_paths: set[str] = field(default_factory=set)  # written by our plugins (feedback item pages)
    targets: list[Target] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)  # outputs of content that is gone, deleted last
    search: list[tuple[dict, dict]] = field(default_factory=list)
    threads_changed: bool = False  # a thread's comments, title, URL or state: threads.json, all-comments feed
    dependents: list[Any] = field(default_factory=list)  # generators that asked to rewrite outputs
