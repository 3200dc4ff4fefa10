"""``plan --diagram FILE``: the change set's effect on the cluster's picture.

The picture of the new templates, each node and edge marked by what the change set
does to the resources it is drawn from (Add: ``added``; Modify with Replacement True:
``replaced``, Conditional: ``maybe-replaced``, otherwise ``modified``), plus what the
deployed templates have and the new ones do not, struck through (``removed``). The
deployed templates are read with GetTemplate (root and the nested stacks the change
set touches); a removal whose template cannot be read is still drawn, as its logical
ID and type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from eks_templates.deploy.changeset import ChangeSetView
from eks_templates.diagram.model import Diagram, Edge, Node, Source, build, stack_group
from eks_templates.diagram.resolve import ROOT, STACK_TYPE, TemplateSet

#: strongest first: an element drawn from several resources shows the strongest change
RANK = ("replaced", "maybe-replaced", "added", "modified")


def stack_key(label: str, stack_name: str) -> str:
    """Change-set label -> TemplateSet key (``myeks`` -> ROOT, ``myeks/SecurityStack`` -> ``SecurityStack``)."""
    return ROOT if label == stack_name else label.rsplit("/", 1)[-1]


def resource_changes(view: ChangeSetView, stack_name: str) -> dict[Source, str]:
    """(stack, logical id) -> added | removed | replaced | maybe-replaced | modified."""
    out: dict[Source, str] = {}
    for cs in view.walk():
        key = stack_key(cs.label, stack_name)
        for rc in cs.changes:
            action = rc.get("Action")
            logical_id = str(rc.get("LogicalResourceId", ""))
            if action == "Add":
                change = "added"
            elif action == "Remove":
                change = "removed"
            elif action == "Modify" and rc.get("Replacement") == "True":
                change = "replaced"
            elif action == "Modify" and rc.get("Replacement") == "Conditional":
                change = "maybe-replaced"
            elif action in ("Modify", "Dynamic"):
                change = "modified"
            else:
                continue
            out[(key, logical_id)] = change
    return out


def template_changes(old: TemplateSet, new: TemplateSet, view: ChangeSetView, stack_name: str,
                     region: str | None) -> dict[Source, str]:
    """For a nested stack the change set modifies without a nested change set of its own
    (a change set made without IncludeNestedStacks, or the sandbox's moto): its resources'
    changes worked out from the deployed and the new template, replacements by
    CloudFormation's create-only properties (:func:`eks_templates.diff.compare`)."""
    described = {stack_key(cs.label, stack_name) for cs in view.walk() if cs.label != stack_name}
    keys = sorted(str(rc.get("LogicalResourceId")) for rc in view.changes
                  if rc.get("ResourceType") == STACK_TYPE and rc.get("Action") == "Modify"
                  and str(rc.get("LogicalResourceId")) not in described)
    out: dict[Source, str] = {}
    if not keys:
        return out
    for key in keys:
        before, after = old.resources(key), new.resources(key)
        for logical_id in sorted(set(before) | set(after)):
            if logical_id not in before:
                out[(key, logical_id)] = "added"
            elif logical_id not in after:
                out[(key, logical_id)] = "removed"
            elif before[logical_id] != after[logical_id]:
                out[(key, logical_id)] = "modified"
    if region:
        from eks_templates import diff

        files_old = {f"{k or 'root'}.json": dict(t) for k, t in old.templates.items()}
        files_new = {f"{k or 'root'}.json": dict(t) for k, t in new.templates.items()}
        for change in diff.compare(files_old, files_new, root="root.json", schemas=diff.Schemas(region)):
            key = change.file.removesuffix(".json")
            if key in keys and change.kind in ("replace", "type"):
                out[(key, change.logical_id)] = "replaced"
    return out


def _strongest(changes: list[str]) -> str:
    return next((c for c in RANK if c in changes), "")


def _element_change(sources: tuple[Source, ...], changes: Mapping[Source, str], *, derived: bool) -> str:
    found = []
    for stack, logical_id in sources:
        found.append(changes.get((stack, logical_id), ""))
        if stack != ROOT:  # a whole nested stack added (or replaced): everything in it
            whole = changes.get((ROOT, stack), "")
            if whole in ("added", "replaced"):
                found.append(whole)
    change = _strongest(found)
    # what EKS makes with the cluster (its security group) changes only with the cluster itself
    if derived and change == "modified":
        return ""
    return change


def overlay(new: TemplateSet, view: ChangeSetView, stack_name: str, old: TemplateSet | None = None,
            *, region: str | None = None) -> Diagram:
    """The picture of ``new`` with the change set ``view`` marked on it; ``old`` (the
    deployed templates) supplies what is removed, and what a nested stack without a
    nested change set changes (``region``: CloudFormation's schemas for replacements)."""
    changes = resource_changes(view, stack_name)
    if old is not None:
        changes = {**template_changes(old, new, view, stack_name, region), **changes}
    drawn = build(new, stack_name)
    before = build(old, stack_name) if old is not None else None

    def derived(item: Node | Edge) -> bool:
        return item.id.endswith(".ClusterSecurityGroup") or item.id.startswith("default:")

    old_nodes = {n.id: n for n in before.nodes} if before is not None else {}
    old_edges = {e.id: e for e in before.edges} if before is not None else {}
    nodes = []
    for n in drawn.nodes:
        change = _element_change(n.sources, changes, derived=derived(n))
        if before is not None and n.id not in old_nodes and change in ("", "modified"):
            change = "added"  # e.g. a CIDR that a new rule or endpoint setting brings in
        nodes.append(replace(n, change=change))
    edges = []
    for e in drawn.edges:
        change = _element_change(e.sources, changes, derived=derived(e))
        if before is not None and change in ("", "modified"):
            # an edge is what it connects: compared with the deployed picture, not by its resource
            # (an inline rule's resource is its group; an endpoint edge's is the cluster)
            was = old_edges.get(e.id)
            if was is None:
                change = "added"
            elif (was.src, was.dst, was.label) == (e.src, e.dst, e.label):
                change = ""
            else:
                change = "modified"
        edges.append(replace(e, change=change))
    result = Diagram(drawn.title, list(drawn.groups), nodes, edges)

    covered: set[Source] = set()
    if before is not None:
        known_groups = {g.id for g in result.groups}
        known_nodes = {n.id for n in result.nodes}
        for g in before.groups:
            if g.id not in known_groups:
                result.groups.append(g)
                known_groups.add(g.id)
        for n in before.nodes:
            if n.id not in known_nodes:
                result.nodes.append(replace(n, change="removed"))
                covered.update(n.sources)
        known_edges = {e.id for e in result.edges}
        for e in before.edges:
            if e.id not in known_edges:
                result.edges.append(replace(e, change="removed"))
                covered.update(e.sources)
    # removals nothing drawn stands for (no deployed template, or a resource the picture
    # does not draw as such): their logical ID and type, struck through, in their stack
    types = {(stack_key(cs.label, stack_name), str(rc.get("LogicalResourceId"))): str(rc.get("ResourceType", ""))
             for cs in view.walk() for rc in cs.changes}
    for (stack, logical_id), change in sorted(changes.items()):
        if change != "removed" or (stack, logical_id) in covered or types.get((stack, logical_id)) not in DRAWN:
            continue
        group = stack_group(stack)
        if all(g.id != group for g in result.groups):
            group = "stack:root"
        result.nodes.append(Node(f"removed:{stack or 'root'}/{logical_id}", "removed",
                                 (logical_id, types[(stack, logical_id)]), group, ((stack, logical_id),),
                                 change="removed"))
    return result.sorted()


#: resource types the picture draws: a removal of one of these must show
DRAWN = frozenset({
    "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::Route",
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress",
    "AWS::EKS::Cluster", "AWS::EKS::Nodegroup", "AWS::EKS::FargateProfile", "AWS::EC2::Instance", STACK_TYPE,
})


def deployed_templates(cfn: Any, view: ChangeSetView, stack_name: str,
                       new: Mapping[str, Mapping[str, Any]], *, create: bool) -> TemplateSet | None:
    """The deployed templates as a set (None for a stack that does not exist yet):
    GetTemplate of the root, of every nested stack the change set touches and of every
    nested stack it removes; the others are unchanged, so the new ones stand for them."""
    from botocore.exceptions import ClientError

    if create:
        return None  # a first create: nothing deployed
    templates: dict[str, Mapping[str, Any]] = dict(new)
    wanted: dict[str, str] = {ROOT: view.stack_name or stack_name}
    for cs in view.walk():
        if cs.label != stack_name and cs.stack_name:
            wanted[stack_key(cs.label, stack_name)] = cs.stack_name
    for rc in view.changes:  # the nested stacks it modifies or removes, by their stack ids
        if rc.get("ResourceType") != STACK_TYPE or rc.get("Action") not in ("Modify", "Remove"):
            continue
        logical_id = str(rc["LogicalResourceId"])
        physical = rc.get("PhysicalResourceId")
        if logical_id in wanted:
            continue  # its nested change set named it
        if not physical:  # not every change set says (moto's does not): ask the stack
            try:
                physical = cfn.describe_stack_resource(StackName=wanted[ROOT], LogicalResourceId=logical_id)[
                    "StackResourceDetail"].get("PhysicalResourceId")
            except ClientError:
                physical = None
        if physical:
            wanted.setdefault(logical_id, str(physical))
    from eks_templates.deploy.params import template_dict

    for key, name in sorted(wanted.items()):
        try:
            body = cfn.get_template(StackName=name, TemplateStage="Original").get("TemplateBody")
        except ClientError:
            continue  # not readable: the new template stands for it (or, removed, its logical ID)
        template = template_dict(body)
        if template is not None:
            templates[key] = template
    root_children = {k for k, r in (templates.get(ROOT, {}).get("Resources") or {}).items()
                     if r.get("Type") == STACK_TYPE}
    return TemplateSet({k: v for k, v in templates.items() if k == ROOT or k in root_children})


def write_plan_diagram(cfn: Any, view: ChangeSetView, stack_name: str, templates: Mapping[str, Mapping[str, Any]],
                       path: Path, say: Callable[[str], None], *, create: bool, region: str | None = None) -> None:
    """Draw the change set into ``path`` (format from its suffix); ``templates`` are the
    new templates by change-set label (``Request.templates``)."""
    from eks_templates import diagram

    new = TemplateSet.from_labels(templates, stack_name)
    old = deployed_templates(cfn, view, stack_name, new.templates, create=create)
    drawn = overlay(new, view, stack_name, old, region=region)
    fmt = diagram.format_for(path, None)
    data = diagram.output(drawn, fmt)
    from eks_templates import output_file

    output_file.write(path, data, "--diagram")  # plan checked it before the change set: refusals are rare here
    marks = sorted({n.change for n in drawn.nodes if n.change} | {e.change for e in drawn.edges if e.change})
    say(f"Diagram of the change set: {path} ({fmt}; {', '.join(marks) or 'nothing drawn changes'})")
