"""Shared helpers of the builder tests: a stack file from a YAML snippet, a builder's
resources as plain dicts, whole rendered sets."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import yaml
from troposphere import Ref, Template

from eks_templates.builders import Builder
from eks_templates.config import parse_config
from eks_templates.config.model import ClusterConfig
from eks_templates.render import RenderedSet, render_set

TODAY = _dt.date(2026, 11, 1)

BASE = """
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: demo, region: ap-northeast-2}
availabilityZones: [ap-northeast-2a, ap-northeast-2c]
vpc:
  publicAccessCIDRs: [203.0.113.0/24]
"""


def config(extra: str = "", base: str = BASE) -> ClusterConfig:
    """The base cluster with the top-level keys of ``extra`` (YAML) put in place of BASE's."""
    data = yaml.safe_load(base) or {}
    data.update(yaml.safe_load(extra) or {})
    return parse_config(yaml.safe_dump(data, sort_keys=False), "test.yaml", today=TODAY, on_warning=None)


def nodegroup(body: str = "", name: str = "ng") -> ClusterConfig:
    """The base cluster with one managed nodegroup whose YAML body is ``body``."""
    lines = "".join(f"    {line}\n" for line in body.strip().splitlines())
    return config(f"managedNodeGroups:\n  - name: {name}\n{lines}")


def build(builder: Builder, inputs: dict[str, Any] | None = None) -> tuple[Template, dict[str, Any]]:
    """Build into an empty template; every input port gets a ``Ref`` of its name, and
    the logical IDs are those of a child stack (no prefix), as in the nested set."""
    template = Template()
    if builder.id_prefix is None:
        builder.id_prefix = ""
    values = dict(inputs or {})
    for port in builder.inputs:
        values.setdefault(port.name, Ref(port.name))
    outputs = builder.build(template, values)
    return template, outputs


def resources(builder: Builder, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    template, _ = build(builder, inputs)
    return template.to_dict()["Resources"]


def of_type(res: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in res.items() if v["Type"] == kind}


def props(res: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return res[logical_id]["Properties"]


def rendered(cfg: ClusterConfig, *, flat: bool = False) -> RenderedSet:
    return render_set(cfg, flat=flat)


def templates(rs: RenderedSet) -> dict[str, dict[str, Any]]:
    return {name: json.loads(text) for name, text in rs.files.items()}


def flat_resources(cfg: ClusterConfig) -> dict[str, Any]:
    return dict(json.loads(rendered(cfg, flat=True).files["flat.json"])["Resources"])
