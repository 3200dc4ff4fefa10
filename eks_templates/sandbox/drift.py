"""CloudFormation drift detection in the sandbox (moto 5.2.5 has none: the four actions
were ``NotImplemented`` and ``DescribeStacks``/``DescribeStackResources`` carried no
``DriftInformation``).

Answers as CloudFormation does (API reference: DetectStackDrift,
DescribeStackDriftDetectionStatus, DescribeStackResourceDrifts, DetectStackResourceDrift,
StackResourceDrift, PropertyDifference; user guide "Detect unmanaged configuration
changes to stacks and resources with drift detection",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html):

- *Expected* is the resource's template ``Properties`` with parameters and intrinsics
  resolved, as the resource was last created or updated (the snapshots
  :mod:`.patches` keeps); *actual* is read from moto's EC2/EKS/CloudFormation backends
  (:mod:`.drift_readers`). "Only resource properties explicitly defined in the stack
  template are checked for drift" (DetectStackDrift): both sides hold the properties the
  template sets and nothing else, write-only ones (the provider schema's
  ``writeOnlyProperties``, e.g. a nested stack's ``TemplateURL``) left out because they
  cannot be read. Values are compared as the schema types them (``"2"`` = ``2``,
  ``"true"`` = ``true``); arrays whose schema says ``insertionOrder: false`` are compared
  as sets.
- ``PropertyDifferences``: ``PropertyPath`` a JSON pointer into the properties
  (``/ScalingConfig/DesiredSize``, ``/SecurityGroupIngress/2``), ``ExpectedValue`` /
  ``ActualValue`` as strings (objects as JSON, ``null`` for the missing side),
  ``DifferenceType`` ``NOT_EQUAL``, ``ADD`` (an element added to an array or map) or
  ``REMOVE``.
- Statuses: ``IN_SYNC``, ``MODIFIED``, ``DELETED`` (the physical resource is gone),
  ``UNKNOWN`` with ``DriftStatusReason`` when its state cannot be read (the detection
  then ends ``DETECTION_FAILED``: "The stack drift detection operation has failed for
  at least one resource in the stack. Results will be available for resources on which
  CloudFormation successfully completed drift detection."). A type the sandbox does not
  model is treated as a type CloudFormation does not support: "Resources that don't
  currently support drift detection aren't checked, and so not included" in
  DescribeStackResourceDrifts, and their ``DriftInformation`` is ``NOT_CHECKED``
  (StackResourceDriftInformation) - never ``IN_SYNC``.
- Nested stacks are not descended into: "When detecting drift on a stack,
  CloudFormation doesn't detect drift on any nested stacks belonging to that stack.
  Perform DetectStackDrift directly on the nested stack itself." (DetectStackDrift). The
  parent checks its ``AWS::CloudFormation::Stack`` resources like any supported type:
  their ``Parameters``, ``Tags``, ``TimeoutInMinutes`` and ``NotificationARNs`` against
  the child stack; they are ``IN_SYNC`` however much the child's resources drifted.
- A security group's inline ``SecurityGroupIngress``/``SecurityGroupEgress`` is compared
  with *all* the group's rules, so a rule added by hand is ``ADD``; a group whose rules
  are separate ``SecurityGroupIngress`` resources sets no such property, so a rule added
  by hand is invisible to drift detection (the separate rules stay ``IN_SYNC``; only a
  revoked one is ``DELETED``). Likewise separate rules on a group that also has inline
  rules show as ``ADD`` on the group.
- Time: the detection is computed when ``DetectStackDrift`` is called;
  ``DescribeStackDriftDetectionStatus`` answers ``DETECTION_IN_PROGRESS`` for the first
  :data:`POLLS_IN_PROGRESS` calls, then the result (so a waiting loop is exercised).

:func:`fail_reads` makes the reads of one resource type fail, for tests of a failed
detection (the sandbox has no other way to make a read fail).
"""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult
from moto.moto_api._internal import mock_random

from eks_templates.sandbox.drift_readers import DELETED, NOT_READ, READERS, ReadFailure, rule_identity

#: DescribeStackDriftDetectionStatus calls answered DETECTION_IN_PROGRESS per detection
POLLS_IN_PROGRESS = 1

#: The stack statuses drift detection runs on; any other is refused. CloudFormation:
#: "Drift detection cannot be performed on stack [<arn>] while it is in [ROLLBACK_COMPLETE]
#: state" (ValidationError, as the AWS CLI prints it); the user guide lists the statuses
#: drift detection is performed on.
DETECTABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED")

