"""Deploy and plan: render + lint, settle the stack's state, package, decide the
parameters, skip when nothing changed, and run one change set (show, confirm,
execute, watch, report). ``scale`` reuses :func:`run_change_set`.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eks_templates import interrupts
from eks_templates.config.model import ClusterConfig
from eks_templates.deploy import (
    addon_config,
    aws_errors,
    changeset,
    digest,
    in_flight,
    layout,
    package,
    policy,
    preflight,
    replacement,
)
from eks_templates.deploy.changeset import ChangeSetRef, NoChanges
from eks_templates.deploy.outputs import format_outputs, stack_outputs
from eks_templates.deploy.params import (
    ParamChoice,
    deploy_choices,
    live_parameters,
    template_dict,
    unchanged,
)
from eks_templates.deploy.plan_view import format_plan, replacements
from eks_templates.deploy.session import Aws
from eks_templates.deploy.stack_state import Kind, StackState, after_failure, classify, describe_stack
from eks_templates.deploy.ui import Timing, Ui
from eks_templates.deploy.watch import Watcher, WatchResult, clock_text, failure_reasons
from eks_templates.errors import DeployFailed, UserError
from eks_templates.names import CONTROL_PLANE_STACK, STACK_TAG_CLUSTER, nodegroup_scaling_parameter
from eks_templates.render import RenderedSet


@dataclass
class Options:
    yes: bool = False
    no_execute: bool = False
    allow_replacement: bool = False
    recreate_failed: bool = False
    #: an operation already running: watch it to the end (True) or refuse (False)
    wait: bool = True
    #: how to run this again (printed after Ctrl-C), e.g. "eks-templates deploy myeks" (program.command)
    resume_command: str = ""
    #: plan --diagram: draw the change set's effect here (eks_templates.diagram.changes)
    diagram: Path | None = None
    #: an upgrade goes ahead past upgrade insights in ERROR (the cluster's Force)
    force: bool = False
    #: the stack file as the command line named it (for commands printed to the user)
    stack_arg: str = ""


def _utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


@dataclass
class Context:
    aws: Aws
    ui: Ui = field(default_factory=Ui.from_terminal)
    timing: Timing = field(default_factory=Timing)
    now: Callable[[], _dt.datetime] = _utcnow

    @property
    def cfn(self) -> Any:
        return self.aws.client("cloudformation")


@dataclass
class Request:
    """One change set to make and (maybe) execute."""

    stack_name: str
    change_set_type: str  # CREATE | UPDATE
    template_args: dict[str, Any]
    choices: Sequence[ParamChoice]
    live: dict[str, str]
    tags: list[dict[str, str]] | None = None
    #: the change set creates the stack: discarding it deletes the empty stack too
    new_stack: bool = False
    description: str = ""
    extra_plan_lines: Sequence[str] = ()
    #: the templates the change set is made from, by change-set label (``myeks``,
    #: ``myeks/NodegroupNgStack``): which replaced resources keep a custom name
    templates: Mapping[str, Mapping[str, Any]] | None = None
    #: what this run changed outside the stack before the change set (the template
    #: bucket created, templates uploaded): ``plan`` says so instead of "nothing was changed"
    made_before: Sequence[str] = ()
    #: CreateChangeSet's DeploymentMode (``REVERT_DRIFT``: drift --revert)
    deployment_mode: str | None = None
    #: the change set changes the templates (a deploy): the stack policies are set
    #: once it has settled, the root marked as not yet protected before it runs
    #: (deploy/policy.py); a scale (same templates) leaves them alone
    sets_policy: bool = False


# --------------------------------------------------------------------------- small pieces


def stack_tags(cfg: ClusterConfig) -> list[dict[str, str]]:
    """Stack tags: ``metadata.tags`` plus ``deploy.tags`` (which win on a clash), plus
    :data:`~eks_templates.names.STACK_TAG_CLUSTER` (the cluster's name: how ``get
    clusters`` finds the stack; the stack file may not set that key)."""
    merged = {**cfg.metadata.tags, **cfg.deploy.tags, STACK_TAG_CLUSTER: cfg.metadata.name}
    return [{"Key": k, "Value": v} for k, v in sorted(merged.items())]


def scaling_keys(cfg: ClusterConfig) -> list[str]:
    return [nodegroup_scaling_parameter(ng.name) for ng in cfg.managed_node_groups]


def _live_tags(stack: dict[str, Any] | None) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in (stack or {}).get("Tags") or []}


def deployed_template(cfn: Any, stack: str) -> dict[str, Any] | None:
    body = cfn.get_template(StackName=stack, TemplateStage="Original").get("TemplateBody")
    return template_dict(body)


def templates_by_label(stack_name: str, rendered: RenderedSet) -> dict[str, dict[str, Any]]:
    """The rendered templates under the labels the change-set view gives them: the
    root as ``stack_name``, each child stack as ``stack_name/<its logical ID>`` with the
    file its ``TemplateURL`` names (nodegroups of one shape share a file)."""
    from eks_templates.nesting import by_stack

    root = template_dict(rendered.files[rendered.root])
    if root is None:
        return {}
    out: dict[str, dict[str, Any]] = {stack_name: root}
    parsed: dict[str, dict[str, Any] | None] = {}
    for stack_id, (file_name, text) in by_stack(rendered.files, rendered.root, root).items():
        if file_name not in parsed:
            parsed[file_name] = template_dict(text)
        template = parsed[file_name]
        if template is not None:
            out[f"{stack_name}/{stack_id}"] = template
    return out


def render_and_lint(cfg: ClusterConfig, rendered: RenderedSet | None = None) -> RenderedSet:
    from eks_templates.lint import lint_set
    from eks_templates.render import render_set

    if rendered is None:
        rendered = render_set(cfg, fmt="json")
    findings = lint_set(rendered, region=cfg.metadata.region)
    if findings:
        raise UserError(
            f"lint found {len(findings)} problem(s); nothing was deployed",
            messages=[str(f) for f in findings] + [f"lint found {len(findings)} problem(s); nothing was deployed"],
        )
    return rendered


# --------------------------------------------------------------------------- watching


def watch(ctx: Context, watcher: Watcher, opts: Options, *, relaxed: bool = False) -> WatchResult:
    """Run the watcher; on Ctrl-C say that the stack keeps going and how to resume."""
    try:
        return watcher.run()
    except KeyboardInterrupt:
        ui = ctx.ui
        ui.out.write("\n")
        ui.note(f"Stopped watching. {watcher.root.label} keeps changing in CloudFormation; nothing was cancelled.")
        if opts.resume_command:
            ui.note(f"Run `{opts.resume_command}` again to resume watching it.")
        ui.note(f"Or: aws cloudformation describe-stack-events --stack-name {watcher.root.stack_id}")
        if relaxed:
            ui.note("Its stack policy still allows replacements; the next deploy puts the protective policy back.")
        raise


def report_failure(ctx: Context, result: WatchResult, stack_id: str, label: str, what: str) -> DeployFailed:
    if result.timed_out:
        return DeployFailed(
            f"{label} is still {result.status} after {clock_text(result.elapsed)}; it keeps running in "
            "CloudFormation. Run the same command again to resume watching it"
        )
    reasons = failure_reasons(ctx.cfn, stack_id, label, since=result.since)
    lines = [f"{what} of {label} failed: the stack is {result.status}"]
    if reasons:
        lines.append("because:")
        lines += [f"  {r}" for r in reasons]
    return DeployFailed(lines[0], messages=lines)


def settle(ctx: Context, name: str, opts: Options, *, mode: str, cluster_name: str | None = None) -> StackState:
    """The stack's state once nothing else is running on it; ``mode`` is ``deploy``,
    ``plan`` or ``scale``. Watches a running operation to its end (``deploy``/``scale``,
    unless ``--no-wait``), deletes a failed first create with ``--recreate-failed``,
    and refuses every state a change set cannot start from, with the reason."""
    cfn = ctx.cfn
    for _ in range(4):
        state = classify(name, describe_stack(cfn, name))
        if state.kind in (Kind.CREATE, Kind.UPDATE):
            if state.exists and state.stack_id:
                in_flight.refuse_if_busy(cfn, state.stack_id, name)  # another run's change set
            return state
        assert state.stack_id is not None
        if state.kind is Kind.IN_PROGRESS:
            if mode == "plan" or not opts.wait:
                raise UserError(f"{state.reason}; run deploy to watch it to the end, or try again when it is done")
            watcher = Watcher(cfn, state.stack_id, name, ui=ctx.ui, timing=ctx.timing)
            watcher.resume()
            result = watch(ctx, watcher, opts)
            if result.timed_out:
                raise UserError(f"{name} is still {result.status} after {clock_text(result.elapsed)}; "
                                "try again when the running operation is done")
            if not result.ok:
                failure = report_failure(ctx, result, state.stack_id, name, "the operation that was running")
                after = classify(name, describe_stack(cfn, name))
                hint = [after.reason] if after.kind not in (Kind.CREATE, Kind.UPDATE) else [
                    "fix the cause and run the command again"]
                raise DeployFailed(failure.messages[0], messages=failure.messages + hint)
            ctx.ui.say(f"{name}: the running operation ended {result.status}")
            continue
        if state.kind is Kind.FAILED_CREATE and mode == "deploy" and opts.recreate_failed:
            ctx.ui.say(f"{name} is {state.status}: deleting it first (--recreate-failed)")
            if state.stack and cluster_name:
                from eks_templates.deploy import protection

                if state.status in protection.NOT_UPDATABLE:  # a protected cluster the rollback could not delete
                    protection.turn_off_directly(ctx, cluster_name, state.stack)
            if state.stack and state.stack.get("EnableTerminationProtection"):
                policy.set_termination_protection(cfn, state.stack_id, False, ctx.ui, label=name)
            watcher = Watcher(cfn, state.stack_id, name, ui=ctx.ui, timing=ctx.timing)
            watcher.mark_existing()
            cfn.delete_stack(StackName=state.stack_id)
            result = watch(ctx, watcher, opts)
            if not result.ok:
                raise report_failure(ctx, result, state.stack_id, name, "deleting the failed stack")
            continue
        raise UserError(state.reason)
    raise UserError(f"stack {name} keeps changing state; try again later")


# --------------------------------------------------------------------------- one change set


def discard(ctx: Context, ref: ChangeSetRef, req: Request) -> None:
    changeset.delete(ctx.cfn, ref)
    if req.new_stack and not in_flight.change_sets(ctx.cfn, ref.stack_id):
        ctx.cfn.delete_stack(StackName=ref.stack_id)  # the empty REVIEW_IN_PROGRESS stack it made


def _no_changes(ctx: Context, req: Request, reason: str, on_no_change: Callable[[], None] | None) -> int:
    ctx.ui.say(f"No changes: {req.stack_name} already matches ({reason.strip().rstrip('.')}).")
    if on_no_change:
        on_no_change()
    return 0


def _interrupted_before_execute(ctx: Context, ref: ChangeSetRef, req: Request) -> None:
    """Ctrl-C before executing: delete the change set (and the empty stack it made), and
    say so; if that fails, name it and how to delete it."""
    with interrupts.held():  # a second Ctrl-C must not cut the clean-up short
        try:
            discard(ctx, ref, req)
        except Exception as exc:
            ctx.ui.note(f"Interrupted before executing; nothing was executed, but change set {ref.name} could not "
                        f"be deleted ({type(exc).__name__}): aws cloudformation delete-change-set "
                        f"--change-set-name {ref.arn}")
            return
    ctx.ui.note(f"Interrupted before executing; change set {ref.name} deleted, nothing was changed.")


def _review(ctx: Context, ref: ChangeSetRef, req: Request, opts: Options, *, plan_only: bool) -> int | None:
    """Wait for the change set, show it, and decide: an exit status when it ends here
    (plan, --no-execute), None to execute it. Raises NoChanges, UserError (declined,
    refused replacement) or DeployFailed, each after deleting the change set."""
    cfn = ctx.cfn
    ui = ctx.ui
    try:
        changeset.wait(cfn, ref, ctx.timing)
    except NoChanges:
        if req.new_stack:
            cfn.delete_stack(StackName=ref.stack_id)
        raise
    except DeployFailed:
        discard(ctx, ref, req)
        raise

    view = changeset.describe(cfn, ref.arn, req.stack_name)
    ui.say(format_plan(view, change_set_type=req.change_set_type, choices=req.choices, live=req.live,
                       extra=req.extra_plan_lines))
    ui.say()
    if opts.diagram is not None and req.templates is not None:
        from eks_templates.diagram.changes import write_plan_diagram

        try:
            write_plan_diagram(cfn, view, req.stack_name, req.templates, opts.diagram, ui.say,
                               create=req.change_set_type == "CREATE", region=ctx.aws.region)
        except UserError:  # the file cannot be written (a full disk): the change set is not left behind
            discard(ctx, ref, req)
            raise
    impossible = replacement.blocked(view, req.templates)
    if impossible:
        discard(ctx, ref, req)
        lines = replacement.refusal_lines(impossible)
        raise UserError(lines[0], messages=lines)
    if plan_only:
        discard(ctx, ref, req)
        if req.made_before:
            ui.say(f"Plan only: the change set was deleted; the stack {req.stack_name} was not changed.")
            ui.say(f"Kept for the deploy: {'; '.join(req.made_before)}.")
        else:
            ui.say("Plan only: the change set was deleted; nothing was changed.")
        return 0
    if opts.no_execute:
        ui.say(f"Change set kept for review (nothing was changed): {ref.name}")
        ui.say(f"  ARN:      {ref.arn}")
        ui.say(f"  execute:  aws cloudformation execute-change-set --change-set-name {ref.arn}")
        ui.say(f"  discard:  aws cloudformation delete-change-set --change-set-name {ref.arn}")
        return 0
    protected = [r for r in replacements(view) if r.resource_type in policy.PROTECTED_TYPES]
    if protected and not opts.allow_replacement:
        discard(ctx, ref, req)
        raise UserError(
            "this change would replace the cluster or a nodegroup; nothing was changed",
            messages=["this change would replace the cluster or a nodegroup (deleted and created again):"]
            + [str(r).strip() for r in protected]
            + ["re-run with --allow-replacement if that is what you want; nothing was changed"],
        )
    try:
        ui.confirm(f"Execute change set {ref.name} on {req.stack_name}?", yes=opts.yes,
                   refuse_hint="pass --yes to execute without a prompt, or --no-execute to keep the change set")
    except UserError:
        discard(ctx, ref, req)
        raise

    return None


def run_change_set(
    ctx: Context,
    req: Request,
    opts: Options,
    *,
    plan_only: bool = False,
    on_success: Callable[[str], None] | None = None,
    on_no_change: Callable[[], None] | None = None,
) -> int:
    """Create, wait, describe and show the change set; then delete it (plan), keep it
    (``--no-execute``) or confirm, execute and watch it. Returns the exit status or
    raises UserError (2) / DeployFailed (1)."""
    cfn = ctx.cfn
    ui = ctx.ui
    interrupts.checkpoint()  # a Ctrl-C so far (lint, upload): nothing is made
    try:
        with interrupts.held():  # once AWS has made it, we must know its name to delete it
            ref = changeset.create(
                cfn, stack_name=req.stack_name, name=changeset.change_set_name(ctx.now()),
                change_set_type=req.change_set_type, parameters=req.choices,
                template_args=req.template_args, tags=req.tags, description=req.description,
                deployment_mode=req.deployment_mode,
            )
    except NoChanges as exc:
        return _no_changes(ctx, req, str(exc), on_no_change)
    try:
        interrupts.checkpoint()
        try:
            in_flight.refuse_if_not_first(cfn, ref)  # two runs that both got here: the older goes on
        except UserError:
            changeset.delete(cfn, ref)  # only ours: the stack is the other run's too
            raise
        ended = _review(ctx, ref, req, opts, plan_only=plan_only)
        if ended is None:
            interrupts.checkpoint()  # the last moment a Ctrl-C stops it with nothing changed
    except NoChanges as exc:
        return _no_changes(ctx, req, str(exc), on_no_change)
    except KeyboardInterrupt:
        _interrupted_before_execute(ctx, ref, req)
        raise
    if ended is not None:
        return ended

    relaxed = bool(opts.allow_replacement and not req.new_stack)
    root_template = (req.templates or {}).get(req.stack_name)
    watcher = Watcher(cfn, ref.stack_id, req.stack_name, ui=ui, timing=ctx.timing)
    from botocore.exceptions import ClientError

    # From here a Ctrl-C is acted on when the execute call has answered: the watch then
    # stops and says how to resume (a lost answer would leave us not knowing what runs).
    with interrupts.held():
        if relaxed:
            policy.relax(cfn, ref.stack_id, ui)
        elif req.sets_policy and not req.new_stack:  # a new stack has no policy: not protected yet
            policy.mark_pending(cfn, ref.stack_id, root_template)
        watcher.mark_existing()
        ui.say(f"Executing {ref.name} on {req.stack_name} ...")
        try:
            # the token makes a retried call (botocore retries 5xx) a no-op, not a second execution
            cfn.execute_change_set(ChangeSetName=ref.arn, ClientRequestToken=ref.name)
        except ClientError as exc:
            if relaxed:
                policy.protect(cfn, ref.stack_id, ui)
            known = aws_errors.known(exc)
            if known is not None:
                raise known from None
            message = exc.response.get("Error", {}).get("Message", str(exc))
            raise DeployFailed(f"executing change set {ref.name} failed: {message}") from None
    result = watch(ctx, watcher, opts, relaxed=relaxed)
    if (relaxed and not result.timed_out) or (req.sets_policy and result.ok):
        policy.protect(cfn, ref.stack_id, ui)
    if not result.ok:
        failure = report_failure(ctx, result, ref.stack_id, req.stack_name, req.change_set_type.lower())
        if result.timed_out:
            raise failure
        hint = after_failure(req.stack_name, result.status)
        raise DeployFailed(failure.messages[0], messages=[*failure.messages, hint])
    ui.say(f"{req.stack_name}: {result.status} in {clock_text(result.elapsed)}")
    if on_success:
        on_success(ref.stack_id)
    return 0


# --------------------------------------------------------------------------- deploy / plan


def finish(ctx: Context, cfg: ClusterConfig, stack: str | dict[str, Any], *, show_outputs: bool = True,
           executed: bool = True) -> None:
    """After a successful deploy (or one with nothing to do): termination protection
    as the file says, the stack policies, and the outputs. ``stack`` is its name or ID
    (described again), or the description in hand. ``executed``: a change set ran and
    set the policies (run_change_set); otherwise one read of the root's policy checks
    that the last one that ran finished setting them (policy.ensure_protected)."""
    cfn = ctx.cfn
    described = describe_stack(cfn, stack) if isinstance(stack, str) else stack
    if described is None:
        return
    want = cfg.deploy.termination_protection
    if bool(described.get("EnableTerminationProtection")) != want:
        policy.set_termination_protection(cfn, str(described["StackId"]), want, ctx.ui,
                                         label=str(described["StackName"]))
    if not executed:
        policy.ensure_protected(cfn, str(described["StackId"]), ctx.ui)
    if show_outputs:
        ctx.ui.say(format_outputs(str(described["StackName"]), str(described["StackStatus"]), ctx.aws.region,
                                  stack_outputs(described)))


def _stack_account(ctx: Context, stack: Mapping[str, Any] | None) -> str:
    """The account a deployed stack is in: its ARN's (no call), else the caller's."""
    stack_id = str((stack or {}).get("StackId") or "")
    if stack_id.startswith("arn:") and stack_id.count(":") >= 5:
        return stack_id.split(":")[4]
    return ctx.aws.account_id()


def _bucket(ctx: Context, cfg: ClusterConfig, account: str) -> str:
    """The templates' bucket: the file's, else the default one of ``account`` and the region."""
    return cfg.deploy.bucket or package.default_bucket(account, ctx.aws.region)


def _package(ctx: Context, cfg: ClusterConfig, rendered: RenderedSet, account: str) -> package.Package:
    aws = ctx.aws
    endpoint = aws.s3_endpoint_override()
    return package.plan_package(
        rendered, bucket=_bucket(ctx, cfg, account), prefix=cfg.template_prefix,
        url_for=lambda b, k: package.object_url(b, k, region=aws.region, dns_suffix=aws.dns_suffix,
                                                endpoint=endpoint),
    )


def _say_unchanged(ctx: Context, name: str, rendered: RenderedSet, pkg: package.Package,
                   choices: Iterable[ParamChoice] = ()) -> None:
    """"No changes", and each parameter the stack keeps although the file says otherwise
    (a nodegroup's size set by ``scale``): the file is not what is deployed there."""
    ctx.ui.say(f"No changes: {name} already matches {rendered.stack_name}'s templates "
               f"({len(pkg.children)} nested template(s) unchanged); nothing uploaded, no change set made.")
    for choice in choices:
        if choice.note:
            ctx.ui.say(f"  {choice.key}: {choice.note}")


def _unchanged_by_digest(ctx: Context, cfg: ClusterConfig, rendered: RenderedSet, state: StackState, *,
                         plan_only: bool) -> bool:
    """A deployed stack whose recorded digest (deploy/digest.py) is the packaged set's,
    with the same parameters and tags: say so, finish, and return True. Costs no call
    beyond the DescribeStacks that found the stack (the account for the default bucket
    is the stack ARN's), and one GetStackPolicy in :func:`finish`; the nested stacks
    are not walked, however many there are."""
    stack = state.stack
    recorded = digest.recorded(stack)
    if stack is None or recorded is None:
        return False
    pkg = _package(ctx, cfg, rendered, _stack_account(ctx, stack))
    if pkg.digest != recorded:
        return False
    new_root = json.loads(pkg.root_text)
    live = live_parameters(stack)
    # the recorded digest is the deployed root's: its Defaults are the new root's
    choices = deploy_choices(new_root, scaling_keys=scaling_keys(cfg), deployed_root=new_root, live=live)
    if not unchanged(choices, live) or _live_tags(stack) != {t["Key"]: t["Value"] for t in stack_tags(cfg)}:
        return False
    _say_unchanged(ctx, cfg.stack_name, rendered, pkg, choices)
    if not plan_only:
        finish(ctx, cfg, stack, executed=False)
    return True


def _control_plane_profiles(ctx: Context, cfg: ClusterConfig, state: StackState,
                            deployed: dict[str, Any] | None) -> list[str]:
    """The Fargate profiles the deployed ControlPlaneStack holds (its template, one S3 read;
    the cluster's profiles when that template is gone): deploy/layout.py."""
    bucket = _bucket(ctx, cfg, _stack_account(ctx, state.stack))
    child = layout.deployed_child_template(ctx.aws.client("s3"), bucket, cfg.template_prefix, deployed,
                                           CONTROL_PLANE_STACK)
    if child is not None:
        return layout.held_fargate_profiles(child)
    return layout.live_fargate_profiles(ctx.aws.client("eks"), cfg.metadata.name)


def deploy(ctx: Context, cfg: ClusterConfig, opts: Options, *, plan_only: bool = False,
           rendered: RenderedSet | None = None) -> int:
    """``deploy`` (and, with ``plan_only``, ``plan``) of the stack file ``cfg``.

    ``rendered`` replaces the render of ``cfg`` (a library caller's own set); it is
    linted all the same."""
    ui = ctx.ui
    name = cfg.stack_name
    rendered_by_caller = rendered
    rendered = render_and_lint(cfg, rendered)
    state = settle(ctx, name, opts, mode="plan" if plan_only else "deploy", cluster_name=cfg.metadata.name)
    updating = state.kind is Kind.UPDATE
    if updating and state.stack:  # drift found since the last deploy (deploy/drift_status.py)
        from eks_templates.deploy.drift_status import mention

        for line in mention(ctx.cfn, state.stack, opts.stack_arg or name):
            ui.say(line)
    if updating and _unchanged_by_digest(ctx, cfg, rendered, state, plan_only=plan_only):
        return 0  # the recorded digest is the rendered set's: the layout is the deployed one
    deployed = deployed_template(ctx.cfn, name) if updating else None
    # resources moving between child stacks would be created again: refuse (deploy/layout.py)
    layout.refuse_other_layout(
        name, deployed, template_dict(rendered.files[rendered.root]) or {},
        fargate_profiles=[profile.name for profile in cfg.fargate_profiles],
        live_profiles=lambda: _control_plane_profiles(ctx, cfg, state, deployed))
    if rendered_by_caller is None and state.kind is Kind.UPDATE:
        # a newer metadata.version than the live cluster's: ordered steps (deploy/upgrade.py)
        from eks_templates.deploy import upgrade

        steps = upgrade.plan(ctx, cfg, force=opts.force)
        if steps is not None:
            return upgrade.run(ctx, cfg, opts, steps, plan_only=plan_only)
    aws = ctx.aws

    pkg = _package(ctx, cfg, rendered, aws.account_id())
    bucket = pkg.bucket
    new_root = json.loads(pkg.root_text)
    live = live_parameters(state.stack) if updating else {}
    choices = deploy_choices(new_root, scaling_keys=scaling_keys(cfg), deployed_root=deployed, live=live)
    tags = stack_tags(cfg)

    if updating and deployed == new_root and unchanged(choices, live) and \
            _live_tags(state.stack) == {t["Key"]: t["Value"] for t in tags}:
        _say_unchanged(ctx, name, rendered, pkg, choices)
        if not plan_only:
            finish(ctx, cfg, name, executed=False)
        return 0

    addon_config.check(aws, cfg, ui=ui)
    live_cluster = preflight.check_cluster_name(aws, cfg, stack_id=state.stack_id if updating else None, ui=ui)
    preflight.check_log_groups(aws, cfg, rendered, stack_id=state.stack_id if updating else None, ui=ui,
                               live_cluster=live_cluster)
    s3 = aws.client("s3")
    owner = aws.account_id()
    created = package.ensure_bucket(s3, bucket, region=aws.region, create=cfg.deploy.bucket is None, owner=owner,
                                    say=ui.say)
    uploaded = package.upload(s3, pkg, owner=owner, say=ui.say)
    made_before = [f"created the S3 bucket {bucket}"] if created else []
    if uploaded:
        made_before.append(f"uploaded {len(uploaded)} template(s) to s3://{bucket}/{cfg.template_prefix}/")
    ui.say(f"Templates: {len(pkg.artifacts)} in s3://{bucket}/{cfg.template_prefix}/ "
           f"({len(uploaded)} uploaded, {len(pkg.artifacts) - len(uploaded)} unchanged); root sent as "
           f"{'TemplateURL' if pkg.root_artifact else 'TemplateBody'}")

    req = Request(
        stack_name=name,
        change_set_type="UPDATE" if updating else "CREATE",
        template_args=pkg.template_args,
        choices=choices,
        live=live,
        tags=tags,
        new_stack=state.stack is None,
        description=f"eks_templates deploy of {name}",
        templates=templates_by_label(name, rendered),
        made_before=tuple(made_before),
        sets_policy=True,
    )
    return run_change_set(
        ctx, req, opts, plan_only=plan_only,
        on_success=lambda stack_id: finish(ctx, cfg, stack_id),
        on_no_change=None if plan_only else (lambda: finish(ctx, cfg, name, executed=False)),
    )
