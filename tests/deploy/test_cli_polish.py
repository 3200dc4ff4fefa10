"""Issue 18 item 5, as a user runs the commands (a subprocess against the sandbox): the
stack file's warnings only where the file is rendered, and ``plan`` saying what it
left behind (the template bucket, the uploaded templates) instead of "nothing was
changed". (``outputs`` printing each security group once: test_outputs_policy.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3

from tests.support import REPO, run_cli

from .fakes import REGION

#: both warnings stacks/myeks.yaml gives (0.0.0.0/0 endpoint, withAddonPolicies.externalDNS)
WARNINGS = ("warning: stacks/myeks.yaml: vpc.publicAccessCIDRs[0]",
            "warning: stacks/myeks.yaml: managedNodeGroups[0].iam.withAddonPolicies.externalDNS")


def _cli(tmp_path: Path, endpoint: str, *args: str) -> tuple[int, str, str]:
    if not (tmp_path / "stacks").exists():
        shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    done = run_cli(*args, cwd=tmp_path, env={"AWS_ENDPOINT_URL": endpoint})
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


def test_stack_file_warnings_on_render_lint_plan_deploy_only(tmp_path: Path, endpoint: str) -> None:
    code, _, err = _cli(tmp_path, endpoint, "render", "myeks")
    assert code == 0 and all(w in err for w in WARNINGS), err
    # no stack deployed: each of these stops at "no such stack", after loading the file
    scale = ("scale", "myeks", "myeks-nodegroup", "--nodes", "3", "--yes")
    for args, expected in ((("outputs", "myeks"), 2), (scale, 2), (("delete", "myeks", "--yes"), 0),
                           (("drift", "myeks"), 2)):
        code, out, err = _cli(tmp_path, endpoint, *args)
        assert code == expected, (args, out, err)
        assert "warning:" not in err, (args, err)
        assert "myeks" in out + err, (args, out, err)
    # --strict still fails on them, as it does for render
    code, _, err = _cli(tmp_path, endpoint, "outputs", "myeks", "--strict")
    assert code == 2 and "--strict fails on it" in err, err


def test_plan_says_what_it_left_behind(tmp_path: Path, endpoint: str) -> None:
    code, out, err = _cli(tmp_path, endpoint, "plan", "myeks")
    assert code == 0, out + err
    assert all(w in err for w in WARNINGS), err
    bucket = "eks-templates-123456789012-ap-northeast-2"
    assert out.strip().splitlines()[-2:] == [
        "Plan only: the change set was deleted; the stack myeks was not changed.",
        f"Kept for the deploy: created the S3 bucket {bucket}; uploaded 3 template(s) to s3://{bucket}/eks-templates/myeks/.",
    ]
    assert "nothing was changed" not in out
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 3  # ControlPlaneStack, BastionStack, the nodegroup
    cfn = boto3.client("cloudformation", region_name=REGION, endpoint_url=endpoint)
    assert not [s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]

    # the same plan again: the bucket and the templates are there, so nothing was changed at all
    code, out, err = _cli(tmp_path, endpoint, "plan", "myeks")
    assert code == 0, out + err
    assert out.strip().splitlines()[-1] == "Plan only: the change set was deleted; nothing was changed."
