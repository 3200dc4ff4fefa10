"""``sandbox [--port N]``: a local AWS endpoint (moto's server plus the CloudFormation
models our templates need) in the foreground, for rehearsing deploys without an account."""

from __future__ import annotations

import argparse


def port(text: str) -> int:
    """A TCP port number, 0-65535 (0: any free port)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; give 0-65535") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number; give 0-65535 (0: any free port)")
    return value


#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s           # http://localhost:5000 (needs: pip install 'eks-templates[sandbox]')
  %(prog)s --port 0  # any free port; the first line printed names it
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=port, default=5000, help="port on localhost (default: 5000; 0 = any free port)")


def run(args: argparse.Namespace) -> int:
    from eks_templates.sandbox.server import serve_forever

    return int(serve_forever(args.port) or 0)
