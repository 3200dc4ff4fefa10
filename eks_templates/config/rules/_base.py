"""What every rule module shares: the registry (:data:`RULES`, :func:`rule`), :class:`_lazy`
regular expressions, :func:`_warn`, and the CIDR and ARN helpers."""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem, suggest
from eks_templates.config.service_network import known_vpc_cidr
from eks_templates.config.subnets import SubnetPlan


class _lazy:
    """A regular expression compiled on first use: most rules see few of them, and
    compiling all at import would cost every render ~8 ms."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


Rule = Callable[[ClusterConfig, _dt.date], Iterator[Problem]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


def _warn(path: str, message: str) -> Problem:
    return Problem(path, message, "warning")


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = suggest(value, choices)
    return f"; did you mean {close!r}?" if close else ""


def _ng(i: int, field: str = "") -> str:
    return f"managedNodeGroups[{i}]" + (f".{field}" if field else "")


# =========================================================================== helpers: CIDRs

Network = ipaddress.IPv4Network


def cidr_problem(text: str) -> str | None:
    """Why ``text`` is not a canonical IPv4 CIDR block, or ``None`` when it is one."""
    if not isinstance(text, str) or not text.strip():
        return "is empty; expected an IPv4 CIDR block such as 10.0.0.0/16"
    if ":" in text:
        return f"{text!r} is an IPv6 block; only IPv4 is supported (kubernetesNetworkConfig.ipFamily: IPv4)"
    if "/" not in text:
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            return f"{text!r} is not an IPv4 CIDR block; expected a block such as 10.0.0.0/16"
        return f"{text!r} has no prefix length; write {text}/32 for one address"
    try:
        ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        try:
            loose = ipaddress.IPv4Network(text, strict=False)
        except ValueError:
            return f"{text!r} is not an IPv4 CIDR block; expected a block such as 10.0.0.0/16"
        return f"{text!r} has host bits set; did you mean {loose}?"
    return None


def _net(text: str | None) -> Network | None:
    """The block, or ``None`` when absent or invalid (the syntax rule reports it)."""
    if text is None or cidr_problem(text) is not None:
        return None
    return ipaddress.IPv4Network(text)


def _cidr_fields(config: ClusterConfig) -> Iterator[tuple[str, str]]:
    """Every CIDR the file gives, with its YAML path."""
    vpc = config.vpc
    if "cidr" in vpc.fields_set or vpc.id is None:
        yield "vpc.cidr", vpc.cidr
    if vpc.subnets is not None:
        for tier, group in (("public", vpc.subnets.public), ("private", vpc.subnets.private)):
            for key, spec in group.items():
                if spec.cidr is not None:
                    yield f"vpc.subnets.{tier}.{key}.cidr", spec.cidr
    for i, cidr in enumerate(vpc.public_access_cidrs or []):
        yield f"vpc.publicAccessCIDRs[{i}]", cidr
    for i, cidr in enumerate(config.bastion.allowed_cidrs):
        yield f"bastion.allowedCIDRs[{i}]", cidr
    service = config.kubernetes_network_config.service_ipv4_cidr
    if service is not None:
        yield "kubernetesNetworkConfig.serviceIPv4CIDR", service


def _vpc_net(config: ClusterConfig) -> Network | None:
    """The VPC block when it is known: a new VPC, or an existing one whose cidr is written."""
    return _net(known_vpc_cidr(config))


def _plan_path(plan: SubnetPlan, config: ClusterConfig, field: str = "cidr") -> str:
    """Where a subnet's problem is reported: its own entry, or vpc.cidr when carved."""
    named = config.vpc.subnets
    group = {} if named is None else (named.public if plan.tier == "public" else named.private)
    spec = group.get(plan.key)
    if spec is not None and (field != "cidr" or spec.cidr is not None):
        return f"{plan.yaml_path}.{field}"
    return "vpc.cidr"


# =========================================================================== helpers: ARNs

_IAM_NAME = r"[\w+=,.@-]+"
_IAM_PATH = r"(?:/[\x21-\x7e]*?)?"
_ROLE_ARN = _lazy(
    rf"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{{12}}):role{_IAM_PATH}/{_IAM_NAME}$"
)
_PRINCIPAL_ARN = _lazy(
    rf"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{{12}}):(?P<kind>role|user){_IAM_PATH}/{_IAM_NAME}$"
)
_POLICY_ARN = _lazy(
    r"^arn:(?P<partition>aws[a-z-]*):eks::aws:cluster-access-policy/(?P<name>[A-Za-z0-9]+)$"
)
_KMS_ARN = _lazy(
    r"^arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
    r"|alias/[A-Za-z0-9/_-]+)$"
)

#: EKS access policies (``aws eks list-access-policies``); an unknown name is a warning
#: (EKS adds policies), a close misspelling gets a suggestion.
ACCESS_POLICIES = (
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSClusterInsightsPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSNetworkingPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEMRJobPolicy",
)


def _role_arn_problems(path: str, arn: str, partition: str, what: str) -> Iterator[Problem]:
    match = _ROLE_ARN.match(arn)
    if match is None:
        yield Problem(
            path,
            f"{arn!r} is not an IAM role ARN; expected arn:{partition}:iam::<12-digit account>:"
            f"role/<name> ({what})",
        )
    elif match["partition"] != partition:
        yield Problem(
            path,
            f"partition {match['partition']!r} does not match the region's; expected arn:{partition}:...",
        )
