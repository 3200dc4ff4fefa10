"""The notes' cluster through its whole life, the way a user drives it, against the
local sandbox (moto + the project's models) on a free port.

One ordered scenario; each test is a step and builds on the ones before it (pytest
runs them in file order; a step whose predecessor did not pass fails at once, saying
which). Every command is the real one in a subprocess: ``python -m eks_templates ...``
from a temporary copy of ``stacks/`` with ``AWS_ENDPOINT_URL`` and fake credentials
exported, or the Makefile target from the repository root exactly as the README
gives it (``make plan STACK=myeks AWS_ENDPOINT_URL=http://localhost:PORT``). What the
commands did is checked with boto3 against the sandbox, not from their output alone.

Steps (notes: create, inspect endpoint and security groups, 4.2/4.3, section 6, delete):

1. ``make plan``: a CREATE change set is shown and deleted; no stack is left.
2. ``deploy myeks --yes``: CREATE_COMPLETE; EKS lists the cluster and the nodegroup (2/2/2).
3. ``outputs``: the endpoint and the five security groups, each a real group in the VPC;
   the management host's role has an access entry with the cluster-admin policy (EKS
   ListAccessEntries/ListAssociatedAccessPolicies); the nodes' generated key pair exists
   (EC2), its private key is the SSM parameter ``/ec2/keypair/<id>`` (SSM), the launch
   template uses it, the host's role may read exactly that parameter (IAM) and its user
   data installs it; ``outputs`` prints the command that fetches it.
4. ``deploy`` again: nothing to do, nothing uploaded, no change set, no stack event.
5. ``scale ... --nodes 3 --max 3``: EKS reports 3; only the nodegroup stack changed.
6. ``make deploy`` of the unchanged file: the scaled size is kept.
7. ``deploy myeks-private``: the endpoint access of 4.2 on the same cluster (updated in
   place), the management host moved to a private subnet (4.3).
8. ``make scale`` back to 2 (section 6).
9. ``make delete``: no stack, VPC, security group, cluster, nodegroup, instance, key pair
   or key parameter left.

``make`` gets ``-o <venv>/.installed``: the test never (re)installs the virtual
environment (``setup`` would run pip when the marker is missing or older than
pyproject.toml); everything else on the command line is what the README says.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from eks_templates.sandbox import server
from tests.e2e.user import CREDENTIALS as FAKE_CREDENTIALS
from tests.e2e.user import REGION, Steps
from tests.support import REPO

STACK = "myeks"
NODEGROUP = "myeks-nodegroup"
SCALING = "NodegroupMyeksNodegroupScaling"
REMOTE_ACCESS_GROUP = "MyeksNodegroupRemoteAccessSecurityGroupId"
SECURITY_GROUP_OUTPUTS = (
    "ControlPlaneSecurityGroupId",
    "ClusterSharedNodeSecurityGroupId",
    "ClusterSecurityGroupId",
    "ManagementHostSecurityGroupId",
    REMOTE_ACCESS_GROUP,
)
#: variables a surrounding `make test ARGS=...` run would hand to the nested make
MAKE_INHERITED = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "STACK", "ARGS",
                  "NODEGROUP", "NODES", "MIN", "MAX", "VENV", "PY")


@dataclass
class Lifecycle(Steps):
    """The notes' steps, from a copy of stacks/, as a user runs them."""

    def make(self, target: str, *variables: str) -> subprocess.CompletedProcess[str]:
        """``make TARGET VAR=... AWS_ENDPOINT_URL=...`` from the repository root."""
        if shutil.which("make") is None:
            pytest.fail("make is not installed; the README's commands need it", pytrace=False)
        venv = Path(sys.prefix)
        if venv.resolve() == (REPO / ".venv").resolve():
            marker, venv_args = ".venv/.installed", []
        else:  # the tests' interpreter is not the repo's .venv: make uses it all the same
            marker, venv_args = f"{venv}/.installed", [f"VENV={venv}"]
        command = ["make", "-o", marker, target, *variables, *venv_args, f"AWS_ENDPOINT_URL={self.url}"]
        env = {k: v for k, v in os.environ.items() if k not in MAKE_INHERITED}
        env.update(FAKE_CREDENTIALS)
        return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory, sandbox_endpoint: str) -> Iterator[Lifecycle]:
    server.reset(sandbox_endpoint)
    workdir = tmp_path_factory.mktemp("lifecycle")
    shutil.copytree(REPO / "stacks", workdir / "stacks")
    yield Lifecycle(url=sandbox_endpoint, workdir=workdir)


