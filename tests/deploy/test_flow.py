"""deploy / plan on AWS-shaped responses (botocore Stubber): every stack state,
confirmation, --no-execute, plan, both forms of no changes, failures with their
real reasons, replacements, the scaling rule, Ctrl-C and resuming."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eks_templates.deploy import package
from eks_templates.deploy.flow import Options, deploy
from eks_templates.errors import DeployFailed, UserError
from eks_templates.names import STACK_TAG_CLUSTER
from eks_templates.render import RenderedSet

from .fakes import (
    ACCOUNT,
    ANY,
    REGION,
    SCALING,
    STACK,
    STACK_ID,
    STACK_TYPE,
    FakeClock,
    Stubs,
    change,
    change_set,
    child_id,
    config,
    cs_arn,
    errors,
    event,
    events,
    make_ui,
    not_found,
    output,
    rendered_set,
    self_event,
    stack,
    stacks,
)

BUCKET = "eks-templates-123456789012-ap-northeast-2"
NET = child_id("NetworkStack")
CS = cs_arn()
PROTECTIVE = {"Statement": [
    {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
    {"Effect": "Deny", "Action": "Update:Replace", "Principal": "*", "Resource": "*",
     "Condition": {"StringEquals": {"ResourceType": ["AWS::EKS::Cluster", "AWS::EKS::Nodegroup"]}}},
]}


def packaged(rs: RenderedSet | None = None) -> package.Package:
    return package.plan_package(
        rs or rendered_set(), bucket=BUCKET, prefix="eks-templates/myeks",
        url_for=lambda b, k: package.object_url(b, k, region=REGION, dns_suffix="amazonaws.com"))


def deployed_root(rs: RenderedSet | None = None) -> dict[str, Any]:
    return json.loads(packaged(rs).root_text)


# --------------------------------------------------------------------------- response sequences


def s3_has_everything(stubs: Stubs) -> None:
    stubs["s3"].add_response("head_bucket", {}, {"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT})
    stubs["s3"].add_response("head_object", {}, {"Bucket": BUCKET, "Key": packaged().children[0].key,
                                             "ExpectedBucketOwner": ACCOUNT})


def live_stack(status: str = "UPDATE_COMPLETE", *, scaling: str = "2,2,4", protection: bool = True,
               tags: dict[str, str] | None = None) -> dict[str, Any]:
    # deploy tags every stack with the cluster's name (names.STACK_TAG_CLUSTER)
    return stack(status, params={SCALING: scaling}, tags=tags or {STACK_TAG_CLUSTER: STACK}, protection=protection,
                 outputs={"VpcId": "vpc-1"})


def existing(stubs: Stubs, status: str = "UPDATE_COMPLETE", *, template: dict[str, Any] | None = None,
             scaling: str = "2,2,4") -> None:
    stubs.cfn.add_response("describe_stacks", stacks(live_stack(status, scaling=scaling)), {"StackName": STACK})
    stubs.cfn.add_response("get_template", {"TemplateBody": json.dumps(template or deployed_root())},
                           {"StackName": STACK, "TemplateStage": "Original"})


def change_set_made(stubs: Stubs, *changes: dict[str, Any], expected: dict[str, Any] | None = None,
                    change_set_type: str = "UPDATE") -> None:
    params = {"StackName": STACK, "ChangeSetName": "eks-templates-20260101-120000", "ChangeSetType": change_set_type,
              "Parameters": ANY, "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
              "IncludeNestedStacks": True, "ClientToken": "eks-templates-20260101-120000",
              "TemplateBody": ANY, "Tags": ANY, "Description": ANY}
    params.update(expected or {})
    stubs.cfn.add_response("create_change_set", {"Id": CS, "StackId": STACK_ID}, params)
    stubs.cfn.add_response("describe_change_set", change_set(CS, *changes), {"ChangeSetName": CS})  # wait
    stubs.cfn.add_response("describe_change_set", change_set(CS, *changes), {"ChangeSetName": CS})  # describe


def executed(stubs: Stubs, final: str = "UPDATE_COMPLETE") -> None:
    stubs.cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=-100)),
                           {"StackName": STACK_ID})
    stubs.cfn.add_response("execute_change_set", {}, {"ChangeSetName": CS,
                                                            "ClientRequestToken": "eks-templates-20260101-120000"})
    stubs.cfn.add_response("describe_stacks", stacks(live_stack(final)), {"StackName": STACK_ID})
    stubs.cfn.add_response("describe_stack_events", events(
        self_event(final.replace("COMPLETE", "IN_PROGRESS"), t=1, reason="User Initiated"),
        self_event(final, t=2)), {"StackName": STACK_ID})


ALLOW_ALL = {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}


def tree(stubs: Stubs) -> None:
    """stack_tree: the root and one nested stack."""
    stubs.cfn.add_response("list_stack_resources", {"StackResourceSummaries": [{
        "LogicalResourceId": "NetworkStack", "PhysicalResourceId": NET, "ResourceType": STACK_TYPE,
        "LastUpdatedTimestamp": stack("X")["CreationTime"], "ResourceStatus": "UPDATE_COMPLETE"}]},
        {"StackName": STACK_ID})
    stubs.cfn.add_response("list_stack_resources", {"StackResourceSummaries": []}, {"StackName": NET})


def set_policy(stubs: Stubs, policy: dict[str, Any], *stack_ids: str) -> None:
    for stack_id in stack_ids:
        stubs.cfn.add_response("set_stack_policy", {}, {"StackName": stack_id, "StackPolicyBody": json.dumps(policy)})


def pending(stubs: Stubs) -> None:
    """Before a deploy executes: the (nested set's) root marked as not yet protected."""
    set_policy(stubs, ALLOW_ALL, STACK_ID)


def protected(stubs: Stubs) -> None:
    """After a deploy settled: the protective policy on the nested stack, the root last; none read first."""
    tree(stubs)
    set_policy(stubs, PROTECTIVE, NET, STACK_ID)


def finished(stubs: Stubs, *, protection: bool = True, status: str = "UPDATE_COMPLETE", name: str = STACK_ID) -> None:
    """After an executed change set: the stack described for termination protection and outputs."""
    stubs.cfn.add_response("describe_stacks", stacks(live_stack(status, protection=protection)), {"StackName": name})
    if not protection:
        stubs.cfn.add_response("update_termination_protection", {"StackId": STACK_ID},
                               {"StackName": STACK_ID, "EnableTerminationProtection": True})


def policy_checked(stubs: Stubs, present: dict[str, Any] | None = PROTECTIVE) -> None:
    """Nothing executed: one read of the root's policy; every policy set again only if it is not protective."""
    stubs.cfn.add_response("get_stack_policy", {"StackPolicyBody": json.dumps(present)} if present else {},
                           {"StackName": STACK_ID})
    if present != PROTECTIVE:
        protected(stubs)


def unchanged_finished(stubs: Stubs, present: dict[str, Any] | None = PROTECTIVE) -> None:
    finished(stubs, name=STACK)
    policy_checked(stubs, present)


def run(stubs: Stubs, opts: Options | None = None, *, ui: Any = None, plan_only: bool = False,
        rs: RenderedSet | None = None, cfg: Any = None, clock: FakeClock | None = None) -> int:
    ctx = stubs.context(ui=ui, clock=clock)
    return deploy(ctx, cfg or config(), opts or Options(), plan_only=plan_only, rendered=rs or rendered_set())


CHANGES = (change("Modify", "NetworkStack", STACK_TYPE, replacement="False"),)


# --------------------------------------------------------------------------- create


def test_first_deploy_creates_executes_protects_and_prints_outputs() -> None:
    stubs = Stubs("cloudformation", "s3")
    not_found(stubs.cfn, "describe_stacks")
    stubs["s3"].add_response("head_bucket", {}, {"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT})
    stubs["s3"].add_client_error("head_object", service_error_code="404", http_status_code=404)
    pkg = packaged()
    stubs["s3"].add_response("put_object", {}, {"Bucket": BUCKET, "Key": pkg.children[0].key,
                                                "Body": pkg.children[0].body, "ContentType": "application/json",
                                                "ExpectedBucketOwner": ACCOUNT})
    change_set_made(stubs, change("Add", "NetworkStack", STACK_TYPE), change_set_type="CREATE", expected={
        "Parameters": [{"ParameterKey": SCALING, "ParameterValue": "2,2,4"}],
        "TemplateBody": pkg.root_text,
        "Tags": [{"Key": STACK_TAG_CLUSTER, "Value": "myeks"}, {"Key": "owner", "Value": "platform"},
                 {"Key": "team", "Value": "k8s"}],
    })
    executed(stubs, "CREATE_COMPLETE")  # a new stack: nothing to mark before executing
    protected(stubs)
    finished(stubs, protection=False, status="CREATE_COMPLETE")
    ui = make_ui()
    cfg = config("  tags: {team: k8s}", tags="  tags: {owner: platform, team: old}")
    assert run(stubs, Options(yes=True), ui=ui, cfg=cfg) == 0
    stubs.verify()
    out = output(ui)
    assert "uploaded NetworkStack.json" in out
    assert "Change set eks-templates-20260101-120000 for stack myeks (CREATE)" in out
    assert "  + Add     NetworkStack  AWS::CloudFormation::Stack" in out
    assert "myeks: CREATE_COMPLETE" in out
    assert "Termination protection is on for myeks" in out
    assert "denied on 2 stack(s)" in out
    assert "VpcId  vpc-1" in out


def test_non_interactive_without_yes_refuses_and_cleans_up() -> None:
    stubs = Stubs("cloudformation", "s3")
    not_found(stubs.cfn, "describe_stacks")
    s3_has_everything(stubs)
    change_set_made(stubs, change("Add", "NetworkStack", STACK_TYPE), change_set_type="CREATE")
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    stubs.cfn.add_response("delete_stack", {}, {"StackName": STACK_ID})  # the empty REVIEW_IN_PROGRESS stack
    with pytest.raises(UserError, match="pass --yes") as info:
        run(stubs, Options())
    assert info.value.exit_code == 2
    stubs.verify()


def test_declined_on_a_terminal() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES)
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    ui = make_ui(interactive=True, answers=["n"])
    with pytest.raises(UserError, match="declined"):
        run(stubs, ui=ui)
    assert ui.asked == ["Execute change set eks-templates-20260101-120000 on myeks? [y/N] "]  # type: ignore[attr-defined]
    stubs.verify()


def test_confirmed_on_a_terminal() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES)
    pending(stubs)
    executed(stubs)
    protected(stubs)
    finished(stubs)
    assert run(stubs, ui=make_ui(interactive=True, answers=["y"])) == 0
    stubs.verify()


def test_no_execute_keeps_the_change_set_and_prints_it() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES)
    ui = make_ui()
    assert run(stubs, Options(no_execute=True), ui=ui) == 0
    stubs.verify()  # no delete, no execute
    out = output(ui)
    assert "Change set kept for review" in out and f"ARN:      {CS}" in out
    assert f"aws cloudformation execute-change-set --change-set-name {CS}" in out


