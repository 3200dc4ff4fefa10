"""eks_templates: an EKS cluster as plain CloudFormation nested stacks.

The library: load a stack file (an eksctl ``ClusterConfig``), then either render the
whole cluster, or add the builders you want to a ``troposphere.Template`` of your own.

- **Stack files**: :func:`load_stack` (a path as given, a name in the ``stacks/`` of
  the project you name, or the built-in default), :func:`parse_config` (YAML in a
  string); both give a checked :class:`ClusterConfig` or raise :class:`StackFileError`.
- **Builders**: one concern each (:class:`NetworkBuilder` or :class:`ExistingNetwork`,
  :class:`SecurityGroupsBuilder`, :class:`ControlPlaneBuilder`,
  :class:`PodIdentityBuilder`, :class:`FargateBuilder`, :class:`NodegroupBuilder`, :class:`AddonsBuilder`,
  :class:`BastionBuilder`; all :class:`Builder`). Each declares the ports it needs
  (``inputs``) and gives (``outputs``); ``build(template, inputs)`` adds its resources
  to any template and returns its outputs, by port name (:class:`Port`).
  :func:`cluster_builders` lists every builder of a stack file, in order.
- **Assembly**: :func:`compose` adds builders to your template and wires them;
  :func:`nested` / :func:`flat` make our own root-and-children set or one template.
- **Render**: :func:`render_set` (deterministic text of the whole set), :func:`write_set`.

Your own template, your own VPC::

    from troposphere import Ref, Template
    from eks_templates import (ControlPlaneBuilder, ExistingNetwork, SecurityGroupsBuilder,
                               compose, load_stack, nodegroup_builders)

    config = load_stack("prod", project_dir="infra")      # infra/stacks/prod.yaml
    template = Template()
    network = ExistingNetwork(config, vpc_id=Ref("MyVpc"), public_subnet_ids=Ref("MyPublicSubnets"),
                              private_subnet_ids=Ref("MyPrivateSubnets"))
    values = compose(template, [network, SecurityGroupsBuilder(config), ControlPlaneBuilder(config),
                                *nodegroup_builders(config)])
    values["ClusterEndpoint"]                              # GetAtt(ControlPlane, "Endpoint")

Names are imported lazily, so ``python -m eks_templates`` pays only for what a
command uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # the stack file
    "load_stack": "eks_templates.config",
    "parse_config": "eks_templates.config",
    "ClusterConfig": "eks_templates.config",
    "ManagedNodeGroup": "eks_templates.config",
    "StackFileError": "eks_templates.errors",
    # builders and their ports
    "Builder": "eks_templates.builders",
    "NetworkBuilder": "eks_templates.builders",
    "ExistingNetwork": "eks_templates.builders",
    "SecurityGroupsBuilder": "eks_templates.builders",
    "ControlPlaneBuilder": "eks_templates.builders",
    "PodIdentityBuilder": "eks_templates.builders",
    "FargateBuilder": "eks_templates.builders",
    "NodegroupBuilder": "eks_templates.builders",
    "AddonsBuilder": "eks_templates.builders",
    "BastionBuilder": "eks_templates.builders",
    "cluster_builders": "eks_templates.builders",
    "network_for": "eks_templates.builders",
    "nodegroup_builders": "eks_templates.builders",
    "Port": "eks_templates.names",
    # assembly
    "compose": "eks_templates.assembly",
    "nested": "eks_templates.assembly",
    "flat": "eks_templates.assembly",
    "NestedSet": "eks_templates.assembly",
    # render
    "render_set": "eks_templates.render",
    "write_set": "eks_templates.render",
    "RenderedSet": "eks_templates.render",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'eks_templates' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once resolved, a plain attribute (documentation tools read the module's dict)
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, "__version__"})
