"""Nodegroups of one shape share one child template, end to end against the sandbox.

A stack file with three nodegroups, ``blue`` and ``green`` alike and ``red`` of another
instance type: ``deploy`` uploads the shared nodegroup template once (and red's once),
EKS then has three working nodegroups under their own names, each with its own launch
template, remoteAccess group and instance tags; a change to the shared template that
would replace the nodegroups under their names is refused naming each of them, and
nothing changes. The commands are the real ones in a subprocess; what they did is
checked with boto3 against the sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_templates.sandbox import server
from tests.e2e.user import SandboxUser as Sandbox
from tests.support import REPO

STACK = "shared3"


def stack_file(directory: Path, *, blue_green_type: str = "t3.medium") -> Path:
    data = yaml.safe_load((REPO / "stacks" / "myeks.yaml").read_text())
    data["metadata"]["name"] = STACK
    group = data["managedNodeGroups"][0]
    data["managedNodeGroups"] = [dict(group, name="blue", instanceType=blue_green_type),
                                 dict(group, name="green", instanceType=blue_green_type),
                                 dict(group, name="red", instanceType="t3.large")]
    path = directory / f"{STACK}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path




@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory, sandbox_endpoint: str) -> Iterator[Sandbox]:
    server.reset(sandbox_endpoint)
    yield Sandbox(sandbox_endpoint, tmp_path_factory.mktemp("shared"))


def nested_stack(cfn: Any, logical_id: str) -> str:
    return str(cfn.describe_stack_resource(StackName=STACK, LogicalResourceId=logical_id)[
        "StackResourceDetail"]["PhysicalResourceId"])


def test_deploy_uploads_the_shared_template_once_and_makes_three_named_nodegroups(sandbox: Sandbox) -> None:
    path = stack_file(sandbox.workdir)
    done = sandbox.cli("deploy", str(path), "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    uploads = re.findall(r"uploaded (\S+) \(sha256", done.stdout)
    # blue and green share NodegroupBlueStack.json; red has a template of its own
    assert sorted(u for u in uploads if u.startswith("Nodegroup")) == ["NodegroupBlueStack.json",
                                                                        "NodegroupRedStack.json"]
    assert len(uploads) == len(set(uploads))
    s3 = sandbox.client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("eks-templates-"))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert len(keys) == len(uploads)

    cfn = sandbox.client("cloudformation")
    bodies = {color: cfn.get_template(StackName=nested_stack(cfn, f"Nodegroup{color}Stack"))["TemplateBody"]
              for color in ("Blue", "Green", "Red")}
    assert bodies["Blue"] == bodies["Green"] != bodies["Red"]

    eks, ec2 = sandbox.client("eks"), sandbox.client("ec2")
    assert sorted(eks.list_nodegroups(clusterName=STACK)["nodegroups"]) == ["blue", "green", "red"]
    templates = set()
    for name, kind in (("blue", "t3.medium"), ("green", "t3.medium"), ("red", "t3.large")):
        ng = eks.describe_nodegroup(clusterName=STACK, nodegroupName=name)["nodegroup"]
        assert ng["status"] == "ACTIVE" and ng["instanceTypes"] == [kind]
        assert ng["scalingConfig"] == {"minSize": 2, "maxSize": 2, "desiredSize": 2}
        launch = ng["launchTemplate"]
        templates.add(launch["id"])
        data = ec2.describe_launch_template_versions(LaunchTemplateId=launch["id"])[
            "LaunchTemplateVersions"][0]["LaunchTemplateData"]
        tags = {t["Key"]: t["Value"] for spec in data["TagSpecifications"] for t in spec["Tags"]}
        assert tags["Name"] == f"{STACK}-{name}-Node"  # the name, passed by the root into the shared template
        groups = ec2.describe_security_groups(GroupIds=data["SecurityGroupIds"])["SecurityGroups"]
        (ssh,) = [g["Description"] for g in groups if g["Description"].startswith("SSH to the nodes")]
        assert ssh.startswith(f"SSH to the nodes of nodegroup {name} from")  # its own remoteAccess group
    assert len(templates) == 3  # one launch template per nodegroup, from one template file for two of them


def test_a_shared_template_change_that_replaces_named_nodegroups_is_refused(sandbox: Sandbox) -> None:
    path = stack_file(sandbox.workdir, blue_green_type="m5.large")
    done = sandbox.cli("deploy", str(path), "--yes", "--allow-replacement")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    refused = [line for line in done.stderr.splitlines() if "would be replaced because of" in line]
    assert [re.search(r"NodegroupName '(\w+)'", line)[1] for line in refused] == ["blue", "green"]  # type: ignore[index]
    assert "nothing was changed" in done.stderr
    eks = sandbox.client("eks")
    for name in ("blue", "green"):
        assert eks.describe_nodegroup(clusterName=STACK, nodegroupName=name)["nodegroup"]["instanceTypes"] == [
            "t3.medium"]
    status = sandbox.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
