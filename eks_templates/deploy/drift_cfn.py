"""CloudFormation's own drift detection, on the root and on every nested stack.

``DetectStackDrift`` does not descend into nested stacks (CloudFormation API reference,
DetectStackDrift: "CloudFormation doesn't detect drift on any nested stacks belonging to
that stack. Perform DetectStackDrift directly on the nested stack itself"), so each stack
of the tree gets its own detection. Detections are asynchronous: up to
:data:`DETECTION_WINDOW` run at once (each stack's detection reads every resource of it
through the services' APIs; the window keeps a 200-nodegroup cluster from asking
CloudFormation for 200 concurrent detections, and botocore's adaptive retries absorb
throttling), each polled with ``DescribeStackDriftDetectionStatus`` on a doubling delay
up to a bound. Then ``DescribeStackResourceDrifts`` (paginated) gives the resources
that are ``MODIFIED`` or ``DELETED``.

A stack whose operation is running cannot be checked (CloudFormation refuses drift
detection on a stack in an ``*_IN_PROGRESS`` state): it is reported as not checked, with
its status. A detection that ends ``DETECTION_FAILED`` is reported with CloudFormation's
reason; the results it has for the other resources are read all the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eks_templates.deploy import policy
from eks_templates.deploy.paging import items
from eks_templates.deploy.params import live_parameters, template_dict
from eks_templates.deploy.stack_state import in_progress
from eks_templates.deploy.ui import Timing

#: detections running at once
DETECTION_WINDOW = 10
#: a detection still running after this many seconds is reported as not finished
DETECTION_TIMEOUT = 15 * 60
#: the resource drift states that are drift (NOT_CHECKED is never returned, UNKNOWN is a
#: resource CloudFormation could not read: not drift, and not claimed to be in sync)
DRIFTED_STATES = ("MODIFIED", "DELETED")


@dataclass
class StackInfo:
    """One deployed stack as drift needs it: what the templates declare and where."""

    label: str
    stack_id: str
    name: str
    status: str
    parameters: dict[str, str]
    template: dict[str, Any]
    #: logical ID -> ListStackResources summary
    resources: dict[str, dict[str, Any]]
    detection_id: str | None = None
    #: DETECTION_COMPLETE | DETECTION_FAILED | DETECTION_IN_PROGRESS (timed out) | NOT_CHECKED
    detection_status: str = ""
    detection_reason: str = ""
    #: the stack's StackDriftStatus after detection: IN_SYNC | DRIFTED | UNKNOWN
    drift_status: str = ""
    #: DescribeStackResourceDrifts entries that are drift (DRIFTED_STATES)
    drifts: list[dict[str, Any]] = field(default_factory=list)

    def physical(self, logical: str) -> str | None:
        summary = self.resources.get(logical)
        value = summary.get("PhysicalResourceId") if summary else None
        return str(value) if value else None

    def resource_type(self, logical: str) -> str:
        spec = (self.template.get("Resources") or {}).get(logical) or {}
        return str(spec.get("Type") or (self.resources.get(logical) or {}).get("ResourceType") or "")

    @property
    def checked(self) -> bool:
        return self.detection_status in ("DETECTION_COMPLETE", "DETECTION_FAILED")


def read_tree(cfn: Any, root: str, name: str) -> list[StackInfo]:
    """The root (ID ``root``, labelled ``name``) and every nested stack: status,
    parameters, deployed template, resources."""
    from eks_templates.deploy.stack_state import describe_stack

    infos = []
    for node in policy.walk_stacks(cfn, root, label=name):
        described = describe_stack(cfn, node.stack_id) or {}
        body = cfn.get_template(StackName=node.stack_id, TemplateStage="Original").get("TemplateBody")
        resources = {str(r["LogicalResourceId"]): dict(r) for r in node.resources if r.get("LogicalResourceId")}
        infos.append(StackInfo(
            label=node.label, stack_id=str(described.get("StackId") or node.stack_id),
            name=str(described.get("StackName") or node.stack_id), status=str(described.get("StackStatus", "")),
            parameters=live_parameters(described), template=template_dict(body) or {}, resources=resources,
        ))
    return infos


def _error(exc: Any) -> tuple[str, str]:
    error = (getattr(exc, "response", None) or {}).get("Error") or {}
    return str(error.get("Code", "")), " ".join(str(error.get("Message", "")).split())


def _start(cfn: Any, info: StackInfo) -> bool:
    from botocore.exceptions import ClientError

    from eks_templates.deploy import aws_errors

    if in_progress(info.status):
        info.detection_status = "NOT_CHECKED"
        info.detection_reason = (f"{info.status}: CloudFormation does not detect drift while an operation runs "
                                 "on the stack; run drift again when it has settled")
        return False
    try:
        info.detection_id = str(cfn.detect_stack_drift(StackName=info.stack_id)["StackDriftDetectionId"])
    except ClientError as exc:
        if aws_errors.known(exc) is not None:
            raise
        code, message = _error(exc)
        if code != "ValidationError":
            raise
        info.detection_status = "NOT_CHECKED"
        info.detection_reason = message or code
        return False
    return True


def detect(cfn: Any, stacks: list[StackInfo], timing: Timing, *, window: int = DETECTION_WINDOW,
           timeout: float = DETECTION_TIMEOUT) -> None:
    """Run DetectStackDrift on every stack (at most ``window`` at once), wait for each,
    and read the drifted resources of every stack whose detection ended."""
    queue = list(stacks)
    running: dict[str, StackInfo] = {}
    started = timing.clock()
    first = min(1.0, max(timing.poll, 0.0))
    cap = max(timing.poll, 0.0) * 3
    delay = first
    while queue or running:
        while queue and len(running) < window:
            info = queue.pop(0)
            if _start(cfn, info):
                assert info.detection_id is not None
                running[info.detection_id] = info
        if not running:
            break
        timing.sleep(delay)
        delay = min(max(delay * 2, first), cap) if cap else 0.0
        for detection_id, info in list(running.items()):
            status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection_id)
            if status.get("DetectionStatus") == "DETECTION_IN_PROGRESS":
                continue
            info.detection_status = str(status.get("DetectionStatus", ""))
            info.detection_reason = " ".join(str(status.get("DetectionStatusReason", "")).split())
            info.drift_status = str(status.get("StackDriftStatus", ""))
            del running[detection_id]
        if running and timing.clock() - started > timeout:
            for info in running.values():
                info.detection_status = "DETECTION_IN_PROGRESS"
                info.detection_reason = (f"still running after {int(timeout)} s; see "
                                         f"`aws cloudformation describe-stack-drift-detection-status "
                                         f"--stack-drift-detection-id {info.detection_id}`")
            for info in queue:
                info.detection_status = "NOT_CHECKED"
                info.detection_reason = "not started: the detections before it did not finish in time"
            break
    for info in stacks:
        if info.checked:
            info.drifts = [dict(d) for d in items(cfn.describe_stack_resource_drifts, "StackResourceDrifts",
                                                  StackName=info.stack_id,
                                                  StackResourceDriftStatusFilters=list(DRIFTED_STATES))]
