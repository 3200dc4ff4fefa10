"""A change set that only changes parameter values lists the resources that use them
(as CloudFormation does; moto listed nothing, so `scale` showed "no resource changes")."""

from __future__ import annotations

import json

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
