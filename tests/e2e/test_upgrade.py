"""Day 2 against the local sandbox: deletion protection, and Kubernetes upgrades by
deploying the stack file (issue 12).

Each test deploys its own copy of ``stacks/myeks.yaml`` (a fresh sandbox state) with
the real CLI in a subprocess, and checks what happened with boto3 against the sandbox.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from eks_templates.sandbox import server
from tests.e2e.user import SandboxUser
from tests.sandbox.cfn import failed_events
from tests.support import REPO

STACK = "myeks"
NODEGROUP = "myeks-nodegroup"


class Sandbox(SandboxUser):
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
    # DeleteStack is accepted and the stack ends DELETE_FAILED with EKS's reason on the
    # cluster resource, as CloudFormation does (sandbox/rollback.py)
    cfn.delete_stack(StackName=STACK)
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "DELETE_FAILED"
    reasons = " ".join(str(e.get("ResourceStatusReason") or "") for e in failed_events(cfn, STACK))
    assert "InvalidRequestException: Cluster myeks has deletion protection" in reasons
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["status"] == "ACTIVE"


def test_opting_out_of_deletion_protection(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.35"}, deploy={"deletionProtection": False})
    ok(box.cli("deploy", STACK, "--yes"))
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["deletionProtection"] is False
    out = ok(box.cli("delete", STACK, "--yes"))
    assert "deletion protection" not in out
    assert box.client("eks").list_clusters()["clusters"] == []


# --------------------------------------------------------------------------- upgrades

ADDONS = [{"name": "vpc-cni"}, {"name": "kube-proxy"}, {"name": "coredns"}]


def versions_of(box: Sandbox) -> tuple[str, str, dict[str, str]]:
    eks = box.client("eks")
    cluster = eks.describe_cluster(name=STACK)["cluster"]["version"]
    nodegroup = eks.describe_nodegroup(clusterName=STACK, nodegroupName=NODEGROUP)["nodegroup"]["version"]
    addons = {a["name"]: eks.describe_addon(clusterName=STACK, addonName=a["name"])["addon"]["addonVersion"]
              for a in ADDONS}
    return cluster, nodegroup, addons


def child_updates(box: Sandbox) -> list[str]:
    """The nested stacks' UPDATE_COMPLETE events in time order, by logical ID of the
    child (the sandbox records stack-level events of updates, not per resource)."""
    cfn = box.client("cloudformation")
    root = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackId"]
    children = {r["PhysicalResourceId"]: r["LogicalResourceId"]
                for r in cfn.describe_stack_resources(StackName=root)["StackResources"]
                if r["ResourceType"] == "AWS::CloudFormation::Stack"}
    found = []
    for physical, logical in children.items():
        for event in cfn.describe_stack_events(StackName=physical)["StackEvents"]:
            if event["LogicalResourceId"] == event["StackName"] and event["ResourceStatus"] == "UPDATE_COMPLETE":
                found.append((event["Timestamp"], logical))
    return [logical for _, logical in sorted(found)]


def change_set_count(box: Sandbox) -> int:
    return sum(1 for e in box.client("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"]
               if e["LogicalResourceId"] == STACK and e["ResourceStatus"] == "UPDATE_IN_PROGRESS")


def test_one_minor_upgrade_runs_control_plane_then_nodegroup_then_addons(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.35"}, addons=ADDONS)
    ok(box.cli("deploy", STACK, "--yes"))
    assert versions_of(box) == ("1.35", "1.35", {a["name"]: "v1.35.0-eksbuild.2" for a in ADDONS})

    box.write_stack(metadata={"version": "1.36"}, addons=ADDONS)
    out = ok(box.cli("deploy", STACK, "--yes"))
    plan = out[out.index("Upgrade plan"):out.index("Step 1/")]
    assert "Kubernetes 1.35 -> 1.36, 3 step(s)" in plan
    assert "1. control plane 1.35 -> 1.36" in plan
    assert "2. nodegroups myeks-nodegroup: Version 1.36" in plan
    assert "3. add-ons: vpc-cni v1.36.0-eksbuild.2, kube-proxy v1.36.0-eksbuild.2, coredns v1.36.0-eksbuild.2" in plan
    assert "PASSING  Deprecated APIs removed" in plan  # the preflight's insights, shown before anything runs
    # CloudFormation's events: the control plane's stack (the cluster; vpc-cni and
    # kube-proxy live there too) first, then the nodegroup's, then the add-ons'
    updates = child_updates(box)
    assert updates.index("ControlPlaneStack") < updates.index("NodegroupMyeksNodegroupStack")
    assert updates.index("NodegroupMyeksNodegroupStack") < updates.index("AddonsStack")
    assert updates.count("NodegroupMyeksNodegroupStack") == 1
    assert updates.count("ControlPlaneStack") == 2  # step 1 (version), step 3 (its add-ons)
    assert updates[-1] in ("AddonsStack", "ControlPlaneStack")
    assert out.index("Step 1/3: control plane") < out.index("Step 2/3: nodegroups") < out.index("Step 3/3: add-ons")
    assert versions_of(box) == ("1.36", "1.36", {a["name"]: "v1.36.0-eksbuild.2" for a in ADDONS})
    assert "upgraded to Kubernetes 1.36" in out

    # done: the next deploy plans no upgrade
    again = ok(box.cli("deploy", STACK, "--yes"))
    assert "Upgrade plan" not in again


def test_two_minors_are_two_control_plane_steps(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.34"})
    ok(box.cli("deploy", STACK, "--yes"))
    box.write_stack(metadata={"version": "1.36"})
    before = change_set_count(box)
    shown = ok(box.cli("plan", STACK))  # the steps, nothing run
    assert "1. control plane 1.34 -> 1.35" in shown and "Plan only" in shown
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["version"] == "1.34"
    assert change_set_count(box) == before
    out = ok(box.cli("deploy", STACK, "--yes"))
    assert "1. control plane 1.34 -> 1.35" in out and "2. control plane 1.35 -> 1.36" in out
    assert "3. nodegroups myeks-nodegroup: Version 1.36" in out
    # the management host is not touched: its user data holds no version (UserData is
    # "Update requires: Some interruptions", a stop and start of the host per step)
    # (old code: "~ Modify  BastionStack" and ".../BastionStack  ~ Modify  ManagementHost" in step 1 and 2)
    touched = [line for line in out[out.index("Step 1/"):].splitlines()
               if ("BastionStack" in line or "ManagementHost" in line)
               and any(action in line for action in ("Modify", "Replace", "Add", "Remove"))]
    assert touched == []
    assert "BastionStack" not in child_updates(box)
    eks = box.client("eks")
    assert eks.describe_cluster(name=STACK)["cluster"]["version"] == "1.36"
    assert eks.describe_nodegroup(clusterName=STACK, nodegroupName=NODEGROUP)["nodegroup"]["version"] == "1.36"


def test_downgrade_is_refused_with_nothing_changed(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.36"})
    ok(box.cli("deploy", STACK, "--yes"))
    before = change_set_count(box)
    box.write_stack(metadata={"version": "1.35"})
    text = refused(box.cli("deploy", STACK, "--yes"))
    assert "metadata.version: 1.35 is older than the live cluster's 1.36; EKS does not downgrade" in text
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["version"] == "1.36"
    assert change_set_count(box) == before


def test_an_error_insight_stops_the_upgrade_unless_forced(box: Sandbox) -> None:
    from eks_templates.sandbox import eks_api

    box.write_stack(metadata={"version": "1.35"})
    ok(box.cli("deploy", STACK, "--yes"))
    eks_api.plant_insight(STACK, status="ERROR", name="Kubelet version skew",
                          recommendation="Upgrade your nodes to the control plane's version first.")
    before = change_set_count(box)
    box.write_stack(metadata={"version": "1.36"})
    text = refused(box.cli("deploy", STACK, "--yes"))
    assert "upgrade insight(s) in ERROR; the upgrade is stopped, nothing was changed" in text
    assert "recommendation: Upgrade your nodes to the control plane's version first." in text
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["version"] == "1.35"
    assert change_set_count(box) == before

    out = ok(box.cli("deploy", STACK, "--yes", "--force"))
    assert "upgraded to Kubernetes 1.36" in out
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["version"] == "1.36"


def test_an_interrupted_upgrade_resumes_at_the_nodegroup_step(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.35"}, addons=ADDONS)
    ok(box.cli("deploy", STACK, "--yes"))
    # the state an upgrade leaves when stopped after its control-plane step: the cluster
    # at 1.36, the nodegroup and the add-ons still on 1.35's versions
    group = yaml.safe_load((REPO / "stacks" / "myeks.yaml").read_text())["managedNodeGroups"][0]
    held = [{"name": a["name"], "version": "v1.35.0-eksbuild.2"} for a in ADDONS]
    box.write_stack(metadata={"version": "1.36"}, addons=held, managedNodeGroups=[dict(group, version="1.35")])
    ok(box.cli("deploy", STACK, "--yes"))
    assert versions_of(box)[:2] == ("1.36", "1.35")

    box.write_stack(metadata={"version": "1.36"}, addons=ADDONS)
    out = ok(box.cli("deploy", STACK, "--yes"))
    assert "Kubernetes 1.36 -> 1.36, 2 step(s)" in out
    assert "control plane" not in out[out.index("Upgrade plan"):out.index("Step 1/")]
    assert "Step 1/2: nodegroups myeks-nodegroup" in out
    assert versions_of(box) == ("1.36", "1.36", {a["name"]: "v1.36.0-eksbuild.2" for a in ADDONS})


# --------------------------------------------------------------------------- the upgrade command

COMMENTED = """\
# our cluster (comments and layout must survive an upgrade)
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig

