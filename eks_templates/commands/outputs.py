"""``outputs STACK [--json]``: the endpoint, security groups, kubeconfig command and
every output of the deployed stack."""

from __future__ import annotations

import argparse

from eks_templates.commands.deploy import add_stack_arguments

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks         # endpoint, security groups, kubeconfig command
  %(prog)s myeks --json  # every output as one JSON object
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    parser.add_argument("--json", action="store_true", help="all outputs as one JSON object")


def run(args: argparse.Namespace) -> int:
    from eks_templates.commands.deploy import load, make_context
    from eks_templates.deploy.outputs import show

    config = load(args, warnings=False)  # the stack file's warnings are for render/lint/plan/deploy
    ctx = make_context(args, config)
    ctx.ui.say(show(ctx.cfn, config.stack_name, ctx.aws.region, as_json=args.json))
    return 0
