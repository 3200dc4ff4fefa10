"""The steps that need real instances, on AWS-shaped responses (botocore Stubber):
Run Command on the management host, kubectl's node list, ssh's answer, the
'nothing left' check's view of a half-deleted account. The sandbox cannot run them
(no SSM agent, kubectl or sshd behind its instances), so this is what CI checks of
them; the real run (test_notes.py) checks them against AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.acceptance import steps
from tests.acceptance.steps import StepFailed, Target

HOST = "i-0123456789abcdef0"
CID = "0b2a6c6e-0000-4000-8000-000000000001"


@pytest.fixture()
def target(tmp_path: Path) -> Target:
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return Target(name="stubbed", env=env, region="ap-northeast-2", workdir=tmp_path, compute=True,
                  settle_timeout=60, poll=0.0, log=lambda _: None)


def stub(target: Target, service: str) -> Stubber:
    stubber = Stubber(target.client(service))
    stubber.activate()
    return stubber


def online(ssm: Stubber) -> None:
    ssm.add_response("describe_instance_information", {"InstanceInformationList": []},
                     {"Filters": [{"Key": "InstanceIds", "Values": [HOST]}]})  # not registered yet
    ssm.add_response("describe_instance_information", {"InstanceInformationList": [
        {"InstanceId": HOST, "PingStatus": "Online"}]}, {"Filters": [{"Key": "InstanceIds", "Values": [HOST]}]})


def command(ssm: Stubber, script_part: str, status: str, stdout: str = "", stderr: str = "") -> None:
    class Contains:
        def __eq__(self, other: Any) -> bool:
            return script_part in other["commands"][0]

    ssm.add_response("send_command", {"Command": {"CommandId": CID}}, {
        "InstanceIds": [HOST], "DocumentName": "AWS-RunShellScript", "Parameters": Contains(),
        "Comment": "eks_templates acceptance"})
    ssm.add_client_error("get_command_invocation", service_error_code="InvocationDoesNotExist",
                         http_status_code=400)
    ssm.add_response("get_command_invocation", {"CommandId": CID, "InstanceId": HOST, "Status": "InProgress"},
                     {"CommandId": CID, "InstanceId": HOST})
    ssm.add_response("get_command_invocation", {"CommandId": CID, "InstanceId": HOST, "Status": status,
                                                "StandardOutputContent": stdout, "StandardErrorContent": stderr},
                     {"CommandId": CID, "InstanceId": HOST})


def node(name: str, address: str, ready: str = "True") -> dict[str, Any]:
    return {"metadata": {"name": name}, "status": {
        "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": ready}],
        "addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}]}}


def test_kubectl_on_the_host_lists_the_ready_nodes(target: Target) -> None:
    ssm = stub(target, "ssm")
    online(ssm)
    listing = {"items": [node("ip-192-168-96-10.ec2.internal", "192.168.96.10"),
                         node("ip-192-168-128-7.ec2.internal", "192.168.128.7"),
                         node("ip-192-168-96-99.ec2.internal", "192.168.96.99", ready="Unknown")]}
    command(ssm, "kubectl get nodes -o json", "Success", json.dumps(listing))
    assert steps.ready_nodes(target, HOST) == [
        {"name": "ip-192-168-96-10.ec2.internal", "address": "192.168.96.10"},
        {"name": "ip-192-168-128-7.ec2.internal", "address": "192.168.128.7"}]
    ssm.assert_no_pending_responses()


def test_ssh_from_the_host_runs_as_ec2_user_to_the_node_address(target: Target) -> None:
    ssm = stub(target, "ssm")
    online(ssm)
    command(ssm, "sudo -iu ec2-user ssh -o BatchMode=yes", "Success", "ip-192-168-96-10.ec2.internal\n")
    assert steps.ssh_hostname(target, HOST, {"name": "n", "address": "192.168.96.10"}) == \
        "ip-192-168-96-10.ec2.internal"


def test_a_failed_command_fails_the_step_with_its_stderr(target: Target) -> None:
    ssm = stub(target, "ssm")
    online(ssm)
    command(ssm, "ssh", "Failed", stderr="ec2-user@192.168.96.10: Permission denied (publickey).")
    with pytest.raises(StepFailed, match="Permission denied"):
        steps.ssh_hostname(target, HOST, {"name": "n", "address": "192.168.96.10"})


def test_waiting_for_nodes_gives_up_with_what_it_saw(target: Target) -> None:
    target.settle_timeout = 0
    ssm = stub(target, "ssm")
    online(ssm)
    command(ssm, "kubectl get nodes", "Success", json.dumps({"items": [node("a", "10.0.0.1")]}))
    with pytest.raises(StepFailed, match="2 Ready node"):
        steps.kubectl_get_nodes(target, HOST, 2)
