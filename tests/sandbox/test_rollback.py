"""Rollback in the sandbox, as CloudFormation does it: a failed create ends
ROLLBACK_COMPLETE with everything it made deleted, a failed update ends
UPDATE_ROLLBACK_COMPLETE with the previous resources and template, nested stacks
included, and every resource reports its own events (what ``deploy`` watches)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eks_templates.deploy.watch import failure_reasons

from . import templates as t
from .cfn import StackFailed, deploy, live_stacks, outputs
from .conftest import Clients

TAKEN = "/aws/eks/demo/cluster"


def _events(aws: Clients, stack: str) -> list[dict[str, Any]]:
    """Oldest first."""
    return list(reversed(aws.cloudformation.describe_stack_events(StackName=stack)["StackEvents"]))


def _status(aws: Clients, stack: str) -> str:
    return str(aws.cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])


def _vpcs(aws: Clients) -> list[str]:
    return [v["VpcId"] for v in aws.ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def _groups(aws: Clients) -> list[str]:
    return [g["GroupId"] for g in aws.ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"]


def _log_groups(aws: Clients) -> list[str]:
    return sorted(g["logGroupName"] for g in aws.logs.describe_log_groups()["logGroups"])


def _keys(aws: Clients) -> dict[str, str]:
    return {k["KeyName"]: k["KeyPairId"] for k in aws.ec2.describe_key_pairs()["KeyPairs"]}


def _child_with_log_group(name: str) -> dict[str, Any]:
    """Child B: a group in child A's VPC and a log group called ``name``."""
    template = t.security()
    template["Resources"]["ClusterLogs"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": name}}
    return template


def _root(aws: Clients, log_group: str) -> dict[str, Any]:
    a_url = t.upload(aws.s3, "a.json", t.network(nat=True))
    b_url = t.upload(aws.s3, "b.json", _child_with_log_group(log_group))
    return {
        "Resources": {
            "RootLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "root-logs"}},
            "ChildA": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": a_url}},
            "ChildB": {"Type": "AWS::CloudFormation::Stack", "Properties": {
                "TemplateURL": b_url, "Parameters": {"VpcId": t.getatt("ChildA", "Outputs.VpcId")}}},
        },
        "Outputs": {"VpcId": {"Value": t.getatt("ChildA", "Outputs.VpcId")}},
    }


def test_failed_nested_create_rolls_back_everything_and_leaks_nothing(aws: Clients) -> None:
    aws.logs.create_log_group(logGroupName=TAKEN)  # left by an earlier cluster (EKS keeps it)

    with pytest.raises(StackFailed) as failed:
        deploy(aws.cloudformation, "root", _root(aws, TAKEN))

    assert failed.value.status == "ROLLBACK_COMPLETE"
    root = _events(aws, "root")
    child_b = next(e for e in root if e["LogicalResourceId"] == "ChildB" and e["ResourceStatus"] == "CREATE_FAILED")
    child_arn = child_b["PhysicalResourceId"]
    assert child_arn.startswith("arn:aws:cloudformation:")
    assert child_b["ResourceStatusReason"] == (
        f"Embedded stack {child_arn} was not successfully created: "
        "The following resource(s) failed to create: [ClusterLogs]. ")
    statuses = [e["ResourceStatus"] for e in root if e["LogicalResourceId"] == "root"]
    assert statuses[-3:] == ["CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"]
    rollback = next(e for e in root if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [ChildB]. Rollback requested by user.")

    # the child's own events name the resource and the service's reason
    child = _events(aws, child_arn)
    log_failed = next(e for e in child if e["LogicalResourceId"] == "ClusterLogs"
                      and e["ResourceStatus"] == "CREATE_FAILED")
    assert log_failed["ResourceType"] == "AWS::Logs::LogGroup"
    assert log_failed["ResourceStatusReason"].startswith(
        'Resource handler returned message: "Resource of type \'AWS::Logs::LogGroup\' with identifier '
        f'\'{{"/properties/LogGroupName":"{TAKEN}"}}\' already exists." (RequestToken: ')
    assert log_failed["ResourceStatusReason"].endswith("HandlerErrorCode: AlreadyExists)")
    child_statuses = [e["ResourceStatus"] for e in child if e["ResourceType"] == "AWS::CloudFormation::Stack"]
    assert child_statuses[-4:] == ["ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS",
                                   "DELETE_COMPLETE"]
    # what the child had made before the failure was deleted in its rollback, with events
    group_events = [e["ResourceStatus"] for e in child if e["LogicalResourceId"] == "ClusterSharedNodeSecurityGroup"]
    assert group_events == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]

    # deploy's watcher finds the specific reason first, labelled with the nested path
    reasons = failure_reasons(aws.cloudformation, aws.cloudformation.describe_stacks(
        StackName="root")["Stacks"][0]["StackId"], "root", since=None)
    assert reasons[0].label == "root/ChildB" and reasons[0].logical_id == "ClusterLogs"
    assert "already exists" in reasons[0].reason

    # nothing leaked: only the root is left, ROLLBACK_COMPLETE, without outputs or resources
    assert live_stacks(aws.cloudformation) == ["root"]
    assert _status(aws, child_arn) == "DELETE_COMPLETE"
    assert _vpcs(aws) == [] and _groups(aws) == []
    assert [n for n in aws.ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"] == []
    assert aws.ec2.describe_addresses()["Addresses"] == []
    assert aws.cloudformation.describe_stack_resources(StackName="root")["StackResources"] == []
    assert "Outputs" not in aws.cloudformation.describe_stacks(StackName="root")["Stacks"][0]
    # the rollback deletes what the stack made, never the log group it found
    assert _log_groups(aws) == [TAKEN]

    # a ROLLBACK_COMPLETE stack can only be deleted; then the create works
    aws.cloudformation.delete_stack(StackName="root")
    aws.logs.delete_log_group(logGroupName=TAKEN)
    assert deploy(aws.cloudformation, "root", _root(aws, TAKEN)) == "CREATE"
    assert _status(aws, "root") == "CREATE_COMPLETE"
    assert len(_vpcs(aws)) == 1


def test_every_resource_reports_its_own_events(aws: Clients) -> None:
    deploy(aws.cloudformation, "root", _root(aws, "free"))

    root = _events(aws, "root")
    by_resource = {e["LogicalResourceId"]: [] for e in root}
    for event in root:
        by_resource[event["LogicalResourceId"]].append(event["ResourceStatus"])
    assert by_resource["RootLogs"] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert by_resource["ChildA"] == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    child = next(e for e in root if e["LogicalResourceId"] == "ChildB" and e["ResourceStatus"] == "CREATE_COMPLETE")
    assert child["PhysicalResourceId"].startswith("arn:aws:cloudformation:")  # a nested stack by its ARN
    # ChildB uses ChildA's output: ChildA completes first, as CloudFormation orders them
    order = [e["LogicalResourceId"] for e in root if e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert order.index("ChildA") < order.index("ChildB")
    vpc = next(e for e in _events(aws, outputs_stack(aws, "ChildA")) if e["LogicalResourceId"] == "VPC"
               and e["ResourceStatus"] == "CREATE_COMPLETE")
    assert vpc["PhysicalResourceId"] == outputs(aws.cloudformation, "root")["VpcId"]


def outputs_stack(aws: Clients, logical_id: str) -> str:
    return next(e["PhysicalResourceId"] for e in _events(aws, "root")
                if e["LogicalResourceId"] == logical_id and e["ResourceStatus"] == "CREATE_COMPLETE")


def _keys_template(a_name: str, b_type: str, extra_log_group: bool = False) -> dict[str, Any]:
    resources: dict[str, Any] = {
        # Modify is applied in template order: A is replaced before B fails
        "KeyA": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": a_name, "KeyType": "ed25519"}},
        "KeyB": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": "b", "KeyType": b_type}},
    }
    if extra_log_group:
        resources["Added"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "added"}}
    return {"Resources": resources,
            "Outputs": {"A": {"Value": t.ref("KeyA")}, "AId": {"Value": t.getatt("KeyA", "KeyPairId")}}}


def test_failed_update_rolls_back_to_the_previous_resources_and_template(aws: Clients) -> None:
    first = _keys_template("a-one", "rsa")
    deploy(aws.cloudformation, "keys", first)
    before = _keys(aws)
    template_before = aws.cloudformation.get_template(StackName="keys")["TemplateBody"]

    with pytest.raises(StackFailed) as failed:
        # KeyA renamed (replaced: a new key), a log group added, KeyB's type changed under its
        # fixed name: CloudFormation refuses that one, and the whole update rolls back
        deploy(aws.cloudformation, "keys", _keys_template("a-two", "ed25519", extra_log_group=True))

    assert failed.value.status == "UPDATE_ROLLBACK_COMPLETE"
    assert any("custom-named resource requires replacing. Rename b (AWS::EC2::KeyPair)" in r
               for r in failed.value.reasons)
    assert _keys(aws) == before  # a-one is back with its id; the replacement a-two is gone
    assert _log_groups(aws) == []  # the added log group was deleted
    assert outputs(aws.cloudformation, "keys") == {"A": "a-one", "AId": before["a-one"]}
    assert aws.cloudformation.get_template(StackName="keys")["TemplateBody"] == template_before
    events = _events(aws, "keys")
    failed_b = next(e for e in events if e["LogicalResourceId"] == "KeyB" and e["ResourceStatus"] == "UPDATE_FAILED")
    assert "custom-named resource requires replacing" in failed_b["ResourceStatusReason"]
    stack_statuses = [e["ResourceStatus"] for e in events if e["LogicalResourceId"] == "keys"]
    assert stack_statuses[-4:] == ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                                   "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"]
    rollback = next(e for e in events if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS")
    assert rollback["ResourceStatusReason"] == "The following resource(s) failed to update: [KeyB]. "

    # nothing is lost: the fixed update runs from UPDATE_ROLLBACK_COMPLETE
    deploy(aws.cloudformation, "keys", _keys_template("a-two", "rsa", extra_log_group=True))
    assert _status(aws, "keys") == "UPDATE_COMPLETE"
    assert sorted(_keys(aws)) == ["a-two", "b"] and _keys(aws)["b"] == before["b"]
    assert _log_groups(aws) == ["added"]


def _key_child(name: str, key_type: str = "ed25519") -> dict[str, Any]:
    return {"Resources": {"Key": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": name, "KeyType": key_type}}},
            "Outputs": {"Name": {"Value": t.ref("Key")}}}


def _nested_keys(aws: Clients, version: int, a_name: str, b_type: str) -> dict[str, Any]:
    a_url = t.upload(aws.s3, f"a{version}.json", _key_child(a_name))
    b_url = t.upload(aws.s3, f"b{version}.json", _key_child("b", b_type))
    return {"Resources": {
        "ChildA": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": a_url}},
        "ChildB": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": b_url}},
    }, "Outputs": {"A": {"Value": t.getatt("ChildA", "Outputs.Name")}}}


def test_failed_nested_update_rolls_back_the_children_that_were_updated(aws: Clients) -> None:
    deploy(aws.cloudformation, "root", _nested_keys(aws, 1, "a-one", "rsa"))
    before = _keys(aws)
    child_a, child_b = outputs_stack(aws, "ChildA"), outputs_stack(aws, "ChildB")

    with pytest.raises(StackFailed) as failed:
        deploy(aws.cloudformation, "root", _nested_keys(aws, 2, "a-two", "ed25519"))

    assert failed.value.status == "UPDATE_ROLLBACK_COMPLETE"
    assert _keys(aws) == before
    assert outputs(aws.cloudformation, "root") == {"A": "a-one"}
    assert _status(aws, child_a) == "UPDATE_ROLLBACK_COMPLETE"  # updated, then rolled back
    assert _status(aws, child_b) == "UPDATE_ROLLBACK_COMPLETE"
    b_statuses = [e["ResourceStatus"] for e in _events(aws, child_b)
                  if e["ResourceType"] == "AWS::CloudFormation::Stack"]
    assert "UPDATE_FAILED" in b_statuses and b_statuses[-1] == "UPDATE_ROLLBACK_COMPLETE"
    root_b = next(e for e in _events(aws, "root") if e["LogicalResourceId"] == "ChildB"
                  and e["ResourceStatus"] == "UPDATE_FAILED")
    assert root_b["ResourceStatusReason"].startswith(f"Embedded stack {child_b} was not successfully updated.")
    reasons = failure_reasons(aws.cloudformation, "root", "root", since=None)
    assert reasons[0].label == "root/ChildB" and "custom-named resource" in reasons[0].reason
    assert live_stacks(aws.cloudformation) == sorted(["root", *(aws.cloudformation.describe_stacks(
        StackName=s)["Stacks"][0]["StackName"] for s in (child_a, child_b))])


def test_failed_delete_reports_the_resource_that_could_not_go(aws: Clients) -> None:
    template = {"Resources": {"VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}}},
                "Outputs": {"VpcId": {"Value": t.ref("VPC")}}}
    deploy(aws.cloudformation, "net", template)
    vpc = outputs(aws.cloudformation, "net")["VpcId"]
    made_outside = aws.ec2.create_security_group(GroupName="by-hand", Description="x", VpcId=vpc)["GroupId"]

    aws.cloudformation.delete_stack(StackName="net")  # the call succeeds; the stack fails

    assert _status(aws, "net") == "DELETE_FAILED"
    stack_event = _events(aws, "net")[-1]
    assert stack_event["ResourceStatusReason"] == "The following resource(s) failed to delete: [VPC]. "
    vpc_events = [e for e in _events(aws, "net") if e["LogicalResourceId"] == "VPC"]
    assert [e["ResourceStatus"] for e in vpc_events][-2:] == ["DELETE_IN_PROGRESS", "DELETE_FAILED"]
    assert "DependencyViolation" in vpc_events[-1]["ResourceStatusReason"]

    aws.ec2.delete_security_group(GroupId=made_outside)
    aws.cloudformation.delete_stack(StackName="net")
    assert live_stacks(aws.cloudformation) == [] and _vpcs(aws) == []


def test_a_resource_the_failed_update_removes_is_kept_untouched(aws: Clients) -> None:
    network = {"Resources": {
        "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.5.0.0/16"}},
        "Key": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": "k", "KeyType": "rsa"}},
    }}
    deploy(aws.cloudformation, "net", network)
    vpc = _vpcs(aws)

    without_vpc = {"Resources": {"Key": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": "k",
                                                                                    "KeyType": "ed25519"}}}}
    with pytest.raises(StackFailed):  # the Key change is refused, after the VPC was (to be) removed
        deploy(aws.cloudformation, "net", without_vpc)
    assert _vpcs(aws) == vpc  # the same VPC: CloudFormation deletes removed resources only in cleanup

    deploy(aws.cloudformation, "net", {"Resources": {"Key": network["Resources"]["Key"]}})
    assert _vpcs(aws) == []  # removed once the update succeeds
    events = [e["ResourceStatus"] for e in _events(aws, "net") if e["LogicalResourceId"] == "VPC"]
    assert events[-2:] == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE"]