def test_plan_shows_and_deletes_the_change_set() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES)
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    ui = make_ui()
    assert run(stubs, ui=ui, plan_only=True) == 0
    stubs.verify()
    assert "Plan only: the change set was deleted" in output(ui)


def test_plan_of_a_new_stack_deletes_the_empty_stack_too() -> None:
    stubs = Stubs("cloudformation", "s3")
    not_found(stubs.cfn, "describe_stacks")
    s3_has_everything(stubs)
    change_set_made(stubs, change("Add", "NetworkStack", STACK_TYPE), change_set_type="CREATE")
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    stubs.cfn.add_response("delete_stack", {}, {"StackName": STACK_ID})
    assert run(stubs, plan_only=True) == 0
    stubs.verify()


# --------------------------------------------------------------------------- no changes


def test_nothing_changed_is_found_before_any_change_set_or_upload() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs)  # same root (same child URLs), same parameters, same tags
    unchanged_finished(stubs)  # protection already on, the root's policy protective: no writes
    ui = make_ui()
    assert run(stubs, Options(yes=True), ui=ui) == 0
    stubs.verify()  # no s3 call, no create_change_set
    assert "No changes: myeks already matches" in output(ui)


def digest_stack(*, scaling: str = "2,2,4", recorded: str | None = None) -> dict[str, Any]:
    body = live_stack(scaling=scaling)
    body["Outputs"].append({"OutputKey": "TemplatesDigest", "OutputValue": recorded or packaged().digest})
    return body


