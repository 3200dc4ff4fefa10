"""A second stack file that names a cluster already running under another stack, as a
user meets it on the sandbox: ``deploy`` refuses it before anything is made (and never
advises deleting the running cluster's log group), and a stack that failed on the name
(ROLLBACK_COMPLETE, as CloudFormation leaves it) shows no cluster in ``get clusters``,
no nodegroups in ``get nodegroups``, and ``kubeconfig`` refuses it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
import yaml

from eks_templates.names import STACK_TAG_CLUSTER
from eks_templates.sandbox import server
from tests.e2e.user import Steps, exited
from tests.support import REPO


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory, sandbox_endpoint: str) -> Iterator[Steps]:
    server.reset(sandbox_endpoint)
    workdir = tmp_path_factory.mktemp("taken")
    shutil.copytree(REPO / "stacks", workdir / "stacks")
    yield Steps(url=sandbox_endpoint, workdir=workdir)
    server.reset(sandbox_endpoint)


def objects(user: Steps) -> list[str]:
    s3 = user.client("s3")
    return sorted(o["Key"] for b in s3.list_buckets()["Buckets"]
                  for o in s3.list_objects_v2(Bucket=b["Name"]).get("Contents") or [])


def test_1_the_first_stack_deploys(user: Steps) -> None:
    user.begin(1)
    exited(user.cli("deploy", "myeks", "--yes", "--poll", "0.1"), 0)
    tags = user.client("eks").describe_cluster(name="myeks")["cluster"]["tags"]
    # as CloudFormation tags what it creates: the ControlPlaneStack child of the root
    root = user.client("cloudformation").describe_stacks(StackName=tags["aws:cloudformation:stack-id"])["Stacks"][0]
    assert root["RootId"].split("/")[1] == "myeks" and tags["aws:cloudformation:logical-id"] == "ControlPlane"
    user.passed.append(1)


@pytest.mark.parametrize("log_group", ["create", "existing"])
def test_2_a_second_stack_with_the_same_cluster_name_is_refused_before_anything(user: Steps, log_group: str) -> None:
    user.begin(2)
    data = yaml.safe_load((user.workdir / "stacks" / "myeks.yaml").read_text())
    data["deploy"] = {**(data.get("deploy") or {}), "stackName": "dup"}
    data["vpc"]["cidr"] = "10.20.0.0/16"
    data.setdefault("cloudWatch", {}).setdefault("clusterLogging", {})["logGroup"] = log_group
    (user.workdir / "stacks" / "dup.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    before = objects(user)
    text = exited(user.cli("deploy", "dup", "--yes", "--poll", "0.1"), 2)
    assert ("error: the cluster name myeks (metadata.name) is taken in ap-northeast-2: its cluster was made by "
            "stack myeks;") in text
    assert "choose another metadata.name in the stack file for stack dup" in text
    assert "delete-log-group" not in text and "log group" not in text
    cfn = user.client("cloudformation")
    assert "dup" not in {s["StackName"] for s in cfn.describe_stacks()["Stacks"]}
    assert "dup" not in {s["StackName"] for s in cfn.list_stacks()["StackSummaries"]}  # no change set made one
    assert objects(user) == before  # nothing uploaded
    if log_group == "existing":
        user.passed.append(2)


def test_3_a_stack_that_failed_on_the_name_has_no_cluster_nodegroups_or_kubeconfig(user: Steps) -> None:
    """The stack as a create that failed on the name leaves it (say, made before this check,
    or by another tool): the cluster resource's ResourceInUseException, then ROLLBACK_COMPLETE."""
    user.begin(3)
    cfn = user.client("cloudformation")
    role = user.client("eks").describe_cluster(name="myeks")["cluster"]["roleArn"]
    body = json.dumps({"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": {
        "Name": "myeks", "RoleArn": role, "ResourcesVpcConfig": {"SubnetIds": []}}}}})
    cfn.create_stack(StackName="dup", TemplateBody=body, Tags=[{"Key": STACK_TAG_CLUSTER, "Value": "myeks"}])
    assert cfn.describe_stacks(StackName="dup")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"

    rows = {r["name"]: r for r in json.loads(exited(user.cli("get", "clusters", "--output", "json"), 0))}
    assert rows["myeks"]["clusterStatus"] == "ACTIVE"
    assert rows["dup"]["stackStatus"] == "ROLLBACK_COMPLETE"
    assert (rows["dup"]["clusterStatus"], rows["dup"]["version"], rows["dup"]["endpointPublicAccess"]) == \
        ("-", "-", None)

    assert json.loads(exited(user.cli("get", "nodegroups", "dup", "--output", "json"), 0)) == []
    assert [r["name"] for r in json.loads(exited(user.cli("get", "nodegroups", "myeks", "--output", "json"), 0))] \
        == ["myeks-nodegroup"]

    kubeconfig = user.workdir / "kd"
    text = exited(user.cli("kubeconfig", "dup", "--file", str(kubeconfig)), 2)
    assert ("error: stack dup has no cluster of its own in ap-northeast-2: the cluster myeks was made by stack "
            "myeks; nothing was written") in text
    assert not kubeconfig.exists()
    exited(user.cli("kubeconfig", "myeks", "--file", str(kubeconfig)), 0)
    user.passed.append(3)
