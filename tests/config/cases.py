"""A valid small cluster and helpers that build stack files from it with changes."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import yaml

from eks_templates.config import parse_config
from eks_templates.errors import StackFileError

TODAY = dt.date(2026, 11, 27)
SOURCE = "t.yaml"

BASE: dict[str, Any] = {
    "apiVersion": "eksctl.io/v1alpha5",
    "kind": "ClusterConfig",
    "metadata": {"name": "test", "region": "ap-northeast-2", "version": "1.34"},
    "availabilityZones": ["ap-northeast-2a", "ap-northeast-2c"],
    "vpc": {"cidr": "10.0.0.0/16", "publicAccessCIDRs": ["203.0.113.0/24"]},
    "managedNodeGroups": [{"name": "ng", "instanceType": "t3.medium"}],
}


def ng(**fields: Any) -> dict[str, Any]:
    """A managed nodegroup entry: name ng, t3.medium, plus ``fields``."""
    return {"name": "ng", "instanceType": "t3.medium", **fields}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` deep-merged into a copy of ``base`` (mappings merge, the rest replaces)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def stack_text(changes: dict[str, Any] | None = None) -> str:
    return yaml.safe_dump(merge(BASE, changes or {}), sort_keys=False)


def outcome(changes: dict[str, Any] | None = None, *, strict: bool = False) -> tuple[list[str], list[str]]:
    """(error lines, warning lines) of loading BASE with ``changes``."""
    warnings: list[str] = []
    try:
        parse_config(stack_text(changes), SOURCE, today=TODAY, strict=strict, on_warning=warnings.append)
    except StackFileError as exc:
        return exc.messages, warnings
    return [], warnings
