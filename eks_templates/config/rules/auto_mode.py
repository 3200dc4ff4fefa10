"""Rules for EKS Auto Mode (``autoModeConfig``) and ``zonalShiftConfig``: what Auto Mode
cannot be combined with, and what it makes unnecessary, each with its source.
Registered in :data:`~._base.RULES`."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem
from eks_templates.config.regions import partition_of
from eks_templates.config.rules._base import _role_arn_problems, _warn, rule
from eks_templates.config.rules.nodegroups import _version_key

#: EKS's built-in node pools (EKS User Guide, "Enable or disable built-in NodePools";
#: eksctl's AutoModeKnownNodePools).
BUILT_IN_NODE_POOLS = ("general-purpose", "system")
#: EKS Auto Mode needs Kubernetes 1.29 or later (EKS User Guide, "Create a cluster with
#: Amazon EKS Auto Mode": "Kubernetes version 1.29 or greater").
AUTO_MODE_MIN_VERSION = "1.29"
#: Components Auto Mode runs on its nodes itself (EKS User Guide, "Automate cluster
#: infrastructure with EKS Auto Mode": pod networking, kube-proxy's service networking,
#: cluster DNS, the EBS CSI driver, Pod Identity agent); as add-ons they only serve
#: nodes that are not Auto Mode's.
AUTO_MODE_RUNS = {
    "vpc-cni": "pod networking",
    "kube-proxy": "service networking",
    "coredns": "cluster DNS",
    "aws-ebs-csi-driver": "EBS volumes",
    "eks-pod-identity-agent": "EKS Pod Identity",
}


def auto_mode(config: ClusterConfig) -> bool:
    return config.auto_mode_config is not None and config.auto_mode_config.enabled


def node_pools(config: ClusterConfig) -> list[str]:
    """The built-in node pools Auto Mode runs (both unless the file lists them)."""
    given = config.auto_mode_config.node_pools if config.auto_mode_config else None
    return list(BUILT_IN_NODE_POOLS) if given is None else list(given)


@rule
def auto_mode_config(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    auto = config.auto_mode_config
    if auto is None:
        return
    partition = partition_of(config.metadata.region)
    if not auto.enabled:
        # eksctl's ValidateAutoModeConfig
        for name, given in (("nodePools", auto.node_pools), ("nodeRoleARN", auto.node_role_arn),
                            ("permissionsBoundaryARN", auto.permissions_boundary_arn)):
            if given:
                yield Problem(f"autoModeConfig.{name}",
                              "is given, but enabled is false; set enabled: true or remove it")
        return
    seen: set[str] = set()
    for j, pool in enumerate(auto.node_pools or []):
        if pool not in BUILT_IN_NODE_POOLS:
            yield Problem(f"autoModeConfig.nodePools[{j}]", f"{pool!r} is not a built-in node pool; expected "
                          f"{' or '.join(BUILT_IN_NODE_POOLS)} (your own NodePools are Kubernetes objects)")
        elif pool in seen:
            yield Problem(f"autoModeConfig.nodePools[{j}]", f"{pool!r} is listed twice")
        seen.add(pool)
    if auto.node_pools == [] and (auto.node_role_arn or auto.permissions_boundary_arn):
        name = "nodeRoleARN" if auto.node_role_arn else "permissionsBoundaryARN"
        yield Problem(f"autoModeConfig.{name}", "is for the built-in node pools, and nodePools is empty; remove it")
    if auto.node_role_arn and auto.permissions_boundary_arn:
        yield Problem("autoModeConfig.permissionsBoundaryARN",
                      "shapes the node role created here, and nodeRoleARN gives your own; remove one of them")
    if auto.node_role_arn:
        yield from _role_arn_problems("autoModeConfig.nodeRoleARN", auto.node_role_arn, partition,
                                      "the Auto Mode nodes' role")
    if _version_key(config.metadata.version) < _version_key(AUTO_MODE_MIN_VERSION):
        yield Problem("autoModeConfig.enabled", f"needs Kubernetes {AUTO_MODE_MIN_VERSION} or later "
                      f"(metadata.version is {config.metadata.version})")
    if config.access_config.authentication_mode == "CONFIG_MAP":
        # Auto Mode's nodes join through access entries (EKS User Guide, auto-learn-iam)
        yield Problem("accessConfig.authenticationMode", "CONFIG_MAP cannot be used with EKS Auto Mode (its "
                      "nodes join through access entries); use API or API_AND_CONFIG_MAP")
    if config.iam.service_role_arn:
        yield _warn("iam.serviceRoleARN", "is your own cluster role: with Auto Mode it needs AmazonEKSComputePolicy, "
                    "AmazonEKSBlockStoragePolicy, AmazonEKSLoadBalancingPolicy, AmazonEKSNetworkingPolicy and "
                    "sts:TagSession in its trust policy (EKS User Guide, auto-cluster-iam-role)")
    if not config.managed_node_groups:
        for i, addon in enumerate(config.addons):
            if addon.name in AUTO_MODE_RUNS:
                yield _warn(f"addons[{i}].name", f"{addon.name} is not needed: EKS Auto Mode runs "
                            f"{AUTO_MODE_RUNS[addon.name]} on its nodes itself, and there are no other nodes; "
                            "remove it")
    for i, ng in enumerate(config.managed_node_groups):
        wanted = ng.iam.with_addon_policies
        for flag, what in (("ebs", "EBS volumes"), ("albIngress", "load balancers")):
            if getattr(wanted, "alb_ingress" if flag == "albIngress" else flag):
                yield _warn(f"managedNodeGroups[{i}].iam.withAddonPolicies.{flag}",
                            f"is not needed: EKS Auto Mode manages {what} with the cluster role; remove it")
    if not node_pools(config) and not config.managed_node_groups and not config.fargate_profiles:
        yield _warn("autoModeConfig.nodePools", "is empty and there are no nodegroups or Fargate profiles: "
                    "no pod runs until you create a NodePool")


__all__ = ["AUTO_MODE_RUNS", "BUILT_IN_NODE_POOLS", "auto_mode", "node_pools"]
