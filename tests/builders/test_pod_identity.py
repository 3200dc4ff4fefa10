"""EKS Pod Identity in the rendered templates: a role per association with exactly the
trust and the permissions the file asks for, ``AWS::EKS::PodIdentityAssociation`` in its
own stack after the cluster (nodegroups do not wait for it), the add-on's own
``PodIdentityAssociations``, the ``eks-pod-identity-agent`` add-on before compute, and no
``AmazonEKS_CNI_Policy`` on the node role once vpc-cni has a role of its own."""

from __future__ import annotations

from typing import Any

import pytest

from eks_templates.builders.pod_identity import POD_IDENTITY_PRINCIPAL
from eks_templates.config.addon_identity import ADDON_SERVICE_ACCOUNTS
from eks_templates.config.model import ClusterConfig
from eks_templates.render import render_set
from tests.builders.helpers import config, of_type
from tests.builders.helpers import templates as _templates

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                   "Principal": {"Service": [POD_IDENTITY_PRINCIPAL]}}],
}
ACCOUNT = "111122223333"

ASSOCIATIONS = f"""
iam:
  podIdentityAssociations:
    - namespace: kube-system
      serviceAccountName: external-dns
      wellKnownPolicies: {{externalDNS: true}}
    - namespace: default
      serviceAccountName: app
      roleARN: arn:aws:iam::{ACCOUNT}:role/app
    - namespace: apps
      serviceAccountName: reader
      permissionPolicyARNs: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
      permissionPolicy:
        Version: "2012-10-17"
        Statement: [{{Effect: Allow, Action: ["sqs:ReceiveMessage"], Resource: ["arn:aws:sqs:*:{ACCOUNT}:jobs"]}}]
      permissionsBoundaryARN: arn:aws:iam::{ACCOUNT}:policy/boundary
      tags: {{team: apps}}
    - namespace: ci
      serviceAccountName: builder
      wellKnownPolicies: {{imageBuilder: true, efsCSIController: true}}
managedNodeGroups: [{{name: ng}}]
"""


def templates(cfg: ClusterConfig, *, flat: bool = False) -> dict[str, Any]:
    return _templates(render_set(cfg, flat=flat))


def _sub(name: str) -> dict[str, str]:
    return {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/" + name}


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    return templates(config(ASSOCIATIONS))


def test_a_role_per_association_with_exactly_what_it_asks_for(rendered: dict[str, Any]) -> None:
    res = rendered["PodIdentityStack.json"]["Resources"]
    roles = of_type(res, "AWS::IAM::Role")
    # roleARN given: no role made
    assert sorted(roles) == ["PodIdentityAppsReaderRole", "PodIdentityCiBuilderRole",
                             "PodIdentityKubeSystemExternalDnsRole"]
    for role in roles.values():
        assert role["Properties"]["AssumeRolePolicyDocument"] == TRUST
        assert "RoleName" not in role["Properties"]
    dns = roles["PodIdentityKubeSystemExternalDnsRole"]["Properties"]
    assert [p["PolicyName"] for p in dns["Policies"]] == ["PolicyExternalDNSChangeSet", "PolicyExternalDNSHostedZones"]
    assert "ManagedPolicyArns" not in dns and "PermissionsBoundary" not in dns
    reader = roles["PodIdentityAppsReaderRole"]["Properties"]
    assert reader["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    assert reader["Policies"] == [{"PolicyName": "Policy1", "PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["sqs:ReceiveMessage"],
                       "Resource": [f"arn:aws:sqs:*:{ACCOUNT}:jobs"]}]}}]
    assert reader["PermissionsBoundary"] == f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    assert {"Key": "team", "Value": "apps"} in reader["Tags"]
    builder = roles["PodIdentityCiBuilderRole"]["Properties"]
    assert builder["ManagedPolicyArns"] == [_sub("AmazonEC2ContainerRegistryPowerUser")]
    assert [p["PolicyName"] for p in builder["Policies"]] == ["PolicyEFSCSIController"]


