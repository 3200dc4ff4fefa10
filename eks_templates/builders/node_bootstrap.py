"""A managed nodegroup's user data and eksctl's launch-template options.

User data follows EKS's rules for managed nodegroup launch templates (EKS User Guide,
"Customize managed nodes with launch templates"): for Amazon Linux it is a MIME
multi-part archive, for Bottlerocket TOML settings. Without a custom AMI EKS merges its
own bootstrap into it (a NodeConfig for AL2023, its bootstrap.sh call for AL2, its
settings for Bottlerocket), so only the file's additions go in. With a custom AMI
(``ami``, and the Ubuntu families, whose Canonical image is a custom AMI to EKS) nothing
is merged, and the user data carries the whole bootstrap with the cluster's endpoint,
CA and service range:

- AmazonLinux2023: a nodeadm ``NodeConfig`` (``node.eks.aws/v1alpha1``) part;
- Bottlerocket: ``[settings.kubernetes]`` with api-server, cluster-certificate,
  cluster-dns-ip;
- AmazonLinux2 / Ubuntu: ``/etc/eks/bootstrap.sh`` with ``--dns-cluster-ip`` (or the
  file's ``overrideBootstrapCommand`` in its place).

Everything the file gives goes through ``Fn::Sub``; its ``${`` are written ``${!`` so
CloudFormation leaves the shell's variables alone.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from troposphere import Base64, Sub, ec2, eks

from eks_templates.config.model import ClusterConfig, ManagedNodeGroup
from eks_templates.config.rules.nodegroup_options import NODECONFIG_API, custom_bootstrap
from eks_templates.config.service_network import cluster_dns_ip, service_cidr

#: The MIME boundary (fixed: the same file renders the same bytes).
BOUNDARY = "==EKS-TEMPLATES-BOUNDARY=="
NODECONFIG_TYPE = "application/node.eks.aws"
SHELL_TYPE = 'text/x-shellscript; charset="us-ascii"'


def _literal(text: str) -> str:
    """Text for Fn::Sub that must come out as written (``${x}`` -> ``${!x}``)."""
    return text.replace("${", "${!")


#: the Fn::Sub variable of the nodegroup's name in user data (its stack's NodegroupName parameter)
NODEGROUP_NAME_VARIABLE = "${NodegroupName}"


def node_labels(ng: ManagedNodeGroup, name: str | None = None) -> dict[str, str]:
    """The labels EKS gives a managed node, plus the file's (a custom AMI's kubelet must be
    told); ``name``: the nodegroup's name as the text shall carry it (default: the literal)."""
    return dict(sorted({
        "eks.amazonaws.com/nodegroup": ng.name if name is None else name,
        "eks.amazonaws.com/capacityType": "SPOT" if ng.spot else "ON_DEMAND",
        **ng.labels,
    }.items()))


def _taint_list(ng: ManagedNodeGroup) -> str:
    return ",".join(f"{t.key}={t.value or ''}:{t.effect}" for t in ng.taints)


# --------------------------------------------------------------------------- bootstrap.sh (AL2, Ubuntu)


