"""The subnet plan: which subnets the cluster has, in which zone, with which CIDR.

Shared by the validation rules and the network builder, so both see the same
carving. With ``vpc.subnets`` absent, CIDRs are carved from ``vpc.cidr`` the way
eksctl does: the VPC is split into ``max(8, 2 x zones)`` equal blocks (a /16 gives
/19s), public subnets take the first blocks in zone order, private ones the next.
A subnet without ``az`` whose key is a zone name (``ap-northeast-2a: {cidr: ...}``)
is in that zone, as in eksctl.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from eks_templates.config.model import ClusterConfig, SubnetSpec
from eks_templates.records import Record

Tier = Literal["public", "private"]


class SubnetPlan(Record):
    tier: Tier
    #: the subnet's key under ``vpc.subnets.<tier>``, or the zone when carved
    key: str
    #: zone name, or ``None`` when the zone is chosen at deploy time (``Fn::GetAZs``)
    az: str | None
    #: position of the zone in the cluster's zone list
    zone_index: int
    cidr: str | None
    id: str | None

    @property
    def yaml_path(self) -> str:
        return f"vpc.subnets.{self.tier}.{self.key}"


#: Zones used when neither ``availabilityZones`` nor ``vpc.subnets`` name any:
#: the first two that ``Fn::GetAZs`` returns at deploy time.
DEFAULT_ZONE_COUNT = 2


def subnet_zone(config: ClusterConfig, key: str, spec: SubnetSpec) -> str | None:
    """A listed subnet's zone: its ``az``, else its key when that names a zone of the region."""
    if spec.az:
        return spec.az
    region = config.metadata.region
    return key if len(key) == len(region) + 1 and key.startswith(region) and key[-1].isalpha() else None


def zones(config: ClusterConfig) -> list[str] | None:
    """The cluster's zones in order, or ``None`` when chosen at deploy time."""
    if config.availability_zones:
        return list(dict.fromkeys(config.availability_zones))
    named = config.vpc.subnets
    if named is not None:
        found = [subnet_zone(config, key, spec) for tier in (named.public, named.private)
                 for key, spec in tier.items()]
        present = [z for z in found if z]
        if present:
            return list(dict.fromkeys(present))
    return None


def zone_count(config: ClusterConfig) -> int:
    found = zones(config)
    return len(found) if found is not None else DEFAULT_ZONE_COUNT


def _blocks(vpc_cidr: str, count: int) -> list[str]:
    network = ipaddress.ip_network(vpc_cidr, strict=False)
    parts = max(8, 1 << (count - 1).bit_length())
    extra = (parts - 1).bit_length()
    new_prefix = min(network.prefixlen + extra, 28)
    return [str(n) for n in network.subnets(new_prefix=new_prefix)]


def plan_subnets(config: ClusterConfig) -> list[SubnetPlan]:
    """Every subnet of the cluster, public ones first, each tier in zone order."""
    zone_list = zones(config)
    named = config.vpc.subnets
    if named is not None and (named.public or named.private):
        order = {z: i for i, z in enumerate(zone_list or [])}
        plans = []
        tiers: tuple[tuple[Tier, dict[str, SubnetSpec]], ...] = (("public", named.public), ("private", named.private))
        for tier, group in tiers:
            for i, (key, spec) in enumerate(group.items()):
                az = subnet_zone(config, key, spec)
                plans.append(SubnetPlan(tier, key, az, order.get(az or "", i), spec.cidr, spec.id))
        return _carve_missing(config, plans)
    count = zone_count(config)
    plans = [
        SubnetPlan(tier, zone_list[i] if zone_list else f"zone{i + 1}",
                   zone_list[i] if zone_list else None, i, None, None)
        for tier in ("public", "private")
        for i in range(count)
    ]
    return _carve_missing(config, plans)


def _carve_missing(config: ClusterConfig, plans: list[SubnetPlan]) -> list[SubnetPlan]:
    """Give a CIDR to every planned subnet that has neither a CIDR nor an id."""
    if config.vpc.id is not None or all(p.cidr or p.id for p in plans):
        return plans
    try:
        blocks = _blocks(config.vpc.cidr, len(plans))
    except ValueError:
        return plans  # an invalid vpc.cidr is reported by the validation rules
    taken = []
    for p in plans:
        if p.cidr:
            try:
                taken.append(ipaddress.ip_network(p.cidr, strict=False))
            except ValueError:
                continue
    free = [b for b in blocks if not any(ipaddress.ip_network(b).overlaps(t) for t in taken)]
    out = []
    for p in plans:
        if p.cidr is None and p.id is None and free:
            p = SubnetPlan(p.tier, p.key, p.az, p.zone_index, free.pop(0), None)
        out.append(p)
    return out
