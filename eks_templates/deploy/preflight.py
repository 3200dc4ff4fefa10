"""Checks against the account before a change set is made: things CloudFormation
would only find twenty minutes into a create.

The cluster name. EKS cluster names are unique in an account and region (EKS API
reference, CreateCluster: ResourceInUseException "The specified resource is in use"), so
a stack whose ``metadata.name`` is another stack's live cluster fails with "Cluster
already exists with name" after the network was made. DescribeCluster of the name
(ResourceNotFoundException: free); a cluster that is not this stack's (its
``aws:cloudformation:stack-id`` tag is not the stack or one of its nested stacks,
deploy/cluster_owner.py) is refused before anything else is looked at.

The control-plane log group. EKS keeps ``/aws/eks/<name>/cluster`` when a cluster is
deleted, and a stack that creates a log group of a name that exists fails with
"already exists" (CloudWatch Logs CreateLogGroup: ResourceAlreadyExistsException),
after the network and the security groups were created. So: for each log group the
rendered set creates under a fixed name, look it up (``DescribeLogGroups`` with the
name as prefix, exact match); if it exists and this stack does not already own it,
refuse and say the two ways out. With ``logGroup: existing`` the stack creates none;
then a missing group is worth a warning (EKS creates it itself, never expiring).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from eks_templates.config.model import ClusterConfig
from eks_templates.deploy import cluster_owner
from eks_templates.deploy.paging import items
from eks_templates.deploy.params import template_dict
from eks_templates.deploy.ui import Ui
from eks_templates.errors import UserError
from eks_templates.render import RenderedSet

LOG_GROUP = "AWS::Logs::LogGroup"
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class PlannedLogGroup:
    name: str
    #: logical ID of the child stack that holds it in the root, "" for the root itself
    stack_logical_id: str
    logical_id: str


def planned_log_groups(rendered: RenderedSet) -> list[PlannedLogGroup]:
    """Every log group the set creates under a literal ``LogGroupName``."""
    found = []
    for file_name, text in sorted(rendered.files.items()):
        template = template_dict(text) or {}
        holder = "" if file_name == rendered.root else PurePath(file_name).stem
        for logical_id, resource in sorted((template.get("Resources") or {}).items()):
            name = ((resource or {}).get("Properties") or {}).get("LogGroupName")
            if (resource or {}).get("Type") == LOG_GROUP and isinstance(name, str):
                found.append(PlannedLogGroup(name, holder, logical_id))
    return found


def describe_log_group(logs: Any, name: str) -> dict[str, Any] | None:
    """The log group called exactly ``name``, or None."""
    for group in items(logs.describe_log_groups, "logGroups", token_in="nextToken", token_out="nextToken",
                       logGroupNamePrefix=name):
        if group.get("logGroupName") == name:
            return dict(group)
    return None


def _physical_ids(cfn: Any, stack: str) -> Iterator[tuple[str, str, str]]:
    for summary in items(cfn.list_stack_resources, "StackResourceSummaries", StackName=stack):
        yield (str(summary.get("LogicalResourceId", "")), str(summary.get("ResourceType", "")),
               str(summary.get("PhysicalResourceId", "")))


def owned_by_stack(cfn: Any, stack_id: str, planned: PlannedLogGroup) -> bool:
    """Whether the deployed stack already has this log group (then the update keeps it)."""
    holder = stack_id
    if planned.stack_logical_id:
        children = {lid: physical for lid, rtype, physical in _physical_ids(cfn, stack_id) if rtype == STACK_TYPE}
        if not children.get(planned.stack_logical_id):
            return False
        holder = children[planned.stack_logical_id]
    return any(lid == planned.logical_id and rtype == LOG_GROUP and physical == planned.name
               for lid, rtype, physical in _physical_ids(cfn, holder))


def _facts(group: dict[str, Any]) -> str:
    retention = group.get("retentionInDays")
    kept = f"{retention} days" if retention else "never expire"
    size = int(group.get("storedBytes") or 0)
    key = group.get("kmsKeyId")
    facts = f"its logs {kept}, {size:,} bytes stored"
    if key:
        facts += f", encrypted with {key} (keep it only if that key is still enabled)"
    return facts


def _other_stack(aws: Any, logs: Any, group: dict[str, Any], stack_id: str | None) -> str | None:
    """The live stack, not this one, that the group's ``aws:cloudformation:stack-id`` tag
    names (CloudFormation tags what it creates, deploy/cluster_owner.py), by its root's
    name; None when untagged, the stack is gone or is this one's. A caller without
    ``logs:ListTagsForResource`` gets None."""
    from botocore.exceptions import ClientError


    arn = str(group.get("arn") or "").removesuffix(":*")
    if not arn:
        return None
    try:
        tags = logs.list_tags_for_resource(resourceArn=arn).get("tags") or {}
    except ClientError as exc:
        if "AccessDenied" in str(exc.response.get("Error", {}).get("Code", "")):
            return None
        raise
    owner = tags.get(cluster_owner.STACK_ID_TAG)
    if not owner:
        return None
    cfn = aws.client("cloudformation")
    if stack_id is not None and cluster_owner.in_family(str(owner), cluster_owner.stack_family(cfn, stack_id)):
        return None
    return cluster_owner.live_root(cfn, str(owner))


def refusal(cfg: ClusterConfig, region: str, group: dict[str, Any], planned: PlannedLogGroup, *,
            other_stack: str | None = None, live_cluster: bool = False) -> UserError:
    """``other_stack``: the stack the group's tags name (not this one); ``live_cluster``:
    this stack's cluster exists and writes to the group. Either way the group is in use
    and deleting it is never suggested."""
    name = planned.name
    keep = ("set cloudWatch.clusterLogging.logGroup: existing in the stack file; the stack then "
            "creates no log group and EKS writes to this one as it is")
    lines = [
        f"the log group {name} already exists and the stack would create it: CloudFormation would fail "
        "with 'already exists' after creating the network"
        + ("" if other_stack or live_cluster else " (EKS keeps this group when a cluster is deleted)"),
        f"  {name}: {_facts(group)}",
    ]
    if other_stack:
        lines.append(f"  it belongs to stack {other_stack} (its aws:cloudformation:stack-id tag): do not delete "
                     f"it; {keep}, or choose another metadata.name")
    elif live_cluster:
        lines.append(f"  it holds the logs of the running cluster {cfg.metadata.name}: do not delete it; {keep}")
    else:
        lines += [
            f"  either delete it: aws logs delete-log-group --region {region} --log-group-name {name}",
            f"  or keep it: {keep}",
        ]
    lines.append("nothing was changed")
    return UserError(lines[0], messages=lines)


def check_cluster_name(aws: Any, cfg: ClusterConfig, *, stack_id: str | None, ui: Ui) -> bool:
    """Refuse (UserError) when an EKS cluster called ``metadata.name`` exists and is not
    this stack's (``stack_id``: the deployed stack on an update, None on a create).
    Returns whether this stack's cluster exists. A caller without ``eks:DescribeCluster``
    gets a warning and the deploy goes on."""
    from botocore.exceptions import ClientError

    name = cfg.metadata.name
    try:
        cluster = dict(aws.client("eks").describe_cluster(name=name)["cluster"])
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code == "ResourceNotFoundException":
            return False  # the name is free
        if "AccessDenied" not in code:
            raise
        ui.warn(f"could not check whether the cluster name {name} is taken ({code}: {error.get('Message', '')}); "
                "a cluster of that name made elsewhere makes the create fail")
        return False
    cfn = aws.client("cloudformation")
    if stack_id is not None and cluster_owner.is_stacks(cfn, cluster, stack_id):
        return True
    lines = [
        f"the cluster name {name} (metadata.name) is taken in {aws.region}: its cluster was made "
        f"{cluster_owner.whose(cfn, cluster)}; EKS cluster names are unique in a region, and "
        "CloudFormation would fail with 'Cluster already exists' after creating the network",
        f"  choose another metadata.name in the stack file for stack {cfg.stack_name}",
        "nothing was changed",
    ]
    raise UserError(lines[0], messages=lines)


def check_log_groups(aws: Any, cfg: ClusterConfig, rendered: RenderedSet, *, stack_id: str | None,
                     ui: Ui, live_cluster: bool = False) -> None:
    """Refuse (UserError) when a log group the set creates exists outside this stack;
    ``stack_id`` is the deployed stack on an update, None on a create; ``live_cluster``:
    this stack's cluster exists (:func:`check_cluster_name`). A caller without
    ``logs:DescribeLogGroups`` gets a warning and the deploy goes on."""
    from botocore.exceptions import ClientError

    logs = aws.client("logs")
    planned = planned_log_groups(rendered)
    logging = cfg.cloud_watch.cluster_logging
    try:
        for item in planned:
            group = describe_log_group(logs, item.name)
            if group is None:
                continue
            if stack_id is not None and owned_by_stack(aws.client("cloudformation"), stack_id, item):
                continue
            raise refusal(cfg, aws.region, group, item, other_stack=_other_stack(aws, logs, group, stack_id),
                          live_cluster=live_cluster)
        if not planned and logging.log_group == "existing" and logging.enable_types:
            name = f"/aws/eks/{cfg.metadata.name}/cluster"
            if describe_log_group(logs, name) is None:
                ui.warn(f"cloudWatch.clusterLogging.logGroup is existing, but there is no log group {name}: EKS "
                        "creates it itself, with no retention (logs never expire) and no KMS key; set "
                        "logGroup: create to have the stack make it")
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if "AccessDenied" not in str(error.get("Code", "")):
            raise
        ui.warn(f"could not check for an existing control-plane log group ({error.get('Code')}: "
                f"{error.get('Message', '')}); a log group left by an earlier cluster makes the create fail")
