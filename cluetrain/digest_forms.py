"""How objects stand in a page digest (cluetrain.fingerprints): each type's form, decided once per type.

The digester pickles what a page is drawn from. Pickle asks the digester about every object that is not a
built-in container or atom, and its own reductions of dates, enums and plain objects go through Python
(``copyreg``) and name their class by module and name each time: most of a key's cost. Values of those types
are given here in a form holding everything pickle would keep, with their class named by a string, so a
digest costs a few C-level pickles instead. A type with no form here pickles as usual.
"""

from __future__ import annotations

import copyreg
import dataclasses
import enum
import struct
import types
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

Handler = Callable[[Any, Any], Any]  # (pickler, object) → a reduction, or NotImplemented: pickled as usual


class Unkeyable(Exception):
    """A value whose pickled form would not show everything a page could read of it."""


def named_object(*_parts: Any) -> None:
    """What a named object pickles as: this function's name, then the parts naming it (never unpickled)."""


def type_name(kind: type) -> str:
    """A class by its module and qualified name (its code is in the code digest)."""
    return f"{kind.__module__}.{kind.__qualname__}"


def as_usual(_pickler: Any, _obj: Any) -> Any:
    return NotImplemented


def entry_reference(pickler: Any, obj: Any) -> Any:
    pickler.entries.add(obj)
    return named_object, ("entry", obj.id)


def refuse_method(_pickler: Any, obj: Any) -> Any:
    raise Unkeyable(f"a bound method {obj!r}")


def builtin_function(_pickler: Any, obj: Any) -> Any:
    # A built-in bound to a class or module is code (zoneinfo's ZoneInfo._unpickle); bound to an object, state.
    if isinstance(obj.__self__, (types.ModuleType, type, type(None))):
        return NotImplemented
    raise Unkeyable(f"a bound method {obj!r}")


def python_function(_pickler: Any, obj: Any) -> Any:
    # Code is pickled by name (the code digest covers it), but not the state a closure or a lambda holds.
    if obj.__closure__ or "<" in obj.__qualname__:
        raise Unkeyable(f"a function with state {obj!r}")
    return NotImplemented


def _zone(zone: Any) -> Any:
    """A time zone pickle would name fully by its repr (a fixed offset and name, a zoneinfo key), else itself."""
    return repr(zone) if type(zone) in (timezone, ZoneInfo) else zone


def _datetime_form(name: str) -> Handler:
    # The wall time with its offset, the fold (which of a repeated hour) and the zone: all a datetime holds.
    return lambda _pickler, value: (named_object,
                                    ("datetime", name, value.isoformat(), value.fold, _zone(value.tzinfo)))


def _date_form(name: str) -> Handler:
    return lambda _pickler, value: (named_object, ("date", name, value.isoformat()))


def _markup(_pickler: Any, value: Markup) -> Any:
    return named_object, ("markup", str.__str__(value))


def _enum_form(name: str) -> Handler:
    return lambda _pickler, member: (named_object, ("enum", name, member._value_))  # as Enum.__reduce_ex__ does


def _path_form(name: str) -> Handler:
    return lambda _pickler, path: (named_object, ("path", name, str(path)))


def _fields_form(name: str, fields: tuple[str, ...]) -> Handler:
    def form(_pickler: Any, value: Any) -> Any:
        return named_object, ("fields", name, tuple([getattr(value, field) for field in fields]))

    return form


def _dict_form(name: str) -> Handler:
    return lambda _pickler, value: (named_object, ("object", name, value.__dict__))


class _Plain:
    """A class with nothing of its own: the size of an object whose whole state is its ``__dict__``."""


_POINTER = struct.calcsize("P")


def _reduced_by_default(kind: type) -> bool:
    """Whether pickle reduces ``kind``'s objects the default way (its class, then its state) with no C-level state."""
    return (kind.__reduce_ex__ is object.__reduce_ex__ and kind.__reduce__ is object.__reduce__
            and getattr(kind, "__getstate__", None) is object.__getstate__
            and not hasattr(kind, "__getnewargs_ex__") and not hasattr(kind, "__getnewargs__")
            and not issubclass(kind, (list, dict, set, frozenset, tuple, str, bytes, int, float, type)))


def _slotted_state(kind: type) -> tuple[str, ...] | None:
    """The fields of a dataclass with slots (and no ``__dict__``) whose pickled state is exactly those fields."""
    if not dataclasses.is_dataclass(kind) or kind.__dictoffset__ != 0:
        return None
    fields = tuple(field.name for field in dataclasses.fields(kind))
    slots = copyreg._slotnames(kind)  # type: ignore[attr-defined]
    # Anything bigger than its slots (and weak reference) would hold state of its own, in C: not ours to name.
    size = object.__basicsize__ + _POINTER * (len(slots) + (1 if kind.__weakrefoffset__ else 0))
    if set(slots) != set(fields) or kind.__basicsize__ != size:
        return None
    if _reduced_by_default(kind):
        return fields
    # A frozen dataclass with slots pickles through the __getstate__ dataclasses gives it: every field's value.
    getstate = getattr(kind, "__getstate__", None)
    if (getattr(getstate, "__qualname__", "") == "_dataclass_getstate"
            and kind.__reduce_ex__ is object.__reduce_ex__ and kind.__reduce__ is object.__reduce__):
        return fields
    return None


def _reduced_as(kind: type, base: type) -> bool:
    """Whether ``kind`` pickles exactly as ``base`` does: by its class and the value ``base`` gives."""
    return kind.__reduce_ex__ is base.__reduce_ex__ and kind.__reduce__ is base.__reduce__


def value_form(kind: type) -> Handler | None:
    """How objects of ``kind`` stand in a digest, when a form holds all their state; None: pickled as usual."""
    name = type_name(kind)
    if kind is Markup:
        return _markup
    if issubclass(kind, datetime):
        return _datetime_form(name) if _reduced_as(kind, datetime) else None
    if issubclass(kind, date):
        return _date_form(name) if _reduced_as(kind, date) else None
    if issubclass(kind, enum.Enum):
        return _enum_form(name) if _reduced_as(kind, enum.Enum) else None
    if issubclass(kind, PurePath):
        return _path_form(name) if _reduced_as(kind, PurePath) else None
    fields = _slotted_state(kind)
    if fields is not None:
        return _fields_form(name, fields)
    if (kind.__dictoffset__ != 0 and kind.__basicsize__ == _Plain.__basicsize__ and _reduced_by_default(kind)
            and not copyreg._slotnames(kind)):  # type: ignore[attr-defined]
        return _dict_form(name)
    return None
