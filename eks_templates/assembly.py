"""Assembly: put the builders' resources into templates.

- :func:`nested` makes the root template with one ``AWS::CloudFormation::Stack``
  per group of builders of the stack plan (:mod:`eks_templates.stack_plan`); a
  child's inputs from elsewhere are Parameters fed by ``Fn::GetAtt [Producer,
  Outputs.X]`` (or by a root parameter, or by a literal), its outputs are Outputs;
  builders sharing a child are wired inside it as in the flat template.
- :func:`flat` puts every builder's resources into one template, through
  :func:`compose`, which adds builders to any template (a caller's own too).

Both walk the same builders in the same order and wire the same ports, so the two
modes cannot disagree about what connects to what.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from troposphere import GetAtt, Join, Output, Parameter, Ref, Template, cloudformation

from eks_templates.builders import Builder, cluster_builders
from eks_templates.builders.base import value_parameter
from eks_templates.config.model import ClusterConfig
from eks_templates.names import Port
from eks_templates.records import Record
from eks_templates.stack_plan import DEFAULT_PLAN, StackPlan

TEMPLATE_FORMAT_VERSION = "2010-09-09"

#: cfn-lint's W3002 ("may only work with 'package' cli command") fires for every
#: relative TemplateURL. Rendering before packaging is the design, so it is
#: suppressed on each child-stack resource, with the reason beside it.
W3002_REASON = (
    "children are referenced by relative path in the rendered set; "
    "`deploy` uploads them and rewrites TemplateURL to their S3 address"
)


def suppression_metadata(reasons: dict[str, str]) -> dict[str, Any]:
    """Resource Metadata that silences cfn-lint rules, each with its reason.

    ``lint`` refuses an ``ignore_checks`` entry whose reason is missing.
    """
    checks = sorted(reasons)
    return {
        "cfn-lint": {"config": {"ignore_checks": checks}},
        "EksTemplates": {"Suppressions": {rule: reasons[rule] for rule in checks}},
    }


# --------------------------------------------------------------------------- where a port's value comes from


class _Source(Record):
    kind: str  # "root" (root-template expression), "child" (a child stack's output), "value" (literal)
    value: Any = None
    stack_id: str = ""
    #: the output's name in the child template (the port's own name unless the builder renames it)
    output: str = ""

    def for_parameter(self, port: Port) -> Any:
        """The value of ``port`` in the root: a child stack's ``Parameters`` or a root output."""
        if self.kind == "child":
            return GetAtt(self.stack_id, f"Outputs.{self.output or port.name}")
        if port.kind == "list":
            if isinstance(self.value, list) and all(isinstance(v, str) for v in self.value):
                return ",".join(self.value)
            return Join(",", self.value)
        return self.value


def _root_template(config: ClusterConfig, what: str) -> Template:
    template = Template(Description=f"EKS cluster {config.metadata.name}: {what} (rendered by eks_templates)")
    template.set_version(TEMPLATE_FORMAT_VERSION)
    return template


def _root_outputs(builders: Sequence[Builder]) -> list[Port]:
    ports: dict[str, Port] = {}
    for builder in builders:
        for port in builder.outputs:
            if port.root_output:
                ports.setdefault(port.name, port)
    return list(ports.values())


# --------------------------------------------------------------------------- nested


class NestedSet:
    """The nested set :func:`nested` makes: the root template and its children."""

    def __init__(self, root: Template) -> None:
        self.root = root
        #: child stack logical ID -> child template, in dependency order
        self.children: dict[str, Template] = {}
        #: child stack logical ID -> the child stack whose template file it uses: itself, or
        #: the first child (in dependency order) with a byte-identical template
        self.shares: dict[str, str] = {}
        #: the first of each group's template as a dict (``Template.to_dict``), made once
        self._dicts: dict[str, dict[str, Any]] = {}

    def files(self) -> dict[str, dict[str, Any]]:
        """The child templates to write, one per distinct template: the logical ID of the
        first child stack that uses it -> the template as a dict, in dependency order."""
        return {stack_id: self._dicts[stack_id] for stack_id in self.children if self.shares[stack_id] == stack_id}


def child_file_name(stack_id: str, fmt: str = "json") -> str:
    return f"{stack_id}.{fmt}"


