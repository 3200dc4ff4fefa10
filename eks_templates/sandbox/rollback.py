"""Failures as CloudFormation reports them: resource events, rollback, failed states.

moto 5.2.5 has no failure model. A resource that fails raises out of
``ExecuteChangeSet``/``CreateStack`` (the stack stays ``REVIEW_IN_PROGRESS`` or
``CREATE_IN_PROGRESS``), whatever was created before it stays, and
``DescribeStackEvents`` has stack-level events only. This module makes a stack
operation end the way CloudFormation's does
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html,
"Stack status codes"; https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/troubleshooting.html):

- every resource gets its own events: ``CREATE_IN_PROGRESS``/``CREATE_COMPLETE``,
  ``UPDATE_*``, ``DELETE_*``, and ``*_FAILED`` with the service's error as
  ``ResourceStatusReason`` (a nested stack's resource events carry the child's ARN as
  ``PhysicalResourceId``, as CloudFormation's do);
- a failed **create** rolls back: the stack goes ``ROLLBACK_IN_PROGRESS`` ("The
  following resource(s) failed to create: [X]. Rollback requested by user."), every
  resource it created is deleted, and it ends ``ROLLBACK_COMPLETE`` (``ROLLBACK_FAILED``
  when a delete fails). A nested child that fails rolls back the same way, then its
  parent records the child's resource ``CREATE_FAILED`` ("Embedded stack ... was not
  successfully created: ...") and rolls back in turn, deleting the child;
- a failed **update** rolls back to the previous template and parameters: the stack
  goes ``UPDATE_ROLLBACK_IN_PROGRESS``, resources replaced during the update get their
  old resource back (the replacement is deleted), resources added are deleted,
  modified ones are updated back, nested stacks that were updated are rolled back
  with their own previous templates; it ends ``UPDATE_ROLLBACK_COMPLETE``
  (``UPDATE_ROLLBACK_FAILED`` when the rollback itself fails). A nested child whose
  update fails is ``UPDATE_FAILED`` until its root's rollback reaches it.

``ExecuteChangeSet`` and ``CreateStack``/``UpdateStack`` then return normally, as in
AWS, where the failure is seen through ``DescribeStacks``/``DescribeStackEvents``.
Everything stays synchronous: the call returns when the rollback is done.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.cloudformation.parsing import OutputMap, ResourceMap

from eks_templates.sandbox._common import logger

STACK_TYPE = "AWS::CloudFormation::Stack"
_STACK = "_eks_templates_sandbox_stack"
_REPLACED = "_eks_templates_sandbox_replaced"
_FAILED = "_eks_templates_sandbox_failed"
_CREATING = "_eks_templates_sandbox_creating"
_DELETING = "_eks_templates_sandbox_deleting"
_DELETE_ERRORS = "_eks_templates_delete_errors"
_RECORDED = "_eks_templates_sandbox_recorded"
_TOUCHED = "_eks_templates_sandbox_touched"
_ERRORS = "_eks_templates_sandbox_errors"

#: >0 while a resource is being created or updated (a stack made then is a nested one)
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("eks_templates_sandbox_depth", default=0)
#: True while an update is being rolled back
_rolling_back: contextvars.ContextVar[bool] = contextvars.ContextVar("eks_templates_sandbox_rb", default=False)
#: stacks updated by the running root operation -> what they were before it
_updated: contextvars.ContextVar[dict[str, _Previous] | None] = contextvars.ContextVar(
    "eks_templates_sandbox_updated", default=None
)


def rolling_back() -> bool:
    """An update is being rolled back (its changes are reversals, not new requests)."""
    return _rolling_back.get()


class StackOperationFailed(ValidationError):
    """A nested stack's create or update failed (it is rolled back, or waits for its root's rollback)."""

    def __init__(self, stack: Stack, reason: str, operation: str) -> None:
        super().__init__(message=reason)
        self.stack = stack
        self.reason = reason
        self.operation = operation


# --------------------------------------------------------------------------- events


def stack_of(resource_map: ResourceMap) -> Stack | None:
    stack: Stack | None = vars(resource_map).get(_STACK)
    return stack


def reason_of(exc: BaseException) -> str:
    """The service's error as CloudFormation shows it: ``Code: message``."""
    if isinstance(exc, StackOperationFailed):
        return exc.reason
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    code = getattr(exc, "error_type", None) or getattr(exc, "code", None)
    if isinstance(code, str) and code and code != "ValidationError" and not str(message).startswith(code):
        return f"{code}: {message}"
    return str(message)


