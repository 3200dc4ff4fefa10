"""The cluster's own security groups and the rules between them (the notes, section 5).

- ``ControlPlaneSecurityGroup``: on the control-plane ENIs (with the EKS-created
  cluster security group); 443 in from the nodes and from the management host.
- ``ClusterSharedNodeSecurityGroup``: on every node; all traffic between nodes, and
  all traffic from the management host (the notes' manual step 3.1).
- ``ManagementHostSecurityGroup`` (``bastion.enabled``): SSH in from
  ``bastion.allowedCIDRs`` only (none: Session Manager only); egress limited to HTTPS
  and the cluster's own groups.

With nodegroups that allow SSH without a key of their own, the stack also holds the
nodes' generated key pair (:mod:`eks_templates.builders.node_key`).

The rules on the EKS-created cluster security group live in the control-plane stack
(they need ``GetAtt ControlPlane.ClusterSecurityGroupId``); the per-nodegroup
remoteAccess group lives in each nodegroup's stack, as in eksctl.

Every ingress rule is a separate ``SecurityGroupIngress`` resource with a description,
so a rule between two groups never makes a dependency cycle; the management host's
egress is inline (it replaces EC2's default allow-all egress, and CloudFormation's drift
detection compares an inline list with all of a group's rules). Nothing is
opened to 0.0.0.0/0 or ::/0 unless the stack file names that CIDR.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from troposphere import Ref, Tags, Template, ec2

from eks_templates.builders.base import Builder
from eks_templates.builders.common import name_tag
from eks_templates.builders.node_key import add_generated_key, needs_generated_key
from eks_templates.names import (
    CONTROL_PLANE_SG_ID,
    MANAGEMENT_HOST_SG_ID,
    NODE_KEY_NAME,
    NODE_KEY_PAIR_ID,
    SECURITY_STACK,
    SHARED_NODE_SG_ID,
    VPC_ID,
    Port,
)

ALL_TRAFFIC = "-1"
#: the only egress the management host needs besides the cluster's own groups: AWS APIs
#: (Session Manager, EKS, STS), the public API endpoint and package/kubectl downloads.
#: DNS, NTP and instance metadata are not filtered by security groups.
ANYWHERE_V4 = "0.0.0.0/0"


def ingress(
    logical_id: str,
    group: Any,
    description: str,
    *,
    protocol: str = "tcp",
    ports: tuple[int, int] | None = None,
    source_group: Any = None,
    cidr: str | None = None,
) -> ec2.SecurityGroupIngress:
    """One ingress rule: from a security group or from a CIDR the stack file names."""
    props: dict[str, Any] = {"GroupId": group, "IpProtocol": protocol, "Description": description}
    if ports is not None:
        props["FromPort"], props["ToPort"] = ports
    if source_group is not None:
        props["SourceSecurityGroupId"] = source_group
    if cidr is not None:
        props["CidrIp"] = cidr
    return ec2.SecurityGroupIngress(logical_id, **props)


class SecurityGroupsBuilder(Builder):
    """The cluster's own security groups and the rules between them (the notes, section 5):
    ``ControlPlaneSecurityGroup``, ``ClusterSharedNodeSecurityGroup`` and, with a
    management host, ``ManagementHostSecurityGroup`` (see the module's docstring), and the
    nodes' generated SSH key pair when a nodegroup needs it.

    Inputs:
        - ``VpcId``: the VPC the groups are in.

    Outputs:
        - ``ControlPlaneSecurityGroupId``: on the control-plane ENIs.
        - ``ClusterSharedNodeSecurityGroupId``: on every node.
        - ``ManagementHostSecurityGroupId``: only with ``bastion.enabled``.
        - ``NodeKeyName``, ``NodeKeyPairId``: only when a nodegroup has ``ssh.allow`` and
          no key of its own (``ssh.publicKeyName``/``publicKey``/``publicKeyPath``): the
          generated key pair, its private key in SSM ``/ec2/keypair/<id>``.

    Options (stack file): ``bastion.enabled``, ``bastion.allowedCIDRs`` (SSH to the host;
    none: Session Manager only), ``managedNodeGroups[].ssh``, ``metadata.tags``.
    """

    stack_id = SECURITY_STACK
    description = "EKS cluster security groups: control plane, shared node, management host, and their rules"

    @property
    def inputs(self) -> Sequence[Port]:
        return (VPC_ID,)

    @property
    def outputs(self) -> Sequence[Port]:
        ports = [CONTROL_PLANE_SG_ID, SHARED_NODE_SG_ID]
        if self.config.bastion.enabled:
            ports.append(MANAGEMENT_HOST_SG_ID)
        if needs_generated_key(self.config):
            ports += [NODE_KEY_NAME, NODE_KEY_PAIR_ID]
        return tuple(ports)

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        vpc = self.require(inputs, VPC_ID)
        control_plane = self._group(
            template, "ControlPlaneSecurityGroup", vpc,
            "Communication between the control plane and worker nodegroups",
        )
        nodes = self._group(
            template, "ClusterSharedNodeSecurityGroup", vpc, "Communication between all nodes in the cluster"
        )
        cp, shared = Ref(control_plane), Ref(nodes)
        self.add(template, ingress(
            self.lid("IngressInterNodeGroupSG"), shared,
            "Allow nodes to communicate with each other (all ports)",
            protocol=ALL_TRAFFIC, source_group=shared,
        ))
        self.add(template, ingress(
            self.lid("IngressNodeToControlPlaneSG"), cp,
            "Allow nodes to reach the Kubernetes API on the control-plane ENIs (443)",
            ports=(443, 443), source_group=shared,
        ))
        outputs: dict[str, Any] = {CONTROL_PLANE_SG_ID.name: cp, SHARED_NODE_SG_ID.name: shared}
        if self.config.bastion.enabled:
            outputs[MANAGEMENT_HOST_SG_ID.name] = self._management_host(template, vpc, cp, shared)
        if needs_generated_key(self.config):
            outputs.update(add_generated_key(self, template))
        return outputs

    def _group(self, template: Template, name: str, vpc: Any, description: str,
               **extra: Any) -> ec2.SecurityGroup:
        logical_id = self.lid(name)
        return self.add(template, ec2.SecurityGroup(
            logical_id,
            GroupDescription=description,
            VpcId=vpc,
            Tags=Tags(self.tags({"Name": name_tag(logical_id)})),  # type: ignore[dict-item]
            **extra,
        ))

    def _management_host(self, template: Template, vpc: Any, cp: Any, shared: Any) -> Ref:
        """The management host's group, its SSH sources, its egress, and the rules that
        let it reach the nodes (notes 3.1) and the private API endpoint (notes 4.2)."""
        host_group = self._group(
            template, "ManagementHostSecurityGroup", vpc,
            "Management host (eksctl-host of the notes): SSH from bastion.allowedCIDRs only",
            # Every egress rule inline: inline egress replaces EC2's default allow-all rule,
            # and CloudFormation's drift detection compares an inline list with all of the
            # group's rules, so a separate SecurityGroupEgress beside it would be reported
            # as an ADD on every fresh deploy ("Detect drift on an entire CloudFormation
            # stack": only properties the template sets are compared, as a whole). The
            # cluster's groups reference no rule of this group, so there is no cycle.
            SecurityGroupEgress=[
                ec2.SecurityGroupRule(
                    IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp=ANYWHERE_V4,
                    Description="HTTPS to AWS APIs (Session Manager, EKS, STS), the API endpoint and downloads",
                ),
                ec2.SecurityGroupRule(
                    IpProtocol=ALL_TRAFFIC, DestinationSecurityGroupId=shared,
                    Description="Management host to nodes and pods, all traffic (notes 3.1)",
                ),
                ec2.SecurityGroupRule(
                    IpProtocol="tcp", FromPort=443, ToPort=443, DestinationSecurityGroupId=cp,
                    Description="Management host to the private API endpoint (443)",
                ),
            ],
        )
        host = Ref(host_group)
        for i, cidr in enumerate(self.config.bastion.allowed_cidrs, start=1):
            self.add(template, ingress(
                self.lid(f"IngressManagementHostSSH{i}"), host,
                f"SSH to the management host from {cidr} (bastion.allowedCIDRs)",
                ports=(22, 22), cidr=cidr,
            ))
        self.add(template, ingress(
            self.lid("IngressManagementHostToNodes"), shared,
            "Allow the management host to reach nodes and pods, all traffic (notes 3.1: ping, SSH)",
            protocol=ALL_TRAFFIC, source_group=host,
        ))
        self.add(template, ingress(
            self.lid("IngressManagementHostToControlPlane"), cp,
            "Allow the management host to reach the private API endpoint (notes 4.2)",
            ports=(443, 443), source_group=host,
        ))
        return host
