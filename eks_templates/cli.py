"""Command-line entry point: argument parsing, exit codes and printing only.

Each sub-command lives in ``eks_templates.commands.<name>`` and exposes
``configure(parser)`` and ``run(args) -> int``. Modules are imported only when their
command runs, so ``render`` never pays for boto3, cfn-lint or moto.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from eks_templates.errors import EksTemplatesError

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "render": ("eks_templates.commands.render", "render the templates (offline)"),
    "lint": ("eks_templates.commands.lint", "render, then cfn-lint and quota-check every template"),
    "diff": ("eks_templates.commands.diff", "list replacements and renames against an earlier render"),
    "plan": ("eks_templates.commands.plan", "show the change set a deploy would execute"),
    "deploy": ("eks_templates.commands.deploy", "render, lint, upload and deploy through a change set"),
    "outputs": ("eks_templates.commands.outputs", "print a deployed stack's outputs"),
    "scale": ("eks_templates.commands.scale", "change a nodegroup's size through a change set"),
    "upgrade": ("eks_templates.commands.upgrade", "write the next Kubernetes version (and AMI releases) into the file"),
    "delete": ("eks_templates.commands.delete", "delete a deployed cluster stack"),
    "sandbox": ("eks_templates.commands.sandbox", "run a local AWS endpoint (moto) for rehearsals"),
}


def build_parser(commands: dict[str, tuple[str, str]] | None = None) -> argparse.ArgumentParser:
    commands = COMMANDS if commands is None else commands
    parser = argparse.ArgumentParser(
        prog="python -m eks_templates",
        description="EKS clusters as plain CloudFormation nested stacks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in commands.items():
        cmd_parser = sub.add_parser(name, help=help_text, description=help_text)
        cmd_parser.set_defaults(_module=module)
        importlib.import_module(module).configure(cmd_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only the chosen command's module is imported (keeps `render` light).
    chosen = {argv[0]: COMMANDS[argv[0]]} if argv and argv[0] in COMMANDS else COMMANDS
    parser = build_parser(chosen)
    args = parser.parse_args(argv)
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args))
    except EksTemplatesError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
