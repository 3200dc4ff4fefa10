"""DescribeStacks tells a nested stack from its root and carries the stack tags, as
CloudFormation does (sandbox/stack_identity.py): ParentId, RootId, the root's tags on
its nested stacks, an UPDATE change set's tags applied, LastUpdatedTime."""

from __future__ import annotations

import json
from typing import Any

from . import templates as t
from .conftest import Clients

TOPIC = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}


def _root(url: str, *, topics: int = 1) -> dict[str, Any]:
    resources: dict[str, Any] = {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url}}}
    for i in range(topics):
        resources[f"Topic{i}"] = {"Type": "AWS::SNS::Topic"}
    return {"Resources": resources}


def _change_set(aws: Clients, kind: str, template: dict[str, Any], tags: list[dict[str, str]] | None,
                name: str) -> None:
    args: dict[str, Any] = {"StackName": "root", "ChangeSetName": name, "ChangeSetType": kind,
                            "TemplateBody": json.dumps(template)}
    if tags is not None:
        args["Tags"] = tags
    aws.cloudformation.create_change_set(**args)
    aws.cloudformation.execute_change_set(StackName="root", ChangeSetName=name)


def _stacks(aws: Clients) -> dict[str, dict[str, Any]]:
    found = aws.cloudformation.describe_stacks()["Stacks"]
    return {"root" if s["StackName"] == "root" else "child": s for s in found}


def test_nested_stacks_know_their_root_and_carry_its_tags(aws: Clients) -> None:
    url = t.upload(aws.s3, "child.json", TOPIC)
    _change_set(aws, "CREATE", _root(url), [{"Key": "team", "Value": "a"}], "cs-1")
    stacks = _stacks(aws)
    root, child = stacks["root"], stacks["child"]
    assert "ParentId" not in root and "RootId" not in root
    assert child["ParentId"] == root["StackId"] and child["RootId"] == root["StackId"]
    assert child["Tags"] == root["Tags"] == [{"Key": "team", "Value": "a"}]
    assert "LastUpdatedTime" not in root

    # an UPDATE change set with other tags: the root and its nested stack get them
    _change_set(aws, "UPDATE", _root(url, topics=2), [{"Key": "team", "Value": "b"}], "cs-2")
    stacks = _stacks(aws)
    assert stacks["root"]["StackStatus"] == "UPDATE_COMPLETE"
    assert stacks["root"]["Tags"] == stacks["child"]["Tags"] == [{"Key": "team", "Value": "b"}]
    assert stacks["root"]["LastUpdatedTime"] >= stacks["root"]["CreationTime"]

    # an UPDATE change set without tags (as `scale` makes it) keeps them
    _change_set(aws, "UPDATE", _root(url, topics=3), None, "cs-3")
    stacks = _stacks(aws)
    assert stacks["root"]["Tags"] == stacks["child"]["Tags"] == [{"Key": "team", "Value": "b"}]


def test_a_create_change_set_on_a_waiting_stack_brings_its_own_tags(aws: Clients) -> None:
    """A discarded CREATE change set leaves its stack REVIEW_IN_PROGRESS; the next CREATE
    change set's tags are the ones the created stack has."""
    cf = aws.cloudformation
    cf.create_change_set(StackName="root", ChangeSetName="first", ChangeSetType="CREATE",
                         TemplateBody=json.dumps(TOPIC), Tags=[{"Key": "team", "Value": "old"}])
    cf.delete_change_set(StackName="root", ChangeSetName="first")
    assert cf.describe_stacks(StackName="root")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    _change_set(aws, "CREATE", TOPIC, [{"Key": "team", "Value": "new"}], "second")
    stack = cf.describe_stacks(StackName="root")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Tags"] == [{"Key": "team", "Value": "new"}]