#: DescribeStackResourceDrifts MaxResults: "Valid Range: Minimum value of 1. Maximum value of 100."
MAX_RESULTS = 100

_STORE = "_eks_templates_sandbox_drift"
_STACK_INFO = "_eks_templates_sandbox_drift_information"
_failing: dict[str, str] = {}


def fail_reads(resource_type: str, reason: str | None) -> None:
    """Make reading the actual state of ``resource_type`` fail with ``reason`` (``None``:
    read it again). For tests of ``DETECTION_FAILED``."""
    if reason is None:
        _failing.pop(resource_type, None)
    else:
        _failing[resource_type] = reason


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _store(backend: CloudFormationBackend) -> dict[str, Any]:
    """Detections by id and each stack's latest resource drifts, on the backend (a reset
    empties them with everything else)."""
    store: dict[str, Any] = vars(backend).setdefault(_STORE, {"detections": {}, "drifts": {}})
    return store


# -- comparison ---------------------------------------------------------------------------


class _Schema:
    """One resource type's provider schema, for the types and orders of its properties."""

    def __init__(self, resource_type: str, region: str) -> None:
        from eks_templates.sandbox.refusals import schemas

        self.schema = schemas(region)._schema(resource_type) or {}
        self.write_only = [tuple(p.split("/")[2:]) for p in self.schema.get("writeOnlyProperties", [])
                           if p.startswith("/properties/")]

    def node(self, node: Any) -> dict[str, Any]:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            ref = str(node["$ref"])
            node = self.schema.get("definitions", {}).get(ref.rsplit("/", 1)[-1], {}) if ref.startswith("#/") else {}
            seen += 1
        return node if isinstance(node, dict) else {}

    def child(self, node: dict[str, Any], key: str) -> dict[str, Any]:
        node = self.node(node)
        if key in (node.get("properties") or {}):
            return self.node(node["properties"][key])
        for pattern_node in (node.get("patternProperties") or {}).values():
            return self.node(pattern_node)
        extra = node.get("additionalProperties")
        return self.node(extra) if isinstance(extra, dict) else {}

    def items(self, node: dict[str, Any]) -> dict[str, Any]:
        return self.node(self.node(node).get("items") or {})

    @staticmethod
    def types(node: dict[str, Any]) -> list[str]:
        kind = node.get("type")
        return [str(t) for t in kind] if isinstance(kind, list) else [str(kind)] if kind else []

    def is_map(self, node: dict[str, Any]) -> bool:
        node = self.node(node)
        return "object" in self.types(node) and not node.get("properties") and bool(
            node.get("patternProperties") or isinstance(node.get("additionalProperties"), dict))

    def unordered(self, node: dict[str, Any]) -> bool:
        return self.node(node).get("insertionOrder") is False


def _normalize(value: Any, node: dict[str, Any], schema: _Schema) -> Any:
    """``value`` as the schema types it (template strings for numbers and booleans)."""
    node = schema.node(node)
    kinds = schema.types(node)
    if isinstance(value, dict):
        return {k: _normalize(v, schema.child(node, k), schema) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v, schema.items(node), schema) for v in value]
    if isinstance(value, (bool, int, float)) and kinds == ["string"]:
        return _show(value)  # a Number parameter passed on as a string
    if isinstance(value, str):
        if "integer" in kinds and "string" not in kinds:
            try:
                return int(value)
            except ValueError:
                return value
        if "boolean" in kinds and "string" not in kinds and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if "number" in kinds and "string" not in kinds:
            try:
                number = float(value)
                return int(number) if number.is_integer() else number
            except ValueError:
                return value
    return value


def _without(props: dict[str, Any], paths: list[tuple[str, ...]]) -> dict[str, Any]:
    """``props`` without the (write-only) ``paths``; ``*`` matches every array element."""
    result = copy.deepcopy(props)

    def drop(node: Any, path: tuple[str, ...]) -> None:
        if not path:
            return
        head, rest = path[0], path[1:]
        if head == "*" and isinstance(node, list):
            for item in node:
                drop(item, rest)
        elif isinstance(node, dict) and head in node:
            if rest:
                drop(node[head], rest)
            else:
                del node[head]

    for path in paths:
        drop(result, path)
    return result


