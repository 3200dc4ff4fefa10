"""One managed nodegroup: node role (+ the ``withAddonPolicies`` statements), the
remoteAccess security group (``SSH``), an optional imported key pair, the launch
template and ``AWS::EKS::Nodegroup`` ``ManagedNodeGroup`` — eksctl's logical IDs.

One builder instance per nodegroup, each its own child stack
(``Nodegroup<Name>Stack``); in a flat template its logical IDs carry
``Nodegroup<Name>`` in front so two nodegroups do not collide.

Scaling comes from one root parameter per nodegroup (``names.nodegroup_scaling_parameter``,
``"desired,min,max"``, Default = the stack file's values) that ``scale`` changes; the
nodegroup reads it with ``Fn::Select``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from troposphere import Base64, GetAtt, Parameter, Ref, Select, Sub, Tags, Template, ec2, eks, iam

from eks_templates.builders.base import Builder
from eks_templates.builders.common import (
    assume_role,
    checkov_skips,
    document,
    managed_policy,
    name_tag,
    service_principal,
    tag_props,
)
from eks_templates.builders.node_key import uses_generated_key
from eks_templates.builders.pod_identity import cni_has_own_role
from eks_templates.builders.policies import ADDON_POLICY_SKIPS, addon_policies
from eks_templates.builders.security import ingress
from eks_templates.config.model import ClusterConfig, ManagedNodeGroup
from eks_templates.config.service_network import cluster_dns_ip
from eks_templates.config.validate import architecture
from eks_templates.names import (
    CERTIFICATE_AUTHORITY_DATA,
    CLUSTER_ENDPOINT,
    CLUSTER_NAME,
    CLUSTER_SG_ID,
    MANAGEMENT_HOST_SG_ID,
    MAX_REMOTE_ACCESS_ROOT_OUTPUTS,
    NODE_KEY_NAME,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
    SHARED_NODE_SG_ID,
    VPC_ID,
    Port,
    format_scaling,
    nodegroup_flat_prefix,
    nodegroup_role_port,
    nodegroup_scaling_port,
    nodegroup_stack,
    remote_access_sg_port,
)

# --------------------------------------------------------------------------- AMI family -> AMI type, devices

TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
UBUNTU_RELEASES = {"Ubuntu2004": "20.04", "Ubuntu2204": "22.04", "Ubuntu2404": "24.04"}
_FAMILY = re.compile(r"^(?P<series>[a-z]+)(?P<generation>\d+)")


def _series(instance_type: str) -> str:
    match = _FAMILY.match(instance_type)
    return match["series"] if match else ""


def is_gpu(instance_type: str) -> bool:
    """NVIDIA GPU families: p2..p6, g3..g6 (g5g is Graviton + NVIDIA), gr6."""
    return _series(instance_type) in ("p", "g", "gr")


def is_neuron(instance_type: str) -> bool:
    """AWS Inferentia/Trainium families."""
    return _series(instance_type) in ("inf", "trn")


def is_arm(ng: ManagedNodeGroup) -> bool:
    return architecture(ng.effective_instance_types[0]) == "arm64"


def ami_type(ng: ManagedNodeGroup) -> str | None:
    """The nodegroup's ``AmiType``, from ``amiFamily`` and the instance types; ``None``
    for Ubuntu (a custom AMI in the launch template: EKS then takes no AmiType)."""
    types = ng.effective_instance_types
    arm = is_arm(ng)
    gpu = any(is_gpu(t) for t in types)
    if ng.ami_family == "AmazonLinux2023":
        if any(is_neuron(t) for t in types):
            return "AL2023_x86_64_NEURON"
        if gpu:
            return "AL2023_ARM_64_NVIDIA" if arm else "AL2023_x86_64_NVIDIA"
        return "AL2023_ARM_64_STANDARD" if arm else "AL2023_x86_64_STANDARD"
    if ng.ami_family == "AmazonLinux2":
        if arm:
            return "AL2_ARM_64"
        return "AL2_x86_64_GPU" if gpu else "AL2_x86_64"
    if ng.ami_family == "Bottlerocket":
        if gpu:
            return "BOTTLEROCKET_ARM_64_NVIDIA" if arm else "BOTTLEROCKET_x86_64_NVIDIA"
        return "BOTTLEROCKET_ARM_64" if arm else "BOTTLEROCKET_x86_64"
    return None


def ubuntu_image_parameter_path(config: ClusterConfig, ng: ManagedNodeGroup) -> str:
    """Canonical's public SSM parameter for the Ubuntu EKS image (24.04 images are gp3)."""
    release = UBUNTU_RELEASES[ng.ami_family]
    volume = "ebs-gp3" if release == "24.04" else "ebs-gp2"
    arch = "arm64" if is_arm(ng) else "amd64"
    version = ng.effective_version(config.metadata.version)
    return (f"/aws/service/canonical/ubuntu/eks/{release}/{version}/stable/current/"
            f"{arch}/hvm/{volume}/ami-id")


