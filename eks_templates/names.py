"""Stable names, declared once: logical IDs, parameter and output names.

Everything that crosses a template boundary (a child's output feeding another
child's parameter, a root output that ``deploy``/``outputs`` read, a root parameter
that ``scale`` changes) is a :class:`Port` defined here, so producers and readers
cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Literal

from eks_templates.records import Record

PortKind = Literal["scalar", "list"]


class Port(Record):
    """A named value that flows between builders (and across stack boundaries)."""

    name: str
    #: CloudFormation parameter type for a consumer of this value
    param_type: str
    description: str
    kind: PortKind = "scalar"
    #: also an output of the root stack (what ``outputs`` prints)
    root_output: bool = False


def pascal(name: str) -> str:
    """``myeks-nodegroup`` -> ``MyeksNodegroup`` (alphanumerics only, for logical IDs)."""
    parts = re.split(r"[^0-9A-Za-z]+", name)
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


# --------------------------------------------------------------------------- child stacks

NETWORK_STACK = "NetworkStack"
SECURITY_STACK = "SecurityStack"
CONTROL_PLANE_STACK = "ControlPlaneStack"
BASTION_STACK = "BastionStack"
#: EKS add-ons whose pods need nodes (CoreDNS, ...): created after every nodegroup
ADDONS_STACK = "AddonsStack"
#: iam.podIdentityAssociations: roles and associations, after the cluster, beside the nodegroups
POD_IDENTITY_STACK = "PodIdentityStack"
#: fargateProfiles: the pod execution role and the profiles, after the cluster, beside the nodegroups
FARGATE_STACK = "FargateStack"


def nodegroup_stack(nodegroup_name: str) -> str:
    """Logical ID of a nodegroup's child stack: ``my-ng`` -> ``NodegroupMyNgStack``."""
    return f"Nodegroup{pascal(nodegroup_name)}Stack"


def nodegroup_flat_prefix(nodegroup_name: str) -> str:
    """Logical-ID prefix of a nodegroup's resources in a flat template."""
    return nodegroup_stack(nodegroup_name).removesuffix("Stack")


def nodegroup_flat_id(nodegroup_name: str, name: str) -> str:
    """Logical ID of a nodegroup's resource ``name`` in a shared template: ``NodegroupMyNg<name>``."""
    return nodegroup_flat_prefix(nodegroup_name) + name


def fargate_profile_id(profile_name: str) -> str:
    """Logical ID of a Fargate profile (in FargateStack, and in a flat template)."""
    return f"FargateProfile{pascal(profile_name)}"


# --------------------------------------------------------------------------- network ports

AVAILABILITY_ZONES = Port(
    "AvailabilityZones", "List<AWS::EC2::AvailabilityZone::Name>", "The cluster's availability zones", "list"
)
VPC_ID = Port("VpcId", "AWS::EC2::VPC::Id", "The cluster's VPC", root_output=True)
PUBLIC_SUBNET_IDS = Port(
    "PublicSubnetIds", "List<AWS::EC2::Subnet::Id>", "Public subnets, one per zone", "list", root_output=True
)
PRIVATE_SUBNET_IDS = Port(
    "PrivateSubnetIds", "List<AWS::EC2::Subnet::Id>", "Private subnets, one per zone", "list", root_output=True
)

# --------------------------------------------------------------------------- the stack tag `get clusters` reads
#
# ``deploy`` tags the root stack (and so, as CloudFormation propagates stack tags, every
# nested stack and resource) with the cluster's name under this key: ``get clusters``
# finds the stacks this tool deployed by it. A change-set tag, not part of any template.

STACK_TAG_CLUSTER = "eks-templates:cluster-name"

# --------------------------------------------------------------------------- root outputs read by `outputs`

OUTPUT_CLUSTER_NAME = "ClusterName"
OUTPUT_ENDPOINT = "ClusterEndpoint"
OUTPUT_KUBECONFIG = "KubeconfigCommand"