@pytest.mark.parametrize("scaling", ["2,2,4", "5,2,6"])
def test_nothing_changed_by_the_recorded_digest_costs_two_calls(scaling: str) -> None:
    """The stack's TemplatesDigest output is the packaged set's: no GetTemplate, no walk
    of the nested stacks; one read of the root's policy. Also after a scale (5,2,6)."""
    stubs = Stubs("cloudformation", "s3")
    stubs.cfn.add_response("describe_stacks", stacks(digest_stack(scaling=scaling)), {"StackName": STACK})
    policy_checked(stubs)
    ui = make_ui()
    assert run(stubs, Options(yes=True), ui=ui) == 0
    stubs.verify()  # nothing else: no s3 call, no get_template, no list_stack_resources
    out = output(ui)
    assert "No changes: myeks already matches" in out and "VpcId  vpc-1" in out
    # the size `scale` set is kept, and said: the file (2,2,4) is not what runs
    kept = [line for line in out.splitlines() if "keeps the live" in line]
    if scaling == "5,2,6":
        assert kept == [f"  {SCALING}: keeps the live desired/max (set outside the stack "
                        "file, e.g. by `scale`); the file says 2,2,4"], out
    else:
        assert kept == []


def test_a_deploy_interrupted_before_its_policies_were_set_is_protected_by_the_next() -> None:
    """The root still carries the allow-all mark of a deploy that executed but did not
    get to set the policies (Ctrl-C while watching): the next run sets them all."""
    stubs = Stubs("cloudformation", "s3")
    stubs.cfn.add_response("describe_stacks", stacks(digest_stack()), {"StackName": STACK})
    policy_checked(stubs, present=ALLOW_ALL)
    ui = make_ui()
    assert run(stubs, Options(yes=True), ui=ui) == 0
    stubs.verify()
    assert "the last deploy did not finish setting it" in output(ui)
    assert "denied on 2 stack(s)" in output(ui)


