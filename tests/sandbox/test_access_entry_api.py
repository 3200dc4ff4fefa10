"""The sandbox answers EKS's access-entry reads (ListAccessEntries, DescribeAccessEntry,
ListAssociatedAccessPolicies) from what the templates made, in-process and as a server:
moto has no access-entry API, and the end-to-end test asks EKS whether the management
host's role has its entry."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from . import templates as t
from .cfn import deploy, outputs
from .conftest import Clients

ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
PRINCIPAL = f"arn:aws:iam::{t.ACCOUNT}:role/platform-admin"
#: a role with a path: its ARN has '/' inside one URI segment
PATH_PRINCIPAL = f"arn:aws:iam::{t.ACCOUNT}:role/team/ops/viewer"


def _cluster_with_entries(aws: Clients) -> None:
    deploy(aws.cloudformation, "net", t.network(nat=False))
    net = outputs(aws.cloudformation, "net")
    template = t.control_plane()
    template["Resources"]["AccessEntryViewer"] = {
        "Type": "AWS::EKS::AccessEntry",
        "Properties": {
            "ClusterName": {"Ref": "ControlPlane"},
            "PrincipalArn": PATH_PRINCIPAL,
            "KubernetesGroups": ["viewers"],
            "AccessPolicies": [{"PolicyArn": VIEW,
                                "AccessScope": {"Type": "namespace", "Namespaces": ["dev"]}}],
        },
    }
    deploy(aws.cloudformation, "cp", template,
           {"VpcId": net["VpcId"], "SubnetIds": net["SubnetIds"], "ClusterName": "myeks"})


def _check(aws: Clients) -> None:
    eks = aws.eks
    assert eks.list_access_entries(clusterName="myeks")["accessEntries"] == sorted([PRINCIPAL, PATH_PRINCIPAL])
    assert eks.list_access_entries(clusterName="myeks", associatedPolicyArn=VIEW)["accessEntries"] == [
        PATH_PRINCIPAL]
    admin = eks.list_associated_access_policies(clusterName="myeks", principalArn=PRINCIPAL)
    assert admin["principalArn"] == PRINCIPAL and admin["clusterName"] == "myeks"
    assert admin["associatedAccessPolicies"] == [
        {"policyArn": ADMIN, "accessScope": {"type": "cluster", "namespaces": []}}]
    viewer = eks.list_associated_access_policies(clusterName="myeks", principalArn=PATH_PRINCIPAL)
    assert viewer["associatedAccessPolicies"] == [
        {"policyArn": VIEW, "accessScope": {"type": "namespace", "namespaces": ["dev"]}}]
    entry = eks.describe_access_entry(clusterName="myeks", principalArn=PATH_PRINCIPAL)["accessEntry"]
    assert entry["kubernetesGroups"] == ["viewers"] and entry["type"] == "STANDARD"
    assert entry["accessEntryArn"].startswith(f"arn:aws:eks:{t.REGION}:{t.ACCOUNT}:access-entry/myeks/role/")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        eks.list_associated_access_policies(clusterName="myeks", principalArn=f"arn:aws:iam::{t.ACCOUNT}:role/x")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        eks.list_access_entries(clusterName="other")


def test_access_entry_reads_in_process(aws: Clients) -> None:
    _cluster_with_entries(aws)
    _check(aws)


def test_access_entry_reads_through_the_server(remote: Clients) -> None:
    _cluster_with_entries(remote)
    _check(remote)
    remote.cloudformation.delete_stack(StackName="cp")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        remote.eks.list_access_entries(clusterName="myeks")
