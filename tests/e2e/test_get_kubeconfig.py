"""``get clusters``, ``get nodegroups`` and ``kubeconfig`` as a user runs them, against
the sandbox: the notes' cluster deployed once by the real CLI, then listed and written
into kubeconfigs; what the commands print is checked against what EKS and
CloudFormation hold (boto3 on the sandbox)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from eks_templates.deploy import listing
from eks_templates.deploy.kubeconfig_schema import schema
from eks_templates.names import STACK_TAG_CLUSTER
from eks_templates.sandbox import server
from tests.e2e.test_upgrade import Sandbox, ok
from tests.e2e.user import REGION
from tests.support import REPO, run_cli

ARN = f"arn:aws:eks:{REGION}:123456789012:cluster/myeks"


class Deployed(Sandbox):
    """test_upgrade's sandbox session, with extra environment for a command."""

    def run(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, cwd=self.workdir, env={"AWS_ENDPOINT_URL": self.url, **self.credentials, **env})


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, sandbox_endpoint: str) -> Iterator[Deployed]:
    server.reset(sandbox_endpoint)
    workdir = tmp_path_factory.mktemp("get")
    shutil.copytree(REPO / "stacks", workdir / "stacks")
    box = Deployed(sandbox_endpoint, workdir)
    ok(box.cli("deploy", "myeks", "--yes", "--poll", "0.1"))
    yield box


# --------------------------------------------------------------------------- get clusters


def test_deploy_tags_the_root_stack_and_its_nested_stacks(deployed: Deployed) -> None:
    cfn = deployed.client("cloudformation")
    stacks = cfn.describe_stacks()["Stacks"]
    root = next(s for s in stacks if s["StackName"] == "myeks")
    assert {t["Key"]: t["Value"] for t in root["Tags"]}[STACK_TAG_CLUSTER] == "myeks"
    nested = [s for s in stacks if s["StackName"] != "myeks"]
    assert len(nested) == 3  # ControlPlaneStack, BastionStack, the nodegroup (stack_plan.py)
    for child in nested:  # as CloudFormation: ParentId/RootId, and the root's tags
        assert child["ParentId"] == root["StackId"] and child["RootId"] == root["StackId"]
        assert child["Tags"] == root["Tags"]


