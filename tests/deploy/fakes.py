"""Shared pieces of the deploy tests: a fake clock, stubbed clients, AWS-shaped
responses (stacks, events, change sets) and a small hand-made rendered set."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from eks_templates.config import parse_config
from eks_templates.config.model import ClusterConfig
from eks_templates.deploy.flow import Context
from eks_templates.deploy.session import Aws
from eks_templates.deploy.ui import Timing, Ui
from eks_templates.render import RenderedSet

REGION = "ap-northeast-2"
ACCOUNT = "123456789012"
STACK = "myeks"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/0f6a1f00-0000-4000-8000-000000000001"
BASE = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
STACK_TYPE = "AWS::CloudFormation::Stack"
SCALING = "NodegroupNgScaling"
__all__ = ["ANY"]


def child_id(logical: str, n: int = 1) -> str:
    return (f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}-{logical}-X{n}/"
            f"0f6a1f00-0000-4000-8000-00000000010{n}")


def cs_arn(name: str = "eks-templates-20260101-120000", n: int = 1) -> str:
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:changeSet/{name}/0c5e0000-0000-4000-8000-00000000000{n}"


class FakeClock:
    """``sleep`` advances the clock instantly; ``timing()`` gives a Timing on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def timing(self, **kwargs: Any) -> Timing:
        return Timing(sleep=self.sleep, clock=self, **{"poll": 5.0, **kwargs})


def make_ui(*, interactive: bool = False, live: bool = False, answers: list[str] | None = None) -> Ui:
    pending = list(answers or [])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        if not pending:
            raise EOFError
        return pending.pop(0)

    ui = Ui(out=io.StringIO(), err=io.StringIO(), interactive=interactive, live=live, ask=ask)
    ui.asked = asked  # type: ignore[attr-defined]
    return ui


def output(ui: Ui) -> str:
    return ui.out.getvalue()  # type: ignore[attr-defined]


def errors(ui: Ui) -> str:
    return ui.err.getvalue()  # type: ignore[attr-defined]


def _no_cluster(**kwargs: Any) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    raise ClientError({"Error": {"Code": "ResourceNotFoundException",
                                 "Message": f"No cluster found for name: {kwargs.get('name')}."}}, "DescribeCluster")


