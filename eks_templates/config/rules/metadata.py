"""Rules for the cluster's names, tags, region, zones and Kubernetes version."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator

from eks_templates.config import regions, versions
from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem, suggest
from eks_templates.config.rules._base import _lazy, _ng, _warn, rule
from eks_templates.config.subnets import subnet_zone
from eks_templates.names import nodegroup_stack, pascal

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
