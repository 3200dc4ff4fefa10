"""Change sets: create, wait, describe (paginated, recursing into nested change
sets), recognise "no changes" in both of its forms, delete.

"No changes" comes back two ways: AWS marks the change set FAILED with a
StatusReason saying it "didn't contain changes"; moto (and UpdateStack) raise
``ValidationError: No updates are to be performed.`` from the create call. Both
are reported as :class:`NoChanges`, and the empty change set is deleted.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from eks_templates.deploy import aws_errors
from eks_templates.deploy.paging import pages
from eks_templates.deploy.params import ParamChoice
from eks_templates.deploy.ui import Timing
from eks_templates.errors import DeployFailed

CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")
NO_CHANGE_MARKERS = ("didn't contain changes", "No updates are to be performed")
STACK_TYPE = "AWS::CloudFormation::Stack"


class NoChanges(Exception):
    """The change set would change nothing (already deleted when this is raised)."""


@dataclass(frozen=True)
class ChangeSetRef:
    arn: str
    name: str
    stack_id: str
    stack_name: str
    change_set_type: str


@dataclass
class ChangeSetView:
    """One (possibly nested) change set, fully paginated."""

    #: where it is: the root stack's name, or ``root/ChildLogicalId[/...]``
    label: str
    arn: str
    stack_name: str
    status: str = ""
    status_reason: str = ""
    execution_status: str = ""
    #: each change's ``ResourceChange``, in CloudFormation's order
    changes: list[dict[str, Any]] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)
    nested: list[ChangeSetView] = field(default_factory=list)

    def walk(self) -> Iterator[ChangeSetView]:
        yield self
        for child in self.nested:
            yield from child.walk()


def is_no_change(reason: str) -> bool:
    return any(marker in reason for marker in NO_CHANGE_MARKERS)


def change_set_name(now: _dt.datetime) -> str:
    return f"eks-templates-{now.astimezone(_dt.UTC):%Y%m%d-%H%M%S}"


def _error(exc: Any) -> tuple[str, str]:
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", ""))


def create(
    cfn: Any,
    *,
    stack_name: str,
    name: str,
    change_set_type: str,
    parameters: Sequence[ParamChoice],
    template_args: dict[str, Any],
    tags: Sequence[dict[str, str]] | None = None,
    description: str = "",
    deployment_mode: str | None = None,
) -> ChangeSetRef:
    """create_change_set with nested stacks and every capability our templates need.

    ``template_args`` is ``{"TemplateBody": ...}``, ``{"TemplateURL": ...}`` or
    ``{"UsePreviousTemplate": True}``. Raises :class:`NoChanges` for moto's form of it.
    """
    from botocore.exceptions import ClientError

    args: dict[str, Any] = {
        "StackName": stack_name,
        "ChangeSetName": name,
        "ChangeSetType": change_set_type,
        "Parameters": [p.api() for p in parameters],
        "Capabilities": list(CAPABILITIES),
        "IncludeNestedStacks": True,
        # idempotent under botocore's retries: a retried call cannot make a second change set
        "ClientToken": name,
        **template_args,
    }
    if tags is not None:
        args["Tags"] = list(tags)
    if description:
        args["Description"] = description[:1024]
    if deployment_mode:  # REVERT_DRIFT: a drift-aware change set (drift --revert)
        args["DeploymentMode"] = deployment_mode
    try:
        response = cfn.create_change_set(**args)
    except ClientError as exc:
        code, message = _error(exc)
        if code == "ValidationError" and is_no_change(message):
            raise NoChanges(message) from None
        known = aws_errors.known(exc)
        if known is not None:
            raise known from None
        raise DeployFailed(f"CloudFormation refused the change set for {stack_name}: {message or exc}") from None
    return ChangeSetRef(str(response["Id"]), name, str(response["StackId"]), stack_name, change_set_type)


def wait(cfn: Any, ref: ChangeSetRef, timing: Timing) -> dict[str, Any]:
    """Poll until the change set is computed. Raises :class:`NoChanges` (after deleting
    it) or :class:`DeployFailed` with CloudFormation's reason."""
    started = timing.clock()
    while True:
        described = cfn.describe_change_set(ChangeSetName=ref.arn)
        status = str(described.get("Status", ""))
        execution = str(described.get("ExecutionStatus", ""))
        if status == "CREATE_COMPLETE" and execution in ("", "AVAILABLE"):
            return dict(described)
        if status == "FAILED":
            reason = str(described.get("StatusReason", ""))
            if is_no_change(reason):
                delete(cfn, ref)
                raise NoChanges(reason)
            raise DeployFailed(f"change set {ref.name} of {ref.stack_name} failed: {reason or 'no reason given'}")
        if status.startswith("DELETE"):
            raise DeployFailed(f"change set {ref.name} of {ref.stack_name} was deleted while being created")
        if status == "CREATE_COMPLETE" and execution not in ("UNAVAILABLE", ""):
            raise DeployFailed(f"change set {ref.name} of {ref.stack_name} cannot be executed: {execution}")
        if timing.clock() - started > timing.change_set_timeout:
            raise DeployFailed(
                f"change set {ref.name} of {ref.stack_name} was still {status} after "
                f"{int(timing.change_set_timeout)} s; it is left for you to inspect: {ref.arn}"
            )
        timing.sleep(timing.poll)


def describe(cfn: Any, arn: str, label: str, *, _depth: int = 0) -> ChangeSetView:
    """The change set with every page of changes, and each nested stack's change set
    (``ChangeSetId`` on an ``AWS::CloudFormation::Stack`` change) described likewise."""
    view: ChangeSetView | None = None
    for page in pages(cfn.describe_change_set, ChangeSetName=arn):
        if view is None:
            view = ChangeSetView(
                label=label,
                arn=arn,
                stack_name=str(page.get("StackName", "")),
                status=str(page.get("Status", "")),
                status_reason=str(page.get("StatusReason", "")),
                execution_status=str(page.get("ExecutionStatus", "")),
                parameters=list(page.get("Parameters") or []),
            )
        for change in page.get("Changes") or []:
            resource = change.get("ResourceChange")
            if resource:
                view.changes.append(dict(resource))
    assert view is not None  # _pages yields at least once
    if _depth < 5:  # CloudFormation nests at most a few levels; this guards a cycle
        for resource in view.changes:
            nested_arn = resource.get("ChangeSetId")
            if resource.get("ResourceType") == STACK_TYPE and nested_arn and nested_arn != arn:
                view.nested.append(describe(cfn, str(nested_arn), f"{label}/{resource['LogicalResourceId']}",
                                            _depth=_depth + 1))
    return view


def delete(cfn: Any, ref: ChangeSetRef) -> None:
    """Delete the change set (its nested change sets go with it); a change set that
    is already gone is fine."""
    from botocore.exceptions import ClientError

    try:
        cfn.delete_change_set(ChangeSetName=ref.arn)
    except ClientError as exc:
        code, message = _error(exc)
        if code in ("ChangeSetNotFound", "ChangeSetNotFoundException") or "does not exist" in message:
            return
        raise
