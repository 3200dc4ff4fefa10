"""CloudFormation drift detection in the sandbox (eks_templates/sandbox/drift.py), driven
with boto3 as the `drift` command drives CloudFormation: DetectStackDrift, wait on
DescribeStackDriftDetectionStatus, read DescribeStackResourceDrifts; the drift is made by
the notes' manual calls (EC2 AuthorizeSecurityGroupIngress, EKS UpdateClusterConfig and
UpdateNodegroupConfig) against the sandbox's real state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from eks_templates.sandbox import drift as sandbox_drift

from . import templates as t
from .cfn import StackFailed, create, deploy, outputs, physical_ids
from .conftest import Clients

REPO = Path(__file__).resolve().parents[2]
#: the notes' rule (3.1), as CloudFormation shows it in an ADD
HAND_ADDED_RULE = '{"CidrIp":"192.168.1.100/32","FromPort":22,"IpProtocol":"tcp","ToPort":22}'


def detect(cf: Any, stack: str, **kwargs: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Detect, wait (the first answer is DETECTION_IN_PROGRESS), read every page of the
    resource drifts; (status, drifts by logical id)."""
    detection = cf.detect_stack_drift(StackName=stack, **kwargs)["StackDriftDetectionId"]
    first = cf.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    assert first["DetectionStatus"] == "DETECTION_IN_PROGRESS"
    assert "StackDriftStatus" not in first
    status = cf.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    assert status["DetectionStatus"] != "DETECTION_IN_PROGRESS"
    drifts: dict[str, dict[str, Any]] = {}
    token = None
    while True:  # botocore has no paginator for it
        page = cf.describe_stack_resource_drifts(StackName=stack, **({"NextToken": token} if token else {}))
        drifts.update({d["LogicalResourceId"]: d for d in page["StackResourceDrifts"]})
        token = page.get("NextToken")
        if not token:
            return status, drifts


def differences(drift: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(d["DifferenceType"], d["PropertyPath"], d["ExpectedValue"], d["ActualValue"])
            for d in drift.get("PropertyDifferences") or []]


def _cluster(aws: Clients) -> dict[str, str]:
    """The small root of tests/sandbox/templates.py (network, control plane, nodegroup);
    the nested stacks' names by logical id."""
    urls = {
        "network": t.upload(aws.s3, "network.json", t.network(nat=False)),
        "control_plane": t.upload(aws.s3, "control-plane.json", t.control_plane()),
        "nodegroup": t.upload(aws.s3, "nodegroup.json", t.nodegroup()),
    }
    deploy(aws.cloudformation, "myeks", t.root(urls))
    return physical_ids(aws.cloudformation, "myeks")


# -- in sync after a deploy -----------------------------------------------------------------


