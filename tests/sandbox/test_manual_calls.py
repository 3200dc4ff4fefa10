"""The notes' manual calls change the sandbox's state as EC2 and EKS would
(eks_templates/sandbox/ec2_rules.py, eks_updates.py): `aws ec2 authorize-security-group-ingress`
and `describe-security-group-rules` (notes 3.1, 4.2), `aws eks update-cluster-config` (4.2)
and `update-nodegroup-config` (6), plus the inline rules of a template's security group."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from . import templates as t
from .cfn import create, outputs
from .conftest import Clients


def _groups(aws: Clients) -> tuple[str, str]:
    vpc = aws.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    nodes = aws.ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    host = aws.ec2.create_security_group(GroupName="host", Description="host", VpcId=vpc)["GroupId"]
    return nodes, host


def _rules(aws: Clients, group: str, egress: bool = False) -> list[dict[str, Any]]:
    rules = aws.ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    return [r for r in rules["SecurityGroupRules"] if r["IsEgress"] == egress]


# -- EC2 ------------------------------------------------------------------------------------------


def test_authorize_returns_every_new_rule_and_describe_rules_shows_them_as_ec2(aws: Clients) -> None:
    nodes, host = _groups(aws)
    added = aws.ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "192.168.1.100/32", "Description": "notes 3.1"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": host, "Description": "from the host"}]},
    ])["SecurityGroupRules"]
    assert len(added) == 2  # moto returned the last permission's rules only
    assert {(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in added} == {("tcp", 22, 22), ("-1", -1, -1)}

    rules = {r["SecurityGroupRuleId"]: r for r in _rules(aws, nodes)}
    assert set(rules) == {r["SecurityGroupRuleId"] for r in added}
    cidr = next(r for r in rules.values() if r.get("CidrIpv4"))
    assert (cidr["CidrIpv4"], cidr["Description"], cidr["GroupOwnerId"]) == ("192.168.1.100/32", "notes 3.1", t.ACCOUNT)
    pair = next(r for r in rules.values() if r.get("ReferencedGroupInfo"))
    assert pair["ReferencedGroupInfo"]["GroupId"] == host
    assert pair["Description"] == "from the host"  # moto showed none for a group pair


def test_revoke_matches_a_rule_without_its_description(aws: Clients) -> None:
    nodes, host = _groups(aws)
    aws.ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": host, "Description": "from the host"}]}])
    aws.ec2.revoke_security_group_ingress(GroupId=nodes, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": host}]}])  # moto: InvalidPermission.NotFound
    assert _rules(aws, nodes) == []
    aws.ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": host, "Description": "one"}]}])
    with pytest.raises(ClientError, match=r"InvalidPermission\.Duplicate"):  # the description does not make it new
        aws.ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": host, "Description": "two"}]}])


def test_authorize_is_all_or_nothing(aws: Clients) -> None:
    nodes, _host = _groups(aws)
    aws.ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    with pytest.raises(ClientError, match=r"InvalidPermission\.Duplicate"):
        aws.ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "192.168.1.100/32"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        ])
    assert [r["CidrIpv4"] for r in _rules(aws, nodes)] == ["10.0.0.0/16"]  # the 22 rule did not stay


def test_a_template_group_gets_its_inline_rules_and_loses_the_default_egress(aws: Clients) -> None:
    template = {
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Peer": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "peer",
                                                                       "VpcId": t.ref("VPC")}},
            "Host": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "host", "VpcId": t.ref("VPC"),
                    "SecurityGroupIngress": [
                        {"IpProtocol": "-1", "SourceSecurityGroupId": t.ref("Peer"), "Description": "all from peer"},
                        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "2001:db8::/32"},
                    ],
                    "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                             "CidrIp": "0.0.0.0/0", "Description": "HTTPS"}],
                },
            },
            "PeerFromHost": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {"GroupId": t.ref("Peer"), "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                               "SourceSecurityGroupId": t.ref("Host"), "Description": "API from the host"},
            },
        },
        "Outputs": {"Host": {"Value": t.ref("Host")}, "Peer": {"Value": t.ref("Peer")}},
    }
    create(aws.cloudformation, "groups", template)
    out = outputs(aws.cloudformation, "groups")
    egress = _rules(aws, out["Host"], egress=True)
    # moto ignored SecurityGroupEgress: the group kept EC2's allow-all rule
    assert [(r["IpProtocol"], r["FromPort"], r["CidrIpv4"], r["Description"]) for r in egress] == [
        ("tcp", 443, "0.0.0.0/0", "HTTPS")]
    ingress = _rules(aws, out["Host"])
    assert {(r["IpProtocol"], r.get("Description"), r.get("CidrIpv6")) for r in ingress} == {
        ("-1", "all from peer", None), ("tcp", None, "2001:db8::/32")}
    peer = _rules(aws, out["Peer"])
    assert [(r["ReferencedGroupInfo"]["GroupId"], r["Description"]) for r in peer] == [
        (out["Host"], "API from the host")]
    # the group without egress rules keeps EC2's default
    assert [r.get("CidrIpv4") for r in _rules(aws, out["Peer"], egress=True)] == ["0.0.0.0/0"]


# -- EKS ------------------------------------------------------------------------------------------


def _cluster(aws: Clients) -> None:
    urls = {"network": t.upload(aws.s3, "network.json", t.network(nat=False)),
            "control_plane": t.upload(aws.s3, "control-plane.json", t.control_plane()),
            "nodegroup": t.upload(aws.s3, "nodegroup.json", t.nodegroup())}
    create(aws.cloudformation, "myeks", t.root(urls))


def test_update_cluster_config_changes_only_the_endpoint_access(aws: Clients) -> None:
    _cluster(aws)
    before = aws.eks.describe_cluster(name="myeks")["cluster"]["resourcesVpcConfig"]
    update = aws.eks.update_cluster_config(name="myeks", resourcesVpcConfig={
        "endpointPublicAccess": False, "endpointPrivateAccess": True})["update"]
    assert (update["type"], update["status"]) == ("EndpointAccessUpdate", "Successful")
    assert {p["type"]: p["value"] for p in update["params"]} == {
        "EndpointPublicAccess": "false", "EndpointPrivateAccess": "true"}
    after = aws.eks.describe_cluster(name="myeks")["cluster"]["resourcesVpcConfig"]
    # moto replaced the whole config with the two keys: subnets, groups and VPC were gone
    assert after == {**before, "endpointPublicAccess": False, "endpointPrivateAccess": True}
    described = aws.eks.describe_update(name="myeks", updateId=update["id"])["update"]
    assert (described["id"], described["status"]) == (update["id"], "Successful")


@pytest.mark.parametrize(("arguments", "message"), [
    ({"resourcesVpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": False}},
     "Cluster must have either public or private access enabled."),
    ({"resourcesVpcConfig": {"endpointPublicAccess": True}},
     "Cluster is already at the desired configuration with endpointPrivateAccess: false, endpointPublicAccess: "
     "true, and Public Endpoint Restrictions: [0.0.0.0/0]"),
    ({"resourcesVpcConfig": {"endpointPrivateAccess": True},
      "logging": {"clusterLogging": [{"types": ["api"], "enabled": False}]}},
     "Only one type of update can be allowed."),
    ({"logging": {"clusterLogging": [{"types": ["api"], "enabled": True}]}},
     "No changes needed for the logging config provided"),
])
def test_update_cluster_config_refuses_as_eks(aws: Clients, arguments: dict[str, Any], message: str) -> None:
    _cluster(aws)
    with pytest.raises(ClientError) as refused:
        aws.eks.update_cluster_config(name="myeks", **arguments)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert refused.value.response["Error"]["Message"] == message
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        aws.eks.update_cluster_config(name="nothing", **arguments)


def test_update_cluster_config_logging_and_deletion_protection(aws: Clients) -> None:
    _cluster(aws)
    update = aws.eks.update_cluster_config(name="myeks", logging={"clusterLogging": [
        {"types": ["audit"], "enabled": False}, {"types": ["scheduler"], "enabled": True}]})["update"]
    assert update["type"] == "LoggingUpdate"
    logging = aws.eks.describe_cluster(name="myeks")["cluster"]["logging"]["clusterLogging"]
    # the template enabled api and audit; moto kept only the types the call named
    assert logging == [{"types": ["api", "scheduler"], "enabled": True},
                       {"types": ["audit", "authenticator", "controllerManager"], "enabled": False}]
    aws.eks.update_cluster_config(name="myeks", deletionProtection=True)
    assert aws.eks.describe_cluster(name="myeks")["cluster"]["deletionProtection"] is True
    with pytest.raises(ClientError, match="InvalidRequestException"):
        aws.eks.delete_cluster(name="myeks")


def test_update_nodegroup_config_keeps_the_scaling_within_its_bounds(aws: Clients) -> None:
    _cluster(aws)
    with pytest.raises(ClientError) as refused:
        aws.eks.update_nodegroup_config(clusterName="myeks", nodegroupName="ng-1", scalingConfig={"desiredSize": 5})
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    assert refused.value.response["Error"]["Message"] == "Desired capacity 5 can't be greater than max size 4"
    with pytest.raises(ClientError, match="Minimum capacity 3 can't be greater than desired size 2"):
        aws.eks.update_nodegroup_config(clusterName="myeks", nodegroupName="ng-1", scalingConfig={"minSize": 3})
    scaling = aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]["scalingConfig"]
    assert scaling == {"minSize": 1, "maxSize": 4, "desiredSize": 2}  # nothing of the refused calls

    update = aws.eks.update_nodegroup_config(clusterName="myeks", nodegroupName="ng-1",
                                             scalingConfig={"minSize": 1, "desiredSize": 1})["update"]
    assert {p["type"]: p["value"] for p in update["params"]} == {"MinSize": "1", "DesiredSize": "1"}
    scaling = aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]["scalingConfig"]
    assert scaling == {"minSize": 1, "maxSize": 4, "desiredSize": 1}
    found = aws.eks.describe_update(name="myeks", nodegroupName="ng-1", updateId=update["id"])["update"]
    assert json.dumps(found["params"]) == json.dumps(update["params"])


def test_update_cluster_version_goes_one_minor_up(aws: Clients) -> None:
    _cluster(aws)
    with pytest.raises(ClientError, match=r"Unsupported Kubernetes minor version update from 1\.33 to 1\.35"):
        aws.eks.update_cluster_version(name="myeks", version="1.35")
    update = aws.eks.update_cluster_version(name="myeks", version="1.34")["update"]
    assert update["type"] == "VersionUpdate"
    assert aws.eks.describe_cluster(name="myeks")["cluster"]["version"] == "1.34"
