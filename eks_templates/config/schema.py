"""A small typed-record engine for the stack file: frozen models declared with type
hints, validated from parsed YAML with every problem collected.

Why not pydantic: importing ``pydantic.BaseModel`` and building the stack file's
~30 models costs ~70 ms, more than the rest of ``render`` together (see
bench/RESULTS.md). The stack file needs a small slice of a validation library —
str, int, bool, Literal, optional, lists, string-keyed mappings, nested models,
aliases, defaults — and this module is that slice.

Errors are dicts shaped like pydantic's (``loc``, ``type``, ``input``, ``ctx``,
``msg``) with the same type names (``missing``, ``extra_forbidden``,
``literal_error``, ``string_type``, ``int_parsing``, ...), so the loader turns them
into one line per problem.
"""

from __future__ import annotations

import functools
import inspect  # the import floor has it (troposphere -> cfn_flip -> cfn_tools)
import re
import sys
import types
import typing
from typing import Any, ClassVar, Literal, TypeVar

from eks_templates.records import Record

M = TypeVar("M", bound="Model")

_MISSING: Any = object()


def to_camel(name: str) -> str:
    """``public_access`` -> ``publicAccess`` (the default alias of a field)."""
    first, *rest = name.split("_")
    return first + "".join(p[:1].upper() + p[1:] for p in rest)


class _FieldInfo(Record):
    alias: str | None
    default: Any
    default_factory: Any


def field(*, alias: str | None = None, default: Any = _MISSING, default_factory: Any = _MISSING) -> Any:
    """Declare a field's alias (its key in YAML) and default."""
    return _FieldInfo(alias, default, default_factory)


class FieldSpec(Record):
    name: str
    alias: str
    annotation: Any
    default: Any
    default_factory: Any

    @property
    def required(self) -> bool:
        return self.default is _MISSING and self.default_factory is _MISSING

    def make_default(self) -> Any:
        return self.default_factory() if self.default_factory is not _MISSING else self.default


class SchemaError(Exception):
    """Validation failed; ``errors`` holds one pydantic-shaped dict per problem."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return list(self._errors)


@functools.cache
def _compiled(text: str) -> Any:
    return compile(text, "<annotation>", "eval")


def type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls)`` for these models, at a fraction of its cost on the
    render path (it builds a ForwardRef and compiles each string annotation again for
    every class; the models' ~40 classes took ~10 ms of a ~100 ms render): each class of
    the MRO's own annotations, strings evaluated as get_type_hints does (the module's
    names first, then the class's). The models use no ``Annotated`` and no quoted names
    inside an annotation; tests/config/test_schema_hints.py checks that the result is
    get_type_hints' for every model."""
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        annotations = inspect.get_annotations(base)  # the class's own, unevaluated
        if not annotations:
            continue
        module_names = getattr(sys.modules.get(base.__module__), "__dict__", {})
        class_names = dict(vars(base))
        for name, value in annotations.items():
            if value is None:
                value = type(None)
            elif isinstance(value, str):
                value = eval(_compiled(value), class_names, module_names)  # our own source's annotations
            hints[name] = value
    return hints


