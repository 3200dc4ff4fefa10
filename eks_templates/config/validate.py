"""Semantic checks of a loaded stack file: what pydantic's types cannot say.

One function per rule, registered with :func:`rule`; each yields
:class:`~eks_templates.config.problems.Problem` objects naming the YAML path.
Rules read the config only (no AWS, no files); ``today`` is passed in so the
version-support rule is testable.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator

from eks_templates.config import versions
from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem

Rule = Callable[[ClusterConfig, _dt.date], Iterator[Problem]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


def check(config: ClusterConfig, *, today: _dt.date) -> list[Problem]:
    """Every problem that every rule finds, in rule order."""
    return [problem for fn in RULES for problem in fn(config, today)]


# --------------------------------------------------------------------------- rules


@rule
def kubernetes_version(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    path = "metadata.version"
    wanted = config.metadata.version
    known = versions.BY_VERSION.get(wanted)
    can_create = ", ".join(versions.creatable(today))
    if known is None:
        yield Problem(path, f"{wanted!r} is not a Kubernetes version EKS offers; choose one of: {can_create}")
        return
    status = known.status(today)
    if status == "ended":
        yield Problem(
            path,
            f"{wanted} left EKS extended support on {known.end_of_extended_support.isoformat()}; "
            f"choose one of: {can_create}",
        )
    elif status == "extended":
        yield Problem(
            path,
            f"{wanted} is in extended support (extra cost) until "
            f"{known.end_of_extended_support.isoformat()}; standard-support versions: "
            + ", ".join(v.version for v in versions.VERSIONS if v.status(today) == "standard"),
            "warning",
        )


@rule
def public_endpoint_cidrs(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    endpoints = config.vpc.cluster_endpoints
    if endpoints.public_access and config.vpc.public_access_cidrs is None:
        yield Problem(
            "vpc.publicAccessCIDRs",
            "is required while vpc.clusterEndpoints.publicAccess is true: name the CIDRs that may "
            "reach the Kubernetes API (write 0.0.0.0/0 to open it to the internet), "
            "or set publicAccess: false",
        )
