"""Problems found in a stack file, and how they are printed.

One format everywhere: ``<file>: <yaml.path>: <what is wrong>[; <what is allowed>]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from eks_templates.errors import one_line
from eks_templates.records import Record

Severity = Literal["error", "warning"]


class Problem(Record, order=True):
    path: str
    message: str
    severity: Severity = "error"

    def format(self, source: str) -> str:
        where = f"{source}: {self.path}" if self.path else source
        prefix = "warning: " if self.severity == "warning" else ""
        return one_line(f"{prefix}{where}: {self.message}")


def yaml_path(loc: Sequence[str | int]) -> str:
    """``("managedNodeGroups", 0, "desiredCapacity")`` -> ``managedNodeGroups[0].desiredCapacity``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def suggest(value: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``value`` (a typo, or a difference in case), if any."""
    import difflib  # only on the error path: keeps render's start-up light

    options = list(choices)
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {c.lower(): c for c in options}
    return lowered.get(value.lower())


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "warning"]
