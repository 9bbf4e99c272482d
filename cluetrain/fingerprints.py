"""Digests of everything a page is drawn from, for the page caches (cluetrain.written_pages, the feedback hub's).

A page is a function of its template's code, the settings, the values of the context names its
templates read (``free_names``) and the variables it is written with. Values are digested by
pickling them, which walks every attribute reachable from them, with a few objects named instead
of copied: the settings (digested once), feedback entries (each digested once with the entries it
links to), listings and paginators (shared by many pages), Pelican content (without its ``_context``)
and the contributor levels (by the levels they give). Anything whose state pickling would not show
— a bound method, a closure, the whole context — makes the page unkeyable, so it is rendered.
Dates, markup, enums, dataclasses and plain objects are pickled in the shorter forms of
``cluetrain.digest_forms``, which hold the same state.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pelican.urlwrappers import URLWrapper

from cluetrain import cache_files
from cluetrain.digest_forms import (
    Unkeyable,
    as_usual,
    builtin_function,
    entry_reference,
    named_object,
    python_function,
    refuse_method,
    value_form,
)

__all__ = ["DIGEST_STATE", "Digester", "Unkeyable", "code_digest", "static_digest", "template_key"]

VERSION = 1


# An object whose state lives outside it, or that holds a memo of what it computed, says what it stands for in a
# digest with a method of this name (a protocol, not a registry of class names another class could share).
DIGEST_STATE = "digest_state"


def wrapper_state(wrapper: URLWrapper) -> tuple[str, str, str, str]:
    """A tag, category or author as pages show it (each holds its own copy of the settings, from the cache)."""
    return wrapper.name, wrapper.slug, wrapper.url, wrapper.save_as


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=20).digest()


@functools.cache
def _file_digest(path: str) -> bytes:
    """A module's source, read once per process: the code running is the one first read, not a file changed since.

    Read later, a deploy that replaces files under a running builder would key pages rendered by the old code
    with the new code's digest, and the restarted builder would take them as its own.
    """
    return _digest(Path(path).read_bytes())


# Project folders whose modules render no page: the service's, the tests' and the benchmarks'.
NO_PAGE_CODE = ("comments_service", "tests", "benchmarks")


def code_digest() -> bytes:
    """The project's code (every file: cache_files.code_version) and the sources of the modules loaded from elsewhere.

    Loaded modules outside the installation and the project are a site's own plugins and filters. The entry script
    (``__main__``) and the project's service, test and benchmark modules are left out: they render no page, and
    with them one-off builds (``cluetrain build``) and the resident builder (``cluetrain serve``, which loads the
    service) keyed every page differently, so each re-rendered everything whenever they took turns.
    """
    project = cache_files.code_version()
    if project is None:
        raise OSError("a source file of the project could not be read")
    installed = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    folders = (*cache_files.CODE_FOLDERS, *NO_PAGE_CODE)
    own = tuple(str(cache_files.PROJECT_ROOT / folder) + os.sep for folder in folders)
    parts: list[bytes] = [f"{VERSION}|{sys.version}".encode(), project]
    # The entry script is also "__mp_main__" once multiprocessing is imported (Pelican imports it): the same module.
    entry = sys.modules.get("__main__")
    for name, module in sorted(list(sys.modules.items()), key=lambda pair: pair[0]):
        file = getattr(module, "__file__", None)
        if (file and file.endswith(".py") and module is not entry and not file.startswith(installed)
                and not os.path.realpath(file).startswith(own)):
            parts.append(name.encode() + b"=" + _file_digest(file))
    return _digest(b"\0".join(parts))


def recorder(environment: Any) -> Any:
    """The module of the comments plugin that records the names templates read (macro_modules), or None."""
    module = sys.modules.get(environment.code_generator_class.__module__)
    return module if hasattr(module, "free_names") and hasattr(module, "NAMES_VARIABLE") else None


def template_digest(environment: Any, names: Iterable[str]) -> tuple[bytes, frozenset[str], frozenset[str]] | None:
    """The sources of ``names`` and of every template they load, with the filters and tests they use.

    None when a template loads another by a computed name: what it loads cannot be known.
    """
    recording = recorder(environment)
    if recording is None:
        return None
    seen: dict[str, bytes] = {}
    filters: set[str] = set()
    tests: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        template = environment.get_template(name)
        recorded = template.root_render_func.__globals__.get(recording.NAMES_VARIABLE)
        if recorded is None or None in recorded[1]:
            return None
        source = environment.loader.get_source(environment, name)[0]
        seen[name] = _digest(source.encode())
        pending.extend(recorded[1])
        filters.update(recorded[2])
        tests.update(recorded[3])
    digest = _digest(b"\0".join(name.encode() + b"=" + seen[name] for name in sorted(seen)))
    return digest, frozenset(filters), frozenset(tests)


# Memo slots given beforehand: the pickle of an object reaching them holds a reference, not the object.
_SETTINGS_SLOT = 0
_NAMED_SLOT = 1  # the reductions' callable: neither asked about nor looked up by name each time
_CONTEXT_SLOT = 2**31 - 1
_CONTEXT_REFERENCE = pickle.LONG_BINGET + _CONTEXT_SLOT.to_bytes(4, "little")


class _Pickler(pickle.Pickler):
    """Pickles into a buffer; the digester names shared objects (a reduction to ``named_object``) or refuses them."""

    def __init__(self, digester: Digester, root: object, settings: bool) -> None:
        self.buffer = io.BytesIO()
        # Asked about every object that is not a built-in container or atom: a partial costs less than a method.
        self.reducer_override = functools.partial(digester.named, self)
        super().__init__(self.buffer, protocol=5)
        self.digester, self.root = digester, root
        self.entries: set[Any] = set()
        # Dicts are pickled without asking reducer_override: the settings (digested once) and the context
        # (never digested whole) are found through the memo instead.
        memo = {id(digester.context): (_CONTEXT_SLOT, digester.context),
                id(named_object): (_NAMED_SLOT, named_object)}
        if settings:
            memo[id(digester.settings)] = (_SETTINGS_SLOT, digester.settings)
        self.memo = memo
        # No memo of its own: the same value pickles the same whether or not its parts are shared objects (a comment
        # parsed anew repeats its thread's key; one read back from the comment cache shares it). The memo given
        # above is still looked up; a cycle raises ValueError (refused: unkeyable).
        self.fast = True


class Digester:
    """Digests of values for one build: entries, listings and content are digested once each."""

    def __init__(self, settings: Mapping[str, Any], context: Mapping[str, Any], entry_type: type,
                 shared_types: tuple[type, ...], content_type: type | None,
                 content_text: Callable[[Any], Any] | None = None) -> None:
        self.settings, self.context = settings, context
        self.entry_type, self.shared_types, self.content_type = entry_type, shared_types, content_type
        self.content_text = content_text  # content → what of its text depends on the context (linked URLs)
        self.own: dict[Any, tuple[bytes, frozenset[Any]]] = {}
        self.closed: dict[Any, tuple[int, bytes]] = {}
        self.handlers: dict[type, Callable[[_Pickler, Any], Any]] = {}  # type → how its objects pickle
        self.shared: dict[int, tuple[Any, bytes]] = {}
        self.busy: set[int] = set()

    def named(self, pickler: _Pickler, obj: Any) -> Any:
        """How ``obj`` pickles: NotImplemented as usual, or a reduction to ``named_object``; Unkeyable: refused."""
        if obj is pickler.root:
            return NotImplemented
        kind = type(obj)
        handler = self.handlers.get(kind)
        if handler is None:
            handler = self.handlers[kind] = self._handler(kind)
        return handler(pickler, obj)

    def _handler(self, kind: type) -> Callable[[_Pickler, Any], Any]:
        """How every object of ``kind`` pickles (decided once per type; a few kinds still look at the object)."""
        if kind is self.entry_type:
            return entry_reference
        if kind is types.MethodType:
            return refuse_method
        if kind is types.BuiltinFunctionType:
            return builtin_function
        if kind is types.FunctionType:
            return python_function
        if kind in self.shared_types or (self.content_type is not None and issubclass(kind, self.content_type)):
            return lambda _pickler, obj: (named_object, ("shared", self.shared_digest(obj)))
        stated = getattr(kind, DIGEST_STATE, None)
        adapter = (stated if callable(stated) else None) or (wrapper_state if issubclass(kind, URLWrapper) else None)
        if adapter is not None:
            name = kind.__name__
            return lambda _pickler, obj: (named_object, ("adapted", name, self.adapted_digest(obj, adapter)))
        return value_form(kind) or as_usual

    def _pickle(self, value: Any, settings: bool = True) -> tuple[bytes, set[Any]]:
        pickler = _Pickler(self, value, settings)
        try:
            pickler.dump(value)
        except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError) as exc:
            raise Unkeyable(str(exc)) from exc
        data = pickler.buffer.getvalue()
        if _CONTEXT_REFERENCE in data:  # or bytes that look like it: refused all the same
            raise Unkeyable("the whole context")
        return data, pickler.entries

    def own_digest(self, entry: Any) -> tuple[bytes, frozenset[Any]]:
        """One entry pickled with the entries it links to named by id, and those entries."""
        found = self.own.get(entry)
        if found is None:
            data, linked = self._pickle(entry)
            found = self.own[entry] = (_digest(data), frozenset(linked))
        return found

    def closed_digest(self, entry: Any) -> tuple[int, bytes]:
        """The entry's id, and the digest of it and every entry it links to, transitively (a merge's other side)."""
        found = self.closed.get(entry)
        if found is None:
            closure: dict[int, bytes] = {}
            pending = [entry]
            while pending:
                linked_entry = pending.pop()
                if linked_entry.id in closure:
                    continue
                own, linked = self.own_digest(linked_entry)
                closure[linked_entry.id] = own
                pending.extend(linked)
            data = b"".join(key.to_bytes(8, "little", signed=True) + closure[key] for key in sorted(closure))
            found = self.closed[entry] = (entry.id, _digest(data))
        return found

    def entries_digest(self, entries: Iterable[Any]) -> bytes:
        """The entries, each with every entry it links to."""
        closed = sorted(map(self.closed_digest, entries))
        return _digest(b"".join(key.to_bytes(8, "little", signed=True) + digest for key, digest in closed))

    @staticmethod
    def combine(*parts: bytes) -> bytes:
        """One digest of several, each part framed by its length (no two lists of parts give the same bytes)."""
        return _digest(b"".join(len(part).to_bytes(4, "little") + part for part in parts))

    def digest(self, value: Any, *, settings: bool = True) -> bytes:
        """A value's digest, with the entries it reaches (``settings``: stand for the settings by name)."""
        data, entries = self._pickle(value, settings)
        return _digest(data + self.entries_digest(entries)) if entries else _digest(data)

    def adapted_digest(self, obj: Any, adapter: Callable[[Any], Any]) -> bytes:
        """What an adapted object stands for, digested once per build."""
        found = self.shared.get(id(obj))
        if found is None or found[0] is not obj:
            found = self.shared[id(obj)] = (obj, self.digest(adapter(obj)))  # obj referenced: its id is not reused
        return found[1]

    def shared_digest(self, obj: Any) -> bytes:
        """A listing, paginator or content object, digested once (content without its ``_context``)."""
        found = self.shared.get(id(obj))
        if found is not None and found[0] is obj:
            return found[1]
        if id(obj) in self.busy:
            raise Unkeyable(f"{type(obj).__name__} reaches itself")
        self.busy.add(id(obj))
        try:
            if self.content_type is not None and isinstance(obj, self.content_type):
                # Every content object holds the whole context; what a page reads of it is digested by name.
                state = {key: value for key, value in vars(obj).items() if key != "_context"}
                text = self.content_text(obj) if self.content_text is not None else None
                value = self.digest((type(obj), state, text))
            else:
                value = self.digest(obj)
        finally:
            self.busy.discard(id(obj))
        self.shared[id(obj)] = (obj, value)  # the object stays referenced: its id is not reused
        return value


