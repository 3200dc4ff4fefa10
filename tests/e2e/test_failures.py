"""The failure paths of a deploy, for real: the real CLI in a subprocess against the
sandbox, which rolls back as CloudFormation does. Each trigger is something AWS itself
refuses, made outside the stack file so that it stays valid whatever the builders emit.

One ordered scenario (pytest runs the steps in file order; a step whose predecessor did
not pass fails at once):

1. The management host's image parameter (the public SSM parameter its ImageId resolves)
   names an arm64 image while the host is an x86_64 type: EC2 refuses the instance, so
   ``deploy`` fails, exit 1, the message names the failing nested resource and EC2's
   reason. The cluster was up by then with its deletion protection on, which EKS will not
   delete, so the rollback fails as on AWS: ROLLBACK_FAILED, the cluster's DELETE_FAILED
   reason shown. (A cluster of the stack's name made outside it, the trigger before, is
   now refused before anything is made: tests/e2e/test_taken_name.py.)
2. After the cause is gone, ``deploy`` alone refuses (ROLLBACK_FAILED, exit 2, says
   ``--recreate-failed``); ``deploy --recreate-failed`` turns the protection off through
   EKS (no change set reaches a ROLLBACK_FAILED stack), deletes it and creates the stack.
3. An update EKS refuses (Kubernetes 1.33 -> 1.35, two minors): exit 1,
   UPDATE_ROLLBACK_COMPLETE, the reason; nothing is lost (same VPC, cluster version,
   nodegroup, management host, outputs); the file fixed (1.34), the re-run works.
4. A change that replaces the nodegroup (``spot``: its CapacityType is create-only):
   ``plan`` shows it under REPLACEMENTS, ``deploy`` refuses it (the stack policy guard),
   exit 2, nothing changed.
5. A security group made in the cluster's VPC outside the stack: ``delete`` fails
   (DELETE_FAILED, exit 1) naming the VPC and EC2's DependencyViolation and what to do;
   with the group removed, ``delete`` again leaves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from eks_templates.sandbox import server
from tests.e2e.user import REGION, Steps, exited
from tests.support import REPO

STACK = "failing"
NODEGROUP = "failing-ng"


@dataclass
class Scenario(Steps):
    kept: dict[str, Any] = field(default_factory=dict)

    def write(self, version: str, *, spot: bool = False, fargate_profile: str | None = None) -> None:
        """stacks/failing.yaml: the notes' cluster under another name, at ``version``
        (``fargate_profile``: plus a Fargate profile of that name)."""
        data = yaml.safe_load((REPO / "stacks" / "myeks.yaml").read_text())
        data["metadata"]["name"] = STACK
        data["metadata"]["version"] = version
        data["managedNodeGroups"][0]["name"] = NODEGROUP
        if spot:
            data["managedNodeGroups"][0]["spot"] = True
        if fargate_profile:
            data["fargateProfiles"] = [{"name": fargate_profile, "selectors": [{"namespace": "batch"}]}]
        (self.workdir / "stacks" / f"{STACK}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, sandbox_endpoint: str) -> Iterator[Scenario]:
    server.reset(sandbox_endpoint)
    workdir = tmp_path_factory.mktemp("failures")
    (workdir / "stacks").mkdir()
    scenario = Scenario(url=sandbox_endpoint, workdir=workdir)
    scenario.write("1.33")
    yield scenario
    server.reset(sandbox_endpoint)


def live_stacks(cfn: Any) -> dict[str, str]:
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}


#: the public SSM parameter the management host's ImageId resolves (builders/bastion.py)
HOST_IMAGE = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def _publish(name: str, value: str) -> None:
    """What AWS publishes under a public parameter (``/aws/...``, which PutParameter refuses
    to anyone else): set in the in-process sandbox's SSM."""
    import datetime as dt

    from moto.ssm.models import Parameter, ssm_backends

    store = ssm_backends["123456789012"][REGION]._parameters
    dict.__setitem__(store, name, [Parameter(  # type: ignore[abstract]
        account_id="123456789012", name=name, value=value, parameter_type="String", description=None,
        allowed_pattern=None, keyid=None, last_modified_date=dt.datetime.now(dt.UTC), version=1,
        data_type="aws:ec2:image")])


