"""Round-trip edits of a YAML file the user keeps by hand (a stack file for ``upgrade``,
a kubeconfig for ``kubeconfig``): the file's comments, order, quoting, anchors and layout
stay as they are (ruamel.yaml's round-trip mode); only the values named change. Pure:
text in, text out."""

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
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return like(old, value, default=DoubleQuotedScalarString)


def like(old: Any, value: Any, *, default: Any = None) -> Any:
    """The string ``value`` in the style ``old`` was written in (quoted, literal block, ...),
    else ``default(value)`` (plain ``value`` when no default)."""
    from ruamel.yaml.scalarstring import ScalarString

    if isinstance(value, str) and isinstance(old, ScalarString):
        return type(old)(value)
    return default(value) if isinstance(value, str) and default is not None else value


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


def load(text: str) -> tuple[Any, Any]:
    """``(yaml, data)``: ``text`` loaded in round-trip mode, and the ruamel.yaml instance
    that dumps ``data`` back in the file's own list indentation (:func:`dump`)."""
    yaml = _yaml()
    data = yaml.load(text)
    # the file's own indentation: a "  - item" list under its key stays one
    offset = _dash_offset(text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml, data


def dump(yaml: Any, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def set_versions(text: str, *, version: str | None = None,
                 release_versions: Mapping[int, str] | None = None) -> str:
    """The stack file with ``metadata.version`` set to ``version`` and each
    ``managedNodeGroups[i].releaseVersion`` of ``release_versions`` set."""
    yaml, data = load(text)
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
    return dump(yaml, data)
