"""``lint [STACK|PATH] [--flat]``: render, then cfn-lint and quota-check every template."""

from __future__ import annotations

import argparse
import sys

from eks_templates.commands.render import add_stack_argument

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s           # the built-in myeks cluster
  %(prog)s platform  # stacks/platform.yaml, every child template
  %(prog)s ./my-cluster.yaml --flat --strict
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument("--flat", action="store_true", help="lint the single flat template instead")


def run(args: argparse.Namespace) -> int:
    from eks_templates.config import load_stack
    from eks_templates.config.loader import CLI_PROJECT
    from eks_templates.lint import lint_set
    from eks_templates.render import render_set

    config = load_stack(args.stack, project_dir=CLI_PROJECT, strict=args.strict)
    rendered = render_set(config, flat=args.flat)
    findings = lint_set(rendered, region=config.metadata.region)
    for finding in findings:
        print(finding)
    count = len(rendered.files)
    if findings:
        print(f"{len(findings)} finding(s) in {count} template(s) of {rendered.stack_name}", file=sys.stderr)
        return 1
    print(f"{rendered.stack_name}: {count} template(s), no findings", file=sys.stderr)
    return 0
