"""``diagram [STACK|PATH] [--format svg|png|mermaid|dot] [--out FILE] [--strict]``:
the cluster as a picture, from the rendered templates (offline)."""

from __future__ import annotations

import argparse
import sys

from eks_templates.commands.render import add_stack_argument, stack_file_kept

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks                           # build/myeks/diagram.svg (needs Graphviz' dot)
  %(prog)s platform --out platform.png
  %(prog)s myeks --format mermaid --out -  # Mermaid text on stdout, no Graphviz needed
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument("--format", choices=("svg", "png", "mermaid", "dot"), default=None,
                        help="svg and png need Graphviz' dot program; mermaid and dot need nothing "
                             "(default: from --out's suffix, else svg)")
    parser.add_argument("--out", default=None, metavar="FILE",  # str: type=Path makes '' the current directory
                        help="write the picture here (default: build/<stack>/diagram.<suffix>; '-' for stdout)")


def run(args: argparse.Namespace) -> int:
    from eks_templates import diagram, output_file
    from eks_templates.config import load_stack
    from eks_templates.config.loader import CLI_PROJECT
    from eks_templates.render import default_out_dir, render_set

    to_stdout = args.out is not None and str(args.out) == "-"
    out = None if to_stdout else output_file.option_path(args.out, "--out")
    # the stack file being drawn is not the picture's place (`--out stacks/myeks.yaml`)
    protect = stack_file_kept(args.stack, "the stack file being drawn")
    if out is not None:  # refused before the render: a directory, a device, the stack file
        output_file.check(out, "--out", protect=protect)
    config = load_stack(args.stack, project_dir=CLI_PROJECT, strict=args.strict)
    rendered = render_set(config)
    fmt = diagram.format_for(out, args.format)
    data = diagram.output(diagram.from_rendered(rendered, config), fmt)
    if to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = out or default_out_dir(rendered) / f"diagram{diagram.SUFFIX[fmt]}"
    output_file.write(out, data, "--out", protect=protect)
    print(f"wrote {out} ({fmt})", file=sys.stderr)
    return 0
