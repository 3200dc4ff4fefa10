"""Round-trip edits of a stack file for ``upgrade``: the file's comments, order, quoting
and layout stay as they are (ruamel.yaml's round-trip mode); only the values named
change. Pure: text in, text out."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from eks_templates.errors import UserError


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    return yaml


def _like(old: Any, value: str) -> Any:
    """``value`` in the quoting style of ``old`` (a version must stay a string)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(value)
    return DoubleQuotedScalarString(value)


def _dash_offset(text: str) -> int:
    """How far the file indents a block list's dash under its key (0 or 2, usually)."""
    previous = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- ") and previous is not None and previous.rstrip().endswith(":"):
            return max(0, (len(line) - len(stripped)) - (len(previous) - len(previous.lstrip(" "))))
        previous = line
    return 2


def set_versions(text: str, *, version: str | None = None,
                 release_versions: Mapping[int, str] | None = None) -> str:
    """The stack file with ``metadata.version`` set to ``version`` and each
    ``managedNodeGroups[i].releaseVersion`` of ``release_versions`` set."""
    yaml = _yaml()
    data = yaml.load(text)
    # the file's own indentation: a "  - item" list under its key stays one
    offset = _dash_offset(text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
        raise UserError("the stack file has no metadata mapping to write the version into")
    if version is not None:
        metadata = data["metadata"]
        old = metadata.get("version")
        if "version" in metadata:
            metadata["version"] = _like(old, version)
        else:
            keys = list(metadata.keys())
            at = keys.index("region") + 1 if "region" in keys else len(keys)
            metadata.insert(at, "version", _like(None, version))
    groups = data.get("managedNodeGroups") or []
    for index, release in (release_versions or {}).items():
        group = groups[index]
        group["releaseVersion"] = _like(group.get("releaseVersion"), release)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
