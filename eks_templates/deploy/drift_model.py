"""What ``drift`` reports, and how it reads values out of the deployed templates.

A :class:`Finding` is one thing changed by hand: a resource CloudFormation's detection
found MODIFIED or DELETED, a security-group rule no template declares (or a declared one
that is gone), or a live cluster/nodegroup setting that differs from its template. Each
carries its remedy: ``undo`` (the exact command that puts the template's value back),
``adopt`` (the stack-file change or command that makes the templates say the live value),
and how ``drift --revert`` handles it.

:class:`Resolver` evaluates the few intrinsic functions our templates use in the
properties drift compares (``Ref`` to parameters and resources, ``Fn::GetAtt`` through a
callback, ``Fn::Select``, ``Fn::Split``, ``Fn::Join``, ``Fn::Sub`` with pseudo
parameters) against a deployed stack's parameters and physical IDs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eks_templates.deploy.drift_cfn import StackInfo

#: how --revert handles a finding
REVERT_REVOKE = "revoke"          # EC2 RevokeSecurityGroupIngress/Egress by rule ID
REVERT_CHANGE_SET = "change-set"  # a REVERT_DRIFT change set on the finding's stack


class Unresolved(Exception):
    """A value of the template that cannot be worked out from the deployed stack."""


@dataclass(frozen=True)
class Difference:
    path: str
    expected: str
    actual: str
    #: ADD | REMOVE | NOT_EQUAL (CloudFormation's DifferenceType)
    kind: str = "NOT_EQUAL"

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "expected": self.expected, "actual": self.actual, "type": self.kind}


@dataclass
class Finding:
    #: the stack it is in, as labelled in plans: ``myeks`` or ``myeks/NodegroupXStack``
    stack: str
    logical_id: str
    resource_type: str
    #: MODIFIED | DELETED | UNDECLARED (a live rule no template declares) | MISSING (a declared rule not live)
    status: str
    summary: str
    #: cloudformation | security-group-rules | eks
    source: str
    physical_id: str = ""
    differences: list[Difference] = field(default_factory=list)
    undo: str = ""
    adopt: str = ""
    #: REVERT_REVOKE, REVERT_CHANGE_SET or "" (then ``not_revertible`` says why)
    revert: str = ""
    not_revertible: str = ""
    #: CloudFormation's own detection reports it too (then a REVERT_DRIFT change set covers it)
    cloudformation_sees: bool = False
    #: for REVERT_REVOKE: (group ID, egress, rule ID)
    rule: tuple[str, bool, str] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack, "logicalId": self.logical_id, "resourceType": self.resource_type,
            "physicalId": self.physical_id, "status": self.status, "summary": self.summary,
            "source": self.source, "cloudFormationSees": self.cloudformation_sees,
            "differences": [d.as_json() for d in self.differences],
            "undo": self.undo, "adopt": self.adopt, "revert": self.revert or None,
            "notRevertible": self.not_revertible or None,
        }


def show(value: Any) -> str:
    """A value as one line (CloudFormation's ExpectedValue/ActualValue are JSON text)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


_SUB = re.compile(r"\$\{([^}!][^}]*)\}")

#: GetAtt callback: (stack, logical ID, attribute) -> value
Attribute = Callable[[StackInfo, str, str], Any]


@dataclass
class Resolver:
    info: StackInfo
    region: str
    account: str = ""
    partition: str = "aws"
    attribute: Attribute | None = None

    def _parameter(self, key: str) -> Any:
        if key not in self.info.parameters:
            spec = (self.info.template.get("Parameters") or {}).get(key)
            if isinstance(spec, dict) and "Default" in spec:
                value: Any = spec["Default"]
            else:
                raise Unresolved(f"parameter {key} has no value")
        else:
            value = self.info.parameters[key]
        spec = (self.info.template.get("Parameters") or {}).get(key) or {}
        kind = str(spec.get("Type", "")) if isinstance(spec, dict) else ""
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
            return [v.strip() for v in value.split(",")] if value else []
        return value

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region, "AWS::AccountId": self.account, "AWS::Partition": self.partition,
            "AWS::StackName": self.info.name, "AWS::StackId": self.info.stack_id,
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in (self.info.template.get("Parameters") or {}) or name in self.info.parameters:
            return self._parameter(name)
        physical = self.info.physical(name)
        if physical is None:
            raise Unresolved(f"resource {name} has no physical ID")
        return physical

    def value(self, expr: Any) -> Any:
        if isinstance(expr, list):
            return [self.value(e) for e in expr]
        if not isinstance(expr, dict):
            return expr
        if len(expr) != 1:
            return {k: self.value(v) for k, v in expr.items()}
        (fn, arg), = expr.items()
        if fn == "Ref":
            return self.ref(str(arg))
        if fn == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else list(arg)
            if self.attribute is None or len(parts) != 2:
                raise Unresolved(f"Fn::GetAtt {arg}")
            found = self.attribute(self.info, str(parts[0]), str(parts[1]))
            if found is None:
                raise Unresolved(f"Fn::GetAtt {parts[0]}.{parts[1]}")
            return found
        if fn == "Fn::Select":
            index, values = int(self.value(arg[0])), self.value(arg[1])
            return values[index]
        if fn == "Fn::Split":
            return str(self.value(arg[1])).split(str(arg[0]))
        if fn == "Fn::Join":
            return str(arg[0]).join(show(v) for v in self.value(arg[1]))
        if fn == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            values = {k: self.value(v) for k, v in extra.items()}

            def sub(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in values:
                    return show(values[name])
                if "." in name:
                    logical, attr = name.split(".", 1)
                    return show(self.value({"Fn::GetAtt": [logical, attr]}))
                return show(self.ref(name))

            return _SUB.sub(sub, str(text))
        if fn.startswith("Fn::") or fn == "Condition":
            raise Unresolved(fn)
        return {fn: self.value(arg)}

    def get(self, expr: Any, default: Any = None) -> Any:
        """``value(expr)``, or ``default`` when it cannot be resolved."""
        try:
            return self.value(expr)
        except (Unresolved, IndexError, KeyError, TypeError, ValueError):
            return default
