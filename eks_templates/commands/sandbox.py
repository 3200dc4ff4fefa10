"""``sandbox [--port N] [--delays FILE [--factor N]]``: a local AWS endpoint (moto's
server plus the CloudFormation models our templates need) in the foreground, for
rehearsing deploys without an account; with ``--delays``, creates take time
(:mod:`eks_templates.sandbox.timeline`)."""

from __future__ import annotations

import argparse
import math


def port(text: str) -> int:
    """A TCP port number, 0-65535 (0: any free port)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number; give 0-65535") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number; give 0-65535 (0: any free port)")
    return value


def factor(text: str) -> float:
    """A time factor: a number greater than 0 (simulated seconds per wall-clock second)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a factor greater than 0") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a factor; give a number greater than 0")
    return value


#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s           # http://localhost:5000 (needs: pip install 'eks-templates[sandbox]')
  %(prog)s --port 0  # any free port; the first line printed names it
  # creates take time: the table's seconds divided by its factor (the first line says so)
  %(prog)s --port 0 --delays delays.json
  %(prog)s --delays delays.json --factor 100  # the file's table, 100 times faster
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=port, default=5000, help="port on localhost (default: 5000; 0 = any free port)")
    parser.add_argument("--delays", metavar="FILE", default=None,
                        help="time-scaled mode: a JSON or YAML file {factor, stackOverhead, default, seconds: "
                             "{TYPE: SECONDS}}; a successful create takes that long divided by the factor")
    parser.add_argument("--factor", type=factor, default=None, metavar="N",
                        help="with --delays: divide every duration by N instead of the file's factor")


def run(args: argparse.Namespace) -> int:
    from eks_templates.errors import UserError

    delays = None
    if args.delays is not None:
        from eks_templates.sandbox.timeline import load_delays

        delays = load_delays(args.delays).with_factor(args.factor)
    elif args.factor is not None:
        raise UserError("--factor needs --delays FILE (the table of creation times it divides)")
    from eks_templates.sandbox.server import serve_forever

    return int(serve_forever(args.port, delays, args.delays) or 0)
