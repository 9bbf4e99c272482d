"""Import, before anything is timed, every module a build of ours or of plain Pelican imports on first use.

A `cluetrain build` pays its imports once per process, whatever the size of the site, and this machine
sets PYTHONDONTWRITEBYTECODE, so each of them compiles from source (matplotlib's ~200 modules: ~1 s,
in the first cold build's charts). The full-build ratios compare the builds' work, not start-up.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def import_everything() -> None:
    """Our plugins (as pelicanconf.py lists them), Pelican's readers and writers, and the chart renderer."""
    for folder in (REPO, REPO / "plugins"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    import pelicanconf

    for name in ("pelican", "pelican.readers", "pelican.writers", "pelican.generators", *pelicanconf.PLUGINS):
        importlib.import_module(name)
    from cluetrain_community.charts import load_renderer

    load_renderer()
