#!/usr/bin/env python3
"""Count the AWS API calls and S3 uploads of a deploy (create), a redeploy with nothing
changed, and a scale, against the local sandbox (moto server + our models), for
clusters of 1, 20 and 200 managed nodegroups.

Runs the real CLI commands in this process with ``AWS_ENDPOINT_URL`` pointing at a
sandbox on a free port, and counts every botocore API call by service and
operation. Prints markdown table rows for bench/run.py.

    python bench/deploy_calls.py                 # 1, 20 and 200 nodegroups
    python bench/deploy_calls.py --counts 1 20   # fewer (200 takes minutes in the sandbox)

``tests/e2e/test_call_counts.py`` runs :func:`scenario` at 1 and 20 nodegroups and
asserts that the redeploy and the scale make the same calls at both.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.run import stack_with_nodegroups  # noqa: E402  (needs REPO on the path)

COUNTS = (1, 20, 200)
#: the first nodegroup of a generated stack file (bench/run.py names them ng-001, ...)
SCALED = "ng-001"
#: seconds (see run_cli)
SANDBOX_READ_TIMEOUT = 1800.0


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


def run_cli(*args: str) -> tuple[Counter[tuple[str, str]], float]:
    """One CLI command in this process: its API calls and wall time; a failure stops here."""
    from eks_templates.cli import main
    from eks_templates.deploy import session

    started = time.perf_counter()
    # The sandbox runs a whole stack inside ExecuteChangeSet before it answers: with 200
    # nodegroups (or a loaded machine) far beyond the 20 s read timeout meant for AWS.
    saved, session.READ_TIMEOUT = session.READ_TIMEOUT, SANDBOX_READ_TIMEOUT
    try:
        with counting() as seen, contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()) as err:
            code = main(list(args))
    finally:
        session.READ_TIMEOUT = saved
    if code != 0:
        raise SystemExit(f"{' '.join(args)} exited {code}:\n{err.getvalue()[-2000:]}")
    return seen, time.perf_counter() - started


@dataclass(frozen=True)
class Measured:
    label: str
    nodegroups: int
    calls: Counter[tuple[str, str]]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def summary(self) -> str:
        uploads = self.calls[("s3", "PutObject")]
        changes = self.calls[("cloudformation", "CreateChangeSet")] + self.calls[("cloudformation", "ExecuteChangeSet")]
        top = ", ".join(f"{op} {n}" for (_, op), n in self.calls.most_common(4))
        return f"{self.total} calls, {uploads} uploads, {changes} change-set create/execute ({top})"


def scenario(count: int, directory: Path) -> list[Measured]:
    """deploy (create), deploy again (nothing changed), scale ng-001 2 -> 3 of a stack
    file with ``count`` nodegroups, in ``directory`` (the current directory must be it,
    and AWS_ENDPOINT_URL the sandbox's)."""
    stack = stack_with_nodegroups(count, directory)
    results = []
    for label, args in (
        ("deploy (create)", ("deploy", str(stack), "--yes")),
        ("redeploy, nothing changed", ("deploy", str(stack), "--yes")),
        ("scale 2 -> 3", ("scale", str(stack), SCALED, "--nodes", "3", "--max", "3", "--yes")),
    ):
        calls, seconds = run_cli(*args)
        results.append(Measured(label, count, calls, seconds))
    return results


@contextlib.contextmanager
def sandbox() -> Iterator[Path]:
    """A sandbox on a free port, the environment pointed at it, and a scratch directory
    as the current one."""
    from eks_templates.sandbox.server import start

    server, url = start(0)
    workdir = Path(tempfile.mkdtemp(prefix="eks-bench-"))
    saved = dict(os.environ)
    cwd = Path.cwd()
    try:
        os.chdir(workdir)
        os.environ.update({
            "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-northeast-2",
        })
        os.environ.pop("AWS_PROFILE", None)
        yield workdir
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(workdir, ignore_errors=True)
        server.stop()


def rows(measured: dict[int, list[Measured]]) -> list[str]:
    """Markdown rows: each command's calls at every size, as a ratio to the smallest."""
    counts = sorted(measured)
    lines = []
    for i, label in enumerate(m.label for m in measured[counts[0]]):
        by_count = {n: measured[n][i] for n in counts}
        base = by_count[counts[0]]
        totals = " / ".join(str(by_count[n].total) for n in counts)
        ratios = " / ".join(f"{by_count[n].total / base.total:.2f}x" for n in counts)
        times = ", ".join(f"{n}: {by_count[n].seconds:.1f} s" for n in counts)
        notes = "; ".join(f"{n}: {by_count[n].summary()}" for n in counts)
        lines.append(f"| API calls, {label} (sandbox), {' / '.join(map(str, counts))} nodegroups | {totals} | "
                     f"{base.total} | **{ratios}** | {notes}; wall time in the sandbox {times} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=list(COUNTS), help="nodegroup counts")
    args = parser.parse_args(argv)
    measured: dict[int, list[Measured]] = {}
    with sandbox() as workdir:
        for count in args.counts:
            print(f"  deploy / redeploy / scale with {count} nodegroup(s) ...", file=sys.stderr)
            measured[count] = scenario(count, workdir)
    print("\n".join(rows(measured)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
