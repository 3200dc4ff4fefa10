"""A deployed stack of another stack plan: refuse to move resources between child stacks.

CloudFormation does not move a resource from one stack to another on an update: the
resource whose logical ID leaves ``NetworkStack`` and appears in ``ControlPlaneStack``
is created again there, and the deployed one deleted with its old stack. For a
cluster that is a second VPC, subnets, NAT gateway and security groups, and a control
plane asked to move to the new VPC's subnets, which EKS does not do (a cluster's VPC
is fixed when it is created). So ``deploy`` and ``plan`` recognise a stack deployed
with another layout (:mod:`eks_templates.stack_plan`) from the nested stacks of its
root template and refuse, naming the ways to keep the cluster on its layout. Not
CloudFormation's stack refactoring (``CreateStackRefactor``), which moves resources
between stacks, nested ones included: it refuses a stack with a stack policy, whatever
the policy allows, and ``deploy`` sets one on every stack; and it cannot move a resource
that uses ``AWS::StackName`` when the value differs between the two stacks, as the
``Name`` tags (``${AWS::StackName}/...``) do (AWS CloudFormation User Guide, "Stack
refactoring", considerations).

The Fargate profiles left ``ControlPlaneStack`` for ``FargateStack`` later. A root alone
cannot tell that move from a cluster that had no profiles (neither has a
``FargateStack``), and the move fails on a name, not on a VPC: CloudFormation would
create each profile in ``FargateStack`` while ``ControlPlaneStack``'s, deleted only in the
update's cleanup, still exists, and EKS refuses a second profile of the same name
(``ResourceInUseException``: "A Fargate Profile already exists with this name in this
cluster", CreateFargateProfile) and the update rolls back. So when the new root has a
``FargateStack`` and the deployed one has none, ``deploy`` reads the deployed
``ControlPlaneStack``'s template (one S3 ``GetObject``: the deployed root names it by its
``TemplateURL``, whose key is the template's sha256, so the object is what CloudFormation
was given) and refuses when it holds one of the new profiles. A profile made outside the
stack is not this move: CloudFormation's own failure reports it. When that object is gone
(deleted by hand) the cluster's profiles are read instead (``ListFargateProfiles``; a
cluster has at most 10, EKS service quotas, so one page). Stack
refactoring is no way out here: it refuses stacks with a stack policy, which ``deploy``
sets, and resources that use ``AWS::StackName`` whose value differs between the stacks,
as the pod execution role's ``Name`` tag does (User Guide, "Stack refactoring",
considerations). Profiles are immutable and replaced by creating the new one first
(CreateFargateProfile), which a new name allows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from eks_templates.errors import UserError
from eks_templates.names import CONTROL_PLANE_STACK, FARGATE_STACK
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


def fargate_may_move(deployed_root: Mapping[str, Any] | None, new_root: Mapping[str, Any]) -> bool:
    """The new root has a ``FargateStack`` and the deployed root, with a ``ControlPlaneStack``,
    has none: the deployed profiles, if there are any, are ``ControlPlaneStack``'s."""
    live = nested_stacks(deployed_root)
    return FARGATE_STACK in nested_stacks(new_root) and FARGATE_STACK not in live and CONTROL_PLANE_STACK in live


def held_fargate_profiles(template: Mapping[str, Any] | None) -> list[str]:
    """The ``FargateProfileName`` of every ``AWS::EKS::FargateProfile`` of a template."""
    resources = (template or {}).get("Resources") or {}
    return sorted(str(body["Properties"]["FargateProfileName"]) for body in resources.values()
                  if isinstance(body, Mapping) and body.get("Type") == "AWS::EKS::FargateProfile"
                  and isinstance((body.get("Properties") or {}).get("FargateProfileName"), str))


