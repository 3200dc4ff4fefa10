"""Stack safety: the stack policy that stops an update from replacing the cluster
or a nodegroup, and termination protection.

A stack policy protects only the resources of the stack it is set on, and the
cluster and nodegroups live in nested stacks; so the same policy goes on the root
and on every nested stack. It allows every update except ``Update:Replace`` of the
protected types. A change set cannot carry a temporary policy (ExecuteChangeSet has
no StackPolicyDuringUpdateBody), so ``--allow-replacement`` sets an allow-all policy
before executing and puts the protective one back when the stack has settled.

Termination protection is set on the root (nested stacks follow their root). moto
does not implement it; that is reported as a warning, not a failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eks_templates.deploy.paging import items
from eks_templates.deploy.ui import Ui

PROTECTED_TYPES = ("AWS::EKS::Cluster", "AWS::EKS::Nodegroup")
STACK_TYPE = "AWS::CloudFormation::Stack"


def protective_policy() -> dict[str, Any]:
    return {"Statement": [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "Update:Replace", "Principal": "*", "Resource": "*",
         "Condition": {"StringEquals": {"ResourceType": list(PROTECTED_TYPES)}}},
    ]}


def allow_all_policy() -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class StackNode:
    """One stack of a tree: where it is (``root`` or ``root/ChildLogicalId[/...]``, as the
    change-set view labels it), its physical ID and its ListStackResources summaries."""

    label: str
    stack_id: str
    resources: tuple[dict[str, Any], ...] = ()


def walk_stacks(cfn: Any, stack: str, *, label: str | None = None, _depth: int = 0) -> list[StackNode]:
    """``stack`` and all its nested stacks, parents first, each with its resources
    (one ListStackResources per stack)."""
    label = label or stack
    if _depth >= 5:
        return [StackNode(label, stack)]
    summaries = tuple(items(cfn.list_stack_resources, "StackResourceSummaries", StackName=stack))
    found = [StackNode(label, stack, summaries)]
    for summary in summaries:
        physical = summary.get("PhysicalResourceId")
        if summary.get("ResourceType") == STACK_TYPE and physical and \
                not str(summary.get("ResourceStatus", "")).startswith("DELETE"):
            found += walk_stacks(cfn, str(physical), label=f"{label}/{summary.get('LogicalResourceId')}",
                                 _depth=_depth + 1)
    return found


def stack_tree(cfn: Any, stack: str) -> list[str]:
    """``stack`` and all its nested stacks (physical IDs), parents first."""
    return [node.stack_id for node in walk_stacks(cfn, stack)]


def _current(cfn: Any, stack: str) -> dict[str, Any] | None:
    body = cfn.get_stack_policy(StackName=stack).get("StackPolicyBody")
    if not body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def apply_policy(cfn: Any, stacks: list[str], policy: dict[str, Any]) -> list[str]:
    """Set ``policy`` on each stack that does not have it yet; returns those changed."""
    changed = []
    for stack in stacks:
        if _current(cfn, stack) != policy:
            cfn.set_stack_policy(StackName=stack, StackPolicyBody=json.dumps(policy))
            changed.append(stack)
    return changed


def protect(cfn: Any, root: str, ui: Ui) -> list[str]:
    changed = apply_policy(cfn, stack_tree(cfn, root), protective_policy())
    if changed:
        ui.say(f"Stack policy: replacing {' or '.join(PROTECTED_TYPES)} is denied on {len(changed)} stack(s)")
    return changed


def relax(cfn: Any, root: str, ui: Ui) -> list[str]:
    changed = apply_policy(cfn, stack_tree(cfn, root), allow_all_policy())
    ui.say(f"Stack policy: replacements allowed for this update (--allow-replacement) on {len(changed)} stack(s); "
           "the protective policy is put back when the stack settles")
    return changed


def set_termination_protection(cfn: Any, stack: str, enabled: bool, ui: Ui, *, label: str = "") -> bool:
    """Turn termination protection on or off; False (with a warning) if the endpoint
    cannot (moto raises NotImplementedError, or a 500 in server mode)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        cfn.update_termination_protection(StackName=stack, EnableTerminationProtection=enabled)
    except (NotImplementedError, BotoCoreError, ClientError) as exc:
        state = "on" if enabled else "off"
        flag = "--enable-termination-protection" if enabled else "--no-enable-termination-protection"
        ui.warn(f"could not turn termination protection {state} for {label or stack} ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); do it with `aws cloudformation "
                f"update-termination-protection {flag} --stack-name {label or stack}`")
        return False
    ui.say(f"Termination protection is {'on' if enabled else 'off'} for {label or stack}")
    return True
