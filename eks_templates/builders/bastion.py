"""The management host of the notes (``eksctl-host``): an Amazon Linux 2023 instance
with kubectl and a kubeconfig for this cluster, reached by Session Manager (and SSH
from ``bastion.allowedCIDRs`` when a key is named), in a public subnet (the notes'
start) or a private one (notes 4.3).

IMDSv2 only, encrypted root volume, detailed monitoring. Image and kubectl follow the
instance type's architecture (Graviton types get the arm64 builds). kubectl comes from
an installer the user data writes (``/usr/local/bin/eks-kubectl-install``, run at first
boot and again by hand after an upgrade), which reads the cluster's version from EKS:
the template holds no Kubernetes version, so an upgrade leaves the host alone. Its role may
describe this cluster only (``aws eks update-kubeconfig``) and use Session Manager, and
it has an access entry (``AWS::EKS::AccessEntry``, in this stack because the role is
made here), so kubectl on the host works: cluster admin by default, or exactly what
``bastion.accessPolicies``/``bastion.kubernetesGroups`` say. With nodegroups that use
the cluster's generated SSH key (:mod:`eks_templates.builders.node_key`), the role may
read that key's one SSM parameter and the user data installs it as ``~/.ssh/id_rsa``
(notes 3.1-3.5: ``ssh ec2-user@$N1``).

No ``EbsOptimized``: the current instance families are EBS-optimized by default (the
flag has no effect there), T2 and some older sizes refuse it ("EBS-optimized instances
are not supported for your requested configuration"), and on the old types where it is
optional it costs extra (EC2 user guide, "Amazon EBS-optimized instance types").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from troposphere import Base64, GetAtt, Parameter, Ref, Sub, Tags, Template, ec2, eks, iam

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
from eks_templates.builders.node_key import key_parameter_arn, needs_generated_key
from eks_templates.config.model import ClusterConfig
from eks_templates.config.rules.nodegroups import architecture
from eks_templates.names import (
    BASTION_STACK,
    CLUSTER_ARN,
    CLUSTER_NAME,
    MANAGEMENT_HOST_INSTANCE_ID,
    MANAGEMENT_HOST_PRIVATE_IP,
    MANAGEMENT_HOST_PUBLIC_IP,
    MANAGEMENT_HOST_ROLE_ARN,
    MANAGEMENT_HOST_SG_ID,
    NODE_KEY_PAIR_ID,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
    Port,
)

#: Amazon Linux 2023, the newest image, from AWS's public SSM parameters, per architecture
AL2023_IMAGE_PARAMETERS = {
    "x86_64": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    "arm64": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
}
AL2023_IMAGE_PARAMETER = AL2023_IMAGE_PARAMETERS["x86_64"]
#: kubectl's build per architecture: dl.k8s.io/release/<v>/bin/linux/<build>/kubectl
KUBECTL_BUILDS = {"x86_64": "amd64", "arm64": "arm64"}
#: the management host's access policy unless bastion.accessPolicies/kubernetesGroups say otherwise
CLUSTER_ADMIN_POLICY = "arn:${AWS::Partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
ROOT_VOLUME_GIB = 30

#: Where the user data installs :data:`KUBECTL_INSTALL`; run it again on the host after an upgrade.
KUBECTL_INSTALL_PATH = "/usr/local/bin/eks-kubectl-install"

#: The host's kubectl installer. The version is read at run time from the cluster itself
#: (``aws eks describe-cluster``: the role may describe this cluster only), not written
#: into the template: user data naming the version would change with every upgrade step,
#: and ``UserData`` is "Update requires: Some interruptions" (AWS::EC2::Instance
#: reference), so CloudFormation would stop and start the host each time (a new public
#: address without an EIP) while the new user data never ran (cloud-init runs user data
#: at first boot only). The binary and its checksum come from dl.k8s.io, as the
#: Kubernetes docs ("Install and Set Up kubectl on Linux") say; a download whose checksum
#: does not match is not installed. An installed kubectl of the right release is kept.
#: ``${!x}`` is a shell variable (``Fn::Sub`` writes ``${x}``).
KUBECTL_INSTALL = """#!/bin/bash
# kubectl for the live Kubernetes version of ${ClusterName}, from dl.k8s.io, checksum verified.
# The user data runs it at first boot; run it again after an upgrade: sudo """ + KUBECTL_INSTALL_PATH + """
set -euo pipefail
minor=$(aws eks describe-cluster --region ${AWS::Region} --name ${ClusterName} --query cluster.version --output text)
release=$(curl -fsSL "https://dl.k8s.io/release/stable-${!minor}.txt")
installed=$(/usr/local/bin/kubectl version --client --output=yaml 2>/dev/null | awk '/gitVersion:/ {print $2}' || true)
if [ "${!installed}" = "${!release}" ]; then
  echo "kubectl ${!release} for Kubernetes ${!minor} is already installed"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "${!work}"' EXIT
