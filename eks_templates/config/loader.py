"""Load a stack file: find it, parse the YAML, build the typed model, check it.

Every problem becomes one line naming the field by its YAML path; all problems of a
file are reported together as a :class:`eks_templates.errors.StackFileError`.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from eks_templates.config import files
from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem, suggest, yaml_path
from eks_templates.config.schema import Model, SchemaError, unwrap_optional
from eks_templates.errors import StackFileError

#: Where ``load_stack("name", project_dir=...)`` looks for ``<name>.yaml``, inside the project.
STACKS_DIR = Path("stacks")
DEFAULT_SOURCE = "<built-in default: myeks>"
#: The project of the command line: the directory it runs in (``stacks/`` there).
CLI_PROJECT = Path(".")

WarningSink = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


# --------------------------------------------------------------------------- finding the file


def is_stack_name(ref: str | os.PathLike[str]) -> bool:
    """``ref`` names a stack (``myeks``) rather than a file: a string without a
    directory part and without a ``.yaml``/``.yml`` suffix."""
    if not isinstance(ref, str):
        return False
    as_path = Path(ref)
    return as_path.suffix not in (".yaml", ".yml") and len(as_path.parts) == 1 and ref not in (".", "..")


def resolve(ref: str | os.PathLike[str], project_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the stack file ``ref`` is.

    - A path (a ``Path``, or a string with a directory part or a ``.yaml``/``.yml``
      suffix) is taken as given (a relative one from the current directory, as
      ``open`` takes it).
    - A stack name (``myeks``) is ``<project_dir>/stacks/myeks.yaml`` (or a file of
      that exact name in ``project_dir``); the project must be named: a library
      caller passes ``project_dir``, the command line passes its working directory
      (:data:`CLI_PROJECT`). A name is never looked up in the current directory
      unless that is the project named.

    Raises:
        StackFileError: a stack name without ``project_dir``.
    """
    if not is_stack_name(ref):
        return Path(ref)
    name = str(ref)
    if project_dir is None:
        raise StackFileError([
            f"{name}: a stack name needs the project whose stacks/ holds it: "
            f"load_stack({name!r}, project_dir=...) reads <project_dir>/stacks/{name}.yaml; "
            "or give the file's path"
        ])
    project = Path(project_dir)
    if _exists(project / name):
        return project / name
    return project / STACKS_DIR / f"{name}.yaml"


def _exists(path: Path) -> bool:
    """Anything at ``path`` (a FIFO or a directory too: reading it says what it is)."""
    try:
        os.lstat(path)
    except (OSError, ValueError):
        return False
    return True


def default_text() -> str:
    """The built-in default cluster: the notes' ``myeks`` (same as ``stacks/myeks.yaml``)."""
    return Path(__file__).with_name("default_cluster.yaml").read_text("utf-8")


# --------------------------------------------------------------------------- YAML


#: How deep a stack file may nest (eksctl's deepest key is 6 levels down). PyYAML's
#: composer recurses per level, so ~300 levels overflow Python's stack.
MAX_DEPTH = 32
_SHOWN_DEPTH = 8  # a problem that deep is named by the first levels of its path
#: How many values (scalars, lists, mappings) a stack file may hold: a file with 200
#: nodegroups has ~5,000. It bounds the time PyYAML takes (~40 us a value) well below
#: what the size limit alone would (a 1 MiB file of `[1,1,...]` is 500,000 values, 20 s).
MAX_NODES = 50_000
#: At most this many problems are printed; a line then says how many more there are.
MAX_PROBLEMS = 100
_MERGE_TAG = "tag:yaml.org,2002:merge"
_Loc = tuple[str | int, ...]


class _Refused(Exception):
    """A node of the file that cannot become a value; reported as ``<file>: <path>: <message>``."""

    def __init__(self, loc: _Loc, message: str) -> None:
        super().__init__(message)
        self.loc, self.message = loc, message


