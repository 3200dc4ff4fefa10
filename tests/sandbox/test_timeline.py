"""The sandbox's time-scaled mode (sandbox/timeline.py): a create takes the table's time
divided by the factor, and every read follows the clock.

Without the mode, moto answers ExecuteChangeSet with every stack CREATE_COMPLETE, all
events at the same instant: each test below fails there (the in-progress reads, the
order of the timestamps, the refusal, the cut-short delete).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bench import critical_path
from eks_templates import assembly
from eks_templates.errors import UserError
from eks_templates.render import dumps
from eks_templates.sandbox import timeline
from eks_templates.sandbox.timeline import Delays, load_delays

from . import templates as t
from .cfn import check, deploy
from .conftest import Clients

CAPS = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
#: a small table: the child's VPC 1.5 s, then its security group 0.5 s (factor 100, no overhead)
SMALL = Delays(factor=100, stack_overhead=0, default=0,
               seconds={"AWS::EC2::VPC": 150, "AWS::EC2::SecurityGroup": 50})
_names = itertools.count(1)


@pytest.fixture
def timed(aws: Clients) -> Iterator[Clients]:
    timeline.enable(SMALL)
    try:
        yield aws
    finally:
        timeline.disable()


class HeldClock:
    """The mode's clock (``timeline._now``), held still while a test reads "right after
    the execute" or acts "during the create": on a busy machine the real clock can move
    past the table's 1.5 s between two calls (a CI run deleted after the VPC was done)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._real = timeline._now
        self._held: dt.datetime | None = None
        self.held_at = 0.0  # perf_counter when held
        monkeypatch.setattr(timeline, "_now", self.now)

    def now(self) -> dt.datetime:
        return self._held if self._held is not None else self._real()

    def hold(self) -> None:
        self._held, self.held_at = self._real(), time.perf_counter()

    def advance(self, seconds: float) -> None:
        assert self._held is not None
        self._held += dt.timedelta(seconds=seconds)

    def release(self) -> None:
        """The real clock again, once it has caught up with the held one (never backwards)."""
        assert self._held is not None
        time.sleep(max(0.0, (self._held - self._real()).total_seconds()))
        self._held = None


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> HeldClock:
    return HeldClock(monkeypatch)


def child_template() -> dict[str, Any]:
    return {
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
            "Group": {"Type": "AWS::EC2::SecurityGroup",
                      "Properties": {"GroupDescription": "nodes", "VpcId": t.ref("VPC")}},
            "Skipped": {"Type": "AWS::EC2::VPC", "Condition": "Never", "Properties": {"CidrBlock": "10.2.0.0/16"}},
        },
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Outputs": {"VpcId": {"Value": t.ref("VPC")}},
    }


def root_template(aws: Clients) -> dict[str, Any]:
    return {
        "Resources": {"Child": {"Type": "AWS::CloudFormation::Stack",
                                "Properties": {"TemplateURL": t.upload(aws.s3, "child.json", child_template())}}},
        "Outputs": {"VpcId": {"Value": t.getatt("Child", "Outputs.VpcId")}},
    }


def execute(cf: Any, stack: str, template: dict[str, Any]) -> float:
    """A CREATE change set executed; returns when ExecuteChangeSet answered (perf_counter)."""
    name = f"cs-{next(_names)}"
    cf.create_change_set(StackName=stack, ChangeSetName=name, ChangeSetType="CREATE",
                         TemplateBody=json.dumps(template), Capabilities=CAPS)
    cf.execute_change_set(StackName=stack, ChangeSetName=name)
    return time.perf_counter()


def status(cf: Any, stack: str) -> str:
    return str(cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])


def wait_complete(cf: Any, stack: str, timeout: float = 30.0) -> float:
    deadline = time.perf_counter() + timeout
    while status(cf, stack) == "CREATE_IN_PROGRESS":
        assert time.perf_counter() < deadline, f"{stack} still CREATE_IN_PROGRESS after {timeout} s"
        time.sleep(0.02)
    return time.perf_counter()


