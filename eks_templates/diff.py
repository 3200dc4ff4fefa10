"""Replacement guard: which changes between two renders make CloudFormation delete
and re-create a resource.

A resource is replaced when a create-only property changes (the resource
providers' schemas list them as ``createOnlyProperties``; cfn-lint ships those
schemas, read here as plain JSON without importing cfn-lint), when its type
changes, or when its logical ID disappears (a removal, or a rename, which
CloudFormation carries out as delete + create).

Changes travel: a replaced VPC gets a new id, so every subnet whose ``VpcId`` refers
to it is replaced too, and so is every resource in another child template that
receives the VPC id through the root's ``Fn::GetAtt [ControlPlaneStack, Outputs.VpcId]``.
:func:`compare` follows ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` references within a
template, through child outputs and the parameters the root passes to each child,
until nothing more changes.

Templates are compared per stack (the root and each child stack, with the template its
``TemplateURL`` names: nodegroups of the same shape share one file; matched by stack,
so a JSON render can be compared with a YAML one, and a render where each nodegroup
had a file of its own with one where they share). No AWS calls, no clock.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from eks_templates import nesting
from eks_templates.errors import UserError

Template = dict[str, Any]
Kind = Literal["replace", "type", "rename", "remove"]
TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml")
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class Change:
    """One resource that CloudFormation would delete (and usually re-create)."""

    file: str
    logical_id: str
    resource_type: str
    kind: Kind
    reasons: tuple[str, ...]

    def line(self) -> str:
        what = {
            "replace": "is REPLACED",
            "type": "is REPLACED (its type changes)",
            "rename": "is DELETED and re-created under a new logical ID",
            "remove": "is DELETED",
        }[self.kind]
        return f"{self.file}: {self.logical_id} ({self.resource_type}) {what}: {'; '.join(self.reasons)}"


# --------------------------------------------------------------------------- schemas


class Schemas:
    """``createOnlyProperties`` per resource type, from cfn-lint's bundled provider
    schemas (``cfnlint/data/schemas``), read lazily and cached."""

    def __init__(self, region: str = "us-east-1", root: Path | None = None) -> None:
        self.region = region
        self._root = root
        self._index: dict[str, str] | None = None
        self._cache: dict[str, dict[str, Any] | None] = {}

    @property
    def root(self) -> Path:
        if self._root is None:
            spec = importlib.util.find_spec("cfnlint")  # locates the package without importing it
            locations = list(spec.submodule_search_locations or []) if spec else []
            if not locations:
                raise UserError("cfn-lint is not installed; its resource schemas are needed to find replacements")
            self._root = Path(locations[0]) / "data" / "schemas"
        return self._root

    def _types(self) -> dict[str, str]:
        if self._index is None:
            providers = self.root / "providers"
            path = providers / f"{self.region}.json"
            if not path.is_file():
                path = providers / "us-east-1.json"
            self._index = json.loads(path.read_text("utf-8"))
        return self._index

    def _schema(self, resource_type: str) -> dict[str, Any] | None:
        if resource_type not in self._cache:
            digest = self._types().get(resource_type)
            self._cache[resource_type] = None if digest is None else json.loads(
                (self.root / "resources" / f"{digest}.json").read_text("utf-8"))
        return self._cache[resource_type]

    @staticmethod
    def _paths(pointers: list[str]) -> list[tuple[str, ...]]:
        return [tuple(p.split("/")[2:]) for p in pointers if p.startswith("/properties/")]

    def create_only(self, resource_type: str) -> list[tuple[str, ...]] | None:
        """Property paths (without the leading ``properties``), or ``None`` for an
        unknown type."""
        schema = self._schema(resource_type)
        return None if schema is None else self._paths(schema.get("createOnlyProperties", []))

    def primary_identifier(self, resource_type: str) -> list[tuple[str, ...]] | None:
        """The ``primaryIdentifier`` property paths, or ``None`` for an unknown type."""
        schema = self._schema(resource_type)
        return None if schema is None else self._paths(schema.get("primaryIdentifier", []))

    def read_only(self, resource_type: str) -> list[tuple[str, ...]]:
        schema = self._schema(resource_type)
        return [] if schema is None else self._paths(schema.get("readOnlyProperties", []))


# --------------------------------------------------------------------------- loading


def load_dir(directory: Path, names: list[str] | None = None) -> dict[str, Template]:
    """The templates in ``directory`` by file name: those named (the set the last render
    wrote there, from its manifest), else every template file there."""
    if not directory.is_dir():
        raise UserError(f"{directory}: no earlier render here; run `render` first, or give --against DIR")
    files = {}
    paths = [directory / n for n in names] if names is not None else sorted(directory.iterdir())
    for path in paths:
        if path.suffix not in TEMPLATE_SUFFIXES or not path.is_file():
            if names is not None:
                raise UserError(f"{path}: the last render wrote it and it is gone; render again, "
                                "or give --against DIR")
            continue
        try:
            text = path.read_text("utf-8")
            if path.suffix == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except (OSError, ValueError, ImportError) as exc:
            raise UserError(f"{path}: cannot read the template: {exc}") from None
        except Exception as exc:  # yaml.YAMLError (yaml is imported only for YAML renders)
            raise UserError(f"{path}: cannot read the template: {exc}") from None
        if not isinstance(data, dict) or "Resources" not in data:
            continue  # not a CloudFormation template
        files[path.name] = data
    if not files:
        raise UserError(f"{directory}: no templates here; run `render` first, or give --against DIR")
    return files


# --------------------------------------------------------------------------- references

_SUB_NAME = re.compile(r"\$\{(?!!)([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")


def references(value: Any) -> Iterator[tuple[str, str | None]]:
    """Every ``(name, attribute)`` that ``value`` refers to: Ref (attribute None),
    Fn::GetAtt and ``${...}`` in Fn::Sub. Pseudo parameters are skipped."""
    if isinstance(value, list):
        for item in value:
            yield from references(item)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str):
            if not arg.startswith("AWS::"):
                yield arg, None
            return
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            if isinstance(parts, list) and parts and isinstance(parts[0], str):
                attr = parts[1] if len(parts) > 1 and isinstance(parts[1], str) else None
                yield parts[0], attr
            return
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
            for name, attr in _SUB_NAME.findall(text if isinstance(text, str) else ""):
                if name not in variables:
                    yield name, attr or None
            yield from references(variables)
            return
    for item in value.values():
        yield from references(item)


def value_at(value: Any, path: tuple[str, ...]) -> Any:
    """The value at a create-only path; ``*`` collects over a list."""
    for i, part in enumerate(path):
        if part == "*":
            if not isinstance(value, list):
                return None
            return [value_at(item, path[i + 1:]) for item in value]
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _is_literal(value: Any) -> bool:
    """No intrinsic function or reference left anywhere inside."""
    if isinstance(value, list):
        return all(_is_literal(v) for v in value)
    if isinstance(value, dict):
        return not any(k == "Ref" or k.startswith("Fn::") for k in value) and all(
            _is_literal(v) for v in value.values()
        )
    return True


def _resolve(value: Any, env: Mapping[str, Any]) -> Any:
    """``value`` with known parameters substituted and Fn::Select / Fn::Join /
    Fn::Split evaluated where their arguments are known."""
    if isinstance(value, list):
        return [_resolve(v, env) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str) and arg in env:
            return env[arg]
        args = _resolve(arg, env)
        if key == "Fn::Select" and isinstance(args, list) and len(args) == 2:
            index, items = args
            position = int(index) if isinstance(index, int | str) and str(index).isdigit() else -1
            if isinstance(items, list) and 0 <= position < len(items):
                return items[position]
        if key == "Fn::Join" and isinstance(args, list) and len(args) == 2 and _is_literal(args):
            delimiter, items = args
            if isinstance(delimiter, str) and isinstance(items, list) and all(isinstance(i, str) for i in items):
                return delimiter.join(items)
        if key == "Fn::Split" and isinstance(args, list) and len(args) == 2 and _is_literal(args):
            delimiter, text = args
            if isinstance(delimiter, str) and isinstance(text, str):
                return text.split(delimiter)
        if key == "Fn::Sub":
            return _resolve_sub(arg, env)
        return {key: args}
    return {k: _resolve(v, env) for k, v in value.items()}


def _resolve_sub(arg: Any, env: Mapping[str, Any]) -> Any:
    """``Fn::Sub`` with each ``${Name}`` whose value is a known string put in: the text
    itself when nothing is left to substitute (``${!x}`` is then ``${x}``), else the
    ``Fn::Sub`` of what is left (``${AWS::StackName}``, a resource's attribute)."""
    if isinstance(arg, str):
        text, variables = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
        text, variables = arg
    else:
        return {"Fn::Sub": _resolve(arg, env)}
    values = {k: _resolve(v, env) for k, v in variables.items()}
    known = {**{k: v for k, v in env.items() if k not in values}, **values}

    def put(match: re.Match[str]) -> str:
        value = known.get(match[1]) if match[2] is None else None
        return value if isinstance(value, str) else match[0]

    text = _SUB_NAME.sub(put, text)
    rest = {k: v for k, v in values.items() if not isinstance(v, str) and "${" + k + "}" in text}
    if re.search(r"\$\{(?!!)", text) is None:
        return text.replace("${!", "${")
    return {"Fn::Sub": [text, rest] if rest else text}


def _parameter_value(declared: Any, value: Any) -> Any:
    """A parameter's value as templates see it: list types split on commas."""
    kind = declared.get("Type", "") if isinstance(declared, dict) else ""
    if isinstance(value, str) and (kind.startswith("List<") or kind == "CommaDelimitedList"):
        return value.split(",")
    return value


def _environments(templates: Mapping[str, Template], root_stem: str, children: Mapping[str, str]) -> dict[
    str, dict[str, Any]
]:
    """Known parameter values per template stem: the root's defaults, and what the
    root passes each child when that is known without deploying."""
    root = templates.get(root_stem) or {}
    root_env = {
        name: _parameter_value(p, p["Default"])
        for name, p in (root.get("Parameters") or {}).items()
        if isinstance(p, dict) and "Default" in p
    }
    envs = {root_stem: root_env}
    for logical_id, stem in children.items():
        resource = (root.get("Resources") or {}).get(logical_id) or {}
        declared = (templates.get(stem) or {}).get("Parameters") or {}
        env = {}
        for name, expr in ((resource.get("Properties") or {}).get("Parameters") or {}).items():
            value = _resolve(expr, root_env)
            if _is_literal(value):
                env[name] = _parameter_value(declared.get(name), value)
        envs[stem] = env
    return envs


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- comparing


@dataclass
class _State:
    """What changes value, per template stem: resources and parameters (``tainted``)
    and outputs (``outputs``)."""

    tainted: dict[str, set[str]] = field(default_factory=dict)
    outputs: dict[str, set[str]] = field(default_factory=dict)
    #: known parameter values per stem, before and after
    env_old: dict[str, dict[str, Any]] = field(default_factory=dict)
    env_new: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: why a parameter's value changes, by (stem, parameter)
    origins: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, table: dict[str, set[str]], stem: str, name: str) -> bool:
        names = table.setdefault(stem, set())
        if name in names:
            return False
        names.add(name)
        return True


