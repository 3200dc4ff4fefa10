"""Watching: events of root and nested stacks, progress output, the real failure
reasons from nested stacks, throttling, the bound, resuming."""

from __future__ import annotations

import pytest

from eks_templates.deploy.watch import CHILDREN_PER_POLL, Watcher, failure_reasons, is_generic

from .fakes import (
    STACK,
    STACK_ID,
    STACK_TYPE,
    FakeClock,
    Stubs,
    child_id,
    errors,
    event,
    events,
    make_ui,
    output,
    self_event,
    stack,
    stacks,
)

NET = child_id("NetworkStack")
NG = child_id("NodegroupNgStack", 2)
REAL_REASON = ('Resource handler returned message: "[Issue(Code=NodeCreationFailure, Message=Instances failed '
               'to join the kubernetes cluster)]" (HandlerErrorCode: GeneralServiceException)')


def test_follows_root_and_nested_stack_events_until_settled() -> None:
    stubs = Stubs()
    cfn = stubs.cfn
    old = self_event("CREATE_COMPLETE", t=-100)
    cfn.add_response("describe_stack_events", events(old), {"StackName": STACK_ID})  # mark_existing
    # poll 1: the update starts, the nested stack starts
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_IN_PROGRESS")), {"StackName": STACK_ID})
    start = self_event("UPDATE_IN_PROGRESS", t=1, reason="User Initiated")
    net_start = event("NetworkStack", "UPDATE_IN_PROGRESS", t=2, rtype=STACK_TYPE, physical=NET)
    cfn.add_response("describe_stack_events", events(start, net_start, old), {"StackName": STACK_ID})
    # poll 2: nothing new at the root; the child's own events
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_IN_PROGRESS")), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(start, net_start, old), {"StackName": STACK_ID})
    vpc = event("VPC", "UPDATE_IN_PROGRESS", t=3, stack_id=NET, physical="vpc-1")
    vpc_done = event("VPC", "UPDATE_COMPLETE", t=4, stack_id=NET, physical="vpc-1")
    earlier_child = event("VPC", "CREATE_COMPLETE", t=-200, stack_id=NET, physical="vpc-1")
    cfn.add_response("describe_stack_events", events(vpc, vpc_done, self_event("UPDATE_IN_PROGRESS", t=2,
                                                                                   stack_id=NET), earlier_child),
                     {"StackName": NET})
    # poll 3: all done
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_COMPLETE")), {"StackName": STACK_ID})
    net_done = event("NetworkStack", "UPDATE_COMPLETE", t=5, rtype=STACK_TYPE, physical=NET)
    done = self_event("UPDATE_COMPLETE", t=6)
    cfn.add_response("describe_stack_events", events(done, net_done, start, net_start, old), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=5, stack_id=NET), vpc_done),
                     {"StackName": NET})

    ui = make_ui()
    clock = FakeClock()
    watcher = Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=ui, timing=clock.timing(poll=5))
    watcher.mark_existing()
    result = watcher.run()
    stubs.verify()
    assert result.ok and result.status == "UPDATE_COMPLETE"
    assert result.elapsed == 10 and clock.slept == [5, 5]
    assert result.since == start["Timestamp"]
    lines = output(ui).splitlines()
    assert lines == [
        "[00:00] myeks  myeks  AWS::CloudFormation::Stack  UPDATE_IN_PROGRESS",
        "[00:00] myeks  NetworkStack  AWS::CloudFormation::Stack  UPDATE_IN_PROGRESS",
        "[00:05] myeks/NetworkStack  VPC  AWS::EC2::VPC  UPDATE_IN_PROGRESS",
        "[00:05] myeks/NetworkStack  VPC  AWS::EC2::VPC  UPDATE_COMPLETE",
        "[00:10] myeks  NetworkStack  AWS::CloudFormation::Stack  UPDATE_COMPLETE",
        "[00:10] myeks  myeks  AWS::CloudFormation::Stack  UPDATE_COMPLETE",
        "[00:10] myeks UPDATE_COMPLETE",
    ]


