"""Load a stack file: find it, parse the YAML, build the typed model, check it.

Every problem becomes one line naming the field by its YAML path; all problems of a
file are reported together as a :class:`~eks_templates.errors.StackFileError`.
"""

from __future__ import annotations

import datetime as _dt
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem, suggest, yaml_path
from eks_templates.config.schema import Model, SchemaError
from eks_templates.errors import StackFileError

#: Where ``load_stack("name")`` looks for ``<name>.yaml``.
STACKS_DIR = Path("stacks")
DEFAULT_SOURCE = "<built-in default: myeks>"

WarningSink = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


# --------------------------------------------------------------------------- finding the file


def resolve(ref: str) -> Path:
    """A stack name (``myeks`` -> ``stacks/myeks.yaml``) or a path to a file."""
    as_path = Path(ref)
    if as_path.suffix in (".yaml", ".yml") or len(as_path.parts) > 1 or as_path.is_file():
        return as_path
    return STACKS_DIR / f"{ref}.yaml"


def default_text() -> str:
    """The built-in default cluster: the notes' ``myeks`` (same as ``stacks/myeks.yaml``)."""
    return Path(__file__).with_name("default_cluster.yaml").read_text("utf-8")


# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {first})", key_node.start_mark
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        what = exc.problem or exc.context or "invalid YAML"
        started = exc.context_mark
        if exc.problem and exc.context and started is not None and mark is not None and started.line != mark.line:
            what += f" ({exc.context} that starts on line {started.line + 1})"
        raise StackFileError([f"{source}: YAML syntax error at {where}: {what}"]) from None
    except yaml.YAMLError as exc:
        raise StackFileError([f"{source}: YAML syntax error: {exc}"]) from None


# --------------------------------------------------------------------------- schema errors -> lines


