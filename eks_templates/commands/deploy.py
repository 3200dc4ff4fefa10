"""``deploy STACK``: render, lint, upload, change set, confirm, execute, watch, outputs.

Also holds the arguments and the session set-up that ``plan``, ``outputs``, ``scale``
and ``delete`` share (imported by them; nothing here imports boto3 at parse time).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from eks_templates import program


def seconds(text: str) -> float:
    """``--poll``: a number of seconds, 0 or more (0: poll at once, for the sandbox)."""
    return _number(text, at_least=0.0, unit="seconds")


def minutes(text: str) -> float:
    """``--timeout``: a number of minutes above 0."""
    return _number(text, at_least=None, unit="minutes")


def _number(text: str, *, at_least: float | None, unit: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of {unit}")
    if at_least is not None and value < at_least:
        raise argparse.ArgumentTypeError(f"{text} is negative; give {unit}, 0 or more")
    if at_least is None and value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: give more than 0 {unit}")
    return value


def add_stack_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack", help="stack name (stacks/NAME.yaml) or path to a stack file")
    parser.add_argument("--strict", action="store_true", help="treat warnings in the stack file as errors")
    parser.add_argument("--profile", default=None, help="AWS profile (default: AWS_PROFILE)")
    parser.add_argument("--endpoint-url", default=None,
                        help="AWS endpoint override, e.g. a local sandbox (default: AWS_ENDPOINT_URL)")
    parser.add_argument("--poll", type=seconds, default=5.0, metavar="SECONDS",
                        help="seconds between polls of change sets and stack events (default: 5)")


def add_watch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--no-wait", dest="wait", action="store_false",
                        help="refuse instead of watching an operation that is already running on the stack")
    parser.add_argument("--timeout", type=minutes, default=180.0, metavar="MINUTES",
                        help="stop watching after this long; the stack keeps going (default: 180)")


#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks               # shows the change set, asks, executes, watches
  %(prog)s myeks --yes         # no question
  %(prog)s myeks --no-execute  # keep the change set for review, change nothing
  # rehearse against a local sandbox (the `sandbox` command):
  %(prog)s myeks --yes --endpoint-url http://localhost:5000
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    add_watch_arguments(parser)
    parser.add_argument("--no-execute", action="store_true",
                        help="create and show the change set, keep it for review, change nothing")
    parser.add_argument("--allow-replacement", action="store_true",
                        help="lift the stack policy that denies replacing the cluster or a nodegroup; a "
                             "replacement that keeps a custom name (as ours do) is refused all the same")
    parser.add_argument("--recreate-failed", action="store_true",
                        help="a stack whose first create failed (ROLLBACK_COMPLETE) is deleted and created again")
    parser.add_argument("--force", dest="force_upgrade", action="store_true",
                        help="a Kubernetes upgrade goes ahead past EKS upgrade insights in ERROR (the cluster's Force)")


def resume_command(args: argparse.Namespace, command: str) -> str:
    argv = sys.argv[1:]
    if argv[:1] == [command]:
        return program.command(shlex.join(argv))
    return program.command(command, shlex.quote(args.stack))


def load(args: argparse.Namespace, *, warnings: bool = True) -> Any:
    """The stack file of ``args.stack``. Its warnings are printed by the commands that
    render it (render, lint, plan, deploy); ``warnings=False`` (outputs, scale, delete, drift,
    get, kubeconfig) keeps them quiet: those commands do not act on what they warn about.
    ``--strict`` still fails on them."""
    from eks_templates.config import load_stack
    from eks_templates.config.loader import CLI_PROJECT

    return load_stack(args.stack, project_dir=CLI_PROJECT, strict=args.strict,
                      on_warning=_stderr if warnings else None)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def make_context(args: argparse.Namespace, config: Any) -> Any:
    from eks_templates.deploy.flow import Context
    from eks_templates.deploy.session import make_aws
    from eks_templates.deploy.ui import Timing, Ui

    aws = make_aws(config.metadata.region, profile=args.profile, endpoint_url=args.endpoint_url)
    timeout = getattr(args, "timeout", 180.0)
    return Context(aws=aws, ui=Ui.from_terminal(), timing=Timing(poll=args.poll,
                                                                  stack_timeout=timeout * 60))


def make_options(args: argparse.Namespace, command: str) -> Any:
    from eks_templates.deploy.flow import Options

    return Options(
        yes=getattr(args, "yes", False),
        no_execute=getattr(args, "no_execute", False),
        allow_replacement=getattr(args, "allow_replacement", False),
        recreate_failed=getattr(args, "recreate_failed", False),
        wait=getattr(args, "wait", True),
        resume_command=resume_command(args, command),
        force=getattr(args, "force_upgrade", False),
        stack_arg=getattr(args, "stack", ""),
    )


def run(args: argparse.Namespace) -> int:
    from eks_templates.deploy.flow import deploy

    config = load(args)
    return deploy(make_context(args, config), config, make_options(args, "deploy"))