def _show(value: Any) -> str:
    """A PropertyDifference value: scalars as text, objects and arrays as JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def _identity(path: str, item: Any) -> Any:
    """What pairs an expected element with an actual one in an unordered array, so a
    change inside it is one NOT_EQUAL, not a REMOVE and an ADD."""
    if not isinstance(item, dict):
        return None
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if name in ("SecurityGroupIngress", "SecurityGroupEgress"):
        return rule_identity(item, egress=name == "SecurityGroupEgress")
    if name == "Tags":
        return item.get("Key")
    if name == "Taints":
        return item.get("Key"), item.get("Effect")
    if name == "EnabledTypes":
        return item.get("Type")
    return None


class _Comparison:
    """Expected against actual, restricted to what the template sets; collects the
    differences and the actual properties in the same shape as the expected ones."""

    def __init__(self, schema: _Schema) -> None:
        self.schema = schema
        self.differences: list[dict[str, str]] = []

    def diff(self, kind: str, path: str, expected: Any, actual: Any) -> None:
        self.differences.append({"PropertyPath": path, "ExpectedValue": _show(expected),
                                 "ActualValue": _show(actual), "DifferenceType": kind})

    def compare(self, expected: Any, actual: Any, node: dict[str, Any], path: str) -> Any:
        """Record the differences below ``path``; return ``actual`` as reported."""
        node = self.schema.node(node)
        if isinstance(expected, dict) and self.schema.is_map(node):
            return self._map(expected, actual if isinstance(actual, dict) else {}, node, path)
        if isinstance(expected, dict):
            if not isinstance(actual, dict):
                self.diff("NOT_EQUAL", path, expected, actual)
                return actual
            shown = {}
            for key, value in expected.items():
                child = f"{path}/{key}"
                if key not in actual or actual[key] is None:
                    if value is not None:
                        self.diff("REMOVE", child, value, None)
                    continue
                shown[key] = self.compare(value, actual[key], self.schema.child(node, key), child)
            return shown
        if isinstance(expected, list):
            if not isinstance(actual, list):
                self.diff("NOT_EQUAL", path, expected, actual)
                return actual
            if self.schema.unordered(node):
                return self._set(expected, actual, self.schema.items(node), path)
            return self._ordered(expected, actual, self.schema.items(node), path)
        if expected != actual:
            self.diff("NOT_EQUAL", path, expected, actual)
        return actual

    def _map(self, expected: dict[str, Any], actual: dict[str, Any], node: dict[str, Any], path: str) -> Any:
        value_node = self.schema.child(node, "")
        for key, value in expected.items():
            if key not in actual:
                self.diff("REMOVE", f"{path}/{key}", value, None)
            else:
                self.compare(value, actual[key], value_node, f"{path}/{key}")
        for key in actual:
            if key not in expected:
                self.diff("ADD", f"{path}/{key}", None, actual[key])
        return dict(actual)

    def _ordered(self, expected: list[Any], actual: list[Any], node: dict[str, Any], path: str) -> list[Any]:
        shown = []
        for i, value in enumerate(expected):
            if i >= len(actual):
                self.diff("REMOVE", f"{path}/{i}", value, None)
            else:
                shown.append(self.compare(value, actual[i], node, f"{path}/{i}"))
        for i in range(len(expected), len(actual)):
            self.diff("ADD", f"{path}/{i}", None, actual[i])
            shown.append(actual[i])
        return shown

    def _set(self, expected: list[Any], actual: list[Any], node: dict[str, Any], path: str) -> list[Any]:
        """An unordered array. Elements are paired: equal ones first, then the same element
        (:func:`_identity`), then the one sharing most of the expected element's fields (CloudFormation
        reports a rule whose CIDR was edited as ``/SecurityGroupIngress/0/CidrIp`` ``NOT_EQUAL``,
        not as a REMOVE and an ADD, as an AWS CLI session of a drifted inline rule shows). A
        paired or missing element is reported at its index in the template, an added one at its
        index in the actual array, which keeps EC2's/EKS's order."""
        remaining = list(range(len(actual)))
        pairs: dict[int, int] = {}

        def pair(test: Callable[[Any, Any], bool]) -> None:
            for i, value in enumerate(expected):
                if i in pairs:
                    continue
                match = next((j for j in remaining if test(value, actual[j])), None)
                if match is not None:
                    pairs[i] = match
                    remaining.remove(match)

        pair(lambda e, a: _restricted(a, e) == e)
        pair(lambda e, a: _identity(path, e) is not None and _identity(path, e) == _identity(path, a))
        for i, value in enumerate(expected):  # most fields in common, more than half of them
            if i in pairs or not isinstance(value, dict) or not value:
                continue
            shared = {j: sum(1 for k, v in value.items() if isinstance(actual[j], dict) and actual[j].get(k) == v)
                      for j in remaining}
            best = max(shared, key=lambda j: shared[j], default=None)
            if best is not None and shared[best] * 2 > len(value):
                pairs[i] = best
                remaining.remove(best)
        shown: list[Any] = list(actual)
        for i, value in enumerate(expected):
            if i in pairs:
                shown[pairs[i]] = self.compare(value, actual[pairs[i]], node, f"{path}/{i}")
            else:
                self.diff("REMOVE", f"{path}/{i}", value, None)
        for j in remaining:
            self.diff("ADD", f"{path}/{j}", None, actual[j])
        return shown


def _restricted(actual: Any, expected: Any) -> Any:
    """``actual`` cut down to the keys ``expected`` sets (recursively, for objects)."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        return {k: _restricted(actual[k], v) for k, v in expected.items() if k in actual}
    return actual


