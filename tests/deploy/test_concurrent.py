"""Two deploys of one stack at once, as two processes against the sandbox: exactly one
creates the cluster, the other refuses with a clear line and leaves nothing behind.

The interleavings are fixed with gates on the sandbox server (tests/gates.py), not
with sleeps: the first run is held at a chosen API call while the second one runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from tests.gates import Gate, gated
from tests.support import REPO, run_cli

from .fakes import REGION

NAME = "twice"


def _stack_file(tmp_path: Path) -> str:
    text = (REPO / "stacks" / "myeks.yaml").read_text()
    path = tmp_path / f"{NAME}.yaml"
    path.write_text(re.sub(r"(?m)^  name: myeks$", f"  name: {NAME}", text))
    return str(path)


def _start(endpoint: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint,
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "eks_templates", *args, "--poll", "0.1"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


def _assert_one_cluster(endpoint: str) -> None:
    """One root stack of that name, one set of nested stacks, one VPC, and no change
    set but the one that was executed."""
    cfn = _client(endpoint, "cloudformation")
    live = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
    roots = [s for s in live if s["StackName"] == NAME]
    assert len(roots) == 1, roots
    assert roots[0]["StackStatus"] == "CREATE_COMPLETE"
    # the VPC is in the child with the control plane (stack_plan)
    networks = [s for s in live if s["StackName"].startswith(f"{NAME}-ControlPlaneStack-")]
    assert len(networks) == 1, [s["StackName"] for s in networks]
    vpcs = [v for v in _client(endpoint, "ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    assert len(vpcs) == 1, vpcs
    summaries = cfn.list_change_sets(StackName=NAME)["Summaries"]
    assert [s["ExecutionStatus"] for s in summaries] == ["EXECUTE_COMPLETE"], summaries


def test_a_second_deploy_while_the_first_waits_to_execute_is_refused(tmp_path: Path, endpoint: str) -> None:
    """The first run has its change set and is about to execute it (held at
    ExecuteChangeSet); the second sees that change set and refuses."""
    stack_file = _stack_file(tmp_path)
    execute = Gate("ExecuteChangeSet")
    with gated(execute):
        first = _start(endpoint, "deploy", stack_file, "--yes")
        try:
            execute.wait_arrived()
            second = run_cli("deploy", stack_file, "--yes", "--poll", "0.1", env={"AWS_ENDPOINT_URL": endpoint})
        finally:
            execute.release.set()
            out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert second.returncode == 2, second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    assert f"error: stack {NAME} has 1 change set(s) in flight" in second.stderr
    assert "nothing was changed" in second.stderr and "aws cloudformation delete-change-set" in second.stderr
    assert "Executing" not in second.stdout and "uploaded" not in second.stdout
    _assert_one_cluster(endpoint)


def test_two_runs_that_both_passed_the_check_only_the_older_change_set_executes(tmp_path: Path,
                                                                                 endpoint: str) -> None:
    """Both runs find no stack: the first is held just before its CreateChangeSet, the
    second makes its change set and is held at ExecuteChangeSet; then the first makes
    its own, sees the older one, deletes its own and refuses; the second goes on."""
    stack_file = _stack_file(tmp_path)
    create = Gate("CreateChangeSet", nth=1)
    execute = Gate("ExecuteChangeSet", nth=1)
    with gated(create, execute):
        late = _start(endpoint, "deploy", stack_file, "--yes")  # held before its change set is made
        early = None
        try:
            create.wait_arrived()
            early = _start(endpoint, "deploy", stack_file, "--yes")  # makes the first change set
            execute.wait_arrived()
            create.release.set()
            late_out, late_err = late.communicate(timeout=300)
        finally:
            create.release.set()
            execute.release.set()
            if early is not None:
                early_out, early_err = early.communicate(timeout=300)
            late.wait(timeout=300)
    assert early is not None
    assert early.returncode == 0, early_out + early_err
    assert late.returncode == 2, late_out + late_err
    assert f"error: stack {NAME} has 1 change set(s) in flight" in late_err
    assert "Traceback" not in late_err and "Executing" not in late_out
    _assert_one_cluster(endpoint)
