"""Feedback item files read once (item_files.py), in real builds: used while a file's stat signature holds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cluetrain.build import BuildError
from plugins.cluetrain_feedback.item_files import CACHE_FILE

from .conftest import Site
from .feedback_helpers import write_item

ITEM_1 = "feedback/1-dark-mode/index.html"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    (tmp_path / "content" / "posts").mkdir(parents=True)
    site = Site(tmp_path)
    site.post("hello")
    write_item(site.content, 1, "Dark mode", votes=10, body="Original words.")
    write_item(site.content, 2, "Export", kind="bug", votes=3, created=2)
    site.build()
    return site


def _item_file(site: Site, item_id: int) -> Path:
    return next(p for p in (site.content / "feedback").iterdir() if p.name.startswith(f"{item_id}-"))


def _rewrite_keeping_mtime(path: Path, old: bytes, new: bytes) -> None:
    """Change a file's bytes (same length) in place, then put its mtime back (as cp -p does): only the ctime tells."""
    stat = path.stat()
    data = path.read_bytes()
    assert len(old) == len(new) and old in data
    with open(path, "r+b") as file:  # in place: the inode stays
        file.write(data.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_mtime_ns, path.stat().st_size, path.stat().st_ino) == (
        stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _cache_file_state(site: Site) -> tuple[int, int]:
    stat = (site.root / "cache" / CACHE_FILE).stat()
    return stat.st_mtime_ns, stat.st_ino


def test_unchanged_files_are_not_read_again(site):
    """Nothing read afresh: the kept items are the ones used, and the cache file is not even written again."""
    before = _cache_file_state(site)
    site.build()
    assert _cache_file_state(site) == before
    assert "Original words." in site.read(ITEM_1)


def test_a_file_rewritten_with_its_mtime_put_back_is_read_again(site):
    _rewrite_keeping_mtime(_item_file(site, 1), b"Original words.", b"Secret changes.")
    before = _cache_file_state(site)
    site.build()
    assert "Secret changes." in site.read(ITEM_1)
    assert _cache_file_state(site) != before


def test_without_the_cache_every_file_is_read(site):
    path = _item_file(site, 1)
    path.write_bytes(path.read_bytes().replace(b"Original words.", b"Secret changes."))
    site.build(LOAD_CONTENT_CACHE=False)
    assert "Secret changes." in site.read(ITEM_1)


def test_a_file_edited_in_place_with_the_same_size_is_read_again(site):
    path = _item_file(site, 1)
    inode = path.stat().st_ino
    with open(path, "r+b") as file:  # in place, same length: only the mtime tells
        data = file.read()
        file.seek(0)
        file.write(data.replace(b"Original words.", b"Edited! words.."))
    assert path.stat().st_ino == inode
    site.build()
    assert "Edited! words.." in site.read(ITEM_1)


def test_a_bad_file_is_still_an_error(site):
    """A file that changed into something unreadable fails the build, as without the cache."""
    path = _item_file(site, 2)
    path.write_text(path.read_text(encoding="utf-8").replace("Kind: bug", "Kind: rant"), encoding="utf-8")
    with pytest.raises(BuildError):
        site.build()


def test_files_added_and_removed(site):
    _item_file(site, 2).unlink()
    write_item(site.content, 3, "Helm chart", votes=2, created=3)
    site.build()
    assert (site.output / "feedback/3-helm-chart/index.html").is_file()
    assert "Export" not in site.read("feedback/index.html")


def test_a_reused_id_is_still_an_error(site):
    """Two files with one id: the second is named, whether the first came from the cache or not."""
    first = _item_file(site, 1)
    (first.parent / "1-dark-mode-again.md").write_bytes(
        first.read_bytes().replace(b"Slug: dark-mode", b"Slug: dark-mode-again"))
    with pytest.raises(BuildError, match="also used by"):
        site.build()
