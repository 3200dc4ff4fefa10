"""The create of the real templates, measured in the sandbox's time-scaled mode
(issue 17 item 1): ``deploy`` succeeds against a sandbox with the model's delays, its
watch prints the progress as it happens, and the create takes what
``bench/critical_path.py`` predicts, divided by the factor.

Factor and tolerance: at factor 200 the model's 17:20 is 5.2 s of wall clock, long
against the watch's poll (5 s / 200 = 25 ms) and short enough for a test. The sandbox
reveals the root's CREATE_COMPLETE at its scheduled instant, never earlier, so the
measured create is at least the prediction (less 50 ms: the clock starts when moto has
finished, a moment before ExecuteChangeSet's answer reaches the client). It is later by
the watch's last poll cycle: about 50 ms on an idle machine; the bound allows 1 s
(200 simulated seconds) for a loaded 2-core machine shared with other test runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from bench import critical_path
from bench.simulated_create import deploy_and_measure, model_delays
from eks_templates.sandbox import server, timeline

REPO = Path(__file__).resolve().parents[2]
FACTOR = 200.0
#: wall seconds the measured create may exceed the prediction by (the module doc says why)
LATE = 1.0
EARLY = 0.05


@pytest.fixture
def timed_sandbox(sandbox_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    server.reset(sandbox_endpoint)
    for key, value in {"AWS_ENDPOINT_URL": sandbox_endpoint, "AWS_DEFAULT_REGION": "ap-northeast-2"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    timeline.enable(model_delays(FACTOR))
    try:
        yield tmp_path
    finally:
        timeline.disable()
        server.reset(sandbox_endpoint)


def test_deploy_against_the_timed_sandbox_takes_the_modeled_create_divided_by_the_factor(timed_sandbox: Path) -> None:
    measured = deploy_and_measure(REPO / "stacks" / "myeks.yaml", FACTOR)

    # the sandbox scheduled exactly the model's create (same graph, same table); the model
    # adds the watch's half poll, which the measurement has for real
    assert measured.scheduled == measured.modeled_stacks
    assert measured.modeled - measured.modeled_stacks == critical_path.client_lag(critical_path.OURS_POLL)
    wall, predicted = measured.simulated / FACTOR, measured.modeled / FACTOR
    assert predicted - EARLY <= wall <= predicted + LATE, (wall, predicted)
    # the watch followed it: the control plane stack started at once, its resources after
    # it, the root's CREATE_COMPLETE last, at the simulated create's wall-clock time
    lines = measured.output.splitlines()
    progress = [line for line in lines if re.match(r"^\[\d\d:\d\d\] myeks", line)]
    first = progress.index(next(line for line in progress if "ControlPlaneStack  AWS::CloudFormation::Stack  "
                                                             "CREATE_IN_PROGRESS" in line))
    cluster = progress.index(next(line for line in progress
                                  if "ControlPlane  AWS::EKS::Cluster  CREATE_COMPLETE" in line))
    assert first < cluster
    assert progress[-1].endswith("myeks CREATE_COMPLETE")
    assert progress[0].startswith("[00:00]")
    last = re.match(r"^\[00:(\d\d)\]", progress[-1])
    assert last and int(predicted) <= int(last.group(1)) <= int(predicted + LATE)
    assert any(line.startswith("myeks: CREATE_COMPLETE in 00:0") for line in lines)
    assert "Cluster:          myeks" in measured.output  # the outputs, once complete


def test_the_sandbox_command_with_delays_says_so_first_and_times_a_create(tmp_path: Path) -> None:
    delays = tmp_path / "delays.yaml"
    delays.write_text("factor: 1\nstackOverhead: 0\ndefault: 0\nseconds:\n  AWS::EC2::VPC: 300\n")
    proc = subprocess.Popen([sys.executable, "-m", "eks_templates", "sandbox", "--port", "0", "--delays",
                             str(delays), "--factor", "100"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        mode, listening = proc.stdout.readline(), proc.stdout.readline()
        assert mode.startswith(f"time-scaled mode: on, factor 100 (creation times from {delays} divided by 100;")
        url = listening.strip().rsplit(" ", 1)[-1]
        assert listening.startswith("eks-templates sandbox (moto) listening on http://localhost:")
        cf = boto3.client("cloudformation", endpoint_url=url, region_name="ap-northeast-2")
        template = {"Resources": {"VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}}}}
        cf.create_change_set(StackName="one", ChangeSetName="cs", ChangeSetType="CREATE",
                             TemplateBody=json.dumps(template))
        cf.execute_change_set(StackName="one", ChangeSetName="cs")
        executed = time.perf_counter()
        assert cf.describe_stacks(StackName="one")["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
        while cf.describe_stacks(StackName="one")["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS":
            assert time.perf_counter() - executed < 30
            time.sleep(0.05)
        # 300 s / 100: long enough that the read right after the execute is in progress on a
        # busy machine; the upper bound allows the subprocess's scheduling on top of LATE
        assert 2.95 <= time.perf_counter() - executed < 3.0 + 2 * LATE
        assert cf.describe_stacks(StackName="one")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