def resource_states(cf: Any, stack: str) -> dict[str, str]:
    # moto lists the resource whose Condition is false as an item with no LogicalResourceId
    # (outside this mode too); left out here
    return {r["LogicalResourceId"]: r["ResourceStatus"]
            for r in cf.describe_stack_resources(StackName=stack)["StackResources"] if "LogicalResourceId" in r}


def child_arn(cf: Any, stack: str, logical_id: str) -> str:
    # moto's PhysicalResourceId of a nested stack is its name (CloudFormation's: its ARN)
    name = cf.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)[
        "StackResourceDetail"]["PhysicalResourceId"]
    return str(cf.describe_stacks(StackName=name)["Stacks"][0]["StackId"])


def events(cf: Any, stack: str) -> list[dict[str, Any]]:
    """Oldest first."""
    return list(reversed(cf.describe_stack_events(StackName=stack)["StackEvents"]))


def when(evs: list[dict[str, Any]], logical_id: str, state: str) -> Any:
    return next(e["Timestamp"] for e in evs if e["LogicalResourceId"] == logical_id and e["ResourceStatus"] == state)


def test_a_create_is_in_progress_after_the_execute_and_complete_when_the_clock_says(timed: Clients,
                                                                                     clock: HeldClock) -> None:
    cf = timed.cloudformation
    clock.hold()  # the create starts now, and every read below is "right after the execute"
    execute(cf, "root", root_template(timed))

    # right after the execute: in progress, no outputs, only what has happened so far
    root = cf.describe_stacks(StackName="root")["Stacks"][0]
    assert root["StackStatus"] == "CREATE_IN_PROGRESS"
    assert "Outputs" not in root
    child = child_arn(cf, "root", "Child")
    assert status(cf, child) == "CREATE_IN_PROGRESS"
    assert cf.describe_stack_resource(StackName="root", LogicalResourceId="Child")[
        "StackResourceDetail"]["ResourceStatus"] == "CREATE_IN_PROGRESS"
    # the group waits for the VPC: not started, not listed
    assert resource_states(cf, child) == {"VPC": "CREATE_IN_PROGRESS"}
    listed = {r["LogicalResourceId"]: r["ResourceStatus"]
              for r in cf.list_stack_resources(StackName=child)["StackResourceSummaries"] if r["LogicalResourceId"]}
    assert listed == {"VPC": "CREATE_IN_PROGRESS"}
    with pytest.raises(ClientError, match="Resource Group does not exist"):
        cf.describe_stack_resource(StackName=child, LogicalResourceId="Group")
    so_far = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cf, child)]
    assert ("VPC", "CREATE_IN_PROGRESS") in so_far and ("VPC", "CREATE_COMPLETE") not in so_far
    listed_stacks = {s["StackName"]: s["StackStatus"] for s in cf.list_stacks()["StackSummaries"]}
    assert listed_stacks["root"] == "CREATE_IN_PROGRESS"

    clock.release()
    done = wait_complete(cf, "root")
    # 150 s + 50 s of the table at factor 100 from the start; a poll of 20 ms and a busy machine on top
    assert 2.0 <= done - clock.held_at < 6.0
    assert status(cf, child) == "CREATE_COMPLETE"
    outputs = cf.describe_stacks(StackName="root")["Stacks"][0]["Outputs"]
    assert [o["OutputKey"] for o in outputs] == ["VpcId"]
    assert resource_states(cf, child) == {"VPC": "CREATE_COMPLETE", "Group": "CREATE_COMPLETE"}