def _failed_create_events(stubs: Stubs) -> None:
    """Root and nested events of a first create that failed in a nodegroup."""
    cfn = stubs.cfn
    cfn.add_response("describe_stack_events", events(
        self_event("CREATE_IN_PROGRESS", t=1, reason="User Initiated"),
        event("NetworkStack", "CREATE_COMPLETE", t=5, rtype=STACK_TYPE, physical=NET),
        event("NodegroupNgStack", "CREATE_IN_PROGRESS", t=6, rtype=STACK_TYPE, physical=NG),
        event("NodegroupNgStack", "CREATE_FAILED", t=40, rtype=STACK_TYPE, physical=NG,
              reason=f"Embedded stack {NG} was not successfully created: The following resource(s) failed to "
                     "create: [ManagedNodeGroup]."),
        self_event("ROLLBACK_IN_PROGRESS", t=41,
                   reason="The following resource(s) failed to create: [NodegroupNgStack]. Rollback requested "
                          "by user."),
        self_event("ROLLBACK_COMPLETE", t=60),
    ), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(
        self_event("CREATE_IN_PROGRESS", t=6, stack_id=NG, reason="User Initiated"),
        event("LaunchTemplate", "CREATE_COMPLETE", t=8, stack_id=NG, rtype="AWS::EC2::LaunchTemplate"),
        event("ManagedNodeGroup", "CREATE_FAILED", t=39, stack_id=NG, rtype="AWS::EKS::Nodegroup",
              reason=REAL_REASON),
        event("NodeInstanceRole", "CREATE_FAILED", t=39, stack_id=NG, rtype="AWS::IAM::Role",
              reason="Resource creation cancelled"),
        self_event("ROLLBACK_COMPLETE", t=45, stack_id=NG),
    ), {"StackName": NG})


def test_failure_reasons_come_from_the_failing_nested_resource() -> None:
    stubs = Stubs()
    _failed_create_events(stubs)
    reasons = failure_reasons(stubs.aws.client("cloudformation"), STACK_ID, STACK, since=None)
    stubs.verify()
    assert [str(r) for r in reasons] == [
        f"myeks/NodegroupNgStack: ManagedNodeGroup (AWS::EKS::Nodegroup) CREATE_FAILED: {REAL_REASON}",
    ]


def test_generic_reasons_are_kept_when_there_is_nothing_else() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stack_events", events(
        event("NetworkStack", "UPDATE_FAILED", t=5, rtype=STACK_TYPE, physical="not-an-arn",
              reason="Embedded stack X was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS"),
    ))
    reasons = failure_reasons(stubs.aws.client("cloudformation"), STACK_ID, STACK, since=None)
    assert [r.logical_id for r in reasons] == ["NetworkStack"]
    assert is_generic(reasons[0].reason)


def test_throttling_slows_the_loop_down_instead_of_failing() -> None:
    stubs = Stubs()
    cfn = stubs.cfn
    cfn.add_client_error("describe_stacks", service_error_code="Throttling", service_message="Rate exceeded",
                         http_status_code=400)
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_COMPLETE")))
    cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=3)))
    ui = make_ui()
    clock = FakeClock()
    result = Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=ui,
                     timing=clock.timing(poll=5)).run()
    stubs.verify()
    assert result.ok
    assert clock.slept == [10]
    assert "throttling" in errors(ui)


def test_a_throttled_poll_pauses_even_with_poll_zero() -> None:
    """``--poll 0`` made the pause after a throttled call 0 * 2: no backoff at all."""
    stubs = Stubs()
    cfn = stubs.cfn
    for _ in range(2):
        cfn.add_client_error("describe_stacks", service_error_code="Throttling", service_message="Rate exceeded",
                             http_status_code=400)
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_COMPLETE")))
    cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=3)))
    clock = FakeClock()
    result = Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=make_ui(),
                     timing=clock.timing(poll=0)).run()
    stubs.verify()
    assert result.ok
    assert clock.slept == [2.0, 2.0]


def test_other_errors_end_the_watch() -> None:
    from botocore.exceptions import ClientError

    stubs = Stubs()
    stubs.cfn.add_client_error("describe_stacks", service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(ClientError):
        Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=make_ui(),
                timing=FakeClock().timing()).run()


