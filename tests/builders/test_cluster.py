"""The whole cluster: every stack file and a few variants the stacks do not cover render
nested and flat, lint clean, and open nothing to the internet the file did not name.

(``tests/test_lint.py`` lints every ``stacks/*.yaml`` nested and flat; the variants
here cover what those files do not: an existing VPC with private subnets only, roles
and keys from the file, public nodes with SSH sources, a Fargate-only cluster.)
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import pytest

from eks_templates.config import load_stack
from eks_templates.config.model import ClusterConfig
from eks_templates.lint import lint_set
from eks_templates.names import (
    OUTPUT_CLUSTER_NAME,
    OUTPUT_ENDPOINT,
    OUTPUT_KUBECONFIG,
)
from eks_templates.render import render_set
from tests.builders.helpers import config, templates
from tests.support import REPO, STACKS

NODEGROUP_OPTIONS = """
vpc:
  id: vpc-0123456789abcdef0
  cidr: 10.20.0.0/16
  publicAccessCIDRs: [203.0.113.0/24]
  subnets:
    private:
      ap-northeast-2a: {id: subnet-0123456789abcdef1}
      ap-northeast-2c: {id: subnet-0123456789abcdef2}
kubernetesNetworkConfig: {serviceIPv4CIDR: 172.30.0.0/16}
managedNodeGroups:
  - name: custom
    ami: ami-0123456789abcdef0
    labels: {role: custom}
    taints: [{key: dedicated, value: custom, effect: NoSchedule}]
    maxPodsPerNode: 58
    preBootstrapCommands: ['echo "pre ${HOSTNAME}" > /tmp/pre']
    overrideBootstrapCommand: |
      apiVersion: node.eks.aws/v1alpha1
      kind: NodeConfig
      spec:
        kubelet:
          config:
            shutdownGracePeriod: 30s
    subnets: [ap-northeast-2a]
    securityGroups: {attachIDs: [sg-0123456789abcdef3], withShared: false}
    iam:
      attachPolicyARNs: ['arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy']
      instanceRolePermissionsBoundary: 'arn:aws:iam::111122223333:policy/boundary'
    volumeType: gp3
    volumeIOPS: 6000
    volumeThroughput: 500
    volumeKmsKeyID: 'arn:aws:kms:ap-northeast-2:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'
    enableDetailedMonitoring: true
    nodeRepairConfig: {enabled: true, maxParallelNodesRepairedPercentage: 20, maxUnhealthyNodeThresholdCount: 3}
    capacityReservation: {capacityReservationPreference: open}
    placement: {groupName: training}
  - name: rocket
    amiFamily: Bottlerocket
    ami: ami-0123456789abcdef1
    maxPodsPerNode: 110
    iam: {instanceRoleARN: 'arn:aws:iam::111122223333:role/nodes'}
  - name: ubuntu
    amiFamily: Ubuntu2404
    preBootstrapCommands: [apt-get install -y nfs-common]
    maxPodsPerNode: 40
  - name: efa
    instanceType: p5.48xlarge
    efaEnabled: true
    subnets: [subnet-0123456789abcdef2]
    preBootstrapCommands: [echo efa]
    capacityReservation:
      capacityReservationTarget: {capacityReservationID: cr-0123456789abcdef0}
"""

VARIANTS: dict[str, str] = {
    "existing-vpc-private-only": """
vpc:
  id: vpc-0123456789abcdef0
  subnets:
    private:
      ap-northeast-2a: {id: subnet-0123456789abcdef1}
      ap-northeast-2c: {id: subnet-0123456789abcdef2}
  clusterEndpoints: {publicAccess: false, privateAccess: true}
bastion: {enabled: true}
managedNodeGroups: [{name: ng, ssh: {allow: true}}]
""",
    "given-role-and-key-public-nodes": """
iam: {serviceRoleARN: 'arn:aws:iam::111122223333:role/eks-cluster'}
secretsEncryption: {keyARN: 'arn:aws:kms:ap-northeast-2:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'}
cloudWatch: {clusterLogging: {enableTypes: []}}
vpc:
  publicAccessCIDRs: [203.0.113.0/24]
  clusterEndpoints: {publicAccess: true, privateAccess: true}
  manageSharedNodeSecurityGroupRules: false