# --------------------------------------------------------------------------- security groups (SecurityStack)
#
# The five security groups of the notes (section 5). Every output that names a
# security group ends in "SecurityGroupId".

SG_ID = "AWS::EC2::SecurityGroup::Id"
CONTROL_PLANE_SG_ID = Port(
    "ControlPlaneSecurityGroupId", SG_ID,
    "ControlPlaneSecurityGroup: on the control-plane ENIs; 443 in from nodes and the management host",
    root_output=True,
)
SHARED_NODE_SG_ID = Port(
    "ClusterSharedNodeSecurityGroupId", SG_ID,
    "ClusterSharedNodeSecurityGroup: on every node; all traffic between nodes", root_output=True,
)
MANAGEMENT_HOST_SG_ID = Port(
    "ManagementHostSecurityGroupId", SG_ID,
    "ManagementHostSecurityGroup: the management host (bastion); SSH only from bastion.allowedCIDRs",
    root_output=True,
)

# --------------------------------------------------------------------------- control plane (ControlPlaneStack)

CLUSTER_NAME = Port(OUTPUT_CLUSTER_NAME, "String", "The EKS cluster's name", root_output=True)
CLUSTER_ARN = Port("ClusterArn", "String", "The EKS cluster's ARN", root_output=True)
CLUSTER_ENDPOINT = Port(OUTPUT_ENDPOINT, "String", "The Kubernetes API server endpoint", root_output=True)
CERTIFICATE_AUTHORITY_DATA = Port(
    "CertificateAuthorityData", "String", "The cluster's certificate authority (base64)", root_output=True
)
CLUSTER_SG_ID = Port(
    "ClusterSecurityGroupId", SG_ID,
    "The EKS-created cluster security group (eks-cluster-sg-<name>-*) on the control plane and every node",
    root_output=True,
)
OIDC_ISSUER_URL = Port("OIDCIssuerUrl", "String", "The cluster's OpenID Connect issuer URL", root_output=True)
OIDC_PROVIDER_ARN = Port(
    "OIDCProviderArn", "String", "The IAM OIDC provider for IAM roles for service accounts", root_output=True
)
KUBECONFIG_COMMAND = Port(
    OUTPUT_KUBECONFIG, "String", "The command that writes a kubeconfig for this cluster", root_output=True
)

# --------------------------------------------------------------------------- management host (BastionStack)

MANAGEMENT_HOST_INSTANCE_ID = Port(
    "ManagementHostInstanceId", "String", "The management host's instance id (aws ssm start-session --target)",
    root_output=True,
)
MANAGEMENT_HOST_PRIVATE_IP = Port(
    "ManagementHostPrivateIp", "String", "The management host's private address", root_output=True
)
MANAGEMENT_HOST_PUBLIC_IP = Port(
    "ManagementHostPublicIp", "String", "The management host's public address", root_output=True
)
MANAGEMENT_HOST_ROLE_ARN = Port(
    "ManagementHostRoleArn", "String",
    "The management host's IAM role (add an access entry for it to run kubectl with it)", root_output=True,
)

# --------------------------------------------------------------------------- generated node SSH key (SecurityStack)
#
# One key pair for every nodegroup with ``ssh.allow`` and no key of its own (see
# builders/node_key.py): EC2 generates it and keeps the private key in SSM Parameter
# Store at /ec2/keypair/<KeyPairId>; the nodegroups take its name, the management host
# its id (to read that one parameter).

NODE_KEY_NAME = Port(
    "NodeKeyName", "String",
    "The EC2 key pair generated for SSH to the nodes (nodegroups with ssh.allow and no key named)",
)
NODE_KEY_PAIR_ID = Port(
    "NodeKeyPairId", "String",
    "Id of the generated node key pair; its private key is the SSM parameter /ec2/keypair/<id>",
    root_output=True,
)
#: where CloudFormation keeps a generated key pair's private key: SSM ``/ec2/keypair/<KeyPairId>``
KEY_PARAMETER_PREFIX = "/ec2/keypair/"

# --------------------------------------------------------------------------- per nodegroup (Nodegroup<Name>Stack)


