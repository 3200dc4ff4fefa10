"""EKS add-ons. Those that run as DaemonSets only are created with the cluster (by
:class:`~eks_templates.builders.control_plane.ControlPlaneBuilder`, through
:func:`addon_resource`); :class:`AddonsBuilder` creates the rest, whose pods need
compute (CoreDNS, the EBS CSI controller, ...), once every nodegroup and every Fargate
profile exists."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from troposphere import Template, eks

from eks_templates.builders.base import Builder
from eks_templates.builders.common import tag_props
from eks_templates.builders.pod_identity import addon_pod_identity, effective_addons
from eks_templates.config import addon_values
from eks_templates.config.model import Addon, ClusterConfig
from eks_templates.names import (
    ADDONS_STACK,
    CLUSTER_NAME,
    FARGATE_STACK,
    Port,
    fargate_profile_id,
    nodegroup_flat_id,
    nodegroup_stack,
    pascal,
)

#: Add-ons that run as DaemonSets only: created with the cluster, before any node
#: (the VPC CNI must be there when the first node joins). Every other add-on has
#: pods that need a node and is created by :class:`AddonsBuilder` after the nodegroups.
ADDONS_BEFORE_COMPUTE = frozenset({
    "vpc-cni", "kube-proxy", "eks-pod-identity-agent", "eks-node-monitoring-agent", "aws-guardduty-agent",
})


def coredns_on_fargate(config: ClusterConfig) -> bool:
    """CoreDNS can only run on Fargate: the cluster has Fargate profiles and no nodegroup
    (validation makes sure a profile selects CoreDNS's pods)."""
    return bool(config.fargate_profiles) and not config.managed_node_groups


def addon_configuration(config: ClusterConfig, addon: Addon) -> dict[str, Any]:
    """The add-on's ``ConfigurationValues`` that the cluster's shape calls for.

    CoreDNS is scheduled for EC2 (the ``eks.amazonaws.com/compute-type: ec2`` annotation);
    on a cluster with Fargate only its pods stay Pending, the add-on goes DEGRADED and
    the stack never completes. The EKS user guide (Fargate getting started, step "Update
    CoreDNS") moves it; the managed add-on's schema takes ``computeType: Fargate``.

    The file's own ``configurationValues`` go over that, key by key (nested mappings merged,
    anything else replaced): the user's values win."""
    derived: dict[str, Any] = {}
    if addon.name == "coredns" and coredns_on_fargate(config):
        derived = {"computeType": "Fargate"}
    if addon.configuration_values is None:
        return derived
    return addon_values.merge(derived, addon_values.parse(addon.configuration_values))


def addon_resource(logical_id: str, addon: Addon, cluster_name: Any, tags: Mapping[str, str],
                   configuration: Mapping[str, Any] | None = None,
                   pod_identity: Sequence[eks.PodIdentityAssociationProperty] = ()) -> eks.Addon:
    props: dict[str, Any] = {
        "AddonName": addon.name,
        "ClusterName": cluster_name,
        "ResolveConflicts": addon.resolve_conflicts.upper(),
    }
    if addon.version:
        props["AddonVersion"] = addon.version
    if configuration:
        # a JSON string (AWS::EKS::Addon ConfigurationValues), the same bytes on every render
        props["ConfigurationValues"] = json.dumps(configuration, sort_keys=True, separators=(",", ":"))
    if addon.service_account_role_arn:
        props["ServiceAccountRoleArn"] = addon.service_account_role_arn
    if pod_identity:
        props["PodIdentityAssociations"] = list(pod_identity)
    return eks.Addon(logical_id, **props, **tag_props(tags))


class AddonsBuilder(Builder):
    """The add-ons whose pods need a node (CoreDNS, the EBS CSI controller, ...), created
    after every nodegroup and Fargate profile so EKS does not report them DEGRADED while
    nothing can run them.

    In a template shared with the nodegroups (flat, yours) each add-on ``DependsOn`` the
    ``Nodegroup<Name>ManagedNodeGroup`` resources and Fargate profiles already there:
    add this builder after them.

    Inputs:
        - ``ClusterName``: the cluster the add-ons are installed in.

    Outputs: none.

    Options (stack file): ``addons[]`` (``name``, ``version``, ``serviceAccountRoleARN``,
    ``resolveConflicts``, ``configurationValues``, ``podIdentityAssociations``,
    ``useDefaultPodIdentityAssociations``), ``addonsConfig``.
    """

    stack_id = ADDONS_STACK
    description = "EKS add-ons that need nodes, created after the nodegroups"

    @property
    def addons(self) -> list[Addon]:
        """The add-ons this builder creates: the file's (and ``eks-pod-identity-agent`` when
        needed) except those created with the control plane."""
        return [a for a in effective_addons(self.config) if a.name not in ADDONS_BEFORE_COMPUTE]

    @property
    def inputs(self) -> Sequence[Port]:
        return (CLUSTER_NAME,)

    @property
    def after(self) -> Sequence[str]:
        """Every nodegroup stack and ``FargateStack``: the compute the add-ons' pods run on
        (a Fargate-only cluster's CoreDNS runs on Fargate)."""
        stacks = [nodegroup_stack(ng.name) for ng in self.config.managed_node_groups]
        if self.config.fargate_profiles:
            stacks.append(FARGATE_STACK)
        return tuple(stacks)

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        name = self.require(inputs, CLUSTER_NAME)
        # In a flat template the compute is already there: wait for each nodegroup and
        # Fargate profile (in the nested set, `after` does that).
        compute = [nodegroup_flat_id(ng.name, "ManagedNodeGroup") for ng in self.config.managed_node_groups]
        compute += [fargate_profile_id(p.name) for p in self.config.fargate_profiles]
        waits_for = [lid for lid in compute if lid in template.resources]
        for addon in self.addons:
            resource = addon_resource(self.lid(f"Addon{pascal(addon.name)}"), addon, name, self.tags(),
                                      addon_configuration(self.config, addon),
                                      addon_pod_identity(self, template, addon))
            if waits_for:
                resource.DependsOn = list(waits_for)
            self.add(template, resource)
        return {}
