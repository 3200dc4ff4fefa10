"""Assembly: put the builders' resources into templates.

- :func:`nested` makes the root template with one ``AWS::CloudFormation::Stack``
  per builder; each child's inputs are Parameters fed by ``Fn::GetAtt [Producer,
  Outputs.X]`` (or by a root parameter, or by a literal), its outputs are Outputs.
- :func:`flat` puts every builder's resources into one template.

Both walk the same builders in the same order and wire the same ports, so the two
modes cannot disagree about what connects to what.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from troposphere import GetAtt, Join, Output, Parameter, Ref, Template, cloudformation

from eks_templates.builders import Builder, cluster_builders
from eks_templates.config.model import ClusterConfig
from eks_templates.names import Port

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


@dataclass(frozen=True)
class _Source:
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


@dataclass
class NestedSet:
    root: Template
    #: child stack logical ID -> child template, in dependency order
    children: dict[str, Template] = field(default_factory=dict)
    #: child stack logical ID -> the child stack whose template file it uses: itself, or
    #: the first child (in dependency order) with a byte-identical template
    shares: dict[str, str] = field(default_factory=dict)
    #: the first of each group's template as a dict (``Template.to_dict``), made once
    _dicts: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

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
) -> NestedSet:
    """The root template with one child stack per builder that creates resources.

    Children whose templates come out byte-identical (nodegroups of the same shape:
    what tells them apart is passed by the root, :meth:`Builder.name_values`) share one
    template: each one's ``TemplateURL`` is ``template_url`` of the first of them."""
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
    for builder in builders:
        if not builder.creates_resources:
            values = builder.build(Template(), {})
            for port in builder.outputs:
                sources[port.name] = _Source("value", values[port.name])
            continue
        child = Template(Description=f"EKS cluster {config.metadata.name}: {builder.description}")
        child.set_version(TEMPLATE_FORMAT_VERSION)
        parameters: dict[str, Any] = {}
        inputs: dict[str, Any] = {}
        for port in builder.inputs:
            if port.name not in sources:
                raise KeyError(f"{builder.child_id} needs {port.name!r}, which no earlier builder provides")
            local = builder.child_port(port)
            child.add_parameter(_parameter(local))
            inputs[port.name] = Ref(local.name)
            parameters[local.name] = sources[port.name].for_parameter(port)
        for port, value in builder.name_values():
            child.add_parameter(_parameter(port))
            inputs[port.name] = Ref(port.name)
            parameters[port.name] = _Source("value", value).for_parameter(port)
        values = builder.build(child, inputs)
        for port in builder.outputs:
            value = values[port.name]
            local = builder.child_port(port)
            child.add_output(Output(
                local.name,
                Description=local.description,
                Value=Join(",", value) if port.kind == "list" else value,
            ))
            sources[port.name] = _Source("child", stack_id=builder.child_id, output=local.name)
        stack_props: dict[str, Any] = {"Metadata": suppression_metadata({"W3002": W3002_REASON})}
        if parameters:
            stack_props["Parameters"] = parameters
        waits_for = [stack_id for stack_id in builder.after if stack_id in result.children]
        if waits_for:
            stack_props["DependsOn"] = waits_for
        stacks.append((builder.child_id, stack_props))
        result.children[builder.child_id] = child

    _share_templates(result)
    for stack_id, stack_props in stacks:
        root.add_resource(cloudformation.Stack(
            stack_id, TemplateURL=template_url(result.shares[stack_id]), **stack_props))

    for port in _root_outputs(builders):
        root.add_output(Output(port.name, Description=port.description,
                               Value=sources[port.name].for_parameter(port)))
    return result


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


def flat(config: ClusterConfig, builders: Sequence[Builder] | None = None) -> Template:
    """Every builder's resources in one template (no nested stacks)."""
    builders = list(cluster_builders(config) if builders is None else builders)
    template = _root_template(config, "single template")
    values: dict[str, Any] = {}
    for builder in builders:
        for port, parameter in builder.root_parameters():
            if parameter.title not in template.parameters:
                template.add_parameter(parameter)
            values[port.name] = Ref(parameter)
        for port, value in builder.render_values():
            if port.name not in template.parameters:
                default = ",".join(value) if port.kind == "list" else value
                template.add_parameter(Parameter(port.name, Type=port.param_type, Default=default,
                                                 Description=port.description))
            values[port.name] = Ref(port.name)
    for builder in builders:
        builder.id_prefix = builder.flat_id_prefix
        inputs = {port.name: values[port.name] for port in builder.inputs}
        values.update(builder.build(template, inputs))
    for port in _root_outputs(builders):
        value = values[port.name]
        if port.kind == "list":
            value = ",".join(value) if all(isinstance(v, str) for v in value) else Join(",", value)
        template.add_output(Output(port.name, Description=port.description, Value=value))
    return template
