"""``drift STACK [--json] [--revert [--yes]]``: what was changed by hand since the
deploy (CloudFormation's drift detection on every nested stack, the live security-group
rules, the live cluster and nodegroups), each finding with its remedy; ``--revert``
puts the templates' values back. Exit 0 in sync, 1 drifted, 2 bad input."""

from __future__ import annotations

import argparse

from eks_templates.commands.deploy import add_stack_arguments

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks                  # report, exit 1 if anything drifted
  %(prog)s myeks --json           # the same as one JSON object
  %(prog)s myeks --revert         # revoke undeclared rules, REVERT_DRIFT change sets (asks)
  make drift STACK=myeks ARGS="--revert --yes"
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    parser.add_argument("--json", action="store_true", help="the report as one JSON object (no --revert)")
    parser.add_argument("--revert", action="store_true",
                        help="revoke undeclared security-group rules and restore the templates' values through "
                             "REVERT_DRIFT change sets, after confirmation")
    parser.add_argument("--yes", "-y", action="store_true", help="with --revert: do not ask for confirmation")


def run(args: argparse.Namespace) -> int:
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.deploy.drift import format_report, to_json
    from eks_templates.deploy.drift import run as detect
    from eks_templates.errors import UserError

    if args.json and args.revert:
        raise UserError("--json and --revert do not go together: --revert asks and shows change sets")
    config = load(args, warnings=False)  # the stack file's warnings are for render/lint/plan/deploy
    ctx = make_context(args, config)
    report = detect(ctx.aws, config.stack_name, ctx.timing, stack_arg=args.stack,
                    nodegroups=tuple(ng.name for ng in config.managed_node_groups))
    if args.json:
        ctx.ui.say(to_json(report))
        return report.exit_code
    ctx.ui.say(format_report(report))
    if not args.revert or not report.findings:  # nothing to revert (in sync, or only stacks not checked)
        return report.exit_code
    from eks_templates.deploy.drift_revert import revert

    return revert(ctx, report, make_options(args, "drift"), stack_arg=args.stack)
