"""Ctrl-C at each phase of a deploy, deterministically: the real CLI in a subprocess and
a SIGINT at a known point - inside a finalizer during lint (where it used to be
swallowed), while the change set is being reviewed, during the execute call, and while
watching. The points are fixed by gates on the sandbox server (tests/gates.py) or, for
lint, by a finalizer that sends the signal itself; no sleeps, no timing luck.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from tests.gates import Gate, gated
from tests.support import REPO, run_cli

from .fakes import REGION

NAME = "ctrlc"

#: The CLI with cfn-lint's ``regex`` finalizer (regex/_regex_core.py Group.__del__) sending
#: SIGINT to its own process the first time it runs once linting has begun: the
#: KeyboardInterrupt is raised inside the finalizer, where CPython swallows it
#: ("Exception ignored in ..."), exactly as a Ctrl-C landing there does.
SWALLOWED_DURING_LINT = """
import os, signal, sys
import regex._regex_core as core
import eks_templates.lint as lint

state = {"armed": False, "fired": False}
real_findings = lint.cfn_lint_findings

def arming(*args, **kwargs):
    state["armed"] = True
    return real_findings(*args, **kwargs)

lint.cfn_lint_findings = arming
real_del = core.Group.__del__

def interrupting_del(self):
    if state["armed"] and not state["fired"]:
        state["fired"] = True
        print("SIGINT inside Group.__del__", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # bytecode for the eval loop to run the handler in
            pass
    real_del(self)

core.Group.__del__ = interrupting_del
from eks_templates.cli import main
sys.exit(main())
"""


def _stack_file(tmp_path: Path) -> str:
    text = (REPO / "stacks" / "myeks.yaml").read_text()
    path = tmp_path / f"{NAME}.yaml"
    path.write_text(re.sub(r"(?m)^  name: myeks$", f"  name: {NAME}", text))
    return str(path)


def _env(endpoint: str) -> dict[str, str]:
    return dict(os.environ, AWS_ENDPOINT_URL=endpoint,
                PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _default_sigint() -> None:
    # a test run started in the background has SIGINT ignored, and children inherit that
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(endpoint: str, argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(argv, cwd=REPO, env=_env(endpoint), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_default_sigint)


def _deploy(endpoint: str, stack_file: str, *extra: str) -> subprocess.Popen[str]:
    return _start(endpoint, [sys.executable, "-m", "eks_templates", "deploy", stack_file, "--yes",
                             "--poll", "0.1", *extra])


def _cfn(endpoint: str) -> Any:
    return boto3.client("cloudformation", region_name=REGION, endpoint_url=endpoint)


def _live_stacks(endpoint: str) -> list[str]:
    return [s["StackName"] for s in _cfn(endpoint).list_stacks()["StackSummaries"]
            if s["StackStatus"] != "DELETE_COMPLETE"]


def _interrupt_at(endpoint: str, stack_file: str, gate: Gate) -> tuple[int, str, str]:
    """Deploy, SIGINT when ``gate`` is reached, then let the call go on."""
    with gated(gate):
        process = _deploy(endpoint, stack_file)
        try:
            gate.wait_arrived()
            process.send_signal(signal.SIGINT)
        finally:
            gate.release.set()
            out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def test_ctrl_c_swallowed_by_a_finalizer_during_lint_still_stops_the_deploy(tmp_path: Path,
                                                                             endpoint: str) -> None:
    stack_file = _stack_file(tmp_path)
    process = _start(endpoint, [sys.executable, "-c", SWALLOWED_DURING_LINT, "deploy", stack_file, "--yes",
                                "--poll", "0.1"])
    out, err = process.communicate(timeout=300)
    assert "SIGINT inside Group.__del__" in err
    assert "Exception ignored in" in err  # CPython did swallow it, as it does for a real Ctrl-C there
    assert process.returncode == 130, out + err
    assert err.rstrip().endswith("interrupted")
    assert _live_stacks(endpoint) == []
    assert "Executing" not in out and "uploaded" not in out
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    assert s3.list_buckets()["Buckets"] == []  # not even the template bucket


def test_ctrl_c_while_the_change_set_is_reviewed_deletes_it_and_the_empty_stack(tmp_path: Path,
                                                                                endpoint: str) -> None:
    status, out, err = _interrupt_at(endpoint, _stack_file(tmp_path), Gate("DescribeChangeSet"))
    assert status == 130, out + err
    assert re.search(r"Interrupted before executing; change set eks-templates-\S+ deleted, nothing was changed",
                     err), err
    assert "Traceback" not in err and "Executing" not in out
    assert _live_stacks(endpoint) == []  # the REVIEW_IN_PROGRESS stack went with its change set


def test_ctrl_c_during_the_execute_call_leaves_the_stack_running_and_says_how_to_resume(tmp_path: Path,
                                                                                         endpoint: str) -> None:
    """SIGINT while ExecuteChangeSet is on its way: the call is let finish (its effect
    would be unknown otherwise), then the watch stops with the resume command."""
    stack_file = _stack_file(tmp_path)
    status, out, err = _interrupt_at(endpoint, stack_file, Gate("ExecuteChangeSet"))
    assert status == 130, out + err
    assert f"Stopped watching. {NAME} keeps changing in CloudFormation; nothing was cancelled." in err
    resume = re.search(r"Run `(python -m eks_templates deploy [^`]+)` again to resume watching it", err)
    assert resume, err
    assert "Interrupted before executing" not in err
    assert NAME in _live_stacks(endpoint)
    # the printed command, run again, finishes the job (here: nothing left to do)
    again = run_cli(*resume.group(1).split()[3:], env={"AWS_ENDPOINT_URL": endpoint})
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes" in again.stdout and "Termination protection is on" in again.stdout


def test_ctrl_c_while_watching_leaves_the_stack_and_prints_the_resume_command(tmp_path: Path,
                                                                               endpoint: str) -> None:
    gate = Gate("DescribeStacks", following="ExecuteChangeSet")
    status, out, err = _interrupt_at(endpoint, _stack_file(tmp_path), gate)
    assert status == 130, out + err
    assert "Stopped watching." in err and "again to resume watching it" in err
    assert _cfn(endpoint).describe_stacks(StackName=NAME)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_lint_command_stops_too(tmp_path: Path) -> None:
    """``lint`` itself: a swallowed Ctrl-C is not reported as 'no findings', exit 0."""
    process = subprocess.Popen([sys.executable, "-c", SWALLOWED_DURING_LINT, "lint", _stack_file(tmp_path)],
                               cwd=REPO, env=_env("http://localhost:1"), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    out, err = process.communicate(timeout=300)
    assert "Exception ignored in" in err
    assert process.returncode == 130, out + err
    assert "no findings" not in err
