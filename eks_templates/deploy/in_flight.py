"""One run at a time per stack: change sets in flight.

Two deploys of one stack started a second apart would both find it absent (or
REVIEW_IN_PROGRESS), both make a CREATE change set, and both execute: a second set of
nested stacks, a second VPC. So a run looks at the stack's change sets twice:

1. before it makes its own (:func:`refuse_if_busy`, called when the stack's state is
   settled): a change set being computed (CREATE_PENDING, CREATE_IN_PROGRESS) or being
   executed (EXECUTE_IN_PROGRESS), or one of ours (``eks-templates-...``) that is
   AVAILABLE - another deploy, plan or scale waiting at its prompt, or one kept with
   ``--no-execute`` - is refused, naming it and how to discard it;
2. right after making its own (:func:`refuse_if_not_first`): two runs that both passed
   (1) see each other's change sets, and the one whose change set is the newer backs off
   (deleting only its own change set). The older goes on, so exactly one executes.

A stack operation in progress (``*_IN_PROGRESS``) is handled by ``flow.settle``: it is
watched to its end (or refused with ``--no-wait``) before this check runs.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from eks_templates.deploy.changeset import ChangeSetRef
from eks_templates.deploy.paging import items
from eks_templates.errors import UserError

#: change sets this package makes are named eks-templates-<UTC time> (changeset.change_set_name)
OURS = "eks-templates-"
BEING_MADE = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})


def change_sets(cfn: Any, stack_id: str) -> list[dict[str, Any]]:
    """The stack's change sets (ListChangeSets, every page)."""
    found = []
    for summary in items(cfn.list_change_sets, "Summaries", StackName=stack_id):
        if summary.get("StackId") in (None, stack_id):
            found.append(dict(summary))
    return found


def in_flight(summary: dict[str, Any]) -> bool:
    status = str(summary.get("Status", ""))
    execution = str(summary.get("ExecutionStatus", ""))
    if status in BEING_MADE or execution == "EXECUTE_IN_PROGRESS":
        return True
    return str(summary.get("ChangeSetName", "")).startswith(OURS) and status == "CREATE_COMPLETE" \
        and execution == "AVAILABLE"


def _describe(summary: dict[str, Any]) -> str:
    created = summary.get("CreationTime")
    when = f", created {created:%Y-%m-%d %H:%M:%S} UTC" if isinstance(created, _dt.datetime) else ""
    return (f"  {summary.get('ChangeSetName')} ({summary.get('Status')}, {summary.get('ExecutionStatus')}{when}); "
            f"discard it: aws cloudformation delete-change-set --change-set-name {summary.get('ChangeSetId')}")


def _refusal(name: str, busy: list[dict[str, Any]]) -> UserError:
    first = (f"stack {name} has {len(busy)} change set(s) in flight: another deploy, plan or scale is running on it "
             "(or kept one with --no-execute); nothing was changed. Run again when it is done, or discard:")
    return UserError(first, messages=[first, *[_describe(s) for s in busy]])


def refuse_if_busy(cfn: Any, stack_id: str, name: str) -> None:
    """Refuse (UserError) when another run's change set is in flight on the stack."""
    busy = [s for s in change_sets(cfn, stack_id) if in_flight(s)]
    if busy:
        raise _refusal(name, busy)


def _order(summary: dict[str, Any]) -> tuple[Any, str]:
    created = summary.get("CreationTime")
    stamp = created if isinstance(created, _dt.datetime) else _dt.datetime.max.replace(tzinfo=_dt.UTC)
    return stamp, str(summary.get("ChangeSetId", ""))


def refuse_if_not_first(cfn: Any, ref: ChangeSetRef) -> None:
    """After making ``ref``: refuse (UserError) when another run's change set in flight
    on the stack is older than ours; the caller deletes ours."""
    listed = change_sets(cfn, ref.stack_id)
    mine = next((s for s in listed if s.get("ChangeSetId") == ref.arn), None)
    if mine is None:
        return  # not listed (yet): nothing to compare with
    older = [s for s in listed if s is not mine and in_flight(s) and _order(s) < _order(mine)]
    if older:
        raise _refusal(ref.stack_name, older)