# --------------------------------------------------------------------------- what the sandbox holds


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def root_stack(cfn: Any) -> dict[str, Any]:
    return dict(cfn.describe_stacks(StackName=STACK)["Stacks"][0])


def root_outputs(cfn: Any) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in root_stack(cfn).get("Outputs") or []}


def root_parameters(cfn: Any) -> dict[str, str]:
    return {p["ParameterKey"]: p["ParameterValue"] for p in root_stack(cfn).get("Parameters") or []}


def stacks(cfn: Any) -> dict[str, dict[str, Any]]:
    """Every live stack by name: status, its resources' physical ids, its event count."""
    result = {}
    for stack in cfn.describe_stacks()["Stacks"]:
        summaries = cfn.list_stack_resources(StackName=stack["StackId"])["StackResourceSummaries"]
        events = [e for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack["StackId"])
                  for e in page["StackEvents"]]
        result[stack["StackName"]] = {
            "status": stack["StackStatus"],
            "resources": {s["LogicalResourceId"]: s.get("PhysicalResourceId", "") for s in summaries},
            "events": len(events),
        }
    return result


def child_name(cfn: Any, logical_id: str) -> str:
    physical = root_stack_resources(cfn)[logical_id]
    return physical.split("/")[1] if physical.startswith("arn:") else physical


def root_stack_resources(cfn: Any) -> dict[str, str]:
    summaries = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}


def template_objects(s3: Any, bucket: str) -> list[tuple[str, str, Any]]:
    versions = s3.list_object_versions(Bucket=bucket).get("Versions") or []
    return sorted((v["Key"], v["VersionId"], v["LastModified"]) for v in versions)


def cluster(eks: Any) -> dict[str, Any]:
    return dict(eks.describe_cluster(name=STACK)["cluster"])


def nodegroup(eks: Any) -> dict[str, Any]:
    return dict(eks.describe_nodegroup(clusterName=STACK, nodegroupName=NODEGROUP)["nodegroup"])


def scaling(eks: Any) -> tuple[int, int, int]:
    config = nodegroup(eks)["scalingConfig"]
    return config["desiredSize"], config["minSize"], config["maxSize"]


def instance(ec2: Any, instance_id: str) -> dict[str, Any]:
    return dict(ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0])


def policy_statements(iam: Any, role_name: str) -> list[dict[str, Any]]:
    """Every statement of the role's inline policies (moto has no SimulatePrincipalPolicy)."""
    statements = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        statements += document["Statement"]  # boto3 decodes IAM's URL-encoded JSON
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------- the steps


