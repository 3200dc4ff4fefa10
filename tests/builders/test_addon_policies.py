"""``withAddonPolicies`` against the controllers' own published policies (copies in
tests/builders/data/, sources in its README): every action they publish is granted, on the
same resources and conditions, unless a narrowing is listed here with its reason."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from eks_templates.builders.policies import EXTERNAL_DNS_POLICY_VERSION, LOAD_BALANCER_CONTROLLER_POLICY_VERSION
from tests.builders.test_nodegroup import ng_resources, statements

DATA = Path(__file__).parent / "data"
LBC = DATA / f"aws-load-balancer-controller-{LOAD_BALANCER_CONTROLLER_POLICY_VERSION}-iam_policy.json"
EXTERNAL_DNS = DATA / f"external-dns-{EXTERNAL_DNS_POLICY_VERSION}-aws-policy.json"

#: published action -> why ours grants it on fewer resources or under more conditions.
#: Empty: albIngress is the controller's policy as published.
LBC_NARROWED: dict[str, str] = {}

Grant = tuple[str, str, str, str]  # effect, action, resource, condition (JSON)


def _resource(value: Any) -> str:
    if isinstance(value, dict):
        (text,) = value.values()  # {"Fn::Sub": "arn:${AWS::Partition}:..."}
        assert list(value) == ["Fn::Sub"] and re.findall(r"\$\{[^}]+\}", text) == ["${AWS::Partition}"], value
        return text.replace("${AWS::Partition}", "aws")
    return str(value)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(policy_statements: Iterable[dict[str, Any]]) -> Iterator[Grant]:
    """One (effect, action, resource, condition) per action and resource of each statement."""
    for st in policy_statements:
        condition = json.dumps(st.get("Condition", {}), sort_keys=True)
        for action in _listed(st["Action"]):
            for resource in _listed(st["Resource"]):
                yield st["Effect"], action, _resource(resource), condition


def published(path: Path) -> set[Grant]:
    return set(grants(json.loads(path.read_text())["Statement"]))


def ours(body: str, *policies: str) -> set[Grant]:
    res = ng_resources(body)
    return {g for name in policies for g in grants(statements(res, name))}


def test_alb_ingress_grants_the_controllers_published_policy():
    theirs = published(LBC)
    mine = ours("iam: {withAddonPolicies: {albIngress: true}}", "PolicyAWSLoadBalancerController")
    missing = sorted(g for g in theirs - mine if g[1] not in LBC_NARROWED)
    assert missing == []
    assert sorted(mine - theirs - {g for g in mine if g[1] in LBC_NARROWED}) == []  # nothing it does not ask for
    for action in LBC_NARROWED:  # a narrowing still grants the action, and is one
        assert any(g[1] == action for g in mine) and any(g[1] == action for g in theirs - mine), action


def test_alb_ingress_has_what_the_controller_calls_on_every_reconcile():
    actions = {g[1] for g in ours("iam: {withAddonPolicies: {albIngress: true}}", "PolicyAWSLoadBalancerController")}
    assert {"elasticloadbalancing:DescribeListenerAttributes", "ec2:GetSecurityGroupsForVpc",
            "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:ModifyListenerAttributes"} <= actions


def test_the_published_copy_is_the_named_release():
    assert LBC.is_file(), f"no copy of the controller's {LOAD_BALANCER_CONTROLLER_POLICY_VERSION} policy"
    assert LOAD_BALANCER_CONTROLLER_POLICY_VERSION in (DATA / "README.md").read_text()
    assert EXTERNAL_DNS_POLICY_VERSION in (DATA / "README.md").read_text()
    assert len(published(LBC)) == 98  # the whole v3.5.0 policy: 98 (action, resource, condition) grants


def test_external_dns_grants_external_dns_documented_policy():
    mine = ours("iam: {withAddonPolicies: {externalDNS: true}}",
                "PolicyExternalDNSChangeSet", "PolicyExternalDNSHostedZones")
    assert sorted(published(EXTERNAL_DNS) - mine) == []
    assert ("Allow", "route53:ListTagsForResources", "arn:aws:route53:::hostedzone/*", "{}") in mine


#: IAM quotas: a role's inline policies together at most 10,240 characters (whitespace not counted)
ROLE_INLINE_POLICY_CHARACTERS = 10_240


def test_every_addon_policy_together_fits_the_roles_inline_quota():
    res = ng_resources("iam: {withAddonPolicies: {externalDNS: true, certManager: true, ebs: true, "
                       "albIngress: true, autoScaler: true, cloudWatch: true}}")
    documents = [r["Properties"]["PolicyDocument"] for r in res.values() if r["Type"] == "AWS::IAM::Policy"]
    assert len(documents) == 8
    # resolved as IAM stores them, in the longest partition name
    text = json.dumps(documents).replace("${AWS::Partition}", "aws-us-gov").replace("${AWS::Region}", "us-gov-west-1")
    text = re.sub(r'\{"Fn::Sub": ("[^"]*")\}', r"\1", text).replace("${AWS::AccountId}", "111122223333")
    assert "Fn::" not in text
    size = len(re.sub(r"\s", "", text))
    assert 8_000 < size <= ROLE_INLINE_POLICY_CHARACTERS, size