def resource_event(stack: Stack | None, logical_id: str, resource_type: str, status: str,
                   physical_id: str = "", reason: str | None = None) -> None:
    """Append one resource event to ``stack`` (what DescribeStackEvents lists)."""
    if stack is None:
        return
    stack.events.append(Event(
        stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id,
        physical_resource_id=physical_id, resource_type=resource_type, resource_status=status,
        resource_status_reason=reason, resource_properties=None,
    ))


def _physical_id(resource: Any) -> str:
    if isinstance(resource, Stack):
        return str(resource.stack_id)  # CloudFormation shows a nested stack by its ARN
    try:
        return str(getattr(resource, "physical_resource_id", "") or "")
    except Exception:  # some moto models compute it from state that may be gone
        return ""


def _recorded(exc: BaseException) -> set[str]:
    seen: set[str] = exc.__dict__.setdefault(_RECORDED, set())
    return seen


def _failed_list(stack: Stack) -> list[str]:
    failed: list[str] = vars(stack).setdefault(_FAILED, [])
    return failed


def _fail(stack: Stack | None, logical_id: str, resource_type: str, status: str, exc: BaseException,
          physical_id: str = "") -> None:
    """Record ``logical_id`` as failed once per stack, with the reason."""
    if stack is None or stack.stack_id in _recorded(exc):
        return
    _recorded(exc).add(stack.stack_id)
    if isinstance(exc, StackOperationFailed):
        child = exc.stack
        physical_id = str(child.stack_id)
        if exc.operation == "create":
            reason = f"Embedded stack {child.stack_id} was not successfully created: {exc.reason}"
        else:
            reason = (f"Embedded stack {child.stack_id} was not successfully updated. Currently in "
                      f"{child.status} with reason: {exc.reason}")
    else:
        reason = reason_of(exc)
    resource_event(stack, logical_id, resource_type, status, physical_id, reason)
    if logical_id not in _failed_list(stack):
        _failed_list(stack).append(logical_id)


# --------------------------------------------------------------------------- resource hooks


def _parse_and_create_resource(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: ResourceMap, account_id: str, region_name: str
    ) -> Any:
        from eks_templates.sandbox.patches import _references

        condition = resource_json.get("Condition")
        if condition and not resources_map.lazy_condition_map[condition]:
            return original(logical_id, resource_json, resources_map, account_id, region_name)
        creating: set[str] = vars(resources_map).setdefault(_CREATING, set())
        creating.add(logical_id)
        try:
            # What it uses first, as CloudFormation orders creation (moto would create them
            # lazily in the middle of this one, so their events and failures would nest).
            known = resources_map._resource_json_map
            for dependency in sorted(_references(resource_json) & set(known) - {logical_id} - creating):
                if dependency not in resources_map._parsed_resources:
                    resources_map[dependency]
            stack = stack_of(resources_map)
            resource_type = str(resource_json.get("Type", ""))
            resource_event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
            token = _depth.set(_depth.get() + 1)
            try:
                resource = original(logical_id, resource_json, resources_map, account_id, region_name)
            except Exception as exc:
                if isinstance(exc, StackOperationFailed) and exc.operation == "create":
                    # the failed child is the parent's to delete in its rollback
                    resources_map._parsed_resources[logical_id] = exc.stack
                    exc.stack.logical_resource_id = logical_id  # type: ignore[attr-defined]
                _fail(stack, logical_id, resource_type, "CREATE_FAILED", exc)
                raise
            finally:
                _depth.reset(token)
            if resource is not None:
                resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE", _physical_id(resource))
            return resource
        finally:
            creating.discard(logical_id)

    return parse_and_create_resource


