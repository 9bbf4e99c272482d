"""Parsed comment files kept between full builds, each under its file's stat signature.

A cached full build would otherwise open, parse and validate every comment file again (about
12 µs each: 0.6 s at 50,000 comments) when few or none changed. The files stay the source of
truth: every file is still listed and stat()ed on every build, and one whose signature
(mtime, ctime, size, inode, device) is not the one it had when it was parsed is read again.
The ctime is in the signature because no one can set it: a rewrite that restores the mtime
(``touch -r``, ``rsync -t``) still changes it. Checks across files (duplicate ids, stray
files) run on every build as before; a file's own checks ran when it was parsed, and the
cache is keyed by the code that parsed it (cluetrain.cache_files.code_version).

Kept as one pickle of per-folder pickles, so a build that changed a few threads re-encodes
only those.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import time
from datetime import datetime
from pathlib import Path

from cluetrain import cache_files

from .comments import COMMENTS_DIR, Comment, CommentSource, read_comment_file

CACHE_FILE = "cluetrain_comment_files.pickle"
# 2: the code version became the whole code (cache_files.code_version; it was a digest of three modules' sources).
FORMAT = 2
# A file changed this recently could change again within the same timestamp tick and keep its
# signature: it is parsed but not kept, and so read again next time ("racily clean" in git's words).
# Timestamps are coarse (a kernel tick, up to 10 ms; whole seconds on some file systems).
SETTLE_NS = 2_000_000_000

Signature = tuple[int, int, int, int, int]
# A comment's fields without its thread (the folder's name), the date in ISO 8601 and the source as
# its value: unpickling datetimes and enum members costs ten times what parsing these strings does.
Record = tuple[str, str, str, str, str | None, str | None, str | None, str, str | None, bool, str | None]

_FIELDS = ("id", "thread", "author", "date", "body", "parent", "website", "avatar", "source", "contributor",
           "helpful", "rewarded")
if tuple(field.name for field in dataclasses.fields(Comment)) != _FIELDS:  # pragma: no cover - a guard for editors
    raise ImportError("Comment's fields changed: update the record layout in comment_cache.py")
# The slots' own setters: a comment from a record was validated when its file was parsed, and
# Comment.__init__ would validate it again (three times the cost of the rest of the restore).
_SET = {name: getattr(Comment, name).__set__ for name in _FIELDS}
_SOURCES = {member.value: member for member in CommentSource}


def signature(stat: os.stat_result) -> Signature:
    """What must stay the same for a parsed file to be reused."""
    return stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino, stat.st_dev


def record(comment: Comment) -> Record:
    """The comment's fields as kept in the cache (its thread is its folder)."""
    return (comment.id, comment.author, comment.date.isoformat(), comment.body, comment.parent, comment.website,
            comment.avatar, comment.source.value, comment.contributor, comment.helpful, comment.rewarded)


def restore(thread: str, kept: Record) -> Comment:
    """The comment a record was made from (equal to it, field by field)."""
    (id_, author, date, body, parent, website, avatar, source, contributor, helpful, rewarded) = kept
    comment = object.__new__(Comment)
    _SET["id"](comment, id_)
    _SET["thread"](comment, thread)
    _SET["author"](comment, author)
    _SET["date"](comment, datetime.fromisoformat(date))
    _SET["body"](comment, body)
    _SET["parent"](comment, parent)
    _SET["website"](comment, website)
    _SET["avatar"](comment, avatar)
    _SET["source"](comment, _SOURCES[source])
    _SET["contributor"](comment, contributor)
    _SET["helpful"](comment, helpful)
    _SET["rewarded"](comment, rewarded)
    return comment


def format_version() -> str | None:
    """What a saved cache must have been written by: this layout and this code (None: the code is unknown)."""
    code = cache_files.code_version()
    return None if code is None else f"{FORMAT}/{code.hex()}"


class CommentCache:
    """Folder name → its files' (signature, record), for one content root; also records what this build found."""

    def __init__(self, root: str, folders: dict[str, bytes] | None = None) -> None:
        self.root = root
        self._saved = folders or {}  # folder name → pickle of {file name: (signature, record)}
        self._found: dict[str, bytes] = {}  # the same for the folders this build found
        self._changed = False
        self.parsed = 0  # files read and parsed by this build
        self.reused = 0  # files taken from the cache
        self._settled_before = time.time_ns() - SETTLE_NS
        self.version: str | None = None  # the code version taken when loaded, saved with (see format_version)

    @staticmethod
    def root_of(content_root: Path | str) -> str:
        """The key of a content root: the comments folder's real path (another site never shares entries)."""
        return os.path.realpath(os.path.join(content_root, COMMENTS_DIR))

    @classmethod
    def load(cls, cache_dir: Path | None, content_root: Path | str) -> CommentCache:
        """The cache saved in ``cache_dir`` for this content root by this code; an empty one otherwise."""
        root = cls.root_of(content_root)
        if cache_dir is None:
            return cls(root)
        version = format_version()
        saved = cache_files.load(Path(cache_dir) / CACHE_FILE, (version, root), (dict,))
        cache = cls(root, saved[0] if saved is not None else None)
        cache.version = version
        return cache

    def folder(self, name: str) -> CachedFolder:
        """The cached files of one thread folder, to look comments up in while it is read."""
        return CachedFolder(self, name, self._saved.get(name))

    def save(self, cache_dir: Path) -> None:
        """Keep what this build found (folders it did not find are dropped), if that differs from what was loaded."""
        if not self._changed and self._found.keys() == self._saved.keys():
            return
        version = self.version if self.version is not None else format_version()
        cache_files.save(Path(cache_dir) / CACHE_FILE, (version, self.root), self._found)
        self._saved, self._found, self._changed = self._found, {}, False


class CachedFolder:
    """One thread folder's cached files while the build reads it; :meth:`done` hands the result back."""

    __slots__ = ("_blob", "_cache", "_entries", "_fresh", "_known", "name")

    def __init__(self, cache: CommentCache, name: str, blob: bytes | None) -> None:
        self._cache = cache
        self.name = name
        self._blob = blob
        self._known: dict[str, tuple[Signature, Record]] = {}
        if blob is not None:
            try:
                self._known = pickle.loads(blob)
            except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
                self._blob = None  # damaged: read the folder's files again
        self._entries: dict[str, tuple[Signature, Record]] = {}
        self._fresh = False  # whether anything differs from the saved blob

    def comment(self, path: str, name: str) -> Comment:
        """The comment in file ``name`` (at ``path``): from the cache if the file is as it was, else read now."""
        # stat() before reading: a file replaced in between is kept under its older signature and read again.
        stat = os.stat(path)
        stamp = signature(stat)
        known = self._known.get(name)
        if known is not None and known[0] == stamp:
            self._entries[name] = known
            self._cache.reused += 1
            return restore(self.name, known[1])
        comment = read_comment_file(path, self.name, name)
        self._cache.parsed += 1
        self._fresh = True
        if stat.st_ctime_ns < self._cache._settled_before:
            self._entries[name] = (stamp, record(comment))
        return comment

    def done(self) -> None:
        """Every file of the folder was looked up: hand its entries to the cache."""
        if not self._fresh and self._blob is not None and len(self._entries) == len(self._known):
            self._cache._found[self.name] = self._blob
            return
        self._cache._changed = True
        if self._entries:
            self._cache._found[self.name] = pickle.dumps(self._entries, protocol=5)
