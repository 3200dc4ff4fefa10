"""The live cluster and nodegroups (EKS DescribeCluster, DescribeNodegroup) against
their templates: endpoint access and public CIDRs, control-plane logging and version;
each nodegroup's scaling, version, labels and taints.

Where a template leaves a property out, EKS's documented default is what it expects
(EKS API reference, VpcConfigRequest: ``endpointPublicAccess`` defaults to true,
``endpointPrivateAccess`` to false, ``publicAccessCidrs`` to ``0.0.0.0/0``; logging: every
type disabled unless enabled).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from eks_templates import program
from eks_templates.deploy.drift_cfn import StackInfo
from eks_templates.deploy.drift_model import REVERT_CHANGE_SET, Difference, Finding, Resolver, show

CLUSTER_TYPE = "AWS::EKS::Cluster"
NODEGROUP_TYPE = "AWS::EKS::Nodegroup"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


@dataclass
class Live:
    """What EKS says, read once per cluster / nodegroup (the security-group side needs
    the cluster's security group ID too)."""

    eks: Any
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)

    def cluster(self, name: str) -> dict[str, Any] | None:
        if name not in self.clusters:
            from botocore.exceptions import ClientError

            try:
                self.clusters[name] = dict(self.eks.describe_cluster(name=name)["cluster"])
            except ClientError as exc:
                if (exc.response.get("Error") or {}).get("Code") != "ResourceNotFoundException":
                    raise
                self.clusters[name] = {}
        return self.clusters[name] or None

    def nodegroup(self, cluster: str, name: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"])
        except ClientError as exc:
            if (exc.response.get("Error") or {}).get("Code") != "ResourceNotFoundException":
                raise
            return None


def cluster_name(info: StackInfo, logical: str, resolver: Resolver) -> str | None:
    props = ((info.template.get("Resources") or {}).get(logical) or {}).get("Properties") or {}
    name = resolver.get(props.get("Name")) if "Name" in props else None
    return str(name or info.physical(logical) or "") or None


def attribute(live: Live, region: str) -> Any:
    """The GetAtt callback the resolvers use: a cluster's security group, a group's ID."""
    def get(info: StackInfo, logical: str, attr: str) -> Any:
        kind = info.resource_type(logical)
        if kind == CLUSTER_TYPE and attr == "ClusterSecurityGroupId":
            name = cluster_name(info, logical, Resolver(info, region))
            described = live.cluster(name) if name else None
            return ((described or {}).get("resourcesVpcConfig") or {}).get("clusterSecurityGroupId")
        if kind == "AWS::EC2::SecurityGroup" and attr == "GroupId":
            return info.physical(logical)
        return None
    return get


@dataclass
class Context:
    """What the remedies name: the command line's stack argument, the region, and the
    stack file's nodegroups (for their YAML paths)."""

    stack_arg: str
    region: str
    nodegroups: tuple[str, ...] = ()

    def ng_path(self, name: str) -> str:
        if name in self.nodegroups:
            return f"managedNodeGroups[{self.nodegroups.index(name)}]"
        return f"managedNodeGroups[name={name}]"


def _cluster_findings(info: StackInfo, logical: str, resolver: Resolver, live: Live, ctx: Context) -> list[Finding]:
    props = ((info.template.get("Resources") or {}).get(logical) or {}).get("Properties") or {}
    name = cluster_name(info, logical, resolver)
    described = live.cluster(name) if name else None
    if not name or not described:
        return []  # a deleted cluster is CloudFormation's DELETED finding
    found = []
    base: dict[str, Any] = dict(stack=info.label, logical_id=logical, resource_type=CLUSTER_TYPE, source="eks",
                                physical_id=name)
    vpc = {k: resolver.get(v) for k, v in (props.get("ResourcesVpcConfig") or {}).items()}
    lvpc = described.get("resourcesVpcConfig") or {}
    want_public = bool(vpc.get("EndpointPublicAccess", True))
    want_private = bool(vpc.get("EndpointPrivateAccess", False))
    want_cidrs = sorted(vpc.get("PublicAccessCidrs") or ["0.0.0.0/0"])
    has_public, has_private = bool(lvpc.get("endpointPublicAccess")), bool(lvpc.get("endpointPrivateAccess"))
    has_cidrs = sorted(lvpc.get("publicAccessCidrs") or [])
    diffs = []
    if has_public != want_public:
        diffs.append(Difference("ResourcesVpcConfig.EndpointPublicAccess", show(want_public), show(has_public)))
    if has_private != want_private:
        diffs.append(Difference("ResourcesVpcConfig.EndpointPrivateAccess", show(want_private), show(has_private)))
    if want_public and has_public and has_cidrs != want_cidrs:
        diffs.append(Difference("ResourcesVpcConfig.PublicAccessCidrs", show(want_cidrs), show(has_cidrs)))
    if diffs:
        config = (f"endpointPublicAccess={show(want_public)},endpointPrivateAccess={show(want_private)}"
                  + (f",publicAccessCidrs=\"{','.join(want_cidrs)}\"" if want_public else ""))
        adopt = [f"vpc.clusterEndpoints.publicAccess: {show(has_public)}",
                 f"vpc.clusterEndpoints.privateAccess: {show(has_private)}"]
        if has_public:
            adopt.append(f"vpc.publicAccessCIDRs: [{', '.join(has_cidrs)}]")
        found.append(Finding(
            **base, status="MODIFIED", summary="API endpoint access changed outside CloudFormation",
            differences=diffs, revert=REVERT_CHANGE_SET,
            undo=f"aws eks update-cluster-config --region {ctx.region} --name {name} --resources-vpc-config {config}",
            adopt=f"in the stack file: {'; '.join(adopt)}; then deploy {ctx.stack_arg}",
        ))
    logging = resolver.get(props.get("Logging"), {}) or {}
    want_logs = sorted(str(t.get("Type")) for t in ((logging.get("ClusterLogging") or {}).get("EnabledTypes") or [])
                       if isinstance(t, dict))
    has_logs = sorted({str(t) for entry in ((described.get("logging") or {}).get("clusterLogging") or [])
                       if entry.get("enabled") for t in entry.get("types") or []})
    if want_logs != has_logs:
        off = sorted(set(LOG_TYPES) - set(want_logs))
        setting = [{"types": want_logs, "enabled": True}] if want_logs else []
        setting += [{"types": off, "enabled": False}] if off else []
        found.append(Finding(
            **base, status="MODIFIED", summary="control-plane logging changed outside CloudFormation",
            differences=[Difference("Logging.ClusterLogging.EnabledTypes", show(want_logs), show(has_logs))],
            revert=REVERT_CHANGE_SET,
            undo=(f"aws eks update-cluster-config --region {ctx.region} --name {name} --logging "
                  + shlex.quote(json.dumps({"clusterLogging": setting}, separators=(",", ":")))),
            adopt=f"in the stack file: cloudWatch.clusterLogging.enableTypes: [{', '.join(has_logs)}]; "
                  f"then deploy {ctx.stack_arg}",
        ))
    want_version = resolver.get(props.get("Version")) if "Version" in props else None
    has_version = described.get("version")
    if want_version is not None and has_version and str(want_version) != str(has_version):
        found.append(Finding(
            **base, status="MODIFIED", summary="Kubernetes version changed outside CloudFormation",
            differences=[Difference("Version", str(want_version), str(has_version))],
            not_revertible="EKS does not downgrade a cluster's Kubernetes version",
            adopt=f"in the stack file: metadata.version: \"{has_version}\"; then deploy {ctx.stack_arg}",
        ))
    return found


def _labels_arg(want: dict[str, str], has: dict[str, str]) -> str:
    body: dict[str, Any] = {}
    add = {k: v for k, v in want.items() if has.get(k) != v}
    remove = sorted(set(has) - set(want))
    if add:
        body["addOrUpdateLabels"] = add
    if remove:
        body["removeLabels"] = remove
    return shlex.quote(json.dumps(body, sort_keys=True, separators=(",", ":")))


def _taint_key(t: dict[str, Any]) -> tuple[str, str, str]:
    return (str(t.get("key") or t.get("Key") or ""), str(t.get("value") or t.get("Value") or ""),
            str(t.get("effect") or t.get("Effect") or ""))


def _nodegroup_findings(info: StackInfo, logical: str, resolver: Resolver, live: Live, ctx: Context
                        ) -> list[Finding]:
    props = ((info.template.get("Resources") or {}).get(logical) or {}).get("Properties") or {}
    physical = info.physical(logical) or ""
    cluster = resolver.get(props.get("ClusterName")) or (physical.split("/")[0] if "/" in physical else None)
    name = resolver.get(props.get("NodegroupName")) or (physical.split("/")[-1] if physical else None)
    if not cluster or not name:
        return []
    described = live.nodegroup(str(cluster), str(name))
    if not described:
        return []
    found = []
    base: dict[str, Any] = dict(stack=info.label, logical_id=logical, resource_type=NODEGROUP_TYPE, source="eks",
                physical_id=f"{cluster}/{name}")
    where = f"--cluster-name {cluster} --nodegroup-name {name}"
    scaling = resolver.get(props.get("ScalingConfig"), {}) or {}
    live_scaling = described.get("scalingConfig") or {}
    diffs = []
    for key, live_key in (("DesiredSize", "desiredSize"), ("MinSize", "minSize"), ("MaxSize", "maxSize")):
        if key in scaling and live_scaling.get(live_key) is not None and \
                str(scaling[key]) != str(live_scaling[live_key]):
            diffs.append(Difference(f"ScalingConfig.{key}", str(scaling[key]), str(live_scaling[live_key])))
    if diffs:
        want = {k: scaling.get(k) for k in ("DesiredSize", "MinSize", "MaxSize")}
        has = {k: live_scaling.get(lk) for k, lk in (("DesiredSize", "desiredSize"), ("MinSize", "minSize"),
                                                      ("MaxSize", "maxSize"))}
        found.append(Finding(
            **base, status="MODIFIED", summary="nodegroup scaling changed outside CloudFormation",
            differences=diffs, revert=REVERT_CHANGE_SET,
            undo=(f"aws eks update-nodegroup-config --region {ctx.region} {where} --scaling-config "
                  f"minSize={want['MinSize']},maxSize={want['MaxSize']},desiredSize={want['DesiredSize']}"),
            adopt=(f"{program.command('scale', shlex.quote(ctx.stack_arg), name)} --nodes {has['DesiredSize']} "
                   f"--min {has['MinSize']} --max {has['MaxSize']}"),
        ))
    want_version = resolver.get(props.get("Version")) if "Version" in props else None
    if want_version is not None and described.get("version") and str(want_version) != str(described["version"]):
        found.append(Finding(
            **base, status="MODIFIED", summary="nodegroup Kubernetes version changed outside CloudFormation",
            differences=[Difference("Version", str(want_version), str(described["version"]))],
            not_revertible="EKS does not downgrade a nodegroup's Kubernetes version",
            adopt=f"in the stack file: {ctx.ng_path(str(name))}.version: \"{described['version']}\"; then deploy "
                  f"{ctx.stack_arg}",
        ))
    want_labels = {str(k): str(v) for k, v in (resolver.get(props.get("Labels"), {}) or {}).items()}
    has_labels = {str(k): str(v) for k, v in (described.get("labels") or {}).items()}
    if want_labels != has_labels:
        found.append(Finding(
            **base, status="MODIFIED", summary="node labels changed outside CloudFormation",
            differences=[Difference("Labels", show(want_labels), show(has_labels))], revert=REVERT_CHANGE_SET,
            undo=f"aws eks update-nodegroup-config --region {ctx.region} {where} --labels "
                 f"{_labels_arg(want_labels, has_labels)}",
            adopt=f"in the stack file: {ctx.ng_path(str(name))}.labels: {show(has_labels)}; then deploy "
                  f"{ctx.stack_arg}",
        ))
    want_taints = sorted(_taint_key(t) for t in resolver.get(props.get("Taints"), []) or [])
    has_taints = sorted(_taint_key(t) for t in described.get("taints") or [])
    if want_taints != has_taints:
        add = [{"key": k, "value": v, "effect": e} for k, v, e in want_taints if (k, v, e) not in has_taints]
        remove = [{"key": k, "value": v, "effect": e} for k, v, e in has_taints if (k, v, e) not in want_taints]
        body = {**({"addOrUpdateTaints": add} if add else {}), **({"removeTaints": remove} if remove else {})}
        found.append(Finding(
            **base, status="MODIFIED", summary="node taints changed outside CloudFormation",
            differences=[Difference("Taints", show([list(t) for t in want_taints]),
                                    show([list(t) for t in has_taints]))],
            revert=REVERT_CHANGE_SET,
            undo=f"aws eks update-nodegroup-config --region {ctx.region} {where} --taints "
                 + shlex.quote(json.dumps(body, separators=(",", ":"))),
            adopt=f"in the stack file: {ctx.ng_path(str(name))}.taints: the live taints "
                  f"({show([list(t) for t in has_taints])}; effects as NoSchedule, PreferNoSchedule, NoExecute); "
                  f"then deploy {ctx.stack_arg}",
        ))
    return found


def compare(infos: list[StackInfo], resolvers: dict[str, Resolver], live: Live, ctx: Context) -> list[Finding]:
    """Every cluster and nodegroup of the tree against its template."""
    found: list[Finding] = []
    for info in infos:
        for logical, spec in sorted((info.template.get("Resources") or {}).items()):
            kind = spec.get("Type") if isinstance(spec, dict) else None
            if kind == CLUSTER_TYPE:
                found += _cluster_findings(info, logical, resolvers[info.label], live, ctx)
            elif kind == NODEGROUP_TYPE:
                found += _nodegroup_findings(info, logical, resolvers[info.label], live, ctx)
    return found