def test_a_stale_digest_is_compared_the_full_way() -> None:
    stubs = Stubs("cloudformation", "s3")
    stubs.cfn.add_response("describe_stacks", stacks(digest_stack(recorded="0" * 64)), {"StackName": STACK})
    stubs.cfn.add_response("get_template", {"TemplateBody": json.dumps({"Resources": {}})},
                           {"StackName": STACK, "TemplateStage": "Original"})
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES)
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    assert run(stubs, plan_only=True) == 0
    stubs.verify()


def test_nothing_changed_after_a_scale_is_still_nothing() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, scaling="5,2,6")  # scaled since the last deploy; the file still says 2,2,4
    unchanged_finished(stubs)
    ui = make_ui()
    assert run(stubs, Options(yes=True), ui=ui) == 0
    stubs.verify()
    assert f"{SCALING}: keeps the live desired/max" in output(ui)


def test_failed_change_set_without_changes_is_success_and_deleted() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={**deployed_root(), "Description": "older description"})
    s3_has_everything(stubs)
    stubs.cfn.add_response("create_change_set", {"Id": CS, "StackId": STACK_ID})
    stubs.cfn.add_response("describe_change_set", change_set(
        CS, status="FAILED", execution="UNAVAILABLE",
        reason="The submitted information didn't contain changes. Submit different information to create a "
               "change set."))
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    unchanged_finished(stubs)
    ui = make_ui()
    assert run(stubs, Options(yes=True), ui=ui) == 0
    stubs.verify()
    assert "No changes" in output(ui)


def test_no_updates_validation_error_is_success() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={**deployed_root(), "Description": "older description"})
    s3_has_everything(stubs)
    stubs.cfn.add_client_error("create_change_set", service_error_code="ValidationError",
                               service_message="No updates are to be performed.")
    unchanged_finished(stubs)
    assert run(stubs, Options(yes=True)) == 0
    stubs.verify()


