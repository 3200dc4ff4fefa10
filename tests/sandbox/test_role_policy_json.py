"""A role's inline policy from a template reads back as IAM gives it: JSON, which boto3
decodes into a dict (moto 5.2.5 returned the Python repr of its dict)."""

from __future__ import annotations

from .cfn import deploy
from .conftest import Clients

DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ssm:GetParameter"],
     "Resource": ["arn:aws:ssm:ap-northeast-2:123456789012:parameter/ec2/keypair/key-1"]}]}
TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "RoleName": "reader",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]},
        "Policies": [{"PolicyName": "ReadKey", "PolicyDocument": DOCUMENT}],
    }}},
}


def test_inline_policy_of_a_template_role_is_json(aws: Clients) -> None:
    deploy(aws.cloudformation, "role", TEMPLATE)
    assert aws.iam.list_role_policies(RoleName="reader")["PolicyNames"] == ["ReadKey"]
    assert aws.iam.get_role_policy(RoleName="reader", PolicyName="ReadKey")["PolicyDocument"] == DOCUMENT


def test_inline_policy_of_a_template_role_is_json_through_the_server(remote: Clients) -> None:
    deploy(remote.cloudformation, "role", TEMPLATE)
    assert remote.iam.get_role_policy(RoleName="reader", PolicyName="ReadKey")["PolicyDocument"] == DOCUMENT
