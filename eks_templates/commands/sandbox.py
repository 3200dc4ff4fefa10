"""``sandbox [--port N]``: a local AWS endpoint (moto's server plus the CloudFormation
models our templates need) in the foreground, for rehearsing deploys without an account."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=5000, help="port on localhost (default: 5000; 0 = any free port)")


def run(args: argparse.Namespace) -> int:
    from eks_templates.sandbox.server import serve_forever

    return int(serve_forever(args.port) or 0)
