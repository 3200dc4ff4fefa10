"""The sandbox refuses what AWS refuses (and moto 5.2.5 accepted): each refusal fails the
resource with AWS's error code and message as its ResourceStatusReason, and the stack
rolls back."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from eks_templates.sandbox import ssm_public

from . import templates as t
from .cfn import StackFailed, create, deploy
from .conftest import Clients

X86_IMAGE = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
ARM_IMAGE = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"


def _instance_template(instance_type: str, image_parameter: str, **extra: Any) -> dict[str, Any]:
    return {
        "Parameters": {"Image": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                                 "Default": image_parameter}},
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.3.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": t.ref("VPC"), "CidrBlock": "10.3.0.0/24", "AvailabilityZone": f"{t.REGION}a"}},
            "Host": {"Type": "AWS::EC2::Instance", "Properties": {
                "ImageId": t.ref("Image"), "InstanceType": instance_type, "SubnetId": t.ref("Subnet"), **extra}},
        },
    }


def _running(aws: Clients) -> list[str]:
    return [i["InstanceId"] for r in aws.ec2.describe_instances()["Reservations"] for i in r["Instances"]
            if i["State"]["Name"] != "terminated"]


def _vpcs(aws: Clients) -> list[str]:
    return [v["VpcId"] for v in aws.ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def test_ebs_optimized_on_t2_is_refused_like_run_instances(aws: Clients) -> None:
    with pytest.raises(StackFailed) as failed:
        deploy(aws.cloudformation, "host", _instance_template("t2.micro", X86_IMAGE, EbsOptimized=True))

    assert failed.value.status == "ROLLBACK_COMPLETE"
    assert failed.value.reasons[0] == (
        "Unsupported: EBS-optimized instances are not supported for your requested configuration. "
        "Please check the documentation for supported configurations.")
    assert _running(aws) == [] and _vpcs(aws) == []  # the VPC and subnet made first were rolled back

    deploy(aws.cloudformation, "ok", _instance_template("t2.micro", X86_IMAGE, EbsOptimized=False))
    deploy(aws.cloudformation, "ok3", _instance_template("t3.micro", X86_IMAGE, EbsOptimized=True))
    assert len(_running(aws)) == 2


def test_ebs_optimized_on_t2_through_the_ec2_api(aws: Clients) -> None:
    image = aws.ssm.get_parameter(Name=X86_IMAGE)["Parameter"]["Value"]
    with pytest.raises(ClientError) as refused:
        aws.ec2.run_instances(ImageId=image, InstanceType="t2.large", MinCount=1, MaxCount=1, EbsOptimized=True)
    assert refused.value.response["Error"]["Code"] == "Unsupported"


@pytest.mark.parametrize(("instance_type", "image", "instance_arch", "image_arch"), [
    ("t4g.medium", X86_IMAGE, "arm64", "x86_64"),
    ("m7g.large", X86_IMAGE, "arm64", "x86_64"),
    ("t3.medium", ARM_IMAGE, "x86_64", "arm64"),
])
def test_image_of_the_wrong_architecture_is_refused(aws: Clients, instance_type: str, image: str,
                                                      instance_arch: str, image_arch: str) -> None:
    with pytest.raises(StackFailed) as failed:
        deploy(aws.cloudformation, "host", _instance_template(instance_type, image))
    assert failed.value.reasons[0].startswith(
        f"InvalidParameterValue: The architecture '{instance_arch}' of the specified instance type does not "
        f"match the architecture '{image_arch}' of the specified AMI.")
    assert _running(aws) == []


def test_matching_architectures_run(aws: Clients) -> None:
    deploy(aws.cloudformation, "arm", _instance_template("t4g.medium", ARM_IMAGE))
    deploy(aws.cloudformation, "x86", _instance_template("t3.medium", X86_IMAGE))
    assert len(_running(aws)) == 2


def test_seeded_image_parameters_resolve_to_images_of_their_architecture(aws: Clients) -> None:
    names = sorted(ssm_public.public_parameters({
        ssm_public.AL2023_X86: "x", ssm_public.AL2023_ARM: "a", ssm_public.AL2_X86: "x", ssm_public.AL2_ARM: "a"}))
    checked = 0
    for name in names:
        want = "arm64" if "arm64" in name else "x86_64"
        image = aws.ssm.get_parameter(Name=name)["Parameter"]["Value"]
        assert aws.ec2.describe_images(ImageIds=[image])["Images"][0]["Architecture"] == want, name
        checked += 1
    assert checked == len(names) > 100


@pytest.mark.parametrize(("name", "message"), [
    ("sg-nodes", "Value (sg-nodes) for parameter GroupName is invalid. Group names may not be in the format sg-*."),
    ("x" * 256, "Length exceeds maximum of 255 characters."),
])
def test_security_group_names_ec2_refuses(aws: Clients, name: str, message: str) -> None:
    template = {"Resources": {
        "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.4.0.0/16"}},
        "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupName": name, "GroupDescription": "d", "VpcId": t.ref("VPC")}},
    }}
    with pytest.raises(StackFailed) as failed:
        create(aws.cloudformation, "groups", template)  # CreateStack rolls back too
    assert failed.value.status == "ROLLBACK_COMPLETE"
    assert failed.value.reasons[0].startswith("InvalidParameterValue: ") and message in failed.value.reasons[0]
    assert _vpcs(aws) == []
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        aws.ec2.create_security_group(GroupName=name, Description="d")


def test_generated_and_ordinary_group_names_are_fine(aws: Clients) -> None:
    template = {"Resources": {
        "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.4.0.0/16"}},
        "Named": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupName": "x" * 255, "GroupDescription": "d", "VpcId": t.ref("VPC")}},
        "Unnamed": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "d", "VpcId": t.ref("VPC")}},
    }}
    deploy(aws.cloudformation, "sg", template)  # CloudFormation names Unnamed "sg-Unnamed-..."


def test_log_group_that_exists_is_refused_and_left_alone(aws: Clients) -> None:
    aws.logs.create_log_group(logGroupName="/aws/eks/old/cluster")
    template = {"Resources": {
        "Fresh": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "fresh"}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "DependsOn": "Fresh",
                 "Properties": {"LogGroupName": "/aws/eks/old/cluster"}},
    }}
    with pytest.raises(StackFailed) as failed:
        deploy(aws.cloudformation, "logs", template)
    assert failed.value.reasons[0].startswith(
        'Resource handler returned message: "Resource of type \'AWS::Logs::LogGroup\' with identifier '
        '\'{"/properties/LogGroupName":"/aws/eks/old/cluster"}\' already exists."')
    assert [g["logGroupName"] for g in aws.logs.describe_log_groups()["logGroups"]] == ["/aws/eks/old/cluster"]


def _role(path: str, name: str = "app-role") -> dict[str, Any]:
    assume = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": name, "Path": path, "AssumeRolePolicyDocument": assume}}}}


def test_replacing_any_custom_named_resource_is_refused(aws: Clients) -> None:
    deploy(aws.cloudformation, "roles", _role("/a/"))
    # AWS::IAM::Role: Path is create-only (the schema), the name stays: CloudFormation refuses
    with pytest.raises(StackFailed) as failed:
        deploy(aws.cloudformation, "roles", _role("/b/"))
    assert failed.value.status == "UPDATE_ROLLBACK_COMPLETE"
    assert failed.value.reasons[0] == (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        "Rename app-role (AWS::IAM::Role) and update the stack again.")
    assert aws.iam.get_role(RoleName="app-role")["Role"]["Path"] == "/a/"
    events = aws.cloudformation.describe_stack_events(StackName="roles")["StackEvents"]
    assert [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "Role"].count("UPDATE_FAILED") == 1


def test_a_named_security_group_cannot_be_replaced_in_the_same_vpc(aws: Clients) -> None:
    def template(description: str) -> dict[str, Any]:
        return {"Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.4.0.0/16"}},
            "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupName": "web", "GroupDescription": description, "VpcId": t.ref("VPC")}},
        }}
    deploy(aws.cloudformation, "web", template("one"))
    group = aws.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["web"]}])["SecurityGroups"]
    with pytest.raises(StackFailed, match="Rename web"):
        deploy(aws.cloudformation, "web", template("two"))  # GroupDescription is create-only
    after = aws.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["web"]}])["SecurityGroups"]
    assert [g["GroupId"] for g in after] == [g["GroupId"] for g in group]


def test_the_log_group_an_earlier_cluster_left_makes_the_next_create_fail(aws: Clients) -> None:
    deploy(aws.cloudformation, "net", t.network(nat=False))
    net = {o["OutputKey"]: o["OutputValue"] for o in aws.cloudformation.describe_stacks(
        StackName="net")["Stacks"][0]["Outputs"]}
    params = {"VpcId": net["VpcId"], "SubnetIds": net["SubnetIds"], "ClusterName": "myeks"}
    deploy(aws.cloudformation, "cp", t.control_plane(), params)  # logging on, no LogGroup in the template
    aws.cloudformation.delete_stack(StackName="cp")
    assert aws.eks.list_clusters()["clusters"] == []
    # EKS made /aws/eks/myeks/cluster for the control plane logs and keeps it
    groups = [g["logGroupName"] for g in aws.logs.describe_log_groups()["logGroups"]]
    assert groups == ["/aws/eks/myeks/cluster"]

    template = t.control_plane({"ControlPlaneLogGroup": {
        "Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/eks/myeks/cluster"}}})
    template["Resources"]["ControlPlane"]["DependsOn"] = ["ControlPlaneLogGroup"]  # as the builder does
    with pytest.raises(StackFailed) as failed:
        deploy(aws.cloudformation, "cp2", template, params)
    assert "/aws/eks/myeks/cluster\"}' already exists." in failed.value.reasons[0]
    assert aws.eks.list_clusters()["clusters"] == []
