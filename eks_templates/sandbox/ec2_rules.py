"""Security-group rules as EC2 keeps them, where moto 5.2.5 does not.

- ``SecurityGroup.create_from_cloudformation_json``: moto ignored inline
  ``SecurityGroupEgress`` (the group kept EC2's default allow-all egress), dropped inline
  ``Description``, ``CidrIpv6`` and prefix lists, and failed with ``KeyError`` on an
  all-traffic rule without ports. Here every inline rule is authorized as given, and with
  egress rules the default allow-all rule is removed.
- ``SecurityGroupIngress.create_from_cloudformation_json``: moto dropped the
  ``Description`` of a rule from a security group; kept here.
- ``SecurityGroupRule.__eq__`` / ``.description``: moto counted a rule's ``Description``
  in its identity when it came with a source group (``RevokeSecurityGroupIngress``
  without it: ``InvalidPermission.NotFound``), and ``DescribeSecurityGroupRules`` showed
  no ``Description`` for it and no ``GroupOwnerId``. Here the description is not part of
  the rule, is shown for every rule, and ``GroupOwnerId`` is shown.
- ``AuthorizeSecurityGroupIngress``/``Egress`` (the response): moto returned only the
  rules of the *last* permission of the call, without the ports of an all-traffic rule,
  and a failing permission left the earlier ones of the same call in place. Here all new
  rules are returned (ports ``-1`` for all traffic, as ``DescribeSecurityGroupRules``)
  and the call is all or nothing.

Sources: AWS::EC2::SecurityGroup, ``SecurityGroupEgress``: "When you specify a VPC security
group, Amazon EC2 creates a default egress rule that allows egress traffic on all ports and
IP protocols to any location. The default rule is removed only when you specify one or more
egress rules." (CloudFormation resource reference); RevokeSecurityGroupIngress: "you must
specify the protocol, port range, and source ... The rule's description is not used to match"
(EC2 API reference: "Each rule consists of the protocol and the IPv4 or IPv6 CIDR range or
source security group"; descriptions are informational and changed with
``UpdateSecurityGroupRuleDescriptionsIngress``); AuthorizeSecurityGroupIngress returns
``SecurityGroupRules``, "Information about the security group rule(s) that were added".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupIngress, SecurityGroupRule
from moto.ec2.responses.security_groups import SecurityGroups as SecurityGroupResponse

from eks_templates.sandbox.drift_readers import protocol, rule_identity

_installed = False


def _without_description(group: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in group.items() if k != "Description"}


def _rule_eq(original: Callable[[SecurityGroupRule, Any], bool]) -> Callable[[SecurityGroupRule, Any], bool]:
    def __eq__(self: SecurityGroupRule, other: Any) -> bool:
        if not isinstance(other, SecurityGroupRule):
            return NotImplemented
        if "Description" not in self.source_group and "Description" not in other.source_group:
            return original(self, other)
        mine, theirs = copy.copy(self), copy.copy(other)
        mine.source_group = _without_description(self.source_group)
        theirs.source_group = _without_description(other.source_group)
        return original(mine, theirs)

    return __eq__


def _rule_description(self: SecurityGroupRule) -> str | None:
    return self.ip_range.get("Description") or self.source_group.get("Description") or None


def _shown(rule: SecurityGroupRule) -> SecurityGroupRule:
    """The rule as EC2 reports it: ports ``-1`` when it has none (all traffic)."""
    shown = copy.copy(rule)
    if shown.from_port is None:
        shown.from_port = -1
    if shown.to_port is None:
        shown.to_port = -1
    return shown


def _authorize(egress: bool) -> Callable[[SecurityGroupResponse], Any]:
    from moto.core.responses import ActionResult

    def authorize(self: SecurityGroupResponse) -> Any:
        self.error_on_dryrun()
        added: list[tuple[SecurityGroup, SecurityGroupRule]] = []
        call = (self.ec2_backend.authorize_security_group_egress if egress
                else self.ec2_backend.authorize_security_group_ingress)
        try:
            for kwargs in self._process_rules_from_querystring():
                rules, group = call(**kwargs)
                added.extend((group, rule) for rule in rules)
        except Exception:
            for group, rule in added:  # all or nothing, as EC2
                if egress:
                    group.egress_rules = [r for r in group.egress_rules if r is not rule]
                else:
                    group.ingress_rules = [r for r in group.ingress_rules if r is not rule]
            raise
        return ActionResult({"Return": True, "SecurityGroupRules": [_shown(rule) for _group, rule in added]})

    return authorize


# -- CloudFormation -----------------------------------------------------------------------------


def _rule_arguments(group: SecurityGroup, rule: dict[str, Any], egress: bool) -> dict[str, Any]:
    """An inline CloudFormation rule -> moto's authorize arguments."""
    description = rule.get("Description")

    def described(item: dict[str, Any]) -> dict[str, Any]:
        return {**item, "Description": description} if description else item

    ip_ranges = []
    if rule.get("CidrIp"):
        ip_ranges.append(described({"CidrIp": rule["CidrIp"]}))
    if rule.get("CidrIpv6"):
        ip_ranges.append(described({"CidrIpv6": rule["CidrIpv6"]}))
    peer_id = rule.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId")
    peer_name = None if egress else rule.get("SourceSecurityGroupName")
    source_groups = []
    if peer_id:
        source_groups.append(described({"GroupId": peer_id}))
    elif peer_name:
        source_groups.append(described({"GroupName": peer_name}))
    prefix = rule.get("DestinationPrefixListId" if egress else "SourcePrefixListId")
    return {
        "group_name_or_id": group.id,
        "ip_protocol": str(rule.get("IpProtocol", "-1")),
        "from_port": rule.get("FromPort"),
        "to_port": rule.get("ToPort"),
        "ip_ranges": ip_ranges,
        "source_groups": source_groups,
        "prefix_list_ids": [described({"PrefixListId": prefix})] if prefix else [],
        "vpc_id": group.vpc_id,
    }


