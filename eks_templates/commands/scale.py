"""``scale STACK NODEGROUP --nodes N [--min N] [--max N]``: resize a managed
nodegroup through a change set (previous template, one parameter changed)."""

from __future__ import annotations

import argparse

from eks_templates.commands.deploy import add_stack_arguments, add_watch_arguments

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks myeks-nodegroup --nodes 3 --max 3
  %(prog)s myeks myeks-nodegroup --nodes 1 --min 1 --yes
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    parser.add_argument("nodegroup", help="managed nodegroup name (managedNodeGroups[].name)")
    parser.add_argument("--nodes", type=int, required=True, help="desired number of nodes")
    parser.add_argument("--min", type=int, default=None, help="minimum size (default: unchanged)")
    parser.add_argument("--max", type=int, default=None, help="maximum size (default: unchanged)")
    add_watch_arguments(parser)
    parser.add_argument("--no-execute", action="store_true",
                        help="create and show the change set, keep it for review, change nothing")


def run(args: argparse.Namespace) -> int:
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.deploy.scale import scale

    config = load(args, warnings=False)  # the stack file's warnings are for render/lint/plan/deploy
    return scale(make_context(args, config), config, args.nodegroup, args.nodes, make_options(args, "scale"),
                 minimum=args.min, maximum=args.max)
