"""What ``deploy`` and ``plan`` say about the last ``drift`` run of the stack.

Read from CloudFormation's own drift status, not from a local file: ``drift`` runs
DetectStackDrift on the root and on every nested stack, and CloudFormation keeps each
stack's outcome in its ``DriftInformation`` (``StackDriftStatus``, ``LastCheckTimestamp``).

- The root's ``DriftInformation`` comes with the DescribeStacks that ``deploy`` makes
  anyway: no call when no drift check is newer than the last deploy (the root's
  ``LastUpdatedTime``, else ``CreationTime``).
- Only when one is: one ListStacks pass (its summaries carry each stack's
  ``DriftInformation``, ``RootId`` and ``ParentId``) for the nested stacks' outcomes. Its
  pages follow the number of stacks in the account and region, not DescribeStacks per
  nested stack.

What this cannot cover: a security-group rule added by hand to a group whose rules are
separate resources is not drift to CloudFormation (it compares only properties the
template sets), so no stack's status says DRIFTED for it; only ``drift`` itself, which
reads the live rules, finds it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from eks_templates import program
from eks_templates.deploy.paging import items

#: every stack status but DELETE_COMPLETE (ListStacks lists deleted stacks for 90 days)
LIVE_STATUSES = [
    "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_FAILED", "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE",
    "REVIEW_IN_PROGRESS", "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
]


def _time(value: Any) -> _dt.datetime | None:
    if isinstance(value, _dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)
    if isinstance(value, str) and value:
        try:
            parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.UTC)
    return None


def _checked_since(info: Mapping[str, Any] | None, deployed: _dt.datetime) -> bool:
    checked = _time((info or {}).get("LastCheckTimestamp"))
    return checked is not None and checked > deployed


def mention(cfn: Any, root: Mapping[str, Any], stack_arg: str) -> list[str]:
    """The lines to print before the plan, or none (no drift check since the last
    deploy, or the last one found nothing)."""
    deployed = _time(root.get("LastUpdatedTime")) or _time(root.get("CreationTime"))
    info = root.get("DriftInformation") or {}
    if deployed is None or not _checked_since(info, deployed):
        return []
    root_id = str(root.get("StackId", ""))
    drifted = [str(root.get("StackName", ""))] if info.get("StackDriftStatus") == "DRIFTED" else []
    for summary in items(cfn.list_stacks, "StackSummaries", StackStatusFilter=LIVE_STATUSES):
        nested = summary.get("DriftInformation") or {}
        if summary.get("RootId") == root_id and summary.get("StackId") != root_id and \
                nested.get("StackDriftStatus") == "DRIFTED" and _checked_since(nested, deployed):
            drifted.append(str(summary.get("StackName", "")))
    if not drifted:
        return []
    when = _time(info.get("LastCheckTimestamp"))
    stamp = f"{when:%Y-%m-%d %H:%M} UTC" if when else "after the last deploy"
    return [
        f"Drift: the last drift check ({stamp}, after the last deploy) found resources changed outside "
        f"CloudFormation in {len(drifted)} stack(s): {', '.join(sorted(drifted))}.",
        "  A change set rewrites only what the templates change, so this one leaves that drift as it is; "
        f"see `{program.command('drift', stack_arg)}` (undo with --revert, or adopt it in the stack file).",
    ]
