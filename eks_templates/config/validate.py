"""Semantic checks of a loaded stack file: what pydantic's types cannot say.

One function per rule, registered with :func:`rule`; each yields
:class:`~eks_templates.config.problems.Problem` objects naming the YAML path, saying
what is wrong and what is allowed. Rules read the config only (no AWS, no files);
``today`` is passed in so the version-support rule is testable.

The aim: every mistake that would otherwise surface as a CloudFormation rollback
twenty minutes into a deploy is caught here, offline, with one clear line.

Decisions worth knowing (the README repeats them):

- ``cloudWatch.clusterLogging.enableTypes``: eksctl's ``all`` and ``*`` are refused
  with a hint; the default already enables every type, and the template needs the
  real names.
- A private-only API endpoint in a VPC this stack creates needs ``bastion.enabled``:
  nothing else can reach inside a new VPC. In an existing VPC (``vpc.id``) a VPN or
  peering may exist, so there it is a warning.
- Label keys under ``kubernetes.io``/``k8s.io`` are refused except the ones the
  kubelet may set on its own node (Kubernetes' NodeRestriction admission).
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from eks_templates.config import regions, versions
from eks_templates.config.model import ALL_LOG_TYPES, AccessPolicy, ClusterConfig, PodIdentityAssociation
from eks_templates.config.problems import Problem, suggest
from eks_templates.config.regions import partition_of
from eks_templates.config.service_network import default_service_cidr, known_vpc_cidr
from eks_templates.config.subnets import SubnetPlan, plan_subnets, subnet_zone
from eks_templates.names import nodegroup_stack, pascal


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


def check(config: ClusterConfig, *, today: _dt.date) -> list[Problem]:
    """Every problem that every rule finds, in rule order."""
    return [problem for fn in RULES for problem in fn(config, today)]


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


# =========================================================================== files and names

_NAME_RE = _lazy(r"^[0-9A-Za-z][A-Za-z0-9_-]*$")
_STACK_NAME_RE = _lazy(r"^[A-Za-z][-A-Za-z0-9]*$")
_NAME_CHARS = "letters, digits, '-' and '_', starting with a letter or digit"


@rule
def cluster_name(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    name = config.metadata.name
    if not 1 <= len(name) <= 100:
        yield Problem(
            "metadata.name", f"{name!r} has {len(name)} characters; an EKS cluster name has 1 to 100"
        )
    elif not _NAME_RE.match(name):
        yield Problem("metadata.name", f"{name!r} is not a valid EKS cluster name; use {_NAME_CHARS}")


def _stack_name_for(name: str) -> str:
    fixed = re.sub(r"[^A-Za-z0-9-]", "-", name)
    return fixed if fixed[:1].isalpha() else "eks-" + fixed


@rule
def stack_name(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    given = config.deploy.stack_name
    name = config.stack_name
    rules = "a CloudFormation stack name has 1 to 128 letters, digits and '-', starting with a letter"
    if given is not None:
        if not _STACK_NAME_RE.match(given) or len(given) > 128:
            yield Problem("deploy.stackName", f"{given!r} is not a valid stack name; {rules}")
    elif _NAME_RE.match(name) and (not _STACK_NAME_RE.match(name) or len(name) > 128):
        yield Problem(
            "metadata.name",
            f"{name!r} is a valid cluster name but also names the CloudFormation stack, and {rules}; "
            f"set deploy.stackName (e.g. {_stack_name_for(name)!r})",
        )


@rule
def nodegroup_names(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    ids: dict[str, int] = {}
    for i, ng in enumerate(config.managed_node_groups):
        path = _ng(i, "name")
        if not 1 <= len(ng.name) <= 63:
            yield Problem(path, f"{ng.name!r} has {len(ng.name)} characters; a nodegroup name has 1 to 63")
            continue
        if not _NAME_RE.match(ng.name):
            yield Problem(path, f"{ng.name!r} is not a valid nodegroup name; use {_NAME_CHARS}")
            continue
        if ng.name in seen:
            yield Problem(
                path,
                f"{ng.name!r} is already the name of managedNodeGroups[{seen[ng.name]}]; "
                "nodegroup names must be unique",
            )
            continue
        seen[ng.name] = i
        logical = pascal(ng.name)
        if logical in ids:
            other = config.managed_node_groups[ids[logical]].name
            yield Problem(
                path,
                f"{ng.name!r} and {other!r} (managedNodeGroups[{ids[logical]}]) both become "
                f"the stack {nodegroup_stack(ng.name)}; names must differ in more than "
                "'-', '_' and the case of a first letter",
            )
            continue
        ids[logical] = i


#: EC2 (botocore's ec2 model, shape LaunchTemplateName): 3 to 128 characters.
MAX_LAUNCH_TEMPLATE_NAME = 128


@rule
def flat_launch_template_names(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``render --flat`` names each launch template ``<stack>-<nodegroup>`` (one stack holds
    them all); nested, it is the nodegroup stack's own name, which always fits."""
    stack = config.stack_name
    for i, ng in enumerate(config.managed_node_groups):
        length = len(stack) + 1 + len(ng.name)
        if length > MAX_LAUNCH_TEMPLATE_NAME:
            yield _warn(
                _ng(i, "name"),
                f"a --flat template deployed as stack {stack!r} names this nodegroup's launch template "
                f"'{stack}-{ng.name}', {length} characters; EC2 allows {MAX_LAUNCH_TEMPLATE_NAME}: shorten "
                "the nodegroup name or deploy.stackName (the nested templates that deploy uses are not affected)",
            )