def test_the_watch_is_bounded_and_prints_heartbeats() -> None:
    stubs = Stubs()
    for _ in range(4):
        stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_IN_PROGRESS")))
        stubs.cfn.add_response("describe_stack_events", events())
    ui = make_ui()
    result = Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=ui,
                     timing=FakeClock().timing(poll=40, stack_timeout=120)).run()
    assert result.timed_out and not result.ok and result.status == "UPDATE_IN_PROGRESS"
    assert "[01:20] myeks still UPDATE_IN_PROGRESS" in output(ui)


def test_resume_starts_at_the_running_operation() -> None:
    stubs = Stubs()
    cfn = stubs.cfn
    history = events(
        self_event("UPDATE_IN_PROGRESS", t=-500, reason="User Initiated"),
        self_event("UPDATE_COMPLETE", t=-400),
        self_event("UPDATE_IN_PROGRESS", t=-30, reason="User Initiated"),
        event("NetworkStack", "UPDATE_IN_PROGRESS", t=-29, rtype=STACK_TYPE, physical=NET),
    )
    cfn.add_response("describe_stack_events", history, {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(
        event("VPC", "UPDATE_IN_PROGRESS", t=-20, stack_id=NET),
        event("VPC", "UPDATE_COMPLETE", t=-450, stack_id=NET),  # an earlier operation's
    ), {"StackName": NET})
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_COMPLETE")))
    cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=5),
                                                     *history["StackEvents"]), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(event("VPC", "UPDATE_COMPLETE", t=4, stack_id=NET)),
                     {"StackName": NET})
    ui = make_ui()
    watcher = Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=ui, timing=FakeClock().timing())
    watcher.resume()
    assert watcher.since == history["StackEvents"][1]["Timestamp"]  # the latest "User Initiated"
    assert watcher.resources[("myeks/NetworkStack", "VPC")] == "UPDATE_IN_PROGRESS"
    result = watcher.run()
    stubs.verify()
    assert result.ok
    out = output(ui)
    assert "an operation is running since 11:59:30 UTC (2 stack events so far)" in out
    assert "myeks/NetworkStack  VPC  AWS::EC2::VPC  UPDATE_COMPLETE" in out


def test_live_display_redraws_in_place() -> None:
    stubs = Stubs()
    cfn = stubs.cfn
    cfn.add_response("describe_stacks", stacks(stack("CREATE_IN_PROGRESS")))
    cfn.add_response("describe_stack_events", events(
        self_event("CREATE_IN_PROGRESS", t=1, reason="User Initiated"),
        event("NetworkStack", "CREATE_IN_PROGRESS", t=2, rtype=STACK_TYPE, physical=NET)))
    cfn.add_response("describe_stacks", stacks(stack("CREATE_IN_PROGRESS")))
    cfn.add_response("describe_stack_events", events())
    cfn.add_response("describe_stack_events", events(
        event("VPC", "CREATE_FAILED", t=3, stack_id=NET, reason="The CIDR '10.0.0.0/33' is invalid.")))
    cfn.add_response("describe_stacks", stacks(stack("ROLLBACK_COMPLETE")))
    cfn.add_response("describe_stack_events", events())
    cfn.add_response("describe_stack_events", events())
    ui = make_ui(live=True)
    result = Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=ui, timing=FakeClock().timing()).run()
    assert not result.ok and result.status == "ROLLBACK_COMPLETE"
    out = output(ui)
    assert "\x1b[" in out and "F\x1b[J" in out  # cursor up + clear: redrawn, not appended
    assert "  … myeks/NetworkStack" in out and "CREATE_IN_PROGRESS  (VPC)" not in out
    # the failure line is printed outside the redrawn block, so it stays on screen
    assert "myeks/NetworkStack  VPC  AWS::EC2::VPC  CREATE_FAILED  The CIDR '10.0.0.0/33' is invalid.\n" in out


# --------------------------------------------------------------------------- bounded polls (issue 17 item 3)


