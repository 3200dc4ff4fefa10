"""Command-line entry point: argument parsing, exit codes and printing only.

Each sub-command lives in ``eks_templates.commands.<name>`` and exposes
``configure(parser)`` and ``run(args) -> int``. Modules are imported only when their
command runs, so ``render`` never pays for boto3, cfn-lint or moto.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from eks_templates import interrupts
from eks_templates.errors import EksTemplatesError, StdoutError
from eks_templates.help_format import HelpFormatter  # argparse's, without importing shutil

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "render": ("eks_templates.commands.render", "render the templates (offline)"),
    "lint": ("eks_templates.commands.lint", "render, then cfn-lint and quota-check every template"),
    "diagram": ("eks_templates.commands.diagram", "draw the cluster: nested stacks, network, security-group rules"),
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
        formatter_class=HelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in commands.items():
        cmd_parser = sub.add_parser(name, help=help_text, description=help_text, formatter_class=HelpFormatter)
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
        with interrupts.sticky():  # a Ctrl-C swallowed by a finalizer is raised again (interrupts.py)
            code = int(module.run(args))
    except EksTemplatesError as exc:
        if isinstance(exc, StdoutError):
            _discard_stdout()
        for line in exc.lines():
            print(line, file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_failed(None)
    except Exception as exc:  # an AWS failure becomes one line (deploy/aws_errors.py); a bug stays a traceback
        from eks_templates.deploy.aws_errors import translate

        error = translate(exc)
        if error is None:
            raise
        for line in error.lines():
            print(line, file=sys.stderr)
        return error.exit_code
    try:  # what is still buffered for stdout fails here, not in the interpreter's exit
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        return _stdout_failed(exc)
    return code


# --------------------------------------------------------------------------- stdout
# A reader that stops early (`| head`), stdout on a full disk (`> /dev/full`): one line
# (or none, for the reader that stopped) and the conventional exit, never a traceback
# or Python's "Exception ignored ... BrokenPipeError" at exit.

#: exit status of a pipeline stage whose reader went away (128 + SIGPIPE), as for `yes | head`
EXIT_BROKEN_PIPE = 141


def _stdout_failed(exc: OSError | None) -> int:
    """Writing to stdout failed: no reader any more (``exc`` None or a BrokenPipeError:
    silent, 141) or another error such as a full disk (one line, exit 2)."""
    _discard_stdout()
    if exc is None or isinstance(exc, BrokenPipeError):
        return EXIT_BROKEN_PIPE
    print(StdoutError.about(exc).lines()[0], file=sys.stderr)
    return StdoutError.exit_code


def _discard_stdout() -> None:
    """Point stdout's descriptor at /dev/null, so the interpreter's own flush at exit
    (of what the failed write left buffered) succeeds silently."""
    try:
        fd = sys.stdout.fileno() if sys.stdout is not None else -1
    except (OSError, ValueError, AttributeError):  # a captured stream (tests) has no descriptor
        return
    if fd >= 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