def _parameters(aws: Clients, stack: str) -> dict[str, str]:
    described = aws.cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters") or []}


def _log_group_template(*names: str) -> dict[str, Any]:
    """One parameter and one log group per name (the group named by its parameter's value)."""
    return {"Parameters": {n: {"Type": "String"} for n in names},
            "Resources": {f"{n}Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": t.ref(n)}}
                          for n in names}}


def test_a_rolled_back_update_lists_the_previous_parameters_and_the_next_change_set_works(aws: Clients) -> None:
    # Found by `delete` after a failed update that added a nodegroup: the added parameter stayed
    # in DescribeStacks (moto never drops a resolved parameter), and the deletion-protection
    # change set's UsePreviousValue for it failed with KeyError 'NodegroupTakenScaling'.
    deploy(aws.cloudformation, "params", _log_group_template("Kept"), {"Kept": "kept"})
    aws.logs.create_log_group(logGroupName="taken")  # the added resource fails on it
    with pytest.raises(StackFailed) as failed:
        deploy(aws.cloudformation, "params", _log_group_template("Kept", "Added"), {"Kept": "kept", "Added": "taken"})
    assert failed.value.status == "UPDATE_ROLLBACK_COMPLETE"
    assert _parameters(aws, "params") == {"Kept": "kept"}

    # what delete's protection change set does: a changed template, every listed parameter kept
    changed = _log_group_template("Kept")
    changed["Resources"]["KeptLogs"]["Properties"]["RetentionInDays"] = 7
    aws.cloudformation.create_change_set(
        StackName="params", ChangeSetName="next", ChangeSetType="UPDATE", TemplateBody=json.dumps(changed),
        Parameters=[{"ParameterKey": k, "UsePreviousValue": True} for k in _parameters(aws, "params")])
    aws.cloudformation.execute_change_set(StackName="params", ChangeSetName="next")
    assert _status(aws, "params") == "UPDATE_COMPLETE"
    # an update that removes a parameter: CloudFormation lists only the template's parameters
    aws.cloudformation.delete_change_set(StackName="params", ChangeSetName="next")
    deploy(aws.cloudformation, "params", _log_group_template("Other"), {"Other": "other"})
    assert _parameters(aws, "params") == {"Other": "other"}
