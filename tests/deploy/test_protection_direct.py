"""The cluster's deletion protection turned off through EKS itself, for a stack that
CloudFormation will not update (deploy/protection.py:turn_off_directly): a first create
whose rollback could not delete the protected cluster is ROLLBACK_FAILED, and no change
set reaches a stack in that state. The end to end case: tests/e2e/test_failures.py."""

from __future__ import annotations

from typing import Any

import pytest

from eks_templates.deploy import protection
from eks_templates.errors import DeployFailed

from .fakes import STACK, STACK_ID, Stubs, child_id

CONTROL_PLANE = child_id("ControlPlaneStack")


def _cluster(*, protected: bool = True, owner: str = CONTROL_PLANE) -> dict[str, Any]:
    return {"cluster": {"name": "myeks", "status": "ACTIVE", "deletionProtection": protected,
                        "tags": {"aws:cloudformation:stack-id": owner}}}


def _family(stubs: Stubs) -> None:
    stubs.cfn.add_response("list_stack_resources", {"StackResourceSummaries": [
        {"LogicalResourceId": "ControlPlaneStack", "PhysicalResourceId": CONTROL_PLANE,
         "ResourceType": "AWS::CloudFormation::Stack", "ResourceStatus": "DELETE_FAILED",
         "LastUpdatedTimestamp": "2026-12-01T00:00:00Z"}]}, {"StackName": STACK_ID})


ROOT = {"StackId": STACK_ID, "StackName": STACK, "StackStatus": "ROLLBACK_FAILED"}


def test_the_stacks_own_protected_cluster_is_unprotected_and_waited_for() -> None:
    stubs = Stubs("cloudformation", "eks")
    stubs["eks"].add_response("describe_cluster", _cluster(), {"name": "myeks"})
    _family(stubs)
    stubs["eks"].add_response("update_cluster_config", {"update": {"id": "u-1", "status": "InProgress"}},
                              {"name": "myeks", "deletionProtection": False})
    stubs["eks"].add_response("describe_update", {"update": {"id": "u-1", "status": "InProgress"}},
                              {"name": "myeks", "updateId": "u-1"})
    stubs["eks"].add_response("describe_update", {"update": {"id": "u-1", "status": "Successful"}},
                              {"name": "myeks", "updateId": "u-1"})
    assert protection.turn_off_directly(stubs.context(), "myeks", ROOT) is True
    stubs.verify()


@pytest.mark.parametrize("cluster", [_cluster(protected=False), _cluster(owner="arn:aws:cloudformation:"
                                                                                "ap-northeast-2:123456789012:"
                                                                                "stack/other/1")])
def test_an_unprotected_or_another_stacks_cluster_is_left_alone(cluster: dict[str, Any]) -> None:
    stubs = Stubs("cloudformation", "eks")
    stubs["eks"].add_response("describe_cluster", cluster, {"name": "myeks"})
    if cluster["cluster"]["deletionProtection"]:
        _family(stubs)
    assert protection.turn_off_directly(stubs.context(), "myeks", ROOT) is False
    stubs.verify()  # no UpdateClusterConfig was made


def test_no_cluster_is_nothing_to_do() -> None:
    stubs = Stubs("cloudformation", "eks")
    stubs["eks"].add_client_error("describe_cluster", service_error_code="ResourceNotFoundException",
                                  service_message="No cluster found for name: myeks.", http_status_code=404)
    assert protection.turn_off_directly(stubs.context(), "myeks", ROOT) is False
    stubs.verify()


def test_an_update_eks_fails_is_the_reason_given() -> None:
    stubs = Stubs("cloudformation", "eks")
    stubs["eks"].add_response("describe_cluster", _cluster(), {"name": "myeks"})
    _family(stubs)
    stubs["eks"].add_response("update_cluster_config", {"update": {"id": "u-1", "status": "InProgress"}},
                              {"name": "myeks", "deletionProtection": False})
    stubs["eks"].add_response("describe_update", {"update": {"id": "u-1", "status": "Failed", "errors": [
        {"errorCode": "AccessDenied", "errorMessage": "not authorized"}]}}, {"name": "myeks", "updateId": "u-1"})
    with pytest.raises(DeployFailed, match=r"could not turn off the deletion protection of cluster myeks "
                                           r"\(Failed\): not authorized"):
        protection.turn_off_directly(stubs.context(), "myeks", ROOT)