def _key_part(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else "?"


class _Loader(yaml.SafeLoader):
    """SafeLoader that knows each node's YAML path, refuses duplicate keys (PyYAML
    silently keeps the last one), collections as keys and nesting deeper than
    MAX_DEPTH, and turns a scalar PyYAML cannot build (a 5,000-digit number, the
    date 2026-02-30) into a problem at its path instead of a crash. Merge keys
    (``<<: *anchor``) work as in YAML 1.1 and eksctl (go-yaml)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._loc: list[str | int] = []
        self._nodes = 0
        #: id(node) -> its YAML path; the nodes stay alive as long as the loader
        self.paths: dict[int, _Loc] = {}
        #: (start index, line, loc) of every scalar, for locating a character offset
        self.scalars: list[tuple[int, int, _Loc]] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        # PyYAML composes a mapping key with index None, its value with the key node as
        # index, and a sequence item with its position.
        composing_key = isinstance(parent, yaml.MappingNode) and index is None
        part: str | int | None = None
        if isinstance(parent, yaml.SequenceNode):
            part = index
        elif isinstance(parent, yaml.MappingNode) and not composing_key:
            part = _key_part(index)
        if part is not None:
            self._loc.append(part)
        self._nodes += 1
        try:
            if self._nodes > MAX_NODES:
                raise _Refused(tuple(self._loc[:_SHOWN_DEPTH]),
                               f"the file holds more than {MAX_NODES:,} values (this one is on line "
                               f"{self.peek_event().start_mark.line + 1}); stack files hold a few thousand")
            if len(self._loc) > MAX_DEPTH:
                raise _Refused(tuple(self._loc[:_SHOWN_DEPTH]), f"nests more than {MAX_DEPTH} levels deep "
                               f"below here (line {self.peek_event().start_mark.line + 1}); stack files nest "
                               "a few levels")
            node: yaml.Node = super().compose_node(parent, index)  # type: ignore[no-untyped-call,assignment]
            loc = tuple(self._loc)
        finally:
            if part is not None:
                self._loc.pop()
        if composing_key:
            if not isinstance(node, yaml.ScalarNode):
                kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
                raise _Refused(loc, f"{kind} as a mapping key (line {node.start_mark.line + 1}); keys are names")
            loc = (*loc, str(node.value))
        self.paths.setdefault(id(node), loc)
        if isinstance(node, yaml.ScalarNode):
            self.scalars.append((node.start_mark.index, node.start_mark.line, loc))
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            value = super().construct_object(node, deep=deep)  # type: ignore[no-untyped-call]
        except (ValueError, OverflowError, AttributeError, KeyError, TypeError, IndexError) as exc:
            # PyYAML's constructors assume the resolver matched: an explicit tag on the
            # wrong text (`!!timestamp x`, `!!bool maybe`) fails inside them with these.
            raise _Refused(self.paths.get(id(node), ()), _unreadable_scalar(node, exc)) from None
        if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
            raise _Refused(self.paths.get(id(node), ()), _unreadable_scalar(node, None))
        return value


_MAX_INT_DIGITS = 4300  # Python's limit for int <-> decimal text (sys.get_int_max_str_digits)
_MAX_INT_BITS = int(_MAX_INT_DIGITS * 3.3219)  # log2(10)


def _unreadable_scalar(node: yaml.Node, exc: Exception | None) -> str:
    text = str(node.value) if isinstance(node, yaml.ScalarNode) else ""
    if isinstance(node, yaml.SequenceNode):
        shown = "a list"
    elif isinstance(node, yaml.MappingNode):
        shown = "a mapping"
    else:
        shown = repr(text) if len(text) <= 40 else f"a value of {len(text):,} characters"
    kind = node.tag.rsplit(":", 1)[-1]
    if kind == "int" and (exc is None or "limit" in str(exc)):
        return (f"a number of {len(text):,} characters is too large for any field (at most "
                f"{_MAX_INT_DIGITS:,} digits); write it in quotes if it is text")
    if kind == "timestamp" and isinstance(exc, ValueError):
        return f"{shown} reads as a date and is not one ({exc}); write it in quotes if it is text"
    return f"{shown} cannot be read as !!{kind}; remove the tag or fix the value"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # `<<: *anchor`: SafeConstructor merges it below; an explicit key overrides it
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {first})", key_node.start_mark
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)  # flattens merge keys first


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _path_at(text: str, index: int) -> _Loc | None:
    """The YAML path of the value written on the line of ``index``, before it (for a
    problem PyYAML reports as a character offset)."""
    line = text.count("\n", 0, index)
    clean = yaml.reader.Reader.NON_PRINTABLE.sub("\ufffd", text)  # one printable, non-special character
    loader = _Loader(clean)
    try:
        loader.get_single_node()
    except (yaml.YAMLError, _Refused, RecursionError):
        return None
    finally:
        loader.dispose()
    before = [(start, loc) for start, at_line, loc in loader.scalars if at_line == line and start <= index]
    return max(before)[1] if before else None


def _control_character(text: str, exc: yaml.reader.ReaderError, source: str) -> StackFileError:
    line, column = _line_column(text, exc.position)
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    message = (f"control character U+{ord(char):04X} at line {line}, column {column}; YAML does not allow it "
               "in a file: remove it (inside double quotes, write it as an escape such as \\t)")
    loc = _path_at(text, exc.position)
    return StackFileError([Problem(yaml_path(loc) if loc else "", message).format(source)])


class _FastLoader(_Loader):
    """The same loader on libyaml's C parser: the events come from C (the pure-Python
    scanner and parser were about a tenth of a render), everything else - composing
    with the YAML paths, the refusals, the constructors - is :class:`_Loader`'s. Only
    for a file that loads: any problem is reported by loading it again with
    :class:`_Loader`, so every message stays PyYAML's own wording."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)  # the Reader's checks (control characters) run as before
        from yaml._yaml import CParser  # libyaml (yaml.__with_libyaml__)

        self._c_events = CParser(stream)

    def check_event(self, *choices: Any) -> bool:
        return bool(self._c_events.check_event(*choices))

    def peek_event(self) -> Any:
        return self._c_events.peek_event()

    def get_event(self) -> Any:
        return self._c_events.get_event()

    def dispose(self) -> None:
        super().dispose()  # type: ignore[no-untyped-call]
        self._c_events.dispose()


