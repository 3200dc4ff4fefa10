"""One managed nodegroup: node role (+ the ``withAddonPolicies`` statements), the
remoteAccess security group (``SSH``), an optional imported key pair, the launch
template and ``AWS::EKS::Nodegroup`` ``ManagedNodeGroup`` — eksctl's logical IDs.

One builder instance per nodegroup, each its own child stack
(``Nodegroup<Name>Stack``); in a flat template its logical IDs carry
``Nodegroup<Name>`` in front so two nodegroups do not collide.

In a child stack the nodegroup's name is the parameter ``NodegroupName`` (passed by the
root, :meth:`NodegroupBuilder.name_values`), and every text that carries it is an
``Fn::Sub`` of it; the child's parameters and outputs have the same names for every
nodegroup (:meth:`NodegroupBuilder.child_port`). So nodegroups of the same shape render
byte-identical child templates, and the set holds one file per shape. Without the
``NodegroupName`` input (flat, a library caller's template) the name is a literal.

Scaling comes from one root parameter per nodegroup (``names.nodegroup_scaling_parameter``,
``"desired,min,max"``, Default = the stack file's values) that ``scale`` changes; the
nodegroup reads it with ``Fn::Select``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from troposphere import GetAtt, Parameter, Ref, Select, Sub, Tags, Template, ec2, eks, iam

from eks_templates.builders import node_bootstrap
from eks_templates.builders.addons import ADDONS_BEFORE_COMPUTE
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
from eks_templates.builders.pod_identity import cni_has_own_role, effective_addons
from eks_templates.builders.policies import ADDON_POLICY_SKIPS, addon_policies
from eks_templates.builders.security import ingress
from eks_templates.config.model import ClusterConfig, ManagedNodeGroup
from eks_templates.config.rules.nodegroups import architecture
from eks_templates.names import (
    CERTIFICATE_AUTHORITY_DATA,
    CLUSTER_ENDPOINT,
    CLUSTER_NAME,
    CLUSTER_SG_ID,
    MANAGEMENT_HOST_SG_ID,
    MAX_REMOTE_ACCESS_ROOT_OUTPUTS,
    NODE_KEY_NAME,
    NODEGROUP_NAME,
    NODEGROUP_REMOTE_ACCESS_SG_ID,
    NODEGROUP_ROLE_ARN,
    NODEGROUP_SCALING,
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
    pascal,
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
    """One managed nodegroup (``managedNodeGroups[i]``): node role (``NodeInstanceRole``,
    unless ``iam.instanceRoleARN``) with its add-on policies, the remoteAccess group
    (``SSH``, with ``ssh.allow``), an imported key pair (``ssh.publicKey``), the launch
    template and the ``AWS::EKS::Nodegroup`` ``ManagedNodeGroup``.

    In the nested set it is its own child stack (``Nodegroup<Name>Stack``) with eksctl's
    logical IDs. In a template shared with other builders (the flat template, yours) its
    IDs start with ``Nodegroup<Name>`` (``NodegroupMyeksNodegroupNodeInstanceRole``,
    ...; :attr:`eks_templates.builders.Builder.id_prefix` overrides it) and the launch
    template is named ``<stack name>-<nodegroup name>``, so several nodegroups fit in one
    template. ``<Name>`` is the nodegroup's name in PascalCase (``myeks-nodegroup`` ->
    ``MyeksNodegroup``).

    Inputs:
        - ``ClusterName``: the cluster.
        - ``ClusterSecurityGroupId``: the EKS-created cluster group, on every node.
        - ``ClusterSharedNodeSecurityGroupId``: unless ``securityGroups.withShared: false``.
        - ``PrivateSubnetIds`` (``privateNetworking: true``, the default) or
          ``PublicSubnetIds``: unless the nodegroup lists its own ``subnets``.
        - ``Nodegroup<Name>Scaling``: ``"desired,min,max"`` (a
          ``CommaDelimitedList``), fed by the root parameter of :meth:`root_parameters`.
        - ``VpcId``: only with ``ssh.allow`` (the remoteAccess group).
        - ``ManagementHostSecurityGroupId``: with ``ssh.allow`` and ``bastion.enabled``.
        - ``NodeKeyName``: with ``ssh.allow`` and no key of its own (the generated key).
        - ``ClusterEndpoint``, ``CertificateAuthorityData``: only for a custom ``ami``
          whose bootstrap must be told them.

    Outputs:
        - ``<Name>NodeInstanceRoleArn``: the node role.
        - ``<Name>RemoteAccessSecurityGroupId``: only with ``ssh.allow``.

    Root parameters: ``Nodegroup<Name>Scaling`` (default: the file's
    ``desiredCapacity,minSize,maxSize``; ``scale`` changes it).

    Options (stack file): every ``managedNodeGroups[]`` key the README lists (instance
    types, AMI family and release, sizes, volumes, labels, taints, ``ssh``, ``iam``,
    ``updateConfig``, launch-template and bootstrap options); ``bastion.enabled``;
    ``metadata.version`` (the nodes' default version).

    Args:
        config: the checked stack file.
        nodegroup: one of ``config.managed_node_groups``.
    """

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
        """The ``Nodegroup<Name>Scaling`` input (``"desired,min,max"``)."""
        return nodegroup_scaling_port(self.nodegroup.name)

    @property
    def subnet_port(self) -> Port:
        """The subnets the nodes go in: private (``privateNetworking``) or public."""
        return PRIVATE_SUBNET_IDS if self.nodegroup.private_networking else PUBLIC_SUBNET_IDS

    @property
    def ssh_allowed(self) -> bool:
        """``ssh.allow``: the nodegroup has a remoteAccess group and a key."""
        return self.nodegroup.ssh.allow

    @property
    def is_ubuntu(self) -> bool:
        """An Ubuntu family: Canonical's image as a custom AMI (no ``AmiType``)."""
        return self.nodegroup.ami_family in UBUNTU_RELEASES

    @property
    def inputs(self) -> Sequence[Port]:
        ports = [CLUSTER_NAME, CLUSTER_SG_ID, SHARED_NODE_SG_ID, self.subnet_port, self.scaling_port]
        # securityGroups.withShared: false / subnets: those inputs are not used
        ports = [p for p in ports if p not in node_bootstrap.unused_inputs(self.nodegroup, self.subnet_port)]
        if self.ssh_allowed:
            ports.append(VPC_ID)
            if self.config.bastion.enabled:
                ports.append(MANAGEMENT_HOST_SG_ID)
            if uses_generated_key(self.nodegroup):
                ports.append(NODE_KEY_NAME)
        if node_bootstrap.reads_cluster_endpoint(self.config, self.nodegroup):
            ports += [CLUSTER_ENDPOINT, CERTIFICATE_AUTHORITY_DATA]
        return tuple(ports)

    @property
    def remote_access_port(self) -> Port:
        """The ``<Name>RemoteAccessSecurityGroupId`` output (a root output unless more than
        :data:`eks_templates.names.MAX_REMOTE_ACCESS_ROOT_OUTPUTS` nodegroups allow SSH)."""
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

    def name_values(self) -> Sequence[tuple[Port, Any]]:
        return ((NODEGROUP_NAME, self.nodegroup.name),)

    def child_port(self, port: Port) -> Port:
        local = {self.scaling_port.name: NODEGROUP_SCALING,
                 nodegroup_role_port(self.nodegroup.name).name: NODEGROUP_ROLE_ARN,
                 self.remote_access_port.name: NODEGROUP_REMOTE_ACCESS_SG_ID}
        return local.get(port.name, port)

    # -- build

    def _named(self, inputs: Mapping[str, Any], text: str) -> Any:
        """``text`` (``Fn::Sub`` syntax) with ``${NodegroupName}`` as the nodegroup's name:
        an ``Fn::Sub`` of the ``NodegroupName`` input when there is one, else the literal
        name (a plain string when nothing else is left to substitute)."""
        name = inputs.get(NODEGROUP_NAME.name)
        if name is None or isinstance(name, str):
            text = text.replace("${" + NODEGROUP_NAME.name + "}", name or self.nodegroup.name)
            return Sub(text) if "${" in text else text
        if isinstance(name, Ref) and name.to_dict() == {"Ref": NODEGROUP_NAME.name}:
            return Sub(text)
        return Sub(text, **{NODEGROUP_NAME.name: name})

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        ng = self.nodegroup
        role_arn = ng.iam.instance_role_arn or GetAtt(self._add_role(template), "Arn")
        remote_access = self._add_remote_access(template, inputs) if self.ssh_allowed else None
        launch_template = self._add_launch_template(template, inputs, remote_access)
        scaling = self.require(inputs, self.scaling_port)
        props: dict[str, Any] = {
            "ClusterName": self.require(inputs, CLUSTER_NAME),
            "NodegroupName": inputs.get(NODEGROUP_NAME.name, ng.name),
            "NodeRole": role_arn,
            "Subnets": node_bootstrap.subnet_ids(self.config, ng) or self.require(inputs, self.subnet_port),
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
        kind = ami_type(ng) if ng.ami is None else None  # custom AMI: no AmiType (CreateNodegroup)
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
        props.update(node_bootstrap.nodegroup_options(ng))
        # In a flat template the add-ons made before any node (the VPC CNI must be there
        # when the first node joins: with its own role the node role has no CNI policy)
        # are beside the nodegroup: wait for them. In the nested set ControlPlaneStack,
        # which holds them, is complete before a nodegroup stack starts.
        before = [f"Addon{pascal(a.name)}" for a in effective_addons(self.config) if a.name in ADDONS_BEFORE_COMPUTE]
        waits_for = [lid for lid in before if lid in template.resources]
        if waits_for:
            props["DependsOn"] = waits_for
        self.add(template, eks.Nodegroup(self.lid("ManagedNodeGroup"), **props))
        outputs: dict[str, Any] = {nodegroup_role_port(ng.name).name: role_arn}
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
        return [managed_policy(n) for n in sorted(names)] + list(self.nodegroup.iam.attach_policy_arns)

    def _add_role(self, template: Template) -> iam.Role:
        logical_id = self.lid("NodeInstanceRole")
        role = self.add(template, iam.Role(
            logical_id,
            Path="/",
            AssumeRolePolicyDocument=assume_role(service_principal(template, "EC2")),
            ManagedPolicyArns=self._managed_policies(),
            Tags=Tags(self.tags({"Name": name_tag(logical_id)})),  # type: ignore[dict-item]
            **({"PermissionsBoundary": boundary}
               if (boundary := self.nodegroup.iam.instance_role_permissions_boundary) else {}),
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
            GroupDescription=self._named(inputs, "SSH to the nodes of nodegroup ${NodegroupName} from the "
                                                 "management host and ssh.sourceSecurityGroupIds only"),
            # No GroupName: CloudFormation names the group, as every other group here. A name
            # built from the stack name breaks where EC2 refuses it (CreateSecurityGroup: at most
            # 255 characters, never starting with "sg-"), and nothing reads the name.
            VpcId=self.require(inputs, VPC_ID),
            Tags=Tags(self.tags({"Name": name_tag(logical_id)})),  # type: ignore[dict-item]
        ))
        if self.config.bastion.enabled:
            self.add(template, ingress(
                self.lid("SSHIngressManagementHost"), Ref(group),
                self._named(inputs, "SSH to nodegroup ${NodegroupName} from the management host"),
                ports=(22, 22), source_group=self.require(inputs, MANAGEMENT_HOST_SG_ID),
            ))
        for i, source in enumerate(ng.ssh.source_security_group_ids, start=1):
            self.add(template, ingress(
                self.lid(f"SSHIngressSource{i}"), Ref(group),
                self._named(inputs, f"SSH to nodegroup ${{NodegroupName}} from {source} (ssh.sourceSecurityGroupIds)"),
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
                KeyName=self._named(inputs, "${AWS::StackName}-${NodegroupName}"),
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
            volume["Iops"] = 100  # the minimum, valid at every size (unless volumeIOPS)
        volume.update(node_bootstrap.volume_options(ng))
        devices = [ec2.LaunchTemplateBlockDeviceMapping(DeviceName=root_device(ng), Ebs=ec2.EBSBlockDevice(**volume))]
        if ng.ami_family == "Bottlerocket":
            # volumeSize is Bottlerocket's data volume; its small OS volume is encrypted too
            devices.insert(0, ec2.LaunchTemplateBlockDeviceMapping(
                DeviceName="/dev/xvda",
                Ebs=ec2.EBSBlockDevice(VolumeType=ng.volume_type, Encrypted=ng.volume_encrypted,
                                       DeleteOnTermination=True),
            ))
        groups = node_bootstrap.node_security_groups(
            ng, self.require(inputs, CLUSTER_SG_ID), inputs.get(SHARED_NODE_SG_ID.name),
            Ref(remote_access) if remote_access is not None else None)
        node_name = self._named(inputs, f"{self.config.metadata.name}-${{NodegroupName}}-Node")
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
            **({} if ng.efa_enabled else {"SecurityGroupIds": groups}),
            "TagSpecifications": [
                ec2.TagSpecifications(ResourceType=kind, Tags=instance_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
        }
        key_name = self._key_name(template, inputs)
        if key_name is not None:
            data["KeyName"] = key_name
        data.update(node_bootstrap.launch_template_options(ng, groups))
        if self.is_ubuntu and ng.ami is None:
            image = Parameter(
                self.lid("UbuntuImageId"),
                Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                Default=ubuntu_image_parameter_path(self.config, ng),
                Description="Canonical's Ubuntu EKS image for "
                            + (f"nodegroup {ng.name}" if NODEGROUP_NAME.name not in inputs else "the nodegroup")
                            + " (public SSM parameter)",
            )
            template.add_parameter(image)
            data["ImageId"] = Ref(image)
        user_data = node_bootstrap.user_data(
            self.config, ng, self.require(inputs, CLUSTER_NAME),
            inputs.get(CLUSTER_ENDPOINT.name), inputs.get(CERTIFICATE_AUTHORITY_DATA.name),
            nodegroup_name=inputs.get(NODEGROUP_NAME.name))
        if user_data is not None:
            data["UserData"] = user_data
        props: dict[str, Any] = {
            "LaunchTemplateName": Sub("${AWS::StackName}" + (f"-{ng.name}" if self.effective_id_prefix else "")),
            "LaunchTemplateData": ec2.LaunchTemplateData(**data),
        }
        if not ng.disable_imdsv1:
            # Metadata takes no intrinsic functions: the reason names no nodegroup, so that it
            # is the same text in the template that nodegroups of one shape share
            props["Metadata"] = checkov_skips({"CKV_AWS_79": (
                "managedNodeGroups: disableIMDSv1 is false in the stack file for this nodegroup, "
                "so IMDSv1 stays on")})
        return self.add(template, ec2.LaunchTemplate(self.lid("LaunchTemplate"), **props))


def nodegroup_builders(config: ClusterConfig) -> list[NodegroupBuilder]:
    """One :class:`NodegroupBuilder` per ``managedNodeGroups`` entry, in the file's order."""
    return [NodegroupBuilder(config, ng) for ng in config.managed_node_groups]


__all__ = ["NodegroupBuilder", "ami_type", "nodegroup_builders", "ubuntu_image_parameter_path"]
