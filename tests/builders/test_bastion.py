"""BastionBuilder: the management host of the notes (eksctl-host)."""

from __future__ import annotations

from eks_templates.builders import BastionBuilder, cluster_builders
from eks_templates.builders.bastion import AL2023_IMAGE_PARAMETER
from eks_templates.names import (
    MANAGEMENT_HOST_PUBLIC_IP,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
)
from tests.builders.helpers import build, config, props, rendered, resources, templates


def host(extra: str = "bastion: {enabled: true}\n") -> dict:
    return resources(BastionBuilder(config(extra)))


def test_only_when_enabled():
    assert not any(isinstance(b, BastionBuilder) for b in cluster_builders(config()))
    assert any(isinstance(b, BastionBuilder) for b in cluster_builders(config("bastion: {enabled: true}\n")))


def test_private_subnet_by_default_without_public_address():
    builder = BastionBuilder(config("bastion: {enabled: true}\n"))
    assert PRIVATE_SUBNET_IDS in builder.inputs and PUBLIC_SUBNET_IDS not in builder.inputs
    template, outputs = build(builder)
    res = template.to_dict()["Resources"]
    [nic] = props(res, "ManagementHost")["NetworkInterfaces"]
    assert nic["SubnetId"] == {"Fn::Select": [0, {"Ref": "PrivateSubnetIds"}]}
    assert nic["AssociatePublicIpAddress"] is False
    assert nic["GroupSet"] == [{"Ref": "ManagementHostSecurityGroupId"}]
    assert MANAGEMENT_HOST_PUBLIC_IP.name not in outputs
    assert "Metadata" not in res["ManagementHost"]


def test_public_subnet_gets_a_public_address_and_says_why_checkov_is_skipped():
    builder = BastionBuilder(config("bastion: {enabled: true, subnet: public}\n"))
    template, outputs = build(builder)
    res = template.to_dict()["Resources"]
    [nic] = props(res, "ManagementHost")["NetworkInterfaces"]
    assert nic["SubnetId"] == {"Fn::Select": [0, {"Ref": "PublicSubnetIds"}]}
    assert nic["AssociatePublicIpAddress"] is True
    assert outputs[MANAGEMENT_HOST_PUBLIC_IP.name].to_dict() == {"Fn::GetAtt": ["ManagementHost", "PublicIp"]}
    [skip] = res["ManagementHost"]["Metadata"]["checkov"]["skip"]
    assert skip["id"] == "CKV_AWS_88" and "bastion.subnet is public" in skip["comment"]


def test_hardened_instance():
    instance = props(host("bastion: {enabled: true, instanceType: t3.medium}\n"), "ManagementHost")
    assert instance["InstanceType"] == "t3.medium"
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["EbsOptimized"] is True
    assert instance["Monitoring"] is True
    [volume] = instance["BlockDeviceMappings"]
    assert volume["Ebs"]["Encrypted"] is True
    assert instance["ImageId"] == {"Ref": "ManagementHostImageId"}
    assert "KeyName" not in instance


def test_image_from_the_public_al2023_parameter():
    template, _ = build(BastionBuilder(config("bastion: {enabled: true}\n")))
    parameter = template.to_dict()["Parameters"]["ManagementHostImageId"]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert parameter["Default"] == AL2023_IMAGE_PARAMETER


def test_key_name():
    instance = props(host("bastion: {enabled: true, keyName: ops}\n"), "ManagementHost")
    assert instance["KeyName"] == "ops"


def test_role_describes_this_cluster_only_and_uses_session_manager():
    role = props(host(), "ManagementHostRole")
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}]
    [statement] = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["eks:DescribeCluster"]
    assert statement["Resource"] == [{"Ref": "ClusterArn"}]
    profile = props(host(), "ManagementHostInstanceProfile")
    assert profile["Roles"] == [{"Ref": "ManagementHostRole"}]


def test_user_data_installs_kubectl_and_writes_the_kubeconfig():
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.34'}\nbastion: {enabled: true}\n")
    script, variables = props(resources(BastionBuilder(cfg)), "ManagementHost")["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert "aws eks update-kubeconfig --region ${AWS::Region} --name ${ClusterName}" in script
    assert "dl.k8s.io/release/stable-${KubernetesVersion}.txt" in script
    assert "${!version}" in script  # a shell variable, not a CloudFormation one
    assert variables == {"ClusterName": {"Ref": "ClusterName"}, "KubernetesVersion": "1.34"}


def test_root_outputs_the_management_host_address():
    outputs = templates(rendered(config("bastion: {enabled: true, subnet: public}\n")))["root.json"]["Outputs"]
    assert {"ManagementHostInstanceId", "ManagementHostPrivateIp", "ManagementHostPublicIp",
            "ManagementHostSecurityGroupId"} <= set(outputs)
