"""An EKS cluster inside a network of your own, in one template of your own.

The template below is this program's: it makes its own VPC (two public and two private
subnets, an internet gateway, one NAT gateway) with troposphere, then adds the cluster
of ``shop.yaml`` with eks_templates' builders: the security groups, the control plane
and both nodegroups, fed the VPC and subnets made here as inputs. Nothing of the
stack file's own network is used.

Run it from any directory; it prints the template (JSON) on stdout::

    python examples/eks_in_my_vpc.py > shop.json
    cfn-lint shop.json
"""

from __future__ import annotations

from pathlib import Path

from troposphere import GetAtt, GetAZs, Output, Ref, Select, Sub, Tags, Template, ec2

from eks_templates import (
    ControlPlaneBuilder,
    ExistingNetwork,
    SecurityGroupsBuilder,
    compose,
    load_stack,
    nodegroup_builders,
)

#: a path is taken as given: this file's neighbour, wherever the program runs from
STACK_FILE = Path(__file__).with_name("shop.yaml")
ZONES = GetAZs(Ref("AWS::Region"))


def add_network(template: Template) -> tuple[ec2.VPC, list[ec2.Subnet], list[ec2.Subnet]]:
    """The program's own network: the VPC, a public and a private subnet in each of two zones."""
    vpc = template.add_resource(ec2.VPC(
        "ShopVpc", CidrBlock="10.20.0.0/16", EnableDnsHostnames=True, EnableDnsSupport=True,
        Tags=Tags(Name=Sub("${AWS::StackName}-vpc")),
    ))
    gateway = template.add_resource(ec2.InternetGateway("ShopInternetGateway"))
    attachment = template.add_resource(ec2.VPCGatewayAttachment(
        "ShopGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(gateway)))
    public_routes = template.add_resource(ec2.RouteTable("ShopPublicRoutes", VpcId=Ref(vpc)))
    template.add_resource(ec2.Route(
        "ShopPublicDefaultRoute", DependsOn=attachment.title, RouteTableId=Ref(public_routes),
        DestinationCidrBlock="0.0.0.0/0", GatewayId=Ref(gateway)))

    public, private = [], []
    for index, zone in enumerate("AB"):
        subnet = template.add_resource(ec2.Subnet(
            f"ShopPublic{zone}", VpcId=Ref(vpc), CidrBlock=f"10.20.{index}.0/24",
            AvailabilityZone=Select(index, ZONES),
            Tags=Tags({"Name": Sub(f"${{AWS::StackName}}-public-{zone.lower()}"), "kubernetes.io/role/elb": "1"}),
        ))
        template.add_resource(ec2.SubnetRouteTableAssociation(
            f"ShopPublic{zone}Routes", SubnetId=Ref(subnet), RouteTableId=Ref(public_routes)))
        public.append(subnet)

    address = template.add_resource(ec2.EIP("ShopNatAddress", Domain="vpc"))
    nat = template.add_resource(ec2.NatGateway(
        "ShopNat", AllocationId=GetAtt(address, "AllocationId"), SubnetId=Ref(public[0])))
    private_routes = template.add_resource(ec2.RouteTable("ShopPrivateRoutes", VpcId=Ref(vpc)))
    template.add_resource(ec2.Route(
        "ShopPrivateDefaultRoute", RouteTableId=Ref(private_routes), DestinationCidrBlock="0.0.0.0/0",
        NatGatewayId=Ref(nat)))
    for index, zone in enumerate("AB"):
        subnet = template.add_resource(ec2.Subnet(
            f"ShopPrivate{zone}", VpcId=Ref(vpc), CidrBlock=f"10.20.{16 + index * 16}.0/20",
            AvailabilityZone=Select(index, ZONES),
            Tags=Tags({"Name": Sub(f"${{AWS::StackName}}-private-{zone.lower()}"),
                       "kubernetes.io/role/internal-elb": "1"}),
        ))
        template.add_resource(ec2.SubnetRouteTableAssociation(
            f"ShopPrivate{zone}Routes", SubnetId=Ref(subnet), RouteTableId=Ref(private_routes)))
        private.append(subnet)
    return vpc, public, private


def main() -> None:
    config = load_stack(STACK_FILE)
    template = Template(Description="The shop: its own VPC and an EKS cluster with two nodegroups")
    vpc, public, private = add_network(template)

    # The builders take the network as inputs; every nodegroup's logical IDs carry its
    # name (NodegroupGeneral..., NodegroupBatch...), so both fit in this one template.
    network = ExistingNetwork(config, vpc_id=Ref(vpc), public_subnet_ids=[Ref(s) for s in public],
                              private_subnet_ids=[Ref(s) for s in private])
    values = compose(template, [network, SecurityGroupsBuilder(config), ControlPlaneBuilder(config),
                                *nodegroup_builders(config)])

    for name in ("ClusterName", "ClusterEndpoint", "KubeconfigCommand"):
        template.add_output(Output(name, Value=values[name]))
    print(template.to_json())


if __name__ == "__main__":
    main()
