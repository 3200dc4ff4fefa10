"""AWS::EC2::SecurityGroupEgress, AWS::EC2::KeyPair and AWS::IAM::OIDCProvider in the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from . import templates as t
from .cfn import StackFailed, create, deploy, outputs, physical_ids
from .conftest import Clients

# -- AWS::EC2::SecurityGroupEgress ------------------------------------------------------


def _egress_template(port: int, description: str = "https out") -> dict[str, Any]:
    return {
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.2.0.0/16"}},
            "Nodes": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "n", "VpcId": t.ref("VPC")},
            },
            "Peers": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "p", "VpcId": t.ref("VPC")},
            },
            "EgressToCidr": {
                "Type": "AWS::EC2::SecurityGroupEgress",
                "Properties": {
                    "GroupId": t.getatt("Nodes", "GroupId"),
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "CidrIp": "10.9.0.0/16",
                    "Description": description,
                },
            },
            "EgressToPeers": {
                "Type": "AWS::EC2::SecurityGroupEgress",
                "Properties": {
                    "GroupId": t.getatt("Nodes", "GroupId"),
                    "IpProtocol": "-1",
                    "DestinationSecurityGroupId": t.getatt("Peers", "GroupId"),
                },
            },
        },
        "Outputs": {"Nodes": {"Value": t.getatt("Nodes", "GroupId")}, "RuleId": {"Value": t.ref("EgressToCidr")}},
    }


def _egress(aws: Clients, group_id: str) -> list[dict[str, Any]]:
    return aws.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissionsEgress"]


def _cidr_rules(rules: list[dict[str, Any]]) -> list[tuple[Any, str, str]]:
    return [
        (r.get("FromPort"), ip["CidrIp"], ip.get("Description", ""))
        for r in rules
        for ip in r.get("IpRanges", [])
        if ip["CidrIp"] != "0.0.0.0/0"
    ]


def test_egress_rules_are_authorized_with_a_rule_id_as_ref(aws: Clients) -> None:
    deploy(aws.cloudformation, "sg", _egress_template(443))
    out = outputs(aws.cloudformation, "sg")
    rules = _egress(aws, out["Nodes"])

    assert _cidr_rules(rules) == [(443, "10.9.0.0/16", "https out")]
    peers = physical_ids(aws.cloudformation, "sg")["Peers"]
    assert [pair["GroupId"] for r in rules for pair in r.get("UserIdGroupPairs", [])] == [peers]
    assert out["RuleId"].startswith("sgr-")
    rule_ids = {
        r["SecurityGroupRuleId"]
        for r in aws.ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [out["Nodes"]]}])[
            "SecurityGroupRules"
        ]
    }
    assert out["RuleId"] in rule_ids


def test_egress_port_change_replaces_the_rule_and_description_change_does_not(aws: Clients) -> None:
    deploy(aws.cloudformation, "sg", _egress_template(443))
    group = outputs(aws.cloudformation, "sg")["Nodes"]
    first_id = outputs(aws.cloudformation, "sg")["RuleId"]

    deploy(aws.cloudformation, "sg", _egress_template(443, description="tls"))
    assert _cidr_rules(_egress(aws, group)) == [(443, "10.9.0.0/16", "tls")]
    assert outputs(aws.cloudformation, "sg")["RuleId"] == first_id

    deploy(aws.cloudformation, "sg", _egress_template(8443, description="tls"))
    assert _cidr_rules(_egress(aws, group)) == [(8443, "10.9.0.0/16", "tls")]
    assert outputs(aws.cloudformation, "sg")["RuleId"] != first_id


def test_egress_rule_is_revoked_when_removed_and_on_delete(aws: Clients) -> None:
    template = _egress_template(443)
    deploy(aws.cloudformation, "sg", template)
    group = outputs(aws.cloudformation, "sg")["Nodes"]

    del template["Resources"]["EgressToPeers"]
    deploy(aws.cloudformation, "sg", template)
    assert [r for r in _egress(aws, group) if r.get("UserIdGroupPairs")] == []

    del template["Resources"]["EgressToCidr"]
    del template["Outputs"]["RuleId"]
    deploy(aws.cloudformation, "sg", template)
    assert _cidr_rules(_egress(aws, group)) == []


def test_duplicate_egress_rule_fails_like_ec2(aws: Clients) -> None:
    template = _egress_template(443)
    template["Resources"]["Again"] = dict(template["Resources"]["EgressToCidr"])
    with pytest.raises(StackFailed, match=r"InvalidPermission\.Duplicate|already exists"):
        create(aws.cloudformation, "dup", template)


# -- AWS::EC2::KeyPair ------------------------------------------------------------------


def _key_template(**props: Any) -> dict[str, Any]:
    return {
        "Resources": {"Key": {"Type": "AWS::EC2::KeyPair", "Properties": props}},
        "Outputs": {
            "Name": {"Value": t.ref("Key")},
            "Id": {"Value": t.getatt("Key", "KeyPairId")},
            "Fingerprint": {"Value": t.getatt("Key", "KeyFingerprint")},
        },
    }


def test_new_key_pair_stores_its_private_key_in_ssm_and_delete_removes_both(aws: Clients) -> None:
    deploy(aws.cloudformation, "keys", _key_template(KeyName="bastion", KeyType="ed25519"))
    out = outputs(aws.cloudformation, "keys")

    assert out["Name"] == "bastion"
    key = aws.ec2.describe_key_pairs(KeyNames=["bastion"])["KeyPairs"][0]
    assert (key["KeyPairId"], key["KeyType"]) == (out["Id"], "ed25519")
    secret = aws.ssm.get_parameter(Name=f"/ec2/keypair/{out['Id']}", WithDecryption=True)["Parameter"]
    assert secret["Type"] == "SecureString" and "PRIVATE KEY" in secret["Value"]

    aws.cloudformation.delete_stack(StackName="keys")
    assert aws.ec2.describe_key_pairs()["KeyPairs"] == []
    with pytest.raises(ClientError, match="ParameterNotFound"):
        aws.ssm.get_parameter(Name=f"/ec2/keypair/{out['Id']}")


def test_imported_key_pair_keeps_the_given_public_key(aws: Clients) -> None:
    public = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    deploy(aws.cloudformation, "keys", _key_template(KeyName="mine", PublicKeyMaterial=public))

    key = aws.ec2.describe_key_pairs(KeyNames=["mine"], IncludePublicKey=True)["KeyPairs"][0]
    assert key["PublicKey"].split()[:2] == public.split()[:2]
    assert aws.ssm.describe_parameters()["Parameters"] == []  # nothing private to store


def test_key_pair_rename_replaces_it_and_other_changes_are_refused(aws: Clients) -> None:
    deploy(aws.cloudformation, "keys", _key_template(KeyName="one"))
    deploy(aws.cloudformation, "keys", _key_template(KeyName="two"))
    assert [k["KeyName"] for k in aws.ec2.describe_key_pairs()["KeyPairs"]] == ["two"]

    with pytest.raises(StackFailed, match="custom-named resource requires replacing"):
        deploy(aws.cloudformation, "keys", _key_template(KeyName="two", KeyType="ed25519"))


# -- AWS::IAM::OIDCProvider -------------------------------------------------------------


def _oidc_template(url: str, thumbprint: str) -> dict[str, Any]:
    return {
        "Resources": {
            "Provider": {
                "Type": "AWS::IAM::OIDCProvider",
                "Properties": {
                    "Url": url,
                    "ClientIdList": ["sts.amazonaws.com"],
                    "ThumbprintList": [thumbprint],
                    "Tags": [{"Key": "cluster", "Value": "myeks"}],
                },
            }
        },
        "Outputs": {"Ref": {"Value": t.ref("Provider")}, "Arn": {"Value": t.getatt("Provider", "Arn")}},
    }


def test_oidc_provider_create_update_in_place_replace_and_delete(aws: Clients) -> None:
    url = "https://oidc.eks.ap-northeast-2.amazonaws.com/id/AAAA"
    deploy(aws.cloudformation, "oidc", _oidc_template(url, "a" * 40))
    out = outputs(aws.cloudformation, "oidc")
    assert (
        out["Ref"]
        == out["Arn"]
        == f"arn:aws:iam::{t.ACCOUNT}:oidc-provider/oidc.eks.ap-northeast-2.amazonaws.com/id/AAAA"
    )
    provider = aws.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["Arn"])
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert provider["ThumbprintList"] == ["a" * 40]

    deploy(aws.cloudformation, "oidc", _oidc_template(url, "b" * 40))
    provider = aws.iam.get_open_id_connect_provider(OpenIDConnectProviderArn=out["Arn"])
    assert provider["ThumbprintList"] == ["b" * 40]

    deploy(aws.cloudformation, "oidc", _oidc_template(url.replace("AAAA", "BBBB"), "b" * 40))
    arns = [p["Arn"] for p in aws.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arns == [out["Arn"].replace("AAAA", "BBBB")]

    aws.cloudformation.delete_stack(StackName="oidc")
    assert aws.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
