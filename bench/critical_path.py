#!/usr/bin/env python3
"""Model of a create's wall-clock: the rendered set's dependency graph, timed.

Every resource takes the typical creation time of its type (:data:`CREATION_TIMES`,
each with its public source, or "estimate" and why). Inside a template a resource
starts when every resource it names (``DependsOn``, ``Ref``, ``Fn::GetAtt``,
``Fn::Sub`` ``${X}``) is complete; a nested stack is a barrier: it starts when every
stack it names is complete, and it is complete when its last resource is, plus
CloudFormation's per-stack overhead (:data:`STACK_OVERHEAD`). No clock is read: the
result is a function of the templates and the table.

Three layouts of the same cluster:

- **ours**: the rendered nested set (``render_set``), as ``deploy`` creates it;
- **eksctl**: eksctl's layout rebuilt from our own graph (the flat template's
  resources and dependencies): its cluster stack (network, security groups, control
  plane: ``eksctl-<name>-cluster``), then one stack per nodegroup (``eksctl-<name>-
  nodegroup-<ng>``; its resources are those of the nodegroup stacks in
  ``../shared/reference/eksctl/pkg/cfn/builder/testdata/launch_template/``:
  ``SSH``, ``LaunchTemplate``, ``NodeInstanceRole``, ``ManagedNodeGroup``), and what
  eksctl does through the EKS API after those (add-ons, Pod Identity associations:
  no stack overhead and no waiting, so the comparison is generous to eksctl); each
  top-level stack pays the overhead once, there is no root. eksctl, not
  CloudFormation, starts the nodegroup stacks: each stack it waits for ends when its
  waiter notices it complete (:func:`client_lag` of :data:`EKSCTL_POLL`);
- **ours** ends the same way, when ``deploy``'s watch notices the root complete
  (:func:`client_lag` of :data:`OURS_POLL`); the nested stacks in between are started by
  CloudFormation;
- **floor**: the flat template's graph (every resource starts as soon as what it
  names exists, no nested-stack barrier) in one stack: the longest chain EKS itself
  imposes — what the control plane needs, the control plane, a nodegroup, the add-ons
  that need nodes.

Usage: ``python bench/critical_path.py [--overhead SECONDS]`` (prints markdown rows
with ratios). ``make critical-path`` runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from eks_templates.diff import references  # noqa: E402  (Ref, GetAtt, Sub; needs REPO on the path)
from eks_templates.schedule import earliest  # noqa: E402

STACK_TYPE = "AWS::CloudFormation::Stack"

#: Seconds CloudFormation adds per stack (accepting the create, starting the first
#: resource, noticing the last one complete and, for a nested stack, the parent
#: noticing the child complete). Estimate: AWS publishes no figure; stack events of
#: nested creates show the parent's ``CREATE_COMPLETE`` of a child some seconds after
#: the child's own. ``--overhead`` changes it; the rows at 0 and 30 s show how much the
#: comparison depends on it.
STACK_OVERHEAD = 15.0

#: Seconds between two polls of the client that waits for a stack. eksctl waits for each
#: of its stacks before it starts the next (``DoWaitUntilStackIsCreated`` in eksctl's
#: ``pkg/cfn/manager/waiters.go``) with the SDK's ``StackCreateCompleteWaiter``, which
#: polls ``DescribeStacks`` at least 30 s apart: CloudFormation's waiter model
#: (botocore ``data/cloudformation/2010-05-15/waiters-2.json``, ``StackCreateComplete``
#: ``delay`` 30) and aws-sdk-go-v2's ``StackCreateCompleteWaiterOptions.MinDelay``
#: (default 30 s; its delays then grow towards ``MaxDelay``, 120 s, with jitter).
EKSCTL_POLL = 30.0
#: ``deploy --poll``'s default: ours watches one root stack; CloudFormation itself starts
#: each nested stack when what it waits for is complete, with no client in between.
OURS_POLL = 5.0


#: What eksctl creates through the EKS API it waits for with the SDK's EKS waiters
#: (their delays: botocore ``data/eks/2017-11-01/waiters-2.json``): an add-on with
#: ``AddonActive`` (10 s; ``waitForAddonToBeActive`` in eksctl's
#: ``pkg/actions/addon/addon.go``), a Fargate profile with ``FargateProfileActive`` (10 s).
#: Other API calls (Pod Identity associations, access entries) answer synchronously.
EKSCTL_API_POLL: dict[str, float] = {"AWS::EKS::Addon": 10.0, "AWS::EKS::FargateProfile": 10.0}


def client_lag(poll: float) -> float:
    """Seconds from a stack's completion to a client polling every ``poll`` seconds
    noticing it: half a poll on average (the completion falls anywhere in the interval).
    For eksctl that is the least it can be: its delays grow past 30 s."""
    return poll / 2


@dataclass(frozen=True)
class Timing:
    seconds: float
    source: str


def _estimate(seconds: float, why: str) -> Timing:
    return Timing(seconds, f"estimate: {why}")


_API_CALL = "one synchronous API call; CloudFormation returns when the call does"

#: Typical creation time per resource type.
CREATION_TIMES: dict[str, Timing] = {
    "AWS::EKS::Cluster": Timing(
        750.0, "EKS API Reference, CreateCluster: \"Cluster creation typically takes between 10 and 15 minutes\" "
               "(midpoint); easontechtalk.com measured 834 s in ap-northeast-2 (2024)"),
    "AWS::EKS::Nodegroup": Timing(
        210.0, "EKS User Guide (IPv6 cluster tutorial, create-nodegroup): \"The node group takes a few minutes to "
               "create\"; alchemy.run EKS Nodegroup provider: CREATING -> ACTIVE ~2-5 min (midpoint)"),
    "AWS::EKS::FargateProfile": Timing(
        180.0, "EKS Workshop (Fargate, creating a profile): \"Creation of a Fargate profile can take up to several "
               "minutes\""),
    "AWS::EKS::Addon": _estimate(
        60.0, "no published figure; the add-on is ACTIVE when its pods are ready on existing nodes "
              "(terraform-aws-eks#1765 and terraform-aws-eks-blueprints#642 report much longer only when no node "
              "can run them)"),
    "AWS::EKS::AccessEntry": _estimate(5.0, _API_CALL),
    "AWS::EKS::PodIdentityAssociation": _estimate(5.0, _API_CALL),
    "AWS::EC2::NatGateway": Timing(
        90.0, "uptimescheduler.com, NAT gateway scheduling: a NAT gateway's re-creation \"typically completes in "
              "60-90 seconds\" (upper end)"),
    "AWS::EC2::Instance": _estimate(60.0, "RunInstances until CloudFormation sees the instance running"),
    "AWS::EC2::VPC": _estimate(5.0, _API_CALL),
    "AWS::EC2::Subnet": _estimate(5.0, _API_CALL),
    "AWS::EC2::InternetGateway": _estimate(5.0, _API_CALL),
    "AWS::EC2::VPCGatewayAttachment": _estimate(15.0, "AttachInternetGateway, then CloudFormation waits for it"),
    "AWS::EC2::EIP": _estimate(5.0, _API_CALL),
    "AWS::EC2::RouteTable": _estimate(5.0, _API_CALL),
    "AWS::EC2::Route": _estimate(5.0, _API_CALL),
    "AWS::EC2::SubnetRouteTableAssociation": _estimate(5.0, _API_CALL),
    "AWS::EC2::SecurityGroup": _estimate(5.0, _API_CALL),
    "AWS::EC2::SecurityGroupIngress": _estimate(5.0, _API_CALL),
    "AWS::EC2::SecurityGroupEgress": _estimate(5.0, _API_CALL),
    "AWS::EC2::LaunchTemplate": _estimate(5.0, _API_CALL),
    "AWS::EC2::KeyPair": _estimate(5.0, _API_CALL),
    "AWS::IAM::Role": Timing(
        10.0, "pulumi-eks#1819: aws:iam:Role created in 1-2 s through the API; CloudFormation's handler waits "
              "for IAM's propagation as well (estimate 10 s)"),
    "AWS::IAM::InstanceProfile": _estimate(
        60.0, "CloudFormation waits for the profile to propagate before it reports it complete"),
    "AWS::IAM::Policy": _estimate(10.0, "as an IAM role"),
    "AWS::IAM::ManagedPolicy": _estimate(10.0, "as an IAM role"),
    "AWS::IAM::OIDCProvider": _estimate(5.0, _API_CALL),
    "AWS::KMS::Key": _estimate(10.0, "CreateKey and PutKeyPolicy"),
    "AWS::Logs::LogGroup": _estimate(5.0, _API_CALL),
}
#: A type not in the table (an estimate, said so in the output)
DEFAULT_TIMING = _estimate(10.0, "type not in the table")


def creation_time(resource_type: str, table: Mapping[str, Timing] | None = None) -> float:
    return (table or CREATION_TIMES).get(resource_type, DEFAULT_TIMING).seconds


# --------------------------------------------------------------------------- the graph of one template


def dependencies(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Resource -> the resources of the same template it waits for (``DependsOn``, and
    ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` in its properties: :func:`eks_templates.diff.references`)."""
    resources = template.get("Resources") or {}
    out: dict[str, set[str]] = {}
    for lid, body in resources.items():
        depends = body.get("DependsOn") or []
        names = {depends} if isinstance(depends, str) else set(depends)
        names |= {name for name, _ in references(body.get("Properties") or {})}
        out[lid] = {n for n in names if n in resources and n != lid}
    return out