def _by_stack(templates: Mapping[str, Template], root: str) -> tuple[dict[str, Template], dict[str, str]]:
    """A set keyed by stack: the root's stem -> the root, each child stack's logical ID
    -> the template it runs (a shared file under each of its stacks); and how each is
    named in a report (its file; ``Stack (file)`` for a stack that runs another's)."""
    root_name = next((n for n in templates if Path(n).stem == Path(root).stem), root)
    root_t = templates.get(root_name)
    if root_t is None:
        return {Path(n).stem: t for n, t in templates.items()}, {Path(n).stem: n for n in templates}
    out = {Path(root_name).stem: root_t}
    shown = {Path(root_name).stem: root_name}
    for stack_id, (name, template) in nesting.by_stack(templates, root_name, root_t).items():
        out[stack_id] = template
        shown[stack_id] = nesting.shown(stack_id, name)
    return out, shown


def _child_stems(root: Template, stems: set[str]) -> dict[str, str]:
    """Logical ID of each nested stack in ``root`` -> its key in a set keyed by stack
    (:func:`_by_stack`): the logical ID itself."""
    return {lid: lid for lid, r in (root.get("Resources") or {}).items()
            if isinstance(r, dict) and r.get("Type") == STACK_TYPE}


def _why_changed(
    value_old: Any, value_new: Any, stem: str, state: _State, children: Mapping[str, str]
) -> str | None:
    known_old = _resolve(value_old, state.env_old.get(stem, {}))
    known_new = _resolve(value_new, state.env_new.get(stem, {}))
    if _is_literal(known_old) and _is_literal(known_new):
        return None if known_old == known_new else f"{_show(known_old)} -> {_show(known_new)}"
    if known_old != known_new:  # a parameter of a known, equal value is no change (a name passed by the root)
        return f"{_show(value_old)} -> {_show(value_new)}"
    for name, attr in references(known_new):  # what is left once known parameters are put in
        if name in state.tainted.get(stem, ()):
            origin = state.origins.get((stem, name))
            if origin is not None:
                return f"refers to parameter {name}, whose value changes ({origin})"
            return f"refers to {name}, which changes"
        output = attr[len("Outputs."):] if attr and attr.startswith("Outputs.") else None
        if output and name in children and output in state.outputs.get(children[name], ()):
            return f"refers to {name}.{attr}, which changes"
    return None


