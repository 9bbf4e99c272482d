"""Incremental regeneration: a resident Pelican that rewrites only what a comment change affects.

``ResidentSite`` keeps one full build's generators and context in memory; ``update(paths)``
classifies the changed content files (``changes``), finds the outputs that show the changed
threads (``fanout``), re-renders just those (``pelican_outputs``, ``writer``), and updates
the search index for those threads (``search_update``). Anything it cannot handle falls back
to a full build, which also refreshes the resident state.
"""

from .builder import IncrementalBuilder
from .changes import ChangeKind, ChangeSet, classify
from .site import NeedsFullBuild, ResidentSite, UpdateMode, UpdateReport

__all__ = ["ChangeKind", "ChangeSet", "IncrementalBuilder", "NeedsFullBuild", "ResidentSite", "UpdateMode",
           "UpdateReport", "classify"]
