"""Day 2 against the local sandbox: deletion protection, and Kubernetes upgrades by
deploying the stack file (issue 12).

Each test deploys its own copy of ``stacks/myeks.yaml`` (a fresh sandbox state) with
the real CLI in a subprocess, and checks what happened with boto3 against the sandbox.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from eks_templates.sandbox import server
from tests.support import REPO, run_cli

REGION = "ap-northeast-2"
STACK = "myeks"
NODEGROUP = "myeks-nodegroup"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass
class Sandbox:
    url: str
    workdir: Path

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.url)

    def cli(self, *args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, cwd=self.workdir, env={"AWS_ENDPOINT_URL": self.url, **FAKE_CREDENTIALS},
                       input_text=input_text)

    def write_stack(self, **changes: Any) -> Path:
        """stacks/myeks.yaml with top-level ``changes`` merged (mappings merged one level)."""
        data = yaml.safe_load((REPO / "stacks" / "myeks.yaml").read_text())
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        path = self.workdir / "stacks" / "myeks.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path


@pytest.fixture
def box(tmp_path: Path, sandbox_endpoint: str) -> Iterator[Sandbox]:
    server.reset(sandbox_endpoint)
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    yield Sandbox(url=sandbox_endpoint, workdir=tmp_path)
    server.reset(sandbox_endpoint)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def refused(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert done.returncode == code, f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout + done.stderr


# --------------------------------------------------------------------------- deletion protection


def test_deletion_protection_is_on_and_delete_turns_it_off_through_a_change_set(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.35"})
    ok(box.cli("deploy", STACK, "--yes"))
    eks, cfn = box.client("eks"), box.client("cloudformation")
    cluster = eks.describe_cluster(name=STACK)["cluster"]
    assert cluster["deletionProtection"] is True
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}

    # a console or CLI delete-cluster behind the stack is refused, as EKS does
    with pytest.raises(ClientError, match="InvalidRequestException") as info:
        eks.delete_cluster(name=STACK)
    assert "deletion protection" in str(info.value)
    assert eks.describe_cluster(name=STACK)["cluster"]["status"] == "ACTIVE"

    out = ok(box.cli("delete", STACK, "--yes"))
    assert "Turning off the cluster's deletion protection" in out
    assert out.index("Turning off the cluster's deletion protection") < out.index(f"Deleting {STACK}")
    assert f"{STACK}: deleted" in out
    assert eks.list_clusters()["clusters"] == []
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=STACK)


def test_deleting_the_stack_directly_fails_while_protection_is_on(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.35"})
    ok(box.cli("deploy", STACK, "--yes"))
    cfn = box.client("cloudformation")
    cfn.update_termination_protection(StackName=STACK, EnableTerminationProtection=False)
    # (the sandbox reports a failed delete on the call itself; CloudFormation would end
    # DELETE_FAILED with the same reason)
    with pytest.raises(ClientError, match="InvalidRequestException: Cluster myeks has deletion protection"):
        cfn.delete_stack(StackName=STACK)
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["status"] == "ACTIVE"


def test_opting_out_of_deletion_protection(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.35"}, deploy={"deletionProtection": False})
    ok(box.cli("deploy", STACK, "--yes"))
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["deletionProtection"] is False
    out = ok(box.cli("delete", STACK, "--yes"))
    assert "deletion protection" not in out
    assert box.client("eks").list_clusters()["clusters"] == []
