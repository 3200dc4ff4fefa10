"""Helpers shared by the builders: awacs policy documents with partition-aware
principals and ARNs, and small value helpers that work on both Python lists (flat
template) and list parameters (nested stacks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from awacs.aws import Action, Allow, Condition, Policy, Principal, Statement
from troposphere import FindInMap, Join, Ref, Select, Split, Sub, Tags, Template

# --------------------------------------------------------------------------- IAM

#: eksctl's ServicePrincipalPartitionMap: the EC2 service principal differs in China.
SERVICE_PRINCIPAL_MAP = "ServicePrincipalPartitionMap"
SERVICE_PRINCIPALS: dict[str, dict[str, str]] = {
    "aws": {"EC2": "ec2.amazonaws.com", "EKS": "eks.amazonaws.com",
            "EKSFargatePods": "eks-fargate-pods.amazonaws.com"},
    "aws-cn": {"EC2": "ec2.amazonaws.com.cn", "EKS": "eks.amazonaws.com",
               "EKSFargatePods": "eks-fargate-pods.amazonaws.com"},
    "aws-us-gov": {"EC2": "ec2.amazonaws.com", "EKS": "eks.amazonaws.com",
                   "EKSFargatePods": "eks-fargate-pods.amazonaws.com"},
}


def service_principal(template: Template, service: str) -> Any:
    """``Fn::FindInMap [ServicePrincipalPartitionMap, ${AWS::Partition}, service]``,
    adding eksctl's mapping to ``template`` the first time."""
    if SERVICE_PRINCIPAL_MAP not in template.mappings:
        template.add_mapping(SERVICE_PRINCIPAL_MAP, {k: dict(v) for k, v in SERVICE_PRINCIPALS.items()})
    return FindInMap(SERVICE_PRINCIPAL_MAP, Ref("AWS::Partition"), service)


def managed_policy(name: str) -> Sub:
    """An AWS managed policy's ARN in the stack's partition."""
    return Sub("arn:${AWS::Partition}:iam::aws:policy/" + name)


def actions(*names: str) -> list[Action]:
    """``"route53:ListHostedZones"`` -> awacs Actions, in the order given."""
    out = []
    for name in names:
        prefix, _, action = name.partition(":")
        out.append(Action(prefix, action))
    return out


def allow(action_names: Iterable[str], resources: Sequence[Any], condition: Condition | None = None,
          sid: str | None = None) -> Statement:
    props: dict[str, Any] = {"Effect": Allow, "Action": actions(*action_names), "Resource": list(resources)}
    if condition is not None:
        props["Condition"] = condition
    if sid:
        props["Sid"] = sid
    return Statement(**props)


def document(*statements: Statement) -> Policy:
    return Policy(Version="2012-10-17", Statement=list(statements))


def assume_role(principal: Any, condition: Condition | None = None) -> Policy:
    props: dict[str, Any] = {
        "Effect": Allow,
        "Action": actions("sts:AssumeRole"),
        "Principal": Principal("Service", [principal]),
    }
    if condition is not None:
        props["Condition"] = condition
    return Policy(Version="2012-10-17", Statement=[Statement(**props)])


# --------------------------------------------------------------------------- value helpers


def concat_lists(*values: Any) -> Any:
    """Join subnet lists that may be Python lists (flat) or list parameters (nested)."""
    if all(isinstance(v, list) for v in values):
        return [item for v in values for item in v]
    return Split(",", Join(",", [Join(",", v) for v in values]))


def pick(values: Any, index: int) -> Any:
    return values[index] if isinstance(values, list) else Select(index, values)


def tag_props(tags: Mapping[str, str]) -> dict[str, Any]:
    """``{"Tags": ...}`` for resources that take a tag list, or nothing when there are none."""
    return {"Tags": Tags(dict(tags))} if tags else {}


def checkov_skips(reasons: Mapping[str, str]) -> dict[str, Any]:
    """Resource ``Metadata`` that makes checkov skip checks, each with its reason."""
    return {"checkov": {"skip": [{"id": check, "comment": reasons[check]} for check in sorted(reasons)]}}


def name_tag(logical_id: str) -> Sub:
    """eksctl's ``Name`` tag: ``<stack name>/<logical ID>``."""
    return Sub("${AWS::StackName}/" + logical_id)
