"""Drift-aware change sets (``CreateChangeSet`` ``DeploymentMode: REVERT_DRIFT``) in the
sandbox. moto 5.2.5 ignores the parameter: such a change set on an unchanged template was
"No updates are to be performed", so ``drift --revert`` could not put anything back.

What CloudFormation documents, and the sandbox follows:

- ``DeploymentMode`` takes one value, ``REVERT_DRIFT`` (botocore's service model,
  ``DeploymentMode`` enum); anything else is refused as the API refuses a value outside an
  enum ("1 validation error detected: Value ... at 'deploymentMode' failed to satisfy
  constraint: Member must satisfy enum value set: [REVERT_DRIFT]").
- A drift-aware change set "compare[s] templates with the actual state of your stack
  resources and bring[s] drifted resources in line with their template definitions"; the
  actual state is read "at the time of change set creation via underlying service APIs"
  (User Guide, "Using drift-aware change sets"). So no DetectStackDrift is needed first:
  the sandbox reads every resource of a type it models for drift (:mod:`.drift`,
  :mod:`.drift_readers`) when the change set is created. It is a comparison with an
  existing stack's resources, so only an ``UPDATE`` change set can be one; a ``CREATE`` or
  ``IMPORT`` is refused (ValidationError; the wording is the sandbox's, CloudFormation's
  own message for it was not found in its documentation).
- Each drifted resource is a ``Modify`` with ``ResourceDriftStatus`` and, per drifted
  property, a ``Details`` entry whose ``Target`` has the ``Path``, ``BeforeValue`` (the
  actual one, ``BeforeValueFrom: ACTUAL_STATE``), ``AfterValue`` (the template's,
  ``AfterValueFrom: TEMPLATE``) and ``Drift`` (``PreviousValue``, ``ActualValue``) (API
  reference: ResourceChange, ResourceTargetDefinition, LiveResourceDrift); the change set
  has ``DeploymentMode`` and ``StackDriftStatus`` (DescribeChangeSet). A stack with neither
  drift nor a template change gives the usual ``FAILED`` change set, "The submitted
  information didn't contain changes." (as an unchanged template does; the expected answer
  in aws-cloudformation/cloudformation-coverage-roadmap#2505).
- Executing it puts the drifted properties back to the template's values, with resource
  events; a failure (EKS refusing to go back to an older Kubernetes version, say) fails the
  update and rolls it back like any other (:mod:`.rollback`).

What the sandbox can put back, and how: an EKS cluster's and a nodegroup's properties
(the model's own update, from the resolved template properties: endpoint access and
CIDRs, logging, scaling, labels, taints, ...), and a security group's inline rules (a rule
added by hand is revoked, a template rule revoked by hand is authorized again). Anything
else a drift-aware change set would have to do - a resource deleted outside
CloudFormation, a changed tag of a cluster, a nodegroup's version, a rule's description,
a nested stack's parameters, a resource drifted *and* changed by the new template - it
refuses, with a ``FAILED`` change set naming the resource and the property, rather than
pretend to have done it.
"""

from __future__ import annotations

import contextvars
import copy
import json
from collections.abc import Callable
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Change, ChangeSet, CloudFormationBackend, Stack
from moto.cloudformation.responses import CloudFormationResponse

REVERT_DRIFT = "REVERT_DRIFT"
#: DeploymentMode's enum (botocore cloudformation service-2.json, shape DeploymentMode)
MODES = (REVERT_DRIFT,)
_PLAN = "_eks_templates_sandbox_revert_plan"
#: CloudFormation's reason for a change set with nothing to do (DescribeChangeSet StatusReason)
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."

#: top-level properties the sandbox cannot put back, per type, with why
_NOT_REVERTIBLE: dict[str, dict[str, str]] = {
    "AWS::EKS::Cluster": {"Tags": "the sandbox's cluster update does not rewrite tags changed outside it"},
    "AWS::EKS::Nodegroup": {
        "Version": "EKS does not take a nodegroup back to an older Kubernetes version",
        "ReleaseVersion": "EKS does not take a nodegroup back to an older AMI release",
    },
    "AWS::EC2::SecurityGroup": {
        "Tags": "the sandbox does not rewrite a security group's tags",
        "GroupDescription": "create-only: it would need a new group",
    },
}
#: types the sandbox puts back at all (anything else it reads for drift: refused)
_REVERTERS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any], Stack], None]] = {}

#: DeploymentMode of the CreateChangeSet call being served
_mode: contextvars.ContextVar[str | None] = contextvars.ContextVar("eks_templates_sandbox_mode", default=None)


class _Refused(Exception):
    """A drift the sandbox cannot put back; the message names resource and property."""


# -- what the change set says ------------------------------------------------------------


