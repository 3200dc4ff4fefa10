"""AWS::EC2::Instance in the sandbox: placed where its NetworkInterfaces say, replaced
when they change (the management host moving to a private subnet, notes 4.3)."""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from typing import Any

from . import templates as t
from .cfn import deploy, outputs
from .conftest import Clients

IMAGE = "ami-0123456789abcdef0"


def _template() -> dict[str, Any]:
    """A VPC with a public and a private subnet, a group, and one instance whose subnet,
    public address and type are parameters (the shape of the rendered bastion)."""
    subnet = {"Type": "AWS::EC2::Subnet"}
    return {
        "Parameters": {
            "Where": {"Type": "String", "AllowedValues": ["public", "private"]},
            "Type": {"Type": "String", "Default": "t3.medium"},
        },
        "Conditions": {"Public": {"Fn::Equals": [t.ref("Where"), "public"]}},
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "192.168.0.0/16"}},
            "PublicSubnet": {**subnet, "Properties": {"VpcId": t.ref("VPC"), "CidrBlock": "192.168.0.0/19",
                                                      "AvailabilityZone": f"{t.REGION}a"}},
            "PrivateSubnet": {**subnet, "Properties": {"VpcId": t.ref("VPC"), "CidrBlock": "192.168.64.0/19",
                                                       "AvailabilityZone": f"{t.REGION}c"}},
            "HostGroup": {"Type": "AWS::EC2::SecurityGroup",
                          "Properties": {"GroupDescription": "host", "VpcId": t.ref("VPC")}},
            "Host": {
                "Type": "AWS::EC2::Instance",
                "Properties": {
                    "ImageId": IMAGE,
                    "InstanceType": t.ref("Type"),
                    "NetworkInterfaces": [{
                        "DeviceIndex": "0",
                        "AssociatePublicIpAddress": {"Fn::If": ["Public", True, False]},
                        "DeleteOnTermination": True,
                        "GroupSet": [t.ref("HostGroup")],
                        "SubnetId": {"Fn::If": ["Public", t.ref("PublicSubnet"), t.ref("PrivateSubnet")]},
                    }],
                    "Tags": [{"Key": "Name", "Value": "host"}],
                },
            },
        },
        "Outputs": {
            "HostId": {"Value": t.ref("Host")},
            "PrivateIp": {"Value": t.getatt("Host", "PrivateIp")},
            "VpcId": {"Value": t.ref("VPC")},
            "PublicSubnet": {"Value": t.ref("PublicSubnet")},
            "PrivateSubnet": {"Value": t.ref("PrivateSubnet")},
            "HostGroup": {"Value": t.ref("HostGroup")},
        },
    }


def _instance(aws: Clients, instance_id: str) -> dict[str, Any]:
    return aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def test_instance_network_interfaces_placement_replacement_and_delete(aws: Clients) -> None:
    template = _template()
    deploy(aws.cloudformation, "host", template, {"Where": "public"})
    out = outputs(aws.cloudformation, "host")
    public = _instance(aws, out["HostId"])
    # moto alone: the default VPC's subnet, its default group, a 10.x address
    assert public["SubnetId"] == out["PublicSubnet"]
    assert public["VpcId"] == out["VpcId"]
    assert [g["GroupId"] for g in public["SecurityGroups"]] == [out["HostGroup"]]
    assert [g["GroupId"] for g in public["NetworkInterfaces"][0]["Groups"]] == [out["HostGroup"]]
    assert ip_address(public["PrivateIpAddress"]) in ip_network("192.168.0.0/19")
    assert out["PrivateIp"] == public["PrivateIpAddress"]
    assert public.get("PublicIpAddress")
    assert {"Key": "Name", "Value": "host"} in public["Tags"]

    # an in-place change keeps the instance
    deploy(aws.cloudformation, "host", template, {"Where": "public", "Type": "t3.large"})
    assert outputs(aws.cloudformation, "host")["HostId"] == public["InstanceId"]
    assert _instance(aws, public["InstanceId"])["InstanceType"] == "t3.large"

    # another subnet replaces it (CloudFormation: NetworkInterfaces "Update requires: Replacement")
    deploy(aws.cloudformation, "host", template, {"Where": "private", "Type": "t3.large"})
    out = outputs(aws.cloudformation, "host")
    assert out["HostId"] != public["InstanceId"]
    private = _instance(aws, out["HostId"])
    assert private["SubnetId"] == out["PrivateSubnet"]
    assert ip_address(private["PrivateIpAddress"]) in ip_network("192.168.64.0/19")
    assert not private.get("PublicIpAddress")
    assert private["InstanceType"] == "t3.large"
    assert {"Key": "Name", "Value": "host"} in private["Tags"]
    assert _instance(aws, public["InstanceId"])["State"]["Name"] == "terminated"
    resource = aws.cloudformation.describe_stack_resource(StackName="host", LogicalResourceId="Host")
    assert resource["StackResourceDetail"]["PhysicalResourceId"] == private["InstanceId"]

    aws.cloudformation.delete_stack(StackName="host")
    assert _instance(aws, private["InstanceId"])["State"]["Name"] == "terminated"
    assert [v for v in aws.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    in_vpc = aws.ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [out["VpcId"]]}])
    assert in_vpc["NetworkInterfaces"] == []
