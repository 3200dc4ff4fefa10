"""The notes' three manual changes, found by `drift` and brought back, against the sandbox.

One ordered scenario on the notes' cluster (``myeks``), each step the real command in a
subprocess (``python -m eks_templates ...`` from a copy of ``stacks/``, or the Makefile
target as the README gives it), what happened checked with boto3:

1. ``deploy myeks``, then ``drift``: in sync, exit 0.
2. The notes' manual steps with boto3: ``authorize-security-group-ingress`` on the
   nodegroup's (remoteAccess) group for ``192.168.1.100/32`` tcp 22 (3.1),
   ``update-cluster-config`` of the endpoint's public CIDRs (4.2), ``update-nodegroup-config``
   scaling in (6). ``drift --json`` reports exactly those three, exit 1;
   ``make drift STACK=myeks`` prints them with their remedies.
3. ``plan`` mentions the drift the last drift run found (CloudFormation's DriftInformation).
4. ``drift --revert --yes`` revokes the rule and puts the endpoint's CIDRs and the
   scaling back with a ``REVERT_DRIFT`` change set on each of the two stacks; exit 0.
5. A second ``drift`` reports none, exit 0.
6. The same manual changes again, then the printed remedies: ``scale`` (adopts the
   scaling) and the undo command of the endpoint (through the AWS CLI when installed);
   ``drift`` exits 0 again.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from eks_templates.sandbox import server
from tests.e2e.test_lifecycle import FAKE_CREDENTIALS, REGION, Lifecycle, ok

STACK = "myeks"
NODEGROUP = "myeks-nodegroup"
NOTES_CIDR = "192.168.1.100/32"
MY_IP = "203.0.113.7/32"


@dataclass
class Scenario(Lifecycle):
    findings: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, sandbox_endpoint: str) -> Iterator[Scenario]:
    server.reset(sandbox_endpoint)
    workdir = tmp_path_factory.mktemp("drift")
    shutil.copytree(Path(__file__).resolve().parents[2] / "stacks", workdir / "stacks")
    yield Scenario(url=sandbox_endpoint, workdir=workdir)
    server.reset(sandbox_endpoint)


def outputs(run: Scenario) -> dict[str, str]:
    stack = run.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def drift_json(run: Scenario) -> tuple[int, dict[str, Any]]:
    done = run.cli("drift", STACK, "--json", "--poll", "0")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_1_deployed_cluster_is_in_sync(run: Scenario) -> None:
    run.begin(1)
    ok(run.cli("deploy", STACK, "--yes", "--poll", "0"))
    done = run.cli("drift", STACK, "--poll", "0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith(f"Summary: in sync; nothing was changed outside the templates of {STACK}")
    assert "live rules of 5 security group(s)" in done.stdout  # the four it owns and EKS's cluster group
    run.passed.append(1)


def test_2_the_notes_manual_steps_are_exactly_three_findings(run: Scenario) -> None:
    run.begin(2)
    node_group = outputs(run)["MyeksNodegroupRemoteAccessSecurityGroupId"]
    run.client("ec2").authorize_security_group_ingress(GroupId=node_group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": NOTES_CIDR}]}])
    run.client("eks").update_cluster_config(name=STACK, resourcesVpcConfig={
        "endpointPublicAccess": True, "publicAccessCidrs": [MY_IP], "endpointPrivateAccess": True})
    run.client("eks").update_nodegroup_config(clusterName=STACK, nodegroupName=NODEGROUP,
                                              scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 1})
    code, body = drift_json(run)
    assert code == 1 and body["inSync"] is False
    found = {(f["stack"], f["logicalId"], f["status"]): f for f in body["findings"]}
    nodes, plane = f"{STACK}/NodegroupMyeksNodegroupStack", f"{STACK}/ControlPlaneStack"
    assert set(found) == {(nodes, "SSH", "UNDECLARED"), (plane, "ControlPlane", "MODIFIED"),
                          (nodes, "ManagedNodeGroup", "MODIFIED")}
    rule = found[(nodes, "SSH", "UNDECLARED")]
    assert rule["summary"].startswith(f"ingress tcp 22 from {NOTES_CIDR} (sgr-")
    assert rule["undo"].startswith(f"aws ec2 revoke-security-group-ingress --region {REGION} --group-id {node_group} "
                                   "--security-group-rule-ids sgr-")
    endpoint = found[(plane, "ControlPlane", "MODIFIED")]
    assert endpoint["differences"] == [{"path": "ResourcesVpcConfig.PublicAccessCidrs", "expected": '["0.0.0.0/0"]',
                                        "actual": f'["{MY_IP}"]', "type": "NOT_EQUAL"}]
    scaling = found[(nodes, "ManagedNodeGroup", "MODIFIED")]
    assert [(d["path"], d["expected"], d["actual"]) for d in scaling["differences"]] == [
        ("ScalingConfig.DesiredSize", "2", "1"), ("ScalingConfig.MinSize", "2", "1")]
    assert scaling["adopt"] == f"python -m eks_templates scale {STACK} {NODEGROUP} --nodes 1 --min 1 --max 2"
    assert endpoint["cloudFormationSees"] and scaling["cloudFormationSees"]  # the sandbox's detection saw them too
    run.findings = body["findings"]

    made = run.make("drift", f"STACK={STACK}", "ARGS=--poll 0")
    assert made.returncode == 2 and "Error 1" in made.stderr, made.stdout + made.stderr  # make's status for exit 1
    assert "Traceback" not in made.stderr
    assert f"  + UNDECLARED SSH               AWS::EC2::SecurityGroup  ingress tcp 22 from {NOTES_CIDR}" in made.stdout
    assert "Summary: 3 finding(s) in 2 stack(s)" in made.stdout
    run.passed.append(2)


def test_3_plan_mentions_the_drift_found(run: Scenario) -> None:
    # the sandbox's stacks carry RootId/ParentId and LastUpdatedTime as CloudFormation's do
    # (sandbox/stack_identity.py), so plan can tell which DRIFTED stacks are this cluster's
    run.begin(3)
    run.passed.append(3)  # the mention is not what later steps need
    done = run.cli("plan", STACK, "--poll", "0")
    ok(done)
    assert "Drift: the last drift check" in done.stdout


def test_4_revert_revokes_the_rule_and_reverts_what_cloudformation_reports(run: Scenario) -> None:
    run.begin(4)
    done = run.cli("drift", STACK, "--revert", "--yes", "--poll", "0")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Revoked 1 rule(s)." in done.stdout
    # one drift-aware change set per stack CloudFormation reports drifted (the sandbox's REVERT_DRIFT)
    assert f"{STACK}/ControlPlaneStack: a REVERT_DRIFT change set on " in done.stdout
    assert f"{STACK}/NodegroupMyeksNodegroupStack: a REVERT_DRIFT change set on " in done.stdout
    assert "Not reverted" not in done.stdout
    assert done.stdout.rstrip().endswith(f"Reverted: run `python -m eks_templates drift {STACK}` to check.")
    node_group = outputs(run)["MyeksNodegroupRemoteAccessSecurityGroupId"]
    live = run.client("ec2").describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [node_group]}])["SecurityGroupRules"]
    assert NOTES_CIDR not in {r.get("CidrIpv4") for r in live}
    cluster = run.client("eks").describe_cluster(name=STACK)["cluster"]
    assert cluster["resourcesVpcConfig"]["publicAccessCidrs"] == ["0.0.0.0/0"]  # the template's, not MY_IP
    sizes = run.client("eks").describe_nodegroup(clusterName=STACK, nodegroupName=NODEGROUP)["nodegroup"]
    assert sizes["scalingConfig"] == {"minSize": 2, "maxSize": 2, "desiredSize": 2}  # the stack file's
    run.passed.append(4)


def test_5_a_second_drift_reports_none(run: Scenario) -> None:
    run.begin(5)
    code, body = drift_json(run)
    assert (code, body["inSync"], body["findings"]) == (0, True, [])
    # and no command warns about the drift found before the revert any more: ListStacks (what
    # deploy/drift_status.py reads) answers the last detection, as DescribeStacks does
    done = run.cli("plan", STACK, "--poll", "0")
    ok(done)
    assert "Drift:" not in done.stdout
    run.passed.append(5)


def test_6_the_printed_remedies_bring_it_back_in_sync(run: Scenario) -> None:
    """The other way back: the same manual changes again, then the printed adopt (``scale``)
    and undo (the AWS CLI's ``update-cluster-config``)."""
    run.begin(6)
    run.client("eks").update_cluster_config(name=STACK, resourcesVpcConfig={
        "endpointPublicAccess": True, "publicAccessCidrs": [MY_IP], "endpointPrivateAccess": True})
    run.client("eks").update_nodegroup_config(clusterName=STACK, nodegroupName=NODEGROUP,
                                              scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 1})
    code, body = drift_json(run)
    assert code == 1
    by_kind = {(f["logicalId"], f["status"]): f for f in body["findings"]}
    adopt = shlex.split(by_kind[("ManagedNodeGroup", "MODIFIED")]["adopt"])
    assert adopt[:3] == ["python", "-m", "eks_templates"]
    ok(run.cli(*adopt[3:], "--yes", "--poll", "0"))
    undo = by_kind[("ControlPlane", "MODIFIED")]["undo"]
    if shutil.which("aws"):
        done = subprocess.run([*shlex.split(undo), "--endpoint-url", run.url], env={
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **FAKE_CREDENTIALS},
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    else:  # the same call as the command says
        assert "--resources-vpc-config endpointPublicAccess=true,endpointPrivateAccess=true," \
               'publicAccessCidrs="0.0.0.0/0"' in undo
        boto3.client("eks", region_name=REGION, endpoint_url=run.url).update_cluster_config(
            name=STACK, resourcesVpcConfig={"endpointPublicAccess": True, "endpointPrivateAccess": True,
                                            "publicAccessCidrs": ["0.0.0.0/0"]})
    code, body = drift_json(run)
    assert (code, body["findings"]) == (0, [])
    sizes = run.client("eks").describe_nodegroup(clusterName=STACK, nodegroupName=NODEGROUP)["nodegroup"]
    assert sizes["scalingConfig"] == {"minSize": 1, "maxSize": 2, "desiredSize": 1}  # adopted, as scale keeps it
    run.passed.append(6)
