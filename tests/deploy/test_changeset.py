"""Change sets on AWS-shaped responses: create, wait, paginated and nested describe,
both forms of "no changes"."""

from __future__ import annotations

import pytest

from eks_templates.deploy import changeset
from eks_templates.deploy.changeset import ChangeSetRef, NoChanges
from eks_templates.deploy.params import ParamChoice
from eks_templates.errors import DeployFailed

from .fakes import STACK, STACK_ID, FakeClock, Stubs, change, change_set, child_id, cs_arn

NO_CHANGES_REASON = ("The submitted information didn't contain changes. Submit different information "
                     "to create a change set.")


def _ref() -> ChangeSetRef:
    return ChangeSetRef(cs_arn(), "eks-templates-20260101-120000", STACK_ID, STACK, "UPDATE")


def test_create_asks_for_nested_stacks_and_every_capability() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("create_change_set", {"Id": cs_arn(), "StackId": STACK_ID}, {
        "StackName": STACK, "ChangeSetName": "cs1", "ChangeSetType": "UPDATE",
        "Parameters": [{"ParameterKey": "A", "UsePreviousValue": True},
                       {"ParameterKey": "B", "ParameterValue": "2"}],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        "IncludeNestedStacks": True,
        "ClientToken": "cs1",
        "TemplateBody": "{}",
        "Tags": [{"Key": "team", "Value": "k8s"}],
    })
    ref = changeset.create(stubs.aws.client("cloudformation"), stack_name=STACK, name="cs1", change_set_type="UPDATE",
                           parameters=[ParamChoice("A", use_previous=True), ParamChoice("B", "2")],
                           template_args={"TemplateBody": "{}"}, tags=[{"Key": "team", "Value": "k8s"}])
    assert ref.arn == cs_arn() and ref.stack_id == STACK_ID
    stubs.verify()


def test_no_updates_validation_error_is_no_changes() -> None:
    stubs = Stubs()
    stubs.cfn.add_client_error("create_change_set", service_error_code="ValidationError",
                               service_message="No updates are to be performed.")
    with pytest.raises(NoChanges):
        changeset.create(stubs.aws.client("cloudformation"), stack_name=STACK, name="cs", change_set_type="UPDATE",
                         parameters=[], template_args={"UsePreviousTemplate": True})


def test_other_create_errors_are_deploy_failures_with_the_message() -> None:
    stubs = Stubs()
    stubs.cfn.add_client_error("create_change_set", service_error_code="ValidationError",
                               service_message="Template format error: Unresolved resource dependencies [X]")
    with pytest.raises(DeployFailed, match="Unresolved resource dependencies"):
        changeset.create(stubs.aws.client("cloudformation"), stack_name=STACK, name="cs", change_set_type="UPDATE",
                         parameters=[], template_args={"TemplateBody": "{}"})


def test_wait_polls_until_complete() -> None:
    stubs = Stubs()
    for status, execution in (("CREATE_PENDING", "UNAVAILABLE"), ("CREATE_IN_PROGRESS", "UNAVAILABLE"),
                              ("CREATE_COMPLETE", "UNAVAILABLE"), ("CREATE_COMPLETE", "AVAILABLE")):
        stubs.cfn.add_response("describe_change_set", change_set(cs_arn(), status=status, execution=execution),
                               {"ChangeSetName": cs_arn()})
    clock = FakeClock()
    described = changeset.wait(stubs.aws.client("cloudformation"), _ref(), clock.timing(poll=2))
    assert described["Status"] == "CREATE_COMPLETE"
    assert clock.slept == [2, 2, 2]
    stubs.verify()


def test_failed_without_changes_is_no_changes_and_deleted() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_change_set", change_set(cs_arn(), status="FAILED", reason=NO_CHANGES_REASON,
                                                             execution="UNAVAILABLE"))
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": cs_arn()})
    with pytest.raises(NoChanges, match="didn't contain changes"):
        changeset.wait(stubs.aws.client("cloudformation"), _ref(), FakeClock().timing())
    stubs.verify()


def test_failed_for_another_reason_is_a_deploy_failure() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_change_set", change_set(
        cs_arn(), status="FAILED", execution="UNAVAILABLE",
        reason="Nested change set arn:... was not successfully created: Currently in FAILED."))
    with pytest.raises(DeployFailed, match="was not successfully created"):
        changeset.wait(stubs.aws.client("cloudformation"), _ref(), FakeClock().timing())


def test_wait_is_bounded() -> None:
    stubs = Stubs()
    for _ in range(4):
        stubs.cfn.add_response("describe_change_set", change_set(cs_arn(), status="CREATE_IN_PROGRESS",
                                                                 execution="UNAVAILABLE"))
    with pytest.raises(DeployFailed, match="still CREATE_IN_PROGRESS after 10 s"):
        changeset.wait(stubs.aws.client("cloudformation"), _ref(), FakeClock().timing(poll=4, change_set_timeout=10))


def test_describe_paginates_and_recurses_into_nested_change_sets() -> None:
    stubs = Stubs()
    nested_arn = cs_arn("eks-templates-nested", n=2)
    child_stack = child_id("ControlPlaneStack").split("/")[1]
    stubs.cfn.add_response("describe_change_set", change_set(
        cs_arn(), change("Modify", "ControlPlaneStack", "AWS::CloudFormation::Stack", nested=nested_arn),
        token="page2"), {"ChangeSetName": cs_arn()})
    stubs.cfn.add_response("describe_change_set", change_set(
        cs_arn(), change("Add", "NodegroupNgStack", "AWS::CloudFormation::Stack")),
        {"ChangeSetName": cs_arn(), "NextToken": "page2"})
    stubs.cfn.add_response("describe_change_set", change_set(
        nested_arn, change("Modify", "ControlPlane", "AWS::EKS::Cluster", replacement="True"),
        stack_name=child_stack, token="n2"), {"ChangeSetName": nested_arn})
    stubs.cfn.add_response("describe_change_set", change_set(
        nested_arn, change("Add", "LogGroup", "AWS::Logs::LogGroup"), stack_name=child_stack),
        {"ChangeSetName": nested_arn, "NextToken": "n2"})
    view = changeset.describe(stubs.aws.client("cloudformation"), cs_arn(), STACK)
    stubs.verify()
    assert [c["LogicalResourceId"] for c in view.changes] == ["ControlPlaneStack", "NodegroupNgStack"]
    (nested,) = view.nested
    assert nested.label == "myeks/ControlPlaneStack" and nested.stack_name == child_stack
    assert [(c["LogicalResourceId"], c.get("Replacement")) for c in nested.changes] == [
        ("ControlPlane", "True"), ("LogGroup", None)]
    assert [v.label for v in view.walk()] == ["myeks", "myeks/ControlPlaneStack"]


def test_delete_tolerates_a_change_set_that_is_gone() -> None:
    stubs = Stubs()
    stubs.cfn.add_client_error("delete_change_set", service_error_code="ChangeSetNotFound",
                               service_message="ChangeSet [x] does not exist")
    changeset.delete(stubs.aws.client("cloudformation"), _ref())
    stubs.verify()
