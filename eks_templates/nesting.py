"""Which template file each child stack of a rendered set runs.

A file is not a stack: children with byte-identical templates (nodegroups of the same
shape) share one file (``assembly.nested``), and the root's ``TemplateURL`` says which
file each child stack uses. Readers that go per stack (``diff``, the diagram, the
change-set labels of ``deploy``) key the set by stack with :func:`by_stack`.
Standard library only (``diff`` and the render path import it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, TypeVar

STACK_TYPE = "AWS::CloudFormation::Stack"
T = TypeVar("T")


def child_files(root: Mapping[str, Any]) -> dict[str, str]:
    """Each nested stack's logical ID in ``root`` -> its ``TemplateURL`` when that is a
    string (a file name of the set before packaging), in the root's order."""
    out = {}
    for logical_id, resource in (root.get("Resources") or {}).items():
        if not isinstance(resource, Mapping) or resource.get("Type") != STACK_TYPE:
            continue
        url = (resource.get("Properties") or {}).get("TemplateURL")
        if isinstance(url, str):
            out[str(logical_id)] = url
    return out


def by_stack(files: Mapping[str, T], root_name: str, root: Mapping[str, Any]) -> dict[str, tuple[str, T]]:
    """Each child stack of ``root`` (the template of the file ``root_name``) -> (the file
    it runs, ``files[that file]``). The file is the one its ``TemplateURL`` names, else
    (a set written before children shared files, an S3 URL) the file named after the
    stack's logical ID with the root's suffix; a stack with neither is left out."""
    suffix = PurePath(root_name).suffix
    out: dict[str, tuple[str, T]] = {}
    for logical_id, url in child_files(root).items():
        for name in (url, f"{logical_id}{suffix}"):
            if name != root_name and name in files:
                out[logical_id] = (name, files[name])
                break
    return out


def shown(stack_id: str, file_name: str) -> str:
    """How a report names a child stack: its file, and the stack too when the file is
    named after another (a shared template)."""
    return file_name if PurePath(file_name).stem == stack_id else f"{stack_id} ({file_name})"
