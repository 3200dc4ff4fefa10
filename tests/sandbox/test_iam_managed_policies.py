"""The sandbox attaches a template role's ManagedPolicyArns (moto 5.2.5 ignores them), keeps
them in step on an update, detaches them on delete, and refuses a policy IAM does not have."""

from __future__ import annotations

from typing import Any

import pytest

from .cfn import StackFailed, deploy, physical_ids
from .conftest import Clients

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"Service": ["ec2.amazonaws.com"]}}]}


def _role(*policies: str) -> dict[str, Any]:
    arns = [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/" + p} for p in policies]
    return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": TRUST, "ManagedPolicyArns": arns}}}}


def _attached(aws: Clients) -> list[str]:
    name = physical_ids(aws.cloudformation, "role")["Role"]
    return sorted(p["PolicyName"] for p in aws.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])


def test_attached_updated_and_detached(aws: Clients) -> None:
    deploy(aws.cloudformation, "role", _role("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"))
    assert _attached(aws) == ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]
    deploy(aws.cloudformation, "role", _role("AmazonEKSWorkerNodePolicy", "service-role/AmazonEBSCSIDriverPolicy"))
    assert _attached(aws) == ["AmazonEBSCSIDriverPolicy", "AmazonEKSWorkerNodePolicy"]
    aws.cloudformation.delete_stack(StackName="role")
    assert aws.iam.list_roles()["Roles"] == []


def test_a_policy_iam_does_not_have_is_refused(aws: Clients) -> None:
    # AmazonEBSCSIDriverPolicy lives under service-role/: without the path IAM has no such policy
    with pytest.raises(StackFailed, match="NoSuchEntity: Policy arn:aws:iam::aws:policy/AmazonEBSCSIDriverPolicy"):
        deploy(aws.cloudformation, "role", _role("AmazonEBSCSIDriverPolicy"))
    assert aws.iam.list_roles()["Roles"] == []
