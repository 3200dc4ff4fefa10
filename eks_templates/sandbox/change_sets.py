"""Change sets as strict as CloudFormation's, where moto 5.2.5 lets two runs collide.

- ``CloudFormationBackend.create_change_set``: a CREATE change set for a stack name in
  use made a *second* stack of that name (a second set of nested stacks, a second VPC).
- ``CloudFormationBackend.execute_change_set``: any change set could be executed, any
  number of times, and the stack's other change sets stayed usable.
- ``CloudFormationResponse.list_change_sets``: listed the change sets of every stack,
  ignoring StackName.

CloudFormation's documented behaviour, which the patches follow:

- CreateChangeSet with ``ChangeSetType=CREATE`` for a stack name that exists: a stack
  in REVIEW_IN_PROGRESS (made by an earlier CREATE change set, not executed yet) gets
  the new change set; any other stack is refused with ValidationError "Stack [name]
  already exists and cannot be created again with the changeSet [cs]." (CreateChangeSet
  API reference, ChangeSetType: "To create a change set for a new stack, specify CREATE";
  a stack in REVIEW_IN_PROGRESS "has an expected identifier and no templates or
  resources").
- ExecuteChangeSet: "After the stack is updated, CloudFormation deletes all other change
  sets associated with the stack, because they aren't valid for the updated stack"
  (ExecuteChangeSet API reference; User Guide, "Execute a change set"). Executing a
  change set whose ExecutionStatus is not AVAILABLE, or while the stack has an operation
  in progress, fails with InvalidChangeSetStatus ("The specified change set can't be
  used to update the stack. For example, the change set status might be
  CREATE_IN_PROGRESS, or the stack status might be UPDATE_IN_PROGRESS", API reference,
  Errors).
- ListChangeSets returns the change sets of the stack named by StackName (required).
"""

from __future__ import annotations

from collections.abc import Callable

from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudformation.utils import generate_changeset_id
from moto.core.responses import ActionResult

_installed = False


class InvalidChangeSetStatus(CloudFormationError):
    code = "InvalidChangeSetStatus"


def _find(backend: CloudFormationBackend, change_set_name: str, stack_name: str | None) -> ChangeSet | None:
    if change_set_name in backend.change_sets:
        return backend.change_sets[change_set_name]
    for change_set in backend.change_sets.values():
        if change_set.change_set_name == change_set_name and (
                not stack_name or stack_name in (change_set.stack_name, change_set.stack_id)):
            return change_set
    return None


def _create_change_set(original: Callable[..., tuple[str, str]]) -> Callable[..., tuple[str, str]]:
    def create_change_set(self: CloudFormationBackend, stack_name: str, change_set_name: str, template: str,
                          parameters: dict[str, str], description: str, change_set_type: str,
                          notification_arns: list[str] | None = None, tags: dict[str, str] | None = None,
                          role_arn: str | None = None) -> tuple[str, str]:
        existing = next((s for s in self.stacks.values() if s.name == stack_name and s.status != "DELETE_COMPLETE"),
                        None)
        if change_set_type != "CREATE" or existing is None:
            return original(self, stack_name=stack_name, change_set_name=change_set_name, template=template,
                            parameters=parameters, description=description, change_set_type=change_set_type,
                            notification_arns=notification_arns, tags=tags, role_arn=role_arn)
        if existing.status != "REVIEW_IN_PROGRESS":
            raise ValidationError(message=f"Stack [{stack_name}] already exists and cannot be created again "
                                          f"with the changeSet [{change_set_name}].")
        change_set_id = generate_changeset_id(change_set_name, self.region_name, self.account_id)
        change_set = ChangeSet(change_set_type="CREATE", change_set_id=change_set_id,
                               change_set_name=change_set_name, stack=existing, template=template,
                               parameters=parameters, description=description, notification_arns=notification_arns,
                               tags=tags, role_arn=role_arn)
        change_set.status = "CREATE_COMPLETE"
        change_set.execution_status = "AVAILABLE"
        self.change_sets[change_set_id] = change_set
        return change_set_id, existing.stack_id

    return create_change_set


def guarded_execute_change_set(original: Callable[..., None]) -> Callable[..., None]:
    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = _find(self, change_set_name, stack_name)
        if change_set is None:
            raise ValidationError(message=f"ChangeSet [{change_set_name}] does not exist")
        if change_set.execution_status != "AVAILABLE":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of "
                f"[{change_set.execution_status}]")
        stack = self.stacks.get(change_set.stack_id)
        status = str(getattr(stack, "status", ""))
        if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            raise InvalidChangeSetStatus(f"ChangeSet [{change_set.change_set_id}] cannot be executed: stack "
                                         f"[{change_set.stack_name}] is in {status} state")
        original(self, change_set_name=change_set.change_set_id, stack_name=stack_name)
        for other_id, other in list(self.change_sets.items()):
            if other.stack_id == change_set.stack_id and other_id != change_set.change_set_id:
                del self.change_sets[other_id]  # no longer valid for the updated stack

    return execute_change_set


def _list_change_sets(self: CloudFormationResponse) -> ActionResult:
    stack_name = self._get_param("StackName")
    change_sets = [cs for cs in self.cloudformation_backend.list_change_sets()
                   if not stack_name or stack_name in (cs.stack_name, cs.stack_id)]
    return ActionResult({"Summaries": change_sets})


def install() -> None:
    """Apply the patches once (class-level: they survive ``/moto-api/reset``)."""
    global _installed
    if _installed:
        return
    _installed = True
    CloudFormationBackend.create_change_set = _create_change_set(  # type: ignore[method-assign]
        CloudFormationBackend.create_change_set)
    CloudFormationBackend.execute_change_set = guarded_execute_change_set(  # type: ignore[method-assign]
        CloudFormationBackend.execute_change_set)
    CloudFormationResponse.list_change_sets = _list_change_sets  # type: ignore[method-assign]