def leftovers(s: Scenario) -> dict[str, list[str]]:
    """What a failed operation must not leave behind."""
    ec2 = s.client("ec2")
    return {
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")],
        "instances": [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                      if i["State"]["Name"] != "terminated"],
        "groups": [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
                   if g["GroupName"] != "default"],
        "clusters": s.client("eks").list_clusters()["clusters"],
    }


def root(cfn: Any) -> dict[str, Any]:
    return dict(cfn.describe_stacks(StackName=STACK)["Stacks"][0])


def state(s: Scenario) -> dict[str, Any]:
    """The deployed cluster as the EKS and EC2 APIs show it, and the root's outputs."""
    eks = s.client("eks")
    cluster = eks.describe_cluster(name=STACK)["cluster"]
    nodegroup = eks.describe_nodegroup(clusterName=STACK, nodegroupName=NODEGROUP)["nodegroup"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in root(s.client("cloudformation")).get("Outputs") or []}
    return {
        "version": cluster["version"],
        "vpc": cluster["resourcesVpcConfig"]["vpcId"],
        "nodegroup": (nodegroup["nodegroupArn"], nodegroup["capacityType"], nodegroup["subnets"]),
        "instances": leftovers(s)["instances"],
        "outputs": outputs,
    }


def test_1_a_failed_create_rolls_back_and_names_the_resource_and_reason(run: Scenario) -> None:
    run.begin(1)
    ssm = run.client("ssm")
    x86 = ssm.get_parameter(Name=HOST_IMAGE)["Parameter"]["Value"]
    arm = ssm.get_parameter(Name=HOST_IMAGE.replace("x86_64", "arm64"))["Parameter"]["Value"]
    run.kept["host_image"] = x86
    _publish(HOST_IMAGE, arm)  # what AWS publishes is beyond the stack file: an arm64 image for an x86_64 host

    out = exited(run.cli("deploy", STACK, "--yes"), 1)

    # The cluster was up, with its deletion protection (the default), when the host failed:
    # EKS refuses to delete it, so the rollback fails (ROLLBACK_FAILED), as on AWS, and the
    # cluster and its VPC stay until the stack is deleted.
    assert f"create of {STACK} failed: the stack is ROLLBACK_FAILED" in out
    lines = out.splitlines()
    failed = [line for line in lines
              if line.startswith(f"error:   {STACK}/BastionStack: ManagementHost (AWS::EC2::Instance) CREATE_FAILED: ")]
    assert failed and "does not match the architecture 'arm64' of the specified AMI" in failed[0], out
    assert any("ControlPlane (AWS::EKS::Cluster) DELETE_FAILED" in line and "deletion protection" in line
               for line in lines), out
    assert "--recreate-failed" in out
    cfn = run.client("cloudformation")
    assert live_stacks(cfn)[STACK] == "ROLLBACK_FAILED"
    left = leftovers(run)
    assert left["clusters"] == [STACK] and left["instances"] == []
    run.passed.append(1)


def test_2_recreate_failed_deletes_the_failed_stack_and_creates_it(run: Scenario) -> None:
    run.begin(2)
    _publish(HOST_IMAGE, run.kept.pop("host_image"))  # the cause, removed

    refused = exited(run.cli("deploy", STACK, "--yes"), 2)
    assert f"stack {STACK} is ROLLBACK_FAILED" in refused and "--recreate-failed" in refused

    out = exited(run.cli("deploy", STACK, "--yes", "--recreate-failed"), 0)

    assert f"{STACK} is ROLLBACK_FAILED: deleting it first (--recreate-failed)" in out
    # no change set can reach a ROLLBACK_FAILED stack: the protection goes off through EKS
    assert f"Turning off the deletion protection of cluster {STACK} through EKS first" in out
    assert root(run.client("cloudformation"))["StackStatus"] == "CREATE_COMPLETE"
    run.kept.update(state(run))
    assert run.kept["version"] == "1.33" and len(run.kept["instances"]) == 1
    run.passed.append(2)


