"""``get clusters`` and ``get nodegroups``: what this tool deployed, read from
CloudFormation and EKS together, as rows for a table, JSON or YAML.

The calls are bounded: ``clusters`` makes one paginated DescribeStacks for the region
(every stack, with its tags, status and outputs) and one EKS DescribeCluster per cluster
found; ``nodegroups`` one DescribeStacks, a paginated ListStackResources of the root, one
DescribeCluster and a paginated EKS ListNodegroups, then one DescribeNodegroup per
nodegroup (EKS has no batch form). A cluster of the stack's name is the stack's only when
its ``aws:cloudformation:stack-id`` tag is the root or one of its nested stacks
(deploy/cluster_owner.py): cluster names are unique in a region, and a stack that failed
with "already exists" names another stack's cluster; that one is shown as no cluster
(``-``), its nodegroups not at all. A stack is this tool's when it carries the tag ``deploy`` puts on it
(:data:`~eks_templates.names.STACK_TAG_CLUSTER`) and is a root (no ``ParentId``):
CloudFormation copies a root's tags to its nested stacks.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eks_templates.deploy import cluster_owner
from eks_templates.deploy.outputs import stack_outputs
from eks_templates.deploy.paging import items
from eks_templates.deploy.params import live_parameters
from eks_templates.deploy.stack_state import describe_stack
from eks_templates.errors import UserError
from eks_templates.names import (
    OUTPUT_CLUSTER_NAME,
    STACK_TAG_CLUSTER,
    nodegroup_scaling_parameter,
    nodegroup_stack,
    parse_scaling,
)

#: what a column shows when AWS has nothing for it (the cluster not created yet, ...)
NONE = "-"


@dataclass(frozen=True)
class ClusterRow:
    stack: str
    cluster: str
    stack_status: str
    cluster_status: str
    version: str
    endpoint_public: bool | None
    endpoint_private: bool | None
    public_access_cidrs: tuple[str, ...]
    last_update: str

    @property
    def endpoint_access(self) -> str:
        """``public (203.0.113.0/24) + private``, ``private``, ... as the table shows it."""
        if self.endpoint_public is None and self.endpoint_private is None:
            return NONE
        parts = []
        if self.endpoint_public:
            parts.append(f"public ({', '.join(self.public_access_cidrs)})" if self.public_access_cidrs else "public")
        if self.endpoint_private:
            parts.append("private")
        return " + ".join(parts) or "none"


@dataclass(frozen=True)
class NodegroupRow:
    name: str
    status: str
    instance_types: tuple[str, ...]
    capacity_type: str
    desired: int | None
    minimum: int | None
    maximum: int | None
    version: str
    release_version: str
    ami_type: str
    #: the nested stack that manages it (``Nodegroup<Name>Stack``), or "-" when the stack has none
    stack: str
    stack_status: str
    #: the root's ``desired,min,max`` parameter for it (what the templates ask for)
    stack_scaling: str


def _time(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value) if value else NONE


def _not_found(exc: Any) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) == "ResourceNotFoundException"


def _tags(stack: Mapping[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in stack.get("Tags") or []}


# --------------------------------------------------------------------------- clusters


def our_root_stacks(cfn: Any, stacks: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every root stack of the region that ``deploy`` made (by its tag), by name
    (``stacks``: DescribeStacks' answer when the caller has it)."""
    listed = items(cfn.describe_stacks, "Stacks") if stacks is None else stacks
    found = [dict(s) for s in listed
             if STACK_TAG_CLUSTER in _tags(s) and not s.get("ParentId")
             and s.get("StackStatus") != "DELETE_COMPLETE"]
    return sorted(found, key=lambda s: str(s["StackName"]))


