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

from eks_templates.builders.base import Builder
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
    """Creates the VPC and its subnets, gateways and routes."""

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
        else:
            zone_values = inputs.get(AVAILABILITY_ZONES.name, list(named))

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
    """``vpc.id`` given: no network stack; the ids flow on as values."""

    stack_id = NETWORK_STACK

    @property
    def outputs(self) -> Sequence[Port]:
        return (VPC_ID, PUBLIC_SUBNET_IDS, PRIVATE_SUBNET_IDS)

    @property
    def creates_resources(self) -> bool:
        return False

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        plans = plan_subnets(self.config)
        return {
            VPC_ID.name: self.config.vpc.id,
            PUBLIC_SUBNET_IDS.name: [p.id for p in plans if p.tier == "public" and p.id],
            PRIVATE_SUBNET_IDS.name: [p.id for p in plans if p.tier == "private" and p.id],
        }


def network_for(config: ClusterConfig) -> Builder:
    """The network strategy the stack file asks for."""
    return ExistingNetwork(config) if config.vpc.id else NetworkBuilder(config)
