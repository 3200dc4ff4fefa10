"""``plan STACK``: render, lint, upload, create the change set and show it
(per nested stack, REPLACEMENTS, parameter diff), then delete it. Changes nothing."""

from __future__ import annotations

import argparse
from pathlib import Path

from eks_templates.commands.deploy import add_stack_arguments

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks                     # the change set a deploy would execute; nothing is changed
  %(prog)s myeks --diagram plan.svg  # also draw what the change set does
  %(prog)s myeks --profile prod --endpoint-url http://localhost:5000
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    parser.add_argument("--diagram", type=Path, default=None, metavar="FILE",
                        help="also draw the change set's effect on the cluster's picture (.svg .png .mmd .dot)")


def run(args: argparse.Namespace) -> int:
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.deploy.flow import deploy

    config = load(args)
    opts = make_options(args, "plan")
    opts.diagram = args.diagram
    return deploy(make_context(args, config), config, opts, plan_only=True)
