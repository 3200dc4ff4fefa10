"""NetworkBuilder: partial property assertions on the rendered resources."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from troposphere import Template

from eks_templates.builders.network import ExistingNetwork, NetworkBuilder, network_for
from eks_templates.config import parse_config
from eks_templates.config.subnets import plan_subnets

BASE = """
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: net, region: ap-northeast-2}
vpc:
  publicAccessCIDRs: [203.0.113.0/24]
"""


def config(extra: str = "", base: str = BASE):
    return parse_config(base + extra, "test.yaml", on_warning=None)


def build(cfg, inputs: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    template = Template()
    outputs = NetworkBuilder(cfg).build(template, inputs or {})
    return template.to_dict()["Resources"], outputs


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def test_vpc_has_dns_support_and_hostnames():
    resources, _ = build(config())
    vpc = resources["VPC"]["Properties"]
    assert vpc["CidrBlock"] == "192.168.0.0/16"
    assert vpc["EnableDnsSupport"] is True
    assert vpc["EnableDnsHostnames"] is True


def test_subnets_are_carved_like_eksctl_public_first():
    cfg = config("availabilityZones: [ap-northeast-2a, ap-northeast-2c]\n")
    resources, _ = build(cfg)
    subnets = of_type(resources, "AWS::EC2::Subnet")
    cidrs = {k: v["Properties"]["CidrBlock"] for k, v in subnets.items()}
    assert cidrs == {
        "SubnetPublicAPNORTHEAST2A": "192.168.0.0/19",
        "SubnetPublicAPNORTHEAST2C": "192.168.32.0/19",
        "SubnetPrivateAPNORTHEAST2A": "192.168.64.0/19",
        "SubnetPrivateAPNORTHEAST2C": "192.168.96.0/19",
    }


def test_carved_subnets_are_inside_the_vpc_and_disjoint():
    cfg = config("availabilityZones: [ap-northeast-2a, ap-northeast-2b, ap-northeast-2c, ap-northeast-2d, "
                 "ap-northeast-2e]\nvpc: {cidr: 10.20.0.0/20, publicAccessCIDRs: [203.0.113.0/24]}\n",
                 base=BASE.replace("vpc:\n  publicAccessCIDRs: [203.0.113.0/24]\n", ""))
    nets = [ipaddress.ip_network(p.cidr) for p in plan_subnets(cfg)]
    assert len(nets) == 10
    vpc = ipaddress.ip_network("10.20.0.0/20")
    assert all(n.subnet_of(vpc) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


def test_elb_role_tags_per_tier():
    resources, _ = build(config())
    for lid, res in of_type(resources, "AWS::EC2::Subnet").items():
        tags = {t["Key"]: t["Value"] for t in res["Properties"]["Tags"]}
        if lid.startswith("SubnetPublic"):
            assert tags.get("kubernetes.io/role/elb") == "1"
            assert "kubernetes.io/role/internal-elb" not in tags
        else:
            assert tags.get("kubernetes.io/role/internal-elb") == "1"
            assert "kubernetes.io/role/elb" not in tags


def test_zones_come_from_the_input_not_hard_coded():
    cfg = config("availabilityZones: [ap-northeast-2a, ap-northeast-2c]\n")
    resources, _ = build(cfg, {"AvailabilityZones": {"Ref": "Zones"}})
    azs = [r["Properties"]["AvailabilityZone"] for r in of_type(resources, "AWS::EC2::Subnet").values()]
    assert all("Fn::Select" in az for az in azs)
    assert all(az["Fn::Select"][1] == {"Ref": "Zones"} for az in azs)


def test_without_zones_getazs_is_used():
    resources, _ = build(config())
    azs = [r["Properties"]["AvailabilityZone"] for r in of_type(resources, "AWS::EC2::Subnet").values()]
    assert azs and all(az["Fn::Select"][1] == {"Fn::GetAZs": {"Ref": "AWS::Region"}} for az in azs)


@pytest.mark.parametrize(("mode", "nats"), [("Single", 1), ("HighlyAvailable", 3), ("Disable", 0)])
def test_nat_count_per_mode(mode: str, nats: int):
    cfg = config(f"availabilityZones: [ap-northeast-2a, ap-northeast-2b, ap-northeast-2c]\n"
                 f"vpc: {{nat: {{gateway: {mode}}}, publicAccessCIDRs: [203.0.113.0/24]}}\n",
                 base=BASE.replace("vpc:\n  publicAccessCIDRs: [203.0.113.0/24]\n", ""))
    resources, _ = build(cfg)
    assert len(of_type(resources, "AWS::EC2::NatGateway")) == nats
    assert len(of_type(resources, "AWS::EC2::EIP")) == nats
    routes = of_type(resources, "AWS::EC2::Route")
    nat_routes = [r for r in routes.values() if "NatGatewayId" in r["Properties"]]
    assert len(nat_routes) == (3 if nats else 0)
    if mode == "HighlyAvailable":  # each private table routes through its own zone's NAT
        used = {r["Properties"]["NatGatewayId"]["Ref"] for r in nat_routes}
        assert len(used) == 3
        for lid, nat in of_type(resources, "AWS::EC2::NatGateway").items():
            zone = lid.removeprefix("NATGateway")
            assert nat["Properties"]["SubnetId"] == {"Ref": f"SubnetPublic{zone}"}


def test_public_route_goes_to_the_internet_gateway_after_attachment():
    resources, _ = build(config())
    route = resources["PublicSubnetRoute"]
    assert route["Properties"]["GatewayId"] == {"Ref": "InternetGateway"}
    assert route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
    assert route["DependsOn"] == ["VPCGatewayAttachment"]
    assocs = of_type(resources, "AWS::EC2::SubnetRouteTableAssociation")
    assert len(assocs) == 4


def test_public_ip_on_launch_only_for_public_nodegroups():
    private_nodes, _ = build(config("managedNodeGroups: [{name: ng}]\n"))
    public_nodes, _ = build(config("managedNodeGroups: [{name: ng, privateNetworking: false}]\n"))
    assert not any("MapPublicIpOnLaunch" in r["Properties"]
                   for r in of_type(private_nodes, "AWS::EC2::Subnet").values())
    assert all(r["Properties"]["MapPublicIpOnLaunch"] is True
               for lid, r in of_type(public_nodes, "AWS::EC2::Subnet").items() if lid.startswith("SubnetPublic"))


def test_explicit_subnet_cidrs_are_used():
    cfg = config("""
