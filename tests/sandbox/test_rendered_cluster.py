"""The templates `render` writes for every stack file, through their lifecycle in the sandbox.

Deploys whatever children the renderer produces (through change sets, as `deploy`
does), scales each nodegroup whose scaling parameter the root exposes, checks that an
unchanged redeploy is "no updates", and deletes - leaving nothing behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from . import templates as t
from .cfn import deploy, live_stacks
from .conftest import Clients

REPO = Path(__file__).resolve().parents[2]
STACKS = sorted(path.stem for path in (REPO / "stacks").glob("*.yaml")) or ["myeks"]


def _render(stack: str, out_dir: Path) -> dict:
    subprocess.run(
        [sys.executable, "-m", "eks_templates", "render", stack, "--out-dir", str(out_dir)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads((out_dir / "root.json").read_text())


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_cluster_deploys_scales_and_deletes(aws: Clients, tmp_path: Path, stack: str) -> None:
    root = _render(stack, tmp_path)
    children = [name for name, res in root["Resources"].items() if res["Type"] == "AWS::CloudFormation::Stack"]
    assert "ControlPlaneStack" in children  # the network is in it (stack_plan)
    for name in children:
        props = root["Resources"][name]["Properties"]
        child = json.loads((tmp_path / props["TemplateURL"]).read_text())
        props["TemplateURL"] = t.upload(aws.s3, f"rendered/{props['TemplateURL']}", child)

    deploy(aws.cloudformation, stack, root)
    stacks = aws.cloudformation.describe_stacks()["Stacks"]
    assert len(stacks) == len(children) + 1
    assert {s["StackStatus"] for s in stacks} == {"CREATE_COMPLETE"}
    root_stack = next(s for s in stacks if s["StackName"] == stack)
    assert {o["OutputKey"] for o in root_stack.get("Outputs") or []} == set(root.get("Outputs", {}))

    scaling = {
        name: [int(v) for v in str(slot["Default"]).split(",")]
        for name, slot in (root.get("Parameters") or {}).items()
        if name.endswith("Scaling") and slot.get("Type") == "CommaDelimitedList"
    }
    if scaling:
        params = {name: f"{d + 1},{mn},{max(mx, d + 1)}" for name, (d, mn, mx) in scaling.items()}
        deploy(aws.cloudformation, stack, root, params)
        clusters = aws.eks.list_clusters()["clusters"]
        desired = sorted(
            aws.eks.describe_nodegroup(clusterName=c, nodegroupName=ng)["nodegroup"]["scalingConfig"]["desiredSize"]
            for c in clusters
            for ng in aws.eks.list_nodegroups(clusterName=c)["nodegroups"]
        )
        assert desired == sorted(d + 1 for d, _mn, _mx in scaling.values())
        with pytest.raises(ClientError, match="No updates are to be performed"):
            deploy(aws.cloudformation, stack, root, params)

    # The cluster's DeletionProtection is on as rendered: EKS refuses to delete it, so it
    # is turned off by an update first, as `delete` does.
    cp = root["Resources"]["ControlPlaneStack"]["Properties"]
    child = json.loads((tmp_path / "ControlPlaneStack.json").read_text())
    assert child["Resources"]["ControlPlane"]["Properties"]["DeletionProtection"] is True
    child["Resources"]["ControlPlane"]["Properties"]["DeletionProtection"] = False
    cp["TemplateURL"] = t.upload(aws.s3, "rendered/ControlPlaneStack-unprotected.json", child)
    deploy(aws.cloudformation, stack, root, params if scaling else None)
    aws.cloudformation.delete_stack(StackName=stack)

    assert live_stacks(aws.cloudformation) == []
    assert [v for v in aws.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert [g["GroupName"] for g in aws.ec2.describe_security_groups()["SecurityGroups"]] == ["default"]
    assert aws.eks.list_clusters()["clusters"] == []
    states = {i["State"]["Name"] for r in aws.ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    assert states <= {"terminated"}