@dataclass
class Schedule:
    """When each resource finishes (seconds from the stack's start) and the chain to the last one."""

    finish: dict[str, float] = field(default_factory=dict)
    previous: dict[str, str | None] = field(default_factory=dict)
    #: seconds each resource itself takes (a nested stack: its whole create)
    took: dict[str, float] = field(default_factory=dict)

    @property
    def makespan(self) -> float:
        return max(self.finish.values(), default=0.0)

    def chain(self) -> list[str]:
        if not self.finish:
            return []
        last: str | None = max(self.finish, key=lambda lid: (self.finish[lid], lid))
        out = []
        while last is not None:
            out.append(last)
            last = self.previous[last]
        return out[::-1]


def schedule(deps: Mapping[str, set[str]], duration: Callable[[str], float]) -> Schedule:
    """Earliest finish of every resource: the latest finish of what it waits for, plus its
    own time (:func:`eks_templates.schedule.earliest`)."""
    result = Schedule()
    for lid, (_, finish, previous) in earliest(deps, duration).items():
        result.finish[lid], result.previous[lid], result.took[lid] = finish, previous, duration(lid)
    return result


# --------------------------------------------------------------------------- the three layouts


@dataclass
class Estimate:
    seconds: float
    #: the critical chain, outermost first: "ControlPlaneStack > ControlPlane", ...
    chain: list[str]