vpc:
  publicAccessCIDRs: [203.0.113.0/24]
  subnets:
    public:
      pub-a: {az: ap-northeast-2a, cidr: 192.168.1.0/24}
      pub-c: {az: ap-northeast-2c, cidr: 192.168.2.0/24}
    private:
      priv-a: {az: ap-northeast-2a, cidr: 192.168.11.0/24}
      priv-c: {az: ap-northeast-2c, cidr: 192.168.12.0/24}
""", base=BASE.replace("vpc:\n  publicAccessCIDRs: [203.0.113.0/24]\n", ""))
    resources, _ = build(cfg)
    assert resources["SubnetPublicPUBA"]["Properties"]["CidrBlock"] == "192.168.1.0/24"
    assert resources["SubnetPrivatePRIVC"]["Properties"]["CidrBlock"] == "192.168.12.0/24"


def test_outputs_are_refs_to_the_created_resources():
    _, outputs = build(config())
    assert outputs["VpcId"].to_dict() == {"Ref": "VPC"}
    assert [o.to_dict() for o in outputs["PublicSubnetIds"]] == [
        {"Ref": "SubnetPublicZONE1"}, {"Ref": "SubnetPublicZONE2"}]


def test_existing_vpc_passes_ids_on_without_resources():
    cfg = config("""
vpc:
  id: vpc-0123456789abcdef0
  publicAccessCIDRs: [203.0.113.0/24]
  subnets:
    public:
      ap-northeast-2a: {id: subnet-0aaa0001}
      ap-northeast-2c: {id: subnet-0ccc0001}
    private:
      ap-northeast-2a: {id: subnet-1aaa0001}
      ap-northeast-2c: {id: subnet-1ccc0001}
""", base=BASE.replace("vpc:\n  publicAccessCIDRs: [203.0.113.0/24]\n", ""))
    builder = network_for(cfg)
    assert isinstance(builder, ExistingNetwork)
    template = Template()
    outputs = builder.build(template, {})
    assert template.resources == {}
    assert outputs == {"VpcId": "vpc-0123456789abcdef0",
                       "PublicSubnetIds": ["subnet-0aaa0001", "subnet-0ccc0001"],
                       "PrivateSubnetIds": ["subnet-1aaa0001", "subnet-1ccc0001"]}


def test_id_prefix_namespaces_every_logical_id():
    builder = NetworkBuilder(config())
    builder.id_prefix = "Team"
    template = Template()
    builder.build(template, {})
    assert all(lid.startswith("Team") for lid in template.resources)
    assert set(builder.resources) == set(template.resources)