# -- one resource ---------------------------------------------------------------------------


def _resource_drift(stack: Stack, logical_id: str, when: datetime.datetime) -> dict[str, Any] | None:
    """The ``StackResourceDrift`` of one resource, or ``None`` for a type drift detection
    does not check."""
    from eks_templates.sandbox.patches import _snapshots
    from eks_templates.sandbox.rollback import _physical_id

    resource_map = stack.resource_map
    resource_json = resource_map._resource_json_map.get(logical_id) or {}
    resource_type = str(resource_json.get("Type", ""))
    reader = READERS.get(resource_type)
    parsed = resource_map._parsed_resources.get(logical_id)
    resolved = _snapshots(resource_map).get(logical_id)
    if reader is None or parsed is None or isinstance(parsed, str) or not isinstance(resolved, dict):
        return None
    schema = _Schema(resource_type, stack.region_name)
    top = schema.node(schema.schema)
    expected = _normalize(_without(resolved, schema.write_only), top, schema)
    if resource_type == "AWS::CloudFormation::Stack" and isinstance(expected.get("Parameters"), dict):
        # "Parameters ... Type: Object of String" (AWS::CloudFormation::Stack reference): a child
        # gets every value as text, a Number parameter's 2 as "2"
        expected["Parameters"] = {k: _show(v) for k, v in expected["Parameters"].items()}
    drift: dict[str, Any] = {
        "StackId": stack.stack_id,
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": _physical_id(parsed),
        "ResourceType": resource_type,
        "ExpectedProperties": json.dumps(expected, sort_keys=True, separators=(",", ":")),
        "Timestamp": when,
    }
    try:
        if resource_type in _failing:
            raise ReadFailure(_failing[resource_type])
        actual = reader(parsed, resolved, stack.account_id, stack.region_name)
    except ReadFailure as failure:
        drift.update(StackResourceDriftStatus="UNKNOWN", DriftStatusReason=str(failure))
        return drift
    if actual is DELETED:
        drift["StackResourceDriftStatus"] = "DELETED"
        return drift
    actual = _normalize(actual, top, schema)
    # what the sandbox cannot read is not compared (docs/sandbox.md lists it)
    expected = _without({k: v for k, v in expected.items() if k in actual}, NOT_READ.get(resource_type, []))
    drift["ExpectedProperties"] = json.dumps(expected, sort_keys=True, separators=(",", ":"))
    comparison = _Comparison(schema)
    shown = comparison.compare(expected, {k: v for k, v in actual.items() if k in expected}, top, "")
    drift["ActualProperties"] = json.dumps(shown, sort_keys=True, separators=(",", ":"))
    drift["PropertyDifferences"] = comparison.differences
    drift["StackResourceDriftStatus"] = "MODIFIED" if comparison.differences else "IN_SYNC"
    return drift


# -- the actions ----------------------------------------------------------------------------


def _checkable_stack(backend: CloudFormationBackend, name: str) -> Stack:
    stack = backend.get_stack(name)  # "Stack with id X does not exist"
    if stack.status not in DETECTABLE:
        raise ValidationError(
            message=f"Drift detection cannot be performed on stack [{stack.stack_id}] while it is in "
                    f"[{stack.status}] state"
        )
    return stack


def _record(backend: CloudFormationBackend, stack: Stack, drifts: dict[str, dict[str, Any]],
            when: datetime.datetime, *, whole_stack: bool) -> None:
    latest = _store(backend)["drifts"].setdefault(stack.stack_id, {})
    if whole_stack:
        latest.clear()
    latest.update(drifts)
    info = vars(stack).setdefault(_STACK_INFO, {"StackDriftStatus": "NOT_CHECKED"})
    info["LastCheckTimestamp"] = when
    if whole_stack:
        statuses = {d["StackResourceDriftStatus"] for d in drifts.values()}
        info["StackDriftStatus"] = ("DRIFTED" if statuses & {"MODIFIED", "DELETED"}
                                    else "UNKNOWN" if "UNKNOWN" in statuses else "IN_SYNC")


