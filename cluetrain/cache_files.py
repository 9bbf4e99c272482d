"""The build's pickled caches under CACHE_PATH: one way to load them, one to save them, one name for their code.

A cache file is one pickled tuple: the cache's identity (its format version, the code that wrote it, the
site or output it was written for: whatever that cache checks), then its fields. A file that is missing,
unreadable, of another shape or written for another identity loads as nothing, and the cache starts empty:
a cache only saves work, the files it stands for stay the source of truth.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import secrets
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The project's folder (this package's parent) and the folders a build imports its code from.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CODE_FOLDERS = ("cluetrain", "plugins")
FORMAT = 1  # of the code version: changes it when what it is drawn from changes

# What an identity is made of: version numbers, code digests, paths (compared with ==).
Identity = tuple[object, ...]
# Unpickling damaged or foreign bytes raises any of these (a truncated file, a class since moved or renamed).
UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError,
              IndexError, KeyError)


@functools.cache
def code_version() -> bytes | None:
    """Which code writes a cache: every source file of the project's code, Python's version, every installed version."""
    # The whole code rather than a list of the source files each cache depends on: a list holds what its author
    # thought of (the feed caches' never held the plugins that build a feed's entries from what it is keyed by, nor
    # the comment cache's the YAML parser's version), the whole code never misses one; the item cache already used
    # it. Its files rather than the loaded modules (fingerprints.code_digest, which the page caches' keys hold): the
    # modules loaded differ with the entry point (the script run, the resident builder's process), and a cache
    # must not be lost each time one-off and resident builds take turns. Read once per process (~2 ms), as
    # fingerprints reads a module's source: the code running is the code first read, not files replaced since.
    try:
        return project_code_digest(PROJECT_ROOT)
    except OSError:  # a source file vanished while being read (a deploy in progress): nothing can be trusted
        return None


def project_code_digest(root: Path) -> bytes:
    """A digest of every Python source under ``root``'s code folders, Python's version and the installed versions."""
    digest = hashlib.blake2b(f"{FORMAT}|{sys.version}".encode(), digest_size=20)
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(f"\0{path.relative_to(root)}=".encode())
            digest.update(hashlib.blake2b(path.read_bytes(), digest_size=20).digest())
    digest.update("\0".join(_installed_versions()).encode())
    return digest.digest()


def _installed_versions() -> list[str]:
    """Every installed distribution, as its metadata folder is named (``Jinja2-3.1.4.dist-info``)."""
    found = set()
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        found.update(f"{folder}/{name}" for name in names if name.endswith((".dist-info", ".egg-info")))
    return sorted(found)


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
