"""Drive CloudFormation the way eks-templates' deploy does: through change sets."""

from __future__ import annotations

import itertools
import json
from typing import Any

_counter = itertools.count(1)
#: where a create or update ends when it did what it was asked
SUCCEEDED = ("CREATE_COMPLETE", "UPDATE_COMPLETE")


class StackFailed(Exception):
    """The operation failed and the sandbox rolled it back, as CloudFormation does:
    ``status`` is where the stack ended, the message lists the failed resources' reasons."""

    def __init__(self, stack: str, status: str, reasons: list[str]) -> None:
        super().__init__(f"{stack} {status}: " + " | ".join(reasons))
        self.status = status
        self.reasons = reasons


def failed_events(cf: Any, stack: str) -> list[dict[str, Any]]:
    """The ``*_FAILED`` events of ``stack`` and (recursively) its nested stacks, oldest first."""
    found = []
    for event in reversed(cf.describe_stack_events(StackName=stack)["StackEvents"]):
        if str(event["ResourceStatus"]).endswith("_FAILED"):
            found.append(event)
            child = str(event.get("PhysicalResourceId") or "")
            if event["ResourceType"] == "AWS::CloudFormation::Stack" and child.startswith("arn:") \
                    and child != event["StackId"]:
                found += failed_events(cf, child)
    return found


def check(cf: Any, stack: str) -> None:
    """Raise :class:`StackFailed` unless the last operation on ``stack`` succeeded."""
    status = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
    if status not in SUCCEEDED:
        raise StackFailed(stack, status, [str(e.get("ResourceStatusReason") or "") for e in failed_events(cf, stack)])


def create(cf: Any, stack: str, template: dict[str, Any]) -> None:
    """``CreateStack`` (no change set), then :func:`check`."""
    cf.create_stack(StackName=stack, TemplateBody=json.dumps(template),
                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    check(cf, stack)


def deploy(cf: Any, stack: str, template: dict[str, Any], parameters: dict[str, str] | None = None) -> str:
    """Create or update ``stack`` via a change set; returns the change set's type."""
    try:
        status = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        change_set_type = "CREATE" if status == "REVIEW_IN_PROGRESS" else "UPDATE"
    except cf.exceptions.ClientError:
        change_set_type = "CREATE"
    name = f"cs-{next(_counter)}"
    cf.create_change_set(
        StackName=stack,
        ChangeSetName=name,
        ChangeSetType=change_set_type,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in (parameters or {}).items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    cf.execute_change_set(StackName=stack, ChangeSetName=name)
    check(cf, stack)
    return change_set_type


def outputs(cf: Any, stack: str) -> dict[str, str]:
    described = cf.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs") or []}


def physical_ids(cf: Any, stack: str) -> dict[str, str]:
    resources = cf.describe_stack_resources(StackName=stack)["StackResources"]
    # moto gives some types (SecurityGroupIngress) no PhysicalResourceId at all.
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources}


def live_stacks(cf: Any) -> list[str]:
    return sorted(s["StackName"] for s in cf.describe_stacks()["Stacks"])
