"""``diff [STACK|PATH] [--against DIR] [--strict]``: list what a new render would
replace or delete, compared with an earlier render (default: ``build/<stack>/``).

Exit 0: nothing is replaced or deleted. Exit 1: replacements or deletions found (CI
can gate on it). Exit 2: bad input (stack file, missing or unreadable render).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from eks_templates.commands.render import add_stack_argument

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks                       # against build/myeks/, the last render
  %(prog)s myeks --against old-render/  # against a render kept elsewhere
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_argument(parser)
    parser.add_argument(
        "--against", type=Path, default=None, metavar="DIR",
        help="the earlier render to compare with (default: build/<stack>/, the last `render`)",
    )


def run(args: argparse.Namespace) -> int:
    from eks_templates import diff
    from eks_templates.config import load_stack
    from eks_templates.config.loader import CLI_PROJECT
    from eks_templates.render import default_out_dir, latest_set, render_set

    config = load_stack(args.stack, project_dir=CLI_PROJECT, strict=args.strict)
    rendered = render_set(config)
    against = args.against or default_out_dir(rendered)
    old = diff.load_dir(against, latest_set(against))
    if any(Path(n).stem == "flat" for n in old) and not any(Path(n).stem == "root" for n in old):
        # the earlier render was --flat
        rendered = render_set(config, flat=True)
    new = {name: json.loads(text) for name, text in rendered.files.items()}
    changes = diff.compare(old, new, root=rendered.root, schemas=diff.Schemas(config.metadata.region))
    print(f"comparing {config.stack_name} with {against}/")
    for line in diff.report(changes):
        print(line)
    return 1 if changes else 0