def test_each_poll_reads_the_root_and_at_most_five_nested_stacks_in_turn() -> None:
    """Seven nested stacks in progress: a poll reads DescribeStacks, the root's events and
    the events of five of them, the least recently read first, so the other two are read
    on the next poll; a nested stack that finished is read once more, then no longer."""
    assert CHILDREN_PER_POLL == 5
    stubs = Stubs()
    cfn = stubs.cfn
    kids = [child_id(f"NodegroupNg{i}Stack", i) for i in range(1, 8)]
    cfn.add_response("describe_stack_events", events(), {"StackName": STACK_ID})  # mark_existing
    start = self_event("CREATE_IN_PROGRESS", t=1, reason="User Initiated")
    kid_events = [event(f"NodegroupNg{i}Stack", "CREATE_IN_PROGRESS", t=1 + i / 10, rtype=STACK_TYPE, physical=arn)
                  for i, arn in enumerate(kids, 1)]
    # poll 1: the root's events name the seven nested stacks; none of them is read yet
    cfn.add_response("describe_stacks", stacks(stack("CREATE_IN_PROGRESS")), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(start, *kid_events), {"StackName": STACK_ID})
    # poll 2: nothing new at the root (one page: it stops at the first event it saw); kids 1-5
    cfn.add_response("describe_stacks", stacks(stack("CREATE_IN_PROGRESS")), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(start, *kid_events), {"StackName": STACK_ID})
    for arn in kids[:5]:
        cfn.add_response("describe_stack_events", events(self_event("CREATE_IN_PROGRESS", t=2, stack_id=arn)),
                         {"StackName": arn})
    # poll 3: kid 1 finished (the root's event says so); kids 6, 7 (never read), then 1, 2, 3
    cfn.add_response("describe_stacks", stacks(stack("CREATE_IN_PROGRESS")), {"StackName": STACK_ID})
    kid1_done = event("NodegroupNg1Stack", "CREATE_COMPLETE", t=9, rtype=STACK_TYPE, physical=kids[0])
    cfn.add_response("describe_stack_events", events(kid1_done, start, *kid_events), {"StackName": STACK_ID})
    for arn in (kids[5], kids[6], kids[0], kids[1], kids[2]):
        status = "CREATE_COMPLETE" if arn == kids[0] else "CREATE_IN_PROGRESS"
        cfn.add_response("describe_stack_events", events(self_event(status, t=8, stack_id=arn)), {"StackName": arn})
    # poll 4: the root is done; kid 1 is no longer read; kids 4, 5 (read at poll 2), then 2, 3, 6 (poll 3)
    cfn.add_response("describe_stacks", stacks(stack("CREATE_COMPLETE")), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(self_event("CREATE_COMPLETE", t=20), kid1_done, start,
                                                     *kid_events), {"StackName": STACK_ID})
    for arn in (kids[3], kids[4], kids[1], kids[2], kids[5]):
        cfn.add_response("describe_stack_events", events(self_event("CREATE_IN_PROGRESS", t=2, stack_id=arn)),
                         {"StackName": arn})
    watcher = Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=make_ui(),
                      timing=FakeClock().timing(poll=5))
    watcher.mark_existing()
    assert watcher.run().ok
    stubs.verify()  # the calls above, in that order, and no other


def test_events_are_paged_only_back_to_the_last_one_seen() -> None:
    """A first read pages back to the operation's start; later reads stop on the page
    that holds an event already seen (no NextToken is followed)."""
    stubs = Stubs()
    cfn = stubs.cfn
    old = self_event("UPDATE_COMPLETE", t=-100)
    cfn.add_response("describe_stack_events", events(old), {"StackName": STACK_ID})  # mark_existing
    start = self_event("UPDATE_IN_PROGRESS", t=1, reason="User Initiated")
    first = [event(f"R{i}", "UPDATE_IN_PROGRESS", t=1 + i) for i in range(1, 4)]
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_IN_PROGRESS")), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(*first, token="page-2"), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(start, old), {"StackName": STACK_ID, "NextToken": "page-2"})
    later = event("R1", "UPDATE_COMPLETE", t=10)
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_COMPLETE")), {"StackName": STACK_ID})
    cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=11), later, *first,
                                                     token="page-2"), {"StackName": STACK_ID})
    ui = make_ui()
    watcher = Watcher(stubs.aws.client("cloudformation"), STACK_ID, STACK, ui=ui, timing=FakeClock().timing())
    watcher.mark_existing()
    assert watcher.run().ok
    stubs.verify()  # page 2 was asked for once
    shown = [line for line in output(ui).splitlines() if "  R1  " in line]
    assert [line.rsplit(" ", 1)[-1] for line in shown] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]