def test_events_are_timed_in_dependency_order_and_a_nested_stack_completes_after_its_last_resource(
        timed: Clients) -> None:
    cf = timed.cloudformation
    execute(cf, "root", root_template(timed))
    wait_complete(cf, "root")
    child = child_arn(cf, "root", "Child")
    child_events, root_events = events(cf, child), events(cf, "root")
    for evs in (child_events, root_events):
        stamps = [e["Timestamp"] for e in evs]
        assert stamps == sorted(stamps)
    vpc_done, group_start = when(child_events, "VPC", "CREATE_COMPLETE"), when(child_events, "Group",
                                                                               "CREATE_IN_PROGRESS")
    assert group_start >= vpc_done
    assert (vpc_done - when(child_events, "VPC", "CREATE_IN_PROGRESS")).total_seconds() == pytest.approx(1.5,
                                                                                                       abs=0.002)
    group_done = when(child_events, "Group", "CREATE_COMPLETE")
    child_done = next(e["Timestamp"] for e in child_events
                      if e["PhysicalResourceId"] == child and e["ResourceStatus"] == "CREATE_COMPLETE")
    assert child_done >= group_done
    assert when(root_events, "Child", "CREATE_COMPLETE") >= child_done
    assert when(root_events, "root", "CREATE_COMPLETE") >= when(root_events, "Child", "CREATE_COMPLETE")
    # the resource whose Condition is false was not created and takes no time
    assert "Skipped" not in {e["LogicalResourceId"] for e in child_events}
    assert timeline.simulated_seconds(_backend_stack("root")) == 200


def _backend_stack(name: str) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[t.ACCOUNT][t.REGION]
    return next(s for s in backend.stacks.values() if s.name == name)


def test_an_update_during_the_simulated_create_is_refused_as_cloudformation_refuses_it(timed: Clients,
                                                                                        clock: HeldClock) -> None:
    cf = timed.cloudformation
    template = root_template(timed)
    clock.hold()
    execute(cf, "root", template)
    arn = cf.describe_stacks(StackName="root")["Stacks"][0]["StackId"]
    refusal = f"Stack:{arn} is in CREATE_IN_PROGRESS state and can not be updated."
    template["Outputs"]["Extra"] = {"Value": "x"}
    with pytest.raises(ClientError, match="can not be updated") as caught:
        cf.create_change_set(StackName="root", ChangeSetName="too-early", ChangeSetType="UPDATE",
                             TemplateBody=json.dumps(template), Capabilities=CAPS)
    assert caught.value.response["Error"] == {"Type": "Sender", "Code": "ValidationError", "Message": refusal}
    with pytest.raises(ClientError, match="can not be updated") as caught:
        cf.update_stack(StackName="root", TemplateBody=json.dumps(template), Capabilities=CAPS)
    assert caught.value.response["Error"]["Message"] == refusal
    clock.release()
    wait_complete(cf, "root")
    assert deploy(cf, "root", template) == "UPDATE"  # once complete, the update is accepted (and instant)
    assert {o["OutputKey"] for o in cf.describe_stacks(StackName="root")["Stacks"][0]["Outputs"]} == {"VpcId",
                                                                                                      "Extra"}