class Stubs:
    """An :class:`Aws` whose clients are real botocore clients with a Stubber each."""

    def __init__(self, *services: str, list_change_sets: bool = False) -> None:
        self.aws = Aws(session=boto3.Session(region_name=REGION), region=REGION)
        self.aws._account = ACCOUNT
        self.stubbers: dict[str, Stubber] = {}
        for service in services or ("cloudformation",):
            stubber = Stubber(self.aws.client(service))
            stubber.activate()
            self.stubbers[service] = stubber
        if "cloudformation" in self.stubbers and not list_change_sets:
            # No other run's change set on the stack (deploy/in_flight.py asks before and after
            # making one); the concurrency tests stub it (list_change_sets=True) or use the sandbox.
            self.aws.client("cloudformation").list_change_sets = lambda **_: {"Summaries": []}
        if "eks" not in self.stubbers:
            # No EKS cluster of the stack file's name (deploy/preflight.py:check_cluster_name
            # asks before the change set); its own tests stub EKS (tests/deploy/test_preflight.py).
            self.aws.client("eks").describe_cluster = _no_cluster

    @property
    def cfn(self) -> Stubber:
        return self.stubbers["cloudformation"]

    def __getitem__(self, service: str) -> Stubber:
        return self.stubbers[service]

    def verify(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()

    def context(self, ui: Ui | None = None, clock: FakeClock | None = None, **timing: Any) -> Context:
        clock = clock or FakeClock()
        return Context(aws=self.aws, ui=ui or make_ui(), timing=clock.timing(**timing),
                       now=lambda: BASE)


# --------------------------------------------------------------------------- AWS-shaped responses


def stack(status: str, *, params: dict[str, str] | None = None, outputs: dict[str, str] | None = None,
          tags: dict[str, str] | None = None, protection: bool = False, stack_id: str = STACK_ID,
          name: str = STACK) -> dict[str, Any]:
    body: dict[str, Any] = {
        "StackId": stack_id, "StackName": name, "CreationTime": BASE, "StackStatus": status,
        "EnableTerminationProtection": protection,
    }
    if params is not None:
        body["Parameters"] = [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()]
    if outputs is not None:
        body["Outputs"] = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    if tags is not None:
        body["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return body


def stacks(*items: dict[str, Any]) -> dict[str, Any]:
    return {"Stacks": list(items)}


_event_counter = [0]


def event(logical: str, status: str, *, t: float = 0, stack_id: str = STACK_ID, rtype: str = "AWS::EC2::VPC",
          physical: str | None = None, reason: str | None = None, stack_name: str | None = None) -> dict[str, Any]:
    _event_counter[0] += 1
    body: dict[str, Any] = {
        "StackId": stack_id,
        "EventId": f"ev-{_event_counter[0]}",
        "StackName": stack_name or stack_id.split("/")[1],
        "LogicalResourceId": logical,
        "ResourceType": rtype,
        "Timestamp": BASE + dt.timedelta(seconds=t),
        "ResourceStatus": status,
    }
    if physical is not None:
        body["PhysicalResourceId"] = physical
    if reason is not None:
        body["ResourceStatusReason"] = reason
    return body


def self_event(status: str, *, t: float = 0, stack_id: str = STACK_ID, reason: str | None = None) -> dict[str, Any]:
    return event(stack_id.split("/")[1], status, t=t, stack_id=stack_id, rtype=STACK_TYPE, physical=stack_id,
                 reason=reason)


def events(*items: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    """One describe_stack_events page: newest first, as AWS returns them."""
    page: dict[str, Any] = {"StackEvents": sorted(items, key=lambda e: e["Timestamp"], reverse=True)}
    if token:
        page["NextToken"] = token
    return page


def change(action: str, logical: str, rtype: str, *, replacement: str | None = None,
           nested: str | None = None, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    rc: dict[str, Any] = {"Action": action, "LogicalResourceId": logical, "ResourceType": rtype}
    if replacement is not None:
        rc["Replacement"] = replacement
    if nested is not None:
        rc["ChangeSetId"] = nested
    if details is not None:
        rc["Details"] = details
    return {"Type": "Resource", "ResourceChange": rc}


def change_set(arn: str, *changes: dict[str, Any], status: str = "CREATE_COMPLETE", reason: str | None = None,
               execution: str = "AVAILABLE", token: str | None = None, stack_name: str = STACK,
               stack_id: str = STACK_ID) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ChangeSetName": arn.split("/")[1], "ChangeSetId": arn, "StackId": stack_id, "StackName": stack_name,
        "Status": status, "ExecutionStatus": execution, "Changes": list(changes),
    }
    if reason is not None:
        body["StatusReason"] = reason
    if token:
        body["NextToken"] = token
    return body


def not_found(stubber: Stubber, method: str, name: str = STACK) -> None:
    stubber.add_client_error(method, service_error_code="ValidationError",
                             service_message=f"Stack with id {name} does not exist", http_status_code=400)


# --------------------------------------------------------------------------- inputs built by hand


def config(extra: str = "", *, termination: bool = True, tags: str = "") -> ClusterConfig:
    text = f"""
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: {STACK}
  region: {REGION}
{tags}
availabilityZones: [ap-northeast-2a, ap-northeast-2c]
vpc:
  publicAccessCIDRs: [203.0.113.0/24]
managedNodeGroups:
  - name: ng
    desiredCapacity: 2
    minSize: 2
    maxSize: 4
deploy:
  terminationProtection: {"true" if termination else "false"}
{extra}
"""
    return parse_config(text, "test.yaml", on_warning=None)


def child_template(cidr: str = "10.20.0.0/16") -> dict[str, Any]:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "test child: a VPC and a subnet",
        "Parameters": {"Scaling": {"Type": "CommaDelimitedList", "Description": "desired,min,max"}},
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {
                "CidrBlock": cidr,
                "Tags": [{"Key": "desired", "Value": {"Fn::Select": [0, {"Ref": "Scaling"}]}}],
            }},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
                "VpcId": {"Ref": "VPC"}, "CidrBlock": cidr.replace(".0.0/16", ".1.0/24"),
                "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
            }},
        },
        "Outputs": {"VpcId": {"Value": {"Ref": "VPC"}}},
    }


def root_template(scaling_default: str = "2,2,4", *, child_file: str = "NetworkStack.json") -> dict[str, Any]:
    from eks_templates.assembly import W3002_REASON, suppression_metadata

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "test root",
        "Parameters": {
            SCALING: {"Type": "CommaDelimitedList", "Default": scaling_default,
                      "Description": "desired,min,max of nodegroup ng"},
        },
        "Resources": {
            "NetworkStack": {
                "Type": STACK_TYPE,
                "Metadata": suppression_metadata({"W3002": W3002_REASON}),
                "Properties": {
                    "TemplateURL": child_file,
                    "Parameters": {"Scaling": {"Fn::Join": [",", {"Ref": SCALING}]}},
                },
            },
        },
        # literal outputs: moto cannot GetAtt a child's outputs (reference/moto-facts.md)
        "Outputs": {
            "ClusterName": {"Value": STACK},
            "ClusterEndpoint": {"Value": "https://ABCDEF.gr7.ap-northeast-2.eks.amazonaws.com"},
            "ClusterSharedNodeSecurityGroupId": {"Value": "sg-0123456789abcdef0"},
        },
    }


def rendered_set(scaling_default: str = "2,2,4", cidr: str = "10.20.0.0/16") -> RenderedSet:
    def dumps(d: dict[str, Any]) -> str:
        return json.dumps(d, indent=2, sort_keys=True) + "\n"

    return RenderedSet(STACK, "root.json", {
        "root.json": dumps(root_template(scaling_default)),
        "NetworkStack.json": dumps(child_template(cidr)),
    })


@contextmanager
def moto_aws(*, sandbox: bool = False) -> Iterator[Aws]:
    """moto in-process; an :class:`Aws` on it. ``sandbox``: with the project's moto
    models and patches (eks_templates.sandbox), as ``make sandbox`` serves them; plain
    moto mangles CommaDelimitedList parameters on UsePreviousValue."""
    from moto import mock_aws

    if sandbox:
        from eks_templates.sandbox import server

        server.apply()
    with mock_aws():
        yield Aws(session=boto3.Session(region_name=REGION), region=REGION)
