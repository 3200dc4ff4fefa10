"""What our templates share with eksctl's, checked against eksctl's own expected
templates (``../shared/reference/eksctl/``, loaded at test time, never copied here).

Each test renders the cluster or nodegroup the reference describes and asserts the
logical IDs and properties docs/eksctl-comparison.md says we share; the differences
that document lists are asserted too, so the comparison cannot drift silently.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from eks_templates.builders import NodegroupBuilder
from eks_templates.builders.common import SERVICE_PRINCIPALS
from eks_templates.config.model import ClusterConfig
from tests.builders.helpers import build, config, flat_resources, rendered
from tests.support import REPO

REFERENCE = REPO.parent / "shared" / "reference" / "eksctl"
BUILDER_DATA = REFERENCE / "pkg" / "cfn" / "builder" / "testdata"

pytestmark = pytest.mark.skipif(
    not REFERENCE.is_dir(),
    reason=f"eksctl's reference templates are not at {REFERENCE} (they live beside the repository, "
           "in shared/reference/eksctl/)",
)


def reference(relative: str) -> dict[str, Any]:
    data = json.loads((REFERENCE / relative).read_text())
    return dict(data)


def reference_resources(relative: str) -> dict[str, Any]:
    data = reference(relative)
    return dict(data.get("Resources", data))


def child_resources(cfg: ClusterConfig) -> dict[str, Any]:
    """One nodegroup's resources as in its own stack (no logical-ID prefix)."""
    template, _ = build(NodegroupBuilder(cfg, cfg.managed_node_groups[0]))
    return dict(template.to_dict()["Resources"])


def lt_cluster(ssh: bool) -> ClusterConfig:
    """The cluster and nodegroup of eksctl's launch_template testdata: cluster ``lt``,
    nodegroup ``ssh-enabled``/``standard``, m5.large, 80 GiB gp3, public subnets."""
    name = "ssh-enabled" if ssh else "standard"
    ssh_yaml = ", ssh: {allow: true, publicKeyName: test-keypair}" if ssh else ""
    return config("metadata: {name: lt, region: us-west-2}\navailabilityZones: [us-west-2a, us-west-2b]\n"
                  f"managedNodeGroups: [{{name: {name}, instanceType: m5.large, volumeSize: 80, "
                  f"privateNetworking: false{ssh_yaml}}}]\n")


def get_att(value: Any) -> Any:
    """eksctl writes GetAtt both as "A.B" and as [A, B]; compare them as lists."""
    if isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), str):
        return {"Fn::GetAtt": value["Fn::GetAtt"].split(".", 1)}
    return value


# --------------------------------------------------------------------------- managed nodegroup


@pytest.fixture(scope="module")
def ssh_enabled() -> tuple[dict[str, Any], dict[str, Any]]:
    return reference_resources("pkg/cfn/builder/testdata/launch_template/ssh_enabled.json"), \
        child_resources(lt_cluster(ssh=True))


def test_nodegroup_logical_ids_and_types(ssh_enabled):
    theirs, ours = ssh_enabled
    assert set(theirs) == {"LaunchTemplate", "ManagedNodeGroup", "NodeInstanceRole", "SSH"}
    for logical_id, resource in theirs.items():
        assert ours[logical_id]["Type"] == resource["Type"], logical_id


def test_node_role_is_eksctls(ssh_enabled):
    theirs, ours = (r["NodeInstanceRole"]["Properties"] for r in ssh_enabled)
    assert ours["AssumeRolePolicyDocument"] == theirs["AssumeRolePolicyDocument"]
    assert ours["ManagedPolicyArns"] == theirs["ManagedPolicyArns"]
    assert ours["Path"] == theirs["Path"]
    assert ours["Tags"] == theirs["Tags"]


def test_launch_template_shares_eksctls_defaults(ssh_enabled):
    theirs, ours = (r["LaunchTemplate"]["Properties"] for r in ssh_enabled)
    assert ours["LaunchTemplateName"] == theirs["LaunchTemplateName"]
    t, o = theirs["LaunchTemplateData"], ours["LaunchTemplateData"]
    [t_volume], [o_volume] = t["BlockDeviceMappings"], o["BlockDeviceMappings"]
    assert o_volume["DeviceName"] == t_volume["DeviceName"] == "/dev/xvda"
    assert {k: o_volume["Ebs"][k] for k in t_volume["Ebs"]} == t_volume["Ebs"]
    # the same tokens; hop limit 1 where eksctl has 2: our disablePodIMDS defaults to true (README)
    assert t["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    assert {k: o["MetadataOptions"][k] for k in t["MetadataOptions"]} == {**t["MetadataOptions"],
                                                                          "HttpPutResponseHopLimit": 1}
    assert o["KeyName"] == t["KeyName"]
    assert [s["ResourceType"] for s in o["TagSpecifications"]] == [s["ResourceType"] for s in t["TagSpecifications"]]
    for ours_spec, theirs_spec in zip(o["TagSpecifications"], t["TagSpecifications"], strict=True):
        name = {"Key": "Name", "Value": "lt-ssh-enabled-Node"}
        assert name in ours_spec["Tags"] and name in theirs_spec["Tags"]
    # the cluster security group first, the SSH group last, as eksctl
    assert o["SecurityGroupIds"][0] == {"Ref": "ClusterSecurityGroupId"}
    assert o["SecurityGroupIds"][-1] == t["SecurityGroupIds"][-1] == {"Ref": "SSH"}


