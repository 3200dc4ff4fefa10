"""EKS Auto Mode (``autoModeConfig``) and zonal shift on the cluster.

What EKS requires (EKS User Guide, "Create a cluster with Amazon EKS Auto Mode", and the
AWS::EKS::Cluster schema): ``ComputeConfig``, ``StorageConfig.BlockStorage`` and
``KubernetesNetworkConfig.ElasticLoadBalancing`` enabled together; the cluster role
with AmazonEKSClusterPolicy, AmazonEKSComputePolicy, AmazonEKSBlockStoragePolicy,
AmazonEKSLoadBalancingPolicy and AmazonEKSNetworkingPolicy, trusted with
``sts:AssumeRole`` and ``sts:TagSession`` (auto-cluster-iam-role); a node role with
AmazonEKSWorkerNodeMinimalPolicy and AmazonEC2ContainerRegistryPullOnly
(auto-create-node-role) for the built-in node pools. EKS creates the access entries
of both roles itself when Auto Mode is enabled (auto-learn-iam: "EKS automatically
creates the corresponding Kubernetes permissions using Access entries"): a second entry
for the node role would fail with ResourceInUseException, so none is written here.

``BootstrapSelfManagedAddons: false`` (Auto Mode runs networking, DNS and storage on its
nodes itself, as eksctl sets it) is create-only: on a cluster deployed without it, the
change replaces the cluster, which ``diff``/``plan`` show and the deploy guard refuses.
"""

from __future__ import annotations

from typing import Any

from awacs.aws import Policy, Principal, Statement
from troposphere import Tags, Template, eks, iam

from eks_templates.builders.common import actions, managed_policy, service_principal
from eks_templates.config.model import ClusterConfig
from eks_templates.config.rules.auto_mode import auto_mode, node_pools

CLUSTER_ROLE_POLICIES = ("AmazonEKSBlockStoragePolicy", "AmazonEKSComputePolicy", "AmazonEKSLoadBalancingPolicy",
                         "AmazonEKSNetworkingPolicy")
NODE_ROLE_POLICIES = ("AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodeMinimalPolicy")


def cluster_role_trust(template: Template, config: ClusterConfig) -> Policy | None:
    """The cluster role's trust with ``sts:TagSession`` for Auto Mode, else None (the usual one)."""
    if not auto_mode(config):
        return None
    return Policy(Version="2012-10-17", Statement=[Statement(
        Effect="Allow", Action=actions("sts:AssumeRole", "sts:TagSession"),
        Principal=Principal("Service", [service_principal(template, "EKS")]),
    )])


def cluster_role_policies(config: ClusterConfig) -> list[Any]:
    return [managed_policy(n) for n in CLUSTER_ROLE_POLICIES] if auto_mode(config) else []


def node_role(template: Template, config: ClusterConfig, logical_id: str, tags: dict[str, Any]) -> Any:
    """The Auto Mode nodes' role: the file's ARN, a role to create here (``iam.Role``), or
    None (no built-in node pools: your NodeClasses name their roles)."""
    auto = config.auto_mode_config
    if auto is None or not auto.enabled or not node_pools(config):
        return None
    if auto.node_role_arn:
        return auto.node_role_arn
    props: dict[str, Any] = {
        "AssumeRolePolicyDocument": Policy(Version="2012-10-17", Statement=[Statement(
            Effect="Allow", Action=actions("sts:AssumeRole"),
            Principal=Principal("Service", [service_principal(template, "EC2")]))]),
        "ManagedPolicyArns": [managed_policy(n) for n in NODE_ROLE_POLICIES],
        "Tags": Tags(tags),
    }
    if auto.permissions_boundary_arn:
        props["PermissionsBoundary"] = auto.permissions_boundary_arn
    return iam.Role(logical_id, **props)


def cluster_properties(config: ClusterConfig, node_role_arn: Any) -> dict[str, Any]:
    """AWS::EKS::Cluster properties for Auto Mode and zonal shift (KubernetesNetworkConfig's
    ElasticLoadBalancing is merged by :func:`network_properties`)."""
    out: dict[str, Any] = {}
    if auto_mode(config):
        compute: dict[str, Any] = {"Enabled": True, "NodePools": node_pools(config)}
        if node_role_arn is not None:
            compute["NodeRoleArn"] = node_role_arn
        out["ComputeConfig"] = eks.ComputeConfig(**compute)
        out["StorageConfig"] = eks.StorageConfig(BlockStorage=eks.BlockStorage(Enabled=True))
        out["BootstrapSelfManagedAddons"] = False
    if config.zonal_shift_config is not None:
        out["ZonalShiftConfig"] = eks.ZonalShiftConfig(Enabled=config.zonal_shift_config.enabled)
    return out


def network_properties(config: ClusterConfig) -> dict[str, Any]:
    """KubernetesNetworkConfig additions for Auto Mode."""
    if not auto_mode(config):
        return {}
    return {"ElasticLoadBalancing": eks.ElasticLoadBalancing(Enabled=True)}


__all__ = [
    "cluster_properties",
    "cluster_role_policies",
    "cluster_role_trust",
    "network_properties",
    "node_role",
]


