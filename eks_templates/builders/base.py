"""What every builder is: a pure function of the config that adds troposphere
resources to a template it is given.

A builder declares the values it needs (``inputs``) and the values it provides
(``outputs``) as :class:`eks_templates.names.Port` objects, and the root
parameters it wants (``root_parameters``). ``build(template, inputs)`` receives one
expression per input port and returns one expression per output port. It never does
I/O, calls AWS, reads the clock or the environment, or changes the config.

The same builder serves three callers:
- the nested assembly (each builder gets a child template whose parameters are its
  inputs and whose outputs are its outputs; logical IDs as eksctl's),
- the flat assembly (all builders share one template; inputs are the producers'
  expressions directly),
- library users, who call ``build`` on their own ``troposphere.Template``, or hand a
  list of builders to :func:`eks_templates.assembly.compose`.

In a template shared with other builders (flat, or the caller's), a builder that
exists once per nodegroup prefixes its logical IDs with ``Nodegroup<Name>`` by
default (:attr:`Builder.flat_id_prefix`), so several nodegroups fit in one template
without any setting; :attr:`Builder.id_prefix` overrides that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from troposphere import AWSObject, Parameter, Template

from eks_templates.config.model import ClusterConfig
from eks_templates.names import Port

R = TypeVar("R", bound=AWSObject)


class Builder:
    """Base class of every builder: one concern of the cluster, as troposphere resources.

    Subclasses set :attr:`stack_id` and :attr:`description`, declare their ports
    (:attr:`inputs`, :attr:`outputs`, :meth:`root_parameters`, :meth:`render_values`)
    and implement :meth:`build`. Each subclass's docstring lists its ports: the
    inputs it needs, the outputs it gives, and the stack-file keys (options) that
    change them. A port's name is the key of its value in the mappings ``build``
    takes and returns (``"VpcId"``, ``"ClusterName"``, ...; see
    :mod:`eks_templates.names`).

    Args:
        config: the checked stack file (:func:`eks_templates.load_stack`); only read.
    """

    #: logical ID of the child stack in the root template
    stack_id: ClassVar[str] = ""
    #: the child template's description (after "EKS cluster <name>: ")
    description: ClassVar[str] = ""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        #: every resource this builder added on its last ``build``, by logical ID
        #: (the escape hatch: change a property the builder does not expose)
        self.resources: dict[str, AWSObject] = {}
        #: prepended to every logical ID this builder makes (see :meth:`lid`). ``None``
        #: (the default): :attr:`flat_id_prefix`, the prefix for a template shared with
        #: other builders (``Nodegroup<Name>`` for a nodegroup, nothing for the builders
        #: that exist once per cluster). The nested assembly builds each child with ``""``
        #: (eksctl's logical IDs); set a string to choose your own.
        self.id_prefix: str | None = None

    # -- interface ------------------------------------------------------------------

    @property
    def child_id(self) -> str:
        """Logical ID of this builder's child stack (per instance: one per nodegroup)."""
        return self.stack_id

    @property
    def inputs(self) -> Sequence[Port]:
        """The ports this builder needs: ``build`` reads ``inputs[port.name]`` for each
        (a ``KeyError`` naming the port when one is missing). Which ports depends on
        the stack file; the subclass's docstring lists them all."""
        return ()

    @property
    def outputs(self) -> Sequence[Port]:
        """The ports this builder provides: ``build`` returns one value for each, by
        ``port.name``. Those with ``root_output`` become outputs of the root stack."""
        return ()

    def root_parameters(self) -> Sequence[tuple[Port, Parameter]]:
        """Parameters that live in the root template (or the flat template) and feed
        the input port of the same name: values an operator changes without a new
        template (a nodegroup's scaling). Their defaults come from the stack file."""
        return ()

    def render_values(self) -> Sequence[tuple[Port, Any]]:
        """Values known at render time that must not be hard-coded in resources
        (availability zones): passed to the child as literal parameter values in the
        nested root, declared as defaulted template parameters in the flat template."""
        return ()

    def name_values(self) -> Sequence[tuple[Port, Any]]:
        """What tells this instance apart from others of its kind by name alone (a
        nodegroup's name). In the nested root each is a parameter of the child, passed as a
        literal by the root, so that instances alike in all else render byte-identical
        child templates (which the assembly writes once). Not in a flat template nor in a
        library caller's ``inputs``: without the input, ``build`` writes the literal."""
        return ()

    def child_port(self, port: Port) -> Port:
        """``port`` (an input or output) as this builder's child template names it: the
        same port, unless its name in the root carries the instance's name (a nodegroup's
        scaling parameter and outputs), which the child's must not (see :meth:`name_values`)."""
        return port

    @property
    def flat_id_prefix(self) -> str:
        """Prefix for logical IDs when this builder shares a template with others (the
        flat assembly, a caller's template). Builders that exist once per cluster keep
        eksctl's IDs (``""``); per-nodegroup builders override it."""
        return ""

    @property
    def effective_id_prefix(self) -> str:
        """The prefix :meth:`lid` uses: :attr:`id_prefix`, or :attr:`flat_id_prefix` when unset."""
        return self.flat_id_prefix if self.id_prefix is None else self.id_prefix

    @property
    def after(self) -> Sequence[str]:
        """Child stacks (by :attr:`child_id`) that must be complete before this one
        starts, beyond those it takes inputs from (nested root: ``DependsOn``). In a
        flat template the builder orders its own resources."""
        return ()

    @property
    def creates_resources(self) -> bool:
        """False for strategies that only pass known values on (an existing VPC)."""
        return True

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Add this builder's resources to ``template``; return its outputs.

        Args:
            template: any ``troposphere.Template``: a child of the nested set, the flat
                template, or your own. Resources are added under :meth:`lid` IDs; a
                logical ID already in the template is an error (troposphere's
                ``ValueError``).
            inputs: one value per :attr:`inputs` port, by ``port.name``: a ``Ref`` of a
                parameter, another builder's output, or a literal. Extra keys are ignored.

        Returns:
            One value per :attr:`outputs` port, by ``port.name`` (troposphere
            expressions such as ``Ref``/``GetAtt``, or lists of them for list ports).
            :attr:`resources` then holds every resource added, by logical ID.
        """
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------------------

    def lid(self, name: str) -> str:
        """The logical ID for ``name`` in the template being built (:attr:`effective_id_prefix` + ``name``)."""
        return f"{self.effective_id_prefix}{name}"

    def add(self, template: Template, resource: R) -> R:
        """Add ``resource`` to ``template`` and record it in :attr:`resources`."""
        template.add_resource(resource)
        self.resources[resource.title] = resource
        return resource

    def tags(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """``metadata.tags`` plus ``extra``, sorted by key (deterministic)."""
        merged = dict(self.config.metadata.tags)
        if extra:
            merged.update(extra)
        return dict(sorted(merged.items()))

    @staticmethod
    def require(inputs: Mapping[str, Any], port: Port) -> Any:
        """``inputs[port.name]``, or a ``KeyError`` that names the port and what it is."""
        try:
            return inputs[port.name]
        except KeyError:
            raise KeyError(f"missing input {port.name!r}: {port.description}") from None


def value_parameter(port: Port, value: Any) -> Parameter:
    """A template parameter for a render-time value (:meth:`Builder.render_values`):
    the port's name and type, the value as its default (a list port joined by commas)."""
    default = ",".join(value) if port.kind == "list" else value
    return Parameter(port.name, Type=port.param_type, Default=default, Description=port.description)
