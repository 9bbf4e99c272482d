"""The build's pickled caches under CACHE_PATH: one way to load them, one to save them, one name for their code.

A cache file is one pickled tuple: the cache's identity (its format version, the code that wrote it, the
site or output it was written for: whatever that cache checks), then its fields. A file that is missing,
unreadable, of another shape or written for another identity loads as nothing, and the cache starts empty:
a cache only saves work, the files it stands for stay the source of truth.
"""

from __future__ import annotations

import logging
import os
import pickle
import secrets
from pathlib import Path
from typing import Any

from cluetrain.fingerprints import code_digest

log = logging.getLogger(__name__)

# What an identity is made of: version numbers, code digests, paths (compared with ==).
Identity = tuple[object, ...]
# Unpickling damaged or foreign bytes raises any of these (a truncated file, a class since moved or renamed).
UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError,
              IndexError, KeyError)


def code_version() -> bytes | None:
    """Which code writes a cache: the whole code's digest; None when a loaded module's source cannot be read."""
    # The whole code rather than a list of the source files each cache depends on: a list holds what its author
    # thought of (the comment cache named 3 of the modules its parsing runs through; the feed caches' keys never
    # covered the plugins that build a feed's entries), the whole code never misses one. It was already what the
    # item and page caches used. It costs ~1 ms a cache on a build, and it is the same on a fresh and a cached
    # build (the loaded modules outside the installation are the same at each cache's load). Not memoized: a
    # cache takes it when it loads and saves with that value, so modules imported later never skew the two.
    try:
        return code_digest()
    except OSError:  # a loaded module's file is gone: no cache can be trusted to match the code running
        return None


def load(path: Path, identity: Identity, kinds: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The fields saved in ``path`` with this identity, one of each of ``kinds``; None otherwise."""
    if None in identity:  # part of it unknown (the code version): nothing can match it
        return None
    try:
        with open(path, "rb") as handle:
            saved = pickle.load(handle)
    except FileNotFoundError:
        return None
    except UNREADABLE as exc:
        log.warning("ignoring an unreadable cache file %s: %s", path.name, exc)
        return None
    width = len(identity)
    # The shape is checked before the identity: a file of another format must not be mis-read as this one.
    if type(saved) is not tuple or len(saved) != width + len(kinds) or saved[:width] != identity:
        return None
    fields = saved[width:]
    if not all(isinstance(field, kind) for field, kind in zip(fields, kinds, strict=True)):
        return None
    return fields


def save(path: Path, identity: Identity, *fields: object) -> None:
    """Pickle ``identity`` and ``fields`` to ``path`` atomically: a reader finds the old file or the new, not a mix."""
    if None in identity:  # the code version is unknown: a file no build could match is not worth writing
        return
    data = pickle.dumps((*identity, *fields), protocol=pickle.HIGHEST_PROTOCOL)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temp file of its own in the same folder (os.replace stays on one file system; two builds never share one).
    # No fsync: a cache lost in a crash is rebuilt, and a damaged one is ignored.
    # Opened by name (not mkstemp) so that the file gets the umask's mode, as the caches' files always had.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