def _detect_stack_drift(self: CloudFormationResponse) -> ActionResult:
    backend = self.cloudformation_backend
    stack = _checkable_stack(backend, self._get_param("StackName"))
    wanted = self._get_param("LogicalResourceIds", []) or None
    when = _now()
    drifts = {}
    for logical_id in stack.resource_map._resource_json_map:
        if wanted is not None and logical_id not in wanted:
            continue
        drift = _resource_drift(stack, logical_id, when)
        if drift is not None:
            drifts[logical_id] = drift
    _record(backend, stack, drifts, when, whole_stack=wanted is None)
    failed = sorted(lid for lid, d in drifts.items() if d["StackResourceDriftStatus"] == "UNKNOWN")
    detection_id = str(mock_random.uuid4())
    _store(backend)["detections"][detection_id] = {
        "StackId": stack.stack_id,
        "StackDriftDetectionId": detection_id,
        "StackDriftStatus": vars(stack)[_STACK_INFO]["StackDriftStatus"] if wanted is None else (
            "DRIFTED" if any(d["StackResourceDriftStatus"] in ("MODIFIED", "DELETED") for d in drifts.values())
            else "IN_SYNC"),
        "DetectionStatus": "DETECTION_FAILED" if failed else "DETECTION_COMPLETE",
        # a completed detection has no reason (as CloudFormation answers it)
        **({"DetectionStatusReason": f"Failed to detect drift on resources [{', '.join(failed)}]"} if failed else {}),
        "DriftedStackResourceCount": sum(d["StackResourceDriftStatus"] in ("MODIFIED", "DELETED")
                                         for d in drifts.values()),
        "Timestamp": when,
        "_polls": POLLS_IN_PROGRESS,
    }
    return ActionResult({"StackDriftDetectionId": detection_id})


def _describe_stack_drift_detection_status(self: CloudFormationResponse) -> ActionResult:
    detection_id = self._get_param("StackDriftDetectionId")
    detection = _store(self.cloudformation_backend)["detections"].get(detection_id)
    if detection is None:
        raise ValidationError(message=f"Drift detection with id [{detection_id}] does not exist")
    if detection["_polls"] > 0:
        detection["_polls"] -= 1
        return ActionResult({
            "StackId": detection["StackId"], "StackDriftDetectionId": detection_id,
            "DetectionStatus": "DETECTION_IN_PROGRESS", "DetectionStatusReason": "User Initiated",
            "Timestamp": detection["Timestamp"],
        })
    return ActionResult({k: v for k, v in detection.items() if not k.startswith("_")})


def _describe_stack_resource_drifts(self: CloudFormationResponse) -> ActionResult:
    backend = self.cloudformation_backend
    stack = backend.get_stack(self._get_param("StackName"))
    filters = self._get_param("StackResourceDriftStatusFilters", []) or []
    allowed = ("IN_SYNC", "MODIFIED", "DELETED", "NOT_CHECKED", "UNKNOWN")
    for value in filters:
        if value not in allowed:
            raise ValidationError(message=(
                f"1 validation error detected: Value '[{', '.join(filters)}]' at 'stackResourceDriftStatusFilters' "
                f"failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
                f"[{', '.join(allowed)}]]"))
    max_results = self._get_int_param("MaxResults", MAX_RESULTS)
    if not 1 <= max_results <= MAX_RESULTS:
        raise ValidationError(message=(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy constraint: "
            "Member must have value " + ("greater than or equal to 1" if max_results < 1
                                         else f"less than or equal to {MAX_RESULTS}")))
    drifts = [d for _lid, d in sorted(_store(backend)["drifts"].get(stack.stack_id, {}).items())
              if not filters or d["StackResourceDriftStatus"] in filters]
    token = self._get_param("NextToken")
    start = 0
    if token:
        try:
            start = int(str(token).removeprefix("drifts-"))
        except ValueError:
            start = -1
        if not str(token).startswith("drifts-") or not 0 <= start <= len(drifts):
            raise ValidationError(message="Invalid NextToken")
    page = drifts[start:start + max_results]
    result: dict[str, Any] = {"StackResourceDrifts": page}
    if start + max_results < len(drifts):
        result["NextToken"] = f"drifts-{start + max_results}"
    return ActionResult(result)


