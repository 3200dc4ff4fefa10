"""A stack resource's status is its own last operation's, as CloudFormation reports it
(sandbox/resource_status.py): moto said CREATE_COMPLETE (ListStackResources) or the
stack's status (DescribeStackResource(s)) whatever the resource went through."""

from __future__ import annotations

from typing import Any

from . import templates as t
from .cfn import deploy, physical_ids
from .conftest import Clients
from .test_nested import _ab_root


def _statuses(cfn: Any, stack: str) -> dict[str, dict[str, str]]:
    """logical id -> {action: status} from the three resource reads."""
    listed = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
    described = cfn.describe_stack_resources(StackName=stack)["StackResources"]
    result: dict[str, dict[str, str]] = {}
    for item in listed:
        result.setdefault(item["LogicalResourceId"], {})["list"] = item["ResourceStatus"]
    for item in described:
        lid = item["LogicalResourceId"]
        result[lid]["describe_all"] = item["ResourceStatus"]
        result[lid]["describe_one"] = cfn.describe_stack_resource(
            StackName=stack, LogicalResourceId=lid)["StackResourceDetail"]["ResourceStatus"]
    return result


def _same(status: str) -> dict[str, str]:
    return {"list": status, "describe_all": status, "describe_one": status}


def test_an_updated_nested_stack_reads_update_complete_and_an_untouched_one_create_complete(aws: Clients) -> None:
    cfn = aws.cloudformation
    a_url = t.upload(aws.s3, "a.json", t.network(nat=False))
    b_url = t.upload(aws.s3, "b.json", t.security())
    deploy(cfn, "root", _ab_root(a_url, b_url, description="first"))
    assert _statuses(cfn, "root") == {"ChildA": _same("CREATE_COMPLETE"), "ChildB": _same("CREATE_COMPLETE")}

    deploy(cfn, "root", _ab_root(a_url, b_url, description="second"))  # ChildB's parameter only

    assert _statuses(cfn, "root") == {"ChildA": _same("CREATE_COMPLETE"), "ChildB": _same("UPDATE_COMPLETE")}
    child_b = physical_ids(cfn, "root")["ChildB"]
    assert cfn.describe_stacks(StackName=child_b)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    # inside child B the group was replaced (GroupDescription is create-only): the new one
    # is UPDATE_COMPLETE, not the DELETE_COMPLETE of the old one the cleanup deleted
    assert _statuses(cfn, child_b) == {"ClusterSharedNodeSecurityGroup": _same("UPDATE_COMPLETE")}
    # and inside child A, which the update did not touch, nothing reads UPDATE_COMPLETE
    child_a = physical_ids(cfn, "root")["ChildA"]
    assert {s["list"] for s in _statuses(cfn, child_a).values()} == {"CREATE_COMPLETE"}


def test_last_updated_timestamp_is_when_the_resource_last_changed(aws: Clients) -> None:
    cfn = aws.cloudformation
    a_url = t.upload(aws.s3, "a.json", t.network(nat=False))
    b_url = t.upload(aws.s3, "b.json", t.security())
    deploy(cfn, "root", _ab_root(a_url, b_url, description="first"))
    deploy(cfn, "root", _ab_root(a_url, b_url, description="second"))
    listed = {r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName="root")["StackResourceSummaries"]}
    root = cfn.describe_stacks(StackName="root")["Stacks"][0]
    assert listed["ChildA"]["LastUpdatedTimestamp"] <= root["LastUpdatedTime"]
    assert listed["ChildB"]["LastUpdatedTimestamp"] > listed["ChildA"]["LastUpdatedTimestamp"]
    detail = cfn.describe_stack_resource(StackName="root", LogicalResourceId="ChildB")["StackResourceDetail"]
    assert detail["LastUpdatedTimestamp"] == listed["ChildB"]["LastUpdatedTimestamp"]