def nested_create(files: Mapping[str, str], root: str, *, overhead: float = STACK_OVERHEAD,
                  table: Mapping[str, Timing] | None = None, lag: float = 0.0) -> Estimate:
    """The create of a rendered nested set (file name -> template text; children by
    their relative ``TemplateURL``): the root stack's overhead plus its schedule, a
    child stack taking its overhead plus its own schedule; ``lag``: the client's, after
    the root completes."""

    def stack(name: str, prefix: str) -> tuple[float, list[str]]:
        template = json.loads(files[name])
        resources = template.get("Resources") or {}
        inner: dict[str, tuple[float, list[str]]] = {}
        for lid, body in resources.items():
            if body.get("Type") == STACK_TYPE:
                inner[lid] = stack(str(body["Properties"]["TemplateURL"]), f"{prefix}{lid} > ")

        def duration(lid: str) -> float:
            if lid in inner:
                return inner[lid][0]
            return creation_time(str(resources[lid].get("Type")), table)

        plan = schedule(dependencies(template), duration)
        chain: list[str] = []
        for lid in plan.chain():
            chain += inner[lid][1] if lid in inner else [f"{prefix}{lid}"]
        return overhead + plan.makespan, chain

    seconds, chain = stack(root, "")
    return Estimate(seconds + lag, chain)


