"""Stack safety: the stack policy that stops an update from replacing the cluster
or a nodegroup, and termination protection.

A stack policy protects only the resources of the stack it is set on, and the
cluster and nodegroups live in nested stacks; so the same policy goes on the root
and on every nested stack. It allows every update except ``Update:Replace`` of the
protected types. A change set cannot carry a temporary policy (ExecuteChangeSet has
no StackPolicyDuringUpdateBody), so ``--allow-replacement`` sets an allow-all policy
before executing and puts the protective one back when the stack has settled.

Policies are set when the templates change - by the deploy that executes a change
set, once it has settled - and are not read again on every run: a redeploy with
nothing to do reads only the root's policy (one call, however many nested stacks).
That one call is enough because the root's policy is set last: the children get
theirs first (:func:`protect`), and before a deploy executes, the root of a nested
set is marked as "not yet protected" with the allow-all policy (:func:`mark_pending`).
On such a root that loses nothing: its resources are nested stacks only, and the
protective policy denies nothing but the replacement of EKS clusters and nodegroups.
So a deploy interrupted between executing and protecting (Ctrl-C while watching, a
lost connection) leaves a root that is not protective, and the next run sets every
policy again (:func:`ensure_protected`). A root that holds protected resources
itself (a flat set) has no nested stacks and is never marked.

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
    """Set ``policy`` on each stack, in order (SetStackPolicy replaces a stack's policy:
    setting it again is harmless, and reading it first would cost as many calls)."""
    body = json.dumps(policy)
    for stack in stacks:
        cfn.set_stack_policy(StackName=stack, StackPolicyBody=body)
    return list(stacks)


def holds_protected(template: Any) -> bool:
    """The template itself has a resource of a protected type (a flat set's root)."""
    resources = template.get("Resources") if isinstance(template, dict) else None
    return any(isinstance(r, dict) and r.get("Type") in PROTECTED_TYPES for r in (resources or {}).values())


def is_protected(cfn: Any, root: str) -> bool:
    """The root carries the protective policy: the last run that changed the templates
    finished setting every stack's policy (the root's is set last)."""
    return _current(cfn, root) == protective_policy()


def mark_pending(cfn: Any, root: str, root_template: Any) -> bool:
    """Before executing a deploy's change set: mark the root as not yet protected (see
    the module docstring), unless it holds protected resources itself."""
    if holds_protected(root_template):
        return False
    apply_policy(cfn, [root], allow_all_policy())
    return True


def protect(cfn: Any, root: str, ui: Ui) -> list[str]:
    """The protective policy on every nested stack, then on the root."""
    tree = stack_tree(cfn, root)
    changed = apply_policy(cfn, tree[1:] + tree[:1], protective_policy())
    ui.say(f"Stack policy: replacing {' or '.join(PROTECTED_TYPES)} is denied on {len(changed)} stack(s)")
    return changed


def ensure_protected(cfn: Any, root: str, ui: Ui) -> list[str]:
    """A run with nothing to deploy: one read of the root's policy; every policy again
    only if the last run that changed the templates did not get to set them."""
    if is_protected(cfn, root):
        return []
    ui.say("Stack policy: the last deploy did not finish setting it (interrupted, or --allow-replacement); "
           "setting it now")
    return protect(cfn, root, ui)


def relax(cfn: Any, root: str, ui: Ui) -> list[str]:
    """Allow-all on the root first (it marks the set as not protected), then the rest."""
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