def test_launch_template_differences(ssh_enabled):
    theirs, ours = (r["LaunchTemplate"]["Properties"]["LaunchTemplateData"] for r in ssh_enabled)
    [volume] = ours["BlockDeviceMappings"]
    assert volume["Ebs"]["Encrypted"] is True and "Encrypted" not in theirs["BlockDeviceMappings"][0]["Ebs"]
    assert {"Ref": "ClusterSharedNodeSecurityGroupId"} in ours["SecurityGroupIds"]
    assert len(ours["SecurityGroupIds"]) == len(theirs["SecurityGroupIds"]) + 1
    assert "UserData" not in ours  # EKS bootstraps its own AMIs; eksctl's is a fake bootstrapper's


def test_managed_nodegroup_is_eksctls(ssh_enabled):
    theirs, ours = (r["ManagedNodeGroup"]["Properties"] for r in ssh_enabled)
    for key in ("AmiType", "InstanceTypes", "NodegroupName", "NodeRole"):
        assert ours[key] == theirs[key], key
    assert ours["LaunchTemplate"]["Id"] == theirs["LaunchTemplate"]["Id"]
    assert set(ours["ScalingConfig"]) == set(theirs["ScalingConfig"])
    # differences: the version pins the template version; sizes come from the scaling parameter
    assert ours["LaunchTemplate"]["Version"] == {"Fn::GetAtt": ["LaunchTemplate", "LatestVersionNumber"]}
    assert "Version" not in theirs["LaunchTemplate"]
    assert all("Fn::Select" in v for v in ours["ScalingConfig"].values())


def test_remote_access_group_is_tagged_as_eksctls_but_unnamed_and_never_open(ssh_enabled):
    theirs, ours = (r["SSH"]["Properties"] for r in ssh_enabled)
    # eksctl's GroupName "${AWS::StackName}-remoteAccess" breaks under a stack name that starts
    # with "sg-" (EC2 refuses it); CloudFormation names ours, as every other group
    assert theirs["GroupName"] == {"Fn::Sub": "${AWS::StackName}-remoteAccess"}
    assert "GroupName" not in ours
    assert ours["Tags"] == theirs["Tags"]
    assert {r.get("CidrIp") for r in theirs["SecurityGroupIngress"]} == {"0.0.0.0/0", None}
    assert "SecurityGroupIngress" not in ours
    text = json.dumps(ssh_enabled[1])
    assert "0.0.0.0/0" not in text and "::/0" not in text


