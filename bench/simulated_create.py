#!/usr/bin/env python3
"""The create, measured: the real ``deploy`` against the sandbox's time-scaled mode,
compared with the model of ``bench/critical_path.py``.

Writes a delays file from :data:`bench.critical_path.CREATION_TIMES` and
:data:`~bench.critical_path.STACK_OVERHEAD` (the model's own table), starts a sandbox
on a free port with it (in this process: ``sandbox.server.start`` and
``sandbox.timeline.enable``, as ``sandbox --delays FILE`` does), and runs
``deploy STACK --yes --poll 5/factor`` in this process. The create is measured from
ExecuteChangeSet's answer to the watch's DescribeStacks that sees the root
``CREATE_COMPLETE`` (a hook on botocore's ``_make_api_call``, as
``bench/deploy_calls.counting`` counts), times the factor. What happens before the
execute (render, lint, uploads, the change set) and after it (policies, outputs) is
client-side work against moto, reported unscaled.

    python bench/simulated_create.py                  # factor 20: about 52 s a cluster
    python bench/simulated_create.py --factor 50 --stacks myeks
    make simulated-create

Prints markdown rows for bench/run.py (``--simulated``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import critical_path  # noqa: E402  (needs REPO on the path)
from bench.deploy_calls import SANDBOX_READ_TIMEOUT, sandbox  # noqa: E402

#: 17 minutes in about 52 s
DEFAULT_FACTOR = 20.0
#: the stack files measured by default (myeks is the built-in default cluster)
DEFAULT_STACKS = ("myeks", "platform")


def model_delays(factor: float) -> Any:
    """The model's table as the sandbox reads it."""
    from eks_templates.sandbox.timeline import Delays

    return Delays(factor=factor, stack_overhead=critical_path.STACK_OVERHEAD,
                  default=critical_path.DEFAULT_TIMING.seconds,
                  seconds={kind: timing.seconds for kind, timing in critical_path.CREATION_TIMES.items()})


@dataclass
class Timeline:
    """What the botocore hook saw of one deploy (perf_counter seconds)."""

    started: float = 0.0
    executed: float | None = None  # ExecuteChangeSet answered
    completed: float | None = None  # a DescribeStacks of the root said CREATE_COMPLETE
    ended: float = 0.0
    polls: int = 0
    root: str | None = None
    calls: list[str] = field(default_factory=list)