# --------------------------------------------------------------------------- the scaling rule in a deploy


def test_deploy_keeps_a_scaled_size_while_other_things_change() -> None:
    stubs = Stubs("cloudformation", "s3")
    old_child = rendered_set(cidr="10.9.0.0/16")  # the child changed; the scaling in the file did not
    existing(stubs, template=deployed_root(old_child), scaling="5,2,6")
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES, expected={
        "Parameters": [{"ParameterKey": SCALING, "UsePreviousValue": True}]})
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    ui = make_ui()
    assert run(stubs, ui=ui, plan_only=True) == 0
    stubs.verify()
    assert f"= {SCALING}: 5,2,6 kept (keeps the live desired/max" in output(ui)


def test_deploy_of_an_edited_file_sends_the_new_size() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template=deployed_root(rendered_set("2,2,4")), scaling="5,2,6")
    edited = rendered_set("3,3,6")
    stubs["s3"].add_response("head_bucket", {}, {"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT})
    stubs["s3"].add_response("head_object", {}, {"Bucket": BUCKET, "Key": packaged(edited).children[0].key,
                                             "ExpectedBucketOwner": ACCOUNT})
    change_set_made(stubs, *CHANGES, expected={
        # desired 2 -> 3 and min 2 -> 3 edited in the file: the file's; max 4 -> 6 also edited
        "Parameters": [{"ParameterKey": SCALING, "ParameterValue": "3,3,6"}]})
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    ui = make_ui()
    assert run(stubs, ui=ui, plan_only=True, rs=edited) == 0
    stubs.verify()
    assert f"~ {SCALING}: 5,2,6 -> 3,3,6" in output(ui)


# --------------------------------------------------------------------------- stack states


def test_rollback_complete_is_refused_with_the_way_out() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", stacks(stack("ROLLBACK_COMPLETE")))
    with pytest.raises(UserError, match="--recreate-failed") as info:
        run(stubs, Options(yes=True))
    assert info.value.exit_code == 2
    stubs.verify()


def test_recreate_failed_deletes_then_creates() -> None:
    stubs = Stubs("cloudformation", "s3")
    stubs.cfn.add_response("describe_stacks", stacks(stack("ROLLBACK_COMPLETE")))
    stubs.cfn.add_response("describe_stack_events", events(self_event("ROLLBACK_COMPLETE", t=-10)))
    stubs.cfn.add_response("delete_stack", {}, {"StackName": STACK_ID})
    stubs.cfn.add_response("describe_stacks", stacks(stack("DELETE_COMPLETE")), {"StackName": STACK_ID})
    stubs.cfn.add_response("describe_stack_events", events(self_event("DELETE_COMPLETE", t=5)))
    not_found(stubs.cfn, "describe_stacks")
    s3_has_everything(stubs)
    change_set_made(stubs, change("Add", "NetworkStack", STACK_TYPE), change_set_type="CREATE")
    ui = make_ui()
    assert run(stubs, Options(recreate_failed=True, no_execute=True), ui=ui) == 0
    stubs.verify()
    assert "deleting it first (--recreate-failed)" in output(ui)


def test_update_rollback_failed_explains_continue_update_rollback() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_ROLLBACK_FAILED")))
    with pytest.raises(UserError, match="continue-update-rollback --stack-name myeks"):
        run(stubs, Options(yes=True))


@pytest.mark.parametrize("opts,plan_only", [(Options(wait=False), False), (Options(), True)])
def test_running_operation_is_refused_by_plan_and_no_wait(opts: Options, plan_only: bool) -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_IN_PROGRESS")))
    with pytest.raises(UserError, match="UPDATE_IN_PROGRESS: another operation is running"):
        run(stubs, opts, plan_only=plan_only)


def test_running_operation_is_watched_to_the_end_then_deploy_goes_on() -> None:
    """Resume: the same deploy run again (after Ctrl-C) watches the running update
    to its end, then finds nothing left to do."""
    stubs = Stubs("cloudformation", "s3")
    stubs.cfn.add_response("describe_stacks", stacks(live_stack("UPDATE_IN_PROGRESS")))
    started = self_event("UPDATE_IN_PROGRESS", t=-60, reason="User Initiated")
    stubs.cfn.add_response("describe_stack_events", events(started))  # resume()
    stubs.cfn.add_response("describe_stacks", stacks(live_stack("UPDATE_IN_PROGRESS")), {"StackName": STACK_ID})
    stubs.cfn.add_response("describe_stack_events", events(started))
    stubs.cfn.add_response("describe_stacks", stacks(live_stack("UPDATE_COMPLETE")), {"StackName": STACK_ID})
    stubs.cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=30), started))
    existing(stubs)
    unchanged_finished(stubs)
    ui = make_ui()
    assert run(stubs, Options(yes=True), ui=ui) == 0
    stubs.verify()
    out = output(ui)
    assert "an operation is running since 11:59:00 UTC" in out
    assert "the running operation ended UPDATE_COMPLETE" in out and "No changes" in out