def test_1_make_plan_shows_the_create_and_changes_nothing(life: Lifecycle) -> None:
    life.begin(1)
    out = ok(life.make("plan", f"STACK={STACK}"))
    assert f"-m eks_templates plan {STACK}" in out  # make echoes the recipe it ran
    assert f"for stack {STACK} (CREATE)" in out
    for child in ("ControlPlaneStack", "NodegroupMyeksNodegroupStack", "BastionStack"):
        assert f"+ Add     {child}" in out
    assert f"+ {SCALING}: 2,2,2" in out and "Plan only: the change set was deleted" in out
    cfn = life.client("cloudformation")
    assert [s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"] == []
    assert life.client("eks").list_clusters()["clusters"] == []
    life.passed.append(1)


def test_2_deploy_creates_the_cluster_and_its_nodegroup(life: Lifecycle) -> None:
    life.begin(2)
    out = ok(life.cli("deploy", STACK, "--yes"))
    assert f"{STACK}: CREATE_COMPLETE" in out
    cfn, eks = life.client("cloudformation"), life.client("eks")
    assert root_stack(cfn)["StackStatus"] == "CREATE_COMPLETE"
    live = stacks(cfn)
    assert len(live) == 4  # the root and its three children (network and groups are in ControlPlaneStack)
    assert {v["status"] for v in live.values()} == {"CREATE_COMPLETE"}

    assert eks.list_clusters()["clusters"] == [STACK]
    assert eks.list_nodegroups(clusterName=STACK)["nodegroups"] == [NODEGROUP]
    assert cluster(eks)["status"] == "ACTIVE" and nodegroup(eks)["status"] == "ACTIVE"
    assert scaling(eks) == (2, 2, 2)
    assert root_parameters(cfn)[SCALING] == "2,2,2"
    life.passed.append(2)


def test_3_outputs_hold_the_endpoint_and_five_security_groups(life: Lifecycle) -> None:
    life.begin(3)
    outputs = json.loads(ok(life.cli("outputs", STACK, "--json")))
    cfn, eks, ec2 = life.client("cloudformation"), life.client("eks"), life.client("ec2")
    assert outputs == root_outputs(cfn)
    live = cluster(eks)
    assert outputs["ClusterEndpoint"] == live["endpoint"] and outputs["ClusterEndpoint"].startswith("https://")
    assert outputs["ClusterArn"] == live["arn"]

    groups = {key: outputs[key] for key in SECURITY_GROUP_OUTPUTS}
    assert len(set(groups.values())) == 5
    described = ec2.describe_security_groups(GroupIds=list(groups.values()))["SecurityGroups"]
    assert sorted(g["GroupId"] for g in described) == sorted(groups.values())
    assert {g["VpcId"] for g in described} == {outputs["VpcId"]} == {live["resourcesVpcConfig"]["vpcId"]}
    # each is the group the notes read off the console, where EKS and EC2 use it
    vpc_config = live["resourcesVpcConfig"]
    assert vpc_config["clusterSecurityGroupId"] == groups["ClusterSecurityGroupId"]
    assert vpc_config["securityGroupIds"] == [groups["ControlPlaneSecurityGroupId"]]
    template = nodegroup(eks)["launchTemplate"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template["id"], Versions=[template["version"]])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert {groups["ClusterSecurityGroupId"], groups["ClusterSharedNodeSecurityGroupId"],
            groups[REMOTE_ACCESS_GROUP]} <= set(data["SecurityGroupIds"])
    host = instance(ec2, outputs["ManagementHostInstanceId"])
    assert [g["GroupId"] for g in host["SecurityGroups"]] == [groups["ManagementHostSecurityGroupId"]]
    assert host["VpcId"] == outputs["VpcId"] and host["SubnetId"] in outputs["PublicSubnetIds"].split(",")
    assert host["PublicIpAddress"] == outputs["ManagementHostPublicIp"]

    # kubectl on the management host (issue 10, item 1): its role has an access entry with
    # the cluster-admin policy, cluster-wide, as EKS reports it
    role_arn = outputs["ManagementHostRoleArn"]
    assert role_arn in eks.list_access_entries(clusterName=STACK)["accessEntries"]
    admin = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert eks.list_access_entries(clusterName=STACK, associatedPolicyArn=admin)["accessEntries"] == [role_arn]
    associated = eks.list_associated_access_policies(clusterName=STACK, principalArn=role_arn)
    assert [(p["policyArn"], p["accessScope"]["type"]) for p in associated["associatedAccessPolicies"]] == [
        (admin, "cluster")]

    # ssh ec2-user@$N1 from the management host (item 2): the generated key pair, its private
    # key in SSM, on the nodes' launch template, readable by the host's role, installed there
    key_pair_id = outputs["NodeKeyPairId"]
    [key] = ec2.describe_key_pairs(KeyPairIds=[key_pair_id])["KeyPairs"]
    assert data["KeyName"] == key["KeyName"]
    ssm = life.client("ssm")
    parameter = ssm.get_parameter(Name=f"/ec2/keypair/{key_pair_id}", WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString" and "PRIVATE KEY-----" in parameter["Value"]
    iam = life.client("iam")
    readable = [resource for statement in policy_statements(iam, role_arn.rsplit("/", 1)[-1])
                if statement["Effect"] == "Allow" and "ssm:GetParameter" in as_list(statement["Action"])
                for resource in as_list(statement["Resource"])]
    assert readable == [parameter["ARN"]]  # exactly that parameter, nothing wider
    assert parameter["ARN"] == f"arn:aws:ssm:{REGION}:123456789012:parameter/ec2/keypair/{key_pair_id}"
    user_data = ec2.describe_instance_attribute(InstanceId=host["InstanceId"], Attribute="userData")
    script = base64.b64decode(user_data["UserData"]["Value"]).decode()
    assert f"--name /ec2/keypair/{key_pair_id} " in script and "/etc/skel/.ssh/id_rsa" in script
    # kubectl through the installer, which reads the cluster's version when it runs (no version in the template)
    assert "cat > /usr/local/bin/eks-kubectl-install <<'KUBECTL_INSTALL'\n" in script
    assert (f"minor=$(aws eks describe-cluster --region {REGION} --name {STACK} --query cluster.version "
            "--output text)\n") in script
    assert 'release=$(curl -fsSL "https://dl.k8s.io/release/stable-${minor}.txt")' in script

    # the text a user reads; through make, as the README says
    text = ok(life.make("outputs", f"STACK={STACK}"))
    assert (f"  Node SSH key:     aws ssm get-parameter --region {REGION} --name /ec2/keypair/{key_pair_id} "
            "--with-decryption --query Parameter.Value --output text > key.pem") in text
    assert f"Stack {STACK} (CREATE_COMPLETE) in {REGION}" in text
    assert f"  Endpoint:         {outputs['ClusterEndpoint']}" in text
    for key, group_id in groups.items():
        assert f"    {key}" in text and group_id in text
    assert f"aws eks update-kubeconfig --region {REGION} --name {STACK}" in text
    life.passed.append(3)


def test_4_deploy_again_does_nothing(life: Lifecycle) -> None:
    life.begin(4)
    cfn, s3 = life.client("cloudformation"), life.client("s3")
    bucket = f"eks-templates-123456789012-{REGION}"
    objects = template_objects(s3, bucket)
    assert len(objects) == 3  # the three children (the root goes as TemplateBody)
    change_sets = cfn.list_change_sets(StackName=STACK)["Summaries"]
    before, described = stacks(cfn), root_stack(cfn)

    out = ok(life.cli("deploy", STACK, "--yes"))
    assert f"No changes: {STACK} already matches" in out and "nothing uploaded, no change set made" in out
    assert "uploaded " not in out.replace("nothing uploaded", "") and "Executing" not in out

    assert template_objects(s3, bucket) == objects  # no PutObject: same versions, same times
    assert cfn.list_change_sets(StackName=STACK)["Summaries"] == change_sets
    assert stacks(cfn) == before  # no status change, no new event in any stack
    after = root_stack(cfn)
    # (moto keeps no LastUpdatedTime at all, hence the events above)
    assert after.get("LastUpdatedTime") == described.get("LastUpdatedTime")
    assert after["StackStatus"] == "CREATE_COMPLETE"
    life.passed.append(4)


def test_5_scale_to_three_changes_only_the_nodegroup(life: Lifecycle) -> None:
    life.begin(5)
    cfn, eks, s3 = life.client("cloudformation"), life.client("eks"), life.client("s3")
    bucket = f"eks-templates-123456789012-{REGION}"
    objects = template_objects(s3, bucket)
    before, cluster_before, nodegroup_before = stacks(cfn), cluster(eks), nodegroup(eks)
    nodegroup_stack = child_name(cfn, "NodegroupMyeksNodegroupStack")

    out = ok(life.cli("scale", STACK, NODEGROUP, "--nodes", "3", "--max", "3", "--yes"))
    assert f"~ {SCALING}: 2,2,2 -> 3,2,3" in out
    assert "~ Modify  NodegroupMyeksNodegroupStack" in out and "Summary: 1 to modify; 0 replacement(s)" in out
    assert f"{NODEGROUP}: desired 3, min 2, max 3" in out

    assert scaling(eks) == (3, 2, 3)
    assert root_parameters(cfn)[SCALING] == "3,2,3"
    after = stacks(cfn)
    assert after.keys() == before.keys()
    # every resource of every stack is the same one (nothing replaced, nothing added)
    assert {k: v["resources"] for k, v in after.items()} == {k: v["resources"] for k, v in before.items()}
    changed = {name for name in after if after[name]["events"] != before[name]["events"]}
    assert changed == {STACK, nodegroup_stack}
    assert after[nodegroup_stack]["status"] == "UPDATE_COMPLETE"
    assert {v["status"] for k, v in after.items() if k not in changed} == {"CREATE_COMPLETE"}
    # the cluster and the VPC are untouched; the nodegroup is the same one, resized
    assert cluster(eks) == cluster_before
    assert nodegroup(eks)["nodegroupArn"] == nodegroup_before["nodegroupArn"]
    assert template_objects(s3, bucket) == objects  # scale renders and uploads nothing
    life.passed.append(5)


def test_6_make_deploy_of_the_unchanged_file_keeps_the_scaled_size(life: Lifecycle) -> None:
    life.begin(6)
    cfn, eks = life.client("cloudformation"), life.client("eks")
    before = stacks(cfn)
    out = ok(life.make("deploy", f"STACK={STACK}", "ARGS=--yes"))
    assert f"-m eks_templates deploy {STACK} --yes" in out
    assert f"No changes: {STACK} already matches" in out
    assert scaling(eks) == (3, 2, 3)
    assert root_parameters(cfn)[SCALING] == "3,2,3"
    assert stacks(cfn) == before
    life.passed.append(6)


def test_7_private_endpoint_and_management_host_applied_in_place(life: Lifecycle) -> None:
    life.begin(7)
    cfn, eks, ec2 = life.client("cloudformation"), life.client("eks"), life.client("ec2")
    wanted = yaml.safe_load((life.workdir / "stacks" / "myeks-private.yaml").read_text())
    assert wanted["metadata"]["name"] == STACK
    before, cluster_before = stacks(cfn), cluster(eks)
    old_host = root_outputs(cfn)["ManagementHostInstanceId"]
    control_plane = child_name(cfn, "ControlPlaneStack")

    out = ok(life.cli("deploy", "myeks-private", "--yes"))
    assert "~ Modify  ControlPlaneStack" in out and "~ Modify  BastionStack" in out
    assert f"= {SCALING}: 3,2,3 kept" in out  # the scaled size survives the file switch
    assert f"{STACK}: UPDATE_COMPLETE" in out

    live = cluster(eks)
    endpoints = wanted["vpc"]["clusterEndpoints"]
    assert live["resourcesVpcConfig"]["endpointPrivateAccess"] is endpoints["privateAccess"] is True
    assert live["resourcesVpcConfig"]["endpointPublicAccess"] is endpoints["publicAccess"]
    assert live["resourcesVpcConfig"]["publicAccessCidrs"] == wanted["vpc"]["publicAccessCIDRs"]
    assert live["resourcesVpcConfig"]["publicAccessCidrs"] != ["0.0.0.0/0"]
    # updated in place: the same cluster (a replacement would have a new endpoint, group, time)
    for key in ("arn", "endpoint", "createdAt", "certificateAuthority", "identity"):
        assert live[key] == cluster_before[key], key
    vpc_before = cluster_before["resourcesVpcConfig"]
    for key in ("vpcId", "clusterSecurityGroupId", "securityGroupIds", "subnetIds"):
        assert live["resourcesVpcConfig"][key] == vpc_before[key], key
    after = stacks(cfn)
    assert after[control_plane]["resources"] == before[control_plane]["resources"]
    assert after[control_plane]["status"] == "UPDATE_COMPLETE"
    # only the stacks that change are touched: the nodegroup's stack is not updated
    changed = {name for name in after if after[name]["events"] != before[name]["events"]}
    assert changed == {STACK, control_plane, child_name(cfn, "BastionStack")}
    assert "NodegroupMyeksNodegroupStack" not in out
    assert scaling(eks) == (3, 2, 3)

    # 4.3: the management host is a new instance in a private subnet, without a public address
    outputs = root_outputs(cfn)
    assert "ManagementHostPublicIp" not in outputs
    host = instance(ec2, outputs["ManagementHostInstanceId"])
    assert host["InstanceId"] != old_host
    assert host["SubnetId"] in outputs["PrivateSubnetIds"].split(",")
    assert not host.get("PublicIpAddress")
    assert host["PrivateIpAddress"] == outputs["ManagementHostPrivateIp"]
    assert [g["GroupId"] for g in host["SecurityGroups"]] == [outputs["ManagementHostSecurityGroupId"]]
    assert instance(ec2, old_host)["State"]["Name"] == "terminated"
    # 4.2: the management host reaches the private endpoint (443 to the control plane)
    control_plane_group = ec2.describe_security_groups(GroupIds=[outputs["ControlPlaneSecurityGroupId"]])[
        "SecurityGroups"][0]
    https_sources = {pair["GroupId"] for rule in control_plane_group["IpPermissions"] if rule.get("FromPort") == 443
                     for pair in rule["UserIdGroupPairs"]}
    assert outputs["ManagementHostSecurityGroupId"] in https_sources
    life.passed.append(7)


def test_8_make_scale_back_to_two(life: Lifecycle) -> None:
    life.begin(8)
    eks, cfn = life.client("eks"), life.client("cloudformation")
    out = ok(life.make("scale", "STACK=myeks-private", f"NODEGROUP={NODEGROUP}", "NODES=2", "MAX=2",
                       "ARGS=--yes"))
    assert f"-m eks_templates scale myeks-private {NODEGROUP} --nodes 2 --max 2 --yes" in out
    assert f"~ {SCALING}: 3,2,3 -> 2,2,2" in out
    assert scaling(eks) == (2, 2, 2)
    assert root_parameters(cfn)[SCALING] == "2,2,2"
    life.passed.append(8)


def test_9_make_delete_leaves_nothing(life: Lifecycle) -> None:
    life.begin(9)
    cfn, eks, ec2 = life.client("cloudformation"), life.client("eks"), life.client("ec2")
    stack_id = root_stack(cfn)["StackId"]
    vpc_id = root_outputs(cfn)["VpcId"]
    key_pair_id = root_outputs(cfn)["NodeKeyPairId"]
    instance_ids = [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert instance_ids  # the management host at least

    out = ok(life.make("delete", "STACK=myeks-private", "ARGS=--yes"))
    assert f"{STACK}: deleted" in out

    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=STACK)
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert {s["StackStatus"] for s in cfn.list_stacks()["StackSummaries"]} == {"DELETE_COMPLETE"}
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    groups = ec2.describe_security_groups()["SecurityGroups"]
    assert sorted((g["GroupName"], g["VpcId"]) for g in groups) == sorted(
        ("default", v["VpcId"]) for v in ec2.describe_vpcs()["Vpcs"])
    assert eks.list_clusters()["clusters"] == []
    with pytest.raises(ClientError, match="ResourceNotFound"):
        eks.list_nodegroups(clusterName=STACK)
    states = {i["State"]["Name"] for r in ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
              for i in r["Instances"]}
    assert states == {"terminated"}
    assert ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "NetworkInterfaces"] == []
    assert {n["State"] for n in ec2.describe_nat_gateways()["NatGateways"]} <= {"deleted"}
    assert ec2.describe_addresses()["Addresses"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    iam = life.client("iam")
    assert iam.list_roles()["Roles"] == [] and iam.list_instance_profiles()["InstanceProfiles"] == []
    assert ec2.describe_key_pairs()["KeyPairs"] == []
    with pytest.raises(ClientError, match="ParameterNotFound"):
        life.client("ssm").get_parameter(Name=f"/ec2/keypair/{key_pair_id}")
    life.passed.append(9)
