"""eks_templates: an EKS cluster as plain CloudFormation nested stacks.

Library use::

    from troposphere import Template
    from eks_templates import NetworkBuilder, load_stack

    config = load_stack("myeks")                 # or parse_config(text, "inline")
    template = Template()
    outputs = NetworkBuilder(config).build(template, {})
    outputs["VpcId"]                             # Ref(VPC), usable in your resources

Names are imported lazily, so ``python -m eks_templates`` pays only for what a
command uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_stack": "eks_templates.config",
    "parse_config": "eks_templates.config",
    "ClusterConfig": "eks_templates.config",
    "Builder": "eks_templates.builders",
    "NetworkBuilder": "eks_templates.builders",
    "ExistingNetwork": "eks_templates.builders",
    "cluster_builders": "eks_templates.builders",
    "nested": "eks_templates.assembly",
    "flat": "eks_templates.assembly",
    "render_set": "eks_templates.render",
    "write_set": "eks_templates.render",
    "RenderedSet": "eks_templates.render",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        builders = importlib.import_module("eks_templates.builders")
        if name in getattr(builders, "__all__", ()):
            return getattr(builders, name)
        raise AttributeError(f"module 'eks_templates' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    builders = importlib.import_module("eks_templates.builders")
    return sorted(set(_EXPORTS) | set(getattr(builders, "__all__", ())) | {"__version__"})
