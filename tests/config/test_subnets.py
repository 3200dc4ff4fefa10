"""The subnet plan shared by validation and the network builder."""

from __future__ import annotations

import ipaddress
from typing import Any

from eks_templates.config.model import ClusterConfig
from eks_templates.config.subnets import plan_subnets, zones
from tests.config.cases import BASE, merge


def config(changes: dict[str, Any]) -> ClusterConfig:
    return ClusterConfig.model_validate(merge(BASE, changes))


def test_carved_like_eksctl_public_first_in_zone_order() -> None:
    plans = plan_subnets(config({}))
    assert [(p.tier, p.az, p.cidr) for p in plans] == [
        ("public", "ap-northeast-2a", "10.0.0.0/19"),
        ("public", "ap-northeast-2c", "10.0.32.0/19"),
        ("private", "ap-northeast-2a", "10.0.64.0/19"),
        ("private", "ap-northeast-2c", "10.0.96.0/19"),
    ]


def test_more_zones_get_smaller_blocks() -> None:
    plans = plan_subnets(config({"availabilityZones": [f"ap-northeast-2{z}" for z in "abcd"]}))
    assert {ipaddress.ip_network(p.cidr).prefixlen for p in plans if p.cidr} == {19}
    plans = plan_subnets(config({"availabilityZones": [f"ap-northeast-2{z}" for z in "abcde"]}))
    assert len(plans) == 10 and {ipaddress.ip_network(p.cidr).prefixlen for p in plans if p.cidr} == {20}


def test_a_subnet_named_after_its_zone_is_in_that_zone() -> None:
    cfg = config({"availabilityZones": None, "vpc": {"subnets": {
        "public": {"ap-northeast-2c": {"cidr": "10.0.0.0/20"}, "ap-northeast-2a": {"cidr": "10.0.16.0/20"}},
        "private": {"ap-northeast-2a": {"cidr": "10.0.32.0/20"}, "ap-northeast-2c": {"cidr": "10.0.48.0/20"}}}}})
    assert zones(cfg) == ["ap-northeast-2c", "ap-northeast-2a"]
    assert [(p.key, p.az, p.zone_index) for p in plan_subnets(cfg)] == [
        ("ap-northeast-2c", "ap-northeast-2c", 0), ("ap-northeast-2a", "ap-northeast-2a", 1),
        ("ap-northeast-2a", "ap-northeast-2a", 1), ("ap-northeast-2c", "ap-northeast-2c", 0),
    ]


def test_subnets_without_a_cidr_are_carved_around_the_given_ones() -> None:
    cfg = config({"vpc": {"subnets": {
        "public": {"a": {"az": "ap-northeast-2a", "cidr": "10.0.0.0/19"}, "c": {"az": "ap-northeast-2c"}},
        "private": {"a": {"az": "ap-northeast-2a"}, "c": {"az": "ap-northeast-2c"}}}}})
    nets = [ipaddress.ip_network(p.cidr) for p in plan_subnets(cfg) if p.cidr]
    assert len(nets) == 4 and str(nets[0]) == "10.0.0.0/19"
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


def test_an_existing_vpc_is_not_carved() -> None:
    cfg = config({"vpc": {"id": "vpc-0123abcd", "subnets": {"private": {"ap-northeast-2a": {"id": "subnet-0a"}}}}})
    [plan] = plan_subnets(cfg)
    assert (plan.id, plan.cidr) == ("subnet-0a", None)