def bootstrap_sh(config: ClusterConfig, ng: ManagedNodeGroup, name: str | None = None) -> str:
    """``/etc/eks/bootstrap.sh`` for a custom AMI (Fn::Sub text: ``${ClusterName}``,
    ``${Endpoint}``, ``${CertificateAuthority}``), with the node's labels and taints and
    ``maxPodsPerNode``.

    ``--dns-cluster-ip`` is always passed, as eksctl does (pkg/nodebootstrap: its Ubuntu
    script gets ``GetClusterDNS``, the service CIDR's ``.10``): without it bootstrap.sh
    guesses from the VPC's blocks and is wrong whenever ``serviceIPv4CIDR`` is set. The
    address is known at render time unless the VPC is an existing one whose block the file
    does not give; then the script works out EKS's default for the VPC (see
    :mod:`eks_templates.config.service_network`) from the instance metadata at boot.
    (CloudFormation has no attribute for the cluster's IPv4 service CIDR: the
    AWS::EKS::Cluster schema makes only ``KubernetesNetworkConfig.ServiceIpv6Cidr`` read-only.)"""
    kubelet = "--node-labels=" + ",".join(f"{k}={v}" for k, v in node_labels(ng, name).items())
    if ng.taints:
        kubelet += " --register-with-taints=" + _taint_list(ng)
    max_pods: list[str] = []
    if ng.max_pods_per_node is not None:
        # bootstrap.sh computes max pods from the ENI table unless told not to
        kubelet += f" --max-pods={ng.max_pods_per_node}"
        max_pods = ["  --use-max-pods false \\"]
    dns = cluster_dns_ip(config)
    find_dns: list[str] = []
    if dns is None:
        # Fn::Sub: shell variables are written $NAME, never ${NAME}
        find_dns = [
            "# EKS's service range when none is given: 172.20.0.0/16 for a VPC in 10.0.0.0/8, else 10.100.0.0/16",
            "imds() {",
            "  token=$(curl -sSf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "
            "http://169.254.169.254/latest/api/token)",
            "  curl -sSf -H \"X-aws-ec2-metadata-token: $token\" \"http://169.254.169.254/latest/meta-data/$1\"",
            "}",
            "MAC=$(imds mac)",
            "BLOCKS=$(imds \"network/interfaces/macs/$MAC/vpc-ipv4-cidr-blocks\")",
            "if grep -q '^10\\.' <<< \"$BLOCKS\"; then",
            "  DNS_CLUSTER_IP=172.20.0.10",
            "else",
            "  DNS_CLUSTER_IP=10.100.0.10",
            "fi",
        ]
    return "\n".join([
        "#!/bin/bash",
        "set -o errexit -o nounset -o pipefail",
        "set -o xtrace",
        *find_dns,
        "/etc/eks/bootstrap.sh '${ClusterName}' \\",
        "  --apiserver-endpoint '${Endpoint}' \\",
        "  --b64-cluster-ca '${CertificateAuthority}' \\",
        f"  --dns-cluster-ip '{dns}' \\" if dns is not None else "  --dns-cluster-ip \"$DNS_CLUSTER_IP\" \\",
        *max_pods,
        f"  --kubelet-extra-args '{kubelet}'",
        "",
    ])


# --------------------------------------------------------------------------- nodeadm (AL2023)


def node_config(config: ClusterConfig, ng: ManagedNodeGroup, name: str | None = None) -> dict[str, Any] | None:
    """The NodeConfig this tool writes: the whole cluster section for a custom AMI
    (eksctl's ``createMinimalNodeConfig``), ``maxPods`` when given; None when EKS's own
    NodeConfig needs nothing added."""
    spec: dict[str, Any] = {}
    kubelet_config: dict[str, Any] = {}
    if ng.ami is not None:
        network = service_cidr(config)
        spec["cluster"] = {
            "name": "${ClusterName}",
            "apiServerEndpoint": "${Endpoint}",
            "certificateAuthority": "${CertificateAuthority}",
            "cidr": str(network),  # known: rules.nodegroup_options refuses a custom AL2023 AMI without it
        }
        kubelet_config["clusterDNS"] = [cluster_dns_ip(config)]
        flags = ["--node-labels=" + ",".join(f"{k}={v}" for k, v in node_labels(ng, name).items())]
        if ng.taints:
            flags.append("--register-with-taints=" + _taint_list(ng))
        spec["kubelet"] = {"flags": flags}
    if ng.max_pods_per_node is not None:
        kubelet_config["maxPods"] = ng.max_pods_per_node
    if kubelet_config:
        spec.setdefault("kubelet", {})["config"] = kubelet_config
    if not spec:
        return None
    return {"apiVersion": NODECONFIG_API, "kind": "NodeConfig", "spec": spec}


# --------------------------------------------------------------------------- Bottlerocket


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's


def _toml_key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() else json.dumps(key)


def bottlerocket_settings(config: ClusterConfig, ng: ManagedNodeGroup, name: str | None = None) -> str | None:
    """Bottlerocket's TOML user data: the cluster's settings for a custom AMI, ``max-pods``."""
    kubernetes: dict[str, Any] = {}
    labels: dict[str, str] = {}
    taints: dict[str, str] = {}
    if ng.ami is not None:
        kubernetes.update({
            "cluster-name": "${ClusterName}",
            "api-server": "${Endpoint}",
            "cluster-certificate": "${CertificateAuthority}",
        })
        dns = cluster_dns_ip(config)
        if dns is not None:
            kubernetes["cluster-dns-ip"] = dns
        labels = node_labels(ng, name)
        taints = {t.key: f"{t.value or ''}:{t.effect}" for t in ng.taints}
    if ng.max_pods_per_node is not None:
        kubernetes["max-pods"] = ng.max_pods_per_node
    if not kubernetes:
        return None
    lines = ["[settings.kubernetes]", *(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in kubernetes.items())]
    if labels:
        lines += ["", "[settings.kubernetes.node-labels]",
                  *(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in labels.items())]
    if taints:
        lines += ["", "[settings.kubernetes.node-taints]",
                  *(f"{_toml_key(k)} = {_toml_value([v])}" for k, v in taints.items())]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- MIME