#: CloudFormation allows 200 outputs per template; the cluster's own root outputs are
#: at most 19 (network 3, security groups 4: three groups and the generated node key's id,
#: control plane 8, management host 4), and ``deploy`` adds one, ``TemplatesDigest``
#: (deploy/digest.py): 180 + 19 + 1 = 200.
#: Up to this many nodegroups with ``ssh.allow`` get their remoteAccess group as a root
#: output; with more, the ids stay outputs of the nodegroup stacks only (all or none,
#: so a root output never depends on a nodegroup's position in the file).
MAX_REMOTE_ACCESS_ROOT_OUTPUTS = 180


def remote_access_sg_port(nodegroup_name: str, *, root_output: bool = True) -> Port:
    """The remoteAccess security group of a nodegroup with ``ssh.allow``."""
    return Port(
        f"{pascal(nodegroup_name)}RemoteAccessSecurityGroupId", SG_ID,
        f"remoteAccess security group of nodegroup {nodegroup_name}: SSH to its nodes",
        root_output=root_output,
    )


# Inside a nodegroup's stack the values that carry the nodegroup's name in the root
# (its scaling parameter, its outputs) have one name for every nodegroup, and the name
# itself is a parameter: nodegroups of the same shape render byte-identical child
# templates, which the assembly writes once (``assembly.nested``).

NODEGROUP_NAME = Port(
    "NodegroupName", "String",
    "The nodegroup's name (passed by the root: one template serves every nodegroup of the same shape)",
)
NODEGROUP_SCALING = Port(
    "NodegroupScaling", "CommaDelimitedList",
    "The nodegroup's desired,min,max nodes (the root's Nodegroup<Name>Scaling parameter, changed by `scale`)",
    "list",
)
NODEGROUP_ROLE_ARN = Port("NodeInstanceRoleArn", "String", "The nodegroup's node IAM role")
NODEGROUP_REMOTE_ACCESS_SG_ID = Port(
    "RemoteAccessSecurityGroupId", SG_ID, "The nodegroup's remoteAccess security group: SSH to its nodes",
)


def nodegroup_role_port(nodegroup_name: str) -> Port:
    """The node IAM role of a managed nodegroup (not a root output: 200 nodegroups
    must fit the root's 200 outputs together with the cluster's)."""
    return Port(
        f"{pascal(nodegroup_name)}NodeInstanceRoleArn", "String",
        f"Node IAM role of nodegroup {nodegroup_name}",
    )

# --------------------------------------------------------------------------- root parameters changed by `scale`
#
# Each managed nodegroup's scaling is ONE root parameter (CommaDelimitedList
# "desired,min,max"): the root template must stay within CloudFormation's 200
# parameters at 200 nodegroups. `scale` changes exactly this parameter (with the
# previous template); `deploy` keeps its live value unless the stack file's value
# changed since the last deploy (the parameter's Default records the file's value).


def nodegroup_scaling_parameter(nodegroup_name: str) -> str:
    """Root parameter name holding a managed nodegroup's "desired,min,max"."""
    return f"Nodegroup{pascal(nodegroup_name)}Scaling"


def nodegroup_scaling_port(nodegroup_name: str) -> Port:
    """The port that carries a nodegroup's scaling parameter into its stack."""
    return Port(
        nodegroup_scaling_parameter(nodegroup_name), "CommaDelimitedList",
        f"Scaling of nodegroup {nodegroup_name}: desired,min,max (changed by `scale`)", "list",
    )


def format_scaling(desired: int, minimum: int, maximum: int) -> str:
    """The parameter value for a nodegroup's scaling: ``"desired,min,max"``."""
    return f"{desired},{minimum},{maximum}"


def parse_scaling(value: str) -> tuple[int, int, int]:
    """``"3,2,6"`` -> ``(3, 2, 6)`` (desired, min, max); ValueError if malformed."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"expected 'desired,min,max' as three whole numbers, got {value!r}")
    desired, minimum, maximum = (int(p) for p in parts)
    return desired, minimum, maximum