def test_a_fresh_deploy_is_in_sync_and_only_supported_types_are_checked(aws: Clients) -> None:
    children = _cluster(aws)
    cf = aws.cloudformation
    before = cf.describe_stacks(StackName="myeks")["Stacks"][0]
    assert before["DriftInformation"] == {"StackDriftStatus": "NOT_CHECKED"}

    status, drifts = detect(cf, "myeks")
    assert status["DetectionStatus"] == "DETECTION_COMPLETE"
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("IN_SYNC", 0)
    assert {k: d["StackResourceDriftStatus"] for k, d in drifts.items()} == {
        "NetworkStack": "IN_SYNC", "ControlPlaneStack": "IN_SYNC", "NodegroupNg1Stack": "IN_SYNC"}

    status, drifts = detect(cf, children["ControlPlaneStack"])
    assert status["StackDriftStatus"] == "IN_SYNC" and "DetectionStatusReason" not in status
    # IAM role, OIDC provider, add-on, access entry: not modelled, so not checked and not listed
    assert set(drifts) == {"ControlPlane", "ControlPlaneSecurityGroup", "IngressDefaultClusterToNodeSG"}
    assert {d["StackResourceDriftStatus"] for d in drifts.values()} == {"IN_SYNC"}
    cluster = drifts["ControlPlane"]
    expected = json.loads(cluster["ExpectedProperties"])
    assert json.loads(cluster["ActualProperties"]) == expected
    assert expected["ResourcesVpcConfig"]["EndpointPublicAccess"] is True  # the parameter's "true", typed
    assert "BootstrapClusterCreatorAdminPermissions" not in expected["AccessConfig"]  # write-only: not compared
    assert cluster["PhysicalResourceId"] == "myeks"

    resources = {r["LogicalResourceId"]: r["DriftInformation"]
                 for r in cf.describe_stack_resources(StackName=children["ControlPlaneStack"])["StackResources"]}
    assert resources["ServiceRole"] == {"StackResourceDriftStatus": "NOT_CHECKED"}
    assert resources["ControlPlane"]["StackResourceDriftStatus"] == "IN_SYNC"
    assert "LastCheckTimestamp" in resources["ControlPlane"]
    summaries = {r["LogicalResourceId"]: r["DriftInformation"]["StackResourceDriftStatus"]
                 for r in cf.list_stack_resources(StackName=children["ControlPlaneStack"])["StackResourceSummaries"]}
    assert summaries["OIDCProvider"] == "NOT_CHECKED" and summaries["ControlPlane"] == "IN_SYNC"
    detail = cf.describe_stack_resource(StackName=children["ControlPlaneStack"], LogicalResourceId="ControlPlane")
    assert detail["StackResourceDetail"]["DriftInformation"]["StackResourceDriftStatus"] == "IN_SYNC"
    after = cf.describe_stacks(StackName=children["ControlPlaneStack"])["Stacks"][0]["DriftInformation"]
    assert after["StackDriftStatus"] == "IN_SYNC" and after["LastCheckTimestamp"] >= status["Timestamp"]


# -- each modelled type, drifted by the matching manual call ---------------------------------------


def test_endpoint_and_logging_changed_by_update_cluster_config_are_modified(aws: Clients) -> None:
    children = _cluster(aws)
    aws.eks.update_cluster_config(name="myeks", resourcesVpcConfig={
        "endpointPublicAccess": False, "endpointPrivateAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})
    aws.eks.update_cluster_config(name="myeks", logging={"clusterLogging": [{"types": ["audit"], "enabled": False}]})

    status, drifts = detect(aws.cloudformation, children["ControlPlaneStack"])
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("DRIFTED", 1)
    cluster = drifts["ControlPlane"]
    assert cluster["StackResourceDriftStatus"] == "MODIFIED"
    # PublicAccessCidrs is not in the template: not compared
    assert differences(cluster) == [
        ("NOT_EQUAL", "/ResourcesVpcConfig/EndpointPublicAccess", "true", "false"),
        ("NOT_EQUAL", "/ResourcesVpcConfig/EndpointPrivateAccess", "false", "true"),
        ("REMOVE", "/Logging/ClusterLogging/EnabledTypes/1", '{"Type":"audit"}', "null"),
    ]
    assert json.loads(cluster["ActualProperties"])["Logging"] == {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}]}}
    assert drifts["ControlPlaneSecurityGroup"]["StackResourceDriftStatus"] == "IN_SYNC"


def test_cluster_version_changed_by_update_cluster_version_is_modified(aws: Clients) -> None:
    children = _cluster(aws)
    aws.eks.update_cluster_version(name="myeks", version="1.34")
    _status, drifts = detect(aws.cloudformation, children["ControlPlaneStack"])
    assert differences(drifts["ControlPlane"]) == [("NOT_EQUAL", "/Version", "1.33", "1.34")]