def mime(parts: list[tuple[str, str]]) -> str:
    """A MIME multi-part archive (EKS: managed nodegroup user data for Amazon Linux)."""
    out = ["MIME-Version: 1.0", f'Content-Type: multipart/mixed; boundary="{BOUNDARY}"', ""]
    for content_type, body in parts:
        out += [f"--{BOUNDARY}", f"Content-Type: {content_type}", "", body.rstrip("\n")]
    out += [f"--{BOUNDARY}--", ""]
    return "\n".join(out)


def user_data_text(config: ClusterConfig, ng: ManagedNodeGroup, name: str | None = None) -> str | None:
    """The launch template's user data as Fn::Sub text, or None when there is none;
    ``name``: the nodegroup's name as the text carries it (default: the literal; its stack
    passes :data:`NODEGROUP_NAME_VARIABLE`)."""
    if ng.ami_family == "Bottlerocket":
        return bottlerocket_settings(config, ng, name)
    scripts = [("#!/bin/bash\n" + _literal(command)) for command in ng.pre_bootstrap_commands]
    parts: list[tuple[str, str]] = [(SHELL_TYPE, s) for s in scripts]
    if ng.ami_family == "AmazonLinux2023":
        generated = node_config(config, ng, name)
        if generated is not None:
            parts.insert(0, (NODECONFIG_TYPE, "---\n" + yaml.safe_dump(generated, sort_keys=False)))
        if ng.override_bootstrap_command is not None:
            parts.append((NODECONFIG_TYPE, _literal(ng.override_bootstrap_command)))
    elif custom_bootstrap(ng):
        bootstrap = (_literal(ng.override_bootstrap_command) if ng.override_bootstrap_command is not None
                     else bootstrap_sh(config, ng, name))
        if not parts and ng.ami is None:
            return bootstrap  # Ubuntu with nothing added: the script alone, as before
        parts.append((SHELL_TYPE, bootstrap))
    if not parts:
        return None
    return mime(parts)


def reads_cluster_endpoint(config: ClusterConfig, ng: ManagedNodeGroup) -> bool:
    """Whether the user data is told the cluster's endpoint and CA (the stack's inputs)."""
    text = user_data_text(config, ng) or ""
    return "${Endpoint}" in text or "${CertificateAuthority}" in text


def user_data(config: ClusterConfig, ng: ManagedNodeGroup, cluster_name: Any, endpoint: Any,
              certificate_authority: Any, nodegroup_name: Any = None) -> Base64 | None:
    """The user data; ``nodegroup_name``: an expression of the nodegroup's name (its stack's
    ``NodegroupName`` parameter), else the text carries the literal name."""
    text = user_data_text(config, ng, None if nodegroup_name is None else NODEGROUP_NAME_VARIABLE)
    if text is None:
        return None
    variables = {"ClusterName": cluster_name, "Endpoint": endpoint, "CertificateAuthority": certificate_authority,
                 "NodegroupName": nodegroup_name}
    used = {k: v for k, v in variables.items() if "${" + k + "}" in text}
    return Base64(Sub(text, **used)) if used else Base64(text.replace("${!", "${"))


# --------------------------------------------------------------------------- launch template and nodegroup


def volume_options(ng: ManagedNodeGroup) -> dict[str, Any]:
    """volumeIOPS, volumeThroughput and volumeKmsKeyID for the volume of ``volumeSize``."""
    out: dict[str, Any] = {}
    if ng.volume_iops is not None:
        out["Iops"] = ng.volume_iops
    if ng.volume_throughput is not None:
        out["Throughput"] = ng.volume_throughput
    if ng.volume_kms_key_id is not None:
        out["KmsKeyId"] = ng.volume_kms_key_id
    return out


