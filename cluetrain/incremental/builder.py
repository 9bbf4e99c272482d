"""The comments service's Builder backed by the resident site: incremental updates, full builds as fallback."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cluetrain.build import BuildError

from .site import ResidentSite, UpdateReport

log = logging.getLogger(__name__)


class IncrementalBuilder:
    """Implements ``comments_service.Builder``; keeps one :class:`ResidentSite` for the process's lifetime."""

    def __init__(self, project_root: Path, overrides: dict[str, Any] | None = None) -> None:
        self.site = ResidentSite(project_root, overrides)
        self.last_report: UpdateReport | None = None

    def rebuild(self, changed: Sequence[Path]) -> None:
        """Update output/ for ``changed``; a BuildError becomes the service's RebuildFailed."""
        from comments_service import RebuildFailed

        try:
            report = self.site.update(changed)
        except BuildError as exc:
            raise RebuildFailed("; ".join(exc.problems)) from exc
        self.last_report = report
        log.info("site %s update (%s): %d files in %.3f s", report.mode, report.reason or f"{len(changed)} changed",
                 len(report.written), report.seconds)
