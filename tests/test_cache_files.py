"""cluetrain.cache_files: a cache file loads as saved, or as nothing; a save replaces the file whole or not at all."""

from __future__ import annotations

import builtins
import logging
import pickle

import pytest

from cluetrain import cache_files

IDENTITY = (3, b"code", "/site/output")


def test_a_saved_file_loads_as_saved(tmp_path):
    path = tmp_path / "deep" / "cache.pickle"  # its folder is made
    cache_files.save(path, IDENTITY, {"a": 1}, ["x"])
    assert cache_files.load(path, IDENTITY, (dict, list)) == ({"a": 1}, ["x"])
    assert [p.name for p in path.parent.iterdir()] == ["cache.pickle"]  # no temp file left behind


def test_a_missing_file_loads_as_nothing_quietly(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert cache_files.load(tmp_path / "none.pickle", IDENTITY, (dict,)) is None
    assert caplog.records == []


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # truncated
    lambda data: b"",
    lambda data: b"\x80\x05\x95\x01",  # a frame cut short
])
def test_a_damaged_file_loads_as_nothing_with_a_warning(tmp_path, caplog, damage):
    # A name of its own: Pelican's log filter drops a warning repeated word for word.
    path = tmp_path / f"{tmp_path.name}.pickle"
    cache_files.save(path, IDENTITY, {"a": 1})
    path.write_bytes(damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="cluetrain.cache_files"):
        assert cache_files.load(path, IDENTITY, (dict,)) is None
    assert path.name in caplog.text


def test_a_module_gone_since_loads_as_nothing(tmp_path):
    path = tmp_path / "cache.pickle"
    path.write_bytes(b"cno_such_module\nThing\n.")  # a class whose module is gone (renamed or removed since)
    assert cache_files.load(path, (), (object,)) is None


@pytest.mark.parametrize("other", [
    (4, b"code", "/site/output"),  # another format version
    (3, b"other code", "/site/output"),  # another code version
    (3, b"code", "/another/output"),  # another site or output
    (3, b"code"),  # another layout (one field fewer in the identity)
])
def test_a_file_written_for_another_identity_loads_as_nothing(tmp_path, other):
    path = tmp_path / "cache.pickle"
    cache_files.save(path, other, {"a": 1})
    assert cache_files.load(path, IDENTITY, (dict,)) is None


@pytest.mark.parametrize("saved", [
    ("not a tuple",),
    (*IDENTITY, {"a": 1}, "one field too many"),
    (*IDENTITY, ["a list, not a dict"]),
])
def test_a_file_of_another_shape_loads_as_nothing(tmp_path, saved):
    path = tmp_path / "cache.pickle"
    path.write_bytes(pickle.dumps(saved[0] if len(saved) == 1 else saved))
    assert cache_files.load(path, IDENTITY, (dict,)) is None


def test_an_unknown_code_version_neither_loads_nor_saves(tmp_path):
    path = tmp_path / "cache.pickle"
    cache_files.save(path, (1, None), {"a": 1})
    assert not path.exists()
    cache_files.save(path, (1, b"code"), {"a": 1})
    assert cache_files.load(path, (1, None), (dict,)) is None


def test_a_failed_save_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "cache.pickle"
    cache_files.save(path, IDENTITY, {"old": 1})
    before = path.read_bytes()

    real_open = builtins.open

    def full_disk(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        """The disk fills up while the temp file is written."""
        handle = real_open(file, mode, *args, **kwargs)
        if "x" in mode:
            def write(_data: bytes) -> int:
                raise OSError(28, "No space left on device")
            handle.write = write  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(builtins, "open", full_disk)
    with pytest.raises(OSError, match="No space"):
        cache_files.save(path, IDENTITY, {"new": 2})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["cache.pickle"]
    assert cache_files.load(path, IDENTITY, (dict,)) == ({"old": 1},)


def test_an_unpicklable_field_leaves_the_old_file(tmp_path):
    path = tmp_path / "cache.pickle"
    cache_files.save(path, IDENTITY, {"old": 1})
    with pytest.raises((TypeError, AttributeError, pickle.PicklingError)):
        cache_files.save(path, IDENTITY, {"new": lambda: None})
    assert cache_files.load(path, IDENTITY, (dict,)) == ({"old": 1},)
    assert [p.name for p in tmp_path.iterdir()] == ["cache.pickle"]


def test_the_code_version_follows_every_source_file_of_the_code_folders(tmp_path):
    for folder in cache_files.CODE_FOLDERS:
        (tmp_path / folder / "deep").mkdir(parents=True)
        (tmp_path / folder / "deep" / "module.py").write_text("A = 1\n")
    first = cache_files.project_code_digest(tmp_path)
    (tmp_path / "elsewhere.py").write_text("outside the code folders")
    assert cache_files.project_code_digest(tmp_path) == first
    for folder in cache_files.CODE_FOLDERS:
        changed = tmp_path / folder / "deep" / "module.py"
        changed.write_text("A = 2\n")
        assert cache_files.project_code_digest(tmp_path) != first
        changed.write_text("A = 1\n")
    (tmp_path / cache_files.CODE_FOLDERS[0] / "added.py").write_text("")
    assert cache_files.project_code_digest(tmp_path) != first


def test_the_code_version_is_this_projects_read_once():
    assert cache_files.code_version() == cache_files.project_code_digest(cache_files.PROJECT_ROOT)
    assert cache_files.code_version() is cache_files.code_version()


def test_the_files_keep_the_umask_mode(tmp_path):
    path = tmp_path / "cache.pickle"
    cache_files.save(path, IDENTITY, {})
    probe = tmp_path / "probe"
    probe.write_bytes(b"")
    assert path.stat().st_mode == probe.stat().st_mode