def list_clusters(cfn: Any, eks: Any) -> list[ClusterRow]:
    from botocore.exceptions import ClientError

    stacks = [dict(s) for s in items(cfn.describe_stacks, "Stacks")]
    # each stack's root (RootId on a nested one): whose the cluster's stack-id tag is
    root_of = {str(s["StackId"]): str(s.get("RootId") or s["StackId"]) for s in stacks}
    rows = []
    for stack in our_root_stacks(cfn, stacks):
        name = stack_outputs(stack).get(OUTPUT_CLUSTER_NAME) or _tags(stack)[STACK_TAG_CLUSTER]
        try:
            cluster = eks.describe_cluster(name=name)["cluster"]
        except ClientError as exc:
            if not _not_found(exc):
                raise
            cluster = {}  # not created yet, or gone
        family = {sid for sid, root in root_of.items() if root == str(stack["StackId"])}
        if cluster and not cluster_owner.held_by(cluster, family):
            cluster = {}  # another stack's cluster of the same name: this one has none
        vpc = cluster.get("resourcesVpcConfig") or {}
        rows.append(ClusterRow(
            stack=str(stack["StackName"]),
            cluster=name,
            stack_status=str(stack["StackStatus"]),
            cluster_status=str(cluster.get("status") or NONE),
            version=str(cluster.get("version") or NONE),
            endpoint_public=vpc.get("endpointPublicAccess") if vpc else None,
            endpoint_private=vpc.get("endpointPrivateAccess") if vpc else None,
            public_access_cidrs=tuple(vpc.get("publicAccessCidrs") or ()) if vpc.get("endpointPublicAccess") else (),
            last_update=_time(stack.get("LastUpdatedTime") or stack.get("CreationTime")),
        ))
    return rows


# --------------------------------------------------------------------------- nodegroups


def list_nodegroups(cfn: Any, eks: Any, stack_name: str, region: str, *,
                    file_nodegroups: Sequence[str] = ()) -> list[NodegroupRow]:
    """The nodegroups of the cluster that stack ``stack_name`` holds: each EKS nodegroup
    (with the nested stack that manages it, if any) and each nodegroup stack EKS has no
    nodegroup for (being created, failed). ``file_nodegroups`` (the stack file's names)
    name the latter. Unknown stack: UserError (exit 2)."""
    from botocore.exceptions import ClientError

    root = describe_stack(cfn, stack_name)
    if root is None or root.get("StackStatus") == "DELETE_COMPLETE":
        raise UserError(f"stack {stack_name} does not exist in {region}")
    cluster = stack_outputs(root).get(OUTPUT_CLUSTER_NAME) or _tags(root).get(STACK_TAG_CLUSTER) or stack_name
    summaries = [r for r in items(cfn.list_stack_resources, "StackResourceSummaries", StackName=str(root["StackId"]))
                 if r.get("ResourceType") == "AWS::CloudFormation::Stack"]
    nested = {str(r["LogicalResourceId"]): str(r.get("ResourceStatus") or NONE) for r in summaries}
    family = {str(root["StackId"])} | {str(r["PhysicalResourceId"]) for r in summaries if r.get("PhysicalResourceId")}
    live = live_parameters(root)
    names: list[str] = []  # no cluster (yet), or another stack's of the same name: only the stack's side
    try:
        if cluster_owner.held_by(eks.describe_cluster(name=cluster)["cluster"], family):
            names = [str(n) for n in items(eks.list_nodegroups, "nodegroups", token_in="nextToken",
                                           token_out="nextToken", clusterName=cluster)]
    except ClientError as exc:
        if not _not_found(exc):
            raise
    rows = []
    for name in sorted(names):
        try:
            ng = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
        except ClientError as exc:
            if not _not_found(exc):
                raise
            continue  # deleted between the two calls
        scaling = ng.get("scalingConfig") or {}
        logical = nodegroup_stack(name)
        rows.append(NodegroupRow(
            name=name,
            status=str(ng.get("status") or NONE),
            instance_types=tuple(ng.get("instanceTypes") or ()),
            capacity_type=str(ng.get("capacityType") or NONE),
            desired=scaling.get("desiredSize"),
            minimum=scaling.get("minSize"),
            maximum=scaling.get("maxSize"),
            version=str(ng.get("version") or NONE),
            release_version=str(ng.get("releaseVersion") or NONE),
            ami_type=str(ng.get("amiType") or NONE),
            stack=logical if logical in nested else NONE,
            stack_status=nested.get(logical, NONE),
            stack_scaling=_stack_scaling(live, name) if logical in nested else NONE,
        ))
    listed = {nodegroup_stack(r.name) for r in rows}
    by_stack = {nodegroup_stack(n): n for n in file_nodegroups}
    for logical, status in sorted(nested.items()):
        if logical.startswith("Nodegroup") and logical not in listed:
            file_name = by_stack.get(logical, logical)
            rows.append(NodegroupRow(
                name=file_name, status=NONE, instance_types=(), capacity_type=NONE, desired=None, minimum=None,
                maximum=None, version=NONE, release_version=NONE, ami_type=NONE, stack=logical,
                stack_status=status, stack_scaling=_stack_scaling(live, file_name),
            ))
    return rows


