"""The cluster's Kubernetes service range and its DNS address, as far as the stack file
says them: shared by the validation rules and the nodegroup builder (the kubelet of a
custom-AMI node is told the address).

EKS's own choice when ``serviceIPv4CIDR`` is left out: 172.20.0.0/16 when the VPC is in
10.0.0.0/8, else 10.100.0.0/16 (the API's KubernetesNetworkConfigRequest; amazon-eks-ami's
``bootstrap.sh`` applies the same rule to the VPC's blocks). CoreDNS's service is the
range's tenth address (``x.y.z.10``), which is what eksctl passes as ``--dns-cluster-ip``
(pkg/nodebootstrap/userdata.go ``GetClusterDNS``: the service CIDR with its last octet 10).
"""

from __future__ import annotations

import ipaddress

from eks_templates.config.model import ClusterConfig

TEN_SLASH_EIGHT = ipaddress.IPv4Network("10.0.0.0/8")
#: EKS's default service range for a VPC in 10.0.0.0/8, and for every other VPC
DEFAULT_SERVICE_CIDR_IN_TEN = ipaddress.IPv4Network("172.20.0.0/16")
DEFAULT_SERVICE_CIDR = ipaddress.IPv4Network("10.100.0.0/16")


def known_vpc_cidr(config: ClusterConfig) -> str | None:
    """The VPC block when the file knows it: a new VPC, or an existing one whose
    ``vpc.cidr`` is written (``vpc.cidr`` otherwise holds only the model's default)."""
    if config.vpc.id is not None and "cidr" not in config.vpc.fields_set:
        return None
    return config.vpc.cidr


def default_service_cidr(vpc: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    """EKS's service range for a cluster in ``vpc`` when the file gives none."""
    return DEFAULT_SERVICE_CIDR_IN_TEN if vpc.overlaps(TEN_SLASH_EIGHT) else DEFAULT_SERVICE_CIDR


def service_cidr(config: ClusterConfig) -> ipaddress.IPv4Network | None:
    """The cluster's service range: the file's, else EKS's default for a known VPC, else
    ``None`` (an existing VPC whose block the file does not give)."""
    given = config.kubernetes_network_config.service_ipv4_cidr
    if given is not None:
        return ipaddress.IPv4Network(given, strict=False)
    vpc = known_vpc_cidr(config)
    return default_service_cidr(ipaddress.IPv4Network(vpc, strict=False)) if vpc is not None else None


def cluster_dns_ip(config: ClusterConfig) -> str | None:
    """CoreDNS's address (the service range's ``.10``), or ``None`` when the range is not
    known before the nodes boot."""
    network = service_cidr(config)
    return str(network.network_address + 10) if network is not None else None


__all__ = ["cluster_dns_ip", "default_service_cidr", "known_vpc_cidr", "service_cidr"]
