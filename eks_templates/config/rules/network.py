"""Rules for the VPC, its subnets' and the services' CIDR blocks, and the API endpoint."""

from __future__ import annotations

import datetime as _dt
import ipaddress
from collections.abc import Iterator

from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem
from eks_templates.config.rules._base import (
    Network,
    _cidr_fields,
    _net,
    _plan_path,
    _vpc_net,
    _warn,
    cidr_problem,
    rule,
)
from eks_templates.config.rules.metadata import _tiers
from eks_templates.config.service_network import default_service_cidr
from eks_templates.config.subnets import SubnetPlan, plan_subnets

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
