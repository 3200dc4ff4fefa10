"""drift: CloudFormation's detection on every nested stack (Stubber, AWS-shaped answers),
the live security-group rules and the cluster/nodegroup settings against the deployed
templates, the merge of both, --json, exit codes, and --revert's change set."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eks_templates.deploy import drift
from eks_templates.deploy.drift_model import Difference, Finding
from eks_templates.deploy.flow import Options
from eks_templates.errors import UserError
from tests.support import run_cli

from .fakes import BASE, STACK, STACK_ID, STACK_TYPE, FakeClock, Stubs, child_id, make_ui, not_found, output, stack

CHILD = child_id("NodegroupNgStack")
GROUP, SHARED, RULE = "sg-0aaaaaaaaaaaaaaa1", "sg-0bbbbbbbbbbbbbbb2", "sgr-0ccccccccccccccc3"


def _resources(*rows: tuple[str, str, str]) -> dict[str, Any]:
    return {"StackResourceSummaries": [
        {"LogicalResourceId": logical, "PhysicalResourceId": physical, "ResourceType": kind,
         "ResourceStatus": "CREATE_COMPLETE", "LastUpdatedTimestamp": BASE} for logical, physical, kind in rows]}


ROOT_TEMPLATE = {"Resources": {"NodegroupNgStack": {"Type": STACK_TYPE, "Properties": {"TemplateURL": "x"}}}}
CHILD_TEMPLATE = {
    "Parameters": {"ClusterSharedNodeSecurityGroupId": {"Type": "String"}},
    "Resources": {
        "SSH": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "ssh", "VpcId": "vpc-1"}},
        "SSHIngressShared": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "SSH"}, "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "SourceSecurityGroupId": {"Ref": "ClusterSharedNodeSecurityGroupId"}}},
    },
}


def _tree(stubs: Stubs, *, child_status: str = "UPDATE_COMPLETE", child_template: dict[str, Any] | None = None,
          root_status: str = "UPDATE_COMPLETE") -> None:
    cfn = stubs.cfn
    cfn.add_response("describe_stacks", {"Stacks": [stack(root_status)]}, {"StackName": STACK})
    cfn.add_response("list_stack_resources", _resources(("NodegroupNgStack", CHILD, STACK_TYPE)),
                     {"StackName": STACK_ID})
    cfn.add_response("list_stack_resources", _resources(("SSH", GROUP, "AWS::EC2::SecurityGroup"),
                                                        ("SSHIngressShared", RULE, "AWS::EC2::SecurityGroupIngress")),
                     {"StackName": CHILD})
    cfn.add_response("describe_stacks", {"Stacks": [stack(root_status)]}, {"StackName": STACK_ID})
    cfn.add_response("get_template", {"TemplateBody": json.dumps(ROOT_TEMPLATE)},
                     {"StackName": STACK_ID, "TemplateStage": "Original"})
    cfn.add_response("describe_stacks", {"Stacks": [stack(child_status, stack_id=CHILD, name=CHILD.split("/")[1],
                                                          params={"ClusterSharedNodeSecurityGroupId": SHARED})]},
                     {"StackName": CHILD})
    cfn.add_response("get_template", {"TemplateBody": json.dumps(child_template or CHILD_TEMPLATE)},
                     {"StackName": CHILD, "TemplateStage": "Original"})


def _status(detection: str, status: str, drift_status: str | None = None, reason: str | None = None,
            stack_id: str = STACK_ID) -> dict[str, Any]:
    body: dict[str, Any] = {"StackId": stack_id, "StackDriftDetectionId": detection, "DetectionStatus": status,
                            "Timestamp": BASE}
    if drift_status:
        body["StackDriftStatus"] = drift_status
    if reason:
        body["DetectionStatusReason"] = reason
    return body


def _drift(logical: str, kind: str, status: str, *differences: tuple[str, str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {"StackId": CHILD, "LogicalResourceId": logical, "PhysicalResourceId": "p-1",
                            "ResourceType": kind, "StackResourceDriftStatus": status, "Timestamp": BASE}
    if differences:
        body["PropertyDifferences"] = [{"PropertyPath": p, "ExpectedValue": e, "ActualValue": a,
                                        "DifferenceType": "NOT_EQUAL"} for p, e, a in differences]
    return body


def _live_rules(stubs: Stubs, *extra: dict[str, Any]) -> None:
    rules = [
        {"SecurityGroupRuleId": RULE, "GroupId": GROUP, "IsEgress": False, "IpProtocol": "tcp", "FromPort": 22,
         "ToPort": 22, "ReferencedGroupInfo": {"GroupId": SHARED}},
        {"SecurityGroupRuleId": "sgr-0ddddddddddddddd4", "GroupId": GROUP, "IsEgress": True, "IpProtocol": "-1",
         "FromPort": -1, "ToPort": -1, "CidrIpv4": "0.0.0.0/0"},  # EC2's default egress: no template says it
        *extra,
    ]
    stubs["ec2"].add_response("describe_security_group_rules", {"SecurityGroupRules": rules},
                              {"Filters": [{"Name": "group-id", "Values": [GROUP]}]})


def _both_in_sync(stubs: Stubs) -> None:
    """Both stacks' detections end DETECTION_COMPLETE / IN_SYNC with no drifted resource."""
    cfn = stubs.cfn
    for det, sid in (("d-root", STACK_ID), ("d-child", CHILD)):
        cfn.add_response("detect_stack_drift", {"StackDriftDetectionId": det}, {"StackName": sid})
    for det in ("d-root", "d-child"):
        cfn.add_response("describe_stack_drift_detection_status", _status(det, "DETECTION_COMPLETE", "IN_SYNC"))
    for _ in range(2):
        cfn.add_response("describe_stack_resource_drifts", {"StackResourceDrifts": []})