def node_security_groups(ng: ManagedNodeGroup, cluster_sg: Any, shared_sg: Any, local_sg: Any) -> list[Any]:
    """The nodes' groups: the cluster's, the shared node group (``withShared``), the
    nodegroup's own SSH group (``withLocal``), then ``attachIDs``."""
    groups = [cluster_sg]
    if ng.security_groups.with_shared:
        groups.append(shared_sg)
    if local_sg is not None:
        groups.append(local_sg)
    return groups + list(ng.security_groups.attach_ids)


def launch_template_options(ng: ManagedNodeGroup, groups: list[Any]) -> dict[str, Any]:
    """LaunchTemplateData for ami, enableDetailedMonitoring, capacityReservation,
    placement and efaEnabled (which moves the groups onto the EFA interface)."""
    out: dict[str, Any] = {}
    if ng.ami is not None:
        out["ImageId"] = ng.ami
    if ng.enable_detailed_monitoring:
        out["Monitoring"] = ec2.Monitoring(Enabled=True)
    reservation = ng.capacity_reservation
    if reservation is not None:
        spec: dict[str, Any] = {}
        if reservation.capacity_reservation_preference is not None:
            spec["CapacityReservationPreference"] = reservation.capacity_reservation_preference
        target = reservation.capacity_reservation_target
        if target is not None:
            spec["CapacityReservationTarget"] = ec2.CapacityReservationTarget(**{
                k: v for k, v in (("CapacityReservationId", target.capacity_reservation_id),
                                  ("CapacityReservationResourceGroupArn",
                                   target.capacity_reservation_resource_group_arn)) if v is not None})
        out["CapacityReservationSpecification"] = ec2.CapacityReservationSpecification(**spec)
    if ng.placement is not None:
        out["Placement"] = ec2.Placement(GroupName=ng.placement.group_name)
    if ng.efa_enabled:
        # With NetworkInterfaces, EC2 takes the groups on the interface, not SecurityGroupIds
        # (RunInstances: "you cannot specify security groups both"). One EFA interface on the
        # first network card: more cards depend on the instance type (DescribeInstanceTypes),
        # which render does not look up.
        out["NetworkInterfaces"] = [ec2.NetworkInterfaces(
            DeviceIndex=0, NetworkCardIndex=0, InterfaceType="efa", Groups=groups, DeleteOnTermination=True)]
    return out


def nodegroup_options(ng: ManagedNodeGroup) -> dict[str, Any]:
    """AWS::EKS::Nodegroup properties for nodeRepairConfig."""
    out: dict[str, Any] = {}
    repair = ng.node_repair_config
    if repair is not None:
        values: dict[str, Any] = {"Enabled": repair.enabled}
        for name, value in (("MaxParallelNodesRepairedCount", repair.max_parallel_nodes_repaired_count),
                            ("MaxParallelNodesRepairedPercentage", repair.max_parallel_nodes_repaired_percentage),
                            ("MaxUnhealthyNodeThresholdCount", repair.max_unhealthy_node_threshold_count),
                            ("MaxUnhealthyNodeThresholdPercentage", repair.max_unhealthy_node_threshold_percentage)):
            if value is not None:
                values[name] = value
        out["NodeRepairConfig"] = eks.NodeRepairConfig(**values)
    return out


def unused_inputs(ng: ManagedNodeGroup, subnet_port: Any) -> list[Any]:
    """The nodegroup stack's inputs that the file's options leave unused."""
    from eks_templates.names import SHARED_NODE_SG_ID

    unused = [] if ng.security_groups.with_shared else [SHARED_NODE_SG_ID]
    return unused + ([subnet_port] if ng.subnets else [])


def subnet_ids(config: ClusterConfig, ng: ManagedNodeGroup) -> list[str]:
    """``subnets`` as IDs: an ID as given, a ``vpc.subnets`` name as its ``id``."""
    named = {}
    if config.vpc.subnets is not None:
        named = {**config.vpc.subnets.public, **config.vpc.subnets.private}
    return [named[s].id or s if s in named else s for s in ng.subnets]


__all__ = [
    "bootstrap_sh", "launch_template_options", "node_config", "node_security_groups", "nodegroup_options",
    "subnet_ids", "user_data", "user_data_text", "volume_options",
]
