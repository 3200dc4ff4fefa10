"""deploy and plan mention the drift the last `drift` run found, when it is newer than
the last deploy: from the root's DriftInformation (the DescribeStacks deploy makes
anyway) and, only then, one ListStacks for the nested stacks' outcomes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from eks_templates.deploy.drift_status import LIVE_STATUSES, mention
from eks_templates.deploy.flow import Options

from .fakes import BASE, STACK, STACK_ID, Stubs, child_id, make_ui, output, stacks
from .test_flow import deployed_root, live_stack, run, unchanged_finished

NODES = child_id("NodegroupNgStack")


def _root(checked: dt.datetime | None, status: str = "IN_SYNC") -> dict[str, Any]:
    body = live_stack()
    body["LastUpdatedTime"] = BASE + dt.timedelta(hours=1)
    body["DriftInformation"] = {"StackDriftStatus": status if checked else "NOT_CHECKED"}
    if checked:
        body["DriftInformation"]["LastCheckTimestamp"] = checked
    return body


def _summaries(drifted: str = "DRIFTED", checked: dt.datetime | None = None) -> dict[str, Any]:
    checked = checked or BASE + dt.timedelta(hours=2)
    return {"StackSummaries": [
        {"StackId": STACK_ID, "StackName": STACK, "CreationTime": BASE, "StackStatus": "UPDATE_COMPLETE",
         "DriftInformation": {"StackDriftStatus": "IN_SYNC", "LastCheckTimestamp": checked}},
        {"StackId": NODES, "StackName": NODES.split("/")[1], "CreationTime": BASE, "StackStatus": "UPDATE_COMPLETE",
         "ParentId": STACK_ID, "RootId": STACK_ID,
         "DriftInformation": {"StackDriftStatus": drifted, "LastCheckTimestamp": checked}},
        {"StackId": "arn:aws:cloudformation:ap-northeast-2:123456789012:stack/other/1", "StackName": "other",
         "CreationTime": BASE, "StackStatus": "CREATE_COMPLETE",
         "DriftInformation": {"StackDriftStatus": "DRIFTED", "LastCheckTimestamp": checked}},
    ]}


def _deployed(stubs: Stubs, root: dict[str, Any]) -> None:
    stubs.cfn.add_response("describe_stacks", stacks(root), {"StackName": STACK})
    stubs.cfn.add_response("get_template", {"TemplateBody": json.dumps(deployed_root())},
                           {"StackName": STACK, "TemplateStage": "Original"})


@pytest.mark.parametrize("plan_only", [False, True])
def test_deploy_and_plan_mention_drift_found_after_the_last_deploy(plan_only: bool) -> None:
    stubs = Stubs("cloudformation", "s3")
    root = _root(BASE + dt.timedelta(hours=2))
    stubs.cfn.add_response("describe_stacks", stacks(root), {"StackName": STACK})
    stubs.cfn.add_response("list_stacks", _summaries(), {"StackStatusFilter": LIVE_STATUSES})
    stubs.cfn.add_response("get_template", {"TemplateBody": json.dumps(deployed_root())},
                           {"StackName": STACK, "TemplateStage": "Original"})
    if not plan_only:
        unchanged_finished(stubs)
    ui = make_ui()
    assert run(stubs, Options(yes=True, stack_arg="stacks/myeks.yaml"), ui=ui, plan_only=plan_only) == 0
    stubs.verify()
    out = output(ui)
    assert ("Drift: the last drift check (2026-01-01 14:00 UTC, after the last deploy) found resources changed "
            f"outside CloudFormation in 1 stack(s): {NODES.split('/')[1]}.") in out
    assert "see `python -m eks_templates drift stacks/myeks.yaml`" in out
    assert out.index("Drift:") < out.index("No changes")


def test_a_check_older_than_the_deploy_costs_no_call_and_says_nothing() -> None:
    stubs = Stubs("cloudformation", "s3")
    _deployed(stubs, _root(BASE + dt.timedelta(minutes=30)))
    unchanged_finished(stubs)
    ui = make_ui()
    assert run(stubs, Options(yes=True), ui=ui) == 0
    stubs.verify()  # no ListStacks
    assert "Drift" not in output(ui)


def test_never_checked_costs_no_call() -> None:
    stubs = Stubs()
    assert mention(stubs.aws.client("cloudformation"), _root(None), STACK) == []
    stubs.verify()


def test_a_check_that_found_nothing_says_nothing() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("list_stacks", _summaries(drifted="IN_SYNC"))
    assert mention(stubs.aws.client("cloudformation"), _root(BASE + dt.timedelta(hours=2)), STACK) == []
    stubs.verify()


def test_root_drift_alone_is_mentioned() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("list_stacks", _summaries(drifted="IN_SYNC"))
    lines = mention(stubs.aws.client("cloudformation"), _root(BASE + dt.timedelta(hours=2), "DRIFTED"), STACK)
    assert lines and lines[0].endswith("in 1 stack(s): myeks.")