def test_3_a_failed_update_rolls_back_loses_nothing_and_the_fixed_rerun_works(run: Scenario) -> None:
    run.begin(3)
    # A Fargate profile of that name already exists on the cluster (made by hand through the
    # EKS API): CreateFargateProfile answers ResourceInUseException, so the update fails and
    # rolls back. (A two-minor version jump no longer fails: deploy plans it as one-minor
    # steps, issue 12.)
    eks = run.client("eks")
    eks.create_fargate_profile(fargateProfileName="taken", clusterName=STACK,
                               podExecutionRoleArn="arn:aws:iam::123456789012:role/by-hand",
                               selectors=[{"namespace": "batch"}])
    run.write("1.33", fargate_profile="taken")

    out = exited(run.cli("deploy", STACK, "--yes"), 1)

    assert f"update of {STACK} failed: the stack is UPDATE_ROLLBACK_COMPLETE" in out
    assert "ResourceInUseException" in out
    assert "(AWS::EKS::FargateProfile) CREATE_FAILED" in out
    assert "rolled the update back" in out
    cfn = run.client("cloudformation")
    assert root(cfn)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert state(run) == run.kept  # same VPC, version, nodegroup, management host and outputs
    assert set(live_stacks(cfn).values()) <= {"UPDATE_ROLLBACK_COMPLETE", "CREATE_COMPLETE"}
    eks.delete_fargate_profile(clusterName=STACK, fargateProfileName="taken")

    run.write("1.34")
    exited(run.cli("deploy", STACK, "--yes"), 0)
    assert root(cfn)["StackStatus"] == "UPDATE_COMPLETE"
    now = state(run)
    assert now["version"] == "1.34" and now["vpc"] == run.kept["vpc"]
    run.kept.update(now)
    run.passed.append(3)


def test_4_a_nodegroup_replacement_is_shown_and_refused(run: Scenario) -> None:
    run.begin(4)
    run.write("1.34", spot=True)

    # The sandbox reports the replacement (create-only CapacityType) as CloudFormation does;
    # plan shows it, then refuses: the nodegroup keeps its NodegroupName, and CloudFormation
    # cannot replace a custom-named resource (deploy/replacement.py), so no flag can make it pass.
    plan = exited(run.cli("plan", STACK), 2)
    assert "REPLACEMENTS (deleted and created again" in plan
    line = next(x for x in plan.splitlines() if "AWS::EKS::Nodegroup" in x and "Replacement: True" in x)
    assert "because of Properties.CapacityType" in line
    assert "this change set cannot succeed: 1 custom-named resource(s) would be replaced" in plan
    assert "NodegroupName 'failing-ng' stays the same" in plan

    cfn = run.client("cloudformation")
    for flags in (("--yes",), ("--yes", "--allow-replacement")):
        out = exited(run.cli("deploy", STACK, *flags), 2)
        assert "this change set cannot succeed" in out
        assert "nothing was changed" in out
        assert root(cfn)["StackStatus"] == "UPDATE_COMPLETE"
        assert state(run) == run.kept
        assert [c for c in cfn.list_change_sets(StackName=STACK)["Summaries"]
                if c.get("ExecutionStatus") == "AVAILABLE"] == []
    run.write("1.34")
    run.passed.append(4)


def test_5_a_failed_delete_says_what_holds_it_and_the_second_delete_leaves_nothing(run: Scenario) -> None:
    run.begin(5)
    ec2 = run.client("ec2")
    # e.g. what a load balancer controller makes in the VPC
    made = ec2.create_security_group(GroupName="k8s-elb-by-hand", Description="not the stack's",
                                     VpcId=run.kept["vpc"])["GroupId"]

    out = exited(run.cli("delete", STACK, "--yes"), 1)

    assert f"delete of {STACK} failed: the stack is DELETE_FAILED" in out
    vpc_line = next(line for line in out.splitlines() if "(AWS::EC2::VPC) DELETE_FAILED" in line)
    assert vpc_line.startswith(
        f"error:   {STACK}/ControlPlaneStack: VPC (AWS::EC2::VPC) DELETE_FAILED: DependencyViolation")
    assert f"delete {STACK}` again" in out
    assert root(run.client("cloudformation"))["StackStatus"] == "DELETE_FAILED"

    ec2.delete_security_group(GroupId=made)
    exited(run.cli("delete", STACK, "--yes"), 0)
    assert live_stacks(run.client("cloudformation")) == {}
    assert leftovers(run) == {"vpcs": [], "instances": [], "groups": [], "clusters": []}
    run.passed.append(5)

