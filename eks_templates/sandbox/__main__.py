"""``python -m eks_templates.sandbox [--port N]``: run the local sandbox in the foreground."""

from __future__ import annotations

import argparse
import sys

from eks_templates.errors import EksTemplatesError
from eks_templates.sandbox.server import DEFAULT_PORT, serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eks_templates.sandbox",
        description="Run a local AWS endpoint (moto plus eks-templates' models) for rehearsals.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0: any free port)"
    )
    args = parser.parse_args(argv)
    try:
        return serve_forever(args.port)
    except EksTemplatesError as exc:
        for line in exc.messages:
            print(f"error: {line}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