def _parse_and_update_resource(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_and_update_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: ResourceMap, account_id: str, region_name: str
    ) -> Any:
        from eks_templates.sandbox.patches import _snapshots

        stack = stack_of(resources_map)
        resource_type = str(resource_json.get("Type", ""))
        before = resources_map._parsed_resources.get(logical_id)
        touched: set[str] = vars(resources_map).setdefault(_TOUCHED, set())
        if _rolling_back.get() and logical_id not in touched:
            return before  # the failed update never changed it: the rollback leaves it alone
        failed_before = vars(resources_map).setdefault(_ERRORS, {})
        if logical_id in failed_before and not _rolling_back.get():
            raise failed_before[logical_id]  # moto's update loop retries; CloudFormation does not
        snapshot = copy.deepcopy(_snapshots(resources_map).get(logical_id))
        resource_event(stack, logical_id, resource_type, "UPDATE_IN_PROGRESS", _physical_id(before))
        token = _depth.set(_depth.get() + 1)
        try:
            resource = original(logical_id, resource_json, resources_map, account_id, region_name)
        except Exception as exc:
            if isinstance(exc, StackOperationFailed):
                touched.add(logical_id)  # a nested stack half updated: its rollback is due
            if not _rolling_back.get():
                failed_before[logical_id] = exc
            _fail(stack, logical_id, resource_type, "UPDATE_FAILED", exc, _physical_id(before))
            raise
        finally:
            _depth.reset(token)
        if not _rolling_back.get():
            touched.add(logical_id)
        if resource is not None and before is not None and resource is not before and not _rolling_back.get():
            # replaced: the rollback gives the old one back
            vars(resources_map).setdefault(_REPLACED, []).append((logical_id, before, resource, snapshot))
        resource_event(stack, logical_id, resource_type, "UPDATE_COMPLETE", _physical_id(resource or before))
        return resource

    return parse_and_update_resource


