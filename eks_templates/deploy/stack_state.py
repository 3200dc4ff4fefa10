"""What state a stack is in, and what a deploy can do about it.

| status                                         | kind           | deploy does                         |
| ---------------------------------------------- | -------------- | ----------------------------------- |
| (absent), REVIEW_IN_PROGRESS, DELETE_COMPLETE  | CREATE         | a CREATE change set                 |
| CREATE/UPDATE/IMPORT_COMPLETE, *ROLLBACK_COMPLETE (update) | UPDATE | an UPDATE change set          |
| ROLLBACK_COMPLETE, CREATE_FAILED, ROLLBACK_FAILED | FAILED_CREATE | refuses; ``--recreate-failed`` deletes it first |
| any other *_IN_PROGRESS                        | IN_PROGRESS    | watches it to the end, or refuses   |
| UPDATE_ROLLBACK_FAILED                         | ROLLBACK_FAILED| refuses: continue-update-rollback   |
| DELETE_FAILED, IMPORT_ROLLBACK_FAILED, ...     | BROKEN         | refuses with the reason             |
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from eks_templates import program


class Kind(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    FAILED_CREATE = "failed-create"
    IN_PROGRESS = "in-progress"
    ROLLBACK_FAILED = "update-rollback-failed"
    BROKEN = "broken"


CREATE_STATES = frozenset({"REVIEW_IN_PROGRESS", "DELETE_COMPLETE"})
UPDATE_STATES = frozenset({
    "CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE",
})
FAILED_CREATE_STATES = frozenset({"ROLLBACK_COMPLETE", "CREATE_FAILED", "ROLLBACK_FAILED"})
#: a watched operation that ends here did what it was asked to
SUCCESS_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"})


def in_progress(status: str) -> bool:
    """An operation is running (REVIEW_IN_PROGRESS is a stack waiting for its first
    change set, not an operation)."""
    return status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS"


@dataclass(frozen=True)
class StackState:
    kind: Kind
    name: str
    stack: dict[str, Any] | None = None
    reason: str = ""

    @property
    def status(self) -> str | None:
        return None if self.stack is None else str(self.stack["StackStatus"])

    @property
    def stack_id(self) -> str | None:
        return None if self.stack is None else str(self.stack["StackId"])

    @property
    def exists(self) -> bool:
        return self.stack is not None and self.status != "DELETE_COMPLETE"


def describe_stack(cfn: Any, name: str) -> dict[str, Any] | None:
    """The stack (``describe_stacks``) or None when there is none by that name/ID."""
    from botocore.exceptions import ClientError

    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        message = str(exc.response.get("Error", {}).get("Message", ""))
        if exc.response.get("Error", {}).get("Code") == "ValidationError" and "does not exist" in message:
            return None
        raise
    return dict(stacks[0]) if stacks else None


def classify(name: str, stack: dict[str, Any] | None) -> StackState:
    """Decide what a deploy of ``name`` can do, with the reason to print if it cannot."""
    if stack is None:
        return StackState(Kind.CREATE, name, None, f"stack {name} does not exist yet")
    status = str(stack["StackStatus"])
    if status in CREATE_STATES:
        return StackState(Kind.CREATE, name, stack, f"stack {name} is {status}")
    if status in UPDATE_STATES:
        return StackState(Kind.UPDATE, name, stack, f"stack {name} is {status}")
    if status in FAILED_CREATE_STATES:
        return StackState(Kind.FAILED_CREATE, name, stack, (
            f"stack {name} is {status}: its first create failed, and CloudFormation cannot update a stack "
            f"in that state. Delete it first ({program.command('delete', name)}), or run deploy again "
            "with --recreate-failed to delete and create it in one go"
        ))
    if in_progress(status):
        return StackState(Kind.IN_PROGRESS, name, stack, f"stack {name} is {status}: another operation is running")
    if status == "UPDATE_ROLLBACK_FAILED":
        return StackState(Kind.ROLLBACK_FAILED, name, stack, (
            f"stack {name} is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback. Fix what "
            "stopped the rollback (see the stack events), then run "
            f"`aws cloudformation continue-update-rollback --stack-name {name}` (add "
            "--resources-to-skip LOGICAL_ID ... for resources that cannot be rolled back), and deploy again"
        ))
    if status == "DELETE_FAILED":
        return StackState(Kind.BROKEN, name, stack, (
            f"stack {name} is DELETE_FAILED: an earlier delete did not finish. Fix its cause and run "
            f"{program.command('delete', name)} again"
        ))
    return StackState(Kind.BROKEN, name, stack, f"stack {name} is {status}; a deploy cannot continue from there")


def after_failure(name: str, status: str) -> str:
    """What to do next after an operation on ``name`` failed and the stack settled in ``status``."""
    if status == "UPDATE_ROLLBACK_COMPLETE":
        return (f"stack {name} is UPDATE_ROLLBACK_COMPLETE: CloudFormation rolled the update back, the "
                "cluster is as it was before it; fix the cause and run the same command again")
    if status in SUCCESS_STATES or status in UPDATE_STATES:
        return "fix the cause and run the command again"
    return classify(name, {"StackStatus": status, "StackId": name}).reason