def nested(
    config: ClusterConfig,
    builders: Sequence[Builder] | None = None,
    *,
    template_url: Callable[[str], str] = child_file_name,
    plan: StackPlan = DEFAULT_PLAN,
) -> NestedSet:
    """The root template with one child stack per group of the stack ``plan``
    (:mod:`eks_templates.stack_plan`). Builders sharing a child are wired inside it
    (``Ref``/``GetAtt``); a value from another child is a parameter of this one.

    Args:
        config: the checked stack file.
        builders: default :func:`eks_templates.builders.cluster_builders` of ``config``.
        template_url: a child stack's ``TemplateURL`` from its logical ID (default: the
            relative file name the rendered set uses; ``deploy`` passes S3 addresses).
        plan: which builders share a child stack (default: the critical-path plan).

    Children whose templates come out byte-identical (nodegroups of the same shape:
    what tells them apart is passed by the root, :meth:`Builder.name_values`) share one
    template: each one's ``TemplateURL`` is ``template_url`` of the first of them.

    Returns:
        The root and the child templates (:class:`NestedSet`); children keep eksctl's
        logical IDs, whatever the builders' ``id_prefix``.
    """
    builders = list(cluster_builders(config) if builders is None else builders)
    root = _root_template(config, "root stack")
    result = NestedSet(root)
    sources: dict[str, _Source] = {}

    for builder in builders:
        for port, parameter in builder.root_parameters():
            if parameter.title not in root.parameters:
                root.add_parameter(parameter)
            sources[port.name] = _Source("root", Ref(parameter))
        for port, value in builder.render_values():
            sources[port.name] = _Source("value", value)

    stacks: list[tuple[str, dict[str, Any]]] = []
    layout = plan.layout(builders)
    groups = plan.groups(builders)
    built: set[str] = set()
    for builder in builders:
        if not builder.creates_resources:
            values = builder.build(Template(), {})
            for port in builder.outputs:
                sources[port.name] = _Source("value", values[port.name])
            continue
        stack_id = layout[builder.child_id]
        if stack_id in built:
            continue
        built.add(stack_id)
        members = groups[stack_id]
        alone = len(members) == 1
        child = Template(Description=f"EKS cluster {config.metadata.name}: "
                                     + "; ".join(member.description for member in members))
        child.set_version(TEMPLATE_FORMAT_VERSION)
        parameters: dict[str, Any] = {}
        #: the children this one takes a value from (CloudFormation waits for them already)
        takes_from: set[str] = set()

        def from_outside(port: Port, member: Builder, child: Template = child,
                         parameters: dict[str, Any] = parameters, alone: bool = alone,
                         takes_from: set[str] = takes_from) -> Any:
            if port.name not in sources:
                raise KeyError(f"{member.child_id} needs {port.name!r}, which no earlier builder provides")
            local = member.child_port(port) if alone else port
            child.add_parameter(_parameter(local))
            parameters[local.name] = sources[port.name].for_parameter(port)
            takes_from.add(sources[port.name].stack_id)
            return Ref(local.name)

        # a builder alone in its child gets its names as parameters and its own port names
        # (so that nodegroups of one shape render one template); in a shared child, literals
        names: dict[str, dict[str, Any]] = {}
        if alone:
            for port, value in builder.name_values():
                child.add_parameter(_parameter(port))
                names.setdefault(builder.child_id, {})[port.name] = Ref(port.name)
                parameters[port.name] = _Source("value", value).for_parameter(port)
        values = _build_together(child, members, from_outside, prefixed=not alone, names=names)
        for member in members:
            for port in member.outputs:
                value = values[port.name]
                local = member.child_port(port) if alone else port
                child.add_output(Output(
                    local.name,
                    Description=local.description,
                    Value=Join(",", value) if port.kind == "list" else value,
                ))
                sources[port.name] = _Source("child", stack_id=stack_id, output=local.name)
        stack_props: dict[str, Any] = {"Metadata": suppression_metadata({"W3002": W3002_REASON})}
        if parameters:
            stack_props["Parameters"] = parameters
        waits_for: list[str] = []
        for after in (layout.get(other, other) for member in members for other in member.after):
            # a child it takes values from needs no DependsOn (cfn-lint W3005: obsolete)
            if after in result.children and after not in takes_from | {stack_id} and after not in waits_for:
                waits_for.append(after)
        if waits_for:
            stack_props["DependsOn"] = waits_for
        stacks.append((stack_id, stack_props))
        result.children[stack_id] = child

    _share_templates(result)
    for stack_id, stack_props in stacks:
        root.add_resource(cloudformation.Stack(
            stack_id, TemplateURL=template_url(result.shares[stack_id]), **stack_props))

    for port in _root_outputs(builders):
        root.add_output(Output(port.name, Description=port.description,
                               Value=sources[port.name].for_parameter(port)))
    return result