def _delete_resource(original: Callable[..., None]) -> Callable[..., None]:
    def delete_resource(self: ResourceMap, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        stack = stack_of(self)
        logical_id = str(getattr(parsed_resource, "logical_resource_id", "") or "")
        resource_type = str(resource_json.get("Type", ""))
        started: set[int] = vars(self).setdefault(_DELETING, set())
        if id(parsed_resource) not in started:  # retried deletes report once
            started.add(id(parsed_resource))
            resource_event(stack, logical_id, resource_type, "DELETE_IN_PROGRESS", _physical_id(parsed_resource))
        try:
            original(self, parsed_resource, resource_json)
        except Exception as exc:
            # each resource's DELETE_FAILED carries its own reason (as CloudFormation's events
            # do), not the last error of the stack's delete (two resources failing in one stack)
            vars(self).setdefault(_DELETE_ERRORS, {})[id(parsed_resource)] = exc
            raise
        started.discard(id(parsed_resource))
        resource_event(stack, logical_id, resource_type, "DELETE_COMPLETE", _physical_id(parsed_resource))

    return delete_resource


def _resource_map_delete(original: Callable[[ResourceMap], None]) -> Callable[[ResourceMap], None]:
    def delete(self: ResourceMap) -> None:
        try:
            original(self)
        except Exception as exc:
            _forget_deleted(self)
            stack = stack_of(self)
            errors: dict[int, BaseException] = vars(self).get(_DELETE_ERRORS, {})
            for logical_id, parsed in list(self._parsed_resources.items()):
                if id(parsed) in vars(self).get(_DELETING, set()):
                    resource_type = str((self._resource_json_map.get(logical_id) or {}).get("Type", ""))
                    resource_event(stack, logical_id, resource_type, "DELETE_FAILED", _physical_id(parsed),
                                   reason_of(errors.get(id(parsed), exc)))
            vars(self).pop(_DELETING, None)
            vars(self).pop(_DELETE_ERRORS, None)
            raise
        _forget_deleted(self)

    return delete


def _forget_deleted(resource_map: ResourceMap) -> None:
    """Only what is left stays known: moto's map is lazy, and reading a deleted (or half
    deleted) stack's resources would otherwise create the deleted ones again."""
    parsed = resource_map._parsed_resources
    resource_map._resource_json_map = {
        key: value for key, value in resource_map._resource_json_map.items()
        if key in parsed and not isinstance(parsed[key], str)
    }


# --------------------------------------------------------------------------- stack operations


@dataclass
class _Previous:
    """A stack as it was before an update: what its rollback restores."""

    template: Any
    template_dict: dict[str, Any]
    parameters: dict[str, Any]
    input_parameters: dict[str, Any]
    output_map: Any

    @classmethod
    def of(cls, stack: Stack) -> _Previous:
        return cls(stack.template, copy.deepcopy(stack.template_dict), dict(stack.parameters or {}),
                   dict(stack.resource_map.input_parameters or {}), stack.output_map)


def _summary(stack: Stack, operation: str) -> str:
    failed = _failed_list(stack)
    return f"The following resource(s) failed to {operation}: [{', '.join(failed)}]. "


def _begin(stack: Stack) -> None:
    vars(stack)[_FAILED] = []
    vars(stack.resource_map)[_REPLACED] = []
    vars(stack.resource_map)[_TOUCHED] = set()
    vars(stack.resource_map)[_ERRORS] = {}


def roll_back_create(stack: Stack) -> str:
    """Delete what the failed create made; the stack ends ROLLBACK_COMPLETE (or ROLLBACK_FAILED)."""
    reason = _summary(stack, "create")
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason + "Rollback requested by user.")
    rm = stack.resource_map
    try:
        rm.delete()
    except Exception as exc:
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=(
            f"The following resource(s) failed to delete: [{', '.join(_undeleted(stack))}]. {reason_of(exc)}"))
    else:
        stack.status = "ROLLBACK_COMPLETE"
        stack._add_stack_event("ROLLBACK_COMPLETE")
    # (rm.delete forgot the deleted resources.) A rolled-back stack has no outputs, as in
    # CloudFormation, and moto would resolve them by creating what they refer to again.
    stack.output_map = OutputMap(rm, {}, stack.stack_id)
    return reason


def _undeleted(stack: Stack) -> list[str]:
    rm = stack.resource_map
    return sorted(k for k in rm._resource_json_map if k in rm._parsed_resources
                  and not isinstance(rm._parsed_resources[k], str))


def create_with_rollback(stack: Stack, create: Callable[[], None]) -> bool:
    """Run ``create``; on a failure roll back. True when the create succeeded."""
    _begin(stack)
    try:
        create()
    except Exception as exc:
        if not _failed_list(stack):  # the template failed as a whole (not one resource)
            _failed_list(stack).append(stack.name)
            stack._add_stack_event("CREATE_FAILED", resource_status_reason=reason_of(exc))
        roll_back_create(stack)
        return False
    return True


def _restore_replaced(stack: Stack) -> None:
    """Resources replaced by the failed update: delete the replacement, take the old one back."""
    from eks_templates.sandbox.patches import _snapshots

    rm = stack.resource_map
    for logical_id, old, new, snapshot in reversed(vars(rm).get(_REPLACED, [])):
        resource_json = rm._resource_json_map.get(logical_id) or {"Type": getattr(new, "cf_resource_type", "")}
        try:
            rm._delete_resource(new, resource_json)
        except Exception as exc:  # rollback goes on; the replacement stays (reported)
            logger.warning("rollback: deleting the replacement of %s failed: %s", logical_id, exc)
        rm._parsed_resources[logical_id] = old
        _snapshots(rm)[logical_id] = snapshot
    vars(rm)[_REPLACED] = []