def root_device(ng: ManagedNodeGroup) -> str:
    """Where ``volumeSize`` goes: the root volume, or Bottlerocket's data volume."""
    if ng.ami_family.startswith("Ubuntu"):
        return "/dev/sda1"
    if ng.ami_family == "Bottlerocket":
        return "/dev/xvdb"
    return "/dev/xvda"


# --------------------------------------------------------------------------- the builder


class NodegroupBuilder(Builder):
    """One managed nodegroup (``managedNodeGroups[i]``) in its own stack."""

    description = "EKS managed nodegroup: node role, remoteAccess security group, launch template, nodegroup"

    def __init__(self, config: ClusterConfig, nodegroup: ManagedNodeGroup) -> None:
        super().__init__(config)
        self.nodegroup = nodegroup

    # -- identity

    @property
    def child_id(self) -> str:
        return nodegroup_stack(self.nodegroup.name)

    @property
    def flat_id_prefix(self) -> str:
        return nodegroup_flat_prefix(self.nodegroup.name)

    # -- ports

    @property
    def scaling_port(self) -> Port:
        return nodegroup_scaling_port(self.nodegroup.name)

    @property
    def subnet_port(self) -> Port:
        return PRIVATE_SUBNET_IDS if self.nodegroup.private_networking else PUBLIC_SUBNET_IDS

    @property
    def ssh_allowed(self) -> bool:
        return self.nodegroup.ssh.allow

    @property
    def is_ubuntu(self) -> bool:
        return self.nodegroup.ami_family in UBUNTU_RELEASES

    @property
    def inputs(self) -> Sequence[Port]:
        ports = [CLUSTER_NAME, CLUSTER_SG_ID, SHARED_NODE_SG_ID, self.subnet_port, self.scaling_port]
        if self.ssh_allowed:
            ports.append(VPC_ID)
            if self.config.bastion.enabled:
                ports.append(MANAGEMENT_HOST_SG_ID)
            if uses_generated_key(self.nodegroup):
                ports.append(NODE_KEY_NAME)
        if self.is_ubuntu:
            ports += [CLUSTER_ENDPOINT, CERTIFICATE_AUTHORITY_DATA]
        return tuple(ports)

    @property
    def remote_access_port(self) -> Port:
        with_ssh = sum(1 for ng in self.config.managed_node_groups if ng.ssh.allow)
        return remote_access_sg_port(self.nodegroup.name, root_output=with_ssh <= MAX_REMOTE_ACCESS_ROOT_OUTPUTS)

    @property
    def outputs(self) -> Sequence[Port]:
        ports = [nodegroup_role_port(self.nodegroup.name)]
        if self.ssh_allowed:
            ports.append(self.remote_access_port)
        return tuple(ports)

    def root_parameters(self) -> Sequence[tuple[Port, Parameter]]:
        ng = self.nodegroup
        port = self.scaling_port
        return ((port, Parameter(
            port.name,
            Type="CommaDelimitedList",
            Default=format_scaling(ng.desired_capacity, ng.min_size, ng.max_size),
            Description=f"Nodegroup {ng.name}: desired,min,max nodes (the stack file's values; `scale` changes them)",
        )),)

    # -- build

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        ng = self.nodegroup
        role = self._add_role(template)
        remote_access = self._add_remote_access(template, inputs) if self.ssh_allowed else None
        launch_template = self._add_launch_template(template, inputs, remote_access)
        scaling = self.require(inputs, self.scaling_port)
        props: dict[str, Any] = {
            "ClusterName": self.require(inputs, CLUSTER_NAME),
            "NodegroupName": ng.name,
            "NodeRole": GetAtt(role, "Arn"),
            "Subnets": self.require(inputs, self.subnet_port),
            "ScalingConfig": eks.ScalingConfig(
                DesiredSize=Select(0, scaling), MinSize=Select(1, scaling), MaxSize=Select(2, scaling)
            ),
            "InstanceTypes": ng.effective_instance_types,
            "CapacityType": "SPOT" if ng.spot else "ON_DEMAND",
            "LaunchTemplate": eks.LaunchTemplateSpecification(
                Id=Ref(launch_template), Version=GetAtt(launch_template, "LatestVersionNumber")
            ),
        }
        if self.tags(ng.tags):
            props["Tags"] = self.tags(ng.tags)
        kind = ami_type(ng)
        if kind is not None:
            props["AmiType"] = kind
            # The kubelet's version (the cluster's unless pinned) and the AMI release. Not
            # for a custom AMI (Ubuntu: ImageId in the launch template): "If you specify
            # launchTemplate, and your launch template uses a custom AMI, then don't specify
            # version [or releaseVersion], or the node group deployment will fail" (EKS API
            # reference, CreateNodegroup / UpdateNodegroupVersion). There the image
            # parameter's path follows the version instead (ubuntu_image_parameter_path).
            props["Version"] = ng.effective_version(self.config.metadata.version)
            if ng.release_version:
                props["ReleaseVersion"] = ng.release_version
        if ng.labels:
            props["Labels"] = dict(sorted(ng.labels.items()))
        if ng.taints:
            props["Taints"] = [
                eks.Taint(Key=t.key, Effect=TAINT_EFFECTS[t.effect], **({"Value": t.value} if t.value else {}))
                for t in ng.taints
            ]
        if ng.update_config is not None:
            update: dict[str, Any] = {}
            if ng.update_config.max_unavailable is not None:
                update["MaxUnavailable"] = ng.update_config.max_unavailable
            if ng.update_config.max_unavailable_percentage is not None:
                update["MaxUnavailablePercentage"] = ng.update_config.max_unavailable_percentage
            props["UpdateConfig"] = eks.UpdateConfig(**update)
        self.add(template, eks.Nodegroup(self.lid("ManagedNodeGroup"), **props))
        outputs: dict[str, Any] = {nodegroup_role_port(ng.name).name: GetAtt(role, "Arn")}
        if remote_access is not None:
            outputs[self.remote_access_port.name] = Ref(remote_access)
        return outputs

    def _managed_policies(self) -> list[Any]:
        names = {"AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonSSMManagedInstanceCore"}
        # eksctl drops the CNI policy from the node role with withOIDC because it then
        # creates an IRSA role for aws-node itself. This tool creates no such role unasked, so
        # the node role keeps it unless the file gives vpc-cni a role of its own
        # (serviceAccountRoleARN, or Pod Identity: podIdentityAssociations / the defaults).
        if not cni_has_own_role(self.config):
            names.add("AmazonEKS_CNI_Policy")
        if self.nodegroup.iam.with_addon_policies.cloud_watch:
            names.add("CloudWatchAgentServerPolicy")
        return [managed_policy(n) for n in sorted(names)]

    def _add_role(self, template: Template) -> iam.Role:
        logical_id = self.lid("NodeInstanceRole")
        role = self.add(template, iam.Role(
            logical_id,
            Path="/",
            AssumeRolePolicyDocument=assume_role(service_principal(template, "EC2")),
            ManagedPolicyArns=self._managed_policies(),
            Tags=Tags(self.tags({"Name": name_tag(logical_id)})),  # type: ignore[dict-item]
        ))
        for name, statements in addon_policies(self.config, self.nodegroup):
            props: dict[str, Any] = {
                # The logical ID alone: unique on this role, which is the policy's only one, and
                # at most 104 characters. eksctl's "${AWS::StackName}-<ID>" exceeds IAM's 128
                # (PutRolePolicy PolicyName) under a long root stack name, as nested stacks are
                # named "<root>-<child ID>-<suffix>".
                "PolicyName": self.lid(name),
                "PolicyDocument": document(*statements),
                "Roles": [Ref(role)],
            }
            if name in ADDON_POLICY_SKIPS:
                props["Metadata"] = checkov_skips(ADDON_POLICY_SKIPS[name])
            self.add(template, iam.PolicyType(self.lid(name), **props))
        return role

    def _add_remote_access(self, template: Template, inputs: Mapping[str, Any]) -> ec2.SecurityGroup:
        """eksctl's ``SSH`` (remoteAccess) group: port 22 from the management host and
        the listed source groups only — never 0.0.0.0/0 (eksctl's default)."""
        ng = self.nodegroup
        logical_id = self.lid("SSH")
        group = self.add(template, ec2.SecurityGroup(
            logical_id,
            GroupDescription=f"SSH to the nodes of nodegroup {ng.name} from the management host "
                             "and ssh.sourceSecurityGroupIds only",
            # No GroupName: CloudFormation names the group, as every other group here. A name
            # built from the stack name breaks where EC2 refuses it (CreateSecurityGroup: at most
            # 255 characters, never starting with "sg-"), and nothing reads the name.
            VpcId=self.require(inputs, VPC_ID),
            Tags=Tags(self.tags({"Name": name_tag(logical_id)})),  # type: ignore[dict-item]
        ))
        if self.config.bastion.enabled:
            self.add(template, ingress(
                self.lid("SSHIngressManagementHost"), Ref(group),
                f"SSH to nodegroup {ng.name} from the management host",
                ports=(22, 22), source_group=self.require(inputs, MANAGEMENT_HOST_SG_ID),
            ))
        for i, source in enumerate(ng.ssh.source_security_group_ids, start=1):
            self.add(template, ingress(
                self.lid(f"SSHIngressSource{i}"), Ref(group),
                f"SSH to nodegroup {ng.name} from {source} (ssh.sourceSecurityGroupIds)",
                ports=(22, 22), source_group=source,
            ))
        return group

    def _key_name(self, template: Template, inputs: Mapping[str, Any]) -> Any:
        """The launch template's key: the EC2 key pair the file names, the public key it
        gives (imported here), or else the cluster's generated key (``node_key``)."""
        ssh = self.nodegroup.ssh
        if not ssh.allow:
            return None
        if ssh.public_key_name:
            return ssh.public_key_name
        if ssh.public_key:
            key = self.add(template, ec2.KeyPair(
                self.lid("KeyPair"),
                KeyName=Sub("${AWS::StackName}-" + self.nodegroup.name),
                PublicKeyMaterial=ssh.public_key.strip(),
                **tag_props(self.tags()),
            ))
            return Ref(key)
        return self.require(inputs, NODE_KEY_NAME)

    def _add_launch_template(self, template: Template, inputs: Mapping[str, Any],
                             remote_access: ec2.SecurityGroup | None) -> ec2.LaunchTemplate:
        ng = self.nodegroup
        volume: dict[str, Any] = {
            "VolumeSize": ng.volume_size,
            "VolumeType": ng.volume_type,
            "Encrypted": ng.volume_encrypted,
            "DeleteOnTermination": True,
        }
        if ng.volume_type == "gp3":
            volume.update(Iops=3000, Throughput=125)  # gp3's baseline, as eksctl
        elif ng.volume_type in ("io1", "io2"):
            volume["Iops"] = 100  # the minimum, valid at every size (no volumeIOPS field)
        devices = [ec2.LaunchTemplateBlockDeviceMapping(DeviceName=root_device(ng), Ebs=ec2.EBSBlockDevice(**volume))]
        if ng.ami_family == "Bottlerocket":
            # volumeSize is Bottlerocket's data volume; its small OS volume is encrypted too
            devices.insert(0, ec2.LaunchTemplateBlockDeviceMapping(
                DeviceName="/dev/xvda",
                Ebs=ec2.EBSBlockDevice(VolumeType=ng.volume_type, Encrypted=ng.volume_encrypted,
                                       DeleteOnTermination=True),
            ))
        groups = [self.require(inputs, CLUSTER_SG_ID), self.require(inputs, SHARED_NODE_SG_ID)]
        if remote_access is not None:
            groups.append(Ref(remote_access))
        node_name = f"{self.config.metadata.name}-{ng.name}-Node"
        instance_tags = Tags(self.tags({**ng.tags, "Name": node_name}))
        data: dict[str, Any] = {
            "BlockDeviceMappings": devices,
            "MetadataOptions": ec2.MetadataOptions(
                HttpEndpoint="enabled",
                HttpTokens="required" if ng.disable_imdsv1 else "optional",
                # 1: an IMDSv2 token reaches the node's own network namespace only, so pods (one hop
                # further) cannot take the node role's credentials; hostNetwork pods (aws-node:
                # `hostNetwork: true` in amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml; kube-proxy,
                # eks-pod-identity-agent) are in that namespace and keep IMDS. 2 where
                # the file lets pods reach it (disablePodIMDS: false, or withAddonPolicies).
                HttpPutResponseHopLimit=2 if ng.pods_reach_imds else 1,
            ),
            "SecurityGroupIds": groups,
            "TagSpecifications": [
                ec2.TagSpecifications(ResourceType=kind, Tags=instance_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
        }
        key_name = self._key_name(template, inputs)
        if key_name is not None:
            data["KeyName"] = key_name
        if self.is_ubuntu:
            image = Parameter(
                self.lid("UbuntuImageId"),
                Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                Default=ubuntu_image_parameter_path(self.config, ng),
                Description=f"Canonical's Ubuntu EKS image for nodegroup {ng.name} (public SSM parameter)",
            )
            template.add_parameter(image)
            data["ImageId"] = Ref(image)
            data["UserData"] = self._ubuntu_user_data(inputs)
        props: dict[str, Any] = {
            "LaunchTemplateName": Sub("${AWS::StackName}" + (f"-{ng.name}" if self.id_prefix else "")),
            "LaunchTemplateData": ec2.LaunchTemplateData(**data),
        }
        if not ng.disable_imdsv1:
            props["Metadata"] = checkov_skips({"CKV_AWS_79": (
                f"managedNodeGroups {ng.name}: disableIMDSv1 is false in the stack file, so IMDSv1 stays on")})
        return self.add(template, ec2.LaunchTemplate(self.lid("LaunchTemplate"), **props))

    def _ubuntu_user_data(self, inputs: Mapping[str, Any]) -> Base64:
        """A custom AMI gets no bootstrap from EKS: run Canonical's ``/etc/eks/bootstrap.sh``
        with the cluster's endpoint, CA and DNS address, and the nodegroup's labels and taints.

        ``--dns-cluster-ip`` is always passed, as eksctl does (pkg/nodebootstrap: its Ubuntu
        script gets ``GetClusterDNS``, the service CIDR's ``.10``): without it bootstrap.sh
        guesses from the VPC's blocks and is wrong whenever ``serviceIPv4CIDR`` is set. The
        address is known at render time unless the VPC is an existing one whose block the file
        does not give; then the script works out EKS's default for the VPC (see
        :mod:`eks_templates.config.service_network`) from the instance metadata at boot.
        (CloudFormation has no attribute for the cluster's IPv4 service CIDR: the
        AWS::EKS::Cluster schema makes only ``KubernetesNetworkConfig.ServiceIpv6Cidr`` read-only.)"""
        ng = self.nodegroup
        labels = {
            "eks.amazonaws.com/nodegroup": ng.name,
            "eks.amazonaws.com/capacityType": "SPOT" if ng.spot else "ON_DEMAND",
            **ng.labels,
        }
        kubelet = "--node-labels=" + ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        if ng.taints:
            kubelet += " --register-with-taints=" + ",".join(
                f"{t.key}={t.value or ''}:{t.effect}" for t in ng.taints
            )
        dns = cluster_dns_ip(self.config)
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
        script = "\n".join([
            "#!/bin/bash",
            "set -o errexit -o nounset -o pipefail",
            "set -o xtrace",
            *find_dns,
            "/etc/eks/bootstrap.sh '${ClusterName}' \\",
            "  --apiserver-endpoint '${Endpoint}' \\",
            "  --b64-cluster-ca '${CertificateAuthority}' \\",
            f"  --dns-cluster-ip '{dns}' \\" if dns is not None else "  --dns-cluster-ip \"$DNS_CLUSTER_IP\" \\",
            f"  --kubelet-extra-args '{kubelet}'",
            "",
        ])
        return Base64(Sub(
            script,
            ClusterName=self.require(inputs, CLUSTER_NAME),
            Endpoint=self.require(inputs, CLUSTER_ENDPOINT),
            CertificateAuthority=self.require(inputs, CERTIFICATE_AUTHORITY_DATA),
        ))


def nodegroup_builders(config: ClusterConfig) -> list[NodegroupBuilder]:
    return [NodegroupBuilder(config, ng) for ng in config.managed_node_groups]


__all__ = ["NodegroupBuilder", "ami_type", "nodegroup_builders", "ubuntu_image_parameter_path"]