@rule
def fargate_profile_names(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, profile in enumerate(config.fargate_profiles):
        path = f"fargateProfiles[{i}].name"
        if not 1 <= len(profile.name) <= 100 or not _NAME_RE.match(profile.name):
            yield Problem(
                path, f"{profile.name!r} is not a valid Fargate profile name; use 1 to 100 {_NAME_CHARS}"
            )
        elif profile.name in seen:
            yield Problem(
                path,
                f"{profile.name!r} is already the name of fargateProfiles[{seen[profile.name]}]; "
                "Fargate profile names must be unique",
            )
        else:
            seen[profile.name] = i


_BUCKET_RE = _lazy(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@rule
def deploy_bucket(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    bucket = config.deploy.bucket
    if bucket is None:
        return
    if not _BUCKET_RE.match(bucket) or ".." in bucket or re.match(r"^\d+\.\d+\.\d+\.\d+$", bucket):
        yield Problem(
            "deploy.bucket",
            f"{bucket!r} is not a valid S3 bucket name; use 3 to 63 lowercase "
            "letters, digits, '.' and '-', starting and ending with a letter or digit",
        )


# Tag limits: 50 per resource, keys 1 to 128 and values up to 256 characters, no aws:
# prefix (EC2 "Tag restrictions", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html;
# the same in IAM's and EKS's API models). Tags as a resource gets them: tags_on_resources.
def _tag_problems(prefix: str, tags: dict[str, str]) -> Iterator[Problem]:
    if len(tags) > 50:
        yield Problem(prefix, f"has {len(tags)} tags; AWS resources take at most 50")
    for key, value in tags.items():
        path = f"{prefix}.{key}"
        if not 1 <= len(key) <= 128:
            yield Problem(path, f"tag key has {len(key)} characters; allowed: 1 to 128")
        elif key.lower().startswith("aws:"):
            yield Problem(path, "tag keys starting with 'aws:' are reserved for AWS; choose another key")
        if len(value) > 256:
            yield Problem(path, f"tag value has {len(value)} characters; allowed: at most 256")


@rule
def tags(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    yield from _tag_problems("metadata.tags", config.metadata.tags)
    yield from _tag_problems("deploy.tags", config.deploy.tags)
    for i, ng in enumerate(config.managed_node_groups):
        yield from _tag_problems(_ng(i, "tags"), ng.tags)


# =========================================================================== region and zones

@rule
def region(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """A region this tool knows (config/regions.py, checked against botocore's endpoint
    data): a misspelt region would otherwise render and then fail in cfn-lint or AWS."""
    name = config.metadata.region
    if regions.region(name) is not None:
        return
    close = suggest(name, regions.REGIONS)
    hint = f"; did you mean {close!r}?" if close else f"; known regions: {', '.join(regions.REGIONS)}"
    yield Problem("metadata.region", f"{name!r} is not an AWS region{hint}")


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


def _zone_problem(zone: str, region_name: str) -> Problem | None:
    """Why ``zone`` is not a zone of the region (an error), or that the region has no
    zone of that letter in the table (a warning: zone names vary per account); ``None``
    when it is one, or the region is unknown (reported by the region rule)."""
    known = regions.region(region_name)
    if known is None:
        return None
    if re.fullmatch(re.escape(region_name) + r"[a-z]", zone):
        if zone in known.zones:
            return None
        return _warn("", f"{zone!r} is not a zone of {region_name} known to this tool (known: "
                     f"{', '.join(known.zones)}); zone names differ per account: check `aws ec2 "
                     f"describe-availability-zones --region {region_name}`")
    if zone.startswith(region_name + "-"):
        return Problem("", (
            f"{zone!r} is a Local Zone or Wavelength Zone, which this tool does not support; "
            f"use zones of {region_name} such as {known.zones[0]}"
        ))
    return Problem("", f"{zone!r} is not a zone of metadata.region {region_name}; zones are named like "
                   f"{known.zones[0]}")


@rule
def availability_zones(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    listed = config.availability_zones
    if listed is None:
        return
    seen: set[str] = set()
    for i, zone in enumerate(listed):
        path = f"availabilityZones[{i}]"
        problem = _zone_problem(zone, config.metadata.region)
        if problem is not None:
            yield Problem(path, problem.message, problem.severity)
        if zone in seen:
            yield Problem(path, f"{zone!r} is listed twice")
        seen.add(zone)
    if len(seen) < 2:
        yield Problem(
            "availabilityZones",
            f"lists {len(seen)} distinct zone(s); EKS needs subnets in at least two zones: list two or more",
        )


def _tiers(config: ClusterConfig) -> dict[str, list[str]]:
    """Which subnet tiers the cluster uses, and what uses each (for messages)."""
    used: dict[str, list[str]] = {"public": [], "private": []}
    for i, ng in enumerate(config.managed_node_groups):
        used["private" if ng.private_networking else "public"].append(_ng(i))
    for i, _ in enumerate(config.fargate_profiles):
        used["private"].append(f"fargateProfiles[{i}]")
    if config.bastion.enabled:
        used[config.bastion.subnet].append("bastion")
    if config.vpc.id is None and config.vpc.nat.gateway != "Disable" and used["private"]:
        used["public"].append("vpc.nat (a NAT gateway lives in a public subnet)")
    return used


@rule
def subnet_zones(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    named = config.vpc.subnets
    if named is None:
        return
    region_name = config.metadata.region
    listed = config.availability_zones
    azs: set[str] = set()
    for tier, group in (("public", named.public), ("private", named.private)):
        per_zone: dict[str, str] = {}
        for key, spec in group.items():
            path = f"vpc.subnets.{tier}.{key}"
            zone = subnet_zone(config, key, spec)
            if zone is None:
                if spec.id is None and config.vpc.id is None:
                    yield Problem(
                        path,
                        f"has no az; give az: (a zone of {region_name}) or name the subnet after its zone",
                    )
                continue
            azs.add(zone)
            if spec.az is not None:
                problem = _zone_problem(spec.az, region_name)
                if problem is not None:
                    yield Problem(f"{path}.az", problem.message, problem.severity)
                    if problem.severity == "error":
                        continue
            if listed is not None and zone not in listed:
                yield Problem(
                    f"{path}.az" if spec.az else path,
                    f"zone {zone!r} is not in availabilityZones ({', '.join(listed)})",
                )
            if zone in per_zone:
                yield Problem(
                    path,
                    f"zone {zone!r} already has the {tier} subnet {per_zone[zone]!r}; "
                    f"give one {tier} subnet per zone",
                )
            else:
                per_zone[zone] = key
    if listed is None and config.vpc.id is None and azs and len(azs) < 2:
        yield Problem(
            "vpc.subnets", f"places every subnet in {sorted(azs)[0]}; EKS needs subnets in at least two zones"
        )


# Resource ids: the prefix and hex digits (AWS uses 8 or 17; CloudFormation's typed
# parameters check the exact form at deploy time, before anything is created).
_VPC_ID_RE = _lazy(r"^vpc-[0-9a-f]+$")
_SUBNET_ID_RE = _lazy(r"^subnet-[0-9a-f]+$")
_SG_ID_RE = _lazy(r"^sg-[0-9a-f]+$")


@rule
def subnet_tiers(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """Existing VPC: subnets with ids, in every tier the cluster uses. New VPC: the
    tiers that are used have subnets, and no subnet has an id."""
    vpc = config.vpc
    named = vpc.subnets
    used = _tiers(config)
    if vpc.id is not None and not _VPC_ID_RE.match(vpc.id):
        yield Problem("vpc.id", f"{vpc.id!r} is not a VPC id; expected vpc- and hex digits")
    groups = {"public": named.public if named else {}, "private": named.private if named else {}}
    for tier, group in groups.items():
        for key, spec in group.items():
            path = f"vpc.subnets.{tier}.{key}.id"
            if spec.id is None:
                if vpc.id is not None:
                    yield Problem(
                        f"vpc.subnets.{tier}.{key}",
                        "needs an id: with vpc.id set, the cluster uses existing subnets (id: subnet-...)",
                    )
            elif vpc.id is None:
                yield Problem(
                    path,
                    "names an existing subnet, but vpc.id is not set; set vpc.id to the "
                    "subnet's VPC, or remove id to create the subnet",
                )
            elif not _SUBNET_ID_RE.match(spec.id):
                yield Problem(
                    path, f"{spec.id!r} is not a subnet id; expected subnet- and hex digits"
                )
    if vpc.id is not None:
        if named is None or not (named.public or named.private):
            yield Problem(
                "vpc.subnets",
                "is required with vpc.id: list the existing subnets "
                "(vpc.subnets.private.<name>.id, vpc.subnets.public.<name>.id)",
            )
            return
        if len(groups["public"]) + len(groups["private"]) < 2:
            yield Problem("vpc.subnets", "lists one subnet; EKS needs subnets in at least two zones")
    elif named is None or not (named.public or named.private):
        return  # every tier is carved from vpc.cidr
    for tier, users in used.items():
        if users and not groups[tier]:
            yield Problem(
                f"vpc.subnets.{tier}",
                f"is empty, but {', '.join(users)} need(s) {tier} subnets; add {tier} subnets (one per zone)",
            )


# =========================================================================== CIDRs

#: VPC and subnet blocks: AWS allows /16 to /28.
VPC_PREFIXES = range(16, 29)
#: EKS's rules for serviceIPv4CIDR (EKS API reference, KubernetesNetworkConfigRequest).
SERVICE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
SERVICE_PREFIXES = range(12, 25)


@rule
def cidr_syntax(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for path, cidr in _cidr_fields(config):
        problem = cidr_problem(cidr)
        if problem is not None:
            yield Problem(path, problem)


@rule
def vpc_cidr(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    vpc = _vpc_net(config)
    if vpc is not None and vpc.prefixlen not in VPC_PREFIXES:
        yield Problem(
            "vpc.cidr", f"{vpc} is a /{vpc.prefixlen}; a VPC block is /16 (largest) to /28 (smallest)"
        )


@rule
def subnet_cidrs(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """Subnets inside the VPC, of an allowed size, not overlapping each other; carved
    subnets all fit."""
    vpc = _vpc_net(config)
    plans = plan_subnets(config)
    if vpc is not None and config.vpc.id is None and vpc.prefixlen in VPC_PREFIXES:
        missing = [p for p in plans if p.cidr is None and p.id is None]
        if missing:
            yield Problem(
                "vpc.cidr",
                f"{vpc} is too small to carve {len(plans)} subnets (each at most a /28); "
                "use a larger block (a /16 gives /19 subnets) or give each subnet a cidr",
            )
    placed: list[tuple[SubnetPlan, Network]] = []
    for plan in plans:
        net = _net(plan.cidr)
        if net is None:
            continue
        path = _plan_path(plan, config)
        if path == "vpc.cidr" and (vpc is None or vpc.prefixlen not in VPC_PREFIXES):
            continue  # carved from a vpc.cidr that is already reported
        if net.prefixlen not in VPC_PREFIXES:
            yield Problem(path, f"{net} is a /{net.prefixlen}; a subnet block is /16 to /28")
        if vpc is not None and not net.subnet_of(vpc):
            yield Problem(path, f"{net} is outside vpc.cidr {vpc}; choose a block inside it")
        for other, other_net in placed:
            if net.overlaps(other_net):
                yield Problem(
                    path,
                    f"{net} overlaps {other_net} of {_plan_path(other, config).removesuffix('.cidr')}"
                    "; subnets must not overlap",
                )
                break
        placed.append((plan, net))


@rule
def service_cidr(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    path = "kubernetesNetworkConfig.serviceIPv4CIDR"
    net = _net(config.kubernetes_network_config.service_ipv4_cidr)
    if net is None:
        return
    allowed = "a /12 to /24 inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
    if not any(net.subnet_of(r) for r in SERVICE_RANGES):
        yield Problem(path, f"{net} is outside the ranges EKS accepts; use {allowed}")
    elif net.prefixlen not in SERVICE_PREFIXES:
        yield Problem(path, f"{net} is a /{net.prefixlen}; use {allowed}")
    vpc = _vpc_net(config)
    if vpc is not None and net.overlaps(vpc):
        clear = default_service_cidr(vpc)  # EKS's own choice when serviceIPv4CIDR is left out
        yield Problem(
            path,
            f"{net} overlaps vpc.cidr {vpc}; Kubernetes service addresses must be clear of the VPC: "
            f"use e.g. {clear}, or leave serviceIPv4CIDR out and EKS picks one",
        )


#: Addresses AWS reserves in every subnet (network, router, DNS, future use, broadcast).
RESERVED_PER_SUBNET = 5


@rule
def subnet_capacity(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """Warn when a subnet cannot hold the nodes its tier may get. Each node takes at
    least one address (and with the VPC CNI one per pod on top), so this is a floor."""
    nodes = {"public": 0, "private": 0}
    for ng in config.managed_node_groups:
        nodes["private" if ng.private_networking else "public"] += ng.max_size
    for plan in plan_subnets(config):
        net = _net(plan.cidr)
        if net is None or not nodes[plan.tier]:
            continue
        usable = net.num_addresses - RESERVED_PER_SUBNET
        if usable < nodes[plan.tier]:
            yield _warn(
                _plan_path(plan, config),
                f"the {plan.tier} subnet {net} has {usable} usable addresses, fewer than the "
                f"{nodes[plan.tier]} nodes the {plan.tier} nodegroups may scale to (maxSize); each node "
                "needs one address plus one per pod: use a larger block",
            )


# =========================================================================== API endpoint

_OPEN = ipaddress.IPv4Network("0.0.0.0/0")


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
    elif not endpoints.public_access and config.vpc.public_access_cidrs:
        yield _warn("vpc.publicAccessCIDRs", "is ignored: vpc.clusterEndpoints.publicAccess is false")
    elif endpoints.public_access and config.vpc.public_access_cidrs == []:
        yield Problem(
            "vpc.publicAccessCIDRs",
            "is empty while publicAccess is true; name at least one CIDR, or set publicAccess: false",
        )


@rule
def endpoint_access(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    endpoints = config.vpc.cluster_endpoints
    path = "vpc.clusterEndpoints"
    if not endpoints.public_access and not endpoints.private_access:
        yield Problem(path, "turns off both publicAccess and privateAccess; the API needs at least one")
        return
    stated_way_in = (config.bastion.private_access_via or "").strip()
    if not endpoints.public_access and not config.bastion.enabled and not stated_way_in:
        message = (
            "makes the API private only, and nothing here can reach it: set bastion.enabled: true "
            "(the management host inside the VPC), state the way in with bastion.privateAccessVia "
            "(a VPN, Direct Connect, Transit Gateway), or keep publicAccess: true"
        )
        if config.vpc.id is None:
            yield Problem(f"{path}.publicAccess", message + "; a new VPC has no VPN or peering")
        else:
            yield _warn(
                f"{path}.publicAccess", message + ", unless a VPN, Direct Connect or peering reaches vpc.id"
            )
    if (
        endpoints.public_access
        and not endpoints.private_access
        and (config.managed_node_groups or config.fargate_profiles)
    ):
        nets = [_net(c) for c in config.vpc.public_access_cidrs or []]
        if not any(n == _OPEN for n in nets):
            message = (
                "is false, so nodes reach the API through the public endpoint from their NAT or public "
                "address, which publicAccessCIDRs does not allow: nodes would fail to join; set "
                "privateAccess: true"
            )
            if config.vpc.id is None:
                yield Problem(f"{path}.privateAccess", message)
            else:
                yield _warn(
                    f"{path}.privateAccess", message + " or make sure the VPC's NAT addresses are listed"
                )


@rule
def open_to_the_internet(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """0.0.0.0/0 is allowed when written, but worth one line each time."""
    if config.vpc.cluster_endpoints.public_access:
        for i, cidr in enumerate(config.vpc.public_access_cidrs or []):
            if _net(cidr) == _OPEN:
                yield _warn(
                    f"vpc.publicAccessCIDRs[{i}]",
                    "0.0.0.0/0 opens the Kubernetes API endpoint to the "
                    "whole internet; list your own CIDRs to narrow it",
                )
    if config.bastion.enabled:
        for i, cidr in enumerate(config.bastion.allowed_cidrs):
            if _net(cidr) == _OPEN:
                yield _warn(
                    f"bastion.allowedCIDRs[{i}]",
                    "0.0.0.0/0 opens SSH on the management host to the "
                    "whole internet; list your own CIDRs to narrow it",
                )


@rule
def nat_for_private_workloads(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """A new VPC without NAT gives private subnets no way out: nodes cannot pull images
    or register, and the deploy rolls back after the nodegroup times out."""
    if config.vpc.id is not None or config.vpc.nat.gateway != "Disable":
        return
    users = [u for u in _tiers(config)["private"] if u != "bastion"]
    if users:
        yield Problem(
            "vpc.nat.gateway",
            f"is Disable, but {', '.join(users)} run(s) in private subnets that "
            "then have no route out (no image pulls, nodes never join); use "
            "Single or HighlyAvailable, or privateNetworking: false",
        )
    elif config.bastion.enabled and config.bastion.subnet == "private":
        yield _warn(
            "vpc.nat.gateway",
            "is Disable, so the management host in a private subnet has no route "
            "out and Session Manager cannot reach it",
        )


# =========================================================================== access

#: a namespace name, or a prefix ending in '*' (access scopes and Fargate selectors take those)
_NAMESPACE_RE = _lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$|^([a-z0-9][-a-z0-9]*)?\*$")


@rule
def authentication_mode(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    access = config.access_config
    if access.authentication_mode == "CONFIG_MAP" and not access.bootstrap_cluster_creator_admin_permissions:
        yield Problem(
            "accessConfig.bootstrapClusterCreatorAdminPermissions",
            "must be true with authenticationMode CONFIG_MAP (otherwise no one can administer the "
            "cluster); use authenticationMode API_AND_CONFIG_MAP or API to manage access with entries",
        )
    if access.authentication_mode == "CONFIG_MAP" and access.access_entries:
        yield Problem(
            "accessConfig.accessEntries",
            "need authenticationMode API or API_AND_CONFIG_MAP (CONFIG_MAP has no access entries)",
        )


@rule
def access_entries(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    partition = partition_of(config.metadata.region)
    seen: dict[str, int] = {}
    for i, entry in enumerate(config.access_config.access_entries):
        base = f"accessConfig.accessEntries[{i}]"
        arn = entry.principal_arn
        match = _PRINCIPAL_ARN.match(arn)
        if match is None:
            hint = ""
            if ":assumed-role/" in arn:
                hint = "; this is a session ARN: use the role's ARN (arn:...:iam::<account>:role/<name>)"
            yield Problem(
                f"{base}.principalARN",
                f"{arn!r} is not an IAM role or user ARN; expected "
                f"arn:{partition}:iam::<12-digit account>:role/<name> or "
                f":user/<name>{hint}",
            )
        elif match["partition"] != partition:
            yield Problem(
                f"{base}.principalARN",
                f"partition {match['partition']!r} does not match region "
                f"{config.metadata.region}; expected arn:{partition}:...",
            )
        elif entry.type in ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX") and match["kind"] != "role":
            yield Problem(f"{base}.principalARN", f"an access entry of type {entry.type} needs a role ARN")
        if arn in seen:
            yield Problem(
                f"{base}.principalARN",
                f"is already used by accessEntries[{seen[arn]}]; EKS allows one access entry per principal",
            )
        seen.setdefault(arn, i)
        if entry.type not in (None, "STANDARD"):
            if entry.kubernetes_groups:
                yield Problem(
                    f"{base}.kubernetesGroups",
                    f"are not allowed for type {entry.type} (EKS assigns "
                    "the groups); only STANDARD entries take them",
                )
            if entry.access_policies:
                yield Problem(
                    f"{base}.accessPolicies",
                    f"are not allowed for type {entry.type}; only STANDARD entries take access policies",
                )
        yield from _access_policies_problems(base, entry.access_policies, partition)
        yield from _kubernetes_groups_problems(base, entry.kubernetes_groups)


def _access_policies_problems(base: str, access_policies: list[AccessPolicy], partition: str) -> Iterator[Problem]:
    """The rules of an access entry's ``accessPolicies`` (``accessConfig.accessEntries[i]``
    and the management host's ``bastion``)."""
    policies: dict[str, int] = {}
    for j, policy in enumerate(access_policies):
        ppath = f"{base}.accessPolicies[{j}]"
        yield from _policy_problems(ppath, policy.policy_arn, partition)
        if policy.policy_arn in policies:
            yield Problem(
                f"{ppath}.policyARN",
                f"is already associated by accessPolicies[{policies[policy.policy_arn]}]",
            )
        policies.setdefault(policy.policy_arn, j)
        scope = policy.access_scope
        if scope.type == "namespace" and not scope.namespaces:
            yield Problem(
                f"{ppath}.accessScope.namespaces",
                "is required with type namespace; list the namespaces, or use type cluster",
            )
        if scope.type == "cluster" and scope.namespaces:
            yield Problem(
                f"{ppath}.accessScope.namespaces",
                "are not allowed with type cluster; use type namespace to limit the policy to them",
            )
        for k, ns in enumerate(scope.namespaces):
            if len(ns) > 63 or not _NAMESPACE_RE.match(ns):
                yield Problem(
                    f"{ppath}.accessScope.namespaces[{k}]",
                    f"{ns!r} is not a Kubernetes namespace name (lowercase letters, digits and "
                    "'-', at most 63; a trailing '*' matches a prefix)",
                )


def _kubernetes_groups_problems(base: str, groups: list[str]) -> Iterator[Problem]:
    """``KubernetesGroups`` of an access entry: unique items (the AWS::EKS::AccessEntry
    schema's ``uniqueItems``), none empty."""
    seen: dict[str, int] = {}
    for j, group in enumerate(groups):
        path = f"{base}.kubernetesGroups[{j}]"
        if not group.strip():
            yield Problem(path, "is empty; name the Kubernetes group (the subject of a RoleBinding)")
        elif group in seen:
            yield Problem(path, f"{group!r} is already listed as kubernetesGroups[{seen[group]}]")
        seen.setdefault(group, j)


@rule
def management_host_access(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """The management host's role gets an access entry (kubectl there): the cluster admin
    policy, or what ``bastion.accessPolicies``/``kubernetesGroups`` say."""
    bastion = config.bastion
    narrowed = bastion.access_policies is not None or bastion.kubernetes_groups
    if not bastion.enabled:
        if narrowed:
            given = "accessPolicies" if bastion.access_policies is not None else "kubernetesGroups"
            yield _warn(f"bastion.{given}", "is ignored: bastion.enabled is false (there is no management host)")
        return
    if config.access_config.authentication_mode == "CONFIG_MAP":
        yield Problem(
            "bastion.enabled",
            "needs accessConfig.authenticationMode API or API_AND_CONFIG_MAP: the management host's role gets "
            "an access entry for kubectl, and CONFIG_MAP has no access entries",
        )
        return
    yield from _access_policies_problems("bastion", bastion.access_policies or [], partition_of(config.metadata.region))
    yield from _kubernetes_groups_problems("bastion", bastion.kubernetes_groups)
    if bastion.access_policies == [] and not bastion.kubernetes_groups:
        yield _warn(
            "bastion.accessPolicies",
            "is empty and there are no kubernetesGroups: kubectl on the management host can authenticate but "
            "may do nothing; leave accessPolicies out for cluster admin, or list a policy or a group",
        )


def _policy_problems(path: str, arn: str, partition: str) -> Iterator[Problem]:
    match = _POLICY_ARN.match(arn)
    if match is None:
        name = arn.rsplit("/", 1)[-1] if "/" in arn else arn
        hint = (
            f"; did you mean arn:{partition}:eks::aws:cluster-access-policy/{name}?"
            if name in ACCESS_POLICIES
            else ""
        )
        yield Problem(
            f"{path}.policyARN",
            f"{arn!r} is not an EKS access policy ARN; expected "
            f"arn:{partition}:eks::aws:cluster-access-policy/<Name>{hint}",
        )
    elif match["partition"] != partition:
        yield Problem(
            f"{path}.policyARN",
            f"partition {match['partition']!r} does not match the region's; expected arn:{partition}:...",
        )
    elif match["name"] not in ACCESS_POLICIES:
        yield _warn(
            f"{path}.policyARN",
            f"{match['name']!r} is not an EKS access policy known to this tool"
            f"{_did_you_mean(match['name'], ACCESS_POLICIES)}",
        )


@rule
def role_arns(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    partition = partition_of(config.metadata.region)
    if config.iam.service_role_arn is not None:
        yield from _role_arn_problems(
            "iam.serviceRoleARN", config.iam.service_role_arn, partition, "the cluster's service role"
        )
    for i, addon in enumerate(config.addons):
        if addon.service_account_role_arn is not None:
            yield from _role_arn_problems(
                f"addons[{i}].serviceAccountRoleARN",
                addon.service_account_role_arn,
                partition,
                "the add-on's IRSA role",
            )


@rule
def kms_key(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    arn = config.secrets_encryption.key_arn
    if arn is None:
        return
    path = "secretsEncryption.keyARN"
    region_name = config.metadata.region
    partition = partition_of(region_name)
    match = _KMS_ARN.match(arn)
    if match is None:
        yield Problem(
            path,
            f"{arn!r} is not a KMS key ARN; expected arn:{partition}:kms:{region_name}:"
            "<account>:key/<key id> or :alias/<name>",
        )
    elif match["partition"] != partition:
        yield Problem(
            path,
            f"partition {match['partition']!r} does not match the region's; expected arn:{partition}:...",
        )
    elif match["region"] != region_name:
        yield Problem(
            path, f"the key is in {match['region']}; EKS needs a key in the cluster's region {region_name}"
        )


# =========================================================================== nodegroups: sizes and types

#: EBS volume sizes by type, GiB (Amazon EBS volume types). io2 volumes are all
#: Block Express now: up to 64 TiB.
VOLUME_BOUNDS = {"gp2": (1, 16384), "gp3": (1, 16384), "io1": (4, 16384), "io2": (4, 65536)}
#: The smallest node volume an AMI family boots from: EC2 refuses a volume smaller
#: than the AMI's snapshot. The EKS-optimized Amazon Linux and Ubuntu AMIs have 20 GiB
#: root snapshots; for Bottlerocket, volumeSize is the data volume (as in eksctl),
#: whose snapshot is 20 GiB too.
AMI_MIN_VOLUME = 20


@rule
def nodegroup_sizes(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        desired, low, high = ng.desired_capacity, ng.min_size, ng.max_size
        allowed = "allowed: 0 <= minSize <= desiredCapacity <= maxSize, maxSize >= 1"
        if low < 0:
            yield Problem(_ng(i, "minSize"), f"{low} is negative; {allowed}")
        if high < 1:
            yield Problem(_ng(i, "maxSize"), f"{high} is below 1; {allowed}")
        if desired < 0:
            yield Problem(_ng(i, "desiredCapacity"), f"{desired} is negative; {allowed}")
        if low > high >= 1 and desired <= high:
            yield Problem(_ng(i, "minSize"), f"{low} is above maxSize {high}; {allowed}")
        elif desired > high >= 1:
            yield Problem(_ng(i, "desiredCapacity"), f"{desired} is above maxSize {high}; {allowed}")
        elif desired < low and desired >= 0:
            yield Problem(_ng(i, "desiredCapacity"), f"{desired} is below minSize {low}; {allowed}")


@rule
def volume_size(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        low, high = VOLUME_BOUNDS[ng.volume_type]
        size = ng.volume_size
        if not low <= size <= high:
            yield Problem(
                _ng(i, "volumeSize"),
                f"{size} GiB is outside what {ng.volume_type} allows: {low} to {high} GiB",
            )
        elif size < AMI_MIN_VOLUME:
            yield Problem(
                _ng(i, "volumeSize"),
                f"{size} GiB is smaller than the {ng.ami_family} AMI's "
                f"{AMI_MIN_VOLUME} GiB snapshot; use at least {AMI_MIN_VOLUME}",
            )


_SIZES = r"(nano|micro|small|medium|large|xlarge|[1-9]\d*xlarge|metal(-\d+xl)?)"
_INSTANCE_RE = _lazy(rf"^(?P<family>[a-z][a-z0-9-]*\d[a-z0-9-]*)\.(?P<size>{_SIZES})$")
_FAMILY_RE = _lazy(r"^(?P<series>[a-z]+)(?P<generation>\d+)(?P<options>[a-z0-9-]*)$")


def instance_type_problem(value: str) -> str | None:
    if _INSTANCE_RE.match(value):
        return None
    guess = value.strip().lower().replace("-", ".", 1) if "." not in value else value.strip().lower()
    hint = f"; did you mean {guess!r}?" if guess != value and _INSTANCE_RE.match(guess) else ""
    return f"{value!r} is not an EC2 instance type; expected family.size such as t3.medium or m7g.large{hint}"


def architecture(instance_type: str) -> str | None:
    """``arm64`` for Graviton families (a1, and a ``g`` after the generation: m7g, c6gn,
    im4gn), ``x86_64`` for the rest, ``None`` when the name is not understood."""
    match = _INSTANCE_RE.match(instance_type)
    family = _FAMILY_RE.match(match["family"]) if match else None
    if family is None:
        return None
    if family["series"] == "a" or "g" in family["options"].split("-", 1)[0]:
        return "arm64"
    return "x86_64"


@rule
def instance_types(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        if ng.instance_type is not None and ng.instance_types:
            yield Problem(
                _ng(i, "instanceTypes"), "cannot be given together with instanceType; use one of them"
            )
        typed = [(_ng(i, "instanceType"), ng.instance_type)] if ng.instance_type else []
        typed += [(_ng(i, f"instanceTypes[{j}]"), t) for j, t in enumerate(ng.instance_types)]
        seen: set[str] = set()
        arches: dict[str, str] = {}
        for path, value in typed:
            problem = instance_type_problem(value)
            if problem:
                yield Problem(path, problem)
                continue
            if value in seen:
                yield Problem(path, f"{value!r} is listed twice")
            seen.add(value)
            arch = architecture(value)
            if arch is not None:
                arches.setdefault(arch, value)
        if len(arches) > 1:
            yield Problem(
                _ng(i, "instanceTypes"),
                f"mixes CPU architectures ({arches['arm64']} is arm64/Graviton, {arches['x86_64']} is "
                "x86_64); one nodegroup runs one AMI: split them into two nodegroups",
            )
    if config.bastion.enabled:
        problem = instance_type_problem(config.bastion.instance_type)
        if problem:
            yield Problem("bastion.instanceType", problem)


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


#: Kubernetes versions for which each AMI family is published: (first, last), None = open.
#: AL2: EKS publishes no Amazon Linux 2 AMIs from 1.33 on. Ubuntu (Canonical's EKS
#: images): 20.04 up to 1.29, 22.04 from 1.29 until 1.33, 24.04 from 1.31.
AMI_VERSIONS: dict[str, tuple[str | None, str | None]] = {
    "AmazonLinux2": (None, "1.32"),
    "Ubuntu2004": (None, "1.29"),
    "Ubuntu2204": ("1.29", "1.33"),
    "Ubuntu2404": ("1.31", None),
}


@rule
def ami_family(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        wanted = ng.effective_version(config.metadata.version)
        version = _version_key(wanted)
        if not version:
            continue
        first, last = AMI_VERSIONS.get(ng.ami_family, (None, None))
        if last is not None and version > _version_key(last):
            yield Problem(
                _ng(i, "amiFamily"),
                f"{ng.ami_family} AMIs are not published for Kubernetes "
                f"{wanted} (last: {last}); use AmazonLinux2023 "
                "or Bottlerocket",
            )
        elif first is not None and version < _version_key(first):
            yield Problem(
                _ng(i, "amiFamily"),
                f"{ng.ami_family} AMIs start at Kubernetes {first}, not "
                f"{wanted}; use AmazonLinux2023 or Bottlerocket",
            )


@rule
def nodegroup_versions(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """A pinned ``version`` within Kubernetes' version-skew policy of the control plane.

    EKS creates a nodegroup only at the cluster's version ("By default, the Kubernetes
    version of the cluster is used, and this is the only accepted specified value",
    CreateNodegroup, EKS API reference), so an older pin only suits a nodegroup that
    exists already: a warning, since the file cannot say which is the case."""
    cluster = config.metadata.version
    if versions.parse(cluster) is None:
        return
    for i, ng in enumerate(config.managed_node_groups):
        if ng.version is None:
            continue
        path = _ng(i, "version")
        if ng.version not in versions.BY_VERSION:
            yield Problem(path, f"{ng.version!r} is not a Kubernetes version EKS offers; choose one of: "
                          + ", ".join(versions.creatable(today)))
            continue
        problem = versions.skew_problem(ng.version, cluster)
        if problem:
            yield Problem(path, f"{problem}; leave version out to follow metadata.version")
        elif ng.version != cluster:
            yield _warn(path, f"{ng.version} is older than the cluster's {cluster}: EKS creates a nodegroup "
                        "only at the cluster's version, so this suits a nodegroup that already runs "
                        f"{ng.version}; the next upgrade leaves it there until you change it")


#: AMI families this tool runs as a custom AMI (ImageId in the launch template, no AmiType).
_CUSTOM_AMI_FAMILIES = ("Ubuntu2404", "Ubuntu2204", "Ubuntu2004")


@rule
def release_versions(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        if ng.release_version is None:
            continue
        path = _ng(i, "releaseVersion")
        if ng.ami_family in _CUSTOM_AMI_FAMILIES:
            # CreateNodegroup: "If you specify launchTemplate, and your launch template uses a
            # custom AMI, then don't specify releaseVersion, or the node group deployment
            # will fail" (EKS API reference).
            yield Problem(path, f"{ng.ami_family} nodes run Canonical's image as a custom AMI, for which EKS "
                          "takes no releaseVersion; the image follows the Kubernetes version "
                          "(Canonical's public SSM parameter): leave releaseVersion out")
            continue
        version = ng.effective_version(config.metadata.version)
        if ng.ami_family in ("AmazonLinux2023", "AmazonLinux2") and \
                not _AMI_RELEASE_RE.match(ng.release_version):
            yield Problem(path, f"{ng.release_version!r} is not an EKS-optimized AMI release; expected "
                          f"<kubernetes>.<patch>-<yyyymmdd> such as {version}.0-20261120")
        elif ng.ami_family in ("AmazonLinux2023", "AmazonLinux2") and \
                not ng.release_version.startswith(f"{version}."):
            yield Problem(path, f"{ng.release_version} is an AMI release of another Kubernetes version than the "
                          f"nodegroup's {version}; use a {version}.x release, or leave releaseVersion out "
                          "for the newest")


_AMI_RELEASE_RE = _lazy(r"^\d+\.\d+\.\d+-\d{8}$")


@rule
def support_policy(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    if config.upgrade_policy.support_type != "EXTENDED":
        return
    known = versions.BY_VERSION.get(config.metadata.version)
    when = (f"standard support of {known.version} ends on {known.end_of_standard_support.isoformat()}; "
            if known else "")
    standard, extended = versions.PRICE_PER_HOUR["STANDARD"], versions.PRICE_PER_HOUR["EXTENDED"]
    monthly = (extended - standard) * 730
    yield _warn(
        "upgradePolicy.supportType",
        f"EXTENDED: {when}after that EKS keeps the cluster on it in extended support at ${extended:.2f} "
        f"per cluster hour instead of ${standard:.2f} (about ${monthly:.0f} a month more); STANDARD (the "
        "default here) has EKS upgrade it instead",
    )


# =========================================================================== nodegroups: labels, taints, ssh

# Kubernetes' label syntax ("Labels and Selectors: Syntax and character set",
# https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set):
# an optional prefix that is a DNS subdomain of at most 253 characters, '/', and a name of at
# most 63; values at most 63. Taint keys and values follow the same rules. EKS is tighter
# still: eks_label_limits.
_DNS_SUBDOMAIN_RE = _lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME_RE = _lazy(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE_RE = _lazy(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED = (
    "an optional DNS prefix (at most 253) and '/', then at most 63 letters, digits, '-', '_' "
    "and '.', starting and ending with a letter or digit"
)
_LABEL_VALUE = "at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"

#: Labels a kubelet may set on its own Node under kubernetes.io/k8s.io (Kubernetes'
#: NodeRestriction admission); any other key there is refused.
KUBELET_LABELS = frozenset(
    {
        "kubernetes.io/hostname",
        "kubernetes.io/arch",
        "kubernetes.io/os",
        "beta.kubernetes.io/instance-type",
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "node.kubernetes.io/instance-type",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    }
)
KUBELET_PREFIXES = ("kubelet.kubernetes.io", "node.kubernetes.io")


def qualified_name_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN_RE.match(prefix)):
        return f"{key!r} has an invalid prefix; expected {_QUALIFIED}"
    if not name or len(name) > 63 or not _QUALIFIED_NAME_RE.match(name):
        return f"{key!r} is not a valid key; expected {_QUALIFIED}"
    return None


def _reserved_label(key: str) -> bool:
    prefix = key.rpartition("/")[0]
    if not any(prefix == d or prefix.endswith("." + d) for d in ("kubernetes.io", "k8s.io")):
        return False
    if key in KUBELET_LABELS:
        return False
    return not any(prefix == p or prefix.endswith("." + p) for p in KUBELET_PREFIXES)


@rule
def labels(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        for key, value in ng.labels.items():
            path = _ng(i, f"labels.{key}")
            problem = qualified_name_problem(key)
            if problem:
                yield Problem(path, f"label {problem}")
            elif _reserved_label(key):
                yield Problem(
                    path,
                    "is under kubernetes.io/k8s.io, where a node may only set its own "
                    "kubelet labels (node.kubernetes.io/..., kubelet.kubernetes.io/...); use "
                    "your own prefix, e.g. example.com/role",
                )
            if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE_RE.match(value):
                yield Problem(path, f"label value {value!r} is not valid; expected {_LABEL_VALUE}")


TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
#: Amazon EKS quota: taints per managed nodegroup.
MAX_TAINTS = 50


@rule
def taints(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        if len(ng.taints) > MAX_TAINTS:
            yield Problem(
                _ng(i, "taints"), f"has {len(ng.taints)} taints; EKS allows {MAX_TAINTS} per nodegroup"
            )
        seen: dict[tuple[str, str], int] = {}
        for j, taint in enumerate(ng.taints):
            base = _ng(i, f"taints[{j}]")
            problem = qualified_name_problem(taint.key)
            if problem:
                yield Problem(f"{base}.key", f"taint {problem}")
            if taint.value is not None and (len(taint.value) > 63 or not _LABEL_VALUE_RE.match(taint.value)):
                yield Problem(f"{base}.value", f"{taint.value!r} is not valid; expected {_LABEL_VALUE}")
            if taint.effect not in TAINT_EFFECTS:
                by_api = {
                    "NO_SCHEDULE": "NoSchedule",
                    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
                    "NO_EXECUTE": "NoExecute",
                }
                hint = (
                    f"; did you mean {by_api[taint.effect]!r}?"
                    if taint.effect in by_api
                    else _did_you_mean(taint.effect, TAINT_EFFECTS)
                )
                yield Problem(
                    f"{base}.effect",
                    f"{taint.effect!r} is not a taint effect; allowed: {', '.join(TAINT_EFFECTS)}{hint}",
                )
            pair = (taint.key, taint.effect)
            if pair in seen:
                yield Problem(base, f"repeats taints[{seen[pair]}] (same key and effect)")
            seen.setdefault(pair, j)


@rule
def node_ssh(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        ssh = ng.ssh
        base = _ng(i, "ssh")
        if ssh.public_key_name and (ssh.public_key_path or ssh.public_key):
            other = "publicKeyPath" if ssh.public_key_path else "publicKey"
            yield Problem(
                f"{base}.publicKeyName",
                f"cannot be given together with {other}; use an EC2 key pair name or a public key, not both",
            )
        for j, group in enumerate(ssh.source_security_group_ids):
            if not _SG_ID_RE.match(group):
                yield Problem(
                    f"{base}.sourceSecurityGroupIds[{j}]",
                    f"{group!r} is not a security group id; expected sg- and hex digits",
                )
        if ssh.allow and not config.bastion.enabled and not ssh.source_security_group_ids:
            yield _warn(
                f"{base}.allow",
                "opens port 22 only to the management host and sourceSecurityGroupIds, and there is "
                "neither: enable bastion or list sourceSecurityGroupIds, or nothing can reach the nodes",
            )
        if not ssh.allow:
            given = [
                name
                for name, value in (
                    ("publicKeyName", ssh.public_key_name),
                    ("publicKeyPath", ssh.public_key_path),
                    ("publicKey", ssh.public_key and not ssh.public_key_path),
                    ("sourceSecurityGroupIds", ssh.source_security_group_ids),
                )
                if value
            ]
            if given:
                yield _warn(
                    f"{base}.allow",
                    f"is false, so {', '.join(given)} is ignored; set allow: true to open SSH to the nodes",
                )


@rule
def update_config(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        update = ng.update_config
        if update is None:
            continue
        base = _ng(i, "updateConfig")
        count, percent = update.max_unavailable, update.max_unavailable_percentage
        if count is not None and percent is not None:
            yield Problem(base, "gives both maxUnavailable and maxUnavailablePercentage; use one of them")
        elif count is None and percent is None:
            yield Problem(base, "needs maxUnavailable (nodes) or maxUnavailablePercentage (1 to 100)")
        if count is not None and not 1 <= count <= 100:
            yield Problem(f"{base}.maxUnavailable", f"{count} is outside 1 to 100")
        if percent is not None and not 1 <= percent <= 100:
            yield Problem(f"{base}.maxUnavailablePercentage", f"{percent} is outside 1 to 100")


# =========================================================================== add-ons, logging, Fargate

#: EKS add-ons by AWS, and the community add-ons EKS offers. A name with '_' is taken
#: to be an AWS Marketplace add-on (vendor_product) and only warned about.
KNOWN_ADDONS = (
    "vpc-cni",
    "coredns",
    "kube-proxy",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "aws-fsx-csi-driver",
    "aws-mountpoint-s3-csi-driver",
    "snapshot-controller",
    "aws-secrets-store-csi-driver-provider",
    "eks-pod-identity-agent",
    "eks-node-monitoring-agent",
    "aws-network-flow-monitoring-agent",
    "amazon-cloudwatch-observability",
    "adot",
    "aws-guardduty-agent",
    "aws-privateca-connector-for-kubernetes",
    "amazon-sagemaker-hyperpod-taskgovernance",
    "amazon-sagemaker-hyperpod-observability",
    "metrics-server",
    "kube-state-metrics",
    "prometheus-node-exporter",
    "cert-manager",
    "external-dns",
    "fluent-bit",
)
_ADDON_VERSION_RE = _lazy(r"^v\d+\.\d+\.\d+(-eksbuild\.\d+)?$")


@rule
def addons(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, addon in enumerate(config.addons):
        path = f"addons[{i}]"
        if addon.name in seen:
            yield Problem(
                f"{path}.name", f"{addon.name!r} is already addons[{seen[addon.name]}]; list each add-on once"
            )
        seen.setdefault(addon.name, i)
        if addon.name not in KNOWN_ADDONS:
            if "_" in addon.name:
                yield _warn(
                    f"{path}.name",
                    f"{addon.name!r} is not an EKS add-on known to this tool; taken "
                    "to be an AWS Marketplace add-on (vendor_product)",
                )
            else:
                hint = _did_you_mean(addon.name, KNOWN_ADDONS)
                yield Problem(
                    f"{path}.name",
                    f"{addon.name!r} is not an EKS add-on{hint or ''}"
                    f"{'' if hint else '; known: ' + ', '.join(KNOWN_ADDONS)}",
                )
        if addon.version is not None and "_" not in addon.name and not _ADDON_VERSION_RE.match(addon.version):
            extra = (
                "; this tool does not look versions up: omit version for the default of the cluster's "
                "Kubernetes version"
                if addon.version == "latest"
                else ""
            )
            yield Problem(
                f"{path}.version",
                f"{addon.version!r} is not an add-on version such as v1.19.0-eksbuild.1{extra}",
            )
        if addon.service_account_role_arn is not None and not config.iam.with_oidc:
            yield _warn(
                f"{path}.serviceAccountRoleARN",
                "uses IAM roles for service accounts, which needs the "
                "cluster's OIDC provider: set iam.withOIDC: true",
            )


#: The labels of EKS's CoreDNS pods (namespace kube-system); a Fargate selector picks them
#: when every label it names is one of these (eksctl pkg/fargate/coredns: selectsCoreDNS).
COREDNS_POD_LABELS = {"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}


def _selects_coredns(namespace: str, labels: dict[str, str]) -> bool:
    # Fargate selectors take '*' and '?' wildcards in namespaces and label values
    return fnmatch.fnmatchcase("kube-system", namespace) and all(
        key in COREDNS_POD_LABELS and fnmatch.fnmatchcase(COREDNS_POD_LABELS[key], value)
        for key, value in labels.items()
    )


@rule
def coredns_compute(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """Without a nodegroup, CoreDNS runs on Fargate (computeType: Fargate) or nowhere: its
    pods stay Pending, the add-on goes DEGRADED and the stack never completes. (EKS Auto
    Mode's built-in node pools run it too: its system pool takes critical add-ons.)"""
    auto = config.auto_mode_config
    if config.managed_node_groups or (auto is not None and auto.enabled and auto.node_pools != []):
        return
    for i, addon in enumerate(config.addons):
        if addon.name != "coredns":
            continue
        if not config.fargate_profiles:
            yield Problem(
                f"addons[{i}].name",
                "coredns has nowhere to run: the cluster has no managedNodeGroups and no fargateProfiles, "
                "so EKS reports the add-on DEGRADED and the stack never completes; add a nodegroup, or a "
                "Fargate profile with a selector for namespace kube-system, or leave coredns out",
            )
        elif not any(_selects_coredns(sel.namespace, sel.labels)
                     for profile in config.fargate_profiles for sel in profile.selectors):
            yield Problem(
                f"addons[{i}].name",
                "coredns runs on Fargate in this cluster (no managedNodeGroups), but no fargateProfiles "
                "selector matches its pods (namespace kube-system, labels k8s-app: kube-dns): they would "
                "stay Pending and the add-on DEGRADED; add a selector {namespace: kube-system} to a profile",
            )


@rule
def log_types(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, kind in enumerate(config.cloud_watch.cluster_logging.enable_types):
        path = f"cloudWatch.clusterLogging.enableTypes[{i}]"
        if kind in ("all", "*"):
            yield Problem(
                path,
                f"{kind!r} is eksctl shorthand this tool does not take; list the types "
                f"({', '.join(ALL_LOG_TYPES)}), or leave enableTypes out for all of them",
            )
        elif kind not in ALL_LOG_TYPES:
            yield Problem(
                path,
                f"{kind!r} is not a control-plane log type; allowed: {', '.join(ALL_LOG_TYPES)}"
                f"{_did_you_mean(kind, ALL_LOG_TYPES)}",
            )
        elif kind in seen:
            yield Problem(path, f"{kind!r} is listed twice")
        seen.add(kind)


#: CloudWatch Logs retention periods (PutRetentionPolicy), in days.
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


@rule
def log_retention(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    days = config.cloud_watch.cluster_logging.log_retention_in_days
    if days not in RETENTION_DAYS:
        above = [d for d in RETENTION_DAYS if d >= days]
        hint = f"; the next allowed value is {above[0]}" if above else ""
        yield Problem(
            "cloudWatch.clusterLogging.logRetentionInDays",
            f"{days} is not a CloudWatch Logs retention period; allowed: "
            f"{', '.join(map(str, RETENTION_DAYS))}{hint}",
        )


#: Amazon EKS: a Fargate profile takes up to five selectors.
MAX_FARGATE_SELECTORS = 5


@rule
def fargate_profiles(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, profile in enumerate(config.fargate_profiles):
        base = f"fargateProfiles[{i}]"
        if not profile.selectors:
            yield Problem(f"{base}.selectors", "is empty; give at least one selector with a namespace")
        elif len(profile.selectors) > MAX_FARGATE_SELECTORS:
            yield Problem(
                f"{base}.selectors",
                f"has {len(profile.selectors)} selectors; EKS allows at most "
                f"{MAX_FARGATE_SELECTORS}: split the profile",
            )
        for j, selector in enumerate(profile.selectors):
            ns = selector.namespace
            if not ns or len(ns) > 63 or not _NAMESPACE_RE.match(ns):
                yield Problem(
                    f"{base}.selectors[{j}].namespace",
                    f"{ns!r} is not a Kubernetes namespace name "
                    "(lowercase letters, digits and '-', at most 63)",
                )
            for key, value in selector.labels.items():
                problem = qualified_name_problem(key)
                if problem:
                    yield Problem(f"{base}.selectors[{j}].labels.{key}", f"label {problem}")
                elif not value or len(value) > 63 or not _LABEL_VALUE_RE.match(value):
                    yield Problem(
                        f"{base}.selectors[{j}].labels.{key}",
                        f"label value {value!r} is not valid; expected {_LABEL_VALUE}",
                    )
        for j, subnet in enumerate(profile.subnets):
            if not _SUBNET_ID_RE.match(subnet):
                yield Problem(
                    f"{base}.subnets[{j}]",
                    f"{subnet!r} is not a subnet id; expected subnet- and hex digits "
                    "(Fargate runs in private subnets only)",
                )


# =========================================================================== quotas and limits AWS enforces later
#
# Each of these passes the schema and the rules above, renders and lints clean, and
# then fails (or is throttled by a quota) in AWS twenty minutes into a deploy.

#: Amazon EKS service quotas, "Managed node groups per cluster": 30 by default,
#: adjustable (https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html).
EKS_NODEGROUPS_PER_CLUSTER = 30
#: Same page, "Nodes per managed node group": 450 by default, adjustable.
EKS_NODES_PER_NODEGROUP = 450
#: The root stack has one scaling parameter per nodegroup and no other, and a template
#: takes at most 200 parameters (CloudFormation quotas,
#: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
MAX_NODEGROUPS_IN_ONE_ROOT = 200
#: AWS API integers are 32-bit (the EKS API's NodegroupScalingConfig sizes are
#: ``Integer``, botocore's eks service model ``Capacity``/``ZeroCapacity``).
MAX_API_INTEGER = 2**31 - 1


@rule
def nodegroup_count(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    count = len(config.managed_node_groups)
    if count > MAX_NODEGROUPS_IN_ONE_ROOT:
        yield Problem(
            "managedNodeGroups",
            f"has {count} nodegroups; the root stack takes one scaling parameter per nodegroup and "
            f"CloudFormation allows {MAX_NODEGROUPS_IN_ONE_ROOT} parameters in a template: at most "
            f"{MAX_NODEGROUPS_IN_ONE_ROOT} nodegroups (EKS's default quota is {EKS_NODEGROUPS_PER_CLUSTER})",
        )
    elif count > EKS_NODEGROUPS_PER_CLUSTER:
        yield _warn(
            "managedNodeGroups",
            f"has {count} nodegroups, more than EKS's default quota 'Managed node groups per cluster' "
            f"({EKS_NODEGROUPS_PER_CLUSTER}); request an increase in Service Quotas (Amazon EKS) before "
            "deploying, or the nodegroups past the quota fail to create",
        )


@rule
def nodegroup_size_quota(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        too_big = False
        for field_name, value in (("desiredCapacity", ng.desired_capacity), ("minSize", ng.min_size),
                                  ("maxSize", ng.max_size)):
            if value > MAX_API_INTEGER:
                too_big = True
                yield Problem(_ng(i, field_name), f"{value} is larger than the EKS API takes "
                              f"(a 32-bit integer, at most {MAX_API_INTEGER}); EKS's default quota is "
                              f"{EKS_NODES_PER_NODEGROUP} nodes per nodegroup")
        if not too_big and ng.max_size > EKS_NODES_PER_NODEGROUP:
            yield _warn(
                _ng(i, "maxSize"),
                f"{ng.max_size} is above EKS's default quota 'Nodes per managed node group' "
                f"({EKS_NODES_PER_NODEGROUP}); request an increase in Service Quotas (Amazon EKS), or EKS "
                "refuses the size",
            )


#: Tags per resource: 50 on EC2, IAM, EKS, CloudWatch Logs, KMS and on a CloudFormation
#: stack ("Tag restrictions", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html;
#: IAM: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). Tags
#: with the aws: prefix (CloudFormation's aws:cloudformation:*) do not count.
MAX_TAGS = 50
#: IAM takes tag keys and values of letters, numbers, spaces and + - = . _ : / @ only
#: (IAM API reference, Tag: pattern ``[\p{L}\p{Z}\p{N}_.:/=+\-@]*``); metadata.tags and
#: deploy.tags reach the cluster's, the nodes' and the management host's IAM roles.
_IAM_TAG_EXTRA = set("_.:/=+-@")


def _iam_tag_text_ok(text: str) -> bool:
    import unicodedata

    return all(ch in _IAM_TAG_EXTRA or unicodedata.category(ch)[0] in "LZN" for ch in text)


@rule
def tags_on_resources(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """The tags a resource ends up with: its own (metadata.tags, plus the nodegroup's
    tags on a nodegroup, plus the Name and ELB-role tags this tool adds) and the stack
    tags (metadata.tags and deploy.tags), which CloudFormation copies to every
    resource it creates. Each set is checked against the 50-tag limit."""
    stack_keys = set(config.metadata.tags) | set(config.deploy.tags)
    own = {"Name"} | ({"kubernetes.io/role/elb"} if config.vpc.id is None else set())
    everywhere = stack_keys | own
    if len(config.metadata.tags) > MAX_TAGS or len(config.deploy.tags) > MAX_TAGS:
        pass  # one section alone is over: the tags rule says so
    elif len(everywhere) > MAX_TAGS:
        yield Problem(
            "metadata.tags" if config.metadata.tags else "deploy.tags",
            f"metadata.tags and deploy.tags (stack tags, which CloudFormation copies to every resource) and "
            f"the {len(own)} tag(s) this tool adds ({', '.join(sorted(own))}) give "
            f"{'a subnet' if len(own) > 1 else 'a resource'} {len(everywhere)} tags; AWS allows {MAX_TAGS}: "
            "drop some",
        )
    else:
        for i, ng in enumerate(config.managed_node_groups):
            keys = stack_keys | set(ng.tags) | {"Name"}
            if ng.tags and len(ng.tags) <= MAX_TAGS and len(keys) > MAX_TAGS:
                yield Problem(
                    _ng(i, "tags"),
                    f"with metadata.tags, deploy.tags and the Name tag the nodegroup and its instances get "
                    f"{len(keys)} tags; AWS allows {MAX_TAGS}: drop some",
                )
    for section, tags in (("metadata.tags", config.metadata.tags), ("deploy.tags", config.deploy.tags)):
        for key, value in tags.items():
            for what, text in (("key", key), ("value", value)):
                if not _iam_tag_text_ok(text):
                    yield Problem(
                        f"{section}.{key}",
                        f"tag {what} {text!r} has characters IAM does not take on the roles these tags reach; "
                        "allowed: letters, numbers, spaces and + - = . _ : / @",
                    )
                    break


#: The EKS API's own limits on node labels and taints, tighter than Kubernetes' (botocore's
#: eks service model, CreateNodegroup: ``labelKey`` and ``taintKey`` 1 to 63 characters
#: with the prefix, ``labelValue`` 1 to 63, ``taintValue`` 0 to 63).
EKS_LABEL_KEY_MAX = 63


@rule
def eks_label_limits(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        for key, value in ng.labels.items():
            path = _ng(i, f"labels.{key}")
            if len(key) > EKS_LABEL_KEY_MAX and qualified_name_problem(key) is None:
                yield Problem(path, f"label key has {len(key)} characters; EKS takes node label keys of at "
                              f"most {EKS_LABEL_KEY_MAX}, prefix included (Kubernetes would allow more)")
            if value == "":
                yield Problem(path, "label value is empty; EKS takes node label values of 1 to 63 characters "
                              "(Kubernetes would allow an empty one)")
        for j, taint in enumerate(ng.taints):
            if len(taint.key) > EKS_LABEL_KEY_MAX and qualified_name_problem(taint.key) is None:
                yield Problem(_ng(i, f"taints[{j}].key"),
                              f"taint key has {len(taint.key)} characters; EKS takes taint keys of at most "
                              f"{EKS_LABEL_KEY_MAX}, prefix included (Kubernetes would allow more)")


@rule
def log_group(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``cloudWatch.clusterLogging.logGroup: existing`` keeps a log group the stack does
    not own; what the stack would have set on it does not apply."""
    logging = config.cloud_watch.cluster_logging
    if logging.log_group != "existing":
        return
    path = "cloudWatch.clusterLogging"
    name = f"/aws/eks/{config.metadata.name}/cluster"
    if not logging.enable_types:
        yield _warn(f"{path}.logGroup", "is ignored: enableTypes is empty, so EKS writes no logs")
    elif "log_retention_in_days" in logging.fields_set:
        yield _warn(
            f"{path}.logRetentionInDays",
            f"is not applied with logGroup: existing (the stack does not own {name}); set it with "
            f"`aws logs put-retention-policy --log-group-name {name} --retention-in-days "
            f"{logging.log_retention_in_days}`",
        )


# =========================================================================== EKS Pod Identity (issue 13)

#: Kubernetes names (apimachinery validation): a namespace is a DNS-1123 label (at most 63),
#: a service account a DNS-1123 subdomain (at most 253).
_DNS_LABEL_RE = _lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: IAM policy ARNs: AWS managed (account "aws") or customer managed (IAM User Guide, "IAM ARNs")
_IAM_POLICY_ARN = _lazy(
    rf"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>aws|\d{{12}}):policy{_IAM_PATH}/{_IAM_NAME}$"
)
_PERMISSION_FIELDS = ("permissionPolicyARNs", "permissionPolicy", "wellKnownPolicies")


def _iam_policy_arn_problems(path: str, arn: str, partition: str) -> Iterator[Problem]:
    match = _IAM_POLICY_ARN.match(arn)
    if match is None:
        yield Problem(path, f"{arn!r} is not an IAM policy ARN; expected arn:{partition}:iam::aws:policy/<name> "
                      f"or arn:{partition}:iam::<12-digit account>:policy/<name>")
    elif match["partition"] != partition:
        yield Problem(path, f"partition {match['partition']!r} does not match the region's; "
                      f"expected arn:{partition}:...")


def _association_problems(base: str, association: PodIdentityAssociation, partition: str, *,
                          in_addon: bool) -> Iterator[Problem]:
    """What eksctl checks of a pod identity association (pkg/ctl/cmdutils/pod_identity_association.go
    ``validatePodIdentityAssociations``), and what IAM and Kubernetes refuse."""
    if association.create_service_account:
        yield Problem(
            f"{base}.createServiceAccount",
            "the add-on creates its own service accounts; leave createServiceAccount out" if in_addon else
            "CloudFormation cannot create a Kubernetes service account (it has no Kubernetes resources; eksctl "
            "runs kubectl for it): create the service account with your workload's manifests or Helm chart, "
            "and leave createServiceAccount out",
        )
    if in_addon and association.namespace is not None:
        yield Problem(f"{base}.namespace", "an add-on's service accounts are in the add-on's namespace "
                      "(AWS::EKS::Addon PodIdentityAssociations has no namespace); leave namespace out")
    if not in_addon:
        if association.namespace is None:
            yield Problem(f"{base}.namespace", "is required: the Kubernetes namespace of the service account")
        elif len(association.namespace) > 63 or not _DNS_LABEL_RE.match(association.namespace):
            yield Problem(f"{base}.namespace", f"{association.namespace!r} is not a Kubernetes namespace name "
                          "(at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit)")
    sa = association.service_account_name
    if len(sa) > 253 or not _DNS_SUBDOMAIN_RE.match(sa):
        yield Problem(f"{base}.serviceAccountName", f"{sa!r} is not a Kubernetes service account name (lower-case "
                      "letters, digits, '-' and '.', at most 253, starting and ending with a letter or digit)")
    given = [name for name, value in (
        ("permissionPolicyARNs", association.permission_policy_arns),
        ("permissionPolicy", association.permission_policy),
        ("wellKnownPolicies", association.well_known_policies.has_policy),
    ) if value]
    if association.role_arn is not None:
        yield from _role_arn_problems(f"{base}.roleARN", association.role_arn, partition, "the pod's role")
        for name in given + (["permissionsBoundaryARN"] if association.permissions_boundary_arn else []):
            yield Problem(f"{base}.{name}", "cannot be given with roleARN (the role exists: its permissions are "
                          "its own); leave roleARN out to have the stack create the role")
    elif not given:
        yield Problem(base, "needs roleARN, or the permissions of the role to create: one or more of "
                      + ", ".join(_PERMISSION_FIELDS))
    for j, arn in enumerate(association.permission_policy_arns):
        yield from _iam_policy_arn_problems(f"{base}.permissionPolicyARNs[{j}]", arn, partition)
    if association.permissions_boundary_arn:
        yield from _iam_policy_arn_problems(f"{base}.permissionsBoundaryARN", association.permissions_boundary_arn,
                                            partition)
    document = association.permission_policy
    if document is not None:
        statements = document.get("Statement")
        if not isinstance(statements, list | dict) or not statements:
            yield Problem(f"{base}.permissionPolicy", "needs a Statement (a list of IAM policy statements), as in "
                          "{Version: '2012-10-17', Statement: [{Effect: Allow, Action: [...], Resource: [...]}]}")
        if document.get("Version", "2012-10-17") != "2012-10-17":
            yield Problem(f"{base}.permissionPolicy.Version",
                          f"{document.get('Version')!r}; IAM policies take Version '2012-10-17'")
    yield from _tag_problems(f"{base}.tags", association.tags)


@rule
def pod_identity_associations(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``iam.podIdentityAssociations``: each a service account -> a role, once per service account
    (EKS CreatePodIdentityAssociation: ResourceInUseException for a second one)."""
    from eks_templates.config.addon_identity import ADDON_SERVICE_ACCOUNTS, addon_associations

    partition = partition_of(config.metadata.region)
    seen: dict[tuple[str | None, str], str] = {}
    for a in config.addons:
        for row in ADDON_SERVICE_ACCOUNTS.get(a.name, ()):
            if any(x.service_account_name == row.service_account for x in addon_associations(config, a)):
                seen[(row.namespace, row.service_account)] = f"the {a.name} add-on's"
    for i, association in enumerate(config.iam.pod_identity_associations):
        base = f"iam.podIdentityAssociations[{i}]"
        yield from _association_problems(base, association, partition, in_addon=False)
        key = (association.namespace, association.service_account_name)
        if key in seen:
            yield Problem(base, f"{key[0]}/{key[1]} already has {seen[key]} association; EKS takes one "
                          "association per service account")
        seen.setdefault(key, f"iam.podIdentityAssociations[{i}]'s")
    if config.iam.pod_identity_associations and not config.managed_node_groups:
        yield _warn("iam.podIdentityAssociations", "pods on Fargate cannot use EKS Pod Identity (its agent runs on "
                    "EC2 nodes only; EKS user guide, 'EKS Pod Identity restrictions'): add a managed nodegroup, or "
                    "use IAM roles for service accounts")


@rule
def addon_pod_identity(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``addons[].podIdentityAssociations`` / ``useDefaultPodIdentityAssociations``: the add-on's
    own ``PodIdentityAssociations`` (AWS::EKS::Addon), one role per service account."""
    from eks_templates.config.addon_identity import ADDON_SERVICE_ACCOUNTS

    partition = partition_of(config.metadata.region)
    for i, addon in enumerate(config.addons):
        base = f"addons[{i}]"
        known = ADDON_SERVICE_ACCOUNTS.get(addon.name, ())
        if addon.use_default_pod_identity_associations:
            if addon.pod_identity_associations:
                yield Problem(f"{base}.useDefaultPodIdentityAssociations", "cannot be given with "
                              "podIdentityAssociations; use one of them")
            elif not known:
                yield Problem(f"{base}.useDefaultPodIdentityAssociations", f"{addon.name!r} has no service "
                              "account with AWS permissions known to this tool (known: "
                              + ", ".join(sorted(ADDON_SERVICE_ACCOUNTS))
                              + "); give podIdentityAssociations with serviceAccountName and the permissions")
        if addon.service_account_role_arn and (addon.pod_identity_associations
                                               or addon.use_default_pod_identity_associations):
            yield Problem(f"{base}.serviceAccountRoleARN", "cannot be given with pod identity associations (the "
                          "add-on would have two roles); use one of them")
        seen: set[str] = set()
        for j, association in enumerate(addon.pod_identity_associations):
            path = f"{base}.podIdentityAssociations[{j}]"
            yield from _association_problems(path, association, partition, in_addon=True)
            sa = association.service_account_name
            if sa in seen:
                yield Problem(f"{path}.serviceAccountName", f"{sa!r} is listed twice; EKS takes one association "
                              "per service account")
            seen.add(sa)
            if known and sa not in {row.service_account for row in known}:
                yield _warn(f"{path}.serviceAccountName", f"{sa!r} is not a service account of {addon.name} known "
                            f"to this tool (known: {', '.join(row.service_account for row in known)}); EKS refuses "
                            "an association for a service account the add-on does not have")


@rule
def addon_configuration_values(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``addons[].configurationValues`` is a JSON object (a mapping or its JSON string); what it
    may hold is the add-on's schema, checked by ``plan``/``deploy`` (deploy/addon_config.py)."""
    from eks_templates.config import addon_values

    for i, addon in enumerate(config.addons):
        if addon.configuration_values is None:
            continue
        try:
            addon_values.parse(addon.configuration_values)
        except addon_values.NotAnObject as exc:
            yield Problem(f"addons[{i}].configurationValues", str(exc))


#: ``withAddonPolicies`` -> what gives the same controller its own role instead (one line each)
POD_IDENTITY_EQUIVALENTS = {
    "externalDNS": "iam.podIdentityAssociations: [{namespace: kube-system, serviceAccountName: external-dns, "
                   "wellKnownPolicies: {externalDNS: true}}]",
    "certManager": "iam.podIdentityAssociations: [{namespace: cert-manager, serviceAccountName: cert-manager, "
                   "wellKnownPolicies: {certManager: true}}]",
    "albIngress": "iam.podIdentityAssociations: [{namespace: kube-system, serviceAccountName: "
                  "aws-load-balancer-controller, wellKnownPolicies: {awsLoadBalancerController: true}}]",
    "autoScaler": "iam.podIdentityAssociations: [{namespace: kube-system, serviceAccountName: cluster-autoscaler, "
                  "wellKnownPolicies: {autoScaler: true}}]",
    "ebs": "addons: [{name: aws-ebs-csi-driver, useDefaultPodIdentityAssociations: true}]",
    "cloudWatch": "addons: [{name: amazon-cloudwatch-observability, useDefaultPodIdentityAssociations: true}]",
}


@rule
def pod_imds(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """Pods off the node role. Nodes get IMDS hop limit 1 unless the file lets pods reach IMDS
    (eksctl's ``disablePodIMDS: false``; its default, not ours). ``withAddonPolicies`` puts a
    controller's permissions on the node role, which only pods reaching IMDS can use: it keeps
    hop limit 2 for that nodegroup, with a warning; ``disablePodIMDS: true`` with it is eksctl's
    error ("cannot be set at the same time", pkg/apis/eksctl.io/v1alpha5/validation.go)."""
    for i, ng in enumerate(config.managed_node_groups):
        wanted = ng.iam.with_addon_policies
        given = [spec.alias for spec in wanted.fields() if getattr(wanted, spec.name)]
        if given and ng.disable_pod_imds:
            yield Problem(_ng(i, "disablePodIMDS"), "cannot be true with iam.withAddonPolicies (those policies are "
                          "on the node role, which pods then cannot reach); give the controllers their own roles "
                          "with podIdentityAssociations and drop withAddonPolicies")
            continue
        if given and ng.disable_pod_imds is None:
            for alias in given:
                yield _warn(_ng(i, f"iam.withAddonPolicies.{alias}"), "puts the controller's permissions on the node "
                            "role: every pod on these nodes can use them (this nodegroup keeps IMDS hop limit 2 for "
                            f"it); give the controller its own role instead: {POD_IDENTITY_EQUIVALENTS[alias]}")
        if not ng.pods_reach_imds and not ng.disable_imdsv1:
            yield _warn(_ng(i, "disableIMDSv1"), "is false: IMDSv1 needs no token, so the hop limit of 1 does not keep "
                        "pods from the node role's credentials (it limits IMDSv2 token responses only); set "
                        "disableIMDSv1: true")


# The rules of the nodegroup launch-template and bootstrap options and of EKS Auto Mode
# register themselves here.
from eks_templates.config import auto_mode_rules as _auto_mode_rules  # noqa: E402,F401
from eks_templates.config import node_rules as _node_rules  # noqa: E402,F401