def test_get_clusters_lists_what_eks_holds(deployed: Deployed) -> None:
    cfn, eks = deployed.client("cloudformation"), deployed.client("eks")
    # a stack this tool did not make, and one it made whose cluster is not there (yet)
    body = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    cfn.create_stack(StackName="someone-else", TemplateBody=body, Tags=[{"Key": "team", "Value": "x"}])
    cfn.create_stack(StackName="half-made", TemplateBody=body, Tags=[{"Key": STACK_TAG_CLUSTER, "Value": "ghost"}])
    try:
        rows = json.loads(ok(deployed.cli("get", "clusters", "--output", "json")))
        assert [r["name"] for r in rows] == ["half-made", "myeks"]  # roots only, by name; nested ones not
        cluster = eks.describe_cluster(name="myeks")["cluster"]
        vpc = cluster["resourcesVpcConfig"]
        root = cfn.describe_stacks(StackName="myeks")["Stacks"][0]
        assert rows[1] == {
            "name": "myeks", "cluster": "myeks", "stackStatus": root["StackStatus"],
            "clusterStatus": cluster["status"], "version": cluster["version"],
            "endpointPublicAccess": vpc["endpointPublicAccess"], "endpointPrivateAccess": vpc["endpointPrivateAccess"],
            "publicAccessCidrs": vpc["publicAccessCidrs"],
            "lastUpdate": root.get("LastUpdatedTime", root["CreationTime"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        assert rows[0]["cluster"] == "ghost" and rows[0]["version"] == "-" and rows[0]["clusterStatus"] == "-"

        table = ok(deployed.cli("get", "clusters", "--region", REGION)).splitlines()
        assert table[0].split() == ["NAME", "CLUSTER", "STACK", "STATUS", "CLUSTER", "STATUS", "VERSION", "ENDPOINT",
                                    "ACCESS", "LAST", "UPDATE"]
        assert table[2].split()[:5] == ["myeks", "myeks", root["StackStatus"], "ACTIVE", cluster["version"]]
        assert "public (0.0.0.0/0) + private" in table[2]
        as_yaml = yaml.safe_load(ok(deployed.cli("get", "cluster", "-o", "yaml")))  # eksctl's singular works too
        assert as_yaml == rows
    finally:
        cfn.delete_stack(StackName="someone-else")
        cfn.delete_stack(StackName="half-made")


def test_get_clusters_in_a_region_without_any(deployed: Deployed) -> None:
    out = ok(deployed.cli("get", "clusters", "--region", "eu-west-1"))
    assert out == "No clusters deployed by eks-templates in eu-west-1.\n"
    assert json.loads(ok(deployed.cli("get", "clusters", "--region", "eu-west-1", "-o", "json"))) == []


def test_get_clusters_bad_region_is_one_line(deployed: Deployed) -> None:
    done = deployed.cli("get", "clusters", "--region", "us-wset-2")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "error: --region: 'us-wset-2' is not an AWS region; did you mean 'us-west-2'?\n"


def test_get_clusters_calls_are_bounded(deployed: Deployed) -> None:
    """One DescribeStacks per page of 50 stacks (moto's page size) and one DescribeCluster
    per cluster found, however many nested and foreign stacks the region has."""
    cfn, eks = deployed.client("cloudformation"), deployed.client("eks")
    body = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    names = [f"filler-{i:02d}" for i in range(50)]
    for name in names:
        cfn.create_stack(StackName=name, TemplateBody=body)
    calls: list[str] = []
    for client in (cfn, eks):
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
    try:
        rows = listing.list_clusters(cfn, eks)
        made = list(calls)
    finally:
        for name in names:
            cfn.delete_stack(StackName=name)
    assert [r.stack for r in rows] == ["myeks"]  # 56 stacks: two pages
    assert made == ["DescribeStacks", "DescribeStacks", "DescribeCluster"]


# --------------------------------------------------------------------------- get nodegroups


def test_get_nodegroups_matches_eks_and_the_stack(deployed: Deployed) -> None:
    cfn, eks = deployed.client("cloudformation"), deployed.client("eks")
    ok(deployed.cli("scale", "myeks", "myeks-nodegroup", "--nodes", "3", "--max", "3", "--yes", "--poll", "0.1"))
    # a nodegroup made outside the stack (as the notes' `eksctl create nodegroup` would)
    mine = eks.describe_nodegroup(clusterName="myeks", nodegroupName="myeks-nodegroup")["nodegroup"]
    eks.create_nodegroup(clusterName="myeks", nodegroupName="by-hand", nodeRole=mine["nodeRole"],
                         subnets=mine["subnets"], instanceTypes=["m5.large"],
                         scalingConfig={"desiredSize": 1, "minSize": 1, "maxSize": 2})
    try:
        rows = json.loads(ok(deployed.cli("get", "nodegroups", "myeks", "-o", "json")))
        assert [r["name"] for r in rows] == ["by-hand", "myeks-nodegroup"]
        stack_resources = {r["LogicalResourceId"]: r for r in
                           cfn.list_stack_resources(StackName="myeks")["StackResourceSummaries"]}
        for row in rows:
            ng = eks.describe_nodegroup(clusterName="myeks", nodegroupName=row["name"])["nodegroup"]
            assert row["status"] == ng["status"]
            assert row["instanceTypes"] == ng["instanceTypes"]
            assert row["scalingConfig"] == ng["scalingConfig"]
            assert row["version"] == ng["version"] and row["releaseVersion"] == ng["releaseVersion"]
            assert row["amiType"] == ng["amiType"] and row["capacityType"] == ng["capacityType"]
        ours = rows[1]
        assert ours["scalingConfig"] == {"desiredSize": 3, "minSize": 2, "maxSize": 3}
        assert ours["stack"] == "NodegroupMyeksNodegroupStack"
        assert ours["stackStatus"] == stack_resources["NodegroupMyeksNodegroupStack"]["ResourceStatus"]
        assert ours["stackStatus"] == "UPDATE_COMPLETE"  # scale updated the nested stack (sandbox/resource_status.py)
        assert ours["stackScaling"] == "3/2/3"
        assert rows[0]["stack"] == "-" and rows[0]["stackScaling"] == "-"  # not this stack's

        table = ok(deployed.cli("get", "nodegroups", "myeks")).splitlines()
        assert table[0].split()[:3] == ["NODEGROUP", "STATUS", "INSTANCE"]
        assert table[2].split() == ["myeks-nodegroup", "ACTIVE", "t3.medium", "ON_DEMAND", "3", "2", "3",
                                    ours["version"], ours["releaseVersion"], "NodegroupMyeksNodegroupStack",
                                    f"({ours['stackStatus']})"]
    finally:
        eks.delete_nodegroup(clusterName="myeks", nodegroupName="by-hand")
        ok(deployed.cli("scale", "myeks", "myeks-nodegroup", "--nodes", "2", "--max", "2", "--yes", "--poll", "0.1"))


def test_get_nodegroups_calls_are_bounded(deployed: Deployed) -> None:
    """One DescribeStacks, one ListStackResources, one DescribeCluster (whose cluster it is:
    another stack's is not listed), one ListNodegroups (a page each here), then one
    DescribeNodegroup per nodegroup: no per-nested-stack DescribeStacks."""
    cfn, eks = deployed.client("cloudformation"), deployed.client("eks")
    mine = eks.describe_nodegroup(clusterName="myeks", nodegroupName="myeks-nodegroup")["nodegroup"]
    extra = [f"extra-{i}" for i in range(3)]
    for name in extra:
        eks.create_nodegroup(clusterName="myeks", nodegroupName=name, nodeRole=mine["nodeRole"],
                             subnets=mine["subnets"])
    calls: list[str] = []
    for client in (cfn, eks):
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
    try:
        rows = listing.list_nodegroups(cfn, eks, "myeks", REGION, file_nodegroups=["myeks-nodegroup"])
        made = list(calls)
    finally:
        for name in extra:
            eks.delete_nodegroup(clusterName="myeks", nodegroupName=name)
    assert [r.name for r in rows] == [*extra, "myeks-nodegroup"]
    assert made == ["DescribeStacks", "ListStackResources", "DescribeCluster", "ListNodegroups",
                    *["DescribeNodegroup"] * 4]


def test_get_nodegroups_of_an_unknown_stack_is_one_line(deployed: Deployed, tmp_path: Path) -> None:
    text = (REPO / "stacks" / "myeks.yaml").read_text().replace("  name: myeks\n", "  name: nosuch\n", 1)
    (tmp_path / "nosuch.yaml").write_text(text)
    done = deployed.cli("get", "nodegroups", str(tmp_path / "nosuch.yaml"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"error: stack nosuch does not exist in {REGION}\n"
    done = deployed.cli("get", "nodegroups", "nofile")
    assert done.returncode == 2 and done.stderr.startswith("stacks/nofile.yaml: no such stack file")
    assert len(done.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- kubeconfig

UNRELATED = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [{"name": "kind-dev", "cluster": {"server": "https://127.0.0.1:6443",
                                                  "certificate-authority-data": "Zm9v"}}],
    "users": [{"name": "kind-dev", "user": {"client-certificate-data": "YmFy", "client-key-data": "YmF6"}}],
    "contexts": [{"name": "kind-dev", "context": {"cluster": "kind-dev", "user": "kind-dev", "namespace": "apps"}}],
    "current-context": "kind-dev",
    "preferences": {},
}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_kubeconfig_merges_and_keeps_the_other_entries(deployed: Deployed, tmp_path: Path) -> None:
    path = tmp_path / "config"
    old_text = yaml.safe_dump(UNRELATED)
    path.write_text(old_text)
    path.chmod(0o644)
    out = ok(deployed.cli("kubeconfig", "myeks", "--file", str(path)))
    backup = tmp_path / "config.eks-templates.bak"
    assert out.splitlines()[0] == f"Added new context {ARN} to {path} (the old file is {backup})"
    assert backup.read_text() == old_text and _mode(backup) == 0o600
    assert _mode(path) == 0o600
    config = yaml.safe_load(path.read_text())
    jsonschema.validate(config, schema(strict=True))
    for key in ("clusters", "users", "contexts"):
        assert config[key][0] == UNRELATED[key][0]  # kept, first, as it was
        assert [e["name"] for e in config[key]] == ["kind-dev", ARN]
    assert config["current-context"] == ARN
    cluster = deployed.client("eks").describe_cluster(name="myeks")["cluster"]
    assert config["clusters"][1]["cluster"] == {"certificate-authority-data": cluster["certificateAuthority"]["data"],
                                                "server": cluster["endpoint"]}
    # exactly what `aws eks update-kubeconfig --name myeks` writes (awscli update_kubeconfig.py)
    assert config["users"][1] == {"name": ARN, "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "args": ["--region", REGION, "eks", "get-token", "--cluster-name", "myeks", "--output", "json"],
        "command": "aws",
    }}}
    assert config["contexts"][1] == {"context": {"cluster": ARN, "user": ARN}, "name": ARN}

    # again: nothing to change, nothing written (not even the backup)
    before = (path.read_bytes(), path.stat().st_mtime_ns, backup.stat().st_mtime_ns)
    out = ok(deployed.cli("kubeconfig", "myeks", "--file", str(path)))
    assert out.splitlines()[0] == f"Context {ARN} in {path} is up to date; the file was not changed."
    assert (path.read_bytes(), path.stat().st_mtime_ns, backup.stat().st_mtime_ns) == before

    # --alias names the context; the cluster and user entries are updated in place
    out = ok(deployed.cli("kubeconfig", "myeks", "--file", str(path), "--alias", "myeks"))
    assert out.splitlines()[0].startswith(f"Updated context myeks in {path}")
    config = yaml.safe_load(path.read_text())
    jsonschema.validate(config, schema(strict=True))
    assert [c["name"] for c in config["clusters"]] == ["kind-dev", ARN]
    assert [c["name"] for c in config["contexts"]] == ["kind-dev", ARN, "myeks"]
    assert config["current-context"] == "myeks"


def test_kubeconfig_default_file_is_the_first_of_KUBECONFIG(deployed: Deployed, tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "config", tmp_path / "b" / "config"
    out = ok(deployed.run("kubeconfig", "myeks", env={"KUBECONFIG": f"{first}{os.pathsep}{second}"}))
    assert out.splitlines()[0] == f"Added new context {ARN} to {first}"
    assert first.exists() and not second.exists()
    assert not (tmp_path / "a" / "config.eks-templates.bak").exists()  # there was no old file
    assert _mode(first) == 0o600 and _mode(first.parent) == 0o700
    config = yaml.safe_load(first.read_text())
    jsonschema.validate(config, schema(strict=True))
    assert config["apiVersion"] == "v1" and config["kind"] == "Config" and config["current-context"] == ARN
    home = tmp_path / "home"
    out = ok(deployed.run("kubeconfig", "myeks", env={"HOME": str(home), "KUBECONFIG": ""}))
    assert out.splitlines()[0] == f"Added new context {ARN} to {home / '.kube' / 'config'}"


@pytest.mark.parametrize(("text", "line"), [
    ("clusters: 5\n", "clusters: 5 is not of type 'array', 'null'"),
    ("clusters:\n- name: x\n  cluster: {server: 6443}\n", "clusters[0].cluster.server: 6443 is not of type"),
    ("apiVersion: v2\nkind: Config\n", "apiVersion: 'v2' is not one of ['v1', '', None]"),
    ("users: [\n", "is not a kubeconfig: not YAML at line 2, column 1"),
    ("- a\n- b\n", "is not a kubeconfig: the top level is a list, not a mapping"),
])
def test_a_malformed_kubeconfig_is_refused_and_kept(deployed: Deployed, tmp_path: Path, text: str,
                                                    line: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    done = deployed.cli("kubeconfig", "myeks", "--file", str(path))
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith(f"error: {path}: ")
    assert line in done.stderr and done.stderr.rstrip().endswith("the file was not changed")
    assert path.read_text() == text and sorted(p.name for p in tmp_path.iterdir()) == ["config"]


def test_kubeconfig_of_an_unknown_stack_is_one_line(deployed: Deployed, tmp_path: Path) -> None:
    text = (REPO / "stacks" / "myeks.yaml").read_text().replace("  name: myeks\n", "  name: nosuch\n", 1)
    (tmp_path / "nosuch.yaml").write_text(text)
    done = deployed.cli("kubeconfig", str(tmp_path / "nosuch.yaml"), "--file", str(tmp_path / "config"))
    assert done.returncode == 2 and done.stderr == f"error: stack nosuch does not exist in {REGION}\n"
    assert not (tmp_path / "config").exists()
