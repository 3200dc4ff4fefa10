"""Nested stacks in the sandbox: GetAtt of child outputs, in-place child updates, deletes."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from . import templates as t
from .cfn import StackFailed, create, deploy, live_stacks, outputs, physical_ids
from .conftest import Clients


def _non_default_vpcs(aws: Clients) -> list[str]:
    return [v["VpcId"] for v in aws.ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def _ab_root(a_url: str, b_url: str, description: str | None = None) -> dict:
    b_params = {"VpcId": t.getatt("ChildA", "Outputs.VpcId")}
    if description is not None:
        b_params["Description"] = description
    return {
        "Resources": {
            "ChildA": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": a_url}},
            "ChildB": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": b_url, "Parameters": b_params},
            },
        },
        "Outputs": {
            "VpcId": {"Value": t.getatt("ChildA", "Outputs.VpcId")},
            "GroupId": {"Value": t.getatt("ChildB", "Outputs.SharedNodeSecurityGroup")},
        },
    }


def test_getatt_of_child_output_feeds_sibling_and_root_outputs(aws: Clients) -> None:
    a_url = t.upload(aws.s3, "a.json", t.network(nat=False))
    b_url = t.upload(aws.s3, "b.json", t.security())

    assert deploy(aws.cloudformation, "root", _ab_root(a_url, b_url)) == "CREATE"

    root_outputs = outputs(aws.cloudformation, "root")
    vpc_id = root_outputs["VpcId"]
    assert vpc_id in _non_default_vpcs(aws)
    group = aws.ec2.describe_security_groups(GroupIds=[root_outputs["GroupId"]])["SecurityGroups"][0]
    assert group["VpcId"] == vpc_id  # child B got child A's output as its parameter
    assert aws.cloudformation.describe_stacks(StackName="root")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_getatt_of_missing_output_is_a_validation_error(aws: Clients) -> None:
    a_url = t.upload(aws.s3, "a.json", t.network(nat=False))
    b_url = t.upload(aws.s3, "b.json", t.security())
    template = _ab_root(a_url, b_url)
    template["Resources"]["ChildB"]["Properties"]["Parameters"]["VpcId"] = t.getatt("ChildA", "Outputs.NoSuchOutput")
    with pytest.raises(StackFailed, match="no output 'NoSuchOutput'"):
        create(aws.cloudformation, "root", template)


def test_changed_child_parameters_update_the_child_in_place(aws: Clients) -> None:
    a_url = t.upload(aws.s3, "a.json", t.network(nat=False))
    b_url = t.upload(aws.s3, "b.json", t.security())
    deploy(aws.cloudformation, "root", _ab_root(a_url, b_url, description="first"))
    before = physical_ids(aws.cloudformation, "root")
    vpc_before = outputs(aws.cloudformation, "root")["VpcId"]

    deploy(aws.cloudformation, "root", _ab_root(a_url, b_url, description="second"))

    after = physical_ids(aws.cloudformation, "root")
    assert after == before  # same child stacks, not new ones
    child_b = aws.cloudformation.describe_stacks(StackName=after["ChildB"])["Stacks"][0]
    assert child_b["StackStatus"] == "UPDATE_COMPLETE"
    assert {p["ParameterKey"]: p["ParameterValue"] for p in child_b["Parameters"]}["Description"] == "second"
    assert outputs(aws.cloudformation, "root")["VpcId"] == vpc_before
    assert _non_default_vpcs(aws) == [vpc_before]  # no second VPC leaked


def test_changed_child_template_url_updates_the_child_in_place(aws: Clients) -> None:
    a_url = t.upload(aws.s3, "a-v1.json", t.network(nat=False))
    b_url = t.upload(aws.s3, "b.json", t.security())
    deploy(aws.cloudformation, "root", _ab_root(a_url, b_url))
    child_a = physical_ids(aws.cloudformation, "root")["ChildA"]
    vpc_id = outputs(aws.cloudformation, "root")["VpcId"]
    assert aws.ec2.describe_nat_gateways()["NatGateways"] == []

    a2_url = t.upload(aws.s3, "a-v2.json", t.network(nat=True))  # adds EIP, NAT gateway, route
    deploy(aws.cloudformation, "root", _ab_root(a2_url, b_url))

    assert physical_ids(aws.cloudformation, "root")["ChildA"] == child_a
    assert _non_default_vpcs(aws) == [vpc_id]
    nats = aws.ec2.describe_nat_gateways()["NatGateways"]
    assert [n["VpcId"] for n in nats] == [vpc_id]


def test_changed_output_of_one_child_updates_the_sibling_that_uses_it(aws: Clients) -> None:
    def labelled_network(label: str) -> dict:
        template = t.network(nat=False)
        template["Outputs"]["Label"] = {"Value": label}
        return template

    b_url = t.upload(aws.s3, "b.json", t.security())
    root = _ab_root(t.upload(aws.s3, "a-v1.json", labelled_network("v1")), b_url)
    root["Resources"]["ChildB"]["Properties"]["Parameters"]["Description"] = t.getatt("ChildA", "Outputs.Label")
    deploy(aws.cloudformation, "root", root)
    child_b = physical_ids(aws.cloudformation, "root")["ChildB"]

    # Only ChildA's template changes; ChildB's text does not, its resolved input does.
    root["Resources"]["ChildA"]["Properties"]["TemplateURL"] = t.upload(aws.s3, "a-v2.json", labelled_network("v2"))
    deploy(aws.cloudformation, "root", root)

    stack_b = aws.cloudformation.describe_stacks(StackName=child_b)["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack_b["Parameters"]}["Description"] == "v2"
    group = aws.ec2.describe_security_groups(GroupIds=[outputs(aws.cloudformation, "root")["GroupId"]])
    assert group["SecurityGroups"][0]["Description"] == "v2"


def test_stack_created_by_change_set_has_outputs_and_parameters(aws: Clients) -> None:
    template = {
        "Parameters": {"Greeting": {"Type": "String"}},
        "Resources": {"Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x"}}},
        "Outputs": {"Greeting": {"Value": t.ref("Greeting")}, "GroupId": {"Value": t.getatt("Group", "GroupId")}},
    }
    deploy(aws.cloudformation, "plain", template, {"Greeting": "hello"})
    assert outputs(aws.cloudformation, "plain")["Greeting"] == "hello"

    deploy(aws.cloudformation, "plain", template, {"Greeting": "bye"})
    assert outputs(aws.cloudformation, "plain")["Greeting"] == "bye"
    # An unchanged resubmission is "no changes" (moto: the ValidationError form).
    with pytest.raises(ClientError, match="No updates are to be performed"):
        deploy(aws.cloudformation, "plain", template, {"Greeting": "bye"})
    stack = aws.cloudformation.describe_stacks(StackName="plain")["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {"Greeting": "bye"}


def test_delete_of_root_removes_children_and_the_whole_network(aws: Clients) -> None:
    a_url = t.upload(aws.s3, "a.json", t.network(nat=True))
    b_url = t.upload(aws.s3, "b.json", t.security())
    deploy(aws.cloudformation, "root", _ab_root(a_url, b_url))
    assert len(live_stacks(aws.cloudformation)) == 3
    assert (
        len(
            aws.ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": _non_default_vpcs(aws)}])["RouteTables"]
        )
        == 3
    )  # main + public + private

    aws.cloudformation.delete_stack(StackName="root")

    assert live_stacks(aws.cloudformation) == []
    assert _non_default_vpcs(aws) == []
    assert [g["GroupName"] for g in aws.ec2.describe_security_groups()["SecurityGroups"]] == ["default"]
    assert aws.ec2.describe_internet_gateways()["InternetGateways"] == []
    assert aws.ec2.describe_addresses()["Addresses"] == []
    assert {n["State"] for n in aws.ec2.describe_nat_gateways()["NatGateways"]} == {"deleted"}
    assert aws.ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    non_main = [
        rt
        for rt in aws.ec2.describe_route_tables()["RouteTables"]
        if not any(a.get("Main") for a in rt.get("Associations", []))
    ]
    assert non_main == []


def test_removed_resources_are_really_deleted_on_update(aws: Clients) -> None:
    deploy(aws.cloudformation, "net", t.network(nat=True))
    vpc_id = outputs(aws.cloudformation, "net")["VpcId"]

    deploy(aws.cloudformation, "net", t.network(nat=False))  # NAT, EIP and private route go

    assert aws.ec2.describe_addresses()["Addresses"] == []
    assert {n["State"] for n in aws.ec2.describe_nat_gateways()["NatGateways"]} == {"deleted"}
    private = physical_ids(aws.cloudformation, "net")["PrivateRouteTable"]
    routes = aws.ec2.describe_route_tables(RouteTableIds=[private])["RouteTables"][0]["Routes"]
    assert [r["DestinationCidrBlock"] for r in routes] == ["10.0.0.0/16"]  # only the local route
    # Every resource is still known to the stack (moto used to forget unmodifiable ones).
    assert set(physical_ids(aws.cloudformation, "net")) == set(t.network(nat=False)["Resources"])

    deploy(aws.cloudformation, "net", t.network(nat=True))  # adding them back creates new ones
    available = [n for n in aws.ec2.describe_nat_gateways()["NatGateways"] if n["State"] == "available"]
    assert len(available) == 1
    assert len(aws.ec2.describe_addresses()["Addresses"]) == 1

    aws.cloudformation.delete_stack(StackName="net")
    assert vpc_id not in _non_default_vpcs(aws)


def test_failed_delete_keeps_the_stack_and_can_be_retried(aws: Clients) -> None:
    template = {
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
        },
        "Outputs": {"VpcId": {"Value": t.ref("VPC")}},
    }
    deploy(aws.cloudformation, "holder", template)
    vpc_id = outputs(aws.cloudformation, "holder")["VpcId"]
    # A subnet made outside the stack blocks DeleteVpc, as in EC2.
    subnet = aws.ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]

    aws.cloudformation.delete_stack(StackName="holder")  # succeeds, as in CloudFormation; the stack then fails
    stack = aws.cloudformation.describe_stacks(StackName="holder")["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"
    reasons = [e.get("ResourceStatusReason", "") for e in aws.cloudformation.describe_stack_events(
        StackName="holder")["StackEvents"] if e["ResourceStatus"] == "DELETE_FAILED"]
    assert any("DependencyViolation" in r for r in reasons)

    aws.ec2.delete_subnet(SubnetId=subnet)
    aws.cloudformation.delete_stack(StackName="holder")
    assert live_stacks(aws.cloudformation) == []
    assert vpc_id not in _non_default_vpcs(aws)


def test_termination_protection_can_be_switched_and_blocks_delete(aws: Clients) -> None:
    deploy(aws.cloudformation, "net", t.network(nat=False))
    aws.cloudformation.update_termination_protection(StackName="net", EnableTerminationProtection=True)
    assert aws.cloudformation.describe_stacks(StackName="net")["Stacks"][0]["EnableTerminationProtection"] is True

    with pytest.raises(ClientError, match=r"cannot be deleted while TerminationProtection is enabled"):
        aws.cloudformation.delete_stack(StackName="net")
    assert live_stacks(aws.cloudformation) == ["net"]

    aws.cloudformation.update_termination_protection(StackName="net", EnableTerminationProtection=False)
    aws.cloudformation.delete_stack(StackName="net")
    assert live_stacks(aws.cloudformation) == []


def test_retained_resources_survive_the_delete(aws: Clients) -> None:
    template = {
        "Resources": {
            "Kept": {
                "Type": "AWS::EC2::VPC",
                "DeletionPolicy": "Retain",
                "Properties": {"CidrBlock": "10.5.0.0/16"},
            },
            "Gone": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.6.0.0/16"}},
        }
    }
    deploy(aws.cloudformation, "retain", template)
    aws.cloudformation.delete_stack(StackName="retain")
    assert [v["CidrBlock"] for v in aws.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == ["10.5.0.0/16"]
