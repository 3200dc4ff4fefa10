"""A deployed stack of another stack plan: refuse to move resources between child stacks.

CloudFormation does not move a resource from one stack to another on an update: the
resource whose logical ID leaves ``NetworkStack`` and appears in ``ControlPlaneStack``
is created again there, and the deployed one deleted with its old stack. For a
cluster that is a second VPC, subnets, NAT gateway and security groups, and a control
plane asked to move to the new VPC's subnets, which EKS does not do (a cluster's VPC
is fixed when it is created). So ``deploy`` and ``plan`` recognise a stack deployed
with another layout (:mod:`eks_templates.stack_plan`) from the nested stacks of its
root template and refuse, naming CloudFormation's stack refactoring, which moves
resources between stacks, nested ones included, keeping them (AWS CloudFormation User
Guide, "Stack refactoring"; API ``CreateStackRefactor``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eks_templates.errors import UserError
from eks_templates.stack_plan import DEFAULT_PLAN, StackPlan

STACK_TYPE = "AWS::CloudFormation::Stack"


def nested_stacks(template: Mapping[str, Any] | None) -> set[str]:
    """Logical IDs of the ``AWS::CloudFormation::Stack`` resources of a root template."""
    resources = (template or {}).get("Resources") or {}
    return {lid for lid, body in resources.items() if isinstance(body, Mapping) and body.get("Type") == STACK_TYPE}


def moved_children(deployed_root: Mapping[str, Any] | None, new_root: Mapping[str, Any],
                   plan: StackPlan = DEFAULT_PLAN) -> list[str]:
    """The child stacks whose resources the new root would move into another child:
    children ``plan`` merges away that one of the two roots has and the other has not,
    while both have the child they merge into."""
    live, new = nested_stacks(deployed_root), nested_stacks(new_root)
    return sorted(child for child in plan.merged_away()
                  if (child in live) != (child in new) and plan.joins[child] in live & new)


def refuse_other_layout(stack_name: str, deployed_root: Mapping[str, Any] | None,
                        new_root: Mapping[str, Any], plan: StackPlan = DEFAULT_PLAN) -> None:
    """UserError (exit 2, nothing changed) when the deployed stack's children are laid out
    differently from the new root's, so resources would move between child stacks."""
    moved = moved_children(deployed_root, new_root, plan)
    if not moved:
        return
    live = nested_stacks(deployed_root)
    into = sorted({plan.joins[child] for child in moved})
    names, target = ", ".join(moved), ", ".join(into)
    if set(moved) <= live:
        first = (f"{stack_name} was deployed with the earlier layout of child stacks ({names} beside {target}); "
                 f"these templates put their resources in {target}; nothing was changed")
    else:
        first = (f"{stack_name} was deployed with {names}'s resources in {target}; these templates put them back "
                 f"in {names} (an earlier layout); nothing was changed")
    lines = [
        first,
        "CloudFormation does not move resources between stacks on an update: it would create a second VPC, "
        "subnets, NAT gateway and security groups and delete the deployed ones, and the cluster would have to "
        "move to the new VPC, which EKS does not do",
        f"to move them and keep them, use CloudFormation's stack refactoring (CreateStackRefactor: "
        f"`aws cloudformation create-stack-refactor`, which moves resources between nested stacks) from "
        f"{names} into {target}, then deploy again; or deploy this cluster with the release that created it",
    ]
    raise UserError(lines[0], messages=lines)