def test_a_delete_during_the_simulated_create_cuts_it_short_and_deletes(timed: Clients, clock: HeldClock) -> None:
    cf = timed.cloudformation
    clock.hold()
    execute(cf, "root", root_template(timed))
    child = child_arn(cf, "root", "Child")
    clock.advance(0.5)  # 50 s into the VPC's 150
    cf.delete_stack(StackName="root")  # CloudFormation accepts a delete during a create
    clock.release()
    assert status(cf, child) == "DELETE_COMPLETE"
    evs = events(cf, child)
    assert ("VPC", "CREATE_FAILED", "Resource creation cancelled") in [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in evs]
    states = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in evs]
    assert ("Group", "CREATE_COMPLETE") not in states  # never happened
    assert ("VPC", "DELETE_COMPLETE") in states
    assert "Outputs" not in cf.describe_stacks(StackName=child)["Stacks"][0]
    vpcs = [v for v in timed.ec2.describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.1.0.0/16"]
    assert vpcs == []


def test_a_stack_deleted_after_its_simulated_create_answers_as_without_the_mode(timed: Clients,
                                                                                clock: HeldClock) -> None:
    # the outputs were hidden during the clock, so moto had never resolved them: when nothing
    # read them between the end of the clock and the delete, the first read after it resolved
    # the Ref against removed resources (KeyError, a 500)
    cf = timed.cloudformation
    clock.hold()
    execute(cf, "root", root_template(timed))
    child = child_arn(cf, "root", "Child")
    clock.advance(2.5)  # past the create's 200 s, with nothing read since
    cf.delete_stack(StackName="root")
    clock.release()
    described = cf.describe_stacks(StackName=child)["Stacks"][0]
    assert described["StackStatus"] == "DELETE_COMPLETE"
    assert [o["OutputKey"] for o in described["Outputs"]] == ["VpcId"]  # as moto answers without the mode
    states = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cf, child)]
    assert ("Group", "CREATE_COMPLETE") in states and ("VPC", "DELETE_COMPLETE") in states
    assert [v for v in timed.ec2.describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.1.0.0/16"] == []


def test_a_failed_create_stays_instant(timed: Clients) -> None:
    timed.logs.create_log_group(logGroupName="/taken")
    child = child_template()
    child["Resources"]["Logs"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/taken"}}
    template = {"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack",
                                        "Properties": {"TemplateURL": t.upload(timed.s3, "bad.json", child)}}}}
    execute(timed.cloudformation, "root", template)
    assert status(timed.cloudformation, "root") == "ROLLBACK_COMPLETE"  # at once, no clock


def test_disable_restores_instant_creates(aws: Clients) -> None:
    timeline.enable(SMALL)
    timeline.disable()
    template = root_template(aws)
    deploy(aws.cloudformation, "root", template)  # cfn.check: CREATE_COMPLETE right after the execute
    check(aws.cloudformation, "root")
    assert timeline.enabled() is None


def test_the_rendered_default_cluster_creates_in_dependency_order_as_the_model_schedules_it(
        aws: Clients, clock: HeldClock) -> None:
    config = critical_path.default_cluster()
    result = assembly.nested(config)
    root = result.root.to_dict()
    for stack_id, child in result.children.items():
        props = root["Resources"][stack_id]["Properties"]
        props["TemplateURL"] = t.upload(aws.s3, f"rendered/{assembly.child_file_name(stack_id)}",
                                        json.loads(dumps(child)))
    factor = 2000  # the model's 17 minutes in about half a second
    timeline.enable(Delays(factor=factor, stack_overhead=critical_path.STACK_OVERHEAD,
                           default=critical_path.DEFAULT_TIMING.seconds,
                           seconds={k: v.seconds for k, v in critical_path.CREATION_TIMES.items()}))
    try:
        cf = aws.cloudformation
        clock.hold()
        execute(cf, config.stack_name, root)
        assert status(cf, config.stack_name) == "CREATE_IN_PROGRESS"
        clock.release()
        wait_complete(cf, config.stack_name)
    finally:
        timeline.disable()
    modeled = critical_path.compare(config, ours_poll=0.0).ours.seconds  # the stacks alone, no client
    assert timeline.simulated_seconds(_backend_stack(config.stack_name)) == modeled
    control_plane = events(cf, child_arn(cf, config.stack_name, "ControlPlaneStack"))
    cluster_up = when(control_plane, "ControlPlane", "CREATE_COMPLETE")
    nodegroup_stack = next(lid for lid in result.children if lid.startswith("Nodegroup"))
    nodegroup = events(cf, child_arn(cf, config.stack_name, nodegroup_stack))
    starts = [e["Timestamp"] for e in nodegroup if e["ResourceStatus"] == "CREATE_IN_PROGRESS"
              and e["ResourceType"] != "AWS::CloudFormation::Stack"]
    assert starts and min(starts) >= cluster_up
    # the control plane takes its 750 s, scaled
    took = cluster_up - when(control_plane, "ControlPlane", "CREATE_IN_PROGRESS")
    assert took.total_seconds() == pytest.approx(750 / factor, abs=0.002)


