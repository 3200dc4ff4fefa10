"""Checks against the account before a change set is made: things CloudFormation
would only find twenty minutes into a create.

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


def refusal(cfg: ClusterConfig, region: str, group: dict[str, Any], planned: PlannedLogGroup) -> UserError:
    name = planned.name
    lines = [
        f"the log group {name} already exists and the stack would create it: CloudFormation would fail "
        "with 'already exists' after creating the network (EKS keeps this group when a cluster is deleted)",
        f"  {name}: {_facts(group)}",
        f"  either delete it: aws logs delete-log-group --region {region} --log-group-name {name}",
        "  or keep it: set cloudWatch.clusterLogging.logGroup: existing in the stack file; the stack then "
        "creates no log group and EKS writes to this one as it is",
        "nothing was changed",
    ]
    return UserError(lines[0], messages=lines)


def check_log_groups(aws: Any, cfg: ClusterConfig, rendered: RenderedSet, *, stack_id: str | None,
                     ui: Ui) -> None:
    """Refuse (UserError) when a log group the set creates exists outside this stack;
    ``stack_id`` is the deployed stack on an update, None on a create. A caller without
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
            raise refusal(cfg, aws.region, group, item)
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
