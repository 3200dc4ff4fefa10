"""Read a rendered set of nested templates as one: follow every value from where a
template uses it back to the resource that makes it.

A child stack's parameter is fed by the root (``Properties.Parameters`` of its
``AWS::CloudFormation::Stack``), which usually reads another child's output
(``Fn::GetAtt [Child, Outputs.X]``), whose value is a ``Ref`` or ``Fn::GetAtt`` on a
resource there. :meth:`TemplateSet.value` evaluates the intrinsics our builders
write (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Split``, ``Fn::Select``,
``Fn::Sub``) offline, with resources kept as symbols (:class:`Res`, :class:`Att`),
so the picture can tell that the ``SourceSecurityGroupId`` of a rule in one stack
is the security group made in another. Nothing here reads AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")
#: the root template's key in a :class:`TemplateSet`
ROOT = ""
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True, order=True)
class Res:
    """``Ref`` to a resource: the resource itself (its id at deploy time)."""

    stack: str
    logical_id: str


@dataclass(frozen=True, order=True)
class Att:
    """``Fn::GetAtt`` of a resource's attribute, e.g. the EKS-created cluster security group."""

    stack: str
    logical_id: str
    attribute: str


class TemplateSet:
    """The root and its children, keyed by the child's logical ID in the root (``ROOT`` for the root)."""

    def __init__(self, templates: Mapping[str, Mapping[str, Any]]):
        self.templates = {k: dict(v) for k, v in templates.items()}

    @classmethod
    def from_files(cls, files: Mapping[str, str], root: str) -> TemplateSet:
        """From a :class:`~eks_templates.render.RenderedSet`'s files: each child stack with
        the file its ``TemplateURL`` names (nodegroups of one shape share a file); a flat
        template under ``ROOT``."""
        from eks_templates.nesting import by_stack

        if root not in files:
            return cls({PurePath(name).stem: _load(text) for name, text in files.items()})
        out: dict[str, dict[str, Any]] = {ROOT: _load(files[root])}
        parsed: dict[str, dict[str, Any]] = {}
        for stack_id, (name, text) in by_stack(files, root, out[ROOT]).items():
            out[stack_id] = parsed[name] if name in parsed else parsed.setdefault(name, _load(text))
        return cls(out)

    @classmethod
    def from_labels(cls, templates: Mapping[str, Mapping[str, Any]], stack_name: str) -> TemplateSet:
        """From templates keyed by change-set label (``myeks``, ``myeks/SecurityStack``)."""
        out: dict[str, Mapping[str, Any]] = {}
        for label, template in templates.items():
            out[ROOT if label == stack_name else label.split("/", 1)[1]] = template
        return cls(out)

    # ----------------------------------------------------------------------- walking

    def stacks(self) -> list[str]:
        """Child stacks (root first as ``ROOT``), in the root's order (sorted)."""
        return [ROOT, *sorted(k for k in self.templates if k != ROOT)]

    def resources(self, stack: str) -> dict[str, dict[str, Any]]:
        return dict(self.templates.get(stack, {}).get("Resources") or {})

    def of_type(self, resource_type: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(stack, logical id, properties) of every resource of ``resource_type``, sorted."""
        for stack in self.stacks():
            for logical_id, res in sorted(self.resources(stack).items()):
                if res.get("Type") == resource_type:
                    yield stack, logical_id, dict(res.get("Properties") or {})

    # ----------------------------------------------------------------------- values

    def value(self, stack: str, node: Any, _depth: int = 0) -> Any:
        """``node`` (a property value in ``stack``) with every intrinsic we can follow resolved."""
        if _depth > 30:
            return "?"
        d = _depth + 1
        if isinstance(node, list):
            return [self.value(stack, n, d) for n in node]
        if not isinstance(node, dict):
            return node
        if len(node) != 1:
            return {k: self.value(stack, v, d) for k, v in node.items()}
        (fn, arg), = node.items()
        if fn == "Ref":
            return self._ref(stack, str(arg), d)
        if fn == "Fn::GetAtt":
            target, attr = (arg.split(".", 1) if isinstance(arg, str) else arg)
            return self._get_att(stack, str(target), str(attr), d)
        if fn == "Fn::Join":
            sep, parts = arg
            parts = self.value(stack, parts, d)
            flat = _flatten(parts)
            if all(isinstance(p, str) for p in flat):
                return str(sep).join(flat)
            return flat  # a list of ids joined for transport: keep the list
        if fn == "Fn::Split":
            sep, text = arg
            text = self.value(stack, text, d)
            if isinstance(text, str):
                return text.split(sep) if text else []
            return _flatten(text)
        if fn == "Fn::Select":
            index, items = arg
            items = self.value(stack, items, d)
            index = int(self.value(stack, index, d))
            if isinstance(items, str):
                items = items.split(",")
            return items[index] if isinstance(items, list) and 0 <= index < len(items) else "?"
        if fn == "Fn::Sub":
            return self._sub(stack, arg, d)
        if fn == "Fn::GetAZs":
            return {"Fn::GetAZs": arg}
        return {fn: self.value(stack, arg, d)}

    def _sub(self, stack: str, arg: Any, depth: int) -> Any:
        """``Fn::Sub`` text with each ``${Name}`` (a variable of its own, or a parameter) put in
        where it comes out as text; the others (``${AWS::StackName}``, attributes) stay."""
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
        if not isinstance(text, str):
            return "?"

        def put(match: re.Match[str]) -> str:
            name = match[1]
            if name.startswith("!") or "." in name or name.startswith("AWS::"):
                return match[0]
            node = variables[name] if isinstance(variables, dict) and name in variables else {"Ref": name}
            value = self.value(stack, node, depth)
            return value if isinstance(value, str) and value != "?" else match[0]

        return _SUB_VARIABLE.sub(put, text)

    def _ref(self, stack: str, name: str, depth: int) -> Any:
        if name.startswith("AWS::"):
            return "${" + name + "}"
        template = self.templates.get(stack, {})
        if name in (template.get("Resources") or {}):
            return Res(stack, name)
        param = (template.get("Parameters") or {}).get(name)
        if param is None:
            return "?"
        is_list = str(param.get("Type", "")).startswith(("List<", "CommaDelimitedList"))
        if stack == ROOT:
            fed: Any = param.get("Default", "?")
        else:
            stack_res = self.resources(ROOT).get(stack, {})
            given = (stack_res.get("Properties") or {}).get("Parameters") or {}
            fed = self.value(ROOT, given[name], depth) if name in given else param.get("Default", "?")
        if is_list and isinstance(fed, str):
            return fed.split(",") if fed else []
        return fed

    def _get_att(self, stack: str, target: str, attr: str, depth: int) -> Any:
        res = self.resources(stack).get(target)
        if res is not None and res.get("Type") == STACK_TYPE and attr.startswith("Outputs."):
            output = (self.templates.get(target, {}).get("Outputs") or {}).get(attr.split(".", 1)[1])
            return self.value(target, output["Value"], depth) if output else "?"
        return Att(stack, target, attr)


def _flatten(parts: Any) -> list[Any]:
    if not isinstance(parts, list):
        return [parts]
    out: list[Any] = []
    for p in parts:
        out.extend(_flatten(p))
    return out


def _load(text: str) -> dict[str, Any]:
    text = text.lstrip()
    if text.startswith("{"):
        return dict(json.loads(text))
    import yaml

    return dict(yaml.safe_load(text))