def _unwrap(annotation: Any) -> Any:
    """The model class inside ``X | None``, ``list[X]`` or ``dict[str, X]``, else the annotation."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    return annotation


def _model_at(loc: tuple[str | int, ...]) -> type[Model] | None:
    """The model class that validates the mapping at ``loc`` (for "did you mean")."""
    current: Any = ClusterConfig
    for part in loc:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if origin is list:
            if not isinstance(part, int):
                return None
            current = typing.get_args(current)[0]
            continue
        if origin is dict:
            current = typing.get_args(current)[1]
            continue
        if not (isinstance(current, type) and issubclass(current, Model)):
            return None
        spec = next((f for f in current.fields() if f.alias == part), None)
        if spec is None:
            return None
        current = spec.annotation
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, Model) else None


def _allowed_keys(model: type[Model]) -> list[str]:
    return [f.alias for f in model.fields()]


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return repr(value)


def _error_line(err: Any) -> Problem:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        from eks_templates.config.eksctl_keys import refusal  # the error path only

        known = refusal(loc)  # one of eksctl's keys: why it is refused and what to do instead
        if known:
            return Problem(yaml_path(loc), known)
        parent = _model_at(loc[:-1])
        allowed = _allowed_keys(parent) if parent else []
        close = suggest(str(loc[-1]), allowed)
        hint = f"; did you mean '{close}'?" if close else ""
        listing = f"; allowed here: {', '.join(allowed)}" if allowed and not close else ""
        return Problem(yaml_path(loc), f"unknown field{hint}{listing}")
    if kind == "missing":
        return Problem(yaml_path(loc), "is required")
    if value is None and kind.endswith("_type") and kind not in ("model_type", "model_attributes_type"):
        return Problem(yaml_path(loc), "is empty; give it a value")
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        return Problem(yaml_path(loc), f"{_describe(value)} is not allowed; expected {expected}")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Problem(yaml_path(loc), f"must be a mapping, not {_describe(value)}")
    if kind == "list_type":
        return Problem(yaml_path(loc), f"must be a list, not {_describe(value)}")
    if kind == "int_from_float" and isinstance(value, float):
        plain = f" ({int(value)})" if value.is_integer() and abs(value) < 1e15 else ""
        return Problem(yaml_path(loc), f"{value!r} is a decimal number, not a whole number; write it "
                       f"without a point or exponent{plain}")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Problem(yaml_path(loc), f"{_describe(value)} is not a whole number")
    if kind in ("bool_type", "bool_parsing"):
        return Problem(yaml_path(loc), f"{_describe(value)} is not true or false")
    if kind in ("string_type",):
        hint = ""
        if isinstance(value, float):
            hint = "; YAML read it as a number: write it in quotes (YAML reads 1.30 as 1.3)"
        elif isinstance(value, bool):
            hint = "; YAML read it as true/false: write it in quotes"
        elif isinstance(value, int):
            hint = "; YAML read it as a number: write it in quotes"
        return Problem(yaml_path(loc), f"{_describe(value)} is not a string{hint}")
    return Problem(yaml_path(loc), err.get("msg", "is not valid"))


# --------------------------------------------------------------------------- key files


def _read_public_keys(data: dict[str, Any], base: Path) -> list[Problem]:
    """Read ``managedNodeGroups[].ssh.publicKeyPath`` into ``ssh.publicKey`` (relative to the file)."""
    problems: list[Problem] = []
    groups = data.get("managedNodeGroups")
    if not isinstance(groups, list):
        return problems
    for i, group in enumerate(groups):
        ssh = group.get("ssh") if isinstance(group, dict) else None
        if not isinstance(ssh, dict) or not isinstance(ssh.get("publicKeyPath"), str):
            continue
        path = Path(ssh["publicKeyPath"]).expanduser()
        if not path.is_absolute():
            path = base / path
        where = yaml_path(("managedNodeGroups", i, "ssh", "publicKeyPath"))
        if "publicKey" in ssh:
            problems.append(Problem(where, "cannot be given together with publicKey; use one of them"))
            continue
        try:
            key = path.read_text("utf-8").strip()
        except OSError as exc:
            problems.append(Problem(where, f"cannot read {str(path)!r}: {exc.strerror or exc}"))
            continue
        if not key.startswith(("ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-")):
            problems.append(Problem(where, f"{str(path)!r} is not an OpenSSH public key"))
            continue
        ssh["publicKey"] = key
    return problems


# --------------------------------------------------------------------------- entry points


def parse_config(
    text: str,
    source: str,
    *,
    base: Path | None = None,
    today: _dt.date | None = None,
    strict: bool = False,
    on_warning: WarningSink | None = _stderr,
) -> ClusterConfig:
    """Text of a stack file -> a checked :class:`ClusterConfig`, or StackFileError."""
    from eks_templates.config import validate  # the semantic rules

    if not text.strip():
        raise StackFileError([f"{source}: the file is empty; expected a ClusterConfig mapping"])
    data = parse_yaml(text, source)
    if data is None:
        raise StackFileError([f"{source}: the file has only comments; expected a ClusterConfig mapping"])
    if not isinstance(data, dict):
        raise StackFileError(
            [f"{source}: the top level must be a mapping (apiVersion, kind, metadata, ...), "
             f"not {_describe(data)}"]
        )
    problems = _read_public_keys(data, base or Path("."))
    try:
        config = ClusterConfig.model_validate(data)
    except SchemaError as exc:
        problems.extend(_error_line(e) for e in exc.errors())
        raise StackFileError([p.format(source) for p in dict.fromkeys(problems)]) from None
    problems.extend(validate.check(config, today=today or _dt.date.today()))
    if strict:
        problems = [
            p if p.severity == "error" else Problem(p.path, f"{p.message} (a warning; --strict fails on it)")
            for p in problems
        ]
    failed = [p for p in problems if p.severity == "error"]
    if failed:
        raise StackFileError([p.format(source) for p in failed])
    if on_warning is not None:
        for p in problems:
            on_warning(p.format(source))
    return config


def load_stack(
    ref: str | None = None,
    *,
    today: _dt.date | None = None,
    strict: bool = False,
    on_warning: WarningSink | None = _stderr,
) -> ClusterConfig:
    """Load ``stacks/<ref>.yaml``, the file at path ``ref``, or (``None``) the built-in default."""
    if ref is None:
        return parse_config(default_text(), DEFAULT_SOURCE, today=today, strict=strict, on_warning=on_warning)
    path = resolve(ref)
    source = str(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        by_name = path == STACKS_DIR / f"{ref}.yaml"
        known = sorted(p.stem for p in STACKS_DIR.glob("*.yaml")) if by_name and STACKS_DIR.is_dir() else []
        hint = f"; stacks here: {', '.join(known)}" if known else ""
        raise StackFileError([f"{source}: no such stack file{hint}"]) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise StackFileError([f"{source}: cannot read the file: {exc}"]) from None
    return parse_config(
        text, source, base=path.parent, today=today, strict=strict, on_warning=on_warning
    )
