"""Smaller moto fixes the real templates need: KMS key tags, list defaults, unmasked errors."""

from __future__ import annotations

import json

import pytest

from . import templates as t
from .cfn import StackFailed, create, deploy, outputs
from .conftest import Clients

_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{t.ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    ],
}


def test_tagged_kms_key_is_created_with_its_tags(aws: Clients) -> None:
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {"KeyPolicy": _KEY_POLICY, "Tags": [{"Key": "cluster", "Value": "myeks"}]},
            }
        },
        "Outputs": {"Arn": {"Value": t.getatt("Key", "Arn")}},
    }
    deploy(aws.cloudformation, "kms", template)
    arn = outputs(aws.cloudformation, "kms")["Arn"]
    assert aws.kms.list_resource_tags(KeyId=arn)["Tags"] == [{"TagKey": "cluster", "TagValue": "myeks"}]


def test_comma_delimited_default_is_a_list(aws: Clients) -> None:
    template = {
        "Parameters": {"Scaling": {"Type": "CommaDelimitedList", "Default": "3,1,5"}},
        "Resources": {"Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x"}}},
        "Outputs": {
            "Min": {"Value": {"Fn::Select": [1, t.ref("Scaling")]}},
            "Joined": {"Value": {"Fn::Join": ["+", t.ref("Scaling")]}},
        },
    }
    deploy(aws.cloudformation, "lists", template)
    assert outputs(aws.cloudformation, "lists") == {"Min": "1", "Joined": "3+1+5"}
    stack = aws.cloudformation.describe_stacks(StackName="lists")["Stacks"][0]
    assert stack["Parameters"] == [{"ParameterKey": "Scaling", "ParameterValue": "3,1,5"}]

    # UsePreviousValue on a list parameter (moto crashed: a list has no .split)
    aws.cloudformation.create_change_set(
        StackName="lists",
        ChangeSetName="keep",
        ChangeSetType="UPDATE",
        TemplateBody=json.dumps({**template, "Description": "changed"}),
        Parameters=[{"ParameterKey": "Scaling", "UsePreviousValue": True}],
    )
    aws.cloudformation.execute_change_set(StackName="lists", ChangeSetName="keep")
    assert outputs(aws.cloudformation, "lists")["Joined"] == "3+1+5"


def test_error_inside_a_child_is_reported_not_masked_as_undefined_resource(aws: Clients) -> None:
    child = {"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {}}}, "Outputs": {"X": {"Value": "x"}}}
    url = t.upload(aws.s3, "child.json", child)
    root = {
        "Resources": {
            "Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url}},
            "Sibling": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": t.getatt("Child", "Outputs.X")},
            },
        }
    }
    with pytest.raises(StackFailed) as caught:
        create(aws.cloudformation, "root", root)
    message = str(caught.value)
    assert "Key (AWS::KMS::Key)" in message and "KeyPolicy" in message
    assert "undefined resource" not in message
