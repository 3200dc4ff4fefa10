"""``scale``: a nodegroup's size through a change set on the deployed templates.

Only the nodegroup's root scaling parameter changes (``UsePreviousTemplate``, every
other parameter ``UsePreviousValue``; nothing is rendered or uploaded). A later
``deploy`` of an unchanged stack file keeps the new size (see
:mod:`eks_templates.deploy.params`); editing the file's sizes wins again.
"""

from __future__ import annotations

from eks_templates.config.model import ClusterConfig
from eks_templates.deploy.flow import Context, Options, Request, run_change_set, settle
from eks_templates.deploy.params import live_parameters, scale_choices
from eks_templates.deploy.stack_state import Kind
from eks_templates.errors import UserError
from eks_templates.names import format_scaling, nodegroup_scaling_parameter, parse_scaling


def new_size(current: tuple[int, int, int], nodes: int, minimum: int | None, maximum: int | None
             ) -> tuple[int, int, int]:
    """(desired, min, max) after ``--nodes N [--min] [--max]``, checked like EKS does."""
    new_min = current[1] if minimum is None else minimum
    new_max = current[2] if maximum is None else maximum
    problems = []
    if nodes < 0:
        problems.append(f"--nodes must be 0 or more, not {nodes}")
    if new_min < 0:
        problems.append(f"--min must be 0 or more, not {new_min}")
    if new_max < 1:
        problems.append(f"--max must be at least 1 (EKS requires it), not {new_max}")
    if new_min > new_max:
        problems.append(f"min {new_min} is above max {new_max}")
    if not problems and nodes < new_min:
        problems.append(f"--nodes {nodes} is below the minimum size {new_min}; add --min {nodes}")
    if not problems and nodes > new_max:
        problems.append(f"--nodes {nodes} is above the maximum size {new_max}; add --max {nodes}")
    if problems:
        raise UserError(problems[0], messages=problems)
    return nodes, new_min, new_max


def scale(ctx: Context, cfg: ClusterConfig, nodegroup: str, nodes: int, opts: Options, *,
          minimum: int | None = None, maximum: int | None = None) -> int:
    name = cfg.stack_name
    ui = ctx.ui
    state = settle(ctx, name, opts, mode="scale")
    if state.kind is not Kind.UPDATE:
        raise UserError(f"stack {name} is not deployed in {ctx.aws.region}; deploy it first")
    key = nodegroup_scaling_parameter(nodegroup)
    # the stack's parameters are its template's (DescribeStacks has them): no GetTemplate
    # of a root that grows with the nodegroups
    live = live_parameters(state.stack)
    if key not in live:
        deployed = [ng.name for ng in cfg.managed_node_groups if nodegroup_scaling_parameter(ng.name) in live]
        others = ", ".join(deployed) if deployed else "none of the stack file's nodegroups"
        raise UserError(f"nodegroup {nodegroup} is not in the deployed stack {name} (root parameter {key}); "
                        f"deployed: {others}")
    try:
        current = parse_scaling(live[key])
    except ValueError as exc:
        raise UserError(f"{name}: parameter {key} has an unexpected value: {exc}") from None
    target = new_size(current, nodes, minimum, maximum)
    if target == current:
        ui.say(f"{nodegroup} already has desired {target[0]}, min {target[1]}, max {target[2]}; nothing to do.")
        return 0

    in_file = next((ng for ng in cfg.managed_node_groups if ng.name == nodegroup), None)
    extra = []
    if in_file is not None:
        file_value = format_scaling(in_file.desired_capacity, in_file.min_size, in_file.max_size)
        if file_value != format_scaling(*target):
            extra = ["", f"Note: the stack file says {nodegroup} is {file_value} (desired,min,max). A deploy of "
                         "the unchanged file keeps this new size; editing those numbers in the file changes it."]
    req = Request(
        stack_name=name,
        change_set_type="UPDATE",
        template_args={"UsePreviousTemplate": True},
        choices=scale_choices(live, key, format_scaling(*target)),
        live=live,
        tags=None,  # unchanged
        description=f"eks_templates scale {nodegroup} to {format_scaling(*target)}",
        extra_plan_lines=extra,
    )

    # the templates stay as they are, so do the stack policies (deploy/policy.py)
    def done(stack_id: str) -> None:
        ui.say(f"{nodegroup}: desired {target[0]}, min {target[1]}, max {target[2]}")

    return run_change_set(ctx, req, opts, on_success=done)
