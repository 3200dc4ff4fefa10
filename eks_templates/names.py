"""Stable names, declared once: logical IDs, parameter and output names.

Everything that crosses a template boundary (a child's output feeding another
child's parameter, a root output that ``deploy``/``outputs`` read, a root parameter
that ``scale`` changes) is a :class:`Port` defined here, so producers and readers
cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PortKind = Literal["scalar", "list"]


@dataclass(frozen=True)
class Port:
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


def nodegroup_stack(nodegroup_name: str) -> str:
    return f"Nodegroup{pascal(nodegroup_name)}Stack"


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

# --------------------------------------------------------------------------- root outputs read by `outputs`

OUTPUT_CLUSTER_NAME = "ClusterName"
OUTPUT_ENDPOINT = "ClusterEndpoint"
OUTPUT_KUBECONFIG = "KubeconfigCommand"

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
