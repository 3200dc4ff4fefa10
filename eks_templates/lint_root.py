"""The root template as cfn-lint reads it: one child stack per shared template.

Nodegroups of the same shape share one child template (``assembly.nested``), so the
set holds one nodegroup template per shape and cfn-lint lints it once. The root still
has one ``AWS::CloudFormation::Stack`` per nodegroup, and cfn-lint's cost grows with
them (JSON-schema validation of each stack resource, and E3043 decoding the child
template once per stack): 200 nodegroups made the root ten times the lint of the rest.

Stack resources that use the same template and are alike — equal in everything except
what tells them apart by name — get the same findings from cfn-lint, so it is shown the
first of them only (:func:`collapse`). Alike means: the same resource after masking, in
``Properties.Parameters``, each literal string value, and each ``Ref`` (or
``Fn::Join [",", [Ref]]``) of a root parameter that this stack alone uses and whose
declaration equals the first stack's except for ``Description`` (and ``Default``, when
the declaration has no constraint a default could break). A stack that differs in any
other way (another parameter, another ``GetAtt``, ``DependsOn``, ``Metadata``) is
linted as written. The parameters only the left-out stacks used are left out with
them; every other reference to a left-out stack (``Fn::GetAtt``, ``Ref``, ``Fn::Sub``,
``DependsOn``) points at the first one, which runs the same template. The project's own
checks (quotas, suppressions) still read the whole root (``lint.lint_set``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

STACK_TYPE = "AWS::CloudFormation::Stack"
#: parameter properties that constrain a value (a different Default could break them)
CONSTRAINTS = ("AllowedPattern", "AllowedValues", "MaxLength", "MaxValue", "MinLength", "MinValue")


def _names(node: Any) -> Iterator[str]:
    """Every logical name ``node`` refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``)."""
    if isinstance(node, list):
        for item in node:
            yield from _names(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                target = value.split(".", 1)[0] if isinstance(value, str) else value[0] if value else None
                if isinstance(target, str):
                    yield target
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0] if value else ""
                if isinstance(text, str):
                    yield from (m.split(".", 1)[0] for m in re.findall(r"\$\{(?!!)([^}]+)\}", text))
            yield from _names(value)


def _users(root: dict[str, Any]) -> dict[str, set[str]]:
    """Root parameter -> where it is used (a resource's logical ID, ``Outputs.X``, ``Conditions.X``)."""
    parameters = root.get("Parameters") or {}
    users: dict[str, set[str]] = {name: set() for name in parameters}
    for section in ("Resources", "Outputs", "Conditions", "Rules", "Metadata"):
        body = root.get(section) or {}
        if not isinstance(body, dict):
            continue
        for key, node in body.items():
            place = key if section == "Resources" else f"{section}.{key}"
            for name in _names(node):
                if name in users:
                    users[name].add(place)
    return users


def _parameter_of(value: Any) -> str | None:
    """``P`` of ``{"Ref": P}`` or ``{"Fn::Join": [",", [{"Ref": P}]]}`` (troposphere writes both forms)."""
    if isinstance(value, dict) and list(value) == ["Ref"] and isinstance(value["Ref"], str):
        return str(value["Ref"])
    if isinstance(value, dict) and list(value) == ["Fn::Join"]:
        args = value["Fn::Join"]
        if isinstance(args, list) and len(args) == 2 and args[0] == ",":
            inner = args[1]
            if isinstance(inner, list) and len(inner) == 1:
                inner = inner[0]
            return _parameter_of(inner) if isinstance(inner, dict) and list(inner) == ["Ref"] else None
    return None


def _declaration_mask(declaration: Any) -> Any:
    if not isinstance(declaration, dict):
        return declaration
    masked = {k: v for k, v in declaration.items() if k != "Description"}
    if "Default" in masked and not any(k in masked for k in CONSTRAINTS):
        masked["Default"] = type(masked["Default"]).__name__
    return masked


def _mask(logical_id: str, resource: dict[str, Any], root: dict[str, Any],
          users: dict[str, set[str]]) -> tuple[str, set[str]]:
    """The stack resource with its name-only differences masked (as text), and the root
    parameters masked in it (used by this stack alone)."""
    parameters = root.get("Parameters") or {}
    masked = copy.deepcopy(resource)
    own: set[str] = set()
    values = (masked.get("Properties") or {}).get("Parameters")
    if isinstance(values, dict):
        for key, value in values.items():
            if isinstance(value, str):
                values[key] = {"<literal>": None}
                continue
            parameter = _parameter_of(value)
            if parameter is not None and parameter in parameters and users.get(parameter) == {logical_id}:
                shape = json.dumps(value).replace(json.dumps(parameter), '"<parameter>"')
                values[key] = {"<parameter>": [shape, _declaration_mask(parameters[parameter])]}
                own.add(parameter)
    return json.dumps(masked, sort_keys=True), own


def _redirect(node: Any, moved: dict[str, str]) -> Any:
    """``node`` with every reference to a left-out stack pointing at its first alike."""
    if isinstance(node, list):
        return [_redirect(item, moved) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "Ref" and isinstance(value, str):
            out[key] = moved.get(value, value)
        elif key == "Fn::GetAtt" and isinstance(value, list) and value and isinstance(value[0], str):
            out[key] = [moved.get(value[0], value[0]), *_redirect(value[1:], moved)]
        elif key == "Fn::GetAtt" and isinstance(value, str):
            target, _, attribute = value.partition(".")
            out[key] = f"{moved.get(target, target)}.{attribute}" if attribute else moved.get(target, target)
        elif key == "Fn::Sub" and (isinstance(value, str) or (isinstance(value, list) and value)):
            text = value if isinstance(value, str) else value[0]
            if isinstance(text, str):
                text = re.sub(r"\$\{(?!!)([^}.]+)", lambda m: "${" + moved.get(m[1], m[1]), text)
            out[key] = text if isinstance(value, str) else [text, *_redirect(value[1:], moved)]
        else:
            out[key] = _redirect(value, moved)
    return out


def collapse(root: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The root cfn-lint is shown, and each left-out stack -> the stack shown in its place."""
    resources = root.get("Resources") or {}
    groups: dict[str, list[str]] = {}
    for logical_id, resource in resources.items():
        url = (resource.get("Properties") or {}).get("TemplateURL") if isinstance(resource, dict) else None
        if resource.get("Type") == STACK_TYPE and isinstance(url, str):
            groups.setdefault(url, []).append(logical_id)
    users = _users(root)
    moved: dict[str, str] = {}
    dropped: set[str] = set()
    for members in groups.values():
        if len(members) < 2:
            continue
        first = members[0]
        shape, _ = _mask(first, resources[first], root, users)
        for member in members[1:]:
            other, own = _mask(member, resources[member], root, users)
            if other == shape:
                moved[member] = first
                dropped |= own
    if not moved:
        return root, {}
    linted = {key: value for key, value in root.items() if key not in ("Resources", "Parameters")}
    if "Parameters" in root:
        linted["Parameters"] = {k: v for k, v in root["Parameters"].items() if k not in dropped}
    kept = {k: v for k, v in resources.items() if k not in moved}
    for logical_id, resource in kept.items():
        resource = _redirect(resource, moved)
        depends = resource.get("DependsOn")
        if isinstance(depends, list):
            resource["DependsOn"] = list(dict.fromkeys(moved.get(d, d) for d in depends))
        elif isinstance(depends, str):
            resource["DependsOn"] = moved.get(depends, depends)
        kept[logical_id] = resource
    linted["Resources"] = kept
    for section in ("Outputs", "Conditions"):
        if section in root:
            linted[section] = _redirect(root[section], moved)
    return linted, moved
