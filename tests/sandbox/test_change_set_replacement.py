"""Change sets report what CloudFormation's report for a Modify: Replacement, Scope,
Details (from the provider schemas' create-only properties) and, with
IncludeNestedStacks, a nested change set per changed child."""

from __future__ import annotations

import json
from typing import Any

from . import templates as t
from .cfn import deploy
from .conftest import Clients


def _flat(key_name: Any, retention: int = 7) -> dict[str, Any]:
    return {
        "Parameters": {"Name": {"Type": "String", "Default": "p-one"}},
        "Resources": {
            "Key": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": key_name, "KeyType": "ed25519"}},
            "ByParameter": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": t.ref("Name")}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "l", "RetentionInDays": retention}},
        },
    }


def _changes(aws: Clients, stack: str, template: dict[str, Any], *, nested: bool = False,
             parameters: dict[str, str] | None = None) -> tuple[str, dict[str, dict[str, Any]]]:
    created = aws.cloudformation.create_change_set(
        StackName=stack, ChangeSetName=f"plan-{len(json.dumps(template))}", ChangeSetType="UPDATE",
        TemplateBody=json.dumps(template), IncludeNestedStacks=nested,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()])
    described = aws.cloudformation.describe_change_set(ChangeSetName=created["Id"])
    return created["Id"], {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}


def test_create_only_change_is_a_replacement_and_the_rest_is_not(aws: Clients) -> None:
    deploy(aws.cloudformation, "keys", _flat("one"))

    _, changes = _changes(aws, "keys", _flat("two", retention=14))

    key = changes["Key"]
    assert key["Action"] == "Modify" and key["Replacement"] == "True" and key["Scope"] == ["Properties"]
    assert key["PhysicalResourceId"] == "one"
    assert key["Details"] == [{"Target": {"Attribute": "Properties", "Name": "KeyName", "RequiresRecreation": "Always"},
                               "Evaluation": "Static", "ChangeSource": "DirectModification"}]
    logs = changes["Logs"]
    assert logs["Replacement"] == "False"
    assert logs["Details"][0]["Target"] == {"Attribute": "Properties", "Name": "RetentionInDays",
                                            "RequiresRecreation": "Never"}
    assert "ByParameter" not in changes


def test_a_parameter_that_feeds_a_create_only_property_replaces(aws: Clients) -> None:
    deploy(aws.cloudformation, "keys", _flat("one"))

    _, changes = _changes(aws, "keys", _flat("one"), parameters={"Name": "p-two"})

    assert set(changes) == {"ByParameter"}
    assert changes["ByParameter"]["Replacement"] == "True"
    assert changes["ByParameter"]["Details"][0]["ChangeSource"] == "ParameterReference"


def _child(name: str) -> dict[str, Any]:
    return {"Resources": {"Key": {"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": name}}}}


def _root(aws: Clients, version: int, name: str) -> dict[str, Any]:
    url = t.upload(aws.s3, f"child{version}.json", _child(name))
    return {"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url}}}}


def test_nested_change_sets_show_the_replacement_inside_the_child(aws: Clients) -> None:
    deploy(aws.cloudformation, "root", _root(aws, 1, "one"))
    child_arn = aws.cloudformation.describe_stack_resources(StackName="root")["StackResources"][0]

    root_id, changes = _changes(aws, "root", _root(aws, 2, "two"), nested=True)

    child = changes["Child"]
    assert child["Replacement"] == "False" and child["PhysicalResourceId"].startswith("arn:aws:cloudformation:")
    nested = aws.cloudformation.describe_change_set(ChangeSetName=child["ChangeSetId"])
    assert nested["StackId"] == child["PhysicalResourceId"]
    inner = nested["Changes"][0]["ResourceChange"]
    assert (inner["LogicalResourceId"], inner["Replacement"]) == ("Key", "True")
    assert child_arn["ResourceType"] == "AWS::CloudFormation::Stack"

    # deleting the root change set deletes the nested one with it
    aws.cloudformation.delete_change_set(ChangeSetName=root_id)
    names = [s["ChangeSetName"] for s in aws.cloudformation.list_change_sets(StackName=child["PhysicalResourceId"])[
        "Summaries"]]
    assert not any(n.endswith("-Child") for n in names)


def test_without_include_nested_stacks_there_is_no_nested_change_set(aws: Clients) -> None:
    deploy(aws.cloudformation, "root", _root(aws, 1, "one"))
    _, changes = _changes(aws, "root", _root(aws, 2, "two"))
    assert "ChangeSetId" not in changes["Child"]