def test_nodegroup_scaling_labels_and_taints_changed_by_update_nodegroup_config_are_modified(aws: Clients) -> None:
    children = _cluster(aws)
    aws.eks.update_nodegroup_config(
        clusterName="myeks", nodegroupName="ng-1", scalingConfig={"minSize": 1, "desiredSize": 1},
        labels={"addOrUpdateLabels": {"team": "data"}, "removeLabels": ["role"]},
        taints={"removeTaints": [{"key": "dedicated", "value": "infra", "effect": "NO_SCHEDULE"}]})

    status, drifts = detect(aws.cloudformation, children["NodegroupNg1Stack"])
    assert status["StackDriftStatus"] == "DRIFTED"
    nodegroup = drifts["ManagedNodeGroup"]
    assert nodegroup["StackResourceDriftStatus"] == "MODIFIED"
    assert nodegroup["PhysicalResourceId"] == "myeks/ng-1"
    assert differences(nodegroup) == [
        ("NOT_EQUAL", "/ScalingConfig/DesiredSize", "2", "1"),
        ("REMOVE", "/Labels/role", "worker", "null"),
        ("ADD", "/Labels/team", "null", "data"),
        ("REMOVE", "/Taints/0", '{"Effect":"NO_SCHEDULE","Key":"dedicated","Value":"infra"}', "null"),
    ]
    assert json.loads(nodegroup["ActualProperties"])["ScalingConfig"] == {"DesiredSize": 1, "MaxSize": 4, "MinSize": 1}


def _groups_template() -> dict[str, Any]:
    """Two groups in one VPC: ``Inline`` with its rules inline, ``Separate`` whose rule is an
    ``AWS::EC2::SecurityGroupIngress`` resource."""
    return {
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Inline": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "nodes", "VpcId": t.ref("VPC"),
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                              "CidrIp": "10.0.0.0/16", "Description": "API"}],
                    "Tags": [{"Key": "Name", "Value": "inline"}],
                },
            },
            "Separate": {"Type": "AWS::EC2::SecurityGroup",
                         "Properties": {"GroupDescription": "control plane", "VpcId": t.ref("VPC")}},
            "SeparateIngress": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {"GroupId": t.ref("Separate"), "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                               "SourceSecurityGroupId": t.ref("Inline"), "Description": "nodes to API"},
            },
        },
        "Outputs": {"Inline": {"Value": t.ref("Inline")}, "Separate": {"Value": t.ref("Separate")}},
    }


def test_a_rule_added_by_hand_to_a_group_with_inline_rules_is_an_add(aws: Clients) -> None:
    create(aws.cloudformation, "groups", _groups_template())
    group = outputs(aws.cloudformation, "groups")["Inline"]
    aws.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "192.168.1.100/32"}]}])
    aws.ec2.create_tags(Resources=[group], Tags=[{"Key": "Name", "Value": "renamed"}, {"Key": "owner", "Value": "ops"}])

    _status, drifts = detect(aws.cloudformation, "groups")
    assert drifts["Inline"]["StackResourceDriftStatus"] == "MODIFIED"
    assert differences(drifts["Inline"]) == [
        ("ADD", "/SecurityGroupIngress/1", "null", HAND_ADDED_RULE),
        ("NOT_EQUAL", "/Tags/0/Value", "inline", "renamed"),
        ("ADD", "/Tags/1", "null", '{"Key":"owner","Value":"ops"}'),
    ]
    # the group's egress is not in the template: EC2's default allow-all rule is not compared
    assert "SecurityGroupEgress" not in json.loads(drifts["Inline"]["ActualProperties"])


