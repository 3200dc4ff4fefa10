"""Earliest-start scheduling of a dependency graph, as CloudFormation runs a stack: a
resource starts when every resource it waits for has finished, and finishes its own
duration later.

One piece for the two places that need it: ``bench/critical_path.py`` models a create
with it, and the sandbox's time-scaled mode (:mod:`eks_templates.sandbox.timeline`)
re-times what moto created with it. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


def earliest(deps: Mapping[str, Iterable[str]], duration: Callable[[str], float], *,
             break_cycles: bool = False) -> dict[str, tuple[float, float, str | None]]:
    """Node -> ``(start, finish, previous)``: ``start`` is the latest finish of the nodes it
    waits for (0 with none), ``previous`` the one that finished last (the first in sorted
    order on a tie; None with none), ``finish`` is ``start`` plus its ``duration``.

    A dependency cycle is a ``ValueError`` naming a node on it; with ``break_cycles`` the
    node met again counts as finished at 0 instead (for a graph already known to have
    been run)."""
    result: dict[str, tuple[float, float, str | None]] = {}
    visiting: set[str] = set()

    def visit(node: str) -> float:
        if node in result:
            return result[node][1]
        if node in visiting:
            if break_cycles:
                return 0.0
            raise ValueError(f"dependency cycle through {node}")
        visiting.add(node)
        start, previous = 0.0, None
        for dep in sorted(deps[node]):
            end = visit(dep)
            if previous is None or end > start:
                start, previous = end, dep
        result[node] = (start, start + duration(node), previous)
        visiting.discard(node)
        return result[node][1]

    for node in sorted(deps):
        visit(node)
    return result
