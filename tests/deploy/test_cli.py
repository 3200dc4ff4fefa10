"""The commands as a user runs them: ``python -m eks_templates ...`` in a subprocess,
against the local sandbox (moto with the project's models) via AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from eks_templates.deploy.flow import Context, Options, deploy
from eks_templates.deploy.session import make_aws
from eks_templates.deploy.ui import Timing
from tests.support import REPO, run_cli

from .fakes import REGION, SCALING, config, make_ui, rendered_set

NAME = "clitest"


def _stack_file(tmp_path: Path) -> Path:
    text = (REPO / "stacks" / "myeks.yaml").read_text()
    text = re.sub(r"(?m)^  name: myeks$", f"  name: {NAME}", text)
    path = tmp_path / f"{NAME}.yaml"
    path.write_text(text)
    return path


def _cli(endpoint: str, *args: str, input_text: str | None = None) -> tuple[int, str, str]:
    done = run_cli(*args, "--poll", "0.1", env={"AWS_ENDPOINT_URL": endpoint}, input_text=input_text)
    return done.returncode, done.stdout, done.stderr


def _cfn(endpoint: str) -> object:
    return boto3.client("cloudformation", region_name=REGION, endpoint_url=endpoint)


def test_plan_deploy_outputs_delete(tmp_path: Path, endpoint: str) -> None:
    stack_file = str(_stack_file(tmp_path))
    cfn = _cfn(endpoint)

    code, out, err = _cli(endpoint, "plan", stack_file)
    assert code == 0, err
    assert f"for stack {NAME} (CREATE)" in out and "REPLACEMENTS" in out and "Plan only" in out
    assert not [s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]  # type: ignore[attr-defined]

    code, out, err = _cli(endpoint, "deploy", stack_file, input_text="")
    assert code == 2, out + err
    assert "not a terminal" in err and "pass --yes" in err and "Traceback" not in err

    code, out, err = _cli(endpoint, "deploy", stack_file, "--yes")
    assert code == 0, out + err
    assert f"{NAME}: CREATE_COMPLETE" in out
    assert cfn.describe_stacks(StackName=NAME)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"  # type: ignore[attr-defined]

    code, out, err = _cli(endpoint, "deploy", stack_file, "--yes")
    assert code == 0, out + err
    assert "No changes" in out and "\n  uploaded " not in out

    code, out, err = _cli(endpoint, "outputs", stack_file)
    assert code == 0, err
    assert f"Stack {NAME} (CREATE_COMPLETE) in {REGION}" in out and "Other outputs:" in out
    code, out, err = _cli(endpoint, "outputs", stack_file, "--json")
    assert code == 0, err
    assert "VpcId" in json.loads(out)

    code, out, err = _cli(endpoint, "delete", stack_file, input_text="")
    assert code == 2 and "pass --yes" in err
    code, out, err = _cli(endpoint, "delete", stack_file, "--yes")
    assert code == 0, out + err
    assert f"{NAME}: deleted" in out


def test_scale_through_the_cli(tmp_path: Path, endpoint: str, monkeypatch: object) -> None:
    """A stack made by the library from a hand-made set (a root scaling parameter),
    then ``scale`` and ``deploy``-free checks through the CLI."""
    stack_file = tmp_path / "myeks.yaml"
    stack_file.write_text("""\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: myeks, region: ap-northeast-2}
availabilityZones: [ap-northeast-2a, ap-northeast-2c]
vpc: {publicAccessCIDRs: [203.0.113.0/24]}
managedNodeGroups:
  - {name: ng, desiredCapacity: 2, minSize: 2, maxSize: 4}
""")
    ctx = Context(aws=make_aws(REGION, endpoint_url=endpoint), ui=make_ui(),
                  timing=Timing(poll=0, sleep=lambda _: None))
    assert deploy(ctx, config(), Options(yes=True), rendered=rendered_set()) == 0
    cfn = _cfn(endpoint)

    def live() -> dict[str, str]:
        params = cfn.describe_stacks(StackName="myeks")["Stacks"][0]["Parameters"]  # type: ignore[attr-defined]
        return {p["ParameterKey"]: p["ParameterValue"] for p in params}

    code, out, err = _cli(endpoint, "scale", str(stack_file), "ng", "--nodes", "1")
    assert code == 2 and "below the minimum size 2; add --min 1" in err
    code, out, err = _cli(endpoint, "scale", str(stack_file), "ng", "--nodes", "3", "--max", "6", "--yes")
    assert code == 0, out + err
    assert f"~ {SCALING}: 2,2,4 -> 3,2,6" in out and "ng: desired 3, min 2, max 6" in out
    assert live() == {SCALING: "3,2,6"}
    code, out, err = _cli(endpoint, "scale", str(stack_file), "nope", "--nodes", "3")
    assert code == 2 and "nodegroup nope is not in the deployed stack myeks" in err



@pytest.mark.parametrize(("flag", "value", "says"), [
    ("--poll", "nan", "'nan' is not a number of seconds"), ("--poll", "inf", "'inf' is not a number of seconds"),
    ("--poll", "-1", "-1 is negative; give seconds, 0 or more"), ("--poll", "soon", "'soon' is not a number"),
    ("--timeout", "0", "0: give more than 0 minutes"), ("--timeout", "-5", "-5: give more than 0 minutes"),
    ("--timeout", "nan", "'nan' is not a number of minutes"),
])
@pytest.mark.parametrize("command", ["deploy", "scale", "delete"])
def test_a_bad_poll_or_timeout_is_refused_before_anything_is_done(command: str, flag: str, value: str,
                                                                   says: str) -> None:
    """``--poll nan`` executed the change set, then failed with a traceback; ``--timeout -5``
    executed it and gave up at once; ``--poll -1`` polled with no pause."""
    args = {"deploy": ["deploy", "myeks", "--yes"], "delete": ["delete", "myeks", "--yes"],
            "scale": ["scale", "myeks", "myeks-nodegroup", "--nodes", "2", "--yes"]}[command]
    done = run_cli(*args, flag, value, env={"AWS_ENDPOINT_URL": "http://localhost:9", "AWS_ACCESS_KEY_ID": "t",
                                            "AWS_SECRET_ACCESS_KEY": "t"})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert f"error: argument {flag}: {says}" in done.stderr.strip().splitlines()[-1], done.stderr