def test_a_rule_edited_by_hand_is_one_not_equal_at_its_template_index(aws: Clients) -> None:
    """As CloudFormation reports an inline rule whose CIDR was edited (an AWS CLI session:
    ``/SecurityGroupIngress/0/CidrIp`` NOT_EQUAL), not as a REMOVE and an ADD."""
    template = _groups_template()
    template["Resources"]["Inline"]["Properties"]["SecurityGroupIngress"].insert(
        0, {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"})
    create(aws.cloudformation, "groups", template)
    group = outputs(aws.cloudformation, "groups")["Inline"]
    rule = next(r for r in aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"] if r.get("FromPort") == 22)
    aws.ec2.modify_security_group_rules(GroupId=group, SecurityGroupRules=[{
        "SecurityGroupRuleId": rule["SecurityGroupRuleId"],
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv4": "152.110.48.104/32"}}])
    _status, drifts = detect(aws.cloudformation, "groups")
    assert differences(drifts["Inline"]) == [
        ("NOT_EQUAL", "/SecurityGroupIngress/0/CidrIp", "0.0.0.0/0", "152.110.48.104/32")]


def test_a_rule_added_by_hand_to_a_group_with_separate_rules_is_invisible(aws: Clients) -> None:
    """CloudFormation's blind spot, reproduced: the group sets no rules property, so the
    hand-added rule is no drift; only DescribeSecurityGroupRules shows it."""
    create(aws.cloudformation, "groups", _groups_template())
    group = outputs(aws.cloudformation, "groups")["Separate"]
    aws.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "192.168.1.100/32"}]}])

    status, drifts = detect(aws.cloudformation, "groups")
    assert status["StackDriftStatus"] == "IN_SYNC"
    assert drifts["Separate"]["StackResourceDriftStatus"] == "IN_SYNC"
    assert drifts["SeparateIngress"]["StackResourceDriftStatus"] == "IN_SYNC"
    rules = aws.ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    assert "192.168.1.100/32" in {r.get("CidrIpv4") for r in rules["SecurityGroupRules"]}


def test_a_revoked_ingress_resource_is_deleted_and_a_changed_description_modified(aws: Clients) -> None:
    create(aws.cloudformation, "groups", _groups_template())
    out = outputs(aws.cloudformation, "groups")
    aws.ec2.revoke_security_group_ingress(GroupId=out["Separate"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": out["Inline"]}]}])
    aws.ec2.update_security_group_rule_descriptions_ingress(GroupId=out["Inline"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "changed"}]}])

    status, drifts = detect(aws.cloudformation, "groups")
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("DRIFTED", 2)
    revoked = drifts["SeparateIngress"]
    assert revoked["StackResourceDriftStatus"] == "DELETED"
    assert "ActualProperties" not in revoked and not revoked.get("PropertyDifferences")
    assert json.loads(revoked["ExpectedProperties"])["Description"] == "nodes to API"
    assert differences(drifts["Inline"]) == [("NOT_EQUAL", "/SecurityGroupIngress/0/Description", "API", "changed")]


