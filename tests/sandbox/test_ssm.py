"""SSM public image parameters: seeded in the sandbox and resolved for SSM-typed template parameters."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from eks_templates.sandbox.ssm_public import KUBERNETES_VERSIONS

from . import templates as t
from .cfn import deploy, outputs
from .conftest import Clients

PATHS = [
    "/aws/service/eks/optimized-ami/{v}/amazon-linux-2023/x86_64/standard/recommended/image_id",
    "/aws/service/eks/optimized-ami/{v}/amazon-linux-2/recommended/image_id",
    "/aws/service/bottlerocket/aws-k8s-{v}/x86_64/latest/image_id",
    "/aws/service/canonical/ubuntu/eks/22.04/{v}/stable/current/amd64/hvm/ebs-gp2/ami-id",
    "/aws/service/canonical/ubuntu/eks/20.04/{v}/stable/current/amd64/hvm/ebs-gp2/ami-id",
    "/aws/service/canonical/ubuntu/eks/24.04/{v}/stable/current/amd64/hvm/ebs-gp3/ami-id",
]


def test_versions_cover_what_the_templates_use() -> None:
    assert {"1.29", "1.30", "1.31", "1.32", "1.33", "1.34"} <= set(KUBERNETES_VERSIONS)


def test_image_paths_resolve_to_images_that_ec2_knows(aws: Clients) -> None:
    for path in PATHS:
        for version in ("1.29", "1.34"):
            parameter = aws.ssm.get_parameter(Name=path.format(v=version))["Parameter"]
            assert parameter["DataType"] == "aws:ec2:image", path
            image = aws.ec2.describe_images(ImageIds=[parameter["Value"]])["Images"][0]
            assert image["Architecture"] == "x86_64", path


def test_moto_own_amazon_linux_parameter_is_still_there(aws: Clients) -> None:
    value = aws.ssm.get_parameter(Name="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")[
        "Parameter"
    ]["Value"]
    assert aws.ec2.describe_images(ImageIds=[value])["Images"][0]["Name"].startswith("al2023-ami-")


def test_path_queries_find_the_seeded_parameters(aws: Clients) -> None:
    found = aws.ssm.get_parameters_by_path(Path="/aws/service/eks/optimized-ami/1.31", Recursive=True)["Parameters"]
    names = {p["Name"] for p in found}
    assert PATHS[0].format(v="1.31") in names and PATHS[1].format(v="1.31") in names


def test_ssm_typed_template_parameter_resolves_and_the_instance_launches(aws: Clients) -> None:
    template = {
        "Parameters": {
            "ImageId": {
                "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                "Default": t.AMI_PATH.format(version="1.34"),
            },
            "UbuntuImageId": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"},
        },
        "Resources": {
            "Host": {
                "Type": "AWS::EC2::Instance",
                "Properties": {"ImageId": t.ref("ImageId"), "InstanceType": "t3.micro"},
            },
        },
        "Outputs": {"Image": {"Value": t.ref("ImageId")}, "Ubuntu": {"Value": t.ref("UbuntuImageId")}},
    }
    deploy(aws.cloudformation, "host", template, {"UbuntuImageId": PATHS[3].format(v="1.33")})

    out = outputs(aws.cloudformation, "host")
    expected = aws.ssm.get_parameter(Name=t.AMI_PATH.format(version="1.34"))["Parameter"]["Value"]
    assert out["Image"] == expected and out["Image"].startswith("ami-")
    assert out["Ubuntu"].startswith("ami-")
    reservations = aws.ec2.describe_instances()["Reservations"]
    assert [i["ImageId"] for r in reservations for i in r["Instances"]] == [expected]


def test_ssm_typed_parameter_shows_its_name_and_survives_use_previous_value(aws: Clients) -> None:
    path = t.AMI_PATH.format(version="1.33")
    template = {
        "Parameters": {
            "ImageId": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"},
            "Size": {"Type": "String"},
        },
        "Resources": {"Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": t.ref("Size")}}},
        "Outputs": {"Image": {"Value": t.ref("ImageId")}},
    }
    deploy(aws.cloudformation, "ssm", template, {"ImageId": path, "Size": "small"})
    image = aws.ssm.get_parameter(Name=path)["Parameter"]["Value"]

    def listed() -> dict[str, dict[str, str]]:
        stack = aws.cloudformation.describe_stacks(StackName="ssm")["Stacks"][0]
        return {p["ParameterKey"]: p for p in stack["Parameters"]}

    assert listed()["ImageId"]["ParameterValue"] == path
    assert listed()["ImageId"]["ResolvedValue"] == image

    aws.cloudformation.create_change_set(
        StackName="ssm",
        ChangeSetName="keep-image",
        ChangeSetType="UPDATE",
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": "ImageId", "UsePreviousValue": True},
            {"ParameterKey": "Size", "ParameterValue": "large"},
        ],
    )
    aws.cloudformation.execute_change_set(StackName="ssm", ChangeSetName="keep-image")
    assert listed()["ImageId"]["ParameterValue"] == path
    assert listed()["Size"]["ParameterValue"] == "large"
    assert outputs(aws.cloudformation, "ssm")["Image"] == image


def test_unknown_ssm_path_is_a_validation_error(aws: Clients) -> None:
    template = {
        "Parameters": {
            "ImageId": {
                "Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
                "Default": "/aws/service/eks/optimized-ami/1.99/amazon-linux-2023/x86_64/standard/recommended/image_id",
            }
        },
        "Resources": {"Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x"}}},
    }
    with pytest.raises(ClientError, match=r"Unable to fetch parameters \[/aws/service/eks/optimized-ami/1\.99/"):
        aws.cloudformation.create_stack(StackName="bad", TemplateBody=json.dumps(template))


# Instance types of each kind release_parameter tells apart: x86, Graviton, NVIDIA x86,
# NVIDIA Graviton (g5g).
_KINDS = ("m7i.large", "m7g.large", "g5.xlarge", "g5g.xlarge")


@pytest.mark.parametrize("family", ["AmazonLinux2023", "AmazonLinux2", "Bottlerocket"])
def test_every_release_parameter_upgrade_reads_is_published(aws: Clients, family: str) -> None:
    # upgrade --amis reads .../release_version (Amazon Linux) and .../image_version
    # (Bottlerocket): the sandbox publishes them next to the image ids, as AWS does.
    import re

    from eks_templates.config.loader import parse_config
    from eks_templates.config.rules.nodegroups import AMI_VERSIONS
    from eks_templates.deploy.amis import release_parameter
    from tests.config.cases import SOURCE, TODAY, stack_text

    last = AMI_VERSIONS.get(family, (None, None))[1]  # AL2: none from 1.33 on, in AWS and the sandbox
    config = parse_config(stack_text({"metadata": {"version": last or "1.34"}, "managedNodeGroups": [
        {"name": f"ng{i}", "amiFamily": family, "instanceType": kind} for i, kind in enumerate(_KINDS)]}),
        SOURCE, today=TODAY, on_warning=None)
    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    published = [v for v in KUBERNETES_VERSIONS if last is None or key(v) <= key(last)]
    assert published
    if last is not None:
        with pytest.raises(ClientError, match="ParameterNotFound"):
            aws.ssm.get_parameter(Name=str(release_parameter(config.managed_node_groups[0], "1.33")))
    for version in published:
        for ng in config.managed_node_groups:
            name = release_parameter(ng, version)
            assert name is not None
            parameter = aws.ssm.get_parameter(Name=name)["Parameter"]
            assert parameter["DataType"] == "text", name
            if family == "Bottlerocket":  # <bottlerocket version>-<commit>
                assert re.fullmatch(r"\d+\.\d+\.\d+-[0-9a-f]{8}", parameter["Value"]), name
            else:  # <kubernetes>.<patch>-<yyyymmdd>, of that Kubernetes version
                assert re.fullmatch(re.escape(version) + r"\.\d+-\d{8}", parameter["Value"]), name
