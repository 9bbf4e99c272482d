"""The comments service's Builder backed by the resident site: incremental updates, full builds as fallback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pelican import signals

from cluetrain.build import BuildError

from .site import ResidentSite, UpdateReport

log = logging.getLogger(__name__)


class LeaseRanOut(RuntimeError):
    """This process no longer surely holds the builder lease; the build stops."""


class IncrementalBuilder:
    """Implements ``comments_service.Builder``; keeps one :class:`ResidentSite` for the process's lifetime."""

    def __init__(self, project_root: Path, overrides: dict[str, Any] | None = None, *,
                 fence: Callable[[], bool] | None = None) -> None:
        self.site = ResidentSite(project_root, overrides)
        self.last_report: UpdateReport | None = None
        self.fence = fence  # true while this process may write output/ (it holds the builder lease)

    def rebuild(self, changed: Sequence[Path]) -> None:
        """Update output/ for ``changed``; a BuildError becomes the service's RebuildFailed."""
        from comments_service import RebuildFailed

        def check_fence(*_args: Any, **_kwargs: Any) -> None:
            if self.fence is not None and not self.fence():
                raise LeaseRanOut("the builder lease ran out; this builder writes no further file")

        # Checked before the build and after every file written: a builder that stalled past its lease's end
        # stops at the next file instead of finishing a build over the files of the builder that took over.
        signals.content_written.connect(check_fence)
        try:
            check_fence()
            report = self.site.update(changed)
        except BuildError as exc:
            raise RebuildFailed("; ".join(exc.problems)) from exc
        except LeaseRanOut as exc:
            raise RebuildFailed(str(exc)) from exc
        finally:
            signals.content_written.disconnect(check_fence)
        self.last_report = report
        log.info("site %s update (%s): %d files in %.3f s", report.mode, report.reason or f"{len(changed)} changed",
                 len(report.written), report.seconds)