url="https://dl.k8s.io/release/${!release}/bin/linux/${KubectlBuild}/kubectl"
curl -fsSLo "${!work}/kubectl" "${!url}"
curl -fsSLo "${!work}/kubectl.sha256" "${!url}.sha256"
echo "$(cat "${!work}/kubectl.sha256")  ${!work}/kubectl" | sha256sum --check --quiet
install -m 0755 "${!work}/kubectl" /usr/local/bin/kubectl
echo "installed kubectl ${!release} for Kubernetes ${!minor} (cluster ${ClusterName})"
"""

USER_DATA = """#!/bin/bash
# The management host of the notes: kubectl and a kubeconfig for ${ClusterName}.
set -euxo pipefail
retry() { for attempt in 1 2 3 4 5 6 7 8 9 10; do "$@" && return 0; sleep 6; done; return 1; }
cat > /etc/profile.d/eks-cluster.sh <<'EOF'
export CLUSTER_NAME=${ClusterName}
export AWS_DEFAULT_REGION=${AWS::Region}
EOF
# kubectl of the cluster's version, which the installer reads from the cluster.
cat > """ + KUBECTL_INSTALL_PATH + """ <<'KUBECTL_INSTALL'
""" + KUBECTL_INSTALL + """KUBECTL_INSTALL
chmod 0755 """ + KUBECTL_INSTALL_PATH + """
retry """ + KUBECTL_INSTALL_PATH + """
# Every login user (ec2-user, and ssm-user, which Session Manager creates later) gets the kubeconfig.
install -d -m 0755 /etc/skel/.kube
retry aws eks update-kubeconfig --region ${AWS::Region} --name ${ClusterName} --kubeconfig /etc/skel/.kube/config
for home in /root /home/ec2-user; do
  install -d -m 0700 "${!home}/.kube"
  install -m 0600 /etc/skel/.kube/config "${!home}/.kube/config"
done
chown -R ec2-user:ec2-user /home/ec2-user/.kube
"""

#: Appended when nodegroups use the cluster's generated key: its private half from SSM
#: Parameter Store (the role may read exactly that parameter) as ~/.ssh/id_rsa of root,
#: ec2-user and, through /etc/skel, ssm-user. Written by redirection, never through a
#: shell variable, so `set -x` does not put the key into the console log.
USER_DATA_NODE_KEY = """# The nodes' SSH key (notes 3.1-3.5: ssh ec2-user@$N1), from SSM Parameter Store.
umask 077
install -d -m 0700 /etc/skel/.ssh
retry aws ssm get-parameter --region ${AWS::Region} --name /ec2/keypair/${NodeKeyPairId} \\
  --with-decryption --query Parameter.Value --output text > /etc/skel/.ssh/id_rsa
chmod 0600 /etc/skel/.ssh/id_rsa
for home in /root /home/ec2-user; do
  install -d -m 0700 "${!home}/.ssh"
  install -m 0600 /etc/skel/.ssh/id_rsa "${!home}/.ssh/id_rsa"