class Model:
    """Base class: a frozen record whose fields are its annotated class attributes.

    ``Model.model_validate(data)`` builds an instance from a mapping with the
    fields' aliases as keys, or raises :class:`SchemaError` listing every problem.
    ``fields_set`` holds the names of the fields the mapping gave.
    """

    _specs: ClassVar[tuple[FieldSpec, ...] | None] = None
    fields_set: frozenset[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._specs = None  # built on first use: annotations may name classes defined later

    @classmethod
    def fields(cls) -> tuple[FieldSpec, ...]:
        """The model's fields (name, YAML alias, type, default), in declaration order."""
        if cls.__dict__.get("_specs") is None:
            hints = type_hints(cls)
            specs = []
            for name, annotation in hints.items():
                if name.startswith("_") or typing.get_origin(annotation) is ClassVar or name == "fields_set":
                    continue
                declared = getattr(cls, name, _MISSING)
                info = declared if isinstance(declared, _FieldInfo) else _FieldInfo(None, declared, _MISSING)
                specs.append(FieldSpec(name, info.alias or to_camel(name), annotation, info.default,
                                       info.default_factory))
            cls._specs = tuple(specs)
        return cls._specs  # type: ignore[return-value]

    def __init__(self, **values: Any) -> None:
        given = set()
        for spec in self.fields():
            if spec.name in values:
                value = values[spec.name]
                given.add(spec.name)
            elif spec.required:
                raise TypeError(f"{type(self).__name__}: missing field {spec.name!r}")
            else:
                value = spec.make_default()
            object.__setattr__(self, spec.name, value)
        unknown = set(values) - {s.name for s in self.fields()}
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown field(s) {sorted(unknown)}")
        object.__setattr__(self, "fields_set", frozenset(given))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: the config is read, never changed")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: the config is read, never changed")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, s.name) == getattr(other, s.name) for s in self.fields())

    __hash__ = None  # type: ignore[assignment]  # mutable containers inside: not hashable

    def __repr__(self) -> str:
        inner = ", ".join(f"{s.name}={getattr(self, s.name)!r}" for s in self.fields())
        return f"{type(self).__name__}({inner})"

    @classmethod
    def before_validation(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Hook: adjust the raw mapping (aliases as keys) before its fields are read."""
        return data

    @classmethod
    def model_validate(cls: type[M], data: Any) -> M:
        """An instance from a mapping keyed by the fields' YAML aliases; :class:`SchemaError`
        lists every problem (unknown keys, wrong types, missing fields) otherwise."""
        errors: list[dict[str, Any]] = []
        result = _validate(cls, data, (), errors)
        if errors:
            raise SchemaError(errors)
        return typing.cast(M, result)


# --------------------------------------------------------------------------- validation

_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_MAX_INT_DIGITS = 4300


def key_name(key: Any) -> str:
    """A mapping key as it appears in a YAML path: YAML's spelling for a key that is not
    text (``5``, ``true``, ``null``), so ``{5: x}`` is ``.5``, never an index ``[5]``."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (bytes, bytearray)):
        return f"<binary key of {len(key):,} bytes>"
    return str(key)


_TRUE = {"true", "yes", "on", "y", "t", "1"}
_FALSE = {"false", "no", "off", "n", "f", "0"}


def _error(errors: list[dict[str, Any]], loc: tuple[Any, ...], kind: str, value: Any, msg: str,
           **ctx: Any) -> Any:
    errors.append({"loc": loc, "type": kind, "input": value, "ctx": ctx, "msg": msg})
    return _MISSING


def _expected(options: tuple[Any, ...]) -> str:
    shown = [repr(o) for o in options]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _validate(annotation: Any, value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(annotation)
        if value is None and type(None) in options:
            return None
        rest = [o for o in options if o is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"unsupported union {annotation!r}")
        return _validate(rest[0], value, loc, errors)
    if origin is Literal:
        options = typing.get_args(annotation)
        if any(value == o and type(value) is type(o) for o in options):
            return value
        return _error(errors, loc, "literal_error", value, f"Input should be {_expected(options)}",
                      expected=_expected(options))
    if origin is list:
        if not isinstance(value, list):
            return _error(errors, loc, "list_type", value, "Input should be a valid list")
        (item_type,) = typing.get_args(annotation)
        return [_validate(item_type, item, (*loc, i), errors) for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            return _error(errors, loc, "dict_type", value, "Input should be a valid dictionary")
        _, value_type = typing.get_args(annotation)
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                _error(errors, (*loc, key_name(key)), "string_type", key, "Keys should be strings")
                continue
            out[key] = _validate(value_type, item, (*loc, key), errors)
        return out
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return _validate_model(annotation, value, loc, errors)
    if annotation is str:
        if isinstance(value, str):
            return value
        return _error(errors, loc, "string_type", value, "Input should be a valid string")
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        return _error(errors, loc, "bool_parsing" if isinstance(value, str) else "bool_type", value,
                      "Input should be a valid boolean")
    if annotation is int:
        if isinstance(value, bool):
            return _error(errors, loc, "int_type", value, "Input should be a valid integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            # Not even 3.0: YAML read a decimal (or 1e300, inf, nan), and an AWS API integer
            # is a whole number written as one; int(1e300) would render a 301-digit size.
            return _error(errors, loc, "int_from_float", value, "Input should be a valid integer")
        if isinstance(value, str):
            # ASCII digits only ("²" or Arabic-Indic digits pass str.isdigit; AWS takes neither),
            # one sign, and no more digits than int() converts (sys.get_int_max_str_digits).
            text = value.strip()
            if _INTEGER.fullmatch(text) and len(text) <= _MAX_INT_DIGITS:
                return int(text)
            return _error(errors, loc, "int_parsing", value, "Input should be a valid integer")
        return _error(errors, loc, "int_type", value, "Input should be a valid integer")
    if annotation is Any:
        return value
    raise TypeError(f"unsupported annotation {annotation!r}")


def _validate_model(cls: type[Model], value: Any, loc: tuple[Any, ...], errors: list[dict[str, Any]]) -> Any:
    if not isinstance(value, dict):
        return _error(errors, loc, "model_type", value, "Input should be a valid dictionary")
    data = cls.before_validation(dict(value))
    specs = cls.fields()
    known = {s.alias for s in specs}
    for key in data:
        if key not in known:
            _error(errors, (*loc, key_name(key)), "extra_forbidden", data[key], "Extra inputs are not permitted")
    before = len(errors)
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.alias in data:
            values[spec.name] = _validate(spec.annotation, data[spec.alias], (*loc, spec.alias), errors)
        elif spec.required:
            _error(errors, (*loc, spec.alias), "missing", value, "Field required")
    if len(errors) > before or any(v is _MISSING for v in values.values()):
        return _MISSING
    return cls(**values)


def unwrap_optional(annotation: Any) -> Any:
    """``X`` for ``X | None`` (recursively), else the annotation as it is (loader and eksctl_keys)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return unwrap_optional(args[0]) if len(args) == 1 else annotation
    return annotation
