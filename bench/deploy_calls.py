#!/usr/bin/env python3
"""Count the AWS API calls and S3 uploads of a deploy, a redeploy with nothing
changed, and a scale, against the local sandbox (moto server + our models).

Runs the real CLI commands in this process with ``AWS_ENDPOINT_URL`` pointing at a
sandbox on a free port, and counts every botocore API call by service and
operation. Prints markdown table rows for bench/run.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CALLS: Counter[tuple[str, str]] = Counter()


@contextlib.contextmanager
def counting() -> Iterator[Counter[tuple[str, str]]]:
    """Count botocore API calls (service, operation) made inside the block."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    seen: Counter[tuple[str, str]] = Counter()

    def wrapper(self: Any, operation_name: str, api_params: Any) -> Any:
        seen[(self.meta.service_model.service_name, operation_name)] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = wrapper  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def run_cli(*args: str) -> tuple[int, Counter[tuple[str, str]]]:
    from eks_templates.cli import main

    with counting() as seen, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()) as err:
        code = main(list(args))
    if code != 0:
        raise SystemExit(f"{' '.join(args)} exited {code}:\n{err.getvalue()[-2000:]}")
    return code, seen


def describe(seen: Counter[tuple[str, str]]) -> str:
    uploads = seen[("s3", "PutObject")]
    changes = seen[("cloudformation", "CreateChangeSet")] + seen[("cloudformation", "ExecuteChangeSet")]
    top = ", ".join(f"{op} {n}" for (_, op), n in seen.most_common(4))
    return f"{sum(seen.values())} calls, {uploads} uploads, {changes} change-set create/execute ({top})"


def main() -> int:
    from eks_templates.sandbox.server import start

    server, url = start(0)
    workdir = Path(tempfile.mkdtemp(prefix="eks-bench-"))
    try:
        shutil.copytree(REPO / "stacks", workdir / "stacks")
        os.chdir(workdir)
        os.environ.update({
            "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-northeast-2",
        })
        os.environ.pop("AWS_PROFILE", None)
        rows = []
        for label, args in (
            ("deploy (create)", ("deploy", "myeks", "--yes")),
            ("redeploy, nothing changed", ("deploy", "myeks", "--yes")),
            ("scale 2 -> 3", ("scale", "myeks", "myeks-nodegroup", "--nodes", "3", "--max", "3", "--yes")),
        ):
            _, seen = run_cli(*args)
            rows.append(f"| {label} (sandbox) | {describe(seen)} | | | counted with a botocore hook |")
        print("\n".join(rows))
    finally:
        os.chdir(REPO)
        shutil.rmtree(workdir, ignore_errors=True)
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