done
chown -R ec2-user:ec2-user /home/ec2-user/.ssh
"""


def host_architecture(config: ClusterConfig) -> str:
    """``x86_64``, or ``arm64`` for a Graviton ``bastion.instanceType`` (``t4g``, ``m7g``, ...)."""
    return architecture(config.bastion.instance_type) or "x86_64"


class BastionBuilder(Builder):
    """The management host (``bastion.enabled``): instance, role, instance profile and the
    role's access entry (see the module's docstring).

    Inputs:
        - ``ManagementHostSecurityGroupId``: the host's group.
        - ``PublicSubnetIds`` (``bastion.subnet: public``) or ``PrivateSubnetIds``
          (``private``, the default): the host is in the first one.
        - ``ClusterName``, ``ClusterArn``: the cluster the host may describe.
        - ``NodeKeyPairId``: only when nodegroups use the generated SSH key (the host
          installs it).

    Outputs:
        - ``ManagementHostInstanceId``, ``ManagementHostPrivateIp``.
        - ``ManagementHostPublicIp``: only in a public subnet.
        - ``ManagementHostRoleArn``.

    Options (stack file): ``bastion.{instanceType,subnet,keyName,accessPolicies,
    kubernetesGroups}``, ``metadata.tags``.
    """

    stack_id = BASTION_STACK
    description = "Management host (the notes' eksctl-host): instance, role and instance profile"

    @property
    def subnet_port(self) -> Port:
        """The subnets the host goes in (``bastion.subnet``)."""
        return PUBLIC_SUBNET_IDS if self.config.bastion.subnet == "public" else PRIVATE_SUBNET_IDS

    @property
    def public(self) -> bool:
        """The host is in a public subnet (and gets a public address)."""
        return self.config.bastion.subnet == "public"

    @property
    def reads_node_key(self) -> bool:
        """Nodegroups use the cluster's generated key: the host installs it."""
        return needs_generated_key(self.config)

    @property
    def inputs(self) -> Sequence[Port]:
        ports = [MANAGEMENT_HOST_SG_ID, self.subnet_port, CLUSTER_NAME, CLUSTER_ARN]
        if self.reads_node_key:
            ports.append(NODE_KEY_PAIR_ID)
        return tuple(ports)

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
        arch = host_architecture(self.config)
        image = Parameter(
            self.lid("ManagementHostImageId"),
            Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            Default=AL2023_IMAGE_PARAMETERS[arch],
            Description=f"Amazon Linux 2023 ({arch}) image for the management host (public SSM parameter)",
        )
        template.add_parameter(image)
        role = self._add_role(template, inputs)
        self._add_access_entry(template, inputs, role)
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
            "UserData": self._user_data(inputs, arch),
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

    def _add_role(self, template: Template, inputs: Mapping[str, Any]) -> iam.Role:
        role_id = self.lid("ManagementHostRole")
        policies = [iam.Policy(
            PolicyName="DescribeThisCluster",
            PolicyDocument=document(allow(("eks:DescribeCluster",), [self.require(inputs, CLUSTER_ARN)])),
        )]
        if self.reads_node_key:
            # Exactly the generated key's parameter. The SecureString parameters CloudFormation
            # makes for key pairs are encrypted with the AWS managed key aws/ssm, whose key
            # policy lets every principal of the account decrypt through SSM: no kms:Decrypt
            # statement is needed (Systems Manager user guide, "Restricting decryption of
            # SecureString parameter values").
            policies.append(iam.Policy(
                PolicyName="ReadNodeSSHKey",
                PolicyDocument=document(allow(
                    ("ssm:GetParameter",), [key_parameter_arn(self.require(inputs, NODE_KEY_PAIR_ID))],
                )),
            ))
        return self.add(template, iam.Role(
            role_id,
            AssumeRolePolicyDocument=assume_role(service_principal(template, "EC2")),
            ManagedPolicyArns=[managed_policy("AmazonSSMManagedInstanceCore")],
            Policies=policies,
            Tags=Tags(self.tags({"Name": name_tag(role_id)})),  # type: ignore[dict-item]
        ))

    def _add_access_entry(self, template: Template, inputs: Mapping[str, Any], role: iam.Role) -> eks.AccessEntry:
        """kubectl on the host: the role's access entry. ``BootstrapClusterCreatorAdminPermissions``
        gives admin to whoever ran the deploy, not to this role, and the role's ARN is
        generated, so ``accessConfig.accessEntries`` cannot name it."""
        bastion = self.config.bastion
        if bastion.access_policies is None and not bastion.kubernetes_groups:
            policies = [eks.AccessPolicy(PolicyArn=Sub(CLUSTER_ADMIN_POLICY),
                                         AccessScope=eks.AccessScope(Type="cluster"))]
        else:
            policies = [
                eks.AccessPolicy(
                    PolicyArn=policy.policy_arn,
                    AccessScope=eks.AccessScope(
                        Type=policy.access_scope.type,
                        **({"Namespaces": list(policy.access_scope.namespaces)}
                           if policy.access_scope.namespaces else {}),
                    ),
                )
                for policy in bastion.access_policies or []
            ]
        props: dict[str, Any] = {
            "ClusterName": self.require(inputs, CLUSTER_NAME),
            "PrincipalArn": GetAtt(role, "Arn"),
            "Type": "STANDARD",
        }
        if policies:
            props["AccessPolicies"] = policies
        if bastion.kubernetes_groups:
            props["KubernetesGroups"] = list(bastion.kubernetes_groups)
        return self.add(template, eks.AccessEntry(self.lid("ManagementHostAccessEntry"), **props))

    def _user_data(self, inputs: Mapping[str, Any], arch: str) -> Base64:
        variables: dict[str, Any] = {
            "ClusterName": self.require(inputs, CLUSTER_NAME),
            "KubectlBuild": KUBECTL_BUILDS[arch],
        }
        script = USER_DATA
        if self.reads_node_key:
            script += USER_DATA_NODE_KEY
            variables["NodeKeyPairId"] = self.require(inputs, NODE_KEY_PAIR_ID)
        return Base64(Sub(script, **variables))


__all__ = [
    "AL2023_IMAGE_PARAMETER", "AL2023_IMAGE_PARAMETERS", "KUBECTL_INSTALL", "KUBECTL_INSTALL_PATH", "BastionBuilder",
    "host_architecture",
]
