"""One or more cases per semantic rule (``eks_templates.config.rules``, run by
``eks_templates.config.validate.check``).

Each case loads a small valid cluster with one change, and asserts the exact YAML
path, a key phrase and the severity. Each case is also run with its rule removed
from the registry, and must then not report that line: the test depends on the rule.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest

from eks_templates.config import rules, validate
from tests.config.cases import SOURCE, merge, ng, outcome
from tests.support import REPO

OPEN = "0.0.0.0/0"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/admin"
POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
BASTION = {"bastion": {"enabled": True}}


@dataclass(frozen=True)
class Case:
    id: str
    rule: str
    changes: dict[str, Any]
    path: str
    phrase: str
    severity: str = "error"
    extra: dict[str, Any] = field(default_factory=dict)


def existing_vpc(**subnets: Any) -> dict[str, Any]:
    return {"vpc": {"id": "vpc-0123456789abcdef0", "subnets": subnets}}


PRIVATE_IDS = {
    "ap-northeast-2a": {"id": "subnet-0a0a0a0a"},
    "ap-northeast-2c": {"id": "subnet-0c0c0c0c"},
}


def entry(**fields: Any) -> dict[str, Any]:
    return {"accessConfig": {"accessEntries": [{"principalARN": ROLE, **fields}]}}


def policy(**fields: Any) -> dict[str, Any]:
    return entry(accessPolicies=[{"policyARN": POLICY, **fields}])


def _association(**fields: Any) -> dict[str, Any]:
    return {"namespace": "kube-system", "serviceAccountName": "external-dns",
            "wellKnownPolicies": {"externalDNS": True}, **fields}


def pod_identity(**fields: Any) -> dict[str, Any]:
    return {"iam": {"podIdentityAssociations": [_association(**fields)]}}


CASES = [
    # ---------------------------------------------------------------- names
    Case("cluster-name-chars", "cluster_name", {"metadata": {"name": "-bad"}},
         "metadata.name", "is not a valid EKS cluster name"),
    Case("cluster-name-length", "cluster_name", {"metadata": {"name": "a" * 101}},
         "metadata.name", "has 101 characters; an EKS cluster name has 1 to 100"),
    Case("stack-name-from-cluster", "stack_name", {"metadata": {"name": "my_cluster"}},
         "metadata.name", "set deploy.stackName (e.g. 'my-cluster')"),
    Case("stack-name-given", "stack_name", {"deploy": {"stackName": "1abc"}},
         "deploy.stackName", "'1abc' is not a valid stack name"),
    Case("nodegroup-name-chars", "nodegroup_names", {"managedNodeGroups": [ng(name="bad name")]},
         "managedNodeGroups[0].name", "is not a valid nodegroup name"),
    Case("nodegroup-name-length", "nodegroup_names", {"managedNodeGroups": [ng(name="n" * 64)]},
         "managedNodeGroups[0].name", "has 64 characters; a nodegroup name has 1 to 63"),
    Case("nodegroup-name-unique", "nodegroup_names", {"managedNodeGroups": [ng(), ng()]},
         "managedNodeGroups[1].name", "nodegroup names must be unique"),
    Case("nodegroup-logical-id-clash", "nodegroup_names",
         {"managedNodeGroups": [ng(name="my-ng"), ng(name="my_ng")]},
         "managedNodeGroups[1].name", "both become the stack NodegroupMyNgStack"),
    Case("flat-launch-template-name", "flat_launch_template_names",
         {"deploy": {"stackName": "s" * 65}, "managedNodeGroups": [ng(name="n" * 63)]},
         "managedNodeGroups[0].name", "129 characters; EC2 allows 128", severity="warning"),
    Case("fargate-name-unique", "fargate_profile_names",
         {"fargateProfiles": [{"name": "fp", "selectors": [{"namespace": "a"}]},
                              {"name": "fp", "selectors": [{"namespace": "b"}]}]},
         "fargateProfiles[1].name", "Fargate profile names must be unique"),
    Case("fargate-name-chars", "fargate_profile_names",
         {"fargateProfiles": [{"name": "f p", "selectors": [{"namespace": "a"}]}]},
         "fargateProfiles[0].name", "is not a valid Fargate profile name"),
    Case("bucket-name", "deploy_bucket", {"deploy": {"bucket": "My_Bucket"}},
         "deploy.bucket", "is not a valid S3 bucket name"),
    Case("tag-reserved", "tags", {"metadata": {"tags": {"aws:team": "x"}}},
         "metadata.tags.aws:team", "reserved for AWS"),
    Case("tag-value-length", "tags", {"managedNodeGroups": [ng(tags={"k": "v" * 257})]},
         "managedNodeGroups[0].tags.k", "tag value has 257 characters"),
    # tags as a resource gets them: stack tags (metadata + deploy + the eks-templates:cluster-name
    # tag deploy adds) + its own
    Case("tags-merged-everywhere", "tags_on_resources",
         {"metadata": {"tags": {f"m{i}": "x" for i in range(30)}},
          "deploy": {"tags": {f"d{i}": "x" for i in range(18)}}},
         "metadata.tags", "give a subnet 51 tags; AWS allows 50"),
    Case("tags-merged-nodegroup", "tags_on_resources",
         {"metadata": {"tags": {f"m{i}": "x" for i in range(25)}},
          "managedNodeGroups": [ng(tags={f"n{i}": "x" for i in range(24)})]},
         "managedNodeGroups[0].tags", "the nodegroup and its instances get 51 tags"),
    Case("tags-stack-tag-reserved", "tags_on_resources", {"deploy": {"tags": {"eks-templates:cluster-name": "x"}}},
         "deploy.tags.eks-templates:cluster-name", "is the stack tag deploy sets to the cluster's name"),
    Case("tags-iam-characters", "tags_on_resources", {"metadata": {"tags": {"owner": "ops & platform"}}},
         "metadata.tags.owner", "has characters IAM does not take"),
    Case("log-group-existing-retention", "log_group",
         {"cloudWatch": {"clusterLogging": {"logGroup": "existing", "logRetentionInDays": 30}}},
         "cloudWatch.clusterLogging.logRetentionInDays", "is not applied with logGroup: existing", "warning"),
    Case("log-group-existing-no-logs", "log_group",
         {"cloudWatch": {"clusterLogging": {"logGroup": "existing", "enableTypes": []}}},
         "cloudWatch.clusterLogging.logGroup", "is ignored: enableTypes is empty", "warning"),
    # ---------------------------------------------------------------- quotas
    Case("nodegroups-over-quota", "nodegroup_count",
         {"managedNodeGroups": [ng(name=f"n{i}") for i in range(31)]},
         "managedNodeGroups", "more than EKS's default quota 'Managed node groups per cluster' (30)", "warning"),
    Case("nodegroups-over-root-parameters", "nodegroup_count",
         {"managedNodeGroups": [ng(name=f"n{i}") for i in range(201)]},
         "managedNodeGroups", "has 201 nodegroups; the root stack takes one scaling parameter per nodegroup"),
    Case("nodes-over-quota", "nodegroup_size_quota", {"managedNodeGroups": [ng(maxSize=451)]},
         "managedNodeGroups[0].maxSize", "451 is above EKS's default quota 'Nodes per managed node group' (450)",
         "warning"),
    Case("nodes-beyond-api-integer", "nodegroup_size_quota",
         {"managedNodeGroups": [ng(desiredCapacity=2**31, maxSize=2**31)]},
         "managedNodeGroups[0].desiredCapacity", "2147483648 is larger than the EKS API takes"),
    Case("eks-label-key-length", "eks_label_limits",
         {"managedNodeGroups": [ng(labels={"example.com/" + "k" * 60: "v"})]},
         "managedNodeGroups[0].labels.example.com/" + "k" * 60, "label key has 72 characters; EKS takes"),
    Case("eks-label-value-empty", "eks_label_limits", {"managedNodeGroups": [ng(labels={"role": ""})]},
         "managedNodeGroups[0].labels.role", "label value is empty"),
    Case("eks-taint-key-length", "eks_label_limits",
         {"managedNodeGroups": [ng(taints=[{"key": "example.com/" + "t" * 60, "effect": "NoSchedule"}])]},
         "managedNodeGroups[0].taints[0].key", "taint key has 72 characters"),
    # ---------------------------------------------------------------- region, version, zones
    Case("region-syntax", "region", {"metadata": {"region": "ap-northeast2"}, "availabilityZones": None},
         "metadata.region", "'ap-northeast2' is not an AWS region; did you mean 'ap-northeast-2'?"),
    # well-formed but unknown: rendered before, then cfn-lint crashed in lint/plan
    Case("region-unknown", "region", {"metadata": {"region": "us-wset-2"}, "availabilityZones": None},
         "metadata.region", "'us-wset-2' is not an AWS region; did you mean 'us-west-2'?"),
    Case("region-unknown-listed", "region", {"metadata": {"region": "xx-nowhere-9"}, "availabilityZones": None},
         "metadata.region", "known regions: af-south-1, ap-east-1,"),
    Case("version-unknown", "kubernetes_version", {"metadata": {"version": "1.27"}},
         "metadata.version", "'1.27' is not a Kubernetes version EKS offers"),
    Case("version-ended", "kubernetes_version", {"metadata": {"version": "1.30"}},
         "metadata.version", "1.30 left EKS extended support on 2026-07-23"),
    Case("version-extended", "kubernetes_version", {"metadata": {"version": "1.32"}},
         "metadata.version", "is in extended support (extra cost)", "warning"),
    Case("zones-two", "availability_zones", {"availabilityZones": ["ap-northeast-2a"]},
         "availabilityZones", "EKS needs subnets in at least two zones"),
    Case("zones-region", "availability_zones", {"availabilityZones": ["us-east-1a", "ap-northeast-2c"]},
         "availabilityZones[0]", "is not a zone of metadata.region ap-northeast-2"),
    Case("zones-local-zone", "availability_zones",
         {"metadata": {"region": "us-west-2"}, "availabilityZones": ["us-west-2a", "us-west-2-lax-1a"]},
         "availabilityZones[1]", "is a Local Zone or Wavelength Zone"),
    Case("zones-letter-unknown", "availability_zones",
         {"availabilityZones": ["ap-northeast-2a", "ap-northeast-2z"]},
         "availabilityZones[1]", "'ap-northeast-2z' is not a zone of ap-northeast-2 known to this tool (known: "
         "ap-northeast-2a, ap-northeast-2b, ap-northeast-2c, ap-northeast-2d)", "warning"),
    Case("subnet-az-letter-unknown", "subnet_zones",
         {"availabilityZones": None, "vpc": {"subnets": {
             "public": {"p1": {"cidr": "10.0.0.0/20", "az": "ap-northeast-2a"},
                        "p2": {"cidr": "10.0.16.0/20", "az": "ap-northeast-2c"}},
             "private": {"one": {"cidr": "10.0.32.0/20", "az": "ap-northeast-2a"},
                         "two": {"cidr": "10.0.48.0/20", "az": "ap-northeast-2e"}}}}},
         "vpc.subnets.private.two.az", "'ap-northeast-2e' is not a zone of ap-northeast-2 known", "warning"),
    Case("zones-duplicate", "availability_zones",
         {"availabilityZones": ["ap-northeast-2a", "ap-northeast-2c", "ap-northeast-2a"]},
         "availabilityZones[2]", "is listed twice"),
    Case("subnet-az-not-listed", "subnet_zones",
         {"vpc": {"subnets": {"public": {"p1": {"cidr": "10.0.0.0/20", "az": "ap-northeast-2b"}}}}},
         "vpc.subnets.public.p1.az", "zone 'ap-northeast-2b' is not in availabilityZones"),
    Case("subnet-az-region", "subnet_zones",
         {"vpc": {"subnets": {"public": {"p1": {"cidr": "10.0.0.0/20", "az": "eu-west-1a"}}}}},
         "vpc.subnets.public.p1.az", "is not a zone of metadata.region"),
    Case("subnet-one-per-zone", "subnet_zones",
         {"vpc": {"subnets": {"private": {
             "a1": {"cidr": "10.0.0.0/20", "az": "ap-northeast-2a"},
             "a2": {"cidr": "10.0.16.0/20", "az": "ap-northeast-2a"}}}}},
         "vpc.subnets.private.a2", "already has the private subnet 'a1'"),
    Case("subnet-needs-az", "subnet_zones",
         {"vpc": {"subnets": {"private": {"first": {"cidr": "10.0.0.0/20"}}}}},
         "vpc.subnets.private.first", "has no az"),
    Case("subnet-zones-two", "subnet_zones",
         {"availabilityZones": None, "vpc": {"subnets": {
             "public": {"ap-northeast-2a": {"cidr": "10.0.0.0/20"}},
             "private": {"ap-northeast-2a": {"cidr": "10.0.16.0/20"}}}}},
         "vpc.subnets", "places every subnet in ap-northeast-2a"),
    # ---------------------------------------------------------------- existing VPC, tiers
    Case("existing-vpc-needs-subnets", "subnet_tiers", {"vpc": {"id": "vpc-0123456789abcdef0"}},
         "vpc.subnets", "is required with vpc.id"),
    Case("existing-vpc-subnet-needs-id", "subnet_tiers",
         existing_vpc(private={**PRIVATE_IDS, "x": {"cidr": "10.0.64.0/20", "az": "ap-northeast-2a"}}),
         "vpc.subnets.private.x", "needs an id: with vpc.id set"),
    Case("existing-vpc-id-syntax", "subnet_tiers",
         {"vpc": {"id": "vpc_123", "subnets": {"private": PRIVATE_IDS}}},
         "vpc.id", "'vpc_123' is not a VPC id"),
    Case("existing-vpc-subnet-id-syntax", "subnet_tiers",
         existing_vpc(private={"ap-northeast-2a": {"id": "sg-0a0a0a0a"}, "ap-northeast-2c": {"id": "subnet-0c"}}),
         "vpc.subnets.private.ap-northeast-2a.id", "is not a subnet id"),
    Case("existing-vpc-tier-missing", "subnet_tiers",
         merge(existing_vpc(private=PRIVATE_IDS), {"managedNodeGroups": [ng(privateNetworking=False)]}),
         "vpc.subnets.public", "managedNodeGroups[0] need(s) public subnets"),
    Case("existing-vpc-one-subnet", "subnet_tiers",
         existing_vpc(private={"ap-northeast-2a": {"id": "subnet-0a0a0a0a"}}),
         "vpc.subnets", "lists one subnet"),
    Case("subnet-id-without-vpc-id", "subnet_tiers",
         {"vpc": {"subnets": {"private": {"ap-northeast-2a": {"id": "subnet-0a0a0a0a"}}}}},
         "vpc.subnets.private.ap-northeast-2a.id", "vpc.id is not set"),
    Case("new-vpc-nat-needs-public", "subnet_tiers",
         {"vpc": {"subnets": {"private": {
             "ap-northeast-2a": {"cidr": "10.0.0.0/20"}, "ap-northeast-2c": {"cidr": "10.0.16.0/20"}}}}},
         "vpc.subnets.public", "a NAT gateway lives in a public subnet"),
    # ---------------------------------------------------------------- CIDRs
    Case("cidr-syntax", "cidr_syntax", {"vpc": {"cidr": "10.0.0.0/33"}},
         "vpc.cidr", "is not an IPv4 CIDR block"),
    Case("cidr-host-bits", "cidr_syntax", {"vpc": {"cidr": "10.0.0.1/16"}},
         "vpc.cidr", "has host bits set; did you mean 10.0.0.0/16?"),
    Case("cidr-no-prefix", "cidr_syntax", {"vpc": {"publicAccessCIDRs": ["203.0.113.7"]}},
         "vpc.publicAccessCIDRs[0]", "has no prefix length; write 203.0.113.7/32"),
    Case("cidr-ipv6", "cidr_syntax", {"bastion": {"enabled": True, "allowedCIDRs": ["::/0"]}},
         "bastion.allowedCIDRs[0]", "is an IPv6 block"),
    Case("cidr-subnet-syntax", "cidr_syntax",
         {"vpc": {"subnets": {"public": {"ap-northeast-2a": {"cidr": "10.0.0/20"}}}}},
         "vpc.subnets.public.ap-northeast-2a.cidr", "is not an IPv4 CIDR block"),
    Case("cidr-service-syntax", "cidr_syntax", {"kubernetesNetworkConfig": {"serviceIPv4CIDR": "10.100.0.0"}},
         "kubernetesNetworkConfig.serviceIPv4CIDR", "has no prefix length"),
    Case("vpc-cidr-size", "vpc_cidr", {"vpc": {"cidr": "10.0.0.0/8"}},
         "vpc.cidr", "a VPC block is /16 (largest) to /28 (smallest)"),
    Case("subnet-outside-vpc", "subnet_cidrs",
         {"vpc": {"subnets": {"public": {"ap-northeast-2a": {"cidr": "10.1.0.0/20"}}}}},
         "vpc.subnets.public.ap-northeast-2a.cidr", "10.1.0.0/20 is outside vpc.cidr 10.0.0.0/16"),
    Case("subnet-overlap", "subnet_cidrs",
         {"vpc": {"subnets": {"public": {"ap-northeast-2a": {"cidr": "10.0.0.0/20"}},
                              "private": {"ap-northeast-2a": {"cidr": "10.0.8.0/21"}}}}},
         "vpc.subnets.private.ap-northeast-2a.cidr",
         "10.0.8.0/21 overlaps 10.0.0.0/20 of vpc.subnets.public.ap-northeast-2a"),
    Case("subnet-size", "subnet_cidrs",
         {"vpc": {"subnets": {"public": {"ap-northeast-2a": {"cidr": "10.0.0.0/29"}}}}},
         "vpc.subnets.public.ap-northeast-2a.cidr", "a subnet block is /16 to /28"),
    Case("carving-too-small", "subnet_cidrs", {"vpc": {"cidr": "10.0.0.0/27"}},
         "vpc.cidr", "is too small to carve 4 subnets"),
    Case("service-cidr-range", "service_cidr", {"kubernetesNetworkConfig": {"serviceIPv4CIDR": "100.64.0.0/16"}},
         "kubernetesNetworkConfig.serviceIPv4CIDR", "outside the ranges EKS accepts"),
    Case("service-cidr-size", "service_cidr", {"kubernetesNetworkConfig": {"serviceIPv4CIDR": "172.20.0.0/25"}},
         "kubernetesNetworkConfig.serviceIPv4CIDR", "172.20.0.0/25 is a /25; use a /12 to /24"),
    Case("service-cidr-overlap", "service_cidr", {"kubernetesNetworkConfig": {"serviceIPv4CIDR": "10.0.0.0/16"}},
         "kubernetesNetworkConfig.serviceIPv4CIDR", "overlaps vpc.cidr 10.0.0.0/16"),
    Case("subnet-capacity", "subnet_capacity",
         {"vpc": {"cidr": "10.0.0.0/24"}, "managedNodeGroups": [ng(desiredCapacity=2, maxSize=40)]},
         "vpc.cidr", "has 27 usable addresses, fewer than the 40 nodes", "warning"),
    # ---------------------------------------------------------------- endpoint
    Case("public-cidrs-required", "public_endpoint_cidrs", {"vpc": {"publicAccessCIDRs": None}},
         "vpc.publicAccessCIDRs", "is required while vpc.clusterEndpoints.publicAccess is true"),
    Case("public-cidrs-empty", "public_endpoint_cidrs", {"vpc": {"publicAccessCIDRs": []}},
         "vpc.publicAccessCIDRs", "is empty while publicAccess is true"),
    Case("public-cidrs-ignored", "public_endpoint_cidrs",
         {"vpc": {"clusterEndpoints": {"publicAccess": False}}, **BASTION},
         "vpc.publicAccessCIDRs", "is ignored", "warning"),
    Case("endpoint-both-off", "endpoint_access",
         {"vpc": {"clusterEndpoints": {"publicAccess": False, "privateAccess": False}}},
         "vpc.clusterEndpoints", "turns off both publicAccess and privateAccess"),
    Case("endpoint-private-no-way-in", "endpoint_access",
         {"vpc": {"clusterEndpoints": {"publicAccess": False}, "publicAccessCIDRs": None}},
         "vpc.clusterEndpoints.publicAccess", "set bastion.enabled: true"),
    Case("endpoint-private-existing-vpc", "endpoint_access",
         merge(existing_vpc(private=PRIVATE_IDS),
               {"vpc": {"clusterEndpoints": {"publicAccess": False}, "publicAccessCIDRs": None}}),
         "vpc.clusterEndpoints.publicAccess", "unless a VPN", "warning"),
    Case("endpoint-nodes-cannot-join", "endpoint_access",
         {"vpc": {"clusterEndpoints": {"privateAccess": False}}},
         "vpc.clusterEndpoints.privateAccess", "nodes would fail to join"),
    Case("open-api", "open_to_the_internet", {"vpc": {"publicAccessCIDRs": [OPEN]}},
         "vpc.publicAccessCIDRs[0]", "opens the Kubernetes API endpoint to the whole internet", "warning"),
    Case("open-ssh", "open_to_the_internet", {"bastion": {"enabled": True, "allowedCIDRs": [OPEN]}},
         "bastion.allowedCIDRs[0]", "opens SSH on the management host", "warning"),
    Case("nat-disabled", "nat_for_private_workloads", {"vpc": {"nat": {"gateway": "Disable"}}},
         "vpc.nat.gateway", "managedNodeGroups[0] run(s) in private subnets"),
    Case("nat-disabled-bastion", "nat_for_private_workloads",
         {"vpc": {"nat": {"gateway": "Disable"}}, "managedNodeGroups": [ng(privateNetworking=False)],
          **BASTION},
         "vpc.nat.gateway", "Session Manager cannot reach it", "warning"),
    # ---------------------------------------------------------------- access
    Case("config-map-bootstrap", "authentication_mode",
         {"accessConfig": {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": False}},
         "accessConfig.bootstrapClusterCreatorAdminPermissions", "must be true with authenticationMode CONFIG_MAP"),
    Case("config-map-entries", "authentication_mode",
         merge(entry(), {"accessConfig": {"authenticationMode": "CONFIG_MAP"}}),
         "accessConfig.accessEntries", "need authenticationMode API or API_AND_CONFIG_MAP"),
    Case("principal-arn", "access_entries", entry(principalARN="arn:aws:iam::123:role/x"),
         "accessConfig.accessEntries[0].principalARN", "is not an IAM role or user ARN"),
    Case("principal-session-arn", "access_entries",
         entry(principalARN=f"arn:aws:sts::{ACCOUNT}:assumed-role/admin/me"),
         "accessConfig.accessEntries[0].principalARN", "this is a session ARN"),
    Case("principal-partition", "access_entries", entry(principalARN=f"arn:aws-cn:iam::{ACCOUNT}:role/x"),
         "accessConfig.accessEntries[0].principalARN", "expected arn:aws:"),
    Case("principal-unique", "access_entries",
         {"accessConfig": {"accessEntries": [{"principalARN": ROLE}, {"principalARN": ROLE}]}},
         "accessConfig.accessEntries[1].principalARN", "one access entry per principal"),
    Case("entry-type-groups", "access_entries", entry(type="EC2_LINUX", kubernetesGroups=["g"]),
         "accessConfig.accessEntries[0].kubernetesGroups", "are not allowed for type EC2_LINUX"),
    Case("entry-type-user", "access_entries",
         entry(type="EC2_LINUX", principalARN=f"arn:aws:iam::{ACCOUNT}:user/me"),
         "accessConfig.accessEntries[0].principalARN", "needs a role ARN"),
    Case("policy-arn", "access_entries", policy(policyARN="AmazonEKSClusterAdminPolicy"),
         "accessConfig.accessEntries[0].accessPolicies[0].policyARN",
         "did you mean arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy?"),
    Case("policy-unknown", "access_entries",
         policy(policyARN="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdmin"),
         "accessConfig.accessEntries[0].accessPolicies[0].policyARN",
         "did you mean 'AmazonEKSClusterAdminPolicy'?", "warning"),
    Case("scope-namespace-needs-namespaces", "access_entries", policy(accessScope={"type": "namespace"}),
         "accessConfig.accessEntries[0].accessPolicies[0].accessScope.namespaces", "is required with type namespace"),
    Case("scope-cluster-no-namespaces", "access_entries",
         policy(accessScope={"type": "cluster", "namespaces": ["dev"]}),
         "accessConfig.accessEntries[0].accessPolicies[0].accessScope.namespaces", "not allowed with type cluster"),
    Case("scope-namespace-syntax", "access_entries",
         policy(accessScope={"type": "namespace", "namespaces": ["Dev_1"]}),
         "accessConfig.accessEntries[0].accessPolicies[0].accessScope.namespaces[0]",
         "is not a Kubernetes namespace name"),
    Case("entry-groups-unique", "access_entries", entry(kubernetesGroups=["dev", "dev"]),
         "accessConfig.accessEntries[0].kubernetesGroups[1]", "'dev' is already listed as kubernetesGroups[0]"),
    # the management host's access entry: the same rules as accessEntries[], at bastion.*
    Case("bastion-config-map", "management_host_access",
         {"accessConfig": {"authenticationMode": "CONFIG_MAP"}, **BASTION},
         "bastion.enabled", "needs accessConfig.authenticationMode API or API_AND_CONFIG_MAP"),
    Case("bastion-policy-arn", "management_host_access",
         {"bastion": {"enabled": True, "accessPolicies": [{"policyARN": "AmazonEKSViewPolicy"}]}},
         "bastion.accessPolicies[0].policyARN",
         "did you mean arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy?"),
    Case("bastion-policy-partition", "management_host_access",
         {"bastion": {"enabled": True, "accessPolicies": [
             {"policyARN": "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}]}},
         "bastion.accessPolicies[0].policyARN", "partition 'aws-cn' does not match"),
    Case("bastion-scope-namespaces", "management_host_access",
         {"bastion": {"enabled": True,
                      "accessPolicies": [{"policyARN": POLICY, "accessScope": {"type": "namespace"}}]}},
         "bastion.accessPolicies[0].accessScope.namespaces", "is required with type namespace"),
    Case("bastion-policy-twice", "management_host_access",
         {"bastion": {"enabled": True, "accessPolicies": [{"policyARN": POLICY}, {"policyARN": POLICY}]}},
         "bastion.accessPolicies[1].policyARN", "is already associated by accessPolicies[0]"),
    Case("bastion-groups-unique", "management_host_access",
         {"bastion": {"enabled": True, "kubernetesGroups": ["ops", "ops"]}},
         "bastion.kubernetesGroups[1]", "'ops' is already listed"),
    Case("bastion-no-permissions", "management_host_access",
         {"bastion": {"enabled": True, "accessPolicies": []}},
         "bastion.accessPolicies", "kubectl on the management host can authenticate but may do nothing", "warning"),
    Case("bastion-access-without-host", "management_host_access",
         {"bastion": {"kubernetesGroups": ["ops"]}},
         "bastion.kubernetesGroups", "is ignored: bastion.enabled is false", "warning"),
    Case("service-role-arn", "role_arns", {"iam": {"serviceRoleARN": "arn:aws:iam::123456789012:policy/x"}},
         "iam.serviceRoleARN", "is not an IAM role ARN"),
    Case("addon-role-partition", "role_arns",
         {"iam": {"withOIDC": True},
          "addons": [{"name": "vpc-cni", "serviceAccountRoleARN": f"arn:aws-us-gov:iam::{ACCOUNT}:role/cni"}]},
         "addons[0].serviceAccountRoleARN", "partition 'aws-us-gov' does not match"),
    Case("kms-region", "kms_key",
         {"secretsEncryption": {"keyARN": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/"
                                         "1234abcd-12ab-34cd-56ef-1234567890ab"}},
         "secretsEncryption.keyARN", "EKS needs a key in the cluster's region ap-northeast-2"),
    Case("kms-syntax", "kms_key", {"secretsEncryption": {"keyARN": "my-key"}},
         "secretsEncryption.keyARN", "is not a KMS key ARN"),
    # ---------------------------------------------------------------- nodegroup sizes and types
    Case("desired-above-max", "nodegroup_sizes", {"managedNodeGroups": [ng(desiredCapacity=5, maxSize=3)]},
         "managedNodeGroups[0].desiredCapacity", "5 is above maxSize 3"),
    Case("desired-below-min", "nodegroup_sizes",
         {"managedNodeGroups": [ng(desiredCapacity=1, minSize=2, maxSize=3)]},
         "managedNodeGroups[0].desiredCapacity", "1 is below minSize 2"),
    Case("min-above-max", "nodegroup_sizes",
         {"managedNodeGroups": [ng(desiredCapacity=3, minSize=4, maxSize=3)]},
         "managedNodeGroups[0].minSize", "4 is above maxSize 3"),
    Case("max-zero", "nodegroup_sizes", {"managedNodeGroups": [ng(desiredCapacity=0, minSize=0, maxSize=0)]},
         "managedNodeGroups[0].maxSize", "0 is below 1"),
    Case("min-negative", "nodegroup_sizes", {"managedNodeGroups": [ng(minSize=-1)]},
         "managedNodeGroups[0].minSize", "-1 is negative"),
    Case("volume-type-bounds", "volume_size", {"managedNodeGroups": [ng(volumeSize=20000)]},
         "managedNodeGroups[0].volumeSize", "20000 GiB is outside what gp3 allows: 1 to 16384 GiB"),
    Case("volume-io1-min", "volume_size", {"managedNodeGroups": [ng(volumeSize=3, volumeType="io1")]},
         "managedNodeGroups[0].volumeSize", "outside what io1 allows: 4 to 16384"),
    Case("volume-ami-min", "volume_size", {"managedNodeGroups": [ng(volumeSize=10)]},
         "managedNodeGroups[0].volumeSize", "smaller than the AmazonLinux2023 AMI's 20 GiB snapshot"),
    Case("instance-type-syntax", "instance_types", {"managedNodeGroups": [ng(instanceType="t3-medium")]},
         "managedNodeGroups[0].instanceType", "did you mean 't3.medium'?"),
    Case("instance-type-both", "instance_types",
         {"managedNodeGroups": [ng(instanceTypes=["t3.large"])]},
         "managedNodeGroups[0].instanceTypes", "cannot be given together with instanceType"),
    Case("instance-type-arch-mix", "instance_types",
         {"managedNodeGroups": [{"name": "ng", "instanceTypes": ["m7g.large", "m5.large", "c6gn.xlarge"]}]},
         "managedNodeGroups[0].instanceTypes", "m7g.large is arm64/Graviton, m5.large is x86_64"),
    Case("instance-type-twice", "instance_types",
         {"managedNodeGroups": [{"name": "ng", "instanceTypes": ["m5.large", "m5.large"]}]},
         "managedNodeGroups[0].instanceTypes[1]", "is listed twice"),
    Case("bastion-instance-type", "instance_types", {"bastion": {"enabled": True, "instanceType": "t3"}},
         "bastion.instanceType", "is not an EC2 instance type"),
    Case("ami-al2-new-version", "ami_family", {"managedNodeGroups": [ng(amiFamily="AmazonLinux2")]},
         "managedNodeGroups[0].amiFamily", "AmazonLinux2 AMIs are not published for Kubernetes 1.34 (last: 1.32)"),
    Case("ami-ubuntu2004", "ami_family", {"managedNodeGroups": [ng(amiFamily="Ubuntu2004")]},
         "managedNodeGroups[0].amiFamily", "Ubuntu2004 AMIs are not published for Kubernetes 1.34"),
    Case("ami-ubuntu2404-old", "ami_family",
         {"metadata": {"version": "1.30"}, "managedNodeGroups": [ng(amiFamily="Ubuntu2404")]},
         "managedNodeGroups[0].amiFamily", "Ubuntu2404 AMIs start at Kubernetes 1.31"),
    Case("ami-follows-nodegroup-version", "ami_family",
         {"metadata": {"version": "1.33"}, "managedNodeGroups": [ng(amiFamily="Ubuntu2404", version="1.30")]},
         "managedNodeGroups[0].amiFamily", "Ubuntu2404 AMIs start at Kubernetes 1.31, not 1.30"),
    # ---------------------------------------------------------------- versions, support policy
    Case("ng-version-newer", "nodegroup_versions", {"managedNodeGroups": [ng(version="1.35")]},
         "managedNodeGroups[0].version", "1.35 is newer than the control plane's 1.34"),
    Case("ng-version-skew", "nodegroup_versions",
         {"metadata": {"version": "1.35"}, "managedNodeGroups": [ng(version="1.31")]},
         "managedNodeGroups[0].version", "4 minor versions behind the control plane's 1.35; Kubernetes' "
         "version-skew policy allows at most 3"),
    Case("ng-version-unknown", "nodegroup_versions", {"managedNodeGroups": [ng(version="1.3")]},
         "managedNodeGroups[0].version", "'1.3' is not a Kubernetes version EKS offers"),
    Case("ng-version-older", "nodegroup_versions",
         {"metadata": {"version": "1.35"}, "managedNodeGroups": [ng(version="1.32")]},
         "managedNodeGroups[0].version", "EKS creates a nodegroup only at the cluster's version", "warning"),
    Case("release-version-ubuntu", "release_versions",
         {"managedNodeGroups": [ng(amiFamily="Ubuntu2404", releaseVersion="1.34.0-20261120")]},
         "managedNodeGroups[0].releaseVersion", "custom AMI, for which EKS takes no releaseVersion"),
    Case("release-version-format", "release_versions",
         {"managedNodeGroups": [ng(releaseVersion="latest")]},
         "managedNodeGroups[0].releaseVersion", "'latest' is not an EKS-optimized AMI release"),
    Case("release-version-other-kubernetes", "release_versions",
         {"managedNodeGroups": [ng(releaseVersion="1.33.5-20261120")]},
         "managedNodeGroups[0].releaseVersion", "AMI release of another Kubernetes version than the "
         "nodegroup's 1.34"),
    Case("release-version-pinned-ng", "release_versions",
         {"metadata": {"version": "1.35"},
          "managedNodeGroups": [ng(version="1.34", releaseVersion="1.35.0-20261120")]},
         "managedNodeGroups[0].releaseVersion", "than the nodegroup's 1.34"),
    Case("support-extended", "support_policy", {"upgradePolicy": {"supportType": "EXTENDED"}},
         "upgradePolicy.supportType", "standard support of 1.34 ends on 2026-12-02; after that EKS keeps the "
         "cluster on it in extended support at $0.60 per cluster hour instead of $0.10", "warning"),
    # ---------------------------------------------------------------- labels, taints, ssh, updates
    Case("label-reserved", "labels", {"managedNodeGroups": [ng(labels={"node-role.kubernetes.io/worker": "x"})]},
         "managedNodeGroups[0].labels.node-role.kubernetes.io/worker", "is under kubernetes.io/k8s.io"),
    Case("label-key", "labels", {"managedNodeGroups": [ng(labels={"bad key": "x"})]},
         "managedNodeGroups[0].labels.bad key", "label 'bad key' is not a valid key"),
    Case("label-prefix", "labels", {"managedNodeGroups": [ng(labels={"Example.com/role": "x"})]},
         "managedNodeGroups[0].labels.Example.com/role", "has an invalid prefix"),
    Case("label-value", "labels", {"managedNodeGroups": [ng(labels={"role": "-x"})]},
         "managedNodeGroups[0].labels.role", "label value '-x' is not valid"),
    Case("taint-effect", "taints",
         {"managedNodeGroups": [ng(taints=[{"key": "dedicated", "value": "gpu", "effect": "NO_SCHEDULE"}])]},
         "managedNodeGroups[0].taints[0].effect", "did you mean 'NoSchedule'?"),
    Case("taint-key", "taints", {"managedNodeGroups": [ng(taints=[{"key": "a b", "effect": "NoSchedule"}])]},
         "managedNodeGroups[0].taints[0].key", "taint 'a b' is not a valid key"),
    Case("taint-value", "taints",
         {"managedNodeGroups": [ng(taints=[{"key": "a", "value": "x" * 64, "effect": "NoSchedule"}])]},
         "managedNodeGroups[0].taints[0].value", "is not valid"),
    Case("taint-duplicate", "taints",
         {"managedNodeGroups": [ng(taints=[{"key": "a", "effect": "NoSchedule"},
                                           {"key": "a", "value": "b", "effect": "NoSchedule"}])]},
         "managedNodeGroups[0].taints[1]", "repeats taints[0]"),
    Case("ssh-two-keys", "node_ssh",
         {"managedNodeGroups": [ng(ssh={"allow": True, "publicKeyName": "k", "publicKey": "ssh-ed25519 AAAA"})]},
         "managedNodeGroups[0].ssh.publicKeyName", "cannot be given together with publicKey"),
    Case("ssh-without-allow", "node_ssh", {"managedNodeGroups": [ng(ssh={"publicKeyName": "k"})]},
         "managedNodeGroups[0].ssh.allow", "publicKeyName is ignored", "warning"),
    Case("ssh-unreachable", "node_ssh", {"managedNodeGroups": [ng(ssh={"allow": True})]},
         "managedNodeGroups[0].ssh.allow", "there is neither", "warning"),
    Case("ssh-source-group", "node_ssh",
         {"managedNodeGroups": [ng(ssh={"allow": True, "sourceSecurityGroupIds": ["subnet-0a0a"]})]},
         "managedNodeGroups[0].ssh.sourceSecurityGroupIds[0]", "is not a security group id"),
    Case("update-both", "update_config",
         {"managedNodeGroups": [ng(updateConfig={"maxUnavailable": 1, "maxUnavailablePercentage": 10})]},
         "managedNodeGroups[0].updateConfig", "gives both maxUnavailable and maxUnavailablePercentage"),
    Case("update-neither", "update_config", {"managedNodeGroups": [ng(updateConfig={})]},
         "managedNodeGroups[0].updateConfig", "needs maxUnavailable"),
    Case("update-percentage", "update_config",
         {"managedNodeGroups": [ng(updateConfig={"maxUnavailablePercentage": 0})]},
         "managedNodeGroups[0].updateConfig.maxUnavailablePercentage", "0 is outside 1 to 100"),
    # ---------------------------------------------------------------- add-ons, logging, Fargate
    Case("addon-unknown", "addons", {"addons": [{"name": "vpc-cin"}]},
         "addons[0].name", "'vpc-cin' is not an EKS add-on; did you mean 'vpc-cni'?"),
    Case("addon-marketplace", "addons", {"addons": [{"name": "kubecost_kubecost"}]},
         "addons[0].name", "taken to be an AWS Marketplace add-on", "warning"),
    Case("addon-duplicate", "addons", {"addons": [{"name": "coredns"}, {"name": "coredns"}]},
         "addons[1].name", "list each add-on once"),
    Case("addon-version", "addons", {"addons": [{"name": "coredns", "version": "latest"}]},
         "addons[0].version", "omit version for the default"),
    Case("addon-irsa-needs-oidc", "addons",
         {"addons": [{"name": "aws-ebs-csi-driver", "serviceAccountRoleARN": ROLE}]},
         "addons[0].serviceAccountRoleARN", "set iam.withOIDC: true", "warning"),
    Case("log-type-all", "log_types", {"cloudWatch": {"clusterLogging": {"enableTypes": ["all"]}}},
         "cloudWatch.clusterLogging.enableTypes[0]", "'all' is eksctl shorthand"),
    Case("log-type-unknown", "log_types", {"cloudWatch": {"clusterLogging": {"enableTypes": ["Audit"]}}},
         "cloudWatch.clusterLogging.enableTypes[0]", "did you mean 'audit'?"),
    Case("log-type-twice", "log_types", {"cloudWatch": {"clusterLogging": {"enableTypes": ["api", "api"]}}},
         "cloudWatch.clusterLogging.enableTypes[1]", "is listed twice"),
    Case("log-retention", "log_retention", {"cloudWatch": {"clusterLogging": {"logRetentionInDays": 10}}},
         "cloudWatch.clusterLogging.logRetentionInDays", "the next allowed value is 14"),
    Case("coredns-nowhere", "coredns_compute",
         {"managedNodeGroups": [], "addons": [{"name": "vpc-cni"}, {"name": "coredns"}]},
         "addons[1].name", "coredns has nowhere to run"),
    Case("coredns-fargate-without-kube-system", "coredns_compute",
         {"managedNodeGroups": [], "addons": [{"name": "coredns"}],
          "fargateProfiles": [{"name": "fp", "selectors": [{"namespace": "kube-*", "labels": {"app": "x"}},
                                                           {"namespace": "default"}]}]},
         "addons[0].name", "no fargateProfiles selector matches its pods"),
    Case("fargate-selectors-max", "fargate_profiles",
         {"fargateProfiles": [{"name": "fp", "selectors": [{"namespace": f"n{i}"} for i in range(6)]}]},
         "fargateProfiles[0].selectors", "EKS allows at most 5"),
    Case("fargate-selectors-empty", "fargate_profiles", {"fargateProfiles": [{"name": "fp", "selectors": []}]},
         "fargateProfiles[0].selectors", "give at least one selector"),
    Case("fargate-namespace", "fargate_profiles",
         {"fargateProfiles": [{"name": "fp", "selectors": [{"namespace": ""}]}]},
         "fargateProfiles[0].selectors[0].namespace", "is not a Kubernetes namespace name"),
    Case("fargate-subnet-id", "fargate_profiles",
         {"fargateProfiles": [{"name": "fp", "selectors": [{"namespace": "a"}], "subnets": ["private-a"]}]},
         "fargateProfiles[0].subnets[0]", "is not a subnet id"),
    # ---------------------------------------------------------------- EKS Pod Identity (issue 13)
    Case("pod-identity-create-service-account", "pod_identity_associations",
         pod_identity(createServiceAccount=True), "iam.podIdentityAssociations[0].createServiceAccount",
         "CloudFormation cannot create a Kubernetes service account"),
    Case("pod-identity-no-permissions", "pod_identity_associations",
         {"iam": {"podIdentityAssociations": [{"namespace": "apps", "serviceAccountName": "app"}]}},
         "iam.podIdentityAssociations[0]", "needs roleARN, or the permissions of the role to create"),
    Case("pod-identity-role-and-policies", "pod_identity_associations",
         pod_identity(roleARN=ROLE), "iam.podIdentityAssociations[0].wellKnownPolicies",
         "cannot be given with roleARN"),
    Case("pod-identity-namespace-required", "pod_identity_associations",
         {"iam": {"podIdentityAssociations": [{"serviceAccountName": "app", "roleARN": ROLE}]}},
         "iam.podIdentityAssociations[0].namespace", "is required"),
    Case("pod-identity-namespace-syntax", "pod_identity_associations", pod_identity(namespace="Apps"),
         "iam.podIdentityAssociations[0].namespace", "is not a Kubernetes namespace name"),
    Case("pod-identity-policy-arn", "pod_identity_associations",
         pod_identity(wellKnownPolicies={}, permissionPolicyARNs=["AmazonS3ReadOnlyAccess"]),
         "iam.podIdentityAssociations[0].permissionPolicyARNs[0]", "is not an IAM policy ARN"),
    Case("pod-identity-policy-document", "pod_identity_associations",
         pod_identity(wellKnownPolicies={}, permissionPolicy={"Version": "2012-10-17"}),
         "iam.podIdentityAssociations[0].permissionPolicy", "needs a Statement"),
    Case("pod-identity-twice", "pod_identity_associations",
         {"iam": {"podIdentityAssociations": [_association(), _association()]}},
         "iam.podIdentityAssociations[1]", "EKS takes one association per service account"),
    Case("pod-identity-twice-with-addon", "pod_identity_associations",
         {"iam": {"podIdentityAssociations": [_association(namespace="kube-system", serviceAccountName="aws-node")]},
          "addons": [{"name": "vpc-cni", "useDefaultPodIdentityAssociations": True}]},
         "iam.podIdentityAssociations[0]", "already has the vpc-cni add-on's association"),
    Case("pod-identity-fargate-only", "pod_identity_associations",
         {**pod_identity(), "managedNodeGroups": [], "fargateProfiles": [
             {"name": "fp", "selectors": [{"namespace": "apps"}]}]},
         "iam.podIdentityAssociations", "pods on Fargate cannot use EKS Pod Identity", "warning"),
    Case("addon-default-associations-unknown", "addon_pod_identity",
         {"addons": [{"name": "coredns", "useDefaultPodIdentityAssociations": True}]},
         "addons[0].useDefaultPodIdentityAssociations", "has no service account with AWS permissions known"),
    Case("addon-default-and-own-associations", "addon_pod_identity",
         {"addons": [{"name": "vpc-cni", "useDefaultPodIdentityAssociations": True,
                      "podIdentityAssociations": [{"serviceAccountName": "aws-node", "roleARN": ROLE}]}]},
         "addons[0].useDefaultPodIdentityAssociations", "cannot be given with podIdentityAssociations"),
    Case("addon-irsa-and-pod-identity", "addon_pod_identity",
         {"iam": {"withOIDC": True}, "addons": [{"name": "vpc-cni", "serviceAccountRoleARN": ROLE,
                                                 "useDefaultPodIdentityAssociations": True}]},
         "addons[0].serviceAccountRoleARN", "cannot be given with pod identity associations"),
    Case("addon-association-namespace", "addon_pod_identity",
         {"addons": [{"name": "vpc-cni", "podIdentityAssociations": [
             {"namespace": "kube-system", "serviceAccountName": "aws-node", "roleARN": ROLE}]}]},
         "addons[0].podIdentityAssociations[0].namespace", "leave namespace out"),
    Case("addon-association-unknown-service-account", "addon_pod_identity",
         {"addons": [{"name": "vpc-cni", "podIdentityAssociations": [
             {"serviceAccountName": "cni", "roleARN": ROLE}]}]},
         "addons[0].podIdentityAssociations[0].serviceAccountName", "is not a service account of vpc-cni",
         "warning"),
    Case("addon-configuration-not-json", "addon_configuration_values",
         {"addons": [{"name": "coredns", "configurationValues": "{replicaCount: 3}"}]},
         "addons[0].configurationValues", "is not valid JSON"),
    Case("addon-configuration-not-an-object", "addon_configuration_values",
         {"addons": [{"name": "coredns", "configurationValues": "[1, 2]"}]},
         "addons[0].configurationValues", "must be a JSON object"),
    Case("addon-configuration-a-list", "addon_configuration_values",
         {"addons": [{"name": "coredns", "configurationValues": [{"replicaCount": 3}]}]},
         "addons[0].configurationValues", "must be a JSON object"),
    Case("pod-imds-with-addon-policies", "pod_imds",
         {"managedNodeGroups": [ng(iam={"withAddonPolicies": {"albIngress": True}})]},
         "managedNodeGroups[0].iam.withAddonPolicies.albIngress", "every pod on these nodes can use them", "warning"),
    Case("pod-imds-disabled-with-addon-policies", "pod_imds",
         {"managedNodeGroups": [ng(disablePodIMDS=True, iam={"withAddonPolicies": {"autoScaler": True}})]},
         "managedNodeGroups[0].disablePodIMDS", "cannot be true with iam.withAddonPolicies"),
    Case("pod-imds-imdsv1", "pod_imds", {"managedNodeGroups": [ng(disableIMDSv1=False)]},
         "managedNodeGroups[0].disableIMDSv1", "IMDSv1 needs no token", "warning"),
    # issue 14: eksctl's nodegroup launch-template and bootstrap options (config/rules/nodegroup_options.py;
    # every refusal of theirs is in tests/config/test_node_rules.py)
    Case("ng-ami-id", "node_bootstrap", {"managedNodeGroups": [ng(ami="ami-12")]},
         "managedNodeGroups[0].ami", "is not an AMI ID"),
    Case("ng-subnets-new-vpc", "node_placement", {"managedNodeGroups": [ng(subnets=["subnet-0123456789abcdef1"])]},
         "managedNodeGroups[0].subnets[0]", "this stack creates the VPC"),
    Case("ng-attach-sg", "node_security_groups",
         {"managedNodeGroups": [ng(securityGroups={"attachIDs": ["default"]})]},
         "managedNodeGroups[0].securityGroups.attachIDs[0]", "not a security group id"),
    Case("ng-attach-policy", "node_iam", {"managedNodeGroups": [ng(iam={"attachPolicyARNs": ["ReadOnly"]})]},
         "managedNodeGroups[0].iam.attachPolicyARNs[0]", "is not an IAM policy ARN"),
    Case("ng-volume-iops", "node_volume_performance", {"managedNodeGroups": [ng(volumeIOPS=20000)]},
         "managedNodeGroups[0].volumeIOPS", "3000 to 16000"),
    Case("auto-mode-pool", "auto_mode_config",
         {"accessConfig": {"authenticationMode": "API"},
          "autoModeConfig": {"enabled": True, "nodePools": ["gpu"]}},
         "autoModeConfig.nodePools[0]", "is not a built-in node pool"),
    Case("ng-repair-unused", "node_capacity",
         {"managedNodeGroups": [ng(nodeRepairConfig={"maxParallelNodesRepairedCount": 2})]},
         "managedNodeGroups[0].nodeRepairConfig.enabled", "limits are not used", "warning"),
]


def _lines(case: Case) -> tuple[list[str], list[str]]:
    return outcome(case.changes)


def _matching(lines: list[str], case: Case) -> list[str]:
    prefix = ("warning: " if case.severity == "warning" else "") + f"{SOURCE}: {case.path}: "
    return [line for line in lines if line.startswith(prefix) and case.phrase in line]


def test_the_base_cluster_is_clean() -> None:
    assert outcome() == ([], [])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case) -> None:
    errors, warnings = _lines(case)
    found = errors if case.severity == "error" else warnings
    assert _matching(found, case), f"expected '{case.path}: ...{case.phrase}...' in:\n" + "\n".join(
        errors + warnings
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_is_what_finds_it(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without its rule, the case's line is gone: the case tests that rule."""
    others = [fn for fn in validate.RULES if fn.__name__ != case.rule]
    assert len(others) == len(validate.RULES) - 1, f"no rule named {case.rule}"
    monkeypatch.setattr(validate, "RULES", others)
    errors, warnings = _lines(case)
    assert not _matching(errors + warnings, case)