def _top(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


def _details(drift: dict[str, Any]) -> list[dict[str, Any]]:
    details = []
    for difference in drift.get("PropertyDifferences") or []:
        kind = difference["DifferenceType"]
        details.append({
            "Target": {
                "Attribute": "Properties", "Name": _top(difference["PropertyPath"]),
                "Path": difference["PropertyPath"], "RequiresRecreation": "Never",
                "BeforeValue": difference["ActualValue"], "AfterValue": difference["ExpectedValue"],
                "BeforeValueFrom": "ACTUAL_STATE", "AfterValueFrom": "TEMPLATE",
                # the change undoes the drift: what was added by hand is removed, and so on
                "AttributeChangeType": {"ADD": "Remove", "REMOVE": "Add"}.get(kind, "Modify"),
                "Drift": {"PreviousValue": difference["ExpectedValue"], "ActualValue": difference["ActualValue"],
                          "DriftDetectionTimestamp": drift["Timestamp"]},
            },
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        })
    return details


def _refusal(drift: dict[str, Any], template_changed: set[str]) -> str | None:
    """Why the sandbox cannot put this drift back, or None."""
    what = f"{drift['ResourceType']} {drift['LogicalResourceId']}"
    status = drift["StackResourceDriftStatus"]
    if status == "DELETED":
        return f"{what} was deleted outside CloudFormation; the sandbox does not create it again"
    if status == "UNKNOWN":
        return f"{what}: its actual state cannot be read ({drift.get('DriftStatusReason')})"
    if drift["LogicalResourceId"] in template_changed:
        return f"{what} drifted and the new template changes it too; the sandbox does not combine the two"
    if drift["ResourceType"] not in _REVERTERS:
        return f"{what}: the sandbox does not put back drift of this type"
    blocked = _NOT_REVERTIBLE.get(drift["ResourceType"], {})
    for difference in drift.get("PropertyDifferences") or []:
        path = difference["PropertyPath"]
        if _top(path) in blocked:
            return f"{what} {path}: {blocked[_top(path)]}"
        if drift["ResourceType"] == "AWS::EC2::SecurityGroup" and difference["DifferenceType"] == "NOT_EQUAL":
            return f"{what} {path}: the sandbox does not change a rule in place (only adds and removes rules)"
    return None


def _plan(change_set: ChangeSet) -> None:
    """Read the stack's resources now; add a Modify per drifted one, or fail the change set
    naming what the sandbox cannot put back."""
    from eks_templates.sandbox.drift import _now, _resource_drift

    stack = change_set.stack
    when = _now()
    template_changed = {c.logical_resource_id for c in change_set.changes}
    drifted: list[dict[str, Any]] = []
    for logical_id in stack.resource_map._resource_json_map:
        drift = _resource_drift(stack, logical_id, when)
        if drift is not None and drift["StackResourceDriftStatus"] != "IN_SYNC":
            drifted.append(drift)
    vars(change_set).update(deployment_mode=REVERT_DRIFT,
                            stack_drift_status="DRIFTED" if drifted else "IN_SYNC")
    refusals = [r for r in (_refusal(d, template_changed) for d in drifted) if r]
    if refusals:
        change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
        change_set.status_reason = ("eks-templates sandbox: this REVERT_DRIFT change set cannot be made here: "
                                    + "; ".join(refusals))
        return
    for drift in drifted:
        change = Change(action="Modify", logical_resource_id=drift["LogicalResourceId"],
                        resource_type=drift["ResourceType"])
        vars(change).update(physical_resource_id=drift["PhysicalResourceId"] or None, replacement="False",
                            scope=["Properties"], details=_details(drift),
                            resource_drift_status=drift["StackResourceDriftStatus"])
        change_set.changes.append(change)
    vars(change_set)[_PLAN] = [d["LogicalResourceId"] for d in drifted]
    if drifted and change_set.status == "FAILED" and change_set.status_reason == NO_CHANGES:
        change_set.status, change_set.execution_status, change_set.status_reason = (
            "CREATE_COMPLETE", "AVAILABLE", None)


def _create_change_set(original: Callable[[CloudFormationResponse], Any]) -> Callable[[CloudFormationResponse], Any]:
    def create_change_set(self: CloudFormationResponse) -> Any:
        mode = self._get_param("DeploymentMode")
        if mode is None:
            return original(self)
        if mode not in MODES:
            raise ValidationError(message=(
                f"1 validation error detected: Value '{mode}' at 'deploymentMode' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(MODES)}]"))
        change_set_type = self._get_param("ChangeSetType", "CREATE")
        if change_set_type != "UPDATE":
            raise ValidationError(message=(
                f"DeploymentMode {mode} needs ChangeSetType UPDATE: a drift-aware change set compares the "
                f"template with the actual state of an existing stack's resources (ChangeSetType is "
                f"{change_set_type})"))
        # moto refuses an unchanged template and parameters outright ("No updates are to be
        # performed"); a drift-aware change set of them is what reverts drift
        vars(self)["_validate_different_update"] = lambda *args, **kwargs: None
        token = _mode.set(mode)
        try:
            return original(self)
        finally:
            _mode.reset(token)

    return create_change_set


def _backend_create_change_set(original: Callable[..., tuple[str, str]]) -> Callable[..., tuple[str, str]]:
    def create_change_set(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> tuple[str, str]:
        change_set_id, stack_id = original(self, *args, **kwargs)
        if _mode.get() == REVERT_DRIFT:
            _plan(self.change_sets[change_set_id])
        return change_set_id, stack_id

    return create_change_set


# -- executing it --------------------------------------------------------------------------


def _revert_eks(resource: Any, resolved: dict[str, Any], drift: dict[str, Any], stack: Stack) -> None:
    """The cluster's or nodegroup's own in-place update, to the template's resolved
    properties (what a CloudFormation update to them does: UpdateClusterConfig,
    UpdateNodegroupConfig)."""
    resource._update_in_place(copy.deepcopy(resolved))


def _revert_group(resource: Any, resolved: dict[str, Any], drift: dict[str, Any], stack: Stack) -> None:
    """A rule added by hand is revoked, a template rule revoked by hand is authorized."""
    from moto.ec2.models import ec2_backends

    from eks_templates.sandbox.drift_readers import _rule_properties, rule_identity
    from eks_templates.sandbox.ec2_rules import _rule_arguments

    ec2 = ec2_backends[stack.account_id][stack.region_name]
    group = ec2.get_security_group_from_id(str(resource.id))
    if group is None:
        raise _Refused(f"security group {resource.id} is gone")
    for difference in drift.get("PropertyDifferences") or []:
        egress = _top(difference["PropertyPath"]) == "SecurityGroupEgress"
        if difference["DifferenceType"] == "ADD":
            wanted = rule_identity(json.loads(difference["ActualValue"]), egress)
            rules = group.egress_rules if egress else group.ingress_rules
            ids = [r.id for r in rules if rule_identity(_rule_properties(r, egress), egress) == wanted]
            if ids:
                revoke = ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress
                revoke(group_name_or_id=group.id, ip_protocol="", from_port="", to_port="", ip_ranges=[],
                       security_rule_ids=ids, vpc_id=group.vpc_id)
        else:  # REMOVE: the template's rule is back
            authorize = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
            authorize(**_rule_arguments(group, json.loads(difference["ExpectedValue"]), egress))


_REVERTERS.update({
    "AWS::EKS::Cluster": _revert_eks,
    "AWS::EKS::Nodegroup": _revert_eks,
    "AWS::EC2::SecurityGroup": _revert_group,
})


def _apply(original: Callable[[ChangeSet], None]) -> Callable[[ChangeSet], None]:
    def apply(self: ChangeSet) -> None:
        original(self)
        plan = vars(self).get(_PLAN)
        if plan:
            _execute(self, plan)

    return apply


def _execute(change_set: ChangeSet, logical_ids: list[str]) -> None:
    """Put each planned resource back, with its events; a failure is the resource's
    UPDATE_FAILED and fails the update (rolled back by :mod:`.rollback`)."""
    from eks_templates.sandbox.drift import _now, _resource_drift
    from eks_templates.sandbox.patches import _snapshots
    from eks_templates.sandbox.rollback import _fail, _physical_id, resource_event

    stack = change_set.stack
    resource_map = stack.resource_map
    for logical_id in logical_ids:
        resource = resource_map._parsed_resources.get(logical_id)
        resolved = _snapshots(resource_map).get(logical_id)
        drift = _resource_drift(stack, logical_id, _now())  # as it is now, not at the change set's creation
        if drift is None or resolved is None or drift["StackResourceDriftStatus"] == "IN_SYNC":
            continue
        resource_type, physical_id = drift["ResourceType"], _physical_id(resource)
        resource_event(stack, logical_id, resource_type, "UPDATE_IN_PROGRESS", physical_id)
        try:
            refused = _refusal(drift, set())
            if refused:
                raise _Refused(refused)
            _REVERTERS[resource_type](resource, resolved, drift, stack)
        except Exception as exc:
            _fail(stack, logical_id, resource_type, "UPDATE_FAILED", exc, physical_id)
            raise
        resource_event(stack, logical_id, resource_type, "UPDATE_COMPLETE", physical_id)


_installed = False


def install() -> None:
    """Install (idempotent; after :mod:`.changes`, :mod:`.rollback` and :mod:`.drift`)."""
    global _installed
    if _installed:
        return
    _installed = True
    # Replaces: moto ignored DeploymentMode (an unchanged template: "No updates are to be performed").
    CloudFormationResponse.create_change_set = _create_change_set(  # type: ignore[method-assign,assignment]
        CloudFormationResponse.create_change_set)
    CloudFormationBackend.create_change_set = _backend_create_change_set(  # type: ignore[method-assign]
        CloudFormationBackend.create_change_set)
    ChangeSet.apply = _apply(ChangeSet.apply)  # type: ignore[method-assign,assignment]
