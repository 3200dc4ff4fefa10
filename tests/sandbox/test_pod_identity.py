"""The sandbox models AWS::EKS::PodIdentityAssociation and the associations an add-on makes
from its PodIdentityAssociations (moto has neither), refuses what EKS refuses, and answers
ListPodIdentityAssociations / DescribePodIdentityAssociation from them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from . import templates as t
from .cfn import StackFailed, deploy, outputs
from .conftest import Clients

APP_ROLE = f"arn:aws:iam::{t.ACCOUNT}:role/app"
CNI_ROLE = f"arn:aws:iam::{t.ACCOUNT}:role/cni"
PARAMS = {"ClusterName": "myeks"}


def _association(namespace: str, service_account: str, role: str = APP_ROLE) -> dict[str, Any]:
    return {"Type": "AWS::EKS::PodIdentityAssociation", "Properties": {
        "ClusterName": {"Ref": "ControlPlane"}, "Namespace": namespace, "ServiceAccount": service_account,
        "RoleArn": role, "Tags": [{"Key": "team", "Value": "apps"}]}}


def _cni(associations: list[dict[str, str]]) -> dict[str, Any]:
    return {"Type": "AWS::EKS::Addon", "Properties": {
        "ClusterName": {"Ref": "ControlPlane"}, "AddonName": "vpc-cni", "PodIdentityAssociations": associations}}


def _template(**extra: Any) -> dict[str, Any]:
    template = t.control_plane()
    template["Resources"].update(extra)
    template["Outputs"] = {"AppAssociation": {"Value": {"Fn::GetAtt": ["App", "AssociationId"]}}} \
        if "App" in extra else {}
    return template


def _cluster(aws: Clients, **extra: Any) -> dict[str, str]:
    deploy(aws.cloudformation, "net", t.network(nat=False))
    net = outputs(aws.cloudformation, "net")
    params = {"VpcId": net["VpcId"], "SubnetIds": net["SubnetIds"], **PARAMS}
    deploy(aws.cloudformation, "cp", _template(**extra), params)
    return params


def _summaries(aws: Clients, **filters: str) -> list[tuple[str, str, str | None]]:
    found = aws.eks.list_pod_identity_associations(clusterName="myeks", **filters)["associations"]
    return [(a["namespace"], a["serviceAccount"], a.get("ownerArn")) for a in found]


def test_associations_and_the_addons_own_are_listed(aws: Clients) -> None:
    _cluster(aws, App=_association("apps", "app"),
             AddonVpcCni=_cni([{"ServiceAccount": "aws-node", "RoleArn": CNI_ROLE}]))
    listed = _summaries(aws)
    assert [(ns, sa) for ns, sa, _ in listed] == [("apps", "app"), ("kube-system", "aws-node")]
    owner = listed[1][2]
    assert owner is not None and ":addon/myeks/vpc-cni/" in owner and listed[0][2] is None
    assert _summaries(aws, namespace="apps") == [("apps", "app", None)]
    association_id = outputs(aws.cloudformation, "cp")["AppAssociation"]
    described = aws.eks.describe_pod_identity_association(clusterName="myeks", associationId=association_id)
    assert described["association"]["roleArn"] == APP_ROLE
    assert described["association"]["tags"] == {"team": "apps"}
    assert described["association"]["associationArn"].startswith(
        f"arn:aws:eks:{t.REGION}:{t.ACCOUNT}:podidentityassociation/myeks/a-")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws.eks.describe_pod_identity_association(clusterName="myeks", associationId="a-00000000000000000")


def test_one_association_per_service_account(aws: Clients) -> None:
    with pytest.raises(StackFailed, match=r"ResourceInUseException: .*Association already exists"):
        _cluster(aws, App=_association("kube-system", "aws-node"),
                 AddonVpcCni=_cni([{"ServiceAccount": "aws-node", "RoleArn": CNI_ROLE}]))


def test_a_bad_role_is_refused(aws: Clients) -> None:
    with pytest.raises(StackFailed, match=r"InvalidParameterException: .*invalid role ARN"):
        _cluster(aws, App=_association("apps", "app", role="app-role"))


def test_updates_in_place_and_the_addons_associations_follow_it(aws: Clients) -> None:
    params = _cluster(aws, App=_association("apps", "app"),
                      AddonVpcCni=_cni([{"ServiceAccount": "aws-node", "RoleArn": CNI_ROLE}]))
    before = outputs(aws.cloudformation, "cp")["AppAssociation"]
    other = f"arn:aws:iam::{t.ACCOUNT}:role/app-2"
    deploy(aws.cloudformation, "cp", _template(App=_association("apps", "app", role=other), AddonVpcCni=_cni([])),
           params)
    assert outputs(aws.cloudformation, "cp")["AppAssociation"] == before  # RoleArn: in place
    described = aws.eks.describe_pod_identity_association(clusterName="myeks", associationId=before)
    assert described["association"]["roleArn"] == other
    assert _summaries(aws) == [("apps", "app", None)]  # the add-on's association went with its property
    deploy(aws.cloudformation, "cp", _template(App=_association("jobs", "app", role=other)), params)
    assert [(ns, sa) for ns, sa, _ in _summaries(aws)] == [("jobs", "app")]  # Namespace: replaced


def test_reads_through_the_server_and_gone_with_the_stack(remote: Clients) -> None:
    _cluster(remote, App=_association("apps", "app"))
    assert _summaries(remote) == [("apps", "app", None)]
    remote.cloudformation.delete_stack(StackName="cp")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        remote.eks.list_pod_identity_associations(clusterName="myeks")