def roll_back_update(stack: Stack, previous: _Previous, reason: str) -> bool:
    """Put ``stack`` back to ``previous``; UPDATE_ROLLBACK_COMPLETE (True) or UPDATE_ROLLBACK_FAILED."""
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    token = _rolling_back.set(True)
    try:
        _restore_replaced(stack)
        stack.resource_map.update(copy.deepcopy(previous.template_dict), dict(previous.input_parameters))
    except Exception as exc:
        stack.status = "UPDATE_ROLLBACK_FAILED"
        stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=reason_of(exc))
        return False
    finally:
        _rolling_back.reset(token)
    stack.template = previous.template
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.parameters = previous.parameters
    stack.resource_map.input_parameters = previous.input_parameters
    stack.output_map = stack._create_output_map()
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    return True


@contextlib.contextmanager
def _root_operation() -> Iterator[dict[str, _Previous]]:
    """The set of stacks a root update touched (nested updates join the running one)."""
    running = _updated.get()
    if running is not None:
        yield running
        return
    registry: dict[str, _Previous] = {}
    token = _updated.set(registry)
    try:
        yield registry
    finally:
        _updated.reset(token)


def update_with_rollback(stack: Stack, update: Callable[[], None]) -> bool:
    """Run ``update`` (a root operation); on a failure roll back. True when it succeeded."""
    with _root_operation() as registry:
        previous = _Previous.of(stack)
        registry[stack.stack_id] = previous
        _begin(stack)
        try:
            update()
        except Exception as exc:
            if not _failed_list(stack):
                _failed_list(stack).append(stack.name)
                stack._add_stack_event("UPDATE_FAILED", resource_status_reason=reason_of(exc))
            roll_back_update(stack, previous, _summary(stack, "update"))
            return False
    return True


# --------------------------------------------------------------------------- moto entry points


def _create_resource_map(original: Callable[[Stack], ResourceMap]) -> Callable[[Stack], ResourceMap]:
    def create_resource_map(self: Stack) -> ResourceMap:
        resource_map = original(self)
        vars(resource_map)[_STACK] = self
        return resource_map

    return create_resource_map


def _create_resources(original: Callable[[Stack], None]) -> Callable[[Stack], None]:
    def create_resources(self: Stack) -> None:
        if not create_with_rollback(self, lambda: original(self)):
            raise StackOperationFailed(self, _summary(self, "create"), "create")

    return create_resources


def _backend_create_stack(original: Callable[..., Stack]) -> Callable[..., Stack]:
    def create_stack(self: CloudFormationBackend, *args: Any, **kwargs: Any) -> Stack:
        try:
            return original(self, *args, **kwargs)
        except StackOperationFailed as exc:
            if _depth.get() > 0:  # a nested stack: its parent records and rolls back
                raise
            return exc.stack  # CreateStack succeeded; the stack is ROLLBACK_COMPLETE

    return create_stack


def _stack_update(original: Callable[..., None]) -> Callable[..., None]:
    def update(self: Stack, template: Any, role_arn: str | None = None,
               parameters: dict[str, Any] | None = None, tags: dict[str, str] | None = None) -> None:
        if _rolling_back.get():
            previous = (_updated.get() or {}).pop(self.stack_id, None)
            if previous is not None:  # updated by the failed operation: back to its own previous template
                roll_back_update(self, previous, "")
            return
        if _depth.get() == 0 and _updated.get() is None:  # UpdateStack on a root
            update_with_rollback(self, lambda: original(self, template, role_arn, parameters, tags))
            return
        registry = _updated.get()
        if registry is not None and self.stack_id not in registry:  # moto retries a failed update
            registry[self.stack_id] = _Previous.of(self)
            _begin(self)
        try:
            original(self, template, role_arn, parameters, tags)
        except Exception as exc:
            if not _failed_list(self):
                _failed_list(self).append(self.name)
            self.status = "UPDATE_FAILED"
            self._add_stack_event("UPDATE_FAILED", resource_status_reason=_summary(self, "update") + reason_of(exc))
            raise StackOperationFailed(self, _summary(self, "update"), "update") from exc

    return update