def _load_fast(text: str) -> tuple[bool, Any]:
    """(True, data) when libyaml's events load ``text``; (False, None) for anything else."""
    if not getattr(yaml, "__with_libyaml__", False):
        return False, None
    loader = None
    try:
        loader = _FastLoader(text)
        return True, loader.get_single_data()
    except Exception:  # a problem (or a text libyaml cannot take): _Loader says what it is
        return False, None
    finally:
        if loader is not None:
            loader.dispose()


def parse_yaml(text: str, source: str) -> Any:
    loaded, data = _load_fast(text)
    if loaded:
        return data
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # a SafeLoader subclass: no arbitrary objects
        return loader.get_single_data()
    except _Refused as exc:
        raise StackFileError([Problem(yaml_path(exc.loc), exc.message).format(source)]) from None
    except yaml.reader.ReaderError as exc:
        raise _control_character(text, exc, source) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        what = exc.problem or exc.context or "invalid YAML"
        started = exc.context_mark
        if exc.problem and exc.context and started is not None and mark is not None and started.line != mark.line:
            what += f" ({exc.context} that starts on line {started.line + 1})"
        raise StackFileError([f"{source}: YAML syntax error at {where}: {_collapse_whitespace(what)}"]) from None
    except yaml.YAMLError as exc:
        raise StackFileError([f"{source}: YAML syntax error: {_collapse_whitespace(str(exc))}"]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- schema errors -> lines


def _model_at(loc: tuple[str | int, ...]) -> type[Model] | None:
    """The model class that validates the mapping at ``loc`` (for "did you mean")."""
    current: Any = ClusterConfig
    for part in loc:
        current = unwrap_optional(current)
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
    current = unwrap_optional(current)
    return current if isinstance(current, type) and issubclass(current, Model) else None


def _allowed_keys(model: type[Model]) -> list[str]:
    return [f.alias for f in model.fields()]


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else f"{value[:40]!r}... ({len(value):,} characters)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"  # YAML's spelling, not Python's
    if isinstance(value, (bytes, bytearray)):
        return f"binary data ({len(value):,} bytes)"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return f"{value.isoformat()} (YAML read it as a date)"
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
        elif isinstance(value, (_dt.date, _dt.datetime)):
            hint = "; write it in quotes"
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
        where = yaml_path(("managedNodeGroups", i, "ssh", "publicKeyPath"))
        try:
            path = Path(ssh["publicKeyPath"]).expanduser()
        except RuntimeError as exc:  # ~user that does not exist
            problems.append(Problem(where, f"cannot read {ssh['publicKeyPath']!r}: {exc}"))
            continue
        if not path.is_absolute():
            path = base / path
        if "publicKey" in ssh:
            problems.append(Problem(where, "cannot be given together with publicKey; use one of them"))
            continue
        try:
            key = files.read_text(path, limit=files.MAX_KEY_FILE_BYTES).strip()
        except files.UnreadableFile as exc:
            problems.append(Problem(where, f"cannot read {str(path)!r}: {exc}"))
            continue
        if not key.startswith(("ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2-")):
            problems.append(Problem(where, f"{str(path)!r} is not an OpenSSH public key"))
            continue
        ssh["publicKey"] = key
    return problems


# --------------------------------------------------------------------------- entry points


def _capped(lines: list[str], source: str) -> list[str]:
    if len(lines) <= MAX_PROBLEMS:
        return lines
    return [*lines[:MAX_PROBLEMS], f"{source}: {len(lines) - MAX_PROBLEMS:,} more problem(s) not shown"]


def parse_config(
    text: str,
    source: str,
    *,
    base: Path | None = None,
    today: _dt.date | None = None,
    strict: bool = False,
    on_warning: WarningSink | None = _stderr,
) -> ClusterConfig:
    """Text of a stack file -> a checked :class:`ClusterConfig`, or StackFileError.

    Args:
        text: the stack file's YAML.
        source: what the problem lines name as the file (``"inline"``, a path).
        base: the directory ``ssh.publicKeyPath`` is relative to (default: the current one).
        today, strict, on_warning: as for :func:`load_stack`.
    """
    from eks_templates.config import validate  # the semantic rules

    if not text.strip():
        raise StackFileError([f"{source}: the file is empty; expected a ClusterConfig mapping"])
    data = parse_yaml(text, source)
    if data is None:
        only_comments = all(not line.strip() or line.lstrip().startswith("#") or line.strip() in ("---", "...")
                            for line in text.splitlines())
        what = "only comments" if only_comments else "only a null value"
        raise StackFileError([f"{source}: the file has {what}; expected a ClusterConfig mapping"])
    if not isinstance(data, dict):
        raise StackFileError(
            [f"{source}: the top level must be a mapping (apiVersion, kind, metadata, ...), "
             f"not {_describe(data)}"]
        )
    if not {str(key) for key in data} & set(_allowed_keys(ClusterConfig)):
        # Another kind of file (a docker-compose file, /etc/passwd read as YAML): one line,
        # not an "unknown field" per key, and none of its content echoed.
        raise StackFileError(
            [f"{source}: not an eksctl ClusterConfig: none of its {len(data):,} top-level key(s) is a "
             "ClusterConfig field; a stack file starts with apiVersion: eksctl.io/v1alpha5, kind: ClusterConfig, "
             "metadata: {name, region}"]
        )
    problems = _read_public_keys(data, base or Path("."))
    try:
        config = ClusterConfig.model_validate(data)
    except SchemaError as exc:
        problems.extend(_error_line(e) for e in exc.errors())
        raise StackFileError(_capped([p.format(source) for p in dict.fromkeys(problems)], source)) from None
    problems.extend(validate.check(config, today=today or _dt.date.today()))
    if strict:
        problems = [
            p if p.severity == "error" else Problem(p.path, f"{p.message} (a warning; --strict fails on it)")
            for p in problems
        ]
    failed = [p for p in problems if p.severity == "error"]
    if failed:
        raise StackFileError(_capped([p.format(source) for p in failed], source))
    if on_warning is not None:
        for p in problems:
            on_warning(p.format(source))
    return config


def load_stack(
    ref: str | os.PathLike[str] | None = None,
    *,
    project_dir: str | os.PathLike[str] | None = None,
    today: _dt.date | None = None,
    strict: bool = False,
    on_warning: WarningSink | None = _stderr,
) -> ClusterConfig:
    """Load and check a stack file.

    Args:
        ref: the file's path (taken as given), a stack name (``"myeks"``: the
            ``stacks/myeks.yaml`` of ``project_dir``), or ``None``: the built-in default
            cluster (the notes' ``myeks``); :func:`eks_templates.config.resolve` says where it looks.
        project_dir: the project whose ``stacks/`` a stack name is looked up in; needed
            for a name, unused for a path.
        today: the date the Kubernetes version checks use (default: today).
        strict: warnings about the file are errors.
        on_warning: called with each warning line (default: printed to stderr; ``None``:
            dropped).

    Returns:
        The checked, frozen :class:`eks_templates.config.model.ClusterConfig`.

    Raises:
        StackFileError: the file is missing, unreadable or invalid; one line per
            problem, naming the field by its YAML path.
    """
    if ref is None:
        return parse_config(default_text(), DEFAULT_SOURCE, today=today, strict=strict, on_warning=on_warning)
    path = resolve(ref, project_dir)
    source = str(path)
    try:
        text = files.read_text(path, limit=files.MAX_STACK_FILE_BYTES)
    except files.UnreadableFile as exc:
        if exc.errno == errno.ENOENT:
            stacks = path.parent
            by_name = project_dir is not None and path == Path(project_dir) / STACKS_DIR / f"{ref}.yaml"
            known = sorted(p.stem for p in stacks.glob("*.yaml")) if by_name and stacks.is_dir() else []
            hint = f"; stacks here: {', '.join(known)}" if known else ""
            raise StackFileError([f"{source}: no such stack file{hint}"]) from None
        raise StackFileError([f"{source}: cannot read the stack file: {exc}"]) from None
    return parse_config(
        text, source, base=path.parent, today=today, strict=strict, on_warning=on_warning
    )
