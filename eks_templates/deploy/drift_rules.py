"""Security-group rules beyond CloudFormation's reach.

CloudFormation's detection compares only the properties a template sets: a rule added
by hand to a group whose rules live in separate ``AWS::EC2::SecurityGroupIngress`` /
``Egress`` resources (as ours do) is invisible to it (CloudFormation User Guide,
"Detect unmanaged configuration changes": "Only resource properties explicitly defined
in the stack template are checked"). So the live rules of every group the stacks own,
and of the EKS-created cluster security group the templates add rules to, are read
(``DescribeSecurityGroupRules``, filter ``group-id``: one paginated call for all of them)
and compared with what the deployed templates declare, inline and as separate resources.

What a group has without any template saying so, and is therefore not reported:
- a group created without inline ``SecurityGroupEgress`` keeps EC2's default outbound
  rule, all traffic to ``0.0.0.0/0`` (and ``::/0`` in a VPC with IPv6) (Amazon VPC User
  Guide, "Security group rules": "a security group ... includes an outbound rule that
  allows all outbound traffic"; CloudFormation removes it only when the template
  specifies egress rules on the group itself);
- the cluster security group keeps the rules EKS creates on it: all traffic from itself,
  all traffic out to ``0.0.0.0/0`` / ``::/0`` (EKS User Guide, "View Amazon EKS security
  group requirements for clusters", default rules of the cluster security group).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from eks_templates.deploy.drift_cfn import StackInfo
from eks_templates.deploy.drift_eks import CLUSTER_TYPE, Context
from eks_templates.deploy.drift_model import REVERT_REVOKE, Finding, Resolver
from eks_templates.deploy.paging import items

GROUP_TYPE = "AWS::EC2::SecurityGroup"
INGRESS_TYPE = "AWS::EC2::SecurityGroupIngress"
EGRESS_TYPE = "AWS::EC2::SecurityGroupEgress"
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
ALL_IPV4, ALL_IPV6 = "0.0.0.0/0", "::/0"


@dataclass(frozen=True)
class Rule:
    egress: bool
    protocol: str
    from_port: int
    to_port: int
    #: cidr | cidr6 | group | prefix-list
    peer_kind: str
    peer: str

    @classmethod
    def of(cls, egress: bool, protocol: Any, from_port: Any, to_port: Any, peer_kind: str, peer: str) -> Rule:
        proto = PROTOCOLS.get(str(protocol).lower(), str(protocol).lower())
        if proto == "-1":
            low, high = -1, -1
        else:
            low = int(from_port) if from_port not in (None, "") else -1
            high = int(to_port) if to_port not in (None, "") else low
        return cls(egress, proto, low, high, peer_kind, peer)

    @property
    def ports(self) -> str:
        if self.protocol == "-1":
            return "all traffic"
        if self.protocol in ("tcp", "udp"):
            span = "all ports" if (self.from_port, self.to_port) in ((-1, -1), (0, 65535)) else (
                str(self.from_port) if self.from_port == self.to_port else f"{self.from_port}-{self.to_port}")
            return f"{self.protocol} {span}"
        return f"{self.protocol} {self.from_port}/{self.to_port}" if self.from_port != -1 else self.protocol

    def text(self) -> str:
        return f"{'egress' if self.egress else 'ingress'} {self.ports} {'to' if self.egress else 'from'} {self.peer}"

    def ip_permissions(self) -> str:
        """The AWS CLI's ``--ip-permissions`` shorthand for this rule."""
        parts = [f"IpProtocol={self.protocol}"]
        if self.protocol != "-1":
            parts += [f"FromPort={self.from_port}", f"ToPort={self.to_port}"]
        peer = {"cidr": f"IpRanges=[{{CidrIp={self.peer}}}]", "cidr6": f"Ipv6Ranges=[{{CidrIpv6={self.peer}}}]",
                "group": f"UserIdGroupPairs=[{{GroupId={self.peer}}}]",
                "prefix-list": f"PrefixListIds=[{{PrefixListId={self.peer}}}]"}[self.peer_kind]
        return ",".join([*parts, peer])