_ABSENT = ("absent",)


def static_digest(digester: Digester) -> bytes:
    """The code and the settings: the same for every page of a build (Unkeyable if a module's file is gone)."""
    try:
        code = code_digest()
    except OSError as exc:  # a loaded module's file is gone: its code cannot be known
        raise Unkeyable(str(exc)) from exc
    return digester.digest(("static", code, digester.settings), settings=False)


def template_key(digester: Digester, template: Any, context: Mapping[str, Any], variables: Iterable[str],
                 static: bytes) -> bytes | None:
    """A template's sources, its filters and tests, and the context values it reads besides ``variables``.

    None when what it reads or loads cannot be known, or a value it reads cannot be digested.
    """
    environment = template.environment
    recording = recorder(environment)
    names = recording.free_names(template) if recording else None
    sources = template_digest(environment, [template.name])
    if names is None or sources is None:
        return None
    digest, filters, tests = sources
    skipped = {*variables, "output_file"}  # output_file is the page's own path, part of every key
    # The rest comes from the context, or from the environment's globals where the context lacks it (as Jinja
    # looks names up).
    shown = {name: context.get(name, template.globals.get(name, _ABSENT)) for name in sorted(names)
             if name not in skipped}
    # A filter or test may hold state (a closure, a bound method: refused) or be code (by name).
    functions = ({name: environment.filters.get(name, _ABSENT) for name in sorted(filters)},
                 {name: environment.tests.get(name, _ABSENT) for name in sorted(tests)})
    try:
        return digester.digest((template.name, digest, static, shown, functions))
    except Unkeyable:
        return None
