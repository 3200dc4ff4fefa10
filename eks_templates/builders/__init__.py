"""Builders: one concern each, pure functions of the config that add troposphere
resources to a template (see :mod:`eks_templates.builders.base`)."""

from __future__ import annotations

from eks_templates.builders.base import Builder
from eks_templates.builders.network import ExistingNetwork, NetworkBuilder, network_for
from eks_templates.config.model import ClusterConfig


def cluster_builders(config: ClusterConfig) -> list[Builder]:
    """Every builder of the cluster, in dependency order (producers before consumers)."""
    builders: list[Builder] = [network_for(config)]
    return builders


__all__ = ["Builder", "ExistingNetwork", "NetworkBuilder", "cluster_builders", "network_for"]
