"""The network: VPC, a public and a private subnet per zone, internet gateway, NAT
and route tables (logical IDs as eksctl's), or an existing VPC passed through.

Two strategies behind one port list (eksctl's "new VPC vs existing VPC"):
:class:`NetworkBuilder` creates the VPC; :class:`ExistingNetwork` only passes the
ids from ``vpc.id`` and ``vpc.subnets.*.id`` on. :func:`network_for` picks one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from troposphere import GetAtt, GetAZs, Ref, Tags, Template, ec2

from eks_templates.builders.base import Builder, value_parameter
from eks_templates.builders.common import name_tag, pick
from eks_templates.config.model import ClusterConfig
from eks_templates.config.subnets import SubnetPlan, plan_subnets, zones
from eks_templates.names import (
    AVAILABILITY_ZONES,
    NETWORK_STACK,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
    VPC_ID,
    Port,
)

ELB_ROLE_TAG = {"public": "kubernetes.io/role/elb", "private": "kubernetes.io/role/internal-elb"}


def _suffix(plan: SubnetPlan) -> str:
    """eksctl's logical-ID suffix: the zone (or subnet key) upper-cased, alphanumerics only."""
    return re.sub(r"[^A-Za-z0-9]", "", plan.key).upper()


class NetworkBuilder(Builder):
    """Creates the VPC and its subnets, gateways and routes (eksctl's logical IDs:
    ``VPC``, ``SubnetPublicAPNORTHEAST2A``, ``NATGateway``, ...).

    A public and a private subnet per zone, carved from ``vpc.cidr`` as eksctl does
    (:func:`eks_templates.config.subnets.plan_subnets`), tagged for load balancers
    (``kubernetes.io/role/elb`` / ``internal-elb``).

    Inputs:
        - ``AvailabilityZones``: only when the stack file names its zones
          (``availabilityZones``, or the zones of ``vpc.subnets``): the zones, a
          ``List<AWS::EC2::AvailabilityZone::Name>`` (the nested set passes the file's;
          :func:`eks_templates.assembly.compose` declares a parameter defaulted to them).
          Called on its own without it, ``build`` adds that parameter to your template
          itself. With no zones named, the first zones of ``Fn::GetAZs`` are used.

    Outputs:
        - ``VpcId``: the VPC.
        - ``PublicSubnetIds``: the public subnets, one per zone.
        - ``PrivateSubnetIds``: the private subnets, one per zone.

    Options (stack file): ``vpc.cidr``, ``vpc.subnets`` (CIDRs and zones),
    ``vpc.nat.gateway`` (``Single``: one NAT gateway; ``HighlyAvailable``: one per
    zone; ``Disable``: none), ``availabilityZones``, ``metadata.tags``; a nodegroup
    with ``privateNetworking: false`` turns on public IPs in the public subnets.
    """

    stack_id = NETWORK_STACK
    description = "EKS cluster network: VPC, public and private subnets, internet gateway, NAT, routes"

    @property
    def inputs(self) -> Sequence[Port]:
        # Zones named in the stack file come in as a parameter (no hard-coded zones in
        # resources); otherwise the first zones of Fn::GetAZs are used.
        return (AVAILABILITY_ZONES,) if zones(self.config) is not None else ()

    @property
    def outputs(self) -> Sequence[Port]:
        return (VPC_ID, PUBLIC_SUBNET_IDS, PRIVATE_SUBNET_IDS)

    def render_values(self) -> Sequence[tuple[Port, Any]]:
        named = zones(self.config)
        return () if named is None else ((AVAILABILITY_ZONES, list(named)),)

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        named = zones(self.config)
        if named is None:
            zone_values: Any = GetAZs(Ref("AWS::Region"))
        elif AVAILABILITY_ZONES.name in inputs:
            zone_values = inputs[AVAILABILITY_ZONES.name]
        else:
            # On its own in a caller's template: the zones become a parameter defaulted to
            # the file's (never literals in the subnets: cfn-lint W3010, hard-coded zones).
            if AVAILABILITY_ZONES.name not in template.parameters:
                template.add_parameter(value_parameter(AVAILABILITY_ZONES, list(named)))
            zone_values = Ref(AVAILABILITY_ZONES.name)

        vpc = self.add(template, ec2.VPC(
            self.lid("VPC"),
            CidrBlock=self.config.vpc.cidr,
            EnableDnsHostnames=True,
            EnableDnsSupport=True,
            Tags=Tags(self.tags({"Name": name_tag(self.lid("VPC"))})),  # type: ignore[dict-item]
        ))
        plans = plan_subnets(self.config)
        public = [p for p in plans if p.tier == "public"]
        private = [p for p in plans if p.tier == "private"]
        # Public IPs on launch only where something needs them: a nodegroup outside
        # private networking. The management host asks for its own address.
        map_public_ip = any(not ng.private_networking for ng in self.config.managed_node_groups)
        subnets: dict[str, list[ec2.Subnet]] = {"public": [], "private": []}
        for plan in public + private:
            tier = plan.tier.capitalize()
            logical_id = self.lid(f"Subnet{tier}{_suffix(plan)}")
            props: dict[str, Any] = {
                "AvailabilityZone": pick(zone_values, plan.zone_index),
                "CidrBlock": plan.cidr,
                "VpcId": Ref(vpc),
                "Tags": Tags(self.tags({ELB_ROLE_TAG[plan.tier]: "1", "Name": name_tag(logical_id)})),  # type: ignore[dict-item]
            }
            if plan.tier == "public" and map_public_ip:
                props["MapPublicIpOnLaunch"] = True
            subnets[plan.tier].append(self.add(template, ec2.Subnet(logical_id, **props)))

        self._add_public_routing(template, vpc, public, subnets["public"])
        self._add_private_routing(template, vpc, private, subnets["private"], public, subnets["public"])
        return {
            VPC_ID.name: Ref(vpc),
            PUBLIC_SUBNET_IDS.name: [Ref(s) for s in subnets["public"]],
            PRIVATE_SUBNET_IDS.name: [Ref(s) for s in subnets["private"]],
        }

    def _add_public_routing(
        self, template: Template, vpc: ec2.VPC, plans: list[SubnetPlan], subnets: list[ec2.Subnet]
    ) -> None:
        if not subnets:
            return
        igw = self.add(template, ec2.InternetGateway(
            self.lid("InternetGateway"), Tags=Tags(self.tags({"Name": name_tag("InternetGateway")}))  # type: ignore[dict-item]
        ))
        attachment = self.add(template, ec2.VPCGatewayAttachment(
            self.lid("VPCGatewayAttachment"), InternetGatewayId=Ref(igw), VpcId=Ref(vpc)
        ))
        table = self.add(template, ec2.RouteTable(
            self.lid("PublicRouteTable"), VpcId=Ref(vpc),
            Tags=Tags(self.tags({"Name": name_tag("PublicRouteTable")})),  # type: ignore[dict-item]
        ))
        self.add(template, ec2.Route(
            self.lid("PublicSubnetRoute"),
            DependsOn=[attachment.title],
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=Ref(igw),
            RouteTableId=Ref(table),
        ))
        for plan, subnet in zip(plans, subnets, strict=True):
            self.add(template, ec2.SubnetRouteTableAssociation(
                self.lid(f"RouteTableAssociationPublic{_suffix(plan)}"), RouteTableId=Ref(table), SubnetId=Ref(subnet)
            ))

    def _add_private_routing(
        self,
        template: Template,
        vpc: ec2.VPC,
        plans: list[SubnetPlan],
        subnets: list[ec2.Subnet],
        public_plans: list[SubnetPlan],
        public_subnets: list[ec2.Subnet],
    ) -> None:
        mode = self.config.vpc.nat.gateway
        by_zone = {plan.zone_index: subnet for plan, subnet in zip(public_plans, public_subnets, strict=True)}
        nats: dict[str, Any] = {}  # logical-ID suffix -> Ref(NatGateway)

        def nat_for(suffix: str, public_subnet: ec2.Subnet) -> Any:
            if suffix not in nats:
                eip = self.add(template, ec2.EIP(
                    self.lid(f"NATIP{suffix}"), Domain="vpc",
                    Tags=Tags(self.tags({"Name": name_tag(f"NATIP{suffix}")})),  # type: ignore[dict-item]
                ))
                nat = self.add(template, ec2.NatGateway(
                    self.lid(f"NATGateway{suffix}"),
                    AllocationId=GetAtt(eip, "AllocationId"),
                    SubnetId=Ref(public_subnet),
                    Tags=Tags(self.tags({"Name": name_tag(f"NATGateway{suffix}")})),  # type: ignore[dict-item]
                ))
                nats[suffix] = Ref(nat)
            return nats[suffix]

        for plan, subnet in zip(plans, subnets, strict=True):
            table_id = self.lid(f"PrivateRouteTable{_suffix(plan)}")
            table = self.add(template, ec2.RouteTable(
                table_id, VpcId=Ref(vpc), Tags=Tags(self.tags({"Name": name_tag(table_id)}))  # type: ignore[dict-item]
            ))
            if mode != "Disable" and public_subnets:
                if mode == "HighlyAvailable":  # one NAT per zone, in that zone's public subnet
                    nat = nat_for(_suffix(plan), by_zone.get(plan.zone_index, public_subnets[0]))
                else:  # Single: one NAT in the first public subnet
                    nat = nat_for("", public_subnets[0])
                self.add(template, ec2.Route(
                    self.lid(f"NATPrivateSubnetRoute{_suffix(plan)}"),
                    DestinationCidrBlock="0.0.0.0/0",
                    NatGatewayId=nat,
                    RouteTableId=Ref(table),
                ))
            self.add(template, ec2.SubnetRouteTableAssociation(
                self.lid(f"RouteTableAssociationPrivate{_suffix(plan)}"), RouteTableId=Ref(table), SubnetId=Ref(subnet)
            ))


