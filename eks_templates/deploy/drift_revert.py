"""``drift --revert``: put back what the templates say.

- Undeclared security-group rules: revoked by rule ID (EC2 RevokeSecurityGroupIngress /
  RevokeSecurityGroupEgress ``SecurityGroupRuleIds``), after the same confirmation as a
  deploy (``--yes`` skips it).
- What CloudFormation's detection reports: CloudFormation does not touch drifted
  properties on an update whose template did not change (an UPDATE with the previous
  template and parameters is "No updates are to be performed"). A drift-aware change
  set does: ``CreateChangeSet`` with ``DeploymentMode: REVERT_DRIFT`` compares the
  template with the live state and overwrites drifted properties with the template's
  values (CloudFormation User Guide, "Using drift-aware change sets"). One such change
  set per drifted stack, on that stack (drift is detected per stack, so the change set
  is made where the drift is), with its previous template and parameters; it is shown
  and confirmed like a deploy's.
- Anything else cannot be reverted this way and is listed with the reason and its undo
  command: what CloudFormation's detection does not report (a change set in
  REVERT_DRIFT mode reverts only drift CloudFormation sees) and what EKS cannot undo
  (a newer Kubernetes version).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from eks_templates import program
from eks_templates.deploy.drift import Report
from eks_templates.deploy.drift_model import REVERT_CHANGE_SET, REVERT_REVOKE, Finding
from eks_templates.deploy.flow import Context, Options, Request, run_change_set
from eks_templates.deploy.params import ParamChoice

DEPLOYMENT_MODE = "REVERT_DRIFT"


def _revoke(ctx: Context, findings: list[Finding], opts: Options) -> None:
    ui = ctx.ui
    ui.say(f"Security-group rules in no template ({len(findings)}), to be revoked:")
    for finding in findings:
        ui.say(f"  - {finding.physical_id}  {finding.summary}")
    ui.confirm(f"Revoke {len(findings)} rule(s)?", yes=opts.yes,
               refuse_hint="pass --yes to revert without a prompt")
    by_group: dict[tuple[str, bool], list[str]] = defaultdict(list)
    for finding in findings:
        assert finding.rule is not None
        group_id, egress, rule_id = finding.rule
        by_group[(group_id, egress)].append(rule_id)
    ec2 = ctx.aws.client("ec2")
    for (group_id, egress), rule_ids in sorted(by_group.items()):
        call = ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress
        call(GroupId=group_id, SecurityGroupRuleIds=sorted(rule_ids))
    ui.say(f"Revoked {len(findings)} rule(s).")


def unchanged_marker(found: list[bool]) -> Callable[[], None]:
    return lambda: found.append(True)


def revert(ctx: Context, report: Report, opts: Options, *, stack_arg: str) -> int:
    """Revoke, run the REVERT_DRIFT change sets, list what is left; 0 when nothing is left."""
    ui = ctx.ui
    revokes = [f for f in report.findings if f.revert == REVERT_REVOKE]
    by_stack: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        if finding.revert == REVERT_CHANGE_SET:
            by_stack[finding.stack].append(finding)
    left = [f for f in report.findings if not f.revert]
    ui.say("")
    if revokes:
        _revoke(ctx, revokes, opts)
    for info in report.stacks:
        if info.label not in by_stack:
            continue
        ui.say("")
        ui.say(f"{info.label}: a REVERT_DRIFT change set on {info.name} for "
               f"{', '.join(sorted({f.logical_id for f in by_stack[info.label]}))}")
        unchanged: list[bool] = []
        req = Request(
            stack_name=info.name, change_set_type="UPDATE", template_args={"UsePreviousTemplate": True},
            choices=[ParamChoice(k, use_previous=True) for k in sorted(info.parameters)], live=info.parameters,
            tags=None, description=f"eks_templates drift --revert of {report.stack}: {DEPLOYMENT_MODE}",
            deployment_mode=DEPLOYMENT_MODE,
        )
        run_change_set(ctx, req, opts, on_no_change=unchanged_marker(unchanged))
        if unchanged:
            ui.say(f"  CloudFormation's drift-aware change set changes nothing on {info.name}; still drifted:")
            left += by_stack[info.label]
    if left:
        ui.say("")
        ui.say(f"Not reverted ({len(left)}):")
        for finding in left:
            why = finding.not_revertible or "the REVERT_DRIFT change set did not change it"
            ui.say(f"  {finding.stack}  {finding.logical_id}  {finding.summary}: {why}")
            if finding.undo:
                ui.say(f"      undo:   {finding.undo}")
            if finding.adopt:
                ui.say(f"      adopt:  {finding.adopt}")
        return 1
    ui.say("")
    ui.say(f"Reverted: run `{program.command('drift', stack_arg)}` to check.")
    return 0