def _is_default_egress(rule: SecurityGroupRule) -> bool:
    return (rule.ip_protocol == "-1" and rule.ip_range.get("CidrIp") == "0.0.0.0/0"
            and not rule.source_group and not rule.prefix_list_id)


def _security_group_create(original: Callable[..., SecurityGroup]) -> Any:
    def create_from_cloudformation_json(cls: type[SecurityGroup], resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str, region_name: str,
                                        **kwargs: Any) -> SecurityGroup:
        props = dict(cloudformation_json.get("Properties") or {})
        ingress = props.pop("SecurityGroupIngress", None) or []
        egress = props.pop("SecurityGroupEgress", None) or []
        group = original(resource_name, {**cloudformation_json, "Properties": props}, account_id, region_name,
                         **kwargs)
        ec2 = ec2_backends[account_id][region_name]
        try:
            for rule in ingress:
                ec2.authorize_security_group_ingress(**_rule_arguments(group, rule, egress=False))
            if egress:
                group.egress_rules = [r for r in group.egress_rules if not _is_default_egress(r)]
                for rule in egress:
                    ec2.authorize_security_group_egress(**_rule_arguments(group, rule, egress=True))
        except Exception:
            ec2.delete_security_group(group_id=group.id)  # the create failed: nothing is left
            raise
        return group

    return classmethod(create_from_cloudformation_json)


def _ingress_create(original: Callable[..., SecurityGroupIngress]) -> Any:
    def create_from_cloudformation_json(cls: type[SecurityGroupIngress], resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str, region_name: str,
                                        **kwargs: Any) -> SecurityGroupIngress:
        resource = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json.get("Properties") or {}
        if props.get("Description") and (props.get("SourceSecurityGroupId") or props.get("SourceSecurityGroupName")):
            wanted = rule_identity({**props, "IpProtocol": protocol(props.get("IpProtocol", "-1"))}, egress=False)
            for rule in resource.security_group.ingress_rules:
                peer = {"SourceSecurityGroupId": rule.source_group.get("GroupId")}
                if props.get("SourceSecurityGroupName") and not props.get("SourceSecurityGroupId"):
                    peer = {"SourceSecurityGroupName": props["SourceSecurityGroupName"]}
                shown = {"IpProtocol": rule.ip_protocol, "FromPort": rule.from_port, "ToPort": rule.to_port, **peer}
                if rule.source_group and rule_identity(shown, egress=False) == wanted:
                    rule.source_group["Description"] = props["Description"]
        return resource

    return classmethod(create_from_cloudformation_json)


def install() -> None:
    """Install (idempotent; after :func:`refusals.install`, whose group create this wraps)."""
    global _installed
    if _installed:
        return
    _installed = True
    SecurityGroupRule.__eq__ = _rule_eq(SecurityGroupRule.__eq__)  # type: ignore[method-assign,assignment]
    SecurityGroupRule.description = property(_rule_description)  # type: ignore[method-assign,assignment]
    SecurityGroupRule.group_owner_id = property(lambda self: self.ec2_backend.account_id)  # type: ignore[attr-defined]
    SecurityGroupResponse.authorize_security_group_ingress = _authorize(  # type: ignore[method-assign,assignment]
        egress=False)
    SecurityGroupResponse.authorize_security_group_egress = _authorize(  # type: ignore[method-assign,assignment]
        egress=True)
    SecurityGroup.create_from_cloudformation_json = _security_group_create(  # type: ignore[method-assign]
        SecurityGroup.create_from_cloudformation_json)
    SecurityGroupIngress.create_from_cloudformation_json = _ingress_create(  # type: ignore[method-assign]
        SecurityGroupIngress.create_from_cloudformation_json)
