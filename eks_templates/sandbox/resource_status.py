"""A stack resource's status as CloudFormation reports it: that of its last operation.

moto 5.2.5 hard-codes ``ResourceStatus: CREATE_COMPLETE`` (and the stack's creation time
as ``LastUpdatedTimestamp``) in ListStackResources, and gives every resource the *stack's*
status in DescribeStackResource(s), so a nested stack updated by a parent update read
``CREATE_COMPLETE`` in its parent's ListStackResources while DescribeStacks of the child
said ``UPDATE_COMPLETE``. CloudFormation reports each resource's own current status
("ResourceStatus: Current status of the resource", API reference StackResourceSummary,
StackResource, StackResourceDetail; "LastUpdatedTimestamp: Time the status was updated"):
a resource an update modified is ``UPDATE_COMPLETE``, one it left alone keeps its
``CREATE_COMPLETE``, one whose update failed is ``UPDATE_FAILED``.

The sandbox records every resource operation as events (:func:`.rollback.resource_event`),
so a resource's status is the status of its last event, and its time that event's time.
An event of another physical resource under the same logical ID - the old resource a
replacement deletes during cleanup - is not the resource's (CloudFormation lists the
replacement ``UPDATE_COMPLETE``). A resource with no event keeps what moto says.
The time-scaled mode (:mod:`.timeline`) wraps these actions in turn while a create runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation.models import Event, Stack
from moto.cloudformation.responses import CloudFormationResponse

from eks_templates.sandbox.rollback import _physical_id

ACTIONS = (("describe_stack_resources", "StackResources"),
           ("describe_stack_resource", "StackResourceDetail"),
           ("list_stack_resources", "StackResourceSummaries"))


def last_event(stack: Stack, logical_id: str) -> Event | None:
    """The last event of the resource ``logical_id`` of ``stack`` about its current
    physical resource (events before the physical id is known have none), or None."""
    resource = stack.resource_map._parsed_resources.get(logical_id)
    physical_id = _physical_id(resource) if resource is not None else ""  # a nested stack: its ARN, as in events
    for event in reversed(stack.events):
        if event.logical_resource_id != logical_id or (
                event.logical_resource_id == stack.name and event.physical_resource_id == stack.stack_id):
            continue  # another resource, or the stack's own event
        if physical_id and event.physical_resource_id and event.physical_resource_id != physical_id:
            continue  # the resource a replacement took the place of
        return event
    return None


def _with_resource_status(original: Callable[[CloudFormationResponse], Any],
                          key: str) -> Callable[[CloudFormationResponse], Any]:
    def action(self: CloudFormationResponse) -> Any:
        result = original(self)
        items = (getattr(result, "result", None) or {}).get(key)
        if items is None:
            return result
        backend = self.cloudformation_backend
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict):  # a ListStackResources summary (StackName is required)
                stack = backend.get_stack(self._get_param("StackName"))
                event = last_event(stack, str(item["LogicalResourceId"]))
                if event is not None:
                    item["ResourceStatus"] = event.resource_status
                    item["LastUpdatedTimestamp"] = event.timestamp
            else:  # moto's StackResourceDTO, read by its serializer
                stack = backend.get_stack(item.stack_id)
                event = last_event(stack, str(item.logical_resource_id))
                if event is not None:
                    item.resource_status = event.resource_status
                    item.timestamp = event.timestamp
                    item.last_updated_timestamp = event.timestamp
        return result

    return action


_installed = False


def install() -> None:
    """Install (idempotent; after :mod:`.rollback`, whose events it reads)."""
    global _installed
    if _installed:
        return
    _installed = True
    # Replaces: moto's resource status was CREATE_COMPLETE (ListStackResources) or the
    # stack's status (DescribeStackResource(s)), never the resource's own.
    for name, key in ACTIONS:
        setattr(CloudFormationResponse, name, _with_resource_status(getattr(CloudFormationResponse, name), key))