def test_a_group_deleted_out_of_band_is_deleted(aws: Clients) -> None:
    create(aws.cloudformation, "groups", _groups_template())
    out = outputs(aws.cloudformation, "groups")
    aws.ec2.revoke_security_group_ingress(GroupId=out["Separate"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": out["Inline"]}]}])
    aws.ec2.delete_security_group(GroupId=out["Separate"])
    _status, drifts = detect(aws.cloudformation, "groups")
    assert drifts["Separate"]["StackResourceDriftStatus"] == "DELETED"
    assert drifts["SeparateIngress"]["StackResourceDriftStatus"] == "DELETED"
    assert drifts["Inline"]["StackResourceDriftStatus"] == "IN_SYNC"


def test_an_unmodelled_type_is_not_checked_never_in_sync(aws: Clients) -> None:
    create(aws.cloudformation, "groups", _groups_template())
    _status, drifts = detect(aws.cloudformation, "groups")
    assert "VPC" not in drifts  # "Resources that don't currently support drift detection ... not included"
    info = aws.cloudformation.describe_stack_resource(StackName="groups", LogicalResourceId="VPC")
    assert info["StackResourceDetail"]["DriftInformation"] == {"StackResourceDriftStatus": "NOT_CHECKED"}
    with pytest.raises(ClientError, match=r"not supported for resource \[VPC\] of type \[AWS::EC2::VPC\]"):
        aws.cloudformation.detect_stack_resource_drift(StackName="groups", LogicalResourceId="VPC")


# -- nested stacks ------------------------------------------------------------------------------


def test_detection_does_not_descend_into_nested_stacks(aws: Clients) -> None:
    children = _cluster(aws)
    aws.eks.update_nodegroup_config(clusterName="myeks", nodegroupName="ng-1", scalingConfig={"desiredSize": 3})

    status, drifts = detect(aws.cloudformation, "myeks")
    assert status["StackDriftStatus"] == "IN_SYNC"  # the child's drift is not the root's
    nested = drifts["NodegroupNg1Stack"]
    assert (nested["ResourceType"], nested["StackResourceDriftStatus"]) == ("AWS::CloudFormation::Stack", "IN_SYNC")
    assert nested["PhysicalResourceId"].startswith("arn:aws:cloudformation:")  # the child's ARN
    compared = json.loads(nested["ExpectedProperties"])
    assert set(compared) == {"Parameters"}  # TemplateURL is write-only: not compared
    assert compared["Parameters"]["DesiredSize"] == "2"

    child_status, _ = detect(aws.cloudformation, children["NodegroupNg1Stack"])
    assert child_status["StackDriftStatus"] == "DRIFTED"
    root = aws.cloudformation.describe_stacks(StackName="myeks")["Stacks"][0]["DriftInformation"]
    assert root["StackDriftStatus"] == "IN_SYNC"


def test_a_nested_stack_updated_out_of_band_is_modified_in_its_parent(aws: Clients) -> None:
    children = _cluster(aws)
    child = children["NodegroupNg1Stack"]
    aws.cloudformation.update_stack(StackName=child, UsePreviousTemplate=True, Capabilities=["CAPABILITY_IAM"],
                                    Parameters=[{"ParameterKey": "ClusterName", "UsePreviousValue": True},
                                                {"ParameterKey": "SubnetIds", "UsePreviousValue": True},
                                                {"ParameterKey": "DesiredSize", "ParameterValue": "3"}])
    _status, drifts = detect(aws.cloudformation, "myeks")
    assert differences(drifts["NodegroupNg1Stack"]) == [("NOT_EQUAL", "/Parameters/DesiredSize", "2", "3")]


# -- refusals, pages, failures ----------------------------------------------------------------------


def test_a_stack_that_is_not_settled_is_refused(aws: Clients) -> None:
    cf = aws.cloudformation
    cf.create_change_set(StackName="pending", ChangeSetName="cs", ChangeSetType="CREATE",
                         TemplateBody=json.dumps(_groups_template()))
    arn = cf.describe_stacks(StackName="pending")["Stacks"][0]["StackId"]
    with pytest.raises(ClientError) as refused:
        cf.detect_stack_drift(StackName="pending")
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert refused.value.response["Error"]["Message"] == (
        f"Drift detection cannot be performed on stack [{arn}] while it is in [REVIEW_IN_PROGRESS] state")

    broken = _groups_template()
    broken["Resources"]["SeparateIngress"]["Properties"]["GroupId"] = "sg-00000000000000000"
    with pytest.raises(StackFailed):
        create(cf, "rolled-back", broken)
    with pytest.raises(ClientError, match=r"while it is in \[ROLLBACK_COMPLETE\] state"):
        cf.detect_stack_drift(StackName="rolled-back")
    with pytest.raises(ClientError, match="Stack with id nothing does not exist"):
        cf.detect_stack_drift(StackName="nothing")


def test_resource_drifts_are_filtered_and_paginated(aws: Clients) -> None:
    template = _groups_template()
    for i in range(5):
        template["Resources"][f"Extra{i}"] = {"Type": "AWS::EC2::SecurityGroup",
                                              "Properties": {"GroupDescription": f"extra {i}", "VpcId": t.ref("VPC"),
                                                             "Tags": [{"Key": "n", "Value": str(i)}]}}
    create(aws.cloudformation, "groups", template)
    for i in (1, 3):
        group = aws.cloudformation.describe_stack_resource(StackName="groups", LogicalResourceId=f"Extra{i}")
        aws.ec2.delete_tags(Resources=[group["StackResourceDetail"]["PhysicalResourceId"]], Tags=[{"Key": "n"}])
    _status, drifts = detect(aws.cloudformation, "groups")
    assert len(drifts) == 8

    cf = aws.cloudformation
    first = cf.describe_stack_resource_drifts(StackName="groups", MaxResults=3)
    assert len(first["StackResourceDrifts"]) == 3 and first["NextToken"]
    seen = [d["LogicalResourceId"] for d in first["StackResourceDrifts"]]
    token = first["NextToken"]
    while token:
        page = cf.describe_stack_resource_drifts(StackName="groups", MaxResults=3, NextToken=token)
        seen += [d["LogicalResourceId"] for d in page["StackResourceDrifts"]]
        token = page.get("NextToken")
    assert sorted(seen) == sorted(drifts) and len(seen) == len(set(seen))

    modified = cf.describe_stack_resource_drifts(StackName="groups", StackResourceDriftStatusFilters=["MODIFIED"])
    assert [d["LogicalResourceId"] for d in modified["StackResourceDrifts"]] == ["Extra1", "Extra3"]
    assert differences(modified["StackResourceDrifts"][0]) == [("REMOVE", "/Tags/0", '{"Key":"n","Value":"1"}', "null")]
    with pytest.raises(ClientError, match="less than or equal to 100"):
        cf.describe_stack_resource_drifts(StackName="groups", MaxResults=101)
    with pytest.raises(ClientError, match="Invalid NextToken"):
        cf.describe_stack_resource_drifts(StackName="groups", NextToken="bogus")


def test_a_resource_whose_state_cannot_be_read_fails_the_detection(aws: Clients) -> None:
    children = _cluster(aws)
    sandbox_drift.fail_reads("AWS::EKS::Cluster",
                             "AccessDeniedException: not authorized to perform eks:DescribeCluster")
    try:
        status, drifts = detect(aws.cloudformation, children["ControlPlaneStack"])
    finally:
        sandbox_drift.fail_reads("AWS::EKS::Cluster", None)
    assert status["DetectionStatus"] == "DETECTION_FAILED"
    assert status["DetectionStatusReason"] == "Failed to detect drift on resources [ControlPlane]"
    assert status["StackDriftStatus"] == "UNKNOWN"
    failed = drifts["ControlPlane"]
    assert failed["StackResourceDriftStatus"] == "UNKNOWN"
    assert "eks:DescribeCluster" in failed["DriftStatusReason"]
    # the others were checked
    assert drifts["ControlPlaneSecurityGroup"]["StackResourceDriftStatus"] == "IN_SYNC"


def test_detect_stack_resource_drift_checks_one_resource(aws: Clients) -> None:
    children = _cluster(aws)
    aws.eks.update_nodegroup_config(clusterName="myeks", nodegroupName="ng-1", scalingConfig={"maxSize": 5})
    drift = aws.cloudformation.detect_stack_resource_drift(
        StackName=children["NodegroupNg1Stack"], LogicalResourceId="ManagedNodeGroup")["StackResourceDrift"]
    assert differences(drift) == [("NOT_EQUAL", "/ScalingConfig/MaxSize", "4", "5")]
    listed = aws.cloudformation.describe_stack_resource_drifts(StackName=children["NodegroupNg1Stack"])
    assert [d["StackResourceDriftStatus"] for d in listed["StackResourceDrifts"]] == ["MODIFIED"]


def test_drift_detection_through_the_server(remote: Clients) -> None:
    """The same answers over HTTP (the server `drift` and the AWS CLI talk to)."""
    create(remote.cloudformation, "groups", _groups_template())
    group = outputs(remote.cloudformation, "groups")["Inline"]
    remote.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "192.168.1.100/32"}]}])
    status, drifts = detect(remote.cloudformation, "groups")
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("DRIFTED", 1)
    assert differences(drifts["Inline"]) == [
        ("ADD", "/SecurityGroupIngress/1", "null", HAND_ADDED_RULE)]
    info = remote.cloudformation.describe_stacks(StackName="groups")["Stacks"][0]["DriftInformation"]
    assert info["StackDriftStatus"] == "DRIFTED"