metadata:
  name: myeks
  region: ap-northeast-2
  version: "1.35"   # bumped by `upgrade`

vpc:
  publicAccessCIDRs: [203.0.113.0/24]

managedNodeGroups:
  - name: general          # AL2023, x86
    instanceType: t3.medium
    releaseVersion: "1.35.0-20261001"
  - name: arm
    amiFamily: Bottlerocket
    instanceTypes: [m7g.large]
  - name: legacy           # custom AMI: no releaseVersion
    amiFamily: Ubuntu2404
"""


def test_upgrade_amis_edits_only_the_versions_and_keeps_comments(box: Sandbox) -> None:
    path = box.workdir / "stacks" / "mine.yaml"
    path.write_text(COMMENTED)
    # the releases the sandbox publishes (sandbox/ssm_public.py: release_parameters), not planted
    out = ok(box.cli("upgrade", "mine", "--amis"))
    changed = [line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        '-  version: "1.35"   # bumped by `upgrade`',
        '+  version: "1.36"   # bumped by `upgrade`',
        '-    releaseVersion: "1.35.0-20261001"',
        '+    releaseVersion: "1.36.0-20261120"',
        '+    releaseVersion: "1.52.0-4c8e9f1a"',
    ]
    new = path.read_text()
    old_lines = COMMENTED.splitlines()
    assert [line for line in new.splitlines() if "releaseVersion" not in line and "version:" not in line] == [
        line for line in old_lines if "releaseVersion" not in line and "version:" not in line]
    assert box.client("eks").list_clusters()["clusters"] == []  # nothing live changed


def test_upgrade_refuses_a_downgrade_and_an_unknown_version(box: Sandbox) -> None:
    path = box.workdir / "stacks" / "mine.yaml"
    path.write_text(COMMENTED)
    assert "--to: 1.34 is older than " in (down := refused(box.cli("upgrade", "mine", "--to", "1.34")))
    assert "'s metadata.version 1.35; EKS does not downgrade" in down
    assert "'1.99' is not a Kubernetes version EKS offers" in refused(box.cli("upgrade", "mine", "--to", "1.99"))
    assert path.read_text() == COMMENTED


def test_upgrade_deploy_runs_the_upgrade(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.35"})
    ok(box.cli("deploy", STACK, "--yes"))
    out = ok(box.cli("upgrade", STACK, "--deploy", "--yes"))
    assert '+  version: "1.36"' in out or "+  version: '1.36'" in out
    assert "Upgrade plan for myeks: Kubernetes 1.35 -> 1.36" in out
    eks = box.client("eks")
    assert eks.describe_cluster(name=STACK)["cluster"]["version"] == "1.36"
    assert eks.describe_nodegroup(clusterName=STACK, nodegroupName=NODEGROUP)["nodegroup"]["version"] == "1.36"


def test_an_upgrade_stopped_before_its_addon_step_resumes_with_the_addons(box: Sandbox) -> None:
    box.write_stack(metadata={"version": "1.35"}, addons=ADDONS)
    ok(box.cli("deploy", STACK, "--yes"))
    held = [{"name": a["name"], "version": "v1.35.0-eksbuild.2"} for a in ADDONS]
    box.write_stack(metadata={"version": "1.36"}, addons=held)
    ok(box.cli("deploy", STACK, "--yes"))
    assert versions_of(box) == ("1.36", "1.36", {a["name"]: "v1.35.0-eksbuild.2" for a in ADDONS})

    box.write_stack(metadata={"version": "1.36"}, addons=ADDONS)  # unpinned again
    out = ok(box.cli("deploy", STACK, "--yes"))
    assert "Kubernetes 1.36 -> 1.36, 1 step(s)" in out
    assert "Step 1/1: add-ons: vpc-cni v1.36.0-eksbuild.2" in out
    assert versions_of(box) == ("1.36", "1.36", {a["name"]: "v1.36.0-eksbuild.2" for a in ADDONS})
    assert "Upgrade plan" not in ok(box.cli("deploy", STACK, "--yes"))


def test_upgrade_of_a_file_at_the_newest_version_is_nothing_to_do_and_deploy_still_deploys(box: Sandbox) -> None:
    path = box.write_stack(metadata={"version": "1.36"})
    before = path.read_bytes()
    done = box.cli("upgrade", STACK)
    assert ok(done) == ""  # no diff
    assert "metadata.version 1.36 is the newest version in the versions table; nothing to do" in done.stderr
    assert box.client("eks").list_clusters()["clusters"] == []
    # --deploy deploys the file as it is (what resumes an upgrade stopped after its edit)
    deployed = box.cli("upgrade", STACK, "--deploy", "--yes")
    ok(deployed)
    assert "nothing to do" in deployed.stderr
    assert box.client("eks").describe_cluster(name=STACK)["cluster"]["version"] == "1.36"
    assert path.read_bytes() == before