def _run(stubs: Stubs, clock: FakeClock | None = None) -> drift.Report:
    ctx = stubs.context(clock=clock)
    return drift.run(stubs.aws, STACK, ctx.timing, stack_arg=STACK, nodegroups=("ng",))


def test_detects_on_root_and_nested_stack_waits_with_backoff_and_reads_every_page() -> None:
    stubs = Stubs("cloudformation", "ec2", "eks")
    _tree(stubs)
    cfn = stubs.cfn
    cfn.add_response("detect_stack_drift", {"StackDriftDetectionId": "d-root"}, {"StackName": STACK_ID})
    cfn.add_response("detect_stack_drift", {"StackDriftDetectionId": "d-child"}, {"StackName": CHILD})
    cfn.add_response("describe_stack_drift_detection_status", _status("d-root", "DETECTION_COMPLETE", "IN_SYNC"),
                     {"StackDriftDetectionId": "d-root"})
    cfn.add_response("describe_stack_drift_detection_status", _status("d-child", "DETECTION_IN_PROGRESS"),
                     {"StackDriftDetectionId": "d-child"})
    cfn.add_response("describe_stack_drift_detection_status",
                     _status("d-child", "DETECTION_COMPLETE", "DRIFTED", stack_id=CHILD),
                     {"StackDriftDetectionId": "d-child"})
    filters = ["MODIFIED", "DELETED"]
    cfn.add_response("describe_stack_resource_drifts", {"StackResourceDrifts": []},
                     {"StackName": STACK_ID, "StackResourceDriftStatusFilters": filters})
    cfn.add_response("describe_stack_resource_drifts", {"StackResourceDrifts": [
        _drift("SSH", "AWS::EC2::SecurityGroup", "MODIFIED", ("/GroupDescription", "ssh", "changed"))],
        "NextToken": "page-2"}, {"StackName": CHILD, "StackResourceDriftStatusFilters": filters})
    cfn.add_response("describe_stack_resource_drifts", {"StackResourceDrifts": [
        _drift("SSHIngressShared", "AWS::EC2::SecurityGroupIngress", "DELETED")]},
        {"StackName": CHILD, "StackResourceDriftStatusFilters": filters, "NextToken": "page-2"})
    _live_rules(stubs)
    clock = FakeClock()
    report = _run(stubs, clock)
    stubs.verify()
    assert clock.slept == [1.0, 2.0]  # bounded doubling between polls
    assert [(f.stack, f.logical_id, f.status) for f in report.findings] == [
        ("myeks/NodegroupNgStack", "SSH", "MODIFIED"), ("myeks/NodegroupNgStack", "SSHIngressShared", "DELETED")]
    text = drift.format_report(report)
    assert "myeks\n    (in sync)\nmyeks/NodegroupNgStack\n  ~ MODIFIED   SSH" in text
    assert "      /GroupDescription: expected ssh, actual changed" in text
    assert "  - DELETED    SSHIngressShared  AWS::EC2::SecurityGroupIngress  deleted outside CloudFormation" in text
    assert report.exit_code == 1


