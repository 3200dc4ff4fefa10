"""A change set that only changes parameter values lists the resources that use them
(as CloudFormation does; moto listed nothing, so `scale` showed "no resource changes")."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .cfn import deploy
from .conftest import Clients


def _parameter(name: str, value: object) -> dict[str, object]:
    return {"Type": "AWS::SSM::Parameter", "Properties": {"Name": name, "Type": "String", "Value": value}}


TEMPLATE = {
    "Parameters": {"Size": {"Type": "String"}, "Name": {"Type": "String", "Default": "n"}},
    "Resources": {
        "UsesSize": _parameter("/t/size", {"Ref": "Size"}),
        "UsesSizeInSub": _parameter("/t/sub", {"Fn::Sub": "size-${Size}"}),
        "UsesName": _parameter("/t/name", {"Ref": "Name"}),
    },
}


def _changes(aws: Clients, parameters: list[dict[str, object]]) -> list[tuple[str, str]]:
    aws.cloudformation.create_change_set(StackName="params", ChangeSetName="next", ChangeSetType="UPDATE",
                                         UsePreviousTemplate=True, Parameters=parameters)
    described = aws.cloudformation.describe_change_set(StackName="params", ChangeSetName="next")
    aws.cloudformation.delete_change_set(StackName="params", ChangeSetName="next")
    return sorted((c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"])
                  for c in described["Changes"])


def test_parameter_only_change_set_lists_the_resources_that_use_the_parameter(aws: Clients) -> None:
    deploy(aws.cloudformation, "params", TEMPLATE, {"Size": "2"})
    keep_name = {"ParameterKey": "Name", "UsePreviousValue": True}
    assert _changes(aws, [{"ParameterKey": "Size", "ParameterValue": "3"}, keep_name]) == [
        ("Modify", "UsesSize"), ("Modify", "UsesSizeInSub")]
    assert _changes(aws, [{"ParameterKey": "Size", "UsePreviousValue": True},
                          {"ParameterKey": "Name", "ParameterValue": "m"}]) == [("Modify", "UsesName")]
    # a template change is listed as before, once
    changed = json.loads(json.dumps(TEMPLATE))
    changed["Resources"]["UsesSize"]["Properties"]["Description"] = "d"
    aws.cloudformation.create_change_set(StackName="params", ChangeSetName="tpl", ChangeSetType="UPDATE",
                                         TemplateBody=json.dumps(changed),
                                         Parameters=[{"ParameterKey": "Size", "ParameterValue": "3"}, keep_name])
    described = aws.cloudformation.describe_change_set(StackName="params", ChangeSetName="tpl")
    assert sorted(c["ResourceChange"]["LogicalResourceId"] for c in described["Changes"]) == [
        "UsesSize", "UsesSizeInSub"]


def test_a_change_set_with_nothing_to_change_fails_and_cannot_be_executed(aws: Clients) -> None:
    # CloudFormation: a change set with no changes ends FAILED / UNAVAILABLE with this reason, and
    # ExecuteChangeSet refuses it (InvalidChangeSetStatus) — API reference, DescribeChangeSet and
    # ExecuteChangeSet; the same answer a test that re-deployed an unchanged stack got (it was the test's bug).
    deploy(aws.cloudformation, "params", TEMPLATE, {"Size": "2"})
    aws.cloudformation.create_change_set(StackName="params", ChangeSetName="same", ChangeSetType="UPDATE",
                                         TemplateBody=json.dumps(TEMPLATE),
                                         Parameters=[{"ParameterKey": "Size", "ParameterValue": "2"}])
    described = aws.cloudformation.describe_change_set(StackName="params", ChangeSetName="same")
    assert (described["Status"], described["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert "didn't contain changes" in described["StatusReason"]
    with pytest.raises(ClientError, match="InvalidChangeSetStatus"):
        aws.cloudformation.execute_change_set(StackName="params", ChangeSetName="same")
