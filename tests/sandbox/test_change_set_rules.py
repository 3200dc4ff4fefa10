"""The sandbox's change sets are as strict as CloudFormation's (sandbox/change_sets.py):
one stack per name, a change set executes once, executing one makes the stack's other
change sets go away, ListChangeSets lists one stack's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Clients

TEMPLATE = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})


def _create(cfn: Any, stack: str, name: str, change_set_type: str = "CREATE") -> dict[str, Any]:
    return dict(cfn.create_change_set(StackName=stack, ChangeSetName=name, ChangeSetType=change_set_type,
                                      TemplateBody=TEMPLATE))


def test_two_create_change_sets_for_one_name_make_one_stack(remote: Clients) -> None:
    cfn = remote.cloudformation
    first = _create(cfn, "one", "cs-a")
    second = _create(cfn, "one", "cs-b")
    assert first["StackId"] == second["StackId"]
    live = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == "one"]
    assert len(live) == 1 and live[0]["StackStatus"] == "REVIEW_IN_PROGRESS"


def test_executing_one_deletes_the_others_and_a_change_set_runs_once(remote: Clients) -> None:
    cfn = remote.cloudformation
    first = _create(cfn, "one", "cs-a")
    second = _create(cfn, "one", "cs-b")
    cfn.execute_change_set(ChangeSetName=first["Id"])
    assert cfn.describe_stacks(StackName="one")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    with pytest.raises(ClientError):
        cfn.describe_change_set(ChangeSetName=second["Id"])  # no longer valid for the updated stack
    with pytest.raises(ClientError, match="does not exist"):
        cfn.execute_change_set(ChangeSetName=second["Id"])
    with pytest.raises(ClientError) as again:
        cfn.execute_change_set(ChangeSetName=first["Id"])
    assert again.value.response["Error"]["Code"] == "InvalidChangeSetStatus"
    assert "EXECUTE_COMPLETE" in again.value.response["Error"]["Message"]
    topics = remote.sns.list_topics()["Topics"]
    assert len(topics) == 1  # executed once


def test_create_change_set_for_a_stack_that_exists_is_refused(remote: Clients) -> None:
    cfn = remote.cloudformation
    cfn.execute_change_set(ChangeSetName=_create(cfn, "one", "cs-a")["Id"])
    with pytest.raises(ClientError, match=r"Stack \[one\] already exists and cannot be created again"):
        _create(cfn, "one", "cs-b")


def test_list_change_sets_lists_the_named_stack_only(remote: Clients) -> None:
    cfn = remote.cloudformation
    _create(cfn, "one", "cs-a")
    _create(cfn, "two", "cs-b")
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="one")["Summaries"]] == ["cs-a"]
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="two")["Summaries"]] == ["cs-b"]


def test_deleting_a_change_set_that_is_gone_succeeds_as_in_cloudformation(remote: Clients) -> None:
    # moto answered HTTP 500 (UnboundLocalError) for a name no change set has. CloudFormation's
    # DeleteChangeSet lists only InvalidChangeSetStatus: a missing change set is no error.
    cfn = remote.cloudformation
    created = _create(cfn, "one", "cs-a")
    cfn.execute_change_set(ChangeSetName=created["Id"])
    update = _create(cfn, "one", "cs-b", "UPDATE")
    cfn.delete_change_set(ChangeSetName=update["Id"])
    cfn.delete_change_set(ChangeSetName=update["Id"])  # already deleted, by ARN
    cfn.delete_change_set(StackName="one", ChangeSetName="cs-b")  # and by name
    assert "cs-b" not in [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="one")["Summaries"]]


def test_delete_change_set_by_name_deletes_the_named_stacks_only(remote: Clients) -> None:
    cfn = remote.cloudformation
    other = _create(cfn, "two", "deploy")  # first: moto deleted the first change set of that name
    _create(cfn, "one", "deploy")
    cfn.delete_change_set(StackName="one", ChangeSetName="deploy")
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="one")["Summaries"]] == []
    assert cfn.describe_change_set(ChangeSetName=other["Id"])["ChangeSetName"] == "deploy"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"ChangeSetName": "deploy"}, "StackName must be specified if ChangeSetName is not specified as an ARN."),
    ({"ChangeSetName": "deploy", "StackName": "nostack"}, "Stack [nostack] does not exist"),
])
def test_delete_change_set_by_name_needs_a_stack_that_exists(remote: Clients, kwargs: dict[str, str],
                                                             message: str) -> None:
    with pytest.raises(ClientError) as caught:
        remote.cloudformation.delete_change_set(**kwargs)
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("ValidationError", message)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