def _detect_stack_resource_drift(self: CloudFormationResponse) -> ActionResult:
    backend = self.cloudformation_backend
    stack = _checkable_stack(backend, self._get_param("StackName"))
    logical_id = self._get_param("LogicalResourceId")
    if logical_id not in stack.resource_map._resource_json_map:
        raise ValidationError(message=f"Resource {logical_id} does not exist for stack {stack.name}")
    when = _now()
    drift = _resource_drift(stack, logical_id, when)
    if drift is None:
        resource_type = stack.resource_map._resource_json_map[logical_id].get("Type")
        raise ValidationError(message=f"Drift detection is not supported for resource [{logical_id}] of type "
                                      f"[{resource_type}]")
    _record(backend, stack, {logical_id: drift}, when, whole_stack=False)
    return ActionResult({"StackResourceDrift": drift})


# -- DriftInformation on stacks and resources ---------------------------------------------------


def stack_drift_information(stack: Stack) -> dict[str, Any]:
    """``DriftInformation`` of a stack: ``NOT_CHECKED`` until a detection ran."""
    return dict(vars(stack).get(_STACK_INFO) or {"StackDriftStatus": "NOT_CHECKED"})


def resource_drift_information(backend: CloudFormationBackend, stack_id: str, logical_id: str) -> dict[str, Any]:
    drift = _store(backend)["drifts"].get(stack_id, {}).get(logical_id)
    if drift is None:
        return {"StackResourceDriftStatus": "NOT_CHECKED"}
    return {"StackResourceDriftStatus": drift["StackResourceDriftStatus"], "LastCheckTimestamp": drift["Timestamp"]}


def _with_resource_drift(original: Callable[[CloudFormationResponse], Any],
                         key: str) -> Callable[[CloudFormationResponse], Any]:
    def action(self: CloudFormationResponse) -> Any:
        result = original(self)
        body = getattr(result, "result", None) or {}
        items = body.get(key)
        if items is None:
            return result
        stack_id = None
        for item in items if isinstance(items, list) else [items]:
            logical_id = item["LogicalResourceId"] if isinstance(item, dict) else item.logical_resource_id
            if stack_id is None or not isinstance(item, dict):  # a DTO knows its stack; a summary does not
                stack_id = getattr(item, "stack_id", None) or self.cloudformation_backend.get_stack(
                    self._get_param("StackName")).stack_id
            info = resource_drift_information(self.cloudformation_backend, stack_id, logical_id)
            if isinstance(item, dict):
                item["DriftInformation"] = info
            else:
                setattr(item, "drift_information", info)  # noqa: B010 (moto's DTO, read by its serializer)
        return result

    return action


_installed = False


def install() -> None:
    """Install the drift actions and DriftInformation (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    # Adds: moto 5.2.5 has no drift detection (the actions were NotImplemented).
    CloudFormationResponse.detect_stack_drift = _detect_stack_drift  # type: ignore[attr-defined]
    CloudFormationResponse.describe_stack_drift_detection_status = (  # type: ignore[attr-defined]
        _describe_stack_drift_detection_status)
    CloudFormationResponse.describe_stack_resource_drifts = (  # type: ignore[attr-defined]
        _describe_stack_resource_drifts)
    CloudFormationResponse.detect_stack_resource_drift = _detect_stack_resource_drift  # type: ignore[attr-defined]
    # Adds: moto's stacks had no DriftInformation at all. A read-only property of the stack,
    # so DescribeStacks (Stack.DriftInformation) and ListStacks
    # (StackSummary.DriftInformation) both answer the last detection's status and time, as
    # CloudFormation does (API reference, StackDriftInformation and
    # StackDriftInformationSummary: "Status of the stack's actual configuration compared to
    # its expected template configuration"; "Most recent time when a drift detection
    # operation was initiated on the stack"). It used to be copied onto the stack by
    # DescribeStacks only, so ListStacks served what the last DescribeStacks had stored.
    Stack.drift_information = property(stack_drift_information)  # type: ignore[attr-defined]
    # Replaces: moto's stack resources had no DriftInformation at all.
    for name, key in (("describe_stack_resources", "StackResources"),
                      ("describe_stack_resource", "StackResourceDetail"),
                      ("list_stack_resources", "StackResourceSummaries")):
        setattr(CloudFormationResponse, name, _with_resource_drift(getattr(CloudFormationResponse, name), key))
