"""What every builder is: a pure function of the config that adds troposphere
resources to a template it is given.

A builder declares the values it needs (``inputs``) and the values it provides
(``outputs``) as :class:`~eks_templates.names.Port` objects, and the root
parameters it wants (``root_parameters``). ``build(template, inputs)`` receives one
expression per input port and returns one expression per output port. It never does
I/O, calls AWS, reads the clock or the environment, or changes the config.

The same builder serves three callers:
- the nested assembly (each builder gets a child template whose parameters are its
  inputs and whose outputs are its outputs),
- the flat assembly (all builders share one template; inputs are the producers'
  expressions directly),
- library users, who call ``build`` on their own ``troposphere.Template``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from troposphere import AWSObject, Parameter, Template

from eks_templates.config.model import ClusterConfig
from eks_templates.names import Port

R = TypeVar("R", bound=AWSObject)


class Builder:
    """Base class. Subclasses set ``stack_id``, the port lists and implement ``build``."""

    #: logical ID of the child stack in the root template
    stack_id: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        #: every resource this builder added on its last ``build``, by logical ID
        #: (the escape hatch: change a property the builder does not expose)
        self.resources: dict[str, AWSObject] = {}
        #: prepended to every logical ID this builder makes (see :meth:`lid`); the flat
        #: assembly sets it to :attr:`flat_id_prefix` so two nodegroups do not collide
        self.id_prefix = ""

    # -- interface ------------------------------------------------------------------

    @property
    def child_id(self) -> str:
        """Logical ID of this builder's child stack (per instance: one per nodegroup)."""
        return self.stack_id

    @property
    def inputs(self) -> Sequence[Port]:
        return ()

    @property
    def outputs(self) -> Sequence[Port]:
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
        """Prefix for logical IDs when all builders share one template. Builders that
        exist once per cluster keep eksctl's IDs; per-nodegroup builders override."""
        return ""

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
        raise NotImplementedError

    # -- helpers for subclasses -------------------------------------------------------

    def lid(self, name: str) -> str:
        """The logical ID for ``name`` in the template being built."""
        return f"{self.id_prefix}{name}"

    def add(self, template: Template, resource: R) -> R:
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
        try:
            return inputs[port.name]
        except KeyError:
            raise KeyError(f"missing input {port.name!r}: {port.description}") from None
