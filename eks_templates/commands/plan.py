"""``plan STACK``: render, lint, upload, create the change set and show it
(per nested stack, REPLACEMENTS, parameter diff), then delete it. Changes nothing."""

from __future__ import annotations

import argparse

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
    parser.add_argument("--diagram", default=None, metavar="FILE",  # str: type=Path makes '' the current directory
                        help="also draw the change set's effect on the cluster's picture (.svg .png .mmd .dot)")


def run(args: argparse.Namespace) -> int:
    from eks_templates import output_file
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.commands.render import stack_file_kept
    from eks_templates.deploy.flow import deploy

    diagram = output_file.option_path(args.diagram, "--diagram")
    if diagram is not None:  # refused before any AWS call: a directory, a device, the stack file
        output_file.check(diagram, "--diagram", protect=stack_file_kept(args.stack, "the stack file being planned"))
    config = load(args)
    opts = make_options(args, "plan")
    opts.diagram = diagram
    return deploy(make_context(args, config), config, opts, plan_only=True)