def _declared(entry: dict[str, Any], egress: bool) -> Rule | None:
    """A rule from an inline entry or a separate resource's (resolved) properties."""
    peers = (("CidrIp", "cidr"), ("CidrIpv6", "cidr6"),
             ("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId", "group"),
             ("DestinationPrefixListId" if egress else "SourcePrefixListId", "prefix-list"))
    for key, kind in peers:
        if entry.get(key):
            return Rule.of(egress, entry.get("IpProtocol", "-1"), entry.get("FromPort"), entry.get("ToPort"),
                           kind, str(entry[key]))
    return None


def _live(rule: dict[str, Any]) -> Rule | None:
    egress = bool(rule.get("IsEgress"))
    for key, kind in (("CidrIpv4", "cidr"), ("CidrIpv6", "cidr6"), ("PrefixListId", "prefix-list")):
        if rule.get(key):
            return Rule.of(egress, rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"), kind,
                           str(rule[key]))
    group = (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
    if group:
        return Rule.of(egress, rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"), "group", str(group))
    return None


@dataclass
class Group:
    """A security group the templates own or add rules to, and what they declare on it."""

    group_id: str
    #: where the finding is shown: the stack and logical ID that make (or name) the group
    stack: str
    logical_id: str
    #: rules the templates declare: rule -> (stack label, logical ID of the rule's resource or group)
    declared: dict[Rule, tuple[str, str]]
    #: rules the group has without a template saying so (EC2's default egress, EKS's own rules)
    tolerated: frozenset[Rule] = frozenset()
    default_egress: bool = False


def default_egress() -> frozenset[Rule]:
    return frozenset({Rule.of(True, "-1", None, None, "cidr", ALL_IPV4), Rule.of(True, "-1", None, None, "cidr6",
                                                                                 ALL_IPV6)})


def groups(infos: list[StackInfo], resolvers: dict[str, Resolver]) -> dict[str, Group]:
    """Every group the stacks own (``AWS::EC2::SecurityGroup``) and every EKS cluster
    security group, by group ID, with the rules declared on it anywhere in the tree."""
    found: dict[str, Group] = {}
    loose: list[tuple[str, str, str, Rule]] = []  # (group ID, label, logical, rule)
    for info in infos:
        resolver = resolvers[info.label]
        for logical, spec in sorted((info.template.get("Resources") or {}).items()):
            if not isinstance(spec, dict):
                continue
            kind = spec.get("Type")
            props = {k: resolver.get(v) for k, v in (spec.get("Properties") or {}).items()}
            if kind == GROUP_TYPE and info.physical(logical):
                group_id = str(info.physical(logical))
                declared: dict[Rule, tuple[str, str]] = {}
                for entry in props.get("SecurityGroupIngress") or []:
                    rule = _declared(entry, False) if isinstance(entry, dict) else None
                    if rule:
                        declared[rule] = (info.label, logical)
                for entry in props.get("SecurityGroupEgress") or []:
                    rule = _declared(entry, True) if isinstance(entry, dict) else None
                    if rule:
                        declared[rule] = (info.label, logical)
                inline_egress = bool(props.get("SecurityGroupEgress"))
                found[group_id] = Group(group_id, info.label, logical, declared,
                                        frozenset() if inline_egress else default_egress(),
                                        default_egress=not inline_egress)
            elif kind == CLUSTER_TYPE:
                cluster_group = resolver.get({"Fn::GetAtt": [logical, "ClusterSecurityGroupId"]})
                if cluster_group:
                    own = {Rule.of(False, "-1", None, None, "group", str(cluster_group))} | default_egress()
                    found.setdefault(str(cluster_group), Group(
                        str(cluster_group), info.label, f"{logical}.ClusterSecurityGroupId", {}, frozenset(own)))
            elif kind in (INGRESS_TYPE, EGRESS_TYPE):
                rule = _declared(props, kind == EGRESS_TYPE)
                target = props.get("GroupId")
                if rule and target:
                    loose.append((str(target), info.label, logical, rule))
    for group_id, label, logical, rule in loose:
        if group_id in found:
            found[group_id].declared[rule] = (label, logical)
    return found


def _adopt(group: Group, rule: Rule, ctx: Context) -> str:
    """The stack-file key that declares such a rule, where one exists."""
    if group.logical_id == "SSH" and not rule.egress and rule.peer_kind == "group" and \
            rule.protocol == "tcp" and rule.from_port == rule.to_port == 22:
        nodegroup = group.stack.rsplit("/", 1)[-1]
        return (f"in the stack file: add {rule.peer} to managedNodeGroups[...].ssh.sourceSecurityGroupIds of the "
                f"nodegroup of {nodegroup}; then deploy {ctx.stack_arg}")
    if group.logical_id == "ManagementHostSecurityGroup" and not rule.egress and rule.peer_kind == "cidr" and \
            rule.protocol == "tcp" and rule.from_port == rule.to_port == 22:
        return f"in the stack file: add {rule.peer} to bastion.allowedCIDRs; then deploy {ctx.stack_arg}"
    return ("the stack file has no key that declares this rule: to keep it, it stays drift; revoke it and "
            "declare the access the templates give instead (bastion, ssh.sourceSecurityGroupIds)")


def compare(ec2: Any, infos: list[StackInfo], resolvers: dict[str, Resolver], ctx: Context
            ) -> tuple[list[Finding], frozenset[tuple[str, str]]]:
    """Undeclared live rules and declared rules that are gone; and the groups read
    (stack label, logical ID)."""
    by_id = groups(infos, resolvers)
    if not by_id:
        return [], frozenset()
    live: dict[str, dict[Rule, dict[str, Any]]] = {gid: {} for gid in by_id}
    ids = sorted(by_id)
    for start in range(0, len(ids), 200):  # a filter takes at most 200 values
        for entry in items(ec2.describe_security_group_rules, "SecurityGroupRules",
                           Filters=[{"Name": "group-id", "Values": ids[start:start + 200]}]):
            rule = _live(entry)
            group_id = str(entry.get("GroupId", ""))
            if rule is not None and group_id in live:
                live[group_id][rule] = dict(entry)
    found = []
    for group_id in ids:
        group = by_id[group_id]
        for rule, entry in sorted(live[group_id].items(), key=lambda kv: (kv[0].egress, kv[0].text())):
            if rule in group.declared or rule in group.tolerated:
                continue
            rule_id = str(entry.get("SecurityGroupRuleId", ""))
            direction = "egress" if rule.egress else "ingress"
            found.append(Finding(
                stack=group.stack, logical_id=group.logical_id, resource_type=GROUP_TYPE, status="UNDECLARED",
                summary=f"{rule.text()} ({rule_id}) is in no template", source="security-group-rules",
                physical_id=group_id, revert=REVERT_REVOKE, rule=(group_id, rule.egress, rule_id),
                undo=(f"aws ec2 revoke-security-group-{direction} --region {ctx.region} --group-id {group_id} "
                      f"--security-group-rule-ids {rule_id}"),
                adopt=_adopt(group, rule, ctx),
            ))
        for rule, (label, logical) in sorted(group.declared.items(), key=lambda kv: (kv[0].egress, kv[0].text())):
            if rule in live[group_id]:
                continue
            direction = "egress" if rule.egress else "ingress"
            found.append(Finding(
                stack=label, logical_id=logical, resource_type=GROUP_TYPE if logical == group.logical_id else (
                    EGRESS_TYPE if rule.egress else INGRESS_TYPE),
                status="MISSING", summary=f"{rule.text()} is declared but not on {group_id}",
                source="security-group-rules", physical_id=group_id,
                not_revertible=("an inline rule: a REVERT_DRIFT change set on the group would also revoke the "
                                "rules declared as separate resources, which CloudFormation counts as added to "
                                "its inline list; run the undo command"),
                undo=(f"aws ec2 authorize-security-group-{direction} --region {ctx.region} --group-id {group_id} "
                      f"--ip-permissions {shlex.quote(rule.ip_permissions())}"),
                adopt=f"remove the access from the stack file, if it is no longer wanted; then deploy {ctx.stack_arg}",
            ))
    return found, frozenset((g.stack, g.logical_id) for g in by_id.values())