def grouped_create(template: Mapping[str, Any], group_of: Mapping[str, str], overheads: Mapping[str, float],
                   *, table: Mapping[str, Timing] | None = None) -> Estimate:
    """The create of one template's resources split into top-level stacks (``group_of``:
    resource -> stack). A stack starts when every stack one of its resources waits for
    is complete; inside it, resources wait for each other as in the template; each
    stack pays ``overheads[stack]`` once."""
    resources = template.get("Resources") or {}
    deps = dependencies(template)
    groups: dict[str, list[str]] = {}
    for lid in resources:
        groups.setdefault(group_of[lid], []).append(lid)
    group_deps = {g: {group_of[d] for lid in members for d in deps[lid]} - {g} for g, members in groups.items()}
    inner = {g: schedule({lid: deps[lid] & set(members) for lid in members},
                         lambda lid: creation_time(str(resources[lid].get("Type")), table))
             for g, members in groups.items()}
    outer = schedule(group_deps, lambda g: overheads[g] + inner[g].makespan)
    chain = [f"{g} > {lid}" for g in outer.chain() for lid in inner[g].chain()]
    return Estimate(outer.makespan, chain)


def floor_create(flat_template: Mapping[str, Any], *, overhead: float = STACK_OVERHEAD,
                 table: Mapping[str, Timing] | None = None) -> Estimate:
    """Every resource in one stack: only the dependencies themselves order the create."""
    everything = {lid: "stack" for lid in flat_template.get("Resources") or {}}
    return grouped_create(flat_template, everything, {"stack": overhead}, table=table)


def eksctl_groups(config: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, float]]:
    """Our flat template and eksctl's layout of its resources: resource -> stack."""
    from eks_templates import assembly
    from eks_templates.builders import (
        ControlPlaneBuilder,
        FargateBuilder,
        NetworkBuilder,
        NodegroupBuilder,
        SecurityGroupsBuilder,
        cluster_builders,
    )

    builders = cluster_builders(config)
    template = assembly.flat(config, builders).to_dict()
    name = config.metadata.name
    group_of: dict[str, str] = {}
    overheads: dict[str, float] = {}
    for builder in builders:
        # eksctl creates the Fargate profiles through the EKS API after its cluster stack and
        # before its nodegroup stacks (eksctl-io/eksctl#2304, "Do Fargate setup before
        # nodegroup creation"). Counted in the cluster stack: its nodegroups wait for them
        # as they do, without the FargateProfileActive waiter's lag or the wait for the
        # stack's add-ons, which is generous to eksctl.
        if isinstance(builder, NetworkBuilder | SecurityGroupsBuilder | ControlPlaneBuilder | FargateBuilder):
            group, cost = f"eksctl-{name}-cluster", STACK_OVERHEAD
        elif isinstance(builder, NodegroupBuilder):
            group, cost = f"eksctl-{name}-nodegroup-{builder.nodegroup.name}", STACK_OVERHEAD
        else:  # add-ons, Pod Identity associations, the management host: API calls after the stacks
            group, cost = f"eksctl API calls: {builder.stack_id or type(builder).__name__}", 0.0
        for lid in builder.resources:
            group_of[lid] = group
        overheads[group] = cost
    return template, group_of, overheads


def eksctl_create(config: Any, *, overhead: float = STACK_OVERHEAD, table: Mapping[str, Timing] | None = None,
                  poll: float = 0.0, api_polls: Mapping[str, float] | None = None) -> Estimate:
    """eksctl's layout. ``poll``: eksctl's stack waiter, which notices each of its stacks
    complete :func:`client_lag` later (it starts what comes next only then);
    ``api_polls``: resource type -> the poll of the EKS waiter eksctl waits for it with."""
    template, group_of, costs = eksctl_groups(config)
    waits: dict[str, float] = {}
    for lid, group in group_of.items():
        type_poll = (api_polls or {}).get(str(template["Resources"][lid].get("Type")), 0.0)
        waits[group] = max(waits.get(group, 0.0), client_lag(type_poll))
    overheads = {g: (overhead + client_lag(poll) if cost else waits[g]) for g, cost in costs.items()}
    return grouped_create(template, group_of, overheads, table=table)


@dataclass
class Comparison:
    ours: Estimate
    eksctl: Estimate
    floor: Estimate

    @property
    def ours_over_floor(self) -> float:
        return self.ours.seconds / self.floor.seconds

    @property
    def ours_over_eksctl(self) -> float:
        return self.ours.seconds / self.eksctl.seconds


