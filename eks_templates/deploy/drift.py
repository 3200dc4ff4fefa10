"""``drift STACK``: what was changed by hand since the templates were deployed.

Three readings, one report (per nested stack, in the plan's style):

1. CloudFormation's drift detection on the root and on every nested stack
   (:mod:`.drift_cfn`): resources MODIFIED (each property's expected and actual value)
   or DELETED.
2. The live rules of every security group the stacks own and of the EKS-created cluster
   security group, against the rules the deployed templates declare (:mod:`.drift_rules`):
   what CloudFormation cannot see.
3. The live cluster and nodegroups against their templates (:mod:`.drift_eks`).

A finding that CloudFormation's detection and 2./3. both report is shown once (the
live comparison's, marked as seen by CloudFormation: a REVERT_DRIFT change set covers it).
Exit status: 0 in sync, 1 drifted (or not everything could be checked).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from eks_templates import program
from eks_templates.deploy import drift_eks, drift_rules
from eks_templates.deploy.drift_cfn import StackInfo, detect, read_tree
from eks_templates.deploy.drift_model import REVERT_CHANGE_SET, Difference, Finding, Resolver
from eks_templates.deploy.session import Aws
from eks_templates.deploy.stack_state import CREATE_STATES, describe_stack, in_progress
from eks_templates.deploy.ui import Timing
from eks_templates.errors import UserError

SYMBOL = {"MODIFIED": "~", "DELETED": "-", "UNDECLARED": "+", "MISSING": "-"}
#: property paths of CloudFormation's differences that the live comparisons cover
SG_RULE_PATHS = ("SecurityGroupIngress", "SecurityGroupEgress")
NOT_SEEN = ("CloudFormation's drift detection does not report it, so a REVERT_DRIFT change set would not touch "
            "it; run the undo command")


@dataclass
class Report:
    stack: str
    region: str
    stacks: list[StackInfo]
    findings: list[Finding] = field(default_factory=list)
    groups_checked: int = 0
    clusters: int = 0
    nodegroups: int = 0

    @property
    def unchecked(self) -> list[StackInfo]:
        return [s for s in self.stacks if s.detection_status != "DETECTION_COMPLETE"]

    @property
    def in_sync(self) -> bool:
        return not self.findings and not self.unchecked

    @property
    def exit_code(self) -> int:
        return 0 if self.in_sync else 1


def _arn_part(arn: str, index: int) -> str:
    parts = arn.split(":")
    return parts[index] if len(parts) > 5 else ""


def cfn_findings(info: StackInfo, stack_arg: str) -> list[Finding]:
    found = []
    for drift in info.drifts:
        status = str(drift.get("StackResourceDriftStatus", ""))
        diffs = [Difference(str(p.get("PropertyPath", "")), str(p.get("ExpectedValue", "")),
                            str(p.get("ActualValue", "")), str(p.get("DifferenceType", "NOT_EQUAL")))
                 for p in drift.get("PropertyDifferences") or []]
        deleted = status == "DELETED"
        found.append(Finding(
            stack=info.label, logical_id=str(drift.get("LogicalResourceId", "")),
            resource_type=str(drift.get("ResourceType", "")), status=status,
            summary="deleted outside CloudFormation" if deleted else
            f"{len(diffs)} propert{'y' if len(diffs) == 1 else 'ies'} changed outside CloudFormation",
            source="cloudformation", physical_id=str(drift.get("PhysicalResourceId", "")), differences=diffs,
            revert=REVERT_CHANGE_SET, cloudformation_sees=True,
            undo=f"{program.command('drift', stack_arg, '--revert')} (a REVERT_DRIFT change set on {info.name}; "
                 "it is shown before anything runs)",
            adopt=("remove it from the stack file if it is no longer wanted, then deploy" if deleted else
                   "change the stack file so its template says the actual value(s), then deploy"),
        ))
    return found


def _path(path: str) -> str:
    """``/ResourcesVpcConfig/PublicAccessCidrs/0`` -> ``ResourcesVpcConfig.PublicAccessCidrs``."""
    return ".".join(p for p in path.strip("/").split("/") if p and not re.fullmatch(r"\d+", p))


def merge(cfn: list[Finding], live: list[Finding], rule_groups: frozenset[tuple[str, str]] = frozenset()
          ) -> list[Finding]:
    """One finding per change.

    - CloudFormation's property differences that a live comparison reports too are
      dropped from its finding (and the finding, when nothing is left); the live finding
      is then marked as seen by CloudFormation (a REVERT_DRIFT change set covers it).
    - On a security group whose rules the live comparison read (``rule_groups``: stack
      label and logical ID), CloudFormation's ``SecurityGroupIngress``/``Egress``
      differences are dropped whatever they say: the live comparison knows every rule the
      templates declare, also as separate resources, which CloudFormation counts as added
      to the inline list of a group that has inline rules too.
    """
    by_resource: dict[tuple[str, str], Finding] = {(f.stack, f.logical_id): f for f in cfn}
    for key in rule_groups:
        other = by_resource.get(key)
        if other is not None and other.resource_type == drift_rules.GROUP_TYPE:
            other.differences = [d for d in other.differences if not _path(d.path).startswith(SG_RULE_PATHS)]
    kept_live = []
    for finding in live:
        other = by_resource.get((finding.stack, finding.logical_id))
        if other is None:
            kept_live.append(finding)
            continue
        if finding.source == "security-group-rules":
            if finding.status == "MISSING" and other.resource_type != drift_rules.GROUP_TYPE:
                continue  # the separate rule resource's own DELETED/MODIFIED finding says it
            kept_live.append(finding)
            continue
        covered = tuple(d.path for d in finding.differences)
        left = [d for d in other.differences if not any(_path(d.path).startswith(c) or c.startswith(_path(d.path))
                                                        for c in covered if _path(d.path))]
        if len(left) != len(other.differences):
            finding.cloudformation_sees = True
            other.differences = left
        kept_live.append(finding)
    merged = [f for f in cfn if f.status == "DELETED" or f.differences] + kept_live
    for finding in merged:
        if finding.revert == REVERT_CHANGE_SET and not finding.cloudformation_sees:
            finding.revert = ""
            finding.not_revertible = NOT_SEEN
    return merged


def run(aws: Aws, name: str, timing: Timing, *, stack_arg: str, nodegroups: tuple[str, ...] = ()) -> Report:
    cfn = aws.client("cloudformation")
    root = describe_stack(cfn, name)
    if root is None or str(root.get("StackStatus")) in CREATE_STATES:
        raise UserError(f"stack {name} is not deployed in {aws.region}; nothing to compare (deploy it first)")
    status = str(root["StackStatus"])
    if in_progress(status):
        raise UserError(f"stack {name} is {status}: CloudFormation does not detect drift while an operation runs; "
                        "run drift again when it has settled")
    infos = read_tree(cfn, str(root["StackId"]), name)
    detect(cfn, infos, timing)
    live = drift_eks.Live(aws.client("eks"))
    get_attribute = drift_eks.attribute(live, aws.region)
    resolvers = {info.label: Resolver(info, aws.region, account=_arn_part(info.stack_id, 4),
                                      partition=_arn_part(info.stack_id, 1) or aws.partition,
                                      attribute=get_attribute) for info in infos}
    ctx = drift_eks.Context(stack_arg=stack_arg, region=aws.region, nodegroups=nodegroups)
    cfn_found = [f for info in infos for f in cfn_findings(info, stack_arg)]
    eks_found = drift_eks.compare(infos, resolvers, live, ctx)
    rule_found, rule_groups = drift_rules.compare(aws.client("ec2"), infos, resolvers, ctx)
    order = {info.label: n for n, info in enumerate(infos)}
    findings = sorted(merge(cfn_found, eks_found + rule_found, rule_groups),
                      key=lambda f: (order.get(f.stack, len(order)), f.logical_id, f.status, f.summary))
    types = [str(spec.get("Type")) for info in infos for spec in (info.template.get("Resources") or {}).values()
             if isinstance(spec, dict)]
    return Report(stack=name, region=aws.region, stacks=infos, findings=findings, groups_checked=len(rule_groups),
                  clusters=types.count(drift_eks.CLUSTER_TYPE), nodegroups=types.count(drift_eks.NODEGROUP_TYPE))


# --------------------------------------------------------------------------- output


def finding_lines(finding: Finding, width: int) -> list[str]:
    lines = [f"  {SYMBOL.get(finding.status, '?')} {finding.status:<10} {finding.logical_id:<{width}}  "
             f"{finding.resource_type}  {finding.summary}"]
    for diff in finding.differences:
        lines.append(f"      {diff.path}: expected {diff.expected or '(none)'}, actual {diff.actual or '(none)'}")
    if finding.undo:
        lines.append(f"      undo:   {finding.undo}")
    if finding.adopt:
        lines.append(f"      adopt:  {finding.adopt}")
    if finding.revert:
        how = "revokes the rule" if finding.revert == "revoke" else "a REVERT_DRIFT change set"
        lines.append(f"      --revert: {how}")
    elif finding.not_revertible:
        lines.append(f"      --revert: cannot ({finding.not_revertible})")
    return lines


def format_report(report: Report) -> str:
    checks = [f"CloudFormation drift detection on {len(report.stacks)} stack(s)",
              f"live rules of {report.groups_checked} security group(s)"]
    if report.clusters or report.nodegroups:
        checks.append(f"EKS: {report.clusters} cluster(s), {report.nodegroups} nodegroup(s)")
    out = [f"Drift of {report.stack} in {report.region}: {'; '.join(checks)}", ""]
    for info in report.stacks:
        out.append(info.label)
        mine = [f for f in report.findings if f.stack == info.label]
        if info.detection_status != "DETECTION_COMPLETE":
            reason = f": {info.detection_reason}" if info.detection_reason else ""
            out.append(f"  ! drift detection {info.detection_status or 'not run'}{reason}")
        elif not mine:
            out.append("    (in sync)")
        width = max((len(f.logical_id) for f in mine), default=0)
        for finding in mine:
            out += finding_lines(finding, width)
    drifted = sorted({f.stack for f in report.findings})
    out.append("")
    if report.in_sync:
        out.append(f"Summary: in sync; nothing was changed outside the templates of {report.stack}")
    else:
        parts = [f"{len(report.findings)} finding(s) in {len(drifted)} stack(s)"]
        if report.unchecked:
            parts.append(f"{len(report.unchecked)} stack(s) not fully checked")
        revertible = sum(1 for f in report.findings if f.revert)
        parts.append(f"{revertible} of them handled by `drift --revert`")
        out.append(f"Summary: {'; '.join(parts)}")
    return "\n".join(out)


def to_json(report: Report) -> str:
    body: dict[str, Any] = {
        "stack": report.stack, "region": report.region, "inSync": report.in_sync,
        "securityGroupsChecked": report.groups_checked,
        "stacks": [{"label": s.label, "stackName": s.name, "stackId": s.stack_id, "status": s.status,
                    "detectionStatus": s.detection_status, "detectionReason": s.detection_reason or None,
                    "driftStatus": s.drift_status or None} for s in report.stacks],
        "findings": [f.as_json() for f in report.findings],
    }
    return json.dumps(body, indent=2, sort_keys=True)