def test_one_association_resource_per_entry(rendered: dict[str, Any]) -> None:
    res = rendered["PodIdentityStack.json"]["Resources"]
    associations = of_type(res, "AWS::EKS::PodIdentityAssociation")
    assert {(a["Properties"]["Namespace"], a["Properties"]["ServiceAccount"]) for a in associations.values()} == {
        ("kube-system", "external-dns"), ("default", "app"), ("apps", "reader"), ("ci", "builder")}
    app = associations["PodIdentityDefaultApp"]["Properties"]
    assert app["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/app"
    assert app["ClusterName"] == {"Ref": "ClusterName"}
    dns = associations["PodIdentityKubeSystemExternalDns"]["Properties"]
    assert dns["RoleArn"] == {"Fn::GetAtt": ["PodIdentityKubeSystemExternalDnsRole", "Arn"]}


def test_the_associations_wait_for_the_cluster_and_block_no_nodegroup(rendered: dict[str, Any]) -> None:
    root = rendered["root.json"]["Resources"]
    stack = root["PodIdentityStack"]
    assert stack["Properties"]["Parameters"] == {"ClusterName": {"Fn::GetAtt": ["ControlPlaneStack",
                                                                                "Outputs.ClusterName"]}}
    assert "DependsOn" not in stack
    for logical_id, child in root.items():
        if logical_id == "PodIdentityStack":
            continue
        assert "PodIdentityStack" not in str(child), f"{logical_id} waits for the pod identity stack"


def test_the_agent_is_added_before_compute_when_not_listed(rendered: dict[str, Any]) -> None:
    control_plane = rendered["ControlPlaneStack.json"]["Resources"]
    agent = control_plane["AddonEksPodIdentityAgent"]
    assert agent["Properties"]["AddonName"] == "eks-pod-identity-agent"
    assert "DependsOn" not in agent
    # the nodegroup waits for ControlPlaneStack (its ClusterName input): the agent is there first
    ng = rendered["root.json"]["Resources"]["NodegroupNgStack"]
    assert ng["Properties"]["Parameters"]["ClusterName"] == {"Fn::GetAtt": ["ControlPlaneStack",
                                                                            "Outputs.ClusterName"]}
    assert "AddonsStack.json" not in rendered


def test_the_agent_is_not_added_twice_or_without_associations() -> None:
    listed = templates(config(ASSOCIATIONS + "addons: [{name: eks-pod-identity-agent, version: v1.3.4-eksbuild.1}]"))
    addons = of_type(listed["ControlPlaneStack.json"]["Resources"], "AWS::EKS::Addon")
    assert [a["Properties"]["AddonName"] for a in addons.values()] == ["eks-pod-identity-agent"]
    assert addons["AddonEksPodIdentityAgent"]["Properties"]["AddonVersion"] == "v1.3.4-eksbuild.1"
    plain = templates(config("managedNodeGroups: [{name: ng}]"))
    assert "AddonEksPodIdentityAgent" not in plain["ControlPlaneStack.json"]["Resources"]
    assert "PodIdentityStack.json" not in plain


def test_the_flat_template_holds_the_same() -> None:
    flat = templates(config(ASSOCIATIONS), flat=True)["flat.json"]["Resources"]
    association = flat["PodIdentityKubeSystemExternalDns"]["Properties"]
    assert association["ClusterName"] == {"Ref": "ControlPlane"}
    assert flat["PodIdentityKubeSystemExternalDnsRole"]["Properties"]["AssumeRolePolicyDocument"] == TRUST
    assert "AddonEksPodIdentityAgent" in flat


# --------------------------------------------------------------------------- add-ons


ADDONS = """
addons:
  - name: vpc-cni
    useDefaultPodIdentityAssociations: true
  - name: aws-ebs-csi-driver
    podIdentityAssociations:
      - serviceAccountName: ebs-csi-controller-sa
        wellKnownPolicies: {ebsCSIController: true}
  - name: aws-efs-csi-driver
  - name: coredns
managedNodeGroups: [{name: ng}]
"""


def test_the_addons_own_associations() -> None:
    rendered = templates(config(ADDONS))
    control_plane = rendered["ControlPlaneStack.json"]["Resources"]
    cni = control_plane["AddonVpcCni"]["Properties"]
    assert cni["PodIdentityAssociations"] == [{"RoleArn": {"Fn::GetAtt": ["AddonVpcCniRoleAwsNode", "Arn"]},
                                               "ServiceAccount": "aws-node"}]
    role = control_plane["AddonVpcCniRoleAwsNode"]["Properties"]
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert role["ManagedPolicyArns"] == [_sub("AmazonEKS_CNI_Policy")]
    assert "Policies" not in role
    later = rendered["AddonsStack.json"]["Resources"]
    ebs = later["AddonAwsEbsCsiDriver"]["Properties"]
    assert ebs["PodIdentityAssociations"][0]["ServiceAccount"] == "ebs-csi-controller-sa"
    assert [p["PolicyName"] for p in later["AddonAwsEbsCsiDriverRoleEbsCsiControllerSa"]["Properties"]["Policies"]] \
        == ["PolicyEBS"]
    # not asked for: no association, no role
    assert "PodIdentityAssociations" not in later["AddonAwsEfsCsiDriver"]["Properties"]
    assert len(of_type(later, "AWS::IAM::Role")) == 1
    # add-on associations need the agent as well
    assert "AddonEksPodIdentityAgent" in control_plane


def test_auto_apply_gives_every_known_addon_its_recommended_role() -> None:
    rendered = templates(config(ADDONS.replace("addons:", "addonsConfig: {autoApplyPodIdentityAssociations: true}\n"
                                               "addons:")))
    later = rendered["AddonsStack.json"]["Resources"]
    efs = later["AddonAwsEfsCsiDriver"]["Properties"]
    assert efs["PodIdentityAssociations"][0]["ServiceAccount"] == "efs-csi-controller-sa"
    assert later["AddonAwsEfsCsiDriverRoleEfsCsiControllerSa"]["Properties"]["ManagedPolicyArns"] == [
        _sub("service-role/AmazonEFSCSIDriverPolicy")]
    assert "PodIdentityAssociations" not in later["AddonCoredns"]["Properties"]


def test_every_table_row_names_its_source() -> None:
    for name, rows in ADDON_SERVICE_ACCOUNTS.items():
        for row in rows:
            assert row.source.strip() and "DescribeAddonConfiguration" in row.source, name


# --------------------------------------------------------------------------- the CNI policy on the node role


def _node_policies(extra: str) -> list[Any]:
    rendered = templates(config(extra + "\nmanagedNodeGroups: [{name: ng}]"))
    return rendered["NodegroupNgStack.json"]["Resources"]["NodeInstanceRole"]["Properties"]["ManagedPolicyArns"]


@pytest.mark.parametrize(("extra", "kept"), [
    ("addons: [{name: vpc-cni}]", True),
    ("addons: [{name: vpc-cni, useDefaultPodIdentityAssociations: true}]", False),
    ("addons: [{name: vpc-cni, podIdentityAssociations: [{serviceAccountName: aws-node, "
     "roleARN: 'arn:aws:iam::111122223333:role/cni'}]}]", False),
    ("iam: {withOIDC: true}\naddons: [{name: vpc-cni, serviceAccountRoleARN: 'arn:aws:iam::111122223333:role/cni'}]",
     False),
    ("addonsConfig: {autoApplyPodIdentityAssociations: true}\naddons: [{name: vpc-cni}]", False),
])
def test_the_node_role_keeps_the_cni_policy_only_while_vpc_cni_has_no_role(extra: str, kept: bool) -> None:
    assert (_sub("AmazonEKS_CNI_Policy") in _node_policies(extra)) is kept


# --------------------------------------------------------------------------- configurationValues (item 4)


def _configuration(extra: str, logical_id: str = "AddonCoredns", stack: str = "AddonsStack.json") -> Any:
    rendered = templates(config(extra))
    return rendered[stack]["Resources"][logical_id]["Properties"].get("ConfigurationValues")


def test_configuration_values_are_the_json_string_eks_takes_sorted() -> None:
    as_mapping = _configuration("addons: [{name: coredns, configurationValues: {replicaCount: 3, "
                                "autoScaling: {enabled: true, minReplicas: 2}}}]\nmanagedNodeGroups: [{name: ng}]")
    as_string = _configuration("addons: [{name: coredns, configurationValues: '{\"autoScaling\": {\"minReplicas\": 2, "
                               "\"enabled\": true}, \"replicaCount\": 3}'}]\nmanagedNodeGroups: [{name: ng}]")
    assert as_mapping == as_string == '{"autoScaling":{"enabled":true,"minReplicas":2},"replicaCount":3}'


def test_the_users_values_win_over_the_fargate_coredns_configuration_key_by_key() -> None:
    fargate = ("managedNodeGroups: []\nfargateProfiles: [{name: system, selectors: [{namespace: kube-system}]}]\n")
    assert _configuration(fargate + "addons: [{name: coredns}]") == '{"computeType":"Fargate"}'
    rendered = templates(config(fargate + "addons: [{name: coredns, configurationValues: {replicaCount: 1}}]"))
    coredns = rendered["AddonsStack.json"]["Resources"]["AddonCoredns"]["Properties"]["ConfigurationValues"]
    assert coredns == '{"computeType":"Fargate","replicaCount":1}'
    rendered = templates(config(fargate + "addons: [{name: coredns, configurationValues: {computeType: ec2}}]"))
    assert rendered["AddonsStack.json"]["Resources"]["AddonCoredns"]["Properties"]["ConfigurationValues"] == \
        '{"computeType":"ec2"}'


def test_addons_before_compute_take_configuration_values_too() -> None:
    value = _configuration("addons: [{name: vpc-cni, configurationValues: {env: {ENABLE_PREFIX_DELEGATION: 'true'}}}]"
                           "\nmanagedNodeGroups: [{name: ng}]", "AddonVpcCni", "ControlPlaneStack.json")
    assert value == '{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}'


# --------------------------------------------------------------------------- pods off the node role (item 5)


def _hop_limit(body: str) -> int:
    rendered = templates(config("managedNodeGroups:\n  - name: ng\n" + "".join(
        f"    {line}\n" for line in body.strip().splitlines())))
    data = rendered["NodegroupNgStack.json"]["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]
    return int(data["MetadataOptions"]["HttpPutResponseHopLimit"])


@pytest.mark.parametrize(("body", "hops"), [
    ("", 1),
    ("disablePodIMDS: true", 1),
    ("disablePodIMDS: false", 2),
    ("amiFamily: Bottlerocket", 1),
    ("amiFamily: Ubuntu2404", 1),
    # withAddonPolicies only work for pods that reach the node role: kept, with a warning
    ("iam: {withAddonPolicies: {externalDNS: true}}", 2),
    ("iam: {withAddonPolicies: {externalDNS: true}}\ndisablePodIMDS: false", 2),
])
def test_imds_hop_limit_is_1_unless_pods_are_let_in(body: str, hops: int) -> None:
    assert _hop_limit(body) == hops


def test_with_addon_policies_warn_with_the_pod_identity_equivalent() -> None:
    from tests.config.cases import ng, outcome

    errors, warnings = outcome({"managedNodeGroups": [ng(iam={"withAddonPolicies": {"externalDNS": True,
                                                                                    "ebs": True}})]})
    assert errors == []
    assert [w.split(": ", 3)[2] for w in warnings] == ["managedNodeGroups[0].iam.withAddonPolicies.externalDNS",
                                                        "managedNodeGroups[0].iam.withAddonPolicies.ebs"]
    assert "every pod on these nodes can use them" in warnings[0]
    assert ("iam.podIdentityAssociations: [{namespace: kube-system, serviceAccountName: external-dns, "
            "wellKnownPolicies: {externalDNS: true}}]") in warnings[0]
    assert "addons: [{name: aws-ebs-csi-driver, useDefaultPodIdentityAssociations: true}]" in warnings[1]
    # the equivalent is a valid file that renders hop limit 1 and no policy on the node role
    rendered = templates(config("iam: {podIdentityAssociations: [{namespace: kube-system, serviceAccountName: "
                                "external-dns, wellKnownPolicies: {externalDNS: true}}]}\n"
                                "managedNodeGroups: [{name: ng}]"))
    node = rendered["NodegroupNgStack.json"]["Resources"]
    assert not of_type(node, "AWS::IAM::Policy")
    assert node["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["MetadataOptions"][
        "HttpPutResponseHopLimit"] == 1
