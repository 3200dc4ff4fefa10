"""Inline ``SecurityGroupEgress`` of ``AWS::EC2::SecurityGroup``, as CloudFormation applies it.

moto's model of the group ignores the property: the group keeps EC2's default outbound
rule (all traffic to ``0.0.0.0/0``) and gets none of the declared ones. CloudFormation
instead removes the default rule when the template specifies egress rules and
authorizes exactly those (CloudFormation Template Reference, AWS::EC2::SecurityGroup,
``SecurityGroupEgress``; Amazon VPC User Guide, "Security group rules": the default
outbound rule is removed once you add your own). Without this the sandbox's management
host group allowed all egress while the template allows 443 only, and ``drift`` read
that as a rule changed by hand.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroup

from eks_templates.sandbox.ec2_iam import Ec2SecurityGroupEgress

_installed = False


def _with_inline_egress(original: Any) -> Any:
    @functools.wraps(original)
    def create(resource_name: str, cloudformation_json: Any, account_id: str, region_name: str,
               **kwargs: Any) -> SecurityGroup:
        group: SecurityGroup = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        egress = (cloudformation_json.get("Properties") or {}).get("SecurityGroupEgress") or []
        if not egress:
            return group
        backend = ec2_backends[account_id][region_name]
        group.egress_rules[:] = [r for r in group.egress_rules
                                 if not (r.ip_protocol == "-1" and r.ip_range in ({"CidrIp": "0.0.0.0/0"},
                                                                                  {"CidrIpv6": "::/0"}))]
        for entry in egress:
            arguments = Ec2SecurityGroupEgress._rule_arguments({**entry, "GroupId": group.id})
            backend.authorize_security_group_egress(**arguments, vpc_id=group.vpc_id)
        return group

    return create


def install() -> None:
    """Install the patch (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    original = SecurityGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    SecurityGroup.create_from_cloudformation_json = classmethod(  # type: ignore[method-assign,assignment]
        lambda cls, *a, **k: _with_inline_egress(functools.partial(original, cls))(*a, **k))