def _stack_scaling(live: Mapping[str, str], name: str) -> str:
    value = live.get(nodegroup_scaling_parameter(name))
    if value is None:
        return NONE
    try:
        desired, minimum, maximum = parse_scaling(value)
    except ValueError:
        return value
    return f"{desired}/{minimum}/{maximum}"


# --------------------------------------------------------------------------- output


def _cell(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, tuple):
        return ",".join(value) or NONE
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell, two spaces apart (as eksctl prints them)."""
    cells = [list(headers), *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells)


def cluster_table(rows: Sequence[ClusterRow]) -> str:
    return table(("NAME", "CLUSTER", "STACK STATUS", "CLUSTER STATUS", "VERSION", "ENDPOINT ACCESS", "LAST UPDATE"),
                 [(r.stack, r.cluster, r.stack_status, r.cluster_status, r.version, r.endpoint_access,
                   r.last_update) for r in rows])


def nodegroup_table(rows: Sequence[NodegroupRow]) -> str:
    return table(("NODEGROUP", "STATUS", "INSTANCE TYPES", "CAPACITY", "DESIRED", "MIN", "MAX", "VERSION",
                  "AMI RELEASE", "STACK"),
                 [(r.name, r.status, r.instance_types, r.capacity_type, r.desired, r.minimum, r.maximum, r.version,
                   r.release_version, f"{r.stack} ({r.stack_status})" if r.stack != NONE else NONE)
                  for r in rows])


def _record(row: ClusterRow | NodegroupRow) -> dict[str, Any]:
    """A row as JSON/YAML: camelCase keys as the AWS APIs name them, lists as lists."""
    data = asdict(row)
    if isinstance(row, ClusterRow):
        return {
            "name": data["stack"], "cluster": data["cluster"], "stackStatus": data["stack_status"],
            "clusterStatus": data["cluster_status"], "version": data["version"],
            "endpointPublicAccess": data["endpoint_public"], "endpointPrivateAccess": data["endpoint_private"],
            "publicAccessCidrs": list(data["public_access_cidrs"]), "lastUpdate": data["last_update"],
        }
    return {
        "name": data["name"], "status": data["status"], "instanceTypes": list(data["instance_types"]),
        "capacityType": data["capacity_type"],
        "scalingConfig": {"desiredSize": data["desired"], "minSize": data["minimum"], "maxSize": data["maximum"]},
        "version": data["version"], "releaseVersion": data["release_version"], "amiType": data["ami_type"],
        "stack": data["stack"], "stackStatus": data["stack_status"], "stackScaling": data["stack_scaling"],
    }


def render(rows: Sequence[ClusterRow] | Sequence[NodegroupRow], fmt: str, *, empty: str) -> str:
    """``rows`` as ``table`` (``empty`` when there are none), ``json`` or ``yaml``."""
    if fmt == "json":
        return json.dumps([_record(r) for r in rows], indent=2)
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump([_record(r) for r in rows], sort_keys=False, default_flow_style=False).rstrip()
    if not rows:
        return empty
    if isinstance(rows[0], ClusterRow):
        return cluster_table([r for r in rows if isinstance(r, ClusterRow)])
    return nodegroup_table([r for r in rows if isinstance(r, NodegroupRow)])
