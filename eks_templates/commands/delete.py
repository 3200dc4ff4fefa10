"""``delete STACK [--yes] [--force]``: delete the cluster stack, after listing what
Kubernetes created that would make the delete fail."""

from __future__ import annotations

import argparse

from eks_templates.commands.deploy import add_stack_arguments, add_watch_arguments

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks                # asks you to type the stack's name
  %(prog)s myeks --yes --force  # no question; go ahead past blocking load balancers
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    add_watch_arguments(parser)
    parser.add_argument("--force", action="store_true",
                        help="delete even though load balancers or network interfaces would block it")


def run(args: argparse.Namespace) -> int:
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.deploy.delete import delete

    config = load(args, warnings=False)  # the stack file's warnings are for render/lint/plan/deploy
    return delete(make_context(args, config), config, make_options(args, "delete"), force=args.force)
