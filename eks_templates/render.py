"""Templates -> deterministic text, and the rendered set on disk.

The same stack file always gives byte-identical files: keys are sorted, lists keep
the builders' order, nothing reads the clock. Imports stay light (no boto3,
cfn-lint or rich): this is the path of ``python -m eks_templates render``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from troposphere import Template

from eks_templates import assembly
from eks_templates.config.model import ClusterConfig
from eks_templates.errors import UserError

Format = Literal["json", "yaml"]
ROOT = "root"
FLAT = "flat"
#: template files this module writes (anything else in an output directory is left alone)
TEMPLATE_SUFFIXES = (".json", ".yaml")


@dataclass(frozen=True)
class RenderedSet:
    """A rendered cluster: the root template and its children, as text."""

    stack_name: str
    #: file name of the root (or flat) template within ``files``
    root: str
    #: file name -> template text; the root references children by these names
    files: dict[str, str]
    fmt: Format = "json"

    @property
    def children(self) -> dict[str, str]:
        return {name: text for name, text in self.files.items() if name != self.root}


def dumps(template: Template | dict[str, Any], fmt: Format = "json") -> str:
    """A template as deterministic JSON (2-space indent) or YAML (long-form intrinsics)."""
    data = template.to_dict() if isinstance(template, Template) else template
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    import yaml

    return str(yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=120, allow_unicode=True))


def render_set(config: ClusterConfig, *, fmt: Format = "json", flat: bool = False) -> RenderedSet:
    """Render the cluster: nested (root + one file per child) or one flat template.

    A template that would pass a CloudFormation quota (troposphere stops at 500
    resources, 200 parameters, 200 outputs) is a :class:`UserError`, not a crash.
    """
    try:
        return _render_set(config, fmt=fmt, flat=flat)
    except ValueError as exc:
        if not str(exc).startswith("Maximum"):
            raise
        hint = ("; render it as nested stacks (without --flat), which split the cluster per concern"
                if flat else "")
        raise UserError(f"{config.stack_name}: {exc} in one template, CloudFormation's quota{hint}") from None


def _render_set(config: ClusterConfig, *, fmt: Format, flat: bool) -> RenderedSet:
    if flat:
        name = f"{FLAT}.{fmt}"
        return RenderedSet(config.stack_name, name, {name: dumps(assembly.flat(config), fmt)}, fmt)
    result = assembly.nested(config, template_url=lambda stack_id: assembly.child_file_name(stack_id, fmt))
    root_name = f"{ROOT}.{fmt}"
    files = {root_name: dumps(result.root, fmt)}
    for stack_id, child in result.children.items():
        files[assembly.child_file_name(stack_id, fmt)] = dumps(child, fmt)
    return RenderedSet(config.stack_name, root_name, files, fmt)


def default_out_dir(rendered: RenderedSet) -> Path:
    return Path("build") / rendered.stack_name


def write_set(rendered: RenderedSet, out_dir: Path) -> list[Path]:
    """Write every file of the set into ``out_dir`` (atomically, file by file) and
    remove template files left there by an earlier render that the set no longer has."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered.files.items():
        target = out_dir / name
        tmp = out_dir / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        written.append(target)
    for stale in sorted(out_dir.iterdir()):
        if stale.suffix in TEMPLATE_SUFFIXES and stale.name not in rendered.files and stale.is_file():
            stale.unlink()
    return written
