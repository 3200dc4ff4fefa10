"""The management host of the notes (``eksctl-host``): an Amazon Linux 2023 instance
with kubectl and a kubeconfig for this cluster, reached by Session Manager (and SSH
from ``bastion.allowedCIDRs`` when a key is named), in a public subnet (the notes'
start) or a private one (notes 4.3).

IMDSv2 only, encrypted root volume, EBS-optimized, detailed monitoring. Its role may
describe this cluster only (``aws eks update-kubeconfig``) and use Session Manager;
Kubernetes permissions come from whoever runs kubectl there (their own credentials, as
in the notes) or from an access entry the stack file adds for the host's role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from troposphere import Base64, GetAtt, Parameter, Ref, Sub, Tags, Template, ec2, iam

from eks_templates.builders.base import Builder
from eks_templates.builders.common import (
    allow,
    assume_role,
    checkov_skips,
    document,
    managed_policy,
    name_tag,
    pick,
    service_principal,
)
from eks_templates.names import (
    BASTION_STACK,
    CLUSTER_ARN,
    CLUSTER_NAME,
    MANAGEMENT_HOST_INSTANCE_ID,
    MANAGEMENT_HOST_PRIVATE_IP,
    MANAGEMENT_HOST_PUBLIC_IP,
    MANAGEMENT_HOST_ROLE_ARN,
    MANAGEMENT_HOST_SG_ID,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
    Port,
)

#: Amazon Linux 2023, the newest image, from AWS's public SSM parameter
AL2023_IMAGE_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
ROOT_VOLUME_GIB = 30

USER_DATA = """#!/bin/bash
# The management host of the notes: kubectl and a kubeconfig for ${ClusterName}.
set -euxo pipefail
cat > /etc/profile.d/eks-cluster.sh <<'EOF'
export CLUSTER_NAME=${ClusterName}
export AWS_DEFAULT_REGION=${AWS::Region}
EOF
version=$(curl -fsSL https://dl.k8s.io/release/stable-${KubernetesVersion}.txt)
curl -fsSLo /usr/local/bin/kubectl "https://dl.k8s.io/release/${!version}/bin/linux/amd64/kubectl"
chmod 0755 /usr/local/bin/kubectl
# Every login user (ec2-user, and ssm-user, which Session Manager creates later) gets the kubeconfig.
install -d -m 0755 /etc/skel/.kube
aws eks update-kubeconfig --region ${AWS::Region} --name ${ClusterName} --kubeconfig /etc/skel/.kube/config
for home in /root /home/ec2-user; do
  install -d -m 0700 "${!home}/.kube"
  install -m 0600 /etc/skel/.kube/config "${!home}/.kube/config"
done
chown -R ec2-user:ec2-user /home/ec2-user/.kube
"""


class BastionBuilder(Builder):
    """The management host (``bastion.enabled``)."""

    stack_id = BASTION_STACK
    description = "Management host (the notes' eksctl-host): instance, role and instance profile"

    @property
    def subnet_port(self) -> Port:
        return PUBLIC_SUBNET_IDS if self.config.bastion.subnet == "public" else PRIVATE_SUBNET_IDS

    @property
    def public(self) -> bool:
        return self.config.bastion.subnet == "public"

    @property
    def inputs(self) -> Sequence[Port]:
        return (MANAGEMENT_HOST_SG_ID, self.subnet_port, CLUSTER_NAME, CLUSTER_ARN)

    @property
    def outputs(self) -> Sequence[Port]:
        ports = [MANAGEMENT_HOST_INSTANCE_ID, MANAGEMENT_HOST_PRIVATE_IP]
        if self.public:
            ports.append(MANAGEMENT_HOST_PUBLIC_IP)
        ports.append(MANAGEMENT_HOST_ROLE_ARN)
        return tuple(ports)

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        bastion = self.config.bastion
        image = Parameter(
            self.lid("ManagementHostImageId"),
            Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            Default=AL2023_IMAGE_PARAMETER,
            Description="Amazon Linux 2023 image for the management host (public SSM parameter)",
        )
        template.add_parameter(image)
        role_id = self.lid("ManagementHostRole")
        role = self.add(template, iam.Role(
            role_id,
            AssumeRolePolicyDocument=assume_role(service_principal(template, "EC2")),
            ManagedPolicyArns=[managed_policy("AmazonSSMManagedInstanceCore")],
            Policies=[iam.Policy(
                PolicyName="DescribeThisCluster",
                PolicyDocument=document(allow(("eks:DescribeCluster",), [self.require(inputs, CLUSTER_ARN)])),
            )],
            Tags=Tags(self.tags({"Name": name_tag(role_id)})),  # type: ignore[dict-item]
        ))
        profile = self.add(template, iam.InstanceProfile(self.lid("ManagementHostInstanceProfile"),
                                                        Roles=[Ref(role)]))
        interface: dict[str, Any] = {
            "DeviceIndex": "0",
            "SubnetId": pick(self.require(inputs, self.subnet_port), 0),
            "GroupSet": [self.require(inputs, MANAGEMENT_HOST_SG_ID)],
            "AssociatePublicIpAddress": self.public,
            "DeleteOnTermination": True,
        }
        props: dict[str, Any] = {
            "ImageId": Ref(image),
            "InstanceType": bastion.instance_type,
            "IamInstanceProfile": Ref(profile),
            "EbsOptimized": True,
            "Monitoring": True,
            "MetadataOptions": ec2.MetadataOptions(
                HttpEndpoint="enabled", HttpTokens="required", HttpPutResponseHopLimit=1,
            ),
            "BlockDeviceMappings": [ec2.BlockDeviceMapping(
                DeviceName="/dev/xvda",
                Ebs=ec2.EbsBlockDevice(VolumeSize=ROOT_VOLUME_GIB, VolumeType="gp3", Encrypted=True,
                                       DeleteOnTermination=True),
            )],
            "NetworkInterfaces": [ec2.NetworkInterfaceProperty(**interface)],
            "UserData": Base64(Sub(USER_DATA, ClusterName=self.require(inputs, CLUSTER_NAME),
                                   KubernetesVersion=self.config.metadata.version)),
            "Tags": Tags(self.tags({"Name": f"{self.config.metadata.name}-management-host"})),
        }
        if bastion.key_name:
            props["KeyName"] = bastion.key_name
        if self.public:
            props["Metadata"] = checkov_skips({"CKV_AWS_88": (
                "bastion.subnet is public in the stack file (the notes' eksctl-host): the host gets a public "
                "address; SSH reaches it only from bastion.allowedCIDRs. Use subnet: private (notes 4.3) "
                "and Session Manager to have none")})
        host = self.add(template, ec2.Instance(self.lid("ManagementHost"), **props))
        outputs: dict[str, Any] = {
            MANAGEMENT_HOST_INSTANCE_ID.name: Ref(host),
            MANAGEMENT_HOST_PRIVATE_IP.name: GetAtt(host, "PrivateIp"),
            MANAGEMENT_HOST_ROLE_ARN.name: GetAtt(role, "Arn"),
        }
        if self.public:
            outputs[MANAGEMENT_HOST_PUBLIC_IP.name] = GetAtt(host, "PublicIp")
        return outputs


__all__ = ["AL2023_IMAGE_PARAMETER", "BastionBuilder"]