def test_running_operation_that_fails_reports_why() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_ROLLBACK_IN_PROGRESS")))
    started = self_event("UPDATE_IN_PROGRESS", t=-60, reason="User Initiated")
    failed = event("Cluster", "UPDATE_FAILED", t=-50, rtype="AWS::EKS::Cluster", reason="Unsupported Kubernetes "
                   "minor version update from 1.29 to 1.31")
    stubs.cfn.add_response("describe_stack_events", events(started, failed))
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_ROLLBACK_COMPLETE")))
    stubs.cfn.add_response("describe_stack_events", events(started, failed))
    stubs.cfn.add_response("describe_stack_events", events(started, failed))  # failure_reasons
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_ROLLBACK_COMPLETE")))
    with pytest.raises(DeployFailed) as info:
        run(stubs, Options(yes=True))
    assert info.value.exit_code == 1
    assert any("Unsupported Kubernetes minor version update" in m for m in info.value.messages)


# --------------------------------------------------------------------------- failures, replacements, Ctrl-C


def test_failed_update_exits_1_with_the_nested_reason() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES)
    pending(stubs)  # and no policy set after the failure: the next deploy sees the root is not protective
    stubs.cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=-100)))
    stubs.cfn.add_response("execute_change_set", {}, {"ChangeSetName": CS,
                                                            "ClientRequestToken": "eks-templates-20260101-120000"})
    stubs.cfn.add_response("describe_stacks", stacks(live_stack("UPDATE_ROLLBACK_COMPLETE")))
    root_events = events(
        self_event("UPDATE_IN_PROGRESS", t=1, reason="User Initiated"),
        event("NetworkStack", "UPDATE_FAILED", t=9, rtype=STACK_TYPE, physical=NET,
              reason=f"Embedded stack {NET} was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS"),
        self_event("UPDATE_ROLLBACK_COMPLETE", t=20))
    stubs.cfn.add_response("describe_stack_events", root_events)
    stubs.cfn.add_response("describe_stack_events", root_events)  # failure_reasons: root
    stubs.cfn.add_response("describe_stack_events", events(
        event("Subnet", "UPDATE_FAILED", t=8, stack_id=NET, rtype="AWS::EC2::Subnet",
              reason="The CIDR '10.20.1.0/24' conflicts with another subnet")), {"StackName": NET})
    with pytest.raises(DeployFailed) as info:
        run(stubs, Options(yes=True))
    stubs.verify()
    assert info.value.exit_code == 1
    assert info.value.messages == [
        "update of myeks failed: the stack is UPDATE_ROLLBACK_COMPLETE",
        "because:",
        "  myeks/NetworkStack: Subnet (AWS::EC2::Subnet) UPDATE_FAILED: The CIDR '10.20.1.0/24' conflicts with "
        "another subnet",
        "stack myeks is UPDATE_ROLLBACK_COMPLETE: CloudFormation rolled the update back, the cluster is as it "
        "was before it; fix the cause and run the same command again",
    ]


REPLACING = (change("Modify", "NetworkStack", STACK_TYPE, replacement="False"),
             change("Modify", "ControlPlane", "AWS::EKS::Cluster", replacement="True", details=[
                 {"Target": {"Attribute": "Properties", "Name": "Name", "RequiresRecreation": "Always"}}]))