def test_without_ssh_no_ssh_group_and_no_key():
    theirs = reference_resources("pkg/cfn/builder/testdata/launch_template/standard.json")
    ours = child_resources(lt_cluster(ssh=False))
    assert "SSH" not in theirs and "SSH" not in ours
    assert "KeyName" not in theirs["LaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert "KeyName" not in ours["LaunchTemplate"]["Properties"]["LaunchTemplateData"]


def test_amazon_linux_2_ami_type():
    theirs = reference_resources("pkg/actions/nodegroup/testdata/al2-updated-template.json")
    cfg = config("metadata: {name: my-cluster, region: us-west-2, version: '1.32'}\n"
                 "availabilityZones: [us-west-2a, us-west-2b]\n"
                 "managedNodeGroups: [{name: amazonlinux2, amiFamily: AmazonLinux2, instanceType: m5.xlarge}]\n")
    ours = child_resources(cfg)
    for key in ("AmiType", "InstanceTypes", "NodegroupName"):
        assert ours["ManagedNodeGroup"]["Properties"][key] == theirs["ManagedNodeGroup"]["Properties"][key]
    name = {"Key": "Name", "Value": "my-cluster-amazonlinux2-Node"}
    assert name in ours["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["TagSpecifications"][0]["Tags"]


def test_service_principal_mapping_agrees_with_eksctls():
    theirs = reference("pkg/cfn/builder/testdata/nodegroup_access_entry/1.json")["Mappings"]
    mapping = theirs["ServicePrincipalPartitionMap"]
    for partition, services in SERVICE_PRINCIPALS.items():
        for service, principal in services.items():
            assert mapping[partition][service] == principal, (partition, service)


# --------------------------------------------------------------------------- cluster


@pytest.fixture(scope="module")
def cluster_example() -> tuple[dict[str, Any], dict[str, Any]]:
    """eksctl's cluster-example-1 (us-west-2, zones b, d, c) beside our flat template
    (flat: the logical IDs of one stack, as eksctl's cluster stack)."""
    theirs = reference_resources("pkg/cfn/template/testdata/cluster-example-1.json")
    cfg = config("metadata: {name: wonderful-party-1565212003, region: us-west-2}\n"
                 "availabilityZones: [us-west-2b, us-west-2d, us-west-2c]\n")
    return theirs, flat_resources(cfg)


SHARED_CLUSTER_IDS = ("ControlPlane", "ServiceRole", "ControlPlaneSecurityGroup", "ClusterSharedNodeSecurityGroup",
                      "IngressInterNodeGroupSG", "VPC", "InternetGateway", "VPCGatewayAttachment", "NATGateway",
                      "NATIP", "PublicRouteTable", "PublicSubnetRoute", "SubnetPublicUSWEST2B",
                      "SubnetPrivateUSWEST2B", "PrivateRouteTableUSWEST2B", "NATPrivateSubnetRouteUSWEST2B",
                      "RouteTableAssociationPublicUSWEST2B", "RouteTableAssociationPrivateUSWEST2B")


def test_cluster_logical_ids_and_types(cluster_example):
    theirs, ours = cluster_example
    for logical_id in SHARED_CLUSTER_IDS:
        assert ours[logical_id]["Type"] == theirs[logical_id]["Type"], logical_id
    # eksctl's 2019 policy resources have since been removed from eksctl too
    assert "PolicyNLB" not in ours and "PolicyCloudWatchMetrics" not in ours


def test_control_plane_vpc_config_is_eksctls(cluster_example):
    theirs, ours = (r["ControlPlane"]["Properties"] for r in cluster_example)
    t_vpc, o_vpc = theirs["ResourcesVpcConfig"], ours["ResourcesVpcConfig"]
    assert o_vpc["SecurityGroupIds"] == t_vpc["SecurityGroupIds"]
    assert o_vpc["SubnetIds"] == t_vpc["SubnetIds"]  # public then private, zone order
    assert get_att(ours["RoleArn"]) == get_att(theirs["RoleArn"])
    assert ours["Name"] == theirs["Name"]
    # differences: both endpoint flags are always written; secrets are encrypted; logging on
    assert "EndpointPrivateAccess" not in t_vpc and o_vpc["EndpointPrivateAccess"] is True
    assert "EncryptionConfig" in ours and "EncryptionConfig" not in theirs
    assert "Logging" in ours and "Logging" not in theirs


def test_security_groups_are_eksctls(cluster_example):
    theirs, ours = cluster_example
    for logical_id in ("ControlPlaneSecurityGroup", "ClusterSharedNodeSecurityGroup"):
        t, o = theirs[logical_id]["Properties"], ours[logical_id]["Properties"]
        assert o["GroupDescription"] == t["GroupDescription"]
        assert o["VpcId"] == t["VpcId"]
        assert o["Tags"] == t["Tags"]
    t, o = theirs["IngressInterNodeGroupSG"]["Properties"], ours["IngressInterNodeGroupSG"]["Properties"]
    for key in ("Description", "GroupId", "SourceSecurityGroupId", "IpProtocol"):
        assert o[key] == t[key], key
    # difference: ports are not written for protocol -1 (EC2 ignores them)
    assert (t["FromPort"], t["ToPort"]) == (0, 65535) and "FromPort" not in o


def test_service_role_keeps_eksctls_policy_partition_aware(cluster_example):
    theirs, ours = (r["ServiceRole"]["Properties"] for r in cluster_example)
    [their_policy] = theirs["ManagedPolicyArns"]
    assert their_policy == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    assert {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonEKSClusterPolicy"} in ours["ManagedPolicyArns"]
    t_statement = theirs["AssumeRolePolicyDocument"]["Statement"][0]
    o_statement = ours["AssumeRolePolicyDocument"]["Statement"][0]
    assert o_statement["Action"] == t_statement["Action"]
    assert o_statement["Principal"]["Service"] == [
        {"Fn::FindInMap": ["ServicePrincipalPartitionMap", {"Ref": "AWS::Partition"}, "EKS"]}]


def test_cluster_outputs_keep_eksctls_meaning(cluster_example):
    outputs = reference("pkg/cfn/template/testdata/cluster-example-1.json")["Outputs"]
    assert get_att(outputs["CertificateAuthorityData"]["Value"]) == {
        "Fn::GetAtt": ["ControlPlane", "CertificateAuthorityData"]}
    assert get_att(outputs["Endpoint"]["Value"]) == {"Fn::GetAtt": ["ControlPlane", "Endpoint"]}
    cfg = config("metadata: {name: wonderful-party-1565212003, region: us-west-2}\n"
                 "availabilityZones: [us-west-2b, us-west-2d, us-west-2c]\n")
    ours = json.loads(rendered(cfg, flat=True).files["flat.json"])["Outputs"]
    assert ours["CertificateAuthorityData"]["Value"] == {"Fn::GetAtt": ["ControlPlane", "CertificateAuthorityData"]}
    assert ours["ClusterEndpoint"]["Value"] == {"Fn::GetAtt": ["ControlPlane", "Endpoint"]}