def _match_renames(
    old_res: Mapping[str, Any], new_res: Mapping[str, Any]
) -> tuple[dict[str, str], list[str]]:
    """(old id -> new id for probable renames, removed ids)."""
    removed = [i for i in old_res if i not in new_res]
    added = [i for i in new_res if i not in old_res]
    renames: dict[str, str] = {}
    for rid in removed:
        rtype = old_res[rid].get("Type")
        candidates = [a for a in added if new_res[a].get("Type") == rtype and a not in renames.values()]
        same = [a for a in candidates if new_res[a].get("Properties") == old_res[rid].get("Properties")]
        if same:
            renames[rid] = same[0]
        elif len(candidates) == 1:
            renames[rid] = candidates[0]
        elif candidates:
            renames[rid] = max(candidates, key=lambda a: difflib.SequenceMatcher(None, rid, a).ratio())
    return renames, [r for r in removed if r not in renames]


def compare(
    old: Mapping[str, Template], new: Mapping[str, Template], *, root: str, schemas: Schemas
) -> list[Change]:
    """Every resource the new render would replace or delete, root first, then each
    child file in name order; within a file in logical-ID order."""
    old_by_stem, old_names = _by_stack(old, root)
    new_by_stem, names = _by_stack(new, root)
    names = {**old_names, **names}
    root_stem = Path(root).stem
    stems = set(old_by_stem) | set(new_by_stem)
    children = _child_stems(new_by_stem.get(root_stem, {}), stems)
    state = _State(
        env_old=_environments(old_by_stem, root_stem, _child_stems(old_by_stem.get(root_stem, {}), stems)),
        env_new=_environments(new_by_stem, root_stem, children),
    )
    found: dict[tuple[str, str], Change] = {}

    def record(stem: str, lid: str, rtype: str, kind: Kind, reason: str) -> bool:
        key = (stem, lid)
        current = found.get(key)
        if current is not None and reason in current.reasons:
            return False
        reasons = (current.reasons if current else ()) + (reason,)
        found[key] = Change(names[stem], lid, rtype, current.kind if current else kind, reasons)
        state.add(state.tainted, stem, lid)
        return True

    # Removed and renamed resources, type changes: independent of propagation. A child
    # template that went away is reported once, as its stack resource in the root.
    for stem in sorted(set(old_by_stem) & set(new_by_stem)):
        old_res = old_by_stem[stem].get("Resources") or {}
        new_res = new_by_stem[stem].get("Resources") or {}
        renames, removed = _match_renames(old_res, new_res)
        for rid, nid in renames.items():
            record(stem, rid, old_res[rid].get("Type", "?"), "rename",
                   f"renamed to {nid} (CloudFormation deletes {rid} and creates {nid})")
            state.add(state.tainted, stem, nid)
        for rid in removed:
            rtype = old_res[rid].get("Type", "?")
            detail = "removed from the template"
            if rtype == STACK_TYPE:
                count = len((old_by_stem.get(rid) or {}).get("Resources") or {})
                detail += f"; the nested stack and its {count} resource(s) are deleted" if count else ""
            record(stem, rid, rtype, "remove", detail)
        for rid in sorted(set(old_res) & set(new_res)):
            otype, ntype = old_res[rid].get("Type"), new_res[rid].get("Type")
            if otype != ntype:
                record(stem, rid, str(ntype), "type", f"type {otype} -> {ntype}")
        for pname, param in (new_by_stem[stem].get("Parameters") or {}).items():
            before = (old_by_stem[stem].get("Parameters") or {}).get(pname) or {}
            if stem == root_stem and isinstance(param, dict) and param.get("Default") != before.get("Default"):
                was, now = _show(before.get("Default")), _show(param.get("Default"))
                state.origins[(stem, pname)] = f"default {was} -> {now}"
                state.add(state.tainted, stem, pname)

    # Create-only properties, outputs and child parameters, until nothing more changes.
    changed = True
    while changed:
        changed = False
        for stem in sorted(set(old_by_stem) & set(new_by_stem)):
            old_t, new_t = old_by_stem[stem], new_by_stem[stem]
            old_res = old_t.get("Resources") or {}
            new_res = new_t.get("Resources") or {}
            for rid in sorted(set(old_res) & set(new_res)):
                before, after = old_res[rid], new_res[rid]
                rtype = str(after.get("Type"))
                if before.get("Type") != rtype:
                    continue
                if rtype == STACK_TYPE and rid in children:
                    changed |= _feed_child(stem, rid, before, after, state, children)
                    continue
                for prop in schemas.create_only(rtype) or []:
                    why = _why_changed(value_at(before.get("Properties") or {}, prop),
                                       value_at(after.get("Properties") or {}, prop), stem, state, children)
                    if why is not None:
                        changed |= record(stem, rid, rtype, "replace", f"{'.'.join(prop)} {why}")
            for oname, output in (new_t.get("Outputs") or {}).items():
                previous = (old_t.get("Outputs") or {}).get(oname) or {}
                value_new = output.get("Value") if isinstance(output, dict) else None
                value_old = previous.get("Value") if isinstance(previous, dict) else None
                if _why_changed(value_old, value_new, stem, state, children) is not None:
                    changed |= state.add(state.outputs, stem, oname)
    return [found[k] for k in sorted(found, key=lambda k: (k[0] != root_stem, k[0], k[1]))]


def _feed_child(
    stem: str, rid: str, before: Template, after: Template, state: _State, children: Mapping[str, str]
) -> bool:
    """Taint the parameters of child ``rid`` whose values change."""
    changed = False
    old_params = (before.get("Properties") or {}).get("Parameters") or {}
    new_params = (after.get("Properties") or {}).get("Parameters") or {}
    for pname, value in new_params.items():
        why = _why_changed(old_params.get(pname), value, stem, state, children)
        if why is not None:
            state.origins.setdefault((children[rid], pname), why.removeprefix("refers to "))
            changed |= state.add(state.tainted, children[rid], pname)
    return changed


def report(changes: list[Change]) -> list[str]:
    """The lines ``diff`` prints."""
    if not changes:
        return ["no replacements: nothing is deleted or replaced"]
    lines = [c.line() for c in changes]
    lines.append(f"{len(changes)} resource(s) would be replaced or deleted")
    return lines
