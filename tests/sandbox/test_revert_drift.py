"""Drift-aware change sets (``DeploymentMode: REVERT_DRIFT``) in the sandbox
(eks_templates/sandbox/revert_drift.py), driven with boto3 as ``drift --revert`` drives
CloudFormation: a change set per drifted stack, with the previous template and parameters;
the drift made by the notes' manual calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from . import templates as t
from .cfn import create, outputs
from .conftest import Clients
from .test_drift import HAND_ADDED_RULE, _cluster, _groups_template, detect, differences


def _revert_change_set(cf: Any, stack: str, name: str = "revert") -> dict[str, Any]:
    """``drift --revert``'s call: the previous template and every parameter's previous value."""
    described = cf.describe_stacks(StackName=stack)["Stacks"][0]
    cf.create_change_set(StackName=stack, ChangeSetName=name, ChangeSetType="UPDATE", UsePreviousTemplate=True,
                         Parameters=[{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
                                     for p in described.get("Parameters") or []],
                         Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"], DeploymentMode="REVERT_DRIFT")
    return dict(cf.describe_change_set(StackName=stack, ChangeSetName=name))


def _changes(described: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}


def test_the_notes_endpoint_and_scaling_drift_is_listed_and_put_back(aws: Clients) -> None:
    children = _cluster(aws)
    cf = aws.cloudformation
    aws.eks.update_cluster_config(name="myeks", resourcesVpcConfig={
        "endpointPublicAccess": True, "endpointPrivateAccess": True})
    aws.eks.update_nodegroup_config(clusterName="myeks", nodegroupName="ng-1",
                                    scalingConfig={"maxSize": 3, "desiredSize": 1})

    plane = _revert_change_set(cf, children["ControlPlaneStack"])
    assert (plane["Status"], plane["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert (plane["DeploymentMode"], plane["StackDriftStatus"]) == ("REVERT_DRIFT", "DRIFTED")
    change = _changes(plane)["ControlPlane"]  # read when the change set was made: no detection ran first
    assert (change["Action"], change["ResourceDriftStatus"], change["Replacement"]) == ("Modify", "MODIFIED", "False")
    assert change["PhysicalResourceId"] == "myeks"
    target = change["Details"][0]["Target"]
    assert {k: target[k] for k in ("Name", "Path", "BeforeValue", "AfterValue", "BeforeValueFrom",
                                   "AfterValueFrom", "AttributeChangeType")} == {
        "Name": "ResourcesVpcConfig", "Path": "/ResourcesVpcConfig/EndpointPrivateAccess", "BeforeValue": "true",
        "AfterValue": "false", "BeforeValueFrom": "ACTUAL_STATE", "AfterValueFrom": "TEMPLATE",
        "AttributeChangeType": "Modify"}
    assert (target["Drift"]["PreviousValue"], target["Drift"]["ActualValue"]) == ("false", "true")
    assert set(_changes(plane)) == {"ControlPlane"}  # in-sync resources are not listed

    cf.execute_change_set(StackName=children["ControlPlaneStack"], ChangeSetName="revert")
    stack = cf.describe_stacks(StackName=children["ControlPlaneStack"])["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    events = [(e["LogicalResourceId"], e["ResourceStatus"])
              for e in cf.describe_stack_events(StackName=children["ControlPlaneStack"])["StackEvents"]]
    assert ("ControlPlane", "UPDATE_COMPLETE") in events
    vpc = aws.eks.describe_cluster(name="myeks")["cluster"]["resourcesVpcConfig"]
    assert (vpc["endpointPublicAccess"], vpc["endpointPrivateAccess"]) == (True, False)

    nodes = _revert_change_set(cf, children["NodegroupNg1Stack"])
    assert [d["Target"]["Path"] for d in _changes(nodes)["ManagedNodeGroup"]["Details"]] == [
        "/ScalingConfig/DesiredSize", "/ScalingConfig/MaxSize"]
    cf.execute_change_set(StackName=children["NodegroupNg1Stack"], ChangeSetName="revert")
    scaling = aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]["scalingConfig"]
    assert scaling == {"minSize": 1, "maxSize": 4, "desiredSize": 2}

    for child in (children["ControlPlaneStack"], children["NodegroupNg1Stack"]):
        status, _drifts = detect(cf, child)
        assert status["StackDriftStatus"] == "IN_SYNC", child
    # nothing left to put back: CloudFormation's answer to a change set without changes
    again = _revert_change_set(cf, children["NodegroupNg1Stack"], "again")
    assert (again["Status"], again["ExecutionStatus"], again["StackDriftStatus"]) == (
        "FAILED", "UNAVAILABLE", "IN_SYNC")
    assert "didn't contain changes" in again["StatusReason"]


def test_a_rule_added_by_hand_is_revoked_and_a_revoked_one_authorized(aws: Clients) -> None:
    template = _groups_template()
    template["Resources"]["Inline"]["Properties"]["SecurityGroupIngress"].append(
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "10.0.0.0/16"})
    create(aws.cloudformation, "groups", template)
    group = outputs(aws.cloudformation, "groups")["Inline"]
    aws.ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "192.168.1.100/32"}]}])
    aws.ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])

    described = _revert_change_set(aws.cloudformation, "groups")
    details = [(d["Target"]["Path"], d["Target"]["AttributeChangeType"], d["Target"]["BeforeValue"])
               for d in _changes(described)["Inline"]["Details"]]
    assert details == [("/SecurityGroupIngress/1", "Add", "null"),
                       ("/SecurityGroupIngress/1", "Remove", HAND_ADDED_RULE)]
    aws.cloudformation.execute_change_set(StackName="groups", ChangeSetName="revert")

    live = {(r["FromPort"], r.get("CidrIpv4")) for r in aws.ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"] if not r["IsEgress"]}
    assert live == {(443, "10.0.0.0/16"), (80, "10.0.0.0/16")}
    status, _drifts = detect(aws.cloudformation, "groups")
    assert status["StackDriftStatus"] == "IN_SYNC"


def test_what_the_sandbox_cannot_put_back_fails_the_change_set_by_name(aws: Clients) -> None:
    """A changed tag and a deleted rule resource: refused, naming each, not pretended."""
    create(aws.cloudformation, "groups", _groups_template())
    out = outputs(aws.cloudformation, "groups")
    aws.ec2.create_tags(Resources=[out["Inline"]], Tags=[{"Key": "Name", "Value": "renamed"}])
    aws.ec2.revoke_security_group_ingress(GroupId=out["Separate"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": out["Inline"]}]}])

    described = _revert_change_set(aws.cloudformation, "groups")
    assert (described["Status"], described["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    reason = described["StatusReason"]
    assert reason.startswith("eks-templates sandbox: this REVERT_DRIFT change set cannot be made here: ")
    assert ("AWS::EC2::SecurityGroup Inline /Tags/0/Value: the sandbox does not rewrite a security group's "
            "tags") in reason
    assert ("AWS::EC2::SecurityGroupIngress SeparateIngress was deleted outside CloudFormation; the sandbox does not "
            "create it again") in reason
    with pytest.raises(ClientError, match="InvalidChangeSetStatus"):
        aws.cloudformation.execute_change_set(StackName="groups", ChangeSetName="revert")


def test_a_cluster_upgraded_by_hand_fails_to_revert_and_rolls_back(aws: Clients) -> None:
    """EKS does not go back a Kubernetes version: the update fails on the cluster and rolls back."""
    children = _cluster(aws)
    plane = children["ControlPlaneStack"]
    aws.eks.update_cluster_version(name="myeks", version="1.34")
    described = _revert_change_set(aws.cloudformation, plane)
    assert [d["Target"]["Path"] for d in _changes(described)["ControlPlane"]["Details"]] == ["/Version"]
    aws.cloudformation.execute_change_set(StackName=plane, ChangeSetName="revert")
    stack = aws.cloudformation.describe_stacks(StackName=plane)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    failed = [e for e in aws.cloudformation.describe_stack_events(StackName=plane)["StackEvents"]
              if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "ControlPlane"
    assert "unsupported Kubernetes minor version update from 1.34 to 1.33" in failed[0]["ResourceStatusReason"]
    assert aws.eks.describe_cluster(name="myeks")["cluster"]["version"] == "1.34"
    _status, drifts = detect(aws.cloudformation, plane)
    assert differences(drifts["ControlPlane"]) == [("NOT_EQUAL", "/Version", "1.33", "1.34")]


def test_deployment_mode_is_refused_where_cloudformation_refuses_it(aws: Clients) -> None:
    cf = aws.cloudformation
    create(cf, "groups", _groups_template())
    with pytest.raises(ClientError) as bad_value:
        cf.create_change_set(StackName="groups", ChangeSetName="x", ChangeSetType="UPDATE", UsePreviousTemplate=True,
                             DeploymentMode="REVERT")
    assert bad_value.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'REVERT' at 'deploymentMode' failed to satisfy constraint: "
        "Member must satisfy enum value set: [REVERT_DRIFT]")
    with pytest.raises(ClientError, match="needs ChangeSetType UPDATE"):
        cf.create_change_set(StackName="new-one", ChangeSetName="x", ChangeSetType="CREATE",
                             TemplateBody=t.json_body(_groups_template()), DeploymentMode="REVERT_DRIFT")
    assert "new-one" not in {s["StackName"] for s in cf.describe_stacks()["Stacks"]}
    # in sync: nothing to do, the usual FAILED change set (a plain one of the same is refused by moto outright)
    described = _revert_change_set(cf, "groups")
    assert (described["Status"], described["StackDriftStatus"]) == ("FAILED", "IN_SYNC")
    assert json.loads(json.dumps(described["Changes"])) == []