managedNodeGroups:
  - name: edge
    privateNetworking: false
    disableIMDSv1: false
    volumeEncrypted: false
    ssh: {allow: true, publicKeyName: ops, sourceSecurityGroupIds: [sg-0123456789abcdef0]}
bastion: {enabled: true, subnet: public, allowedCIDRs: [198.51.100.7/32]}
""",
    # issue 10 items 1-4: a Graviton management host with a narrowed access entry, two
    # nodegroups on the cluster's generated key, one with its own
    "graviton-host-generated-key": """
bastion:
  enabled: true
  instanceType: t4g.small
  accessPolicies:
    - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
      accessScope: {type: namespace, namespaces: [dev]}
  kubernetesGroups: [ops]
managedNodeGroups:
  - {name: blue, ssh: {allow: true}}
  - {name: green, instanceType: m7g.large, ssh: {allow: true}}
  - {name: own, ssh: {allow: true, publicKeyName: ops}}
""",
    # issue 14 item 3: eksctl's launch-template, bootstrap and hardware options
    "nodegroup-options": NODEGROUP_OPTIONS,
    "t2-host": """
bastion: {enabled: true, instanceType: t2.micro}
""",
    "pod-identity": """
iam:
  podIdentityAssociations:
    - {namespace: kube-system, serviceAccountName: external-dns, wellKnownPolicies: {externalDNS: true}}
    - {namespace: kube-system, serviceAccountName: cert-manager, wellKnownPolicies: {certManager: true}}
    - {namespace: kube-system, serviceAccountName: cluster-autoscaler, wellKnownPolicies: {autoScaler: true}}
    - namespace: kube-system
      serviceAccountName: aws-load-balancer-controller
      wellKnownPolicies: {awsLoadBalancerController: true}
    - {namespace: ci, serviceAccountName: builder, wellKnownPolicies: {imageBuilder: true, efsCSIController: true}}
    - {namespace: default, serviceAccountName: app, roleARN: "arn:aws:iam::111122223333:role/app"}
addonsConfig: {autoApplyPodIdentityAssociations: true}
addons: [{name: vpc-cni}, {name: coredns}, {name: aws-ebs-csi-driver}, {name: aws-efs-csi-driver}]
managedNodeGroups: [{name: ng}]
""",
    "fargate-only": """
iam: {withOIDC: true}
addons: [{name: vpc-cni}, {name: coredns}]
fargateProfiles:
  - name: system
    selectors: [{namespace: kube-system}, {namespace: default}]
""",
}


def variant(name: str) -> ClusterConfig:
    return config(VARIANTS[name])


def every_config() -> Iterator[tuple[str, ClusterConfig]]:
    for stack in STACKS:
        yield stack.stem, load_stack(str(stack), on_warning=None)
    for name in VARIANTS:
        yield name, variant(name)


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
def test_variant_renders_and_lints_clean(name: str, flat: bool):
    cfg = variant(name)
    findings = lint_set(render_set(cfg, flat=flat), region=cfg.metadata.region)
    assert [str(f) for f in findings] == []


# --------------------------------------------------------------------------- nothing open unless named

OPEN = {ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")}


def ingress_cidrs(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, CIDR) of every address block that may reach something in the template."""
    for logical_id, res in (data.get("Resources") or {}).items():
        p = res.get("Properties") or {}
        if res["Type"] == "AWS::EC2::SecurityGroupIngress":
            for key in ("CidrIp", "CidrIpv6"):
                if key in p:
                    yield logical_id, p[key]
        if res["Type"] == "AWS::EC2::SecurityGroup":
            for rule in p.get("SecurityGroupIngress") or []:
                for key in ("CidrIp", "CidrIpv6"):
                    if key in rule:
                        yield logical_id, rule[key]
        if res["Type"] == "AWS::EKS::Cluster":
            for cidr in p["ResourcesVpcConfig"].get("PublicAccessCidrs") or []:
                yield logical_id, cidr


def named_cidrs(cfg: ClusterConfig) -> set[str]:
    named = set(cfg.vpc.public_access_cidrs or [])
    if cfg.bastion.enabled:
        named |= set(cfg.bastion.allowed_cidrs)
    return named


@pytest.mark.parametrize(("name", "cfg"), list(every_config()), ids=[n for n, _ in every_config()])
def test_every_inbound_cidr_is_named_by_the_stack_file(name: str, cfg: ClusterConfig):
    named = named_cidrs(cfg)
    for flat in (False, True):
        for file, data in templates(render_set(cfg, flat=flat)).items():
            for where, cidr in ingress_cidrs(data):
                assert cidr in named, f"{name}/{file}: {where} lets {cidr} in, which the stack file does not name"
                if ipaddress.ip_network(cidr) in OPEN:
                    assert cidr in named


