"""Builders: one concern each, pure functions of the config that add troposphere
resources to a template (see :mod:`eks_templates.builders.base`)."""

from __future__ import annotations

from eks_templates.builders.addons import AddonsBuilder
from eks_templates.builders.base import Builder
from eks_templates.builders.bastion import BastionBuilder
from eks_templates.builders.control_plane import ControlPlaneBuilder
from eks_templates.builders.fargate import FargateBuilder
from eks_templates.builders.network import ExistingNetwork, NetworkBuilder, network_for
from eks_templates.builders.nodegroup import NodegroupBuilder, nodegroup_builders
from eks_templates.builders.pod_identity import PodIdentityBuilder
from eks_templates.builders.security import SecurityGroupsBuilder
from eks_templates.config.model import ClusterConfig


def cluster_builders(config: ClusterConfig) -> list[Builder]:
    """Every builder of the cluster, in dependency order (producers before consumers):
    network, security groups, control plane, the pod identity associations, the Fargate
    profiles, one per managed nodegroup, the add-ons that need compute (after the
    nodegroups and the Fargate profiles), and the management host."""
    builders: list[Builder] = [network_for(config), SecurityGroupsBuilder(config), ControlPlaneBuilder(config)]
    if config.iam.pod_identity_associations:
        builders.append(PodIdentityBuilder(config))
    if config.fargate_profiles:
        builders.append(FargateBuilder(config))
    builders += nodegroup_builders(config)
    addons = AddonsBuilder(config)
    if addons.addons:
        builders.append(addons)
    if config.bastion.enabled:
        builders.append(BastionBuilder(config))
    return builders


__all__ = [
    "AddonsBuilder",
    "BastionBuilder",
    "Builder",
    "ControlPlaneBuilder",
    "ExistingNetwork",
    "FargateBuilder",
    "NetworkBuilder",
    "NodegroupBuilder",
    "PodIdentityBuilder",
    "SecurityGroupsBuilder",
    "cluster_builders",
    "network_for",
    "nodegroup_builders",
]