# -- the real templates ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["myeks", "automode"])
def test_the_rendered_set_is_in_sync_in_every_nested_stack(aws: Clients, tmp_path: Path, stack: str) -> None:
    """A fresh deploy of what `render` writes reports no drift (``automode``: the cluster's
    Auto Mode settings, which the sandbox does not keep, are not compared). The management
    host's group (a bastion: ``myeks``) has every egress rule inline: with two of them as
    separate resources beside an inline one, CloudFormation compared the inline list with
    all the group's rules and reported the separate two as ADDs on every fresh deploy."""
    subprocess.run([sys.executable, "-m", "eks_templates", "render", stack, "--out-dir", str(tmp_path)],
                   cwd=REPO, check=True, capture_output=True, text=True)
    root = json.loads((tmp_path / "root.json").read_text())
    for resource in root["Resources"].values():
        if resource["Type"] == "AWS::CloudFormation::Stack":
            props = resource["Properties"]
            child = json.loads((tmp_path / props["TemplateURL"]).read_text())
            props["TemplateURL"] = t.upload(aws.s3, f"rendered/{props['TemplateURL']}", child)
    deploy(aws.cloudformation, stack, root)

    stacks = {"root": stack, **physical_ids(aws.cloudformation, stack)}
    found: dict[str, dict[str, str]] = {}
    checked: set[str] = set()
    for logical, name in stacks.items():
        status, drifts = detect(aws.cloudformation, name)
        assert status["DetectionStatus"] == "DETECTION_COMPLETE", logical
        checked |= set(drifts)
        found[logical] = {k: d["StackResourceDriftStatus"] for k, d in drifts.items()
                          if d["StackResourceDriftStatus"] != "IN_SYNC"}
        if not found[logical]:
            assert status["StackDriftStatus"] == "IN_SYNC", logical
    assert found == {logical: {} for logical in stacks}
    assert {"ControlPlane", "ManagedNodeGroup" if stack == "myeks" else "ControlPlaneSecurityGroup"} <= checked
    assert ("ManagementHostSecurityGroup" in checked) == (stack == "myeks")