def deployed_child_template(s3: Any, bucket: str, prefix: str, deployed_root: Mapping[str, Any] | None,
                            child: str) -> dict[str, Any] | None:
    """The template the deployed root's ``child`` was created from: its ``TemplateURL``'s
    object (``<prefix>/<sha256>.json``, deploy/package.py) in ``bucket``, one ``GetObject``;
    None when it is gone or is not the template its key names."""
    import json

    from botocore.exceptions import ClientError

    from eks_templates.deploy import package

    body = (((deployed_root or {}).get("Resources") or {}).get(child) or {}).get("Properties") or {}
    url = body.get("TemplateURL")
    if not isinstance(url, str) or not url.endswith(".json"):
        return None
    digest = url.rsplit("/", 1)[-1].removesuffix(".json")
    try:
        data = s3.get_object(Bucket=bucket, Key=package.object_key(prefix, digest))["Body"].read()
    except ClientError as exc:
        if package.missing(exc):
            return None
        raise
    if package.sha256(data) != digest:
        return None
    parsed = json.loads(data)
    return parsed if isinstance(parsed, dict) else None


def live_fargate_profiles(eks: Any, cluster_name: str) -> list[str]:
    """The names of the cluster's Fargate profiles (one ``ListFargateProfiles``; none when
    the cluster is not there)."""
    from botocore.exceptions import ClientError

    from eks_templates.deploy.paging import items

    try:
        return [str(name) for name in items(eks.list_fargate_profiles, "fargateProfileNames",
                                             token_in="nextToken", token_out="nextToken", clusterName=cluster_name)]
    except ClientError as exc:
        if (exc.response.get("Error") or {}).get("Code") != "ResourceNotFoundException":
            raise
        return []


def refuse_other_layout(stack_name: str, deployed_root: Mapping[str, Any] | None,
                        new_root: Mapping[str, Any], plan: StackPlan = DEFAULT_PLAN, *,
                        fargate_profiles: Collection[str] = (),
                        live_profiles: Callable[[], Iterable[str]] | None = None) -> None:
    """UserError (exit 2, nothing changed) when the deployed stack's children are laid out
    differently from the new root's, so resources would move between child stacks.

    ``fargate_profiles``: the names of the new set's Fargate profiles; ``live_profiles``
    reads the cluster's (called only when :func:`fargate_may_move`)."""
    moved = moved_children(deployed_root, new_root, plan)
    if not moved:
        _refuse_fargate_move(stack_name, deployed_root, new_root, fargate_profiles, live_profiles)
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
        "CloudFormation's stack refactoring cannot move them either: it refuses a stack with a stack policy, "
        "which deploy sets on every stack, and resources whose Name tags use AWS::StackName",
        "keep this cluster on its layout: deploy it with the release that created it, or from Python with "
        "the earlier layout rendered: flow.deploy(ctx, config, options, rendered=render_set(config, "
        "plan=stack_plan.ONE_PER_BUILDER))",
    ]
    raise UserError(lines[0], messages=lines)


def _refuse_fargate_move(stack_name: str, deployed_root: Mapping[str, Any] | None, new_root: Mapping[str, Any],
                         fargate_profiles: Collection[str], live_profiles: Callable[[], Iterable[str]] | None) -> None:
    if live_profiles is None or not fargate_profiles or not fargate_may_move(deployed_root, new_root):
        return
    clash = sorted(set(fargate_profiles) & set(live_profiles()))
    if not clash:  # no profiles before (or none of these names): FargateStack creates them
        return
    names = ", ".join(clash)
    profiles, exist = ("profiles", "exist") if len(clash) > 1 else ("profile", "exists")
    lines = [
        f"{stack_name} was deployed with the earlier layout of child stacks (the Fargate profiles in "
        f"{CONTROL_PLANE_STACK}: {names}); these templates put them in {FARGATE_STACK}; nothing was changed",
        f"CloudFormation does not move resources between stacks on an update: it would create the Fargate {profiles} "
        f"{names} again in {FARGATE_STACK} while {CONTROL_PLANE_STACK}'s still {exist}, which EKS refuses "
        "(ResourceInUseException: "
        "\"A Fargate Profile already exists with this name in this cluster\"), and roll the update back",
        "to move them, give each of these profiles a new name (fargateProfiles[].name) and deploy again: "
        f"CloudFormation creates the renamed profiles in {FARGATE_STACK}, then deletes {CONTROL_PLANE_STACK}'s, "
        "and EKS deletes the pods an old profile scheduled, which their controllers start again through the new "
        "profile that selects them; or deploy this cluster with the release that created it",
    ]
    raise UserError(lines[0], messages=lines)
