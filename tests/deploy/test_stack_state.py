"""Every stack state maps to what a deploy does, with the reason to print."""

from __future__ import annotations

import pytest

from eks_templates.deploy.stack_state import Kind, classify, describe_stack, in_progress

from .fakes import STACK, Stubs, not_found, stack, stacks


@pytest.mark.parametrize(("status", "kind"), [
    ("REVIEW_IN_PROGRESS", Kind.CREATE),
    ("CREATE_COMPLETE", Kind.UPDATE),
    ("UPDATE_COMPLETE", Kind.UPDATE),
    ("UPDATE_ROLLBACK_COMPLETE", Kind.UPDATE),
    ("IMPORT_COMPLETE", Kind.UPDATE),
    ("ROLLBACK_COMPLETE", Kind.FAILED_CREATE),
    ("CREATE_FAILED", Kind.FAILED_CREATE),
    ("ROLLBACK_FAILED", Kind.FAILED_CREATE),
    ("CREATE_IN_PROGRESS", Kind.IN_PROGRESS),
    ("UPDATE_IN_PROGRESS", Kind.IN_PROGRESS),
    ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", Kind.IN_PROGRESS),
    ("UPDATE_ROLLBACK_IN_PROGRESS", Kind.IN_PROGRESS),
    ("ROLLBACK_IN_PROGRESS", Kind.IN_PROGRESS),
    ("DELETE_IN_PROGRESS", Kind.IN_PROGRESS),
    ("UPDATE_ROLLBACK_FAILED", Kind.ROLLBACK_FAILED),
    ("DELETE_FAILED", Kind.BROKEN),
    ("IMPORT_ROLLBACK_FAILED", Kind.BROKEN),
])
def test_classify(status: str, kind: Kind) -> None:
    state = classify(STACK, stack(status))
    assert state.kind is kind
    assert status in state.reason


def test_absent_stack_is_a_create() -> None:
    state = classify(STACK, None)
    assert state.kind is Kind.CREATE and not state.exists


def test_reasons_say_what_to_do() -> None:
    assert "--recreate-failed" in classify(STACK, stack("ROLLBACK_COMPLETE")).reason
    assert "delete myeks" in classify(STACK, stack("ROLLBACK_COMPLETE")).reason
    reason = classify(STACK, stack("UPDATE_ROLLBACK_FAILED")).reason
    assert "aws cloudformation continue-update-rollback --stack-name myeks" in reason
    assert "--resources-to-skip" in reason


def test_review_in_progress_is_not_an_operation() -> None:
    assert not in_progress("REVIEW_IN_PROGRESS")
    assert in_progress("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")


def test_describe_stack_absent_and_present() -> None:
    stubs = Stubs()
    not_found(stubs.cfn, "describe_stacks")
    stubs.cfn.add_response("describe_stacks", stacks(stack("CREATE_COMPLETE")), {"StackName": STACK})
    cfn = stubs.aws.client("cloudformation")
    assert describe_stack(cfn, STACK) is None
    described = describe_stack(cfn, STACK)
    assert described is not None and described["StackStatus"] == "CREATE_COMPLETE"


def test_describe_stack_other_errors_propagate() -> None:
    from botocore.exceptions import ClientError

    stubs = Stubs()
    stubs.cfn.add_client_error("describe_stacks", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(ClientError):
        describe_stack(stubs.aws.client("cloudformation"), STACK)
