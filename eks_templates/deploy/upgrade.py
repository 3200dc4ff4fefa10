"""A Kubernetes upgrade by deploying the stack file: ordered steps, each its own change set.

When the file's ``metadata.version`` is newer than the live cluster's (or the live
nodegroups or add-ons are behind the file after an interrupted upgrade), ``deploy``
runs, in EKS's order ("Update existing cluster to new Kubernetes version", EKS user
guide: control plane first, then nodes, then add-ons):

1. the control plane, one minor version per step (EKS updates a cluster one minor
   version at a time: 1.33 -> 1.35 is two steps); the nodegroups and add-ons stay on
   their live versions;
2. the nodegroups' ``Version`` alone (EKS refuses a nodegroup version change combined
   with other nodegroup changes, containers-roadmap#1258: every other change of the
   file went with step 1);
3. the add-ons: a pinned ``version`` as the file says, an unpinned add-on at EKS's
   default version for the new Kubernetes version (``DescribeAddonVersions``).

Every step is the whole rendered set of a variant of the stack file, deployed by
:func:`eks_templates.deploy.flow.deploy`. The plan is worked out from the live state
each time, so an interrupted upgrade resumes at the step it reached. A downgrade is
refused; so is a pinned add-on version the new Kubernetes version does not support,
before the first step. Before the first control-plane step, EKS's upgrade insights
(``ListInsights``, ``UPGRADE_READINESS``) are shown; one in ``ERROR`` stops the
upgrade unless ``--force`` (the cluster's ``Force``).

Custom-AMI nodegroups (Ubuntu) carry no ``Version`` (EKS refuses it with a custom
AMI); their image follows the version through the launch template, and whether they
are done cannot be read from EKS, so they do not make an upgrade "unfinished".
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from eks_templates import records
from eks_templates.config import versions
from eks_templates.config.model import Addon, ClusterConfig, ManagedNodeGroup, Metadata
from eks_templates.deploy.flow import Context, Options
from eks_templates.errors import UserError
from eks_templates.names import CONTROL_PLANE_STACK

CUSTOM_AMI_FAMILIES = ("Ubuntu2404", "Ubuntu2204", "Ubuntu2004")


@dataclass(frozen=True)
class Step:
    title: str
    config: ClusterConfig
    #: the cluster's Force (past blocking insights) on this step
    force: bool = False


@dataclass
class Live:
    cluster_version: str
    nodegroups: dict[str, str] = field(default_factory=dict)
    addons: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    live: Live
    target: str
    steps: list[Step]
    insights: list[dict[str, Any]]

    def lines(self) -> list[str]:
        out = [f"Upgrade plan for {self.steps[0].config.metadata.name}: Kubernetes {self.live.cluster_version} "
               f"-> {self.target}, {len(self.steps)} step(s), each its own change set:"]
        out += [f"  {i}. {s.title}" for i, s in enumerate(self.steps, 1)]
        return out


# --------------------------------------------------------------------------- config variants


def _replace(model: Any, **changes: Any) -> Any:
    """A copy of a frozen model with some fields changed (builders never see the difference)."""
    clone = copy.copy(model)
    for key, value in changes.items():
        object.__setattr__(clone, key, value)
    return clone


def _variant(cfg: ClusterConfig, *, version: str, nodegroups: list[ManagedNodeGroup],
             addons: list[Addon]) -> ClusterConfig:
    metadata: Metadata = _replace(cfg.metadata, version=version)
    result: ClusterConfig = _replace(cfg, metadata=metadata, managed_node_groups=nodegroups, addons=addons)
    return result


# --------------------------------------------------------------------------- live state


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def live_state(eks: Any, cfg: ClusterConfig) -> Live | None:
    from botocore.exceptions import ClientError

    try:
        cluster = eks.describe_cluster(name=cfg.metadata.name)["cluster"]
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return None
        raise
    live = Live(str(cluster["version"]))
    for ng in cfg.managed_node_groups:
        try:
            found = eks.describe_nodegroup(clusterName=cfg.metadata.name, nodegroupName=ng.name)["nodegroup"]
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                continue
            raise
        live.nodegroups[ng.name] = str(found.get("version") or live.cluster_version)
    for addon in cfg.addons:
        try:
            found = eks.describe_addon(clusterName=cfg.metadata.name, addonName=addon.name)["addon"]
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                continue
            raise
        if found.get("addonVersion"):
            live.addons[addon.name] = str(found["addonVersion"])
    return live


def addon_choices(eks: Any, name: str, kubernetes: str) -> tuple[list[str], str | None]:
    """The versions of add-on ``name`` EKS supports on ``kubernetes``, and its default there."""
    supported: list[str] = []
    default = None
    for addon in eks.describe_addon_versions(addonName=name, kubernetesVersion=kubernetes).get("addons") or []:
        for entry in addon.get("addonVersions") or []:
            for compat in entry.get("compatibilities") or []:
                if compat.get("clusterVersion") == kubernetes:
                    supported.append(str(entry["addonVersion"]))
                    if compat.get("defaultVersion"):
                        default = str(entry["addonVersion"])
    return supported, default


def _left_behind(eks: Any, name: str, installed: str, target: str) -> bool:
    """An unpinned add-on still on an older Kubernetes version's default (an upgrade
    stopped before its add-on step), or on a version ``target`` does not support. A
    newer default that EKS published later for ``target`` is not a reason to move it."""
    target_v = versions.parse(target)
    default_for: list[tuple[int, int]] = []
    supported = False
    for addon in eks.describe_addon_versions(addonName=name).get("addons") or []:
        for entry in addon.get("addonVersions") or []:
            if entry.get("addonVersion") != installed:
                continue
            for compat in entry.get("compatibilities") or []:
                version = versions.parse(str(compat.get("clusterVersion", "")))
                if version is None:
                    continue
                supported = supported or compat.get("clusterVersion") == target
                if compat.get("defaultVersion"):
                    default_for.append(version)
    if not supported:
        return True
    return bool(default_for) and target_v is not None and max(default_for) < target_v


# --------------------------------------------------------------------------- the plan


def plan(ctx: Context, cfg: ClusterConfig, *, force: bool = False) -> Plan | None:
    """The upgrade steps still to run, or None when the live cluster is where the file
    says (a normal deploy). Raises UserError for a downgrade, a version EKS cannot reach
    in order, or an add-on version the new Kubernetes does not support."""
    eks = ctx.aws.client("eks")
    live = live_state(eks, cfg)
    if live is None:
        return None
    target = cfg.metadata.version
    current = live.cluster_version
    cur_v, tgt_v = versions.parse(current), versions.parse(target)
    if cur_v is None or tgt_v is None:
        return None
    if tgt_v < cur_v:
        raise UserError(f"metadata.version: {target} is older than the live cluster's {current}; EKS does not "
                        "downgrade a cluster's Kubernetes version: nothing was changed")
    cp_steps = versions.steps(current, target)

    def wanted_ng(ng: ManagedNodeGroup) -> str:
        return ng.effective_version(target)

    behind = [ng for ng in cfg.managed_node_groups
              if ng.name in live.nodegroups and ng.ami_family not in CUSTOM_AMI_FAMILIES
              and live.nodegroups[ng.name] != wanted_ng(ng)]
    # add-on versions for the target: the file's pin (checked), else EKS's default
    addon_versions: dict[str, str] = {}
    problems = []
    for i, addon in enumerate(cfg.addons):
        supported, default = addon_choices(eks, addon.name, target)
        if addon.version is not None:
            if supported and addon.version not in supported:
                problems.append(f"addons[{i}].version: {addon.name} {addon.version} is not supported on Kubernetes "
                                f"{target} (DescribeAddonVersions); choose one of: {', '.join(supported)}, or "
                                "leave version out for EKS's default")
            addon_versions[addon.name] = addon.version
        elif default is not None:
            addon_versions[addon.name] = default
    addons_behind = [a for a in cfg.addons if a.name in live.addons and a.name in addon_versions
                     and live.addons[a.name] != addon_versions[a.name]
                     and (a.version is not None or _left_behind(eks, a.name, live.addons[a.name], target))]
    if not cp_steps and not behind and not addons_behind:
        return None
    if problems:
        raise UserError(problems[0], messages=[*problems, "nothing was changed"])
    # kubelet skew while the control plane climbs: the live nodes must stay within it
    for ng in cfg.managed_node_groups:
        node = live.nodegroups.get(ng.name)
        if node is None or not cp_steps:
            continue
        problem = versions.skew_problem(node, cp_steps[-1])
        if problem:
            raise UserError(f"managedNodeGroups: {ng.name} runs Kubernetes {node}; with the control plane at "
                            f"{cp_steps[-1]} it would be {problem.split(' is ', 1)[1]}: upgrade to a nearer version "
                            "first (nodes follow each control-plane upgrade); nothing was changed")

    insights: list[dict[str, Any]] = []
    if cp_steps:
        insights = upgrade_insights(eks, cfg.metadata.name)

    live_ngs = [ng for ng in cfg.managed_node_groups if ng.name in live.nodegroups]
    held_ngs = [_replace(ng, version=live.nodegroups[ng.name]) for ng in live_ngs]
    held_addons = [_replace(a, version=live.addons.get(a.name, a.version)) if a.version is not None else a
                   for a in cfg.addons]
    steps = [Step(f"control plane {prev} -> {nxt}",
                  _variant(cfg, version=nxt, nodegroups=held_ngs, addons=held_addons), force=force)
             for prev, nxt in zip([current, *cp_steps], cp_steps, strict=False)]
    ng_names = ", ".join(sorted({ng.name for ng in cfg.managed_node_groups}))
    if cfg.managed_node_groups and (cp_steps or behind):
        steps.append(Step(f"nodegroups {ng_names}: Version {target} (nothing else changes with it)",
                          _variant(cfg, version=target, nodegroups=list(cfg.managed_node_groups),
                                   addons=held_addons)))
    if cfg.addons:
        final = [_replace(a, version=addon_versions.get(a.name, a.version)) for a in cfg.addons]
        names = ", ".join(f"{a.name} {a.version}" for a in final if a.version)
        steps.append(Step(f"add-ons: {names}", _variant(cfg, version=target,
                                                         nodegroups=list(cfg.managed_node_groups),
                                                         addons=final)))
    return Plan(live, target, steps, insights)


def upgrade_insights(eks: Any, cluster: str) -> list[dict[str, Any]]:
    """EKS's UPGRADE_READINESS insights, each with its recommendation."""
    found = eks.list_insights(clusterName=cluster, filter={"categories": ["UPGRADE_READINESS"]}).get("insights") or []
    result = []
    for insight in found:
        detail = dict(insight)
        if insight.get("id"):
            detail.update(eks.describe_insight(clusterName=cluster, id=insight["id"]).get("insight") or {})
        result.append(detail)
    return result


