"""Drive CloudFormation the way eks-templates' deploy does: through change sets."""

from __future__ import annotations

import itertools
import json
from typing import Any

_counter = itertools.count(1)


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
