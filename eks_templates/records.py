"""Frozen value records, declared as dataclasses are, without their cost at start-up.

``@dataclass`` writes the ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` of each class as source text and compiles it when
the class is defined: about 1 ms per frozen class on CPython 3.11, 2 ms with
``order=True`` (each run of ``render`` defined 14 of them: 13-15 ms of a ~200 ms render on
a loaded 2-core machine; issue 17 item 5). A :class:`Record` subclass gets the same methods
from this base class,
whose bytecode is compiled once into ``__pycache__``; defining one costs a class
statement. ``tests/test_records.py`` holds them to what ``@dataclass(frozen=True)`` does.

    class Port(Record):
        name: str
        kind: str = "scalar"

    Port("VpcId") == Port(name="VpcId", kind="scalar")      # True; hashable; frozen
    replace(port, kind="list")                              # dataclasses.replace

Fields are the class's annotated attributes (not ``ClassVar``), the base classes' first;
a default is the attribute's value and is shared by every instance (so only immutable
ones: there is no ``default_factory``). ``class P(Record, order=True)`` also orders
instances by their fields, as ``@dataclass(order=True)``. The render path imports no
``dataclasses`` (tests/test_budgets.py): the two mutable ones of the 14
(``assembly.NestedSet``, ``render.StagedSet``) are plain classes with an ``__init__``.
"""

from __future__ import annotations

import inspect  # the import floor has it (troposphere -> cfn_flip -> cfn_tools)
from typing import Any, ClassVar, TypeVar, dataclass_transform

R = TypeVar("R", bound="Record")


def _is_class_var(annotation: object) -> bool:
    if isinstance(annotation, str):  # ``from __future__ import annotations``: the source text
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or getattr(annotation, "__origin__", None) is ClassVar


@dataclass_transform(eq_default=True, frozen_default=True)
class Record:
    """Base class of a frozen record: ``__init__`` (positional or by name, defaults),
    ``__repr__``, ``__eq__`` and ``__hash__`` over the fields, in their order; assigning
    or deleting an attribute raises ``AttributeError`` as a frozen dataclass does."""

    #: the fields' names, in order (the base classes' first)
    _record_fields: ClassVar[tuple[str, ...]] = ()
    #: field name -> its default, for the fields that have one
    _record_defaults: ClassVar[dict[str, Any]] = {}
    #: the defaults of the last fields, in order (every field after the first with a default has one)
    _record_tail: ClassVar[tuple[Any, ...]] = ()

    def __init_subclass__(cls, *, order: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = list(cls._record_fields)
        defaults = dict(cls._record_defaults)
        for name, annotation in inspect.get_annotations(cls).items():
            if _is_class_var(annotation):
                continue
            if name not in fields:
                fields.append(name)
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
            elif name in defaults:  # redeclared without a default
                del defaults[name]
        seen_default = ""
        for name in fields:  # as dataclasses: a field without a default cannot follow one with
            if name in defaults:
                seen_default = name
            elif seen_default:
                raise TypeError(f"{cls.__qualname__}: non-default field {name!r} follows default field "
                                f"{seen_default!r}")
        cls._record_fields = tuple(fields)
        cls._record_defaults = defaults
        cls._record_tail = tuple(defaults[name] for name in fields if name in defaults)
        if order:
            for method, function in (("__lt__", _lt), ("__le__", _le), ("__gt__", _gt), ("__ge__", _ge)):
                setattr(cls, method, function)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._record_fields
        if len(args) != len(fields):
            tail = self._record_tail
            given = len(args) - len(fields) + len(tail)  # how many of the defaulted fields are in args
            args = args + tail[given:] if not kwargs and 0 <= given <= len(tail) else self._record_bind(args, kwargs)
        elif kwargs:
            args = self._record_bind(args, kwargs)
        self.__dict__.update(zip(fields, args, strict=True))  # past the frozen __setattr__, in one call

    @classmethod
    def _record_bind(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """Every field's value, in order, from a call's arguments and the defaults; a
        ``TypeError`` for the calls a dataclass's ``__init__`` refuses."""
        fields = cls._record_fields
        if len(args) > len(fields):
            raise TypeError(f"{cls.__qualname__}() takes {len(fields)} positional arguments but "
                            f"{len(args)} were given")
        values = list(args)
        defaults = cls._record_defaults
        for name in fields[len(args):]:
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif name in defaults:
                values.append(defaults[name])
            else:
                raise TypeError(f"{cls.__qualname__}() missing required argument: {name!r}")
        if kwargs:
            name = next(iter(kwargs))
            what = "got multiple values for argument" if name in fields else "got an unexpected keyword argument"
            raise TypeError(f"{cls.__qualname__}() {what} {name!r}")
        return tuple(values)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._record_fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_fields)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")


def _same(a: Record, b: object) -> bool:
    return b.__class__ is a.__class__


def _lt(self: Record, other: Record) -> bool:
    return self._values() < other._values() if _same(self, other) else NotImplemented


def _le(self: Record, other: Record) -> bool:
    return self._values() <= other._values() if _same(self, other) else NotImplemented


def _gt(self: Record, other: Record) -> bool:
    return self._values() > other._values() if _same(self, other) else NotImplemented


def _ge(self: Record, other: Record) -> bool:
    return self._values() >= other._values() if _same(self, other) else NotImplemented


def replace(record: R, **changes: Any) -> R:
    """A copy of ``record`` with ``changes`` (field name -> value), as ``dataclasses.replace``."""
    unknown = set(changes) - set(record._record_fields)
    if unknown:
        raise TypeError(f"{type(record).__qualname__} has no field {sorted(unknown)[0]!r}")
    values = {name: getattr(record, name) for name in record._record_fields}
    values.update(changes)
    return type(record)(**values)