@contextlib.contextmanager
def watching() -> Iterator[Timeline]:
    """Time the execute and the root's completion of the deploy run inside the block."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    seen = Timeline(started=time.perf_counter())

    def wrapper(self: Any, operation_name: str, api_params: Any) -> Any:
        response = original(self, operation_name, api_params)
        now = time.perf_counter()
        seen.calls.append(operation_name)
        if operation_name == "ExecuteChangeSet" and seen.executed is None:
            seen.executed = now
            seen.root = str(api_params.get("StackName") or "") or None
        elif operation_name == "DescribeStacks" and seen.executed is not None and seen.completed is None:
            seen.polls += 1
            for stack in response.get("Stacks") or []:
                if stack.get("ParentId"):
                    continue
                if stack.get("StackStatus") == "CREATE_COMPLETE":
                    seen.completed = now
        return response

    BaseClient._make_api_call = wrapper  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        seen.ended = time.perf_counter()
        BaseClient._make_api_call = original  # type: ignore[method-assign]


@dataclass(frozen=True)
class Measured:
    label: str
    factor: float
    #: the create as measured, in simulated seconds (wall seconds x factor)
    simulated: float
    #: what the sandbox scheduled (its own sum; the measurement adds polling)
    scheduled: float
    #: what bench/critical_path.py predicts for the same templates and table (with
    #: deploy's watch noticing the root half a poll after it completes)
    modeled: float
    #: the model's stacks alone, no client: what the sandbox must schedule
    modeled_stacks: float
    eksctl: float
    floor: float
    #: unscaled wall seconds before ExecuteChangeSet (render, lint, uploads, change set) and after the root completed
    before: float
    after: float
    output: str

    @property
    def ratio(self) -> float:
        return self.simulated / self.modeled


def deploy_and_measure(stack_file: Path, factor: float, *, poll: float | None = None) -> Measured:
    """``deploy STACK --yes`` against the sandbox of the environment (AWS_ENDPOINT_URL)
    with the timeline enabled at ``factor``; the create measured."""
    from moto.cloudformation.models import cloudformation_backends

    from eks_templates.cli import main
    from eks_templates.config import load_stack
    from eks_templates.deploy import session
    from eks_templates.sandbox import timeline

    poll = 5.0 / factor if poll is None else poll
    out = io.StringIO()
    saved, session.READ_TIMEOUT = session.READ_TIMEOUT, SANDBOX_READ_TIMEOUT
    try:
        with watching() as seen, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main(["deploy", str(stack_file), "--yes", "--poll", f"{poll:g}"])
    finally:
        session.READ_TIMEOUT = saved
    if code != 0 or seen.executed is None or seen.completed is None:
        raise SystemExit(f"deploy {stack_file} exited {code} (executed: {seen.executed is not None}, "
                         f"completed: {seen.completed is not None}):\n{out.getvalue()[-2000:]}")
    config = load_stack(str(stack_file), on_warning=None)
    model = critical_path.compare(config)  # the watch at OURS_POLL simulated seconds, as --poll 5/factor
    stacks_alone = critical_path.compare(config, ours_poll=0.0).ours.seconds
    scheduled = None
    for backend in cloudformation_backends.values():
        for regional in backend.values():
            for stack in regional.stacks.values():
                if stack.stack_id == seen.root or stack.name == config.stack_name:
                    scheduled = timeline.simulated_seconds(stack)
    return Measured(
        label=stack_file.name, factor=factor, simulated=(seen.completed - seen.executed) * factor,
        scheduled=float(scheduled or 0.0), modeled=model.ours.seconds, modeled_stacks=stacks_alone,
        eksctl=model.eksctl.seconds,
        floor=model.floor.seconds, before=seen.executed - seen.started, after=seen.ended - seen.completed,
        output=out.getvalue(),
    )


@contextlib.contextmanager
def timed_sandbox(factor: float) -> Iterator[Path]:
    """A sandbox on a free port with the model's delays (written to a file and read back,
    as ``sandbox --delays FILE`` reads it), the environment pointed at it."""
    from eks_templates.sandbox import timeline

    with sandbox() as workdir, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "delays.json"
        path.write_text(json.dumps(model_delays(factor).to_json(), indent=2) + "\n")
        timeline.enable(timeline.load_delays(path))
        try:
            yield workdir
        finally:
            timeline.disable()


def rows(measured: Sequence[Measured]) -> list[str]:
    minutes = critical_path.minutes
    lines = []
    for m in measured:
        lines.append(
            f"| create {m.label}, simulated (sandbox, factor {m.factor:g}) vs modeled | {minutes(m.simulated)} | "
            f"{minutes(m.modeled)} | **{m.ratio:.3f}x** | the real `deploy --yes` against `sandbox --delays` "
            f"(bench/critical_path.py's table), from ExecuteChangeSet's answer to the watch seeing the root "
            f"CREATE_COMPLETE, x{m.factor:g}; the sandbox scheduled {minutes(m.scheduled)}; client-side, "
            f"unscaled: {m.before:.1f} s before the execute (render, lint, uploads, change set), "
            f"{m.after:.1f} s after (policies, outputs) |")
        lines.append(f"| create {m.label}, simulated vs the floor | {minutes(m.simulated)} | {minutes(m.floor)} | "
                     f"**{m.simulated / m.floor:.3f}x** | the floor: every resource in one stack (critical_path.py) |")
        lines.append(f"| create {m.label}, simulated vs eksctl's layout (modeled) | {minutes(m.simulated)} | "
                     f"{minutes(m.eksctl)} | **{m.simulated / m.eksctl:.3f}x** | eksctl's layout is modeled "
                     f"only (its stacks are not deployed here) |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factor", type=float, default=DEFAULT_FACTOR,
                        help=f"time factor: simulated seconds per wall second (default {DEFAULT_FACTOR:g})")
    parser.add_argument("--stacks", nargs="+", default=list(DEFAULT_STACKS),
                        help="stack files in stacks/ (default: myeks platform)")
    args = parser.parse_args(argv)
    if args.factor <= 0:
        parser.error("--factor must be greater than 0")
    measured = []
    with timed_sandbox(args.factor):
        for name in args.stacks:
            print(f"  simulated create of stacks/{name}.yaml at factor {args.factor:g} ...", file=sys.stderr)
            measured.append(deploy_and_measure(REPO / "stacks" / f"{name}.yaml", args.factor))
    print("\n".join(rows(measured)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
