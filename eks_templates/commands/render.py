"""``render [STACK|PATH] [--out-dir DIR] [--flat] [--format json|yaml] [--strict]``."""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from pathlib import Path


def today() -> _dt.date:
    """The clock, read here in the command layer (builders and validation get a date)."""
    return _dt.date.today()


def add_stack_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "stack", nargs="?", default=None,
        help="stack name (stacks/NAME.yaml) or path to a stack file; default: the built-in myeks cluster",
    )
    parser.add_argument("--strict", action="store_true", help="treat warnings in the stack file as errors")


def stack_file_kept(stack: str | None, what: str) -> list[tuple[Path, str]]:
    """The stack file ``stack`` names, for ``output_file``'s ``protect``: an output file
    the user names must not overwrite it (``diagram --out stacks/myeks.yaml``)."""
    from eks_templates.config.loader import CLI_PROJECT, resolve

    return [] if stack is None else [(resolve(stack, CLI_PROJECT), what)]


#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s                           # the built-in myeks cluster -> build/myeks/, root on stdout
  %(prog)s myeks > cluster.json      # stacks/myeks.yaml
  %(prog)s ./my-cluster.yaml --out-dir out/ --format yaml
  %(prog)s platform --flat --strict  # one template, warnings are errors
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument("--out-dir", default=None,  # str: type=Path makes '' the current directory
                        help="where to write the full set (default: build/<stack>/)")
    parser.add_argument("--flat", action="store_true", help="one template with every resource, no nested stacks")
    parser.add_argument("--format", choices=("json", "yaml"), default="json", help="template format")


def directory_text(path: Path | str) -> str:
    """A directory as the messages show it: with one trailing slash (``/``, not ``//``)."""
    text = str(path)
    return text if text.endswith("/") else f"{text}/"


def run(args: argparse.Namespace) -> int:
    from eks_templates import output_file
    from eks_templates.config import load_stack, versions
    from eks_templates.config.loader import CLI_PROJECT
    from eks_templates.errors import StdoutError, UserError
    from eks_templates.render import default_out_dir, render_set, stage_set

    if sys.stdout is None:  # started with stdout closed (`>&-`): the root template has nowhere to go
        raise UserError("stdout is closed; render prints the root template there: redirect it "
                        "(> cluster.json, or > /dev/null)")
    given = output_file.option_path(args.out_dir, "--out-dir", what="a directory")
    config = load_stack(args.stack, project_dir=CLI_PROJECT, strict=args.strict)
    rendered = render_set(config, fmt=args.format, flat=args.flat)
    out_dir = given or default_out_dir(rendered)
    # The set goes to temporary files first; stdout next; only then are the files put in
    # place, so a failed write to stdout (full, or a reader that stopped) leaves out_dir as it was.
    staged = stage_set(rendered, out_dir, on_warning=lambda line: print(line, file=sys.stderr))
    try:
        sys.stdout.write(rendered.files[rendered.root])
        sys.stdout.flush()
    except BrokenPipeError:
        staged.abort()
        raise  # the CLI exits as a pipeline stage whose reader went away
    except OSError as exc:
        staged.abort()
        raise StdoutError.about(exc) from None
    except BaseException:
        staged.abort()
        raise
    changed = len(staged.tmps)  # a file already there with the same bytes is not rewritten
    written = staged.commit()
    # Not a stack-file warning: never an error, not even with --strict.
    stale = versions.stale_warning(today())
    if stale:
        print(stale, file=sys.stderr)
    unchanged = len(written) - changed
    print(f"wrote {changed} template(s) to {directory_text(out_dir)}" + (f" ({unchanged} unchanged)" if unchanged
                                                                          else ""), file=sys.stderr)
    return 0
