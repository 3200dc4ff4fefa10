"""A cluster deployed with the earlier layout of child stacks (one per builder:
NetworkStack, SecurityStack, ControlPlaneStack, ...) meets this release's layout (the
network and security groups in ControlPlaneStack): ``deploy`` and ``plan`` refuse,
exit 2, name CloudFormation's stack refactoring, and change nothing.

The earlier layout is deployed through the library (``flow.deploy`` with a set rendered
with ``stack_plan.ONE_PER_BUILDER``), as the earlier release made it; then the real CLI
runs against the same sandbox.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from eks_templates.config import load_stack
from eks_templates.deploy import flow
from eks_templates.deploy.session import make_aws
from eks_templates.deploy.ui import Timing, Ui
from eks_templates.render import render_set
from eks_templates.sandbox import server
from eks_templates.stack_plan import ONE_PER_BUILDER
from tests.support import REPO, run_cli

REGION = "ap-northeast-2"
STACK = "myeks"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


def _client(url: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url)


def _everything(url: str) -> dict[str, Any]:
    """What a refused deploy must leave as it was: every stack with its status, template,
    resources and events; the change sets; the uploaded templates; the VPCs."""
    cfn, s3, ec2 = _client(url, "cloudformation"), _client(url, "s3"), _client(url, "ec2")
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
        "change_sets": cfn.list_change_sets(StackName=STACK)["Summaries"],
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
        assert "CreateStackRefactor" in done.stderr
        assert _everything(sandbox_endpoint) == before, command  # no upload, no change set, no event
