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

from eks_templates import interrupts, program
from eks_templates.errors import EksTemplatesError, StdoutError
from eks_templates.help_format import RawDescriptionHelpFormatter  # argparse's, without importing shutil

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
    "drift": ("eks_templates.commands.drift", "find what was changed by hand since the deploy, and undo or adopt it"),
    "delete": ("eks_templates.commands.delete", "delete a deployed cluster stack"),
    "get": ("eks_templates.commands.get", "list deployed clusters, or a stack's nodegroups (EKS and the stack)"),
    "kubeconfig": ("eks_templates.commands.kubeconfig", "write or merge the cluster into a kubeconfig"),
    "sandbox": ("eks_templates.commands.sandbox", "run a local AWS endpoint (moto) for rehearsals"),
}


#: ``prog`` when run as ``python -m eks_templates`` (or called as a function: ``main(argv)``)
PYTHON_M = program.PYTHON_M
#: the distribution whose version ``--version`` prints (pyproject.toml's ``[project] name``)
DISTRIBUTION = "eks-templates"
#: what ``--help`` ends with; each command's module has its own ``EXAMPLES`` (``%(prog)s``: the command as invoked)
EXAMPLES = """\
examples:
  %(prog)s render         # the built-in cluster, offline, into build/myeks/
  %(prog)s lint myeks     # stacks/myeks.yaml: cfn-lint and the quota checks
  %(prog)s plan myeks     # the change set a deploy would execute
  %(prog)s deploy myeks   # deploy it (asks first)
  %(prog)s render --help  # one command's flags and examples
"""


def build_parser(commands: dict[str, tuple[str, str]] | None = None, prog: str = PYTHON_M) -> argparse.ArgumentParser:
    commands = COMMANDS if commands is None else commands
    parser = argparse.ArgumentParser(
        prog=prog,
        description="EKS clusters as plain CloudFormation nested stacks.",
        epilog=EXAMPLES, formatter_class=RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in commands.items():
        command_module = importlib.import_module(module)
        cmd_parser = sub.add_parser(name, help=help_text, description=help_text,
                                    epilog=getattr(command_module, "EXAMPLES", None),
                                    formatter_class=RawDescriptionHelpFormatter)
        cmd_parser.set_defaults(_module=module)
        command_module.configure(cmd_parser)
    return parser


# --------------------------------------------------------------------------- name and version


def program_name(argv0: str) -> str:
    """The name the user typed, for usage lines and examples: the console script's basename
    (``eks-templates``, or whatever a symlink calls it), or ``python -m eks_templates``
    when ``argv0`` is the package's ``__main__.py`` (or empty, as under ``python -c``)."""
    base = os.path.basename(argv0)
    if base.lower().endswith(".exe"):  # a console script on Windows
        base = base[: -len(".exe")]
    if not base or base == "-c" or base.endswith(".py"):
        return PYTHON_M
    return base


def version_line() -> str:
    """``eks-templates 0.1.0``, from the installed distribution's metadata; importlib.metadata
    is imported here only, so commands that do not ask for the version never load it."""
    from importlib import metadata

    try:
        return f"{DISTRIBUTION} {metadata.version(DISTRIBUTION)}"
    except metadata.PackageNotFoundError:  # imported from a source tree that was never installed
        from eks_templates import __version__

        return f"{DISTRIBUTION} {__version__} (not installed: the source tree's version)"


class VersionAction(argparse.Action):
    """``--version``: print :func:`version_line` and exit 0 (argparse's own ``version``
    action would need the text, and so the metadata import, on every run)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "print the installed version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(version_line())
        parser.exit(0)


def main(argv: Sequence[str] | None = None) -> int:
    argv_is_sys = argv is None  # the process's own command line: sys.argv[0] names the program
    if argv_is_sys:
        exit_without_collecting()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only the chosen command's module is imported (keeps `render` light).
    chosen = {argv[0]: COMMANDS[argv[0]]} if argv and argv[0] in COMMANDS else COMMANDS
    prog = program_name(sys.argv[0]) if argv_is_sys else PYTHON_M
    program.set_invoked(prog)  # every next-step hint names the program as invoked (program.command)
    parser = build_parser(chosen, prog=prog)
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


# --------------------------------------------------------------------------- exit


def exit_without_collecting() -> None:
    """At the process's exit, leave what is still alive out of the interpreter's last
    garbage collections (``gc.freeze`` from ``atexit``, which runs before them).

    When Python exits it runs the cycle collector over every object still alive (every
    module, template and model) while it tears the modules down: about a sixth of the CPU
    time of ``python -c "import troposphere.ec2, ..."`` (143 -> 118 ms with the freeze, on a
    loaded machine), more after a render (issue 17 item 5; bench/run.py's render row shows
    render against both floors, with and without it). The process is about to end, so what the
    collector would free goes back to the system with it; reference counting still
    frees everything else as before, and ``atexit`` handlers and the flush of stdout and
    stderr run as they did; what no longer runs is the ``__del__`` of an object caught in a
    reference cycle at exit (Python does not promise it either; files here are written and
    closed by ``with``). Only for the process's own command line (``main()`` without
    ``argv``), never for a caller that goes on (tests, a library user)."""
    import atexit
    import gc

    atexit.register(gc.freeze)


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