def test_every_rule_has_a_case() -> None:
    covered = {c.rule for c in CASES}
    assert {fn.__name__ for fn in validate.RULES} <= covered


def test_every_rule_lives_in_a_rule_module_and_runs_in_module_order() -> None:
    """Each module's rules run together, the modules in ``rules.ORDER``; every module that
    registers a rule is in it, and every rule is one ``check`` runs."""
    assert validate.RULES is rules.RULES
    modules = [fn.__module__ for fn in validate.RULES]
    assert set(modules) <= {m.__name__ for m in rules.MODULES}
    grouped = list(dict.fromkeys(modules))
    assert grouped == [m.__name__ for m in rules.MODULES], "a module's rules are split up, or out of ORDER"
    assert modules == sorted(modules, key=grouped.index)
    assert len({fn.__name__ for fn in validate.RULES}) == len(validate.RULES), "two rules share a name"


@pytest.mark.parametrize("first", ["eks_templates.config.rules.nodegroup_options",
                                   "eks_templates.config.rules.auto_mode", "eks_templates.builders.auto_mode",
                                   "eks_templates.config.validate"])
def test_the_rule_order_does_not_depend_on_what_is_imported_first(first: str) -> None:
    """Before the split, importing the Auto Mode rules first ran them after the nodegroup
    options' rules instead of before: the order of a file's problems hung on import order."""
    probe = (f"import {first}\nfrom eks_templates.config import validate\n"
             "print(' '.join(fn.__name__ for fn in validate.RULES))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.split() == [fn.__name__ for fn in validate.RULES]


def test_all_errors_of_a_file_are_reported_together() -> None:
    errors, _ = outcome({
        "metadata": {"name": "-bad"},
        "vpc": {"cidr": "10.0.0.1/16"},
        "managedNodeGroups": [ng(desiredCapacity=5, maxSize=3, volumeSize=10)],
    })
    paths = [line.split(": ")[1] for line in errors]
    assert paths == ["metadata.name", "vpc.cidr", "managedNodeGroups[0].desiredCapacity",
                     "managedNodeGroups[0].volumeSize"]


def test_warnings_do_not_fail_unless_strict() -> None:
    changes = {"vpc": {"publicAccessCIDRs": [OPEN]}}
    errors, warnings = outcome(changes)
    assert errors == [] and len(warnings) == 1
    errors, warnings = outcome(changes, strict=True)
    assert warnings == []
    assert errors == [f"{SOURCE}: vpc.publicAccessCIDRs[0]: 0.0.0.0/0 opens the Kubernetes API endpoint to the "
                      "whole internet; list your own CIDRs to narrow it (a warning; --strict fails on it)"]


# ------------------------------------------------------------------------ things that must NOT be reported


@pytest.mark.parametrize("changes", [
    pytest.param({"managedNodeGroups": [ng(labels={"node.kubernetes.io/lifecycle": "spot",
                                                   "example.com/role": "web"})]}, id="labels"),
    pytest.param({"managedNodeGroups": [{"name": "arm", "instanceTypes": ["m7g.large", "c7g.xlarge", "t4g.small"]},
                                        {"name": "x86", "instanceTypes": ["m5.large", "c6in.2xlarge",
                                                                          "m7i-flex.large", "g5.xlarge"]}]},
                 id="one-architecture-each"),
    pytest.param({"metadata": {"region": "cn-north-1"}, "availabilityZones": ["cn-north-1a", "cn-north-1b"],
                  "iam": {"serviceRoleARN": f"arn:aws-cn:iam::{ACCOUNT}:role/path/eks"}}, id="china-partition"),
    pytest.param({"vpc": {"subnets": {
        "public": {"ap-northeast-2a": {"cidr": "10.0.0.0/20"}, "ap-northeast-2c": {"cidr": "10.0.16.0/20"}},
        "private": {"ap-northeast-2a": {"cidr": "10.0.32.0/20"}, "ap-northeast-2c": {"cidr": "10.0.48.0/20"}},
    }}}, id="subnets-named-after-zones"),
    pytest.param(merge(existing_vpc(private=PRIVATE_IDS), {"availabilityZones": None}), id="existing-vpc"),
    pytest.param({"vpc": {"clusterEndpoints": {"publicAccess": False}, "publicAccessCIDRs": None}, **BASTION},
                 id="private-endpoint-with-bastion"),
    pytest.param({"vpc": {"clusterEndpoints": {"publicAccess": False}, "publicAccessCIDRs": None},
                  "bastion": {"privateAccessVia": "site-to-site VPN from the office"}},
                 id="private-endpoint-with-stated-way-in"),
    pytest.param({"vpc": {"publicAccessCIDRs": [OPEN], "clusterEndpoints": {"privateAccess": False}},
                  "kubernetesNetworkConfig": {"serviceIPv4CIDR": "172.20.0.0/16"}}, id="public-only-open"),
    pytest.param(policy(accessScope={"type": "namespace", "namespaces": ["dev", "team-*"]}), id="namespace-scope"),
    pytest.param({"secretsEncryption": {"keyARN": f"arn:aws:kms:ap-northeast-2:{ACCOUNT}:alias/eks"}},
                 id="kms-alias"),
    pytest.param({"addons": [{"name": "vpc-cni", "version": "v1.19.0-eksbuild.1"}, {"name": "coredns"}]},
                 id="addons"),
    pytest.param({**pod_identity(), "addons": [
        {"name": "vpc-cni", "useDefaultPodIdentityAssociations": True},
        {"name": "aws-ebs-csi-driver", "podIdentityAssociations": [
            {"serviceAccountName": "ebs-csi-controller-sa", "wellKnownPolicies": {"ebsCSIController": True}}]}],
        "addonsConfig": {"autoApplyPodIdentityAssociations": True}}, id="pod-identity"),
    pytest.param({"addons": [{"name": "coredns", "configurationValues": {"replicaCount": 3}},
                             {"name": "vpc-cni",
                              "configurationValues": '{"env": {"ENABLE_PREFIX_DELEGATION": "true"}}'}]},
                 id="addon-configuration"),
    *[pytest.param({"managedNodeGroups": [], "addons": [{"name": "coredns"}],
                    "fargateProfiles": [{"name": "fp", "selectors": [selector]}]}, id=f"coredns-on-fargate-{i}")
      for i, selector in enumerate([
          {"namespace": "kube-system"}, {"namespace": "kube-*"},
          {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
          {"namespace": "kube-system", "labels": {"eks.amazonaws.com/component": "coredns"}}])],
    pytest.param({"managedNodeGroups": [ng(amiFamily="Bottlerocket", volumeSize=20, volumeType="io2",
                                           desiredCapacity=0, minSize=0, maxSize=1)]}, id="bottlerocket-io2"),
])
def test_valid_files_stay_clean(changes: dict[str, Any]) -> None:
    errors, warnings = outcome(changes)
    assert errors == []
    # only the warning that 0.0.0.0/0 was written on purpose
    assert [w for w in warnings if "0.0.0.0/0 opens" not in w] == []


@pytest.mark.parametrize("sizes", [
    {"minSize": -1}, {"desiredCapacity": -3}, {"maxSize": 0}, {"minSize": "abc"}, {"minSize": 3, "maxSize": 2},
    {"desiredCapacity": 3, "maxSize": 2}, {"desiredCapacity": 1, "minSize": 2}, {"maxSize": -2},
])
def test_a_size_problem_names_only_fields_the_file_writes(sizes: dict[str, Any]) -> None:
    """The unwritten sizes are derived from the usable written ones: ``minSize: -1`` alone was
    three lines (maxSize -1 below 1, desiredCapacity -1 negative), two of them about fields
    the file does not have."""
    errors, _ = outcome({"managedNodeGroups": [{"name": "ng", **sizes}]})
    assert errors, sizes
    named = {line.split(": ", 2)[1].rsplit(".", 1)[1] for line in errors}
    assert named and named <= set(sizes), errors
    assert len(errors) == 1, errors


@pytest.mark.parametrize(("sizes", "expected"), [
    ({}, (2, 2, 2)), ({"minSize": 3}, (3, 3, 3)), ({"desiredCapacity": 4}, (4, 4, 4)),
    ({"minSize": 1, "maxSize": 4}, (1, 1, 4)), ({"maxSize": 5}, (2, 2, 5)),
    ({"maxSize": 1}, (1, 1, 1)),  # differs from eksctl, which refuses its default 2 above max 1
    ({"desiredCapacity": 0}, (0, 0, 1)), ({"minSize": 0}, (0, 0, 1)),  # EKS's maxSize is at least 1
])
def test_the_size_defaults(sizes: dict[str, Any], expected: tuple[int, int, int]) -> None:
    from eks_templates.config.loader import parse_config
    from tests.config.cases import stack_text

    config = parse_config(stack_text({"managedNodeGroups": [{"name": "ng", **sizes}]}), SOURCE, on_warning=None)
    group = config.managed_node_groups[0]
    assert (group.min_size, group.desired_capacity, group.max_size) == expected
