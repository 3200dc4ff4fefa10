"""Whose is the EKS cluster of a name: the stack that made it, from the tags CloudFormation
puts on it.

EKS cluster names are unique per account and region (CreateCluster:
ResourceInUseException, "The specified resource is in use"), and two stack files can
name the same ``metadata.name``. A stack's cluster is the one whose
``aws:cloudformation:stack-id`` tag is the stack or one of its nested stacks
(CloudFormation template reference, "CloudFormation resource tagging": "CloudFormation
automatically creates the following stack-level tags with the aws: prefix:
aws:cloudformation:logical-id, aws:cloudformation:stack-id, aws:cloudformation:stack-name";
the ``aws:`` tags cannot be changed or deleted). The cluster is in ``ControlPlaneStack``,
so the tag names that child; a cluster with no such tag was not made by CloudFormation,
so it is no stack's. Nothing here makes a call of its own but :func:`stack_family` (one
paginated ListStackResources) and :func:`owner_root` (one DescribeStacks).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from eks_templates.deploy.paging import items

STACK_ID_TAG = "aws:cloudformation:stack-id"
STACK_NAME_TAG = "aws:cloudformation:stack-name"
STACK_TYPE = "AWS::CloudFormation::Stack"


def tagged_stack_id(cluster: Mapping[str, Any]) -> str | None:
    """The stack that holds the cluster (DescribeCluster's ``tags``), or None."""
    value = (cluster.get("tags") or {}).get(STACK_ID_TAG)
    return str(value) if value else None


def in_family(owner: str | None, stack_ids: Collection[str]) -> bool:
    """Whether the stack ``owner`` (an ``aws:cloudformation:stack-id`` tag) is one of
    ``stack_ids`` (a root and its nested stacks)."""
    # a nested stack's PhysicalResourceId is its stack ID in CloudFormation; moto 5.2.5's
    # ListStackResources gives its name instead, so a name in ``stack_ids`` matches too
    # (stack names are unique among a region's live stacks)
    return owner is not None and (owner in stack_ids or stack_name_of(owner) in stack_ids)


def held_by(cluster: Mapping[str, Any], stack_ids: Collection[str]) -> bool:
    """Whether one of ``stack_ids`` (a root and its nested stacks) holds the cluster."""
    return in_family(tagged_stack_id(cluster), stack_ids)


def is_stacks(cfn: Any, cluster: Mapping[str, Any], root_id: str) -> bool:
    """Whether the root stack ``root_id`` or one of its nested stacks holds the cluster."""
    return held_by(cluster, stack_family(cfn, root_id))


def stack_family(cfn: Any, root_id: str) -> set[str]:
    """The root's id and its nested stacks' (ListStackResources of the root)."""
    family = {root_id}
    for summary in items(cfn.list_stack_resources, "StackResourceSummaries", StackName=root_id):
        if summary.get("ResourceType") == STACK_TYPE and summary.get("PhysicalResourceId"):
            family.add(str(summary["PhysicalResourceId"]))
    return family


def stack_name_of(stack_id: str) -> str:
    """``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>`` -> name."""
    return stack_id.split(":stack/", 1)[-1].split("/", 1)[0]


def owner_root(cfn: Any, cluster: Mapping[str, Any]) -> str | None:
    """The name of the live root stack that holds the cluster, or None (no tag, or the
    stack is gone): DescribeStacks of the tagged stack, its ``RootId`` for a nested one."""
    return live_root(cfn, tagged_stack_id(cluster))


def live_root(cfn: Any, owner: str | None) -> str | None:
    """The name of the live root stack of the stack ``owner`` (a tag's stack ID), or None
    (no tag, or the stack is gone)."""
    from eks_templates.deploy.stack_state import describe_stack

    if owner is None:
        return None
    stack = describe_stack(cfn, owner)
    if stack is None or stack.get("StackStatus") == "DELETE_COMPLETE":
        return None
    return stack_name_of(str(stack.get("RootId") or stack.get("StackId") or owner))


def whose(cfn: Any, cluster: Mapping[str, Any]) -> str:
    """``by stack NAME`` / ``outside CloudFormation (...)``: how the cluster was made, for a message."""
    root = owner_root(cfn, cluster)
    if root is not None:
        return f"by stack {root}"
    tagged = (cluster.get("tags") or {}).get(STACK_NAME_TAG)
    if tagged:
        return f"by stack {tagged}, which no longer exists (the cluster was left behind)"
    return "outside CloudFormation (it has no aws:cloudformation:stack-id tag)"
