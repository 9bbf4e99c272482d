"""Incremental regeneration: a resident Pelican that rewrites only what a comment or feedback change affects.

``ResidentSite`` keeps one full build's generators and context in memory; ``update(paths)``
classifies the changed content files (``changes``), finds the outputs that show the changed
threads (``fanout``) and feedback items (``feedback_update``), re-renders just those
(``pelican_outputs``, ``writer``), deletes the outputs of removed items, and updates the
search index for those threads and items (``search_update``). A post whose text alone changed is
re-read in place (``post_edits``). Anything it cannot handle falls back to a full build, which
also refreshes the resident state.
"""

from .builder import IncrementalBuilder
from .changes import ChangeKind, ChangeSet, classify
from .plan import NeedsFullBuild
from .site import ResidentSite, UpdateMode, UpdateReport

__all__ = ["ChangeKind", "ChangeSet", "IncrementalBuilder", "NeedsFullBuild", "ResidentSite", "UpdateMode",
           "UpdateReport", "classify"]
