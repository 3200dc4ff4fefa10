"""Rules for eksctl's launch-template and bootstrap options of a managed nodegroup
(``ami``, ``preBootstrapCommands``, ``overrideBootstrapCommand``, ``maxPodsPerNode``,
``subnets``, ``securityGroups``, ``iam.*``, volume performance and key, node repair,
capacity reservation, placement, EFA). Registered in :data:`~._base.RULES`; each
cites where the limit comes from.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from typing import Any

import yaml

from eks_templates.config.model import ClusterConfig, ManagedNodeGroup
from eks_templates.config.problems import Problem
from eks_templates.config.regions import partition_of
from eks_templates.config.rules._base import _lazy, _ng, _role_arn_problems, _warn, rule
from eks_templates.config.rules.metadata import _SG_ID_RE
from eks_templates.config.service_network import service_cidr

#: EC2's image and subnet IDs (``ami-``/``subnet-`` and 8 or 17 hex digits).
_AMI_RE = _lazy(r"^ami-([0-9a-f]{8}|[0-9a-f]{17})$")
_SUBNET_RE = _lazy(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")
_CR_RE = _lazy(r"^cr-[0-9a-f]{17}$")
_POLICY_ARN_RE = _lazy(r"^arn:(?P<partition>aws[a-z-]*):iam::(aws|\d{12}):policy/[\w+=,.@/-]+$")
#: A KMS key as EC2 takes it in BlockDeviceMapping.Ebs.KmsKeyId: key ID, key ARN, alias
#: ARN (EC2 resolves a bare alias name only in some APIs; the launch template keeps it as text).
_KMS_RE = _lazy(
    r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-f-]{36}|alias/[A-Za-z0-9/_-]+)|[0-9a-f-]{36}|alias/[A-Za-z0-9/_-]+)$"
)

#: EC2's provisioned IOPS per volume type (EbsBlockDevice.Iops, EC2 API Reference: gp3
#: 3,000-16,000; io1 100-64,000; io2 100-256,000) and IOPS per GiB (EBS User Guide,
#: volume types: gp3 500, io1 50, io2 1,000).
IOPS_BOUNDS = {"gp3": (3000, 16000, 500), "io1": (100, 64000, 50), "io2": (100, 256000, 1000)}
#: gp3 throughput, MiB/s (EbsBlockDevice.Throughput: 125-1,000), at most 0.25 MiB/s per
#: provisioned IOPS (EBS User Guide, gp3).
THROUGHPUT_BOUNDS = (125, 1000)
#: EC2's default quota "security groups per network interface" (VPC quotas): 5.
SECURITY_GROUPS_PER_INTERFACE = 5
#: nodeadm's NodeConfig (amazon-eks-ami, nodeadm/api/v1alpha1).
NODECONFIG_API = "node.eks.aws/v1alpha1"


def custom_bootstrap(ng: ManagedNodeGroup) -> bool:
    """Whether the launch template carries the node's whole bootstrap (EKS merges none):
    a custom AMI, or an Ubuntu family (Canonical's image, a custom AMI to EKS)."""
    return ng.ami is not None or ng.ami_family.startswith("Ubuntu")


def node_config_of(text: str) -> dict[str, Any] | str:
    """``overrideBootstrapCommand`` of an AL2023 nodegroup read as a NodeConfig, or why not."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return f"is not YAML: {str(exc).splitlines()[0]}"
    if not isinstance(doc, dict):
        return "must be a nodeadm NodeConfig (a YAML mapping)"
    if doc.get("apiVersion") != NODECONFIG_API or doc.get("kind") != "NodeConfig":
        return f"must be a nodeadm NodeConfig: apiVersion: {NODECONFIG_API}, kind: NodeConfig"
    return doc


@rule
def node_bootstrap(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        family = ng.ami_family
        if ng.ami is not None and not _AMI_RE.match(ng.ami):
            yield Problem(_ng(i, "ami"), f"{ng.ami!r} is not an AMI ID; expected ami- and 8 or 17 hex digits")
        # Bottlerocket's user data is TOML settings, never a shell script (eksctl refuses both too:
        # validation.go, unsupportedFieldError for Bottlerocket).
        if family == "Bottlerocket":
            for name, given in (("preBootstrapCommands", ng.pre_bootstrap_commands),
                                ("overrideBootstrapCommand", ng.override_bootstrap_command)):
                if given:
                    yield Problem(_ng(i, name), "is not supported with amiFamily Bottlerocket: its user data is "
                                  "TOML settings, not a script; use a bootstrap container after deploy")
            continue
        if ng.ami is not None and family in ("AmazonLinux2023", "Bottlerocket") and service_cidr(config) is None:
            # nodeadm's spec.cluster.cidr is required (amazon-eks-ami nodeadm API), and CloudFormation
            # has no attribute for the cluster's IPv4 service range
            yield Problem(_ng(i, "ami"), f"a custom {family} AMI is told the cluster's service range, which this "
                          "file does not give: set kubernetesNetworkConfig.serviceIPv4CIDR (or vpc.cidr)")
        override = ng.override_bootstrap_command
        if override is not None:
            if family == "AmazonLinux2023":
                parsed = node_config_of(override)
                if isinstance(parsed, str):
                    yield Problem(_ng(i, "overrideBootstrapCommand"), parsed)
            elif not custom_bootstrap(ng):
                # EKS runs the AMI's own bootstrap for its AMI types (launch-templates.html: user data
                # "is merged" with EKS's); replacing it needs the image to be yours.
                yield Problem(_ng(i, "overrideBootstrapCommand"),
                              f"replaces the bootstrap of a custom AMI only; with amiFamily {family} EKS runs "
                              "the AMI's bootstrap itself: give ami, or use preBootstrapCommands")
            elif not override.startswith("#!"):
                yield Problem(_ng(i, "overrideBootstrapCommand"),
                              "must be a script starting with #! (it runs as the node's user data)")
        if ng.max_pods_per_node is not None:
            if ng.max_pods_per_node < 1:
                yield Problem(_ng(i, "maxPodsPerNode"), f"{ng.max_pods_per_node} is not a pod count; give 1 or more")
            elif family == "AmazonLinux2" and ng.ami is None:
                yield Problem(_ng(i, "maxPodsPerNode"),
                              "cannot be passed with amiFamily AmazonLinux2 and EKS's AMI: EKS runs its "
                              "bootstrap.sh with its own max pods; give ami, or use AmazonLinux2023")
            elif override is not None and family != "AmazonLinux2023":
                yield Problem(_ng(i, "maxPodsPerNode"),
                              "is not applied with overrideBootstrapCommand (your script is the bootstrap); "
                              "pass --max-pods in it and remove maxPodsPerNode")


@rule
def node_placement(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    subnets = config.vpc.subnets
    named = {**(subnets.public if subnets else {}), **(subnets.private if subnets else {})}
    for i, ng in enumerate(config.managed_node_groups):
        for j, subnet in enumerate(ng.subnets):
            path = _ng(i, f"subnets[{j}]")
            if config.vpc.id is None:
                yield Problem(path, "names a subnet, but this stack creates the VPC and puts nodes in all its "
                              f"{'private' if ng.private_networking else 'public'} subnets; remove subnets "
                              "(or use an existing VPC: vpc.id)")
                break
            if _SUBNET_RE.match(subnet):
                continue
            spec = named.get(subnet)
            if spec is None or spec.id is None:
                yield Problem(path, f"{subnet!r} is neither a subnet ID (subnet-...) nor a vpc.subnets entry "
                              "with an id")
        if ng.efa_enabled and len(ng.subnets) != 1:
            # EFA traffic does not cross availability zones (EC2 User Guide, EFA limitations); eksctl
            # requires one zone for efaEnabled as well.
            yield Problem(_ng(i, "efaEnabled"), "needs the nodes in one availability zone: give exactly one "
                          "subnet in subnets")
        shared_rule = ng.security_groups.with_shared and config.vpc.manage_shared_node_security_group_rules
        if ng.efa_enabled and not shared_rule:
            # "The security group must allow all inbound and outbound traffic to and from the security
            # group itself" (EC2 User Guide, EFA): here that is the shared node group's rule
            yield Problem(_ng(i, "efaEnabled"), "needs the shared node group's all-traffic rule between nodes: keep "
                          "securityGroups.withShared and vpc.manageSharedNodeSecurityGroupRules true")
        if ng.placement is not None and not ng.placement.group_name.strip():
            yield Problem(_ng(i, "placement.groupName"), "is empty; give the placement group's name")


@rule
def node_security_groups(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        groups = ng.security_groups
        for j, group in enumerate(groups.attach_ids):
            if not _SG_ID_RE.match(group):
                yield Problem(_ng(i, f"securityGroups.attachIDs[{j}]"),
                              f"{group!r} is not a security group id; expected sg- and hex digits")
        if not groups.with_local and ng.ssh.allow:
            yield Problem(_ng(i, "securityGroups.withLocal"),
                          "is false, but ssh.allow needs the nodegroup's own group (SSH); set ssh.allow: false")
        count = 1 + groups.with_shared + (ng.ssh.allow and groups.with_local) + len(groups.attach_ids)
        if count > SECURITY_GROUPS_PER_INTERFACE:
            yield Problem(_ng(i, "securityGroups.attachIDs"),
                          f"puts {count} security groups on the nodes (the cluster's, "
                          f"{'the shared node group, ' if groups.with_shared else ''}"
                          f"{'SSH, ' if ng.ssh.allow and groups.with_local else ''}these); EC2 allows "
                          f"{SECURITY_GROUPS_PER_INTERFACE} per network interface by default")


@rule
def node_iam(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    partition = partition_of(config.metadata.region)
    for i, ng in enumerate(config.managed_node_groups):
        node_iam_ = ng.iam
        if node_iam_.instance_role_arn is not None:
            yield from _role_arn_problems(_ng(i, "iam.instanceRoleARN"), node_iam_.instance_role_arn, partition,
                                          "the nodes' role")
            wanted = node_iam_.with_addon_policies
            given = [name for name, on in (
                ("attachPolicyARNs", node_iam_.attach_policy_arns),
                ("instanceRolePermissionsBoundary", node_iam_.instance_role_permissions_boundary),
                ("withAddonPolicies", any(getattr(wanted, s.name) for s in wanted.fields())),
            ) if on]
            for name in given:
                yield Problem(_ng(i, f"iam.{name}"), "shapes the node role this tool creates, and "
                              "instanceRoleARN gives your own; grant it to your role, or remove instanceRoleARN")
        for j, arn in enumerate(node_iam_.attach_policy_arns):
            match = _POLICY_ARN_RE.match(arn)
            if match is None:
                yield Problem(_ng(i, f"iam.attachPolicyARNs[{j}]"),
                              f"{arn!r} is not an IAM policy ARN; expected arn:{partition}:iam::<account or aws>:"
                              "policy/<name>")
            elif match["partition"] != partition:
                yield Problem(_ng(i, f"iam.attachPolicyARNs[{j}]"),
                              f"partition {match['partition']!r} does not match the region's; "
                              f"expected arn:{partition}:...")
        boundary = node_iam_.instance_role_permissions_boundary
        if boundary is not None and not _POLICY_ARN_RE.match(boundary):
            yield Problem(_ng(i, "iam.instanceRolePermissionsBoundary"),
                          f"{boundary!r} is not an IAM policy ARN; expected arn:{partition}:iam::<account>:"
                          "policy/<name>")


@rule
def node_volume_performance(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        kind, size = ng.volume_type, ng.volume_size
        iops = ng.volume_iops
        if iops is not None:
            if kind not in IOPS_BOUNDS:
                yield Problem(_ng(i, "volumeIOPS"), f"is not taken by volumeType {kind} (its IOPS follow its size); "
                              "use gp3, io1 or io2")
            else:
                low, high, per_gib = IOPS_BOUNDS[kind]
                if not low <= iops <= high:
                    yield Problem(_ng(i, "volumeIOPS"), f"{iops} is outside what {kind} allows: {low} to {high}")
                elif iops > per_gib * size:
                    yield Problem(_ng(i, "volumeIOPS"), f"{iops} is more than {kind}'s {per_gib} IOPS per GiB of "
                                  f"volumeSize {size} (at most {per_gib * size})")
        throughput = ng.volume_throughput
        if throughput is not None:
            if kind != "gp3":
                yield Problem(_ng(i, "volumeThroughput"), f"is taken by gp3 only, not volumeType {kind}")
            else:
                low, high = THROUGHPUT_BOUNDS
                effective_iops = iops if iops is not None else IOPS_BOUNDS["gp3"][0]
                if not low <= throughput <= high:
                    yield Problem(_ng(i, "volumeThroughput"),
                                  f"{throughput} MiB/s is outside what gp3 allows: {low} to {high}")
                elif throughput > effective_iops / 4:
                    yield Problem(_ng(i, "volumeThroughput"),
                                  f"{throughput} MiB/s is more than gp3's 0.25 MiB/s per IOPS of {effective_iops} "
                                  f"IOPS (at most {effective_iops // 4}); raise volumeIOPS")
        key = ng.volume_kms_key_id
        if key is not None:
            if not ng.volume_encrypted:
                yield Problem(_ng(i, "volumeKmsKeyID"), "needs volumeEncrypted: true (the key encrypts the volume)")
            if not _KMS_RE.match(key):
                yield Problem(_ng(i, "volumeKmsKeyID"), f"{key!r} is not a KMS key ID, key ARN or alias")
            elif key.startswith("arn:") and key.split(":")[3] != config.metadata.region:
                yield Problem(_ng(i, "volumeKmsKeyID"), f"is a key in {key.split(':')[3]}; EBS takes a key in the "
                              f"cluster's region {config.metadata.region}")


@rule
def node_capacity(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        repair = ng.node_repair_config
        if repair is not None:
            # EKS NodeRepairConfig: "you cannot also set MaxParallelNodesRepairedPercentage at the same
            # time" (and the same for the threshold pair); percentages 1-100, counts at least 1.
            for count, percentage, what in (
                ("maxParallelNodesRepairedCount", "maxParallelNodesRepairedPercentage", "parallel repairs"),
                ("maxUnhealthyNodeThresholdCount", "maxUnhealthyNodeThresholdPercentage", "the threshold"),
            ):
                c = getattr(repair, _snake(count))
                p = getattr(repair, _snake(percentage))
                if c is not None and p is not None:
                    yield Problem(_ng(i, f"nodeRepairConfig.{percentage}"),
                                  f"cannot be given with {count}; {what} are a count or a percentage")
                if c is not None and c < 1:
                    yield Problem(_ng(i, f"nodeRepairConfig.{count}"), f"{c} is not a node count; give 1 or more")
                if p is not None and not 1 <= p <= 100:
                    yield Problem(_ng(i, f"nodeRepairConfig.{percentage}"), f"{p} is not a percentage (1 to 100)")
            if not repair.enabled and any(getattr(repair, s.name) is not None for s in repair.fields()
                                          if s.name != "enabled"):
                yield _warn(_ng(i, "nodeRepairConfig.enabled"), "is false, so the repair limits are not used")
        reservation = ng.capacity_reservation
        if reservation is not None:
            target = reservation.capacity_reservation_target
            base = _ng(i, "capacityReservation")
            if reservation.capacity_reservation_preference is not None and target is not None:
                # EC2 LaunchTemplateCapacityReservationSpecificationRequest: a preference or a target
                yield Problem(f"{base}.capacityReservationTarget",
                              "cannot be given with capacityReservationPreference; EC2 takes one of them")
            if target is not None:
                ids = (target.capacity_reservation_id, target.capacity_reservation_resource_group_arn)
                if sum(x is not None for x in ids) != 1:
                    yield Problem(f"{base}.capacityReservationTarget", "give capacityReservationID or "
                                  "capacityReservationResourceGroupARN (one of them)")
                if target.capacity_reservation_id is not None and not _CR_RE.match(target.capacity_reservation_id):
                    yield Problem(f"{base}.capacityReservationTarget.capacityReservationID",
                                  f"{target.capacity_reservation_id!r} is not a capacity reservation ID "
                                  "(cr- and 17 hex digits)")
            if reservation.capacity_reservation_preference is None and target is None:
                yield Problem(base, "is empty; give capacityReservationPreference or capacityReservationTarget")
            if ng.spot:
                # On-Demand Capacity Reservations hold on-demand capacity (EC2 User Guide)
                yield Problem(base, "holds on-demand capacity, and spot is true; remove one of them")


def _snake(alias: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in alias)


__all__ = ["custom_bootstrap", "node_config_of"]