def test_a_detection_of_some_resources_checks_only_those(aws: Clients) -> None:
    create(aws.cloudformation, "groups", _groups_template())
    group = outputs(aws.cloudformation, "groups")["Inline"]
    aws.ec2.delete_tags(Resources=[group], Tags=[{"Key": "Name"}])
    status, drifts = detect(aws.cloudformation, "groups", LogicalResourceIds=["Separate"])
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("IN_SYNC", 0)
    assert set(drifts) == {"Separate"}
    # the stack as a whole was not checked: its status stays as it was
    info = aws.cloudformation.describe_stacks(StackName="groups")["Stacks"][0]["DriftInformation"]
    assert info["StackDriftStatus"] == "NOT_CHECKED" and "LastCheckTimestamp" in info
    status, drifts = detect(aws.cloudformation, "groups")
    assert status["StackDriftStatus"] == "DRIFTED" and set(drifts) == {"Inline", "Separate", "SeparateIngress"}


def test_list_stacks_and_describe_stacks_answer_the_last_detection(aws: Clients) -> None:
    # ListStacks served the DriftInformation the last DescribeStacks had copied onto the
    # stack: after a drift was reverted and detected again, it still said DRIFTED (and the
    # older time) while DescribeStacks said IN_SYNC; deploy's drift note reads ListStacks.
    cf = aws.cloudformation
    create(cf, "groups", _groups_template())
    group = outputs(cf, "groups")["Inline"]
    rule = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "192.168.1.100/32"}]}]

    def both() -> list[dict[str, Any]]:
        listed = next(s for s in cf.list_stacks()["StackSummaries"] if s["StackName"] == "groups")
        described = cf.describe_stacks(StackName="groups")["Stacks"][0]
        return [listed["DriftInformation"], described["DriftInformation"]]

    assert both() == [{"StackDriftStatus": "NOT_CHECKED"}] * 2
    aws.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rule)
    detect(cf, "groups")
    first = both()
    assert [info["StackDriftStatus"] for info in first] == ["DRIFTED", "DRIFTED"]
    aws.ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=rule)
    detect(cf, "groups")
    listed = next(s for s in cf.list_stacks()["StackSummaries"] if s["StackName"] == "groups")
    assert listed["DriftInformation"]["StackDriftStatus"] == "IN_SYNC"  # before any DescribeStacks
    again = both()
    assert again[0] == again[1]
    assert again[0]["StackDriftStatus"] == "IN_SYNC"
    assert again[0]["LastCheckTimestamp"] > first[0]["LastCheckTimestamp"]
