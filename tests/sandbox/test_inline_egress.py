"""AWS::EC2::SecurityGroup with inline SecurityGroupEgress: the group has exactly the
declared outbound rules, not EC2's default allow-all (moto kept the default and dropped
the declared ones; eks_templates/sandbox/sg_inline_egress.py)."""

from __future__ import annotations

from typing import Any

from .cfn import create, physical_ids


def _egress(aws: Any, group_id: str) -> list[tuple[str, int, int, str]]:
    rules = aws.ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return sorted((r["IpProtocol"], r["FromPort"], r["ToPort"], r.get("CidrIpv4", ""))
                  for r in rules["SecurityGroupRules"] if r["IsEgress"])


def test_inline_egress_replaces_the_default_rule(aws: Any) -> None:
    vpc = aws.ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    template = {"Resources": {
        "Narrow": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "443 out only", "VpcId": vpc,
            "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]}},
        "Open": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "default", "VpcId": vpc}},
    }}
    create(aws.cloudformation, "egress", template)
    ids = physical_ids(aws.cloudformation, "egress")
    assert _egress(aws, ids["Narrow"]) == [("tcp", 443, 443, "0.0.0.0/0")]
    assert _egress(aws, ids["Open"]) == [("-1", -1, -1, "0.0.0.0/0")]
