"""Problems found in a stack file, and how they are printed.

One format everywhere: ``<file>: <yaml.path>: <what is wrong>[; <what is allowed>]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    message: str
    severity: Severity = "error"

    def format(self, source: str) -> str:
        where = f"{source}: {self.path}" if self.path else source
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{where}: {self.message}"


def yaml_path(loc: Sequence[str | int]) -> str:
    """``("managedNodeGroups", 0, "desiredCapacity")`` -> ``managedNodeGroups[0].desiredCapacity``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "warning"]