# --------------------------------------------------------------------------- running it


def _forced(rendered: Any) -> Any:
    """The rendered set with the cluster's ``Force`` on (update past blocking insights)."""
    from eks_templates.render import dumps

    name = f"{CONTROL_PLANE_STACK}.json"
    files = dict(rendered.files)
    for file_name in ((name,) if name in files else (rendered.root,)):
        template = json.loads(files[file_name])
        for resource in (template.get("Resources") or {}).values():
            if resource.get("Type") == "AWS::EKS::Cluster":
                resource["Properties"]["Force"] = True
        files[file_name] = dumps(template, "json")
    return records.replace(rendered, files=files)


def run(ctx: Context, cfg: ClusterConfig, opts: Options, the_plan: Plan, *, plan_only: bool = False) -> int:
    from eks_templates.deploy.flow import deploy
    from eks_templates.render import render_set

    ui = ctx.ui
    for line in the_plan.lines():
        ui.say(line)
    if the_plan.insights:
        ui.say("Upgrade insights (EKS ListInsights, UPGRADE_READINESS):")
        for insight in the_plan.insights:
            status = (insight.get("insightStatus") or {}).get("status", "UNKNOWN")
            ui.say(f"  {status:8} {insight.get('name', insight.get('id'))}")
    errors = [i for i in the_plan.insights if (i.get("insightStatus") or {}).get("status") == "ERROR"]
    if errors and not opts.force:
        lines = [f"EKS reports {len(errors)} upgrade insight(s) in ERROR; the upgrade is stopped, nothing was changed:"]
        for insight in errors:
            lines.append(f"  {insight.get('name')}: {(insight.get('insightStatus') or {}).get('reason', '')}")
            if insight.get("recommendation"):
                lines.append(f"    recommendation: {insight['recommendation']}")
        lines.append("fix them, or pass --force to upgrade anyway (the cluster's Force)")
        raise UserError(lines[0], messages=lines)
    ui.say()
    if plan_only:
        ui.say("Plan only: each step's change set is made when the step runs; nothing was changed.")
        return 0
    if opts.no_execute:
        raise UserError("an upgrade runs several change sets in order; --no-execute cannot keep them all: "
                        "run `plan` to see the steps")
    ui.confirm(f"Run these {len(the_plan.steps)} step(s) on {cfg.stack_name}?", yes=opts.yes,
               refuse_hint="pass --yes to run the upgrade without a prompt")
    step_opts = dataclasses.replace(opts, yes=True)
    for i, step in enumerate(the_plan.steps, 1):
        ui.say(f"Step {i}/{len(the_plan.steps)}: {step.title}")
        rendered = render_set(step.config, fmt="json")
        if step.force:
            rendered = _forced(rendered)
        code = deploy(ctx, step.config, step_opts, rendered=rendered)
        if code != 0:
            return code
    ui.say(f"{cfg.stack_name}: upgraded to Kubernetes {the_plan.target}")
    return 0