def _build_together(template: Template, builders: Sequence[Builder],
                    from_outside: Callable[[Port, Builder], Any], *, prefixed: bool,
                    names: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Build ``builders`` into one child template, in order: an input produced by an
    earlier builder of the group is that builder's expression (``Ref``/``GetAtt`` inside
    the template); any other comes from ``from_outside(port, builder)``. Returns every
    value by port name. Every child stack is built by this.

    ``prefixed``: each builder's logical IDs get its :attr:`Builder.flat_id_prefix`
    (two nodegroups in one template must not collide); otherwise none (a builder alone
    in its child keeps eksctl's IDs). Each builder's own ``id_prefix`` is put back
    afterwards. ``names``: extra inputs by builder :attr:`Builder.child_id` (the
    parameters of :meth:`Builder.name_values`)."""
    values: dict[str, Any] = {}
    for builder in builders:
        inputs = {}
        for port in builder.inputs:
            if port.name not in values:
                values[port.name] = from_outside(port, builder)
            inputs[port.name] = values[port.name]
        inputs.update((names or {}).get(builder.child_id, {}))
        prefix, builder.id_prefix = builder.id_prefix, builder.flat_id_prefix if prefixed else ""
        try:
            values.update(builder.build(template, inputs))
        finally:
            builder.id_prefix = prefix
    return values


def _share_templates(result: NestedSet) -> None:
    """Group the children by their template's bytes: each child shares the template of
    the first child (in dependency order) whose template is identical to its own. The
    grouping depends on the templates alone, so it is the same on every render."""
    first: dict[str, str] = {}
    for stack_id, child in result.children.items():
        data = child.to_dict()
        owner = first.setdefault(json.dumps(data, sort_keys=True, separators=(",", ":")), stack_id)
        result.shares[stack_id] = owner
        if owner == stack_id:
            result._dicts[stack_id] = data


def _parameter(port: Port) -> Parameter:
    return Parameter(port.name, Type=port.param_type, Description=port.description)


# --------------------------------------------------------------------------- flat


def compose(template: Template, builders: Sequence[Builder], values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Add ``builders`` to ``template``, one after the other, each fed by the ones before.

    The flat assembly's wiring, for any template (a caller's own): each builder's
    :meth:`eks_templates.builders.Builder.root_parameters` (a nodegroup's scaling) and
    :meth:`eks_templates.builders.Builder.render_values` (the stack file's zones) become
    parameters of ``template`` with the stack file's values as defaults (one already
    there by that name is used as it is; a port given in ``values`` gets no parameter);
    each builder's inputs come from ``values``
    (yours: a VPC and subnets of your own, by port name) or from an earlier builder's
    outputs. Builders keep their logical-ID prefix (:attr:`eks_templates.builders.Builder.id_prefix`;
    by default ``Nodegroup<Name>`` for a nodegroup, so several fit in one template).

    Args:
        template: the template to add to.
        builders: producers before consumers (:func:`eks_templates.builders.cluster_builders` is in that order).
        values: expressions for input ports no builder in ``builders`` provides, by port name.

    Returns:
        ``values`` with every builder's outputs added, by port name.

    Raises:
        KeyError: a builder needs a port that neither ``values`` nor an earlier builder provides.
    """
    given = dict(values or {})
    known = dict(given)
    for builder in builders:
        for port, parameter in builder.root_parameters():
            if port.name in given:
                continue
            if parameter.title not in template.parameters:
                template.add_parameter(parameter)
            known[port.name] = Ref(parameter)
        for port, value in builder.render_values():
            if port.name in given:
                continue
            if port.name not in template.parameters:
                template.add_parameter(value_parameter(port, value))
            known[port.name] = Ref(port.name)
    for builder in builders:
        missing = [port for port in builder.inputs if port.name not in known]
        if missing:
            raise KeyError(f"{builder.child_id} needs {missing[0].name!r} ({missing[0].description}), which "
                           "neither the values given nor an earlier builder provides")
        known.update(builder.build(template, {port.name: known[port.name] for port in builder.inputs}))
    return known


def flat(config: ClusterConfig, builders: Sequence[Builder] | None = None) -> Template:
    """Every builder's resources in one template (no nested stacks): :func:`compose` with
    each builder's :attr:`eks_templates.builders.Builder.flat_id_prefix`, and the root
    outputs. ``builders`` defaults to :func:`eks_templates.builders.cluster_builders`."""
    builders = list(cluster_builders(config) if builders is None else builders)
    template = _root_template(config, "single template")
    for builder in builders:
        builder.id_prefix = builder.flat_id_prefix
    values = compose(template, builders)
    for port in _root_outputs(builders):
        value = values[port.name]
        if port.kind == "list":
            value = ",".join(value) if all(isinstance(v, str) for v in value) else Join(",", value)
        template.add_output(Output(port.name, Description=port.description, Value=value))
    return template