# --------------------------------------------------------------------------- the delays file


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_delays_file_in_json_or_yaml(tmp_path: Path) -> None:
    wanted = Delays(factor=20, stack_overhead=15, default=10, seconds={"AWS::EKS::Cluster": 750})
    assert load_delays(write(tmp_path, "delays.json", json.dumps(wanted.to_json()))) == wanted
    yaml_text = "factor: 20\nstackOverhead: 15\ndefault: 10\nseconds:\n  AWS::EKS::Cluster: 750\n"
    assert load_delays(write(tmp_path, "delays.yaml", yaml_text)) == wanted
    assert load_delays(write(tmp_path, "d.json", "{}")) == Delays()
    assert wanted.with_factor(100).factor == 100 and wanted.with_factor(None) is wanted


@pytest.mark.parametrize(("text", "message"), [
    ('{"seconds": {"AWS::EKS::Cluster": "slow"}}', "delays.json: seconds.AWS::EKS::Cluster: not a number of seconds"),
    ('{"seconds": {"AWS::EKS::Cluster": true}}', "delays.json: seconds.AWS::EKS::Cluster: not a number of seconds"),
    ('{"seconds": {"AWS::EKS::Cluster": -1}}', "delays.json: seconds.AWS::EKS::Cluster: must not be negative"),
    ('{"seconds": {"EKS Cluster": 1}}',
     "delays.json: seconds.EKS Cluster: not a resource type (Service::Product::Type, e.g. AWS::EKS::Cluster)"),
    ('{"seconds": [1]}', "delays.json: seconds: expected a mapping of resource type to seconds"),
    ('{"factor": 0}', "delays.json: factor: must be greater than 0"),
    ('{"factor": "fast"}', "delays.json: factor: not a number of seconds"),
    ('{"stackOverhead": -5}', "delays.json: stackOverhead: must not be negative"),
    ('{"default": null}', "delays.json: default: not a number of seconds"),
    ('{"stack_overhead": 5}',
     "delays.json: stack_overhead: unknown key (allowed: factor, stackOverhead, default, seconds)"),
    ("[1, 2]", "delays.json: expected a mapping with the keys factor, stackOverhead, default, seconds"),
    ('{"factor": 20,,}', "delays.json: line 1: not valid JSON (Expecting property name enclosed in double quotes)"),
])
def test_a_bad_delays_file_is_one_line_naming_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      text: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "delays.json", text)
    with pytest.raises(UserError) as caught:
        load_delays("delays.json")
    assert caught.value.messages == [message]


def test_a_missing_delays_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"^nope\.yaml: no such delays file$"):
        load_delays("nope.yaml")


def test_a_delays_file_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path: Path) -> None:
    """Read as the stack file is (config/files.py): a FIFO is refused, not waited on."""
    import os

    fifo = tmp_path / "delays.yaml"
    os.mkfifo(fifo)
    with pytest.raises(UserError) as caught:
        load_delays(fifo)
    assert caught.value.messages == [f"{fifo}: cannot read the delays file: is a FIFO (named pipe), not a regular file"]
    with pytest.raises(UserError, match=r": cannot read the delays file: is a directory, not a regular file$"):
        load_delays(tmp_path)


def test_the_cli_refuses_a_bad_delays_file_with_exit_2_and_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from eks_templates.cli import main

    monkeypatch.chdir(tmp_path)
    write(tmp_path, "delays.json", '{"factor": 20, "seconds": {"AWS::EKS::Cluster": "slow"}}')
    assert main(["sandbox", "--port", "0", "--delays", "delays.json"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "error: delays.json: seconds.AWS::EKS::Cluster: not a number of seconds\n"
    assert captured.out == ""
    assert main(["sandbox", "--factor", "5"]) == 2
    assert capsys.readouterr().err == "error: --factor needs --delays FILE (the table of creation times it divides)\n"
    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "--delays", "delays.json", "--factor", "0"])
    assert exited.value.code == 2
    assert "--factor: 0 is not a factor; give a number greater than 0" in capsys.readouterr().err
