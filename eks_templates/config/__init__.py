"""The stack file: typed model, loading and validation (no AWS, no troposphere)."""

from eks_templates.config.loader import load_stack, parse_config, resolve
from eks_templates.config.model import ClusterConfig, ManagedNodeGroup
from eks_templates.config.problems import Problem

__all__ = ["ClusterConfig", "ManagedNodeGroup", "Problem", "load_stack", "parse_config", "resolve"]