class ExistingNetwork(Builder):
    """A VPC that exists already: no resources, its ids flow on as values.

    Two sources of ids:

    - the stack file's ``vpc.id`` and ``vpc.subnets.{public,private}.<name>.id``
      (what :func:`network_for` picks for such a file; no ``NetworkStack`` then);
    - your own, in your template: ``ExistingNetwork(config, vpc_id=Ref(my_vpc),
      private_subnet_ids=[Ref(a), Ref(b)])`` (``Ref``s of your resources or
      parameters, or literal ids). The stack file's ``vpc`` section is then not read.

    Inputs: none.

    Outputs:
        - ``VpcId``: the VPC.
        - ``PublicSubnetIds``: the public subnets (with your own ids: only when given).
        - ``PrivateSubnetIds``: the private subnets (with your own ids: only when given).

    Args:
        config: the checked stack file.
        vpc_id: your VPC's id (an expression or a literal); without it, the file's ``vpc.id``.
        public_subnet_ids: your public subnets: a list, or a list-valued expression
            (``Ref`` of a ``List<AWS::EC2::Subnet::Id>`` parameter).
        private_subnet_ids: your private subnets, likewise.

    Raises:
        ValueError: neither ``vpc_id`` nor the file's ``vpc.id``; or subnets without ``vpc_id``.
    """

    stack_id = NETWORK_STACK

    def __init__(self, config: ClusterConfig, *, vpc_id: Any = None, public_subnet_ids: Any = None,
                 private_subnet_ids: Any = None) -> None:
        super().__init__(config)
        if vpc_id is None and (public_subnet_ids is not None or private_subnet_ids is not None):
            raise ValueError("ExistingNetwork: subnets of your own need vpc_id= too (the VPC they are in)")
        if vpc_id is None and not config.vpc.id:
            raise ValueError("ExistingNetwork: the stack file has no vpc.id; pass vpc_id= and the subnets of "
                             "your own VPC, or use NetworkBuilder to create one")
        self._given: dict[str, Any] | None = None
        if vpc_id is not None:
            self._given = {VPC_ID.name: vpc_id}
            for port, ids in ((PUBLIC_SUBNET_IDS, public_subnet_ids), (PRIVATE_SUBNET_IDS, private_subnet_ids)):
                if ids is not None:
                    self._given[port.name] = ids

    @property
    def outputs(self) -> Sequence[Port]:
        """``VpcId`` and the subnet lists (see the class docstring)."""
        if self._given is not None:
            return tuple(p for p in (VPC_ID, PUBLIC_SUBNET_IDS, PRIVATE_SUBNET_IDS) if p.name in self._given)
        return (VPC_ID, PUBLIC_SUBNET_IDS, PRIVATE_SUBNET_IDS)

    @property
    def creates_resources(self) -> bool:
        """Always False: the VPC exists."""
        return False

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The ids, by port name; ``template`` is left as it is."""
        if self._given is not None:
            return dict(self._given)
        plans = plan_subnets(self.config)
        return {
            VPC_ID.name: self.config.vpc.id,
            PUBLIC_SUBNET_IDS.name: [p.id for p in plans if p.tier == "public" and p.id],
            PRIVATE_SUBNET_IDS.name: [p.id for p in plans if p.tier == "private" and p.id],
        }


def network_for(config: ClusterConfig) -> Builder:
    """The network strategy the stack file asks for: :class:`ExistingNetwork` with
    ``vpc.id``, else :class:`NetworkBuilder`."""
    return ExistingNetwork(config) if config.vpc.id else NetworkBuilder(config)
