"""What DescribeStacks says about a stack's place and tags, as CloudFormation says it.

moto 5.2.5 creates a nested stack as a stack of its own with nothing tying it to its
parent, drops the tags of an UPDATE change set, and never sets ``LastUpdatedTime``.
CloudFormation (API reference, ``Stack``: "ParentId: For nested stacks, the stack ID of
the direct parent of this stack ... RootId: For nested stacks, the stack ID of the
top-level stack to which the nested stack ultimately belongs"; ``CreateChangeSet``
``Tags``: "Key-value pairs to associate with this stack. CloudFormation also propagates
these tags to resources in the stack"; "AWS::CloudFormation::Stack": stack-level tags
are applied to the nested stacks too) reports all three, and a reader of
``describe_stacks()`` (``get clusters``) must tell a root from its children, which
carry the same tags. Here:

- a nested stack gets ``ParentId``, ``RootId`` and its parent's tags when it is created;
- an executed change set with tags sets them on the stack and on every stack nested in
  it (a CREATE change set made for a stack a discarded one left REVIEW_IN_PROGRESS
  included; an UPDATE change set without tags keeps them: ``scale`` sends none; moto
  cannot tell "no tags given" from an empty list, so an empty list does not clear them);
- a stack that was updated has ``LastUpdatedTime``.

The tags are not copied to the resources inside the stacks (moto gives them none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack, cloudformation_backends
from moto.core.utils import utcnow

_installed = False


def _nested_create(original: Callable[..., Stack]) -> Any:
    def create_from_cloudformation_json(cls: type[Stack], resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Stack:
        child = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        parent = cloudformation_backends[account_id][region_name].stacks.get(str(kwargs.get("StackId") or ""))
        if parent is not None:
            child.parent_id = parent.stack_id  # type: ignore[attr-defined]
            child.root_id = getattr(parent, "root_id", None) or parent.stack_id  # type: ignore[attr-defined]
            child.tags = dict(parent.tags or {})
        return child

    return classmethod(create_from_cloudformation_json)


def _stack_update(original: Callable[..., None]) -> Callable[..., None]:
    def update(self: Stack, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.status == "UPDATE_COMPLETE":
            self.last_updated_time = utcnow()  # type: ignore[attr-defined]

    return update


def _execute_change_set(original: Callable[..., None]) -> Callable[..., None]:
    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.change_sets.get(change_set_name) or next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
        original(self, change_set_name, stack_name)
        if change_set is None:
            return
        stack = self.stacks.get(change_set.stack_id)
        if stack is None or stack.status != f"{change_set.change_set_type}_COMPLETE":
            return  # rolled back: the old tags stay
        if change_set.change_set_type == "UPDATE":
            stack.last_updated_time = utcnow()  # type: ignore[attr-defined]
        if change_set.tags:
            stack.tags = dict(change_set.tags)
            for nested in self.stacks.values():
                if getattr(nested, "root_id", None) == stack.stack_id:
                    nested.tags = dict(change_set.tags)

    return execute_change_set


def install() -> None:
    """Install once, after :mod:`.rollback` (whose ExecuteChangeSet this wraps)."""
    global _installed
    if _installed:
        return
    _installed = True
    Stack.create_from_cloudformation_json = _nested_create(  # type: ignore[method-assign]
        Stack.create_from_cloudformation_json)
    Stack.update = _stack_update(Stack.update)  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = _execute_change_set(  # type: ignore[method-assign]
        CloudFormationBackend.execute_change_set)