def _execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
    """moto's ExecuteChangeSet, with CloudFormation's failure handling (see the module doc)."""
    change_set = self.change_sets.get(change_set_name)
    if change_set is None:
        change_set = next((cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
    if change_set is None:
        raise ValidationError(stack_name)
    stack = self.stacks[change_set.stack_id]
    if change_set.change_set_type == "CREATE":
        stack.status = "CREATE_IN_PROGRESS"
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.template = change_set.template
        ok = create_with_rollback(stack, change_set.apply)
        if ok:
            stack.status = "CREATE_COMPLETE"
            stack._add_stack_event("CREATE_COMPLETE")
        else:  # the template stays readable on a ROLLBACK_COMPLETE stack, as in CloudFormation
            stack.template = change_set.template
            stack._parse_template()
    else:
        stack.status = "UPDATE_IN_PROGRESS"
        stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
        ok = update_with_rollback(stack, change_set.apply)
        if ok:
            stack._add_stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            stack.status = "UPDATE_COMPLETE"
            stack._add_stack_event("UPDATE_COMPLETE")
            stack.template = change_set.template
    change_set.execution_status = "EXECUTE_COMPLETE" if ok else "EXECUTE_FAILED"
    from eks_templates.sandbox.changes import executed

    executed(self, change_set, change_set.execution_status)


_installed = False


def install() -> None:
    """Install the failure model (idempotent; after :func:`patches.install`, whose
    resource hooks these wrap)."""
    global _installed
    if _installed:
        return
    _installed = True
    # Adds: a back reference from moto's ResourceMap to its Stack, for the events.
    Stack._create_resource_map = _create_resource_map(Stack._create_resource_map)  # type: ignore[method-assign,assignment]
    # Replaces: moto created and updated resources without resource events and left a
    # failure's partial work in place; now each resource reports, and failures are
    # attributed to the resource that failed (its dependencies are created first).
    cfn_parsing.parse_and_create_resource = _parse_and_create_resource(cfn_parsing.parse_and_create_resource)
    cfn_parsing.parse_and_update_resource = _parse_and_update_resource(cfn_parsing.parse_and_update_resource)
    ResourceMap._delete_resource = _delete_resource(ResourceMap._delete_resource)  # type: ignore[method-assign]
    ResourceMap.delete = _resource_map_delete(ResourceMap.delete)  # type: ignore[method-assign,assignment]
    # Replaces: moto's Stack.create_resources / CreateStack raised and left the stack
    # CREATE_IN_PROGRESS with what it had created; now it rolls back (ROLLBACK_COMPLETE).
    Stack.create_resources = _create_resources(Stack.create_resources)  # type: ignore[method-assign,assignment]
    CloudFormationBackend.create_stack = _backend_create_stack(  # type: ignore[method-assign]
        CloudFormationBackend.create_stack
    )
    # Replaces: moto's Stack.update (UpdateStack, nested updates) raised half-way; now a
    # root rolls back to its previous template, a nested child is UPDATE_FAILED until then.
    Stack.update = _stack_update(Stack.update)  # type: ignore[method-assign]
    # Replaces: moto's ExecuteChangeSet ("TODO: handle execution errors and implement
    # rollback") raised and left the stack REVIEW_IN_PROGRESS / half updated.
    # The one-execution rules of sandbox/change_sets.py (a change set runs once, only when AVAILABLE,
    # and executing it deletes the stack's other change sets) wrap this implementation in turn.
    from eks_templates.sandbox.change_sets import guarded_execute_change_set

    CloudFormationBackend.execute_change_set = guarded_execute_change_set(  # type: ignore[method-assign]
        _execute_change_set)