def test_the_check_above_sees_an_open_rule():
    data = {"Resources": {"X": {"Type": "AWS::EC2::SecurityGroupIngress",
                                "Properties": {"CidrIpv6": "::/0", "IpProtocol": "tcp"}}}}
    assert list(ingress_cidrs(data)) == [("X", "::/0")]


def test_no_template_has_rules_without_descriptions():
    for name, cfg in every_config():
        for flat in (False, True):
            for file, data in templates(render_set(cfg, flat=flat)).items():
                for logical_id, res in (data.get("Resources") or {}).items():
                    if res["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
                        assert res["Properties"].get("Description"), f"{name}/{file}: {logical_id}"


# --------------------------------------------------------------------------- root outputs


def test_root_outputs_the_cluster_the_groups_and_the_network():
    cfg = load_stack(str(REPO / "stacks" / "myeks.yaml"), on_warning=None)
    outputs = templates(render_set(cfg))["root.json"]["Outputs"]
    for name in (OUTPUT_CLUSTER_NAME, OUTPUT_ENDPOINT, OUTPUT_KUBECONFIG, "CertificateAuthorityData",
                 "OIDCIssuerUrl", "ControlPlaneSecurityGroupId", "ClusterSharedNodeSecurityGroupId",
                 "ClusterSecurityGroupId", "ManagementHostSecurityGroupId",
                 "MyeksNodegroupRemoteAccessSecurityGroupId", "VpcId", "PublicSubnetIds", "PrivateSubnetIds",
                 "ManagementHostPrivateIp", "ManagementHostPublicIp", "ManagementHostInstanceId"):
        assert name in outputs, name
    groups = [n for n in outputs if "SecurityGroup" in n]
    assert all(n.endswith("SecurityGroupId") for n in groups)
    flat = json.loads(render_set(cfg, flat=True).files["flat.json"])["Outputs"]
    assert set(flat) == set(outputs)


def test_private_management_host_has_no_public_address_output():
    cfg = load_stack(str(REPO / "stacks" / "myeks-private.yaml"), on_warning=None)
    outputs = templates(render_set(cfg))["root.json"]["Outputs"]
    assert "ManagementHostPrivateIp" in outputs and "ManagementHostPublicIp" not in outputs


def test_child_stacks_of_the_platform_cluster():
    cfg = load_stack(str(REPO / "stacks" / "platform.yaml"), on_warning=None)
    root = templates(render_set(cfg))["root.json"]["Resources"]
    assert sorted(root) == ["AddonsStack", "BastionStack", "ControlPlaneStack", "FargateStack",
                            "NodegroupBatchSpotStack", "NodegroupLegacyUbuntuStack", "NodegroupSystemStack",
                            "PodIdentityStack"]


def test_in_the_flat_template_the_nodegroups_wait_for_the_addons_made_before_any_node():
    """The add-ons made with the cluster (the VPC CNI, kube-proxy, the Pod Identity agent:
    ``ADDONS_BEFORE_COMPUTE``) must be there when the first node joins; platform's CNI has
    its own role, so its node roles have no CNI policy. The nested set has that from its
    layout (they are in ControlPlaneStack, complete before a nodegroup stack starts); the
    flat template, where all are beside each other, says it with DependsOn."""
    cfg = load_stack(str(REPO / "stacks" / "platform.yaml"), on_warning=None)
    flat = templates(render_set(cfg, flat=True))["flat.json"]["Resources"]
    before = ["AddonVpcCni", "AddonKubeProxy", "AddonEksPodIdentityAgent"]
    nodegroups = {lid: body for lid, body in flat.items() if body["Type"] == "AWS::EKS::Nodegroup"}
    assert len(nodegroups) == 3 and set(before) <= set(flat)
    for lid, body in nodegroups.items():
        assert body.get("DependsOn") == before, lid
    # nested: the nodegroup's own template names none of them (they are another stack's)
    for file, data in templates(render_set(cfg)).items():
        for lid, body in data["Resources"].items():
            if body["Type"] == "AWS::EKS::Nodegroup":
                assert "DependsOn" not in body, (file, lid)