def test_replacing_the_cluster_is_refused_without_allow_replacement() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *REPLACING)
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    ui = make_ui()
    with pytest.raises(UserError, match="would replace the cluster") as info:
        run(stubs, Options(yes=True), ui=ui)
    stubs.verify()  # nothing executed
    assert any("--allow-replacement" in m for m in info.value.messages)
    assert "REPLACEMENTS (deleted and created again" in output(ui)


def test_allow_replacement_relaxes_the_policy_for_the_update_only() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *REPLACING)
    tree(stubs)
    set_policy(stubs, ALLOW_ALL, STACK_ID, NET)  # relax before executing, the root first
    executed(stubs)
    protected(stubs)  # protective again once settled, the root last
    finished(stubs)
    assert run(stubs, Options(yes=True, allow_replacement=True)) == 0
    stubs.verify()


def test_ctrl_c_while_watching_leaves_the_stack_running_and_says_how_to_resume() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES)
    pending(stubs)
    stubs.cfn.add_response("describe_stack_events", events())
    stubs.cfn.add_response("execute_change_set", {}, {"ChangeSetName": CS,
                                                            "ClientRequestToken": "eks-templates-20260101-120000"})
    stubs.cfn.add_response("describe_stacks", stacks(live_stack("UPDATE_IN_PROGRESS")))
    stubs.cfn.add_response("describe_stack_events", events(self_event("UPDATE_IN_PROGRESS", t=1)))
    clock = FakeClock()

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    clock.sleep = interrupted  # type: ignore[method-assign]
    ui = make_ui()
    with pytest.raises(KeyboardInterrupt):
        run(stubs, Options(yes=True, resume_command="python -m eks_templates deploy myeks --yes"), ui=ui,
            clock=clock)
    stubs.verify()  # no cancel, no delete: only what was stubbed
    err = errors(ui)
    assert "keeps changing in CloudFormation; nothing was cancelled" in err
    assert "Run `python -m eks_templates deploy myeks --yes` again to resume watching it." in err


def test_lint_findings_refuse_before_any_aws_call() -> None:
    stubs = Stubs()
    rs = rendered_set()
    bad = json.loads(rs.files["NetworkStack.json"])
    bad["Resources"]["Subnet"]["Properties"]["AvailabilityZone"] = "ap-northeast-2a"  # W3010
    broken = RenderedSet(rs.stack_name, rs.root, {**rs.files, "NetworkStack.json": json.dumps(bad)})
    with pytest.raises(UserError, match="lint found 1 problem") as info:
        run(stubs, Options(yes=True), rs=broken)
    assert any("W3010" in m for m in info.value.messages)
    stubs.verify()


def test_ctrl_c_at_the_prompt_deletes_the_change_set() -> None:
    stubs = Stubs("cloudformation", "s3")
    existing(stubs, template={"Resources": {}})
    s3_has_everything(stubs)
    change_set_made(stubs, *CHANGES)
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    ui = make_ui(interactive=True)

    def interrupted(_: str) -> str:
        raise KeyboardInterrupt

    ui.ask = interrupted
    with pytest.raises(KeyboardInterrupt):
        run(stubs, ui=ui)
    stubs.verify()
    assert "change set eks-templates-20260101-120000 deleted, nothing was changed" in errors(ui)


def test_waiting_for_a_running_operation_is_bounded() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_IN_PROGRESS")))
    stubs.cfn.add_response("describe_stack_events", events(self_event("UPDATE_IN_PROGRESS", t=-5,
                                                                      reason="User Initiated")))
    for _ in range(3):
        stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_IN_PROGRESS")))
        stubs.cfn.add_response("describe_stack_events", events())
    clock = FakeClock()
    ctx = stubs.context(clock=clock, poll=30, stack_timeout=60)
    with pytest.raises(UserError, match="still UPDATE_IN_PROGRESS after 01:00") as info:
        deploy(ctx, config(), Options(yes=True), rendered=rendered_set())
    assert info.value.exit_code == 2
    stubs.verify()