def compare(config: Any, *, overhead: float = STACK_OVERHEAD, plan: Any = None,
            table: Mapping[str, Timing] | None = None, ours_poll: float = OURS_POLL,
            eksctl_poll: float = EKSCTL_POLL) -> Comparison:
    """Ours (rendered with ``plan``, the default plan when None), eksctl's layout and the
    floor (no client: the longest chain EKS imposes, in one stack). ``eksctl_poll`` 0:
    eksctl waits for nothing (its stacks' waiter nor its API calls')."""
    from eks_templates import assembly
    from eks_templates.render import dumps

    kwargs = {} if plan is None else {"plan": plan}
    result = assembly.nested(config, **kwargs)
    files = {"root.json": dumps(result.root)}
    files |= {assembly.child_file_name(stack_id): dumps(child) for stack_id, child in result.children.items()}
    ours = nested_create(files, "root.json", overhead=overhead, table=table, lag=client_lag(ours_poll))
    flat = assembly.flat(config).to_dict()
    eksctl = eksctl_create(config, overhead=overhead, table=table, poll=eksctl_poll,
                           api_polls=EKSCTL_API_POLL if eksctl_poll else None)
    return Comparison(ours, eksctl,
                      floor_create(flat, overhead=overhead, table=table))


# --------------------------------------------------------------------------- the clusters it prints


def default_cluster(nodegroups: int = 1) -> Any:
    """The built-in default cluster (the notes' myeks); with ``nodegroups`` > 1, that many
    copies of its nodegroup (``ng-1``, ``ng-2``, ...)."""
    import yaml

    from eks_templates.config.loader import DEFAULT_SOURCE, default_text, parse_config

    if nodegroups == 1:
        return parse_config(default_text(), DEFAULT_SOURCE, on_warning=None)
    data = yaml.safe_load(default_text())
    first = data["managedNodeGroups"][0]
    data["managedNodeGroups"] = [{**first, "name": f"ng-{i + 1}"} for i in range(nodegroups)]
    return parse_config(yaml.safe_dump(data), f"{DEFAULT_SOURCE} with {nodegroups} nodegroups", on_warning=None)


def minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


HEADER = ["| cluster | ours | earlier layout | eksctl's layout | floor | ours / floor | ours / eksctl |",
          "| --- | --- | --- | --- | --- | --- | --- |"]


def rows(clusters: Iterable[tuple[str, Any]], overhead: float, *, suffix: str = "") -> list[str]:
    """One table row per cluster (no header: :data:`HEADER`)."""
    from eks_templates.stack_plan import ONE_PER_BUILDER

    out = []
    for label, config in clusters:
        now = compare(config, overhead=overhead)
        before = compare(config, overhead=overhead, plan=ONE_PER_BUILDER)
        out.append(f"| {label}{suffix} | {minutes(now.ours.seconds)} | {minutes(before.ours.seconds)} | "
                   f"{minutes(now.eksctl.seconds)} | {minutes(now.floor.seconds)} | "
                   f"{now.ours_over_floor:.3f} | {now.ours_over_eksctl:.3f} |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overhead", type=float, default=STACK_OVERHEAD,
                        help=f"seconds CloudFormation adds per stack (default {STACK_OVERHEAD:g}, an estimate)")
    parser.add_argument("--chains", action="store_true", help="print each layout's critical chain")
    args = parser.parse_args(argv)

    from eks_templates.config import load_stack

    base = default_cluster()
    clusters = [("default (myeks, 1 nodegroup)", base), ("myeks with 4 nodegroups", default_cluster(4))]
    clusters += [(f"stacks/{path.name}", load_stack(str(path), on_warning=None))
                 for path in sorted((REPO / "stacks").glob("*.yaml")) if path.stem != "myeks"]
    print(f"create wall-clock, modeled (per-stack overhead {args.overhead:g} s; client polls: ours "
          f"{OURS_POLL:g} s, eksctl's waiter {EKSCTL_POLL:g} s):")
    lines = HEADER + rows(clusters, args.overhead)
    for other in sorted({0.0, 30.0} - {args.overhead}):  # how much the comparison depends on the estimate
        lines += rows(clusters[:1], other, suffix=f", per-stack overhead {other:g} s")
    print("\n".join(lines))
    if args.chains:
        result = compare(base, overhead=args.overhead)
        for label, estimate in (("ours", result.ours), ("eksctl", result.eksctl), ("floor", result.floor)):
            print(f"\n{label} ({minutes(estimate.seconds)}): " + " -> ".join(estimate.chain))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