def test_undeclared_rule_is_reported_with_the_revoke_command_and_defaults_are_not() -> None:
    stubs = Stubs("cloudformation", "ec2", "eks")
    _tree(stubs)
    _both_in_sync(stubs)
    # the notes' 3.1: authorize-security-group-ingress --protocol -1 --cidr 192.168.1.100/32
    _live_rules(stubs, {"SecurityGroupRuleId": "sgr-0eeeeeeeeeeeeeee5", "GroupId": GROUP, "IsEgress": False,
                        "IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "CidrIpv4": "192.168.1.100/32"})
    report = _run(stubs)
    stubs.verify()
    [finding] = report.findings
    assert (finding.status, finding.logical_id, finding.revert) == ("UNDECLARED", "SSH", "revoke")
    assert finding.summary == "ingress all traffic from 192.168.1.100/32 (sgr-0eeeeeeeeeeeeeee5) is in no template"
    assert finding.undo == (f"aws ec2 revoke-security-group-ingress --region ap-northeast-2 --group-id {GROUP} "
                            "--security-group-rule-ids sgr-0eeeeeeeeeeeeeee5")
    assert report.groups_checked == 1 and report.exit_code == 1


def test_in_sync_is_exit_0() -> None:
    stubs = Stubs("cloudformation", "ec2", "eks")
    _tree(stubs)
    _both_in_sync(stubs)
    _live_rules(stubs)
    report = _run(stubs)
    stubs.verify()
    assert report.in_sync and report.exit_code == 0
    assert drift.format_report(report).endswith("Summary: in sync; nothing was changed outside the templates of myeks")
    body = json.loads(drift.to_json(report))
    assert body["inSync"] is True and body["findings"] == []
    assert [s["label"] for s in body["stacks"]] == ["myeks", "myeks/NodegroupNgStack"]


def test_a_failed_detection_is_reported_and_its_partial_results_read() -> None:
    stubs = Stubs("cloudformation", "ec2", "eks")
    _tree(stubs)
    cfn = stubs.cfn
    for det, sid in (("d-root", STACK_ID), ("d-child", CHILD)):
        cfn.add_response("detect_stack_drift", {"StackDriftDetectionId": det}, {"StackName": sid})
    cfn.add_response("describe_stack_drift_detection_status", _status("d-root", "DETECTION_COMPLETE", "IN_SYNC"))
    reason = "Failed to detect drift on resource [SSH]: Rate exceeded"
    cfn.add_response("describe_stack_drift_detection_status",
                     _status("d-child", "DETECTION_FAILED", "UNKNOWN", reason=reason))
    for _ in range(2):
        cfn.add_response("describe_stack_resource_drifts", {"StackResourceDrifts": []})
    _live_rules(stubs)
    report = _run(stubs)
    stubs.verify()
    assert report.findings == [] and report.exit_code == 1  # not all checked: not "in sync"
    text = drift.format_report(report)
    assert f"myeks/NodegroupNgStack\n  ! drift detection DETECTION_FAILED: {reason}" in text
    assert "1 stack(s) not fully checked" in text


def test_a_nested_stack_in_progress_is_not_checked_and_said_so() -> None:
    stubs = Stubs("cloudformation", "ec2", "eks")
    _tree(stubs, child_status="UPDATE_IN_PROGRESS")
    cfn = stubs.cfn
    cfn.add_response("detect_stack_drift", {"StackDriftDetectionId": "d-root"}, {"StackName": STACK_ID})
    cfn.add_response("describe_stack_drift_detection_status", _status("d-root", "DETECTION_COMPLETE", "IN_SYNC"))
    cfn.add_response("describe_stack_resource_drifts", {"StackResourceDrifts": []})
    _live_rules(stubs)
    report = _run(stubs)
    stubs.verify()  # no DetectStackDrift on the busy stack
    assert report.exit_code == 1
    assert "  ! drift detection NOT_CHECKED: UPDATE_IN_PROGRESS: CloudFormation does not detect drift" in \
        drift.format_report(report)


def test_a_root_in_progress_or_absent_is_refused() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", {"Stacks": [stack("UPDATE_IN_PROGRESS")]})
    with pytest.raises(UserError, match="is UPDATE_IN_PROGRESS: CloudFormation does not detect drift"):
        _run(stubs)
    not_found(stubs.cfn, "describe_stacks")
    with pytest.raises(UserError, match="stack myeks is not deployed in ap-northeast-2"):
        _run(stubs)


def test_cloudformation_and_the_live_comparison_report_one_finding() -> None:
    cfn = Finding(stack="s", logical_id="ControlPlane", resource_type="AWS::EKS::Cluster", status="MODIFIED",
                  summary="1 property changed", source="cloudformation", revert="change-set",
                  cloudformation_sees=True, differences=[Difference(
                      "/ResourcesVpcConfig/PublicAccessCidrs/0", "0.0.0.0/0", "203.0.113.7/32")])
    live = Finding(stack="s", logical_id="ControlPlane", resource_type="AWS::EKS::Cluster", status="MODIFIED",
                   summary="API endpoint access changed", source="eks", revert="change-set",
                   differences=[Difference("ResourcesVpcConfig.PublicAccessCidrs", '["0.0.0.0/0"]',
                                           '["203.0.113.7/32"]')])
    only_live = Finding(stack="s", logical_id="ManagedNodeGroup", resource_type="AWS::EKS::Nodegroup",
                        status="MODIFIED", summary="scaling", source="eks", revert="change-set")
    merged = drift.merge([cfn], [live, only_live])
    assert merged == [live, only_live]
    assert live.cloudformation_sees and live.revert == "change-set"
    assert only_live.revert == "" and "does not report it" in only_live.not_revertible


def test_revert_sends_a_revert_drift_change_set_and_says_what_is_left(monkeypatch: pytest.MonkeyPatch) -> None:
    from eks_templates.deploy.drift_cfn import StackInfo
    from eks_templates.deploy.drift_revert import revert

    stubs = Stubs("cloudformation", "ec2")
    info = StackInfo(label="myeks", stack_id=STACK_ID, name=STACK, status="UPDATE_COMPLETE",
                     parameters={"P": "1"}, template={}, resources={}, detection_status="DETECTION_COMPLETE")
    finding = Finding(stack="myeks", logical_id="ControlPlane", resource_type="AWS::EKS::Cluster",
                      status="MODIFIED", summary="endpoint", source="eks", revert="change-set",
                      cloudformation_sees=True, undo="aws eks update-cluster-config ...")
    rule = Finding(stack="myeks", logical_id="SSH", resource_type="AWS::EC2::SecurityGroup", status="UNDECLARED",
                   summary="ingress tcp 22 from 192.168.1.100/32", source="security-group-rules", revert="revoke",
                   physical_id=GROUP, rule=(GROUP, False, RULE))
    stubs["ec2"].add_response("revoke_security_group_ingress", {"Return": True},
                              {"GroupId": GROUP, "SecurityGroupRuleIds": [RULE]})
    stubs.cfn.add_client_error("create_change_set", service_error_code="ValidationError",
                               service_message="No updates are to be performed.", expected_params={
        "StackName": STACK, "ChangeSetName": "eks-templates-20260101-120000", "ChangeSetType": "UPDATE",
        "UsePreviousTemplate": True, "Parameters": [{"ParameterKey": "P", "UsePreviousValue": True}],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        "IncludeNestedStacks": True, "ClientToken": "eks-templates-20260101-120000",
        "Description": "eks_templates drift --revert of myeks: REVERT_DRIFT", "DeploymentMode": "REVERT_DRIFT"})
    report = drift.Report(stack=STACK, region="ap-northeast-2", stacks=[info], findings=[rule, finding])
    ui = make_ui()
    assert revert(stubs.context(ui=ui), report, Options(yes=True), stack_arg=STACK) == 1
    stubs.verify()
    out = output(ui)
    assert "Revoked 1 rule(s)." in out
    assert "drift-aware change set changes nothing on myeks; still drifted" in out
    assert "undo:   aws eks update-cluster-config ..." in out


def test_revert_asks_like_deploy() -> None:
    from eks_templates.deploy.drift_revert import revert

    stubs = Stubs("cloudformation", "ec2")
    rule = Finding(stack="myeks", logical_id="SSH", resource_type="AWS::EC2::SecurityGroup", status="UNDECLARED",
                   summary="ingress tcp 22 from 192.168.1.100/32", source="security-group-rules", revert="revoke",
                   physical_id=GROUP, rule=(GROUP, False, RULE))
    report = drift.Report(stack=STACK, region="ap-northeast-2", stacks=[], findings=[rule])
    with pytest.raises(UserError, match="not a terminal, so nobody can confirm; pass --yes"):
        revert(stubs.context(ui=make_ui()), report, Options(), stack_arg=STACK)
    ui = make_ui(interactive=True, answers=["n"])
    with pytest.raises(UserError, match="declined; nothing was changed"):
        revert(stubs.context(ui=ui), report, Options(), stack_arg=STACK)
    stubs.verify()  # nothing revoked


def test_cli_exit_2_without_credentials_and_for_an_unknown_stack(tmp_path: Any, sandbox_endpoint: str) -> None:
    from eks_templates.sandbox import server

    bare = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
            "AWS_SECURITY_TOKEN": "", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": sandbox_endpoint}
    done = run_cli("drift", "myeks", env=bare)
    assert done.returncode == 2, done.stderr
    assert "error: no AWS credentials found" in done.stderr and "Traceback" not in done.stderr
    server.reset(sandbox_endpoint)
    done = run_cli("drift", "myeks", env={"AWS_ENDPOINT_URL": sandbox_endpoint})
    assert done.returncode == 2, done.stderr
    assert "stack myeks is not deployed in ap-northeast-2" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("drift", "nosuchstack")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_cloudformations_rule_list_differences_on_a_group_read_live_are_dropped() -> None:
    """A group with inline egress and separate egress resources: CloudFormation counts the
    separate ones as ADD to the inline list (the sandbox models it); the live comparison
    knows they are declared, so the group is not drift."""
    group = Finding(stack="myeks/SecurityStack", logical_id="ManagementHostSecurityGroup",
                    resource_type="AWS::EC2::SecurityGroup", status="MODIFIED", summary="2 properties changed",
                    source="cloudformation", revert="change-set", cloudformation_sees=True, differences=[
                        Difference("/SecurityGroupEgress/1", "null", '{"FromPort":443}', "ADD"),
                        Difference("/Tags/0/Value", "a", "b")])
    merged = drift.merge([group], [], frozenset({("myeks/SecurityStack", "ManagementHostSecurityGroup")}))
    assert merged == [group] and [d.path for d in group.differences] == ["/Tags/0/Value"]
    only_rules = Finding(stack="s", logical_id="G", resource_type="AWS::EC2::SecurityGroup", status="MODIFIED",
                         summary="", source="cloudformation", differences=[
                             Difference("/SecurityGroupIngress/0", "null", "{}", "ADD")])
    assert drift.merge([only_rules], [], frozenset({("s", "G")})) == []


def test_no_more_detections_run_at_once_than_the_window() -> None:
    from eks_templates.deploy.drift_cfn import StackInfo, detect

    stubs = Stubs()
    infos = [StackInfo(label=f"s{n}", stack_id=f"id-{n}", name=f"s{n}", status="UPDATE_COMPLETE", parameters={},
                       template={}, resources={}) for n in (1, 2)]
    cfn = stubs.cfn
    for n in (1, 2):  # with a window of 1 the second starts only when the first has ended
        cfn.add_response("detect_stack_drift", {"StackDriftDetectionId": f"d-{n}"}, {"StackName": f"id-{n}"})
        cfn.add_response("describe_stack_drift_detection_status", _status(f"d-{n}", "DETECTION_COMPLETE", "IN_SYNC"),
                         {"StackDriftDetectionId": f"d-{n}"})
    for n in (1, 2):
        cfn.add_response("describe_stack_resource_drifts", {"StackResourceDrifts": []}, {
            "StackName": f"id-{n}", "StackResourceDriftStatusFilters": ["MODIFIED", "DELETED"]})
    detect(stubs.aws.client("cloudformation"), infos, FakeClock().timing(), window=1)
    stubs.verify()
    assert [i.detection_status for i in infos] == ["DETECTION_COMPLETE", "DETECTION_COMPLETE"]


def test_a_detection_that_never_ends_is_bounded() -> None:
    from eks_templates.deploy.drift_cfn import StackInfo, detect

    stubs = Stubs()
    info = StackInfo(label="s", stack_id="id-1", name="s", status="UPDATE_COMPLETE", parameters={}, template={},
                     resources={})
    stubs.cfn.add_response("detect_stack_drift", {"StackDriftDetectionId": "d-1"})
    clock = FakeClock()
    for _ in range(5):
        stubs.cfn.add_response("describe_stack_drift_detection_status", _status("d-1", "DETECTION_IN_PROGRESS"))
    detect(stubs.aws.client("cloudformation"), [info], clock.timing(), timeout=20)
    stubs.verify()  # no DescribeStackResourceDrifts for a detection that did not end
    assert clock.slept == [1.0, 2.0, 4.0, 8.0, 15.0]  # doubling, capped at 3 x --poll
    assert info.detection_status == "DETECTION_IN_PROGRESS"
    assert "still running after 20 s" in info.detection_reason


def test_revert_with_only_unchecked_stacks_reverts_nothing_and_exits_1(monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from eks_templates.commands import drift as command
    from eks_templates.deploy import drift_revert
    from eks_templates.deploy.drift_cfn import StackInfo

    busy = StackInfo(label="myeks", stack_id=STACK_ID, name=STACK, status="UPDATE_COMPLETE", parameters={},
                     template={}, resources={}, detection_status="DETECTION_FAILED", detection_reason="boom")
    monkeypatch.setattr(drift, "run", lambda *a, **k: drift.Report(stack=STACK, region="ap-northeast-2",
                                                                   stacks=[busy]))
    monkeypatch.setattr(drift_revert, "revert", lambda *a, **k: pytest.fail("nothing to revert"))
    parser = argparse.ArgumentParser()
    command.configure(parser)
    assert command.run(parser.parse_args(["myeks", "--revert", "--yes"])) == 1
    assert "! drift detection DETECTION_FAILED: boom" in capsys.readouterr().out
