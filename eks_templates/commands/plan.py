"""``plan STACK``: render, lint, upload, create the change set and show it
(per nested stack, REPLACEMENTS, parameter diff), then delete it. Changes nothing."""

from __future__ import annotations

import argparse

from eks_templates.commands.deploy import add_stack_arguments


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.deploy.flow import deploy

    config = load(args)
    return deploy(make_context(args, config), config, make_options(args, "plan"), plan_only=True)
