"""A cluster deployed with the earlier layout of child stacks (one per builder:
NetworkStack, SecurityStack, ControlPlaneStack, ...) meets this release's layout (the
network and security groups in ControlPlaneStack): ``deploy`` and ``plan`` refuse,
exit 2, name the ways to keep the cluster on its layout, and change nothing. A cluster deployed
with its Fargate profiles in ControlPlaneStack (the layout before FargateStack) is refused
as well, naming the way out, which works: renamed profiles.

The earlier layout is deployed through the library (``flow.deploy`` with a set rendered
with ``stack_plan.ONE_PER_BUILDER``), as the earlier release made it; then the real CLI
runs against the same sandbox.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from eks_templates.config import load_stack
from eks_templates.deploy import flow
from eks_templates.deploy.session import make_aws
from eks_templates.deploy.ui import Timing, Ui
from eks_templates.errors import DeployFailed, UserError
from eks_templates.render import render_set
from eks_templates.sandbox import server
from eks_templates.stack_plan import ONE_PER_BUILDER
from tests.support import REPO, run_cli

REGION = "ap-northeast-2"
STACK = "myeks"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


def _client(url: str, service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=url)


def _everything(url: str, root: str = STACK, region: str = REGION) -> dict[str, Any]:
    """What a refused deploy must leave as it was: every stack with its status, template,
    resources and events; the change sets; the uploaded templates; the VPCs."""
    cfn, s3, ec2 = (_client(url, service, region) for service in ("cloudformation", "s3", "ec2"))
    stacks = {}
    for stack in cfn.describe_stacks()["Stacks"]:
        sid = stack["StackId"]
        events = [e["EventId"] for page in cfn.get_paginator("describe_stack_events").paginate(StackName=sid)
                  for e in page["StackEvents"]]
        stacks[stack["StackName"]] = {
            "status": stack["StackStatus"],
            "template": cfn.get_template(StackName=sid, TemplateStage="Original")["TemplateBody"],
            "resources": sorted((r["LogicalResourceId"], r.get("PhysicalResourceId", ""))
                                for r in cfn.list_stack_resources(StackName=sid)["StackResourceSummaries"]),
            "events": events,
        }
    objects = sorted((o["Key"], o["VersionId"]) for b in s3.list_buckets()["Buckets"]
                     for o in s3.list_object_versions(Bucket=b["Name"]).get("Versions") or [])
    return {
        "stacks": stacks,
        "change_sets": cfn.list_change_sets(StackName=root)["Summaries"],
        "objects": objects,
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")),
    }


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    return tmp_path


def test_a_stack_of_the_earlier_layout_is_refused_and_left_as_it_is(sandbox_endpoint: str, workdir: Path) -> None:
    server.reset(sandbox_endpoint)
    config = load_stack(str(workdir / "stacks" / "myeks.yaml"), on_warning=None)
    earlier = render_set(config, plan=ONE_PER_BUILDER)
    out = io.StringIO()
    ctx = flow.Context(aws=make_aws(config.metadata.region, endpoint_url=sandbox_endpoint),
                       ui=Ui(out=out, err=out), timing=Timing(poll=0.2))
    assert flow.deploy(ctx, config, flow.Options(yes=True), rendered=earlier) == 0, out.getvalue()
    cfn = _client(sandbox_endpoint, "cloudformation")
    root = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]}
    assert {"NetworkStack", "SecurityStack", "ControlPlaneStack"} <= root
    before = _everything(sandbox_endpoint)

    env = {"AWS_ENDPOINT_URL": sandbox_endpoint, **CREDENTIALS}
    for command in (["deploy", STACK, "--yes"], ["plan", STACK]):
        done = run_cli(*command, "--poll", "0.2", cwd=workdir, env=env)
        assert done.returncode == 2, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        assert "was deployed with the earlier layout of child stacks (NetworkStack, SecurityStack beside " \
               "ControlPlaneStack)" in done.stderr
        assert "nothing was changed" in done.stderr
        assert "plan=stack_plan.ONE_PER_BUILDER" in done.stderr  # the way out the test itself took
        assert _everything(sandbox_endpoint) == before, command  # no upload, no change set, no event


FARGATE_REGION = "eu-west-1"


def _profiles(url: str) -> list[str]:
    eks = _client(url, "eks", FARGATE_REGION)
    return sorted(eks.list_fargate_profiles(clusterName="platform")["fargateProfileNames"])


def test_fargate_profiles_in_control_plane_stack_are_refused_and_renamed_ones_move(
        sandbox_endpoint: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from eks_templates.deploy import layout
    from eks_templates.stack_plan import FARGATE_IN_CONTROL_PLANE

    server.reset(sandbox_endpoint)
    path = workdir / "stacks" / "platform.yaml"
    config = load_stack(str(path), on_warning=None)
    out = io.StringIO()
    ctx = flow.Context(aws=make_aws(config.metadata.region, endpoint_url=sandbox_endpoint),
                       ui=Ui(out=out, err=out), timing=Timing(poll=0.2))
    earlier = render_set(config, plan=FARGATE_IN_CONTROL_PLANE)
    assert flow.deploy(ctx, config, flow.Options(yes=True), rendered=earlier) == 0, out.getvalue()
    cfn = _client(sandbox_endpoint, "cloudformation", FARGATE_REGION)
    root = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="platform")["StackResourceSummaries"]}
    assert "ControlPlaneStack" in root and "FargateStack" not in root
    assert _profiles(sandbox_endpoint) == ["serverless"]
    before = _everything(sandbox_endpoint, "platform", FARGATE_REGION)

    env = {"AWS_ENDPOINT_URL": sandbox_endpoint, **CREDENTIALS, "AWS_DEFAULT_REGION": FARGATE_REGION}
    for command in (["deploy", "platform", "--yes"], ["plan", "platform"]):
        done = run_cli(*command, "--poll", "0.2", cwd=workdir, env=env, timeout=300)
        assert done.returncode == 2, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        assert "platform was deployed with the earlier layout of child stacks (the Fargate profiles in " \
               "ControlPlaneStack: serverless); these templates put them in FargateStack; nothing was changed" \
               in done.stderr
        assert "fargateProfiles[].name" in done.stderr
        assert _everything(sandbox_endpoint, "platform", FARGATE_REGION) == before, command

    # the refusal read the deployed ControlPlaneStack's template from S3, not the cluster's profiles
    def not_read(*args: Any) -> list[str]:
        raise AssertionError("ListFargateProfiles: the template was readable")

    with monkeypatch.context() as patched:
        patched.setattr(layout, "live_fargate_profiles", not_read)
        with pytest.raises(UserError, match="the Fargate profiles in ControlPlaneStack: serverless"):
            flow.deploy(ctx, config, flow.Options(yes=True))
    assert _everything(sandbox_endpoint, "platform", FARGATE_REGION) == before

    # what the refusal spares: without it, EKS refuses the second profile of that name in
    # FargateStack and the update rolls back (the profile stays ControlPlaneStack's)
    with monkeypatch.context() as patched:
        patched.setattr(layout, "_refuse_fargate_move", lambda *args: None)
        out.seek(0)
        out.truncate(0)
        with pytest.raises(DeployFailed, match="UPDATE_ROLLBACK_COMPLETE"):
            flow.deploy(ctx, config, flow.Options(yes=True))
    said = out.getvalue()
    assert "The following resource(s) failed to create: [FargateProfileServerless]" in said, said[-3000:]
    nested = re.search(r"Embedded stack (arn:\S+) was not successfully created", said)
    assert nested, said[-3000:]
    reasons = [e.get("ResourceStatusReason", "") for e in
               cfn.describe_stack_events(StackName=nested.group(1))["StackEvents"]
               if e["LogicalResourceId"] == "FargateProfileServerless" and e["ResourceStatus"] == "CREATE_FAILED"]
    assert any(reason.startswith("ResourceInUseException") and "Fargate Profile already exists with this name"
               in reason for reason in reasons), reasons
    assert cfn.describe_stacks(StackName="platform")["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert _profiles(sandbox_endpoint) == ["serverless"]

    # the way out the refusal names: a new name; FargateStack creates it, ControlPlaneStack's goes
    path.write_text(path.read_text().replace("  - name: serverless\n", "  - name: serverless-2\n"))
    done = run_cli("deploy", "platform", "--yes", "--poll", "0.2", cwd=workdir, env=env, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert _profiles(sandbox_endpoint) == ["serverless-2"]
    root = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="platform")["StackResourceSummaries"]}
    assert "FargateStack" in root
