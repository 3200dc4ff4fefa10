"""ControlPlaneBuilder and AddonsBuilder: one test per stack-file field they read."""

from __future__ import annotations

import json

import pytest

from eks_templates.builders import AddonsBuilder, ControlPlaneBuilder, FargateBuilder, cluster_builders
from eks_templates.builders.addons import ADDONS_BEFORE_COMPUTE
from eks_templates.names import (
    KUBECONFIG_COMMAND,
    OIDC_PROVIDER_ARN,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
    SHARED_NODE_SG_ID,
)
from tests.builders.helpers import build, config, flat_resources, of_type, props, rendered, resources, templates

KEY_ARN = "arn:aws:kms:ap-northeast-2:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
ROLE_ARN = "arn:aws:iam::111122223333:role/eks-cluster"


def cluster(extra: str = "") -> dict:
    return props(resources(ControlPlaneBuilder(config(extra))), "ControlPlane")


# --------------------------------------------------------------------------- the cluster


def test_cluster_basics():
    c = cluster("metadata: {name: demo, region: ap-northeast-2, version: '1.34', tags: {team: a}}\n")
    assert c["Name"] == "demo"
    assert c["Version"] == "1.34"
    assert c["RoleArn"] == {"Fn::GetAtt": ["ServiceRole", "Arn"]}
    assert c["KubernetesNetworkConfig"] == {"IpFamily": "ipv4"}
    assert {"Key": "team", "Value": "a"} in c["Tags"]


def test_support_policy_is_standard_and_deletion_protection_on_by_default():
    c = cluster()
    assert c["UpgradePolicy"] == {"SupportType": "STANDARD"}  # EKS's own default: EXTENDED
    assert c["DeletionProtection"] is True


def test_support_policy_and_deletion_protection_from_the_file():
    c = cluster("upgradePolicy: {supportType: EXTENDED}\ndeploy: {deletionProtection: false}\n")
    assert c["UpgradePolicy"] == {"SupportType": "EXTENDED"}
    assert c["DeletionProtection"] is False


def test_subnets_are_public_and_private_as_eksctl():
    subnets = cluster()["ResourcesVpcConfig"]["SubnetIds"]
    text = json.dumps(subnets)
    assert text.index("PublicSubnetIds") < text.index("PrivateSubnetIds")
    # flat: the network's subnet lists are concatenated as they are
    res = resources(ControlPlaneBuilder(config()), {PUBLIC_SUBNET_IDS.name: ["pub-a", "pub-c"],
                                                    PRIVATE_SUBNET_IDS.name: ["priv-a", "priv-c"]})
    assert props(res, "ControlPlane")["ResourcesVpcConfig"]["SubnetIds"] == ["pub-a", "pub-c", "priv-a", "priv-c"]
    assert len(flat_resources(config())["ControlPlane"]["Properties"]["ResourcesVpcConfig"]["SubnetIds"]) == 4


def test_control_plane_security_group_is_attached():
    assert cluster()["ResourcesVpcConfig"]["SecurityGroupIds"] == [{"Ref": "ControlPlaneSecurityGroupId"}]


@pytest.mark.parametrize(("endpoints", "public", "private"), [
    ("{publicAccess: true, privateAccess: false}", True, False),
    ("{publicAccess: true, privateAccess: true}", True, True),
])
def test_endpoint_access_is_always_written(endpoints, public, private):
    c = cluster(f"vpc: {{publicAccessCIDRs: [0.0.0.0/0], clusterEndpoints: {endpoints}}}\n")
    vpc = c["ResourcesVpcConfig"]
    assert vpc["EndpointPublicAccess"] is public
    assert vpc["EndpointPrivateAccess"] is private


def test_private_only_endpoint_has_no_public_cidrs():
    c = cluster("vpc: {clusterEndpoints: {publicAccess: false, privateAccess: true}}\n"
                "bastion: {enabled: true}\n")
    vpc = c["ResourcesVpcConfig"]
    assert (vpc["EndpointPublicAccess"], vpc["EndpointPrivateAccess"]) == (False, True)
    assert "PublicAccessCidrs" not in vpc


def test_public_access_cidrs():
    c = cluster("vpc: {publicAccessCIDRs: [203.0.113.0/24, 198.51.100.9/32]}\n")
    assert c["ResourcesVpcConfig"]["PublicAccessCidrs"] == ["203.0.113.0/24", "198.51.100.9/32"]


def test_service_ipv4_cidr():
    c = cluster("kubernetesNetworkConfig: {serviceIPv4CIDR: 172.20.0.0/16}\n")
    assert c["KubernetesNetworkConfig"] == {"IpFamily": "ipv4", "ServiceIpv4Cidr": "172.20.0.0/16"}


def test_access_config():
    c = cluster("accessConfig: {authenticationMode: API, bootstrapClusterCreatorAdminPermissions: false}\n")
    assert c["AccessConfig"] == {"AuthenticationMode": "API", "BootstrapClusterCreatorAdminPermissions": False}


# --------------------------------------------------------------------------- logging and encryption


def test_logging_all_types_by_default_into_a_log_group_made_first():
    res = resources(ControlPlaneBuilder(config()))
    types = [t["Type"] for t in props(res, "ControlPlane")["Logging"]["ClusterLogging"]["EnabledTypes"]]
    assert types == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    group = props(res, "ControlPlaneLogGroup")
    assert group["LogGroupName"] == "/aws/eks/demo/cluster"
    assert group["RetentionInDays"] == 90
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["ClusterKey", "Arn"]}
    assert res["ControlPlane"]["DependsOn"] == ["ControlPlaneLogGroup"]


def test_logging_types_and_retention():
    res = resources(ControlPlaneBuilder(config(
        "cloudWatch: {clusterLogging: {enableTypes: [audit], logRetentionInDays: 365}}\n")))
    assert props(res, "ControlPlane")["Logging"]["ClusterLogging"]["EnabledTypes"] == [{"Type": "audit"}]
    assert props(res, "ControlPlaneLogGroup")["RetentionInDays"] == 365


def test_no_logging_no_log_group():
    res = resources(ControlPlaneBuilder(config("cloudWatch: {clusterLogging: {enableTypes: []}}\n")))
    assert "ControlPlaneLogGroup" not in res
    assert "Logging" not in props(res, "ControlPlane")


def test_an_existing_log_group_is_kept_and_not_created():
    """logGroup: existing: a group left by an earlier cluster; the stack neither creates
    nor owns it, and the cluster's key is no longer offered to CloudWatch Logs."""
    res = resources(ControlPlaneBuilder(config("cloudWatch: {clusterLogging: {logGroup: existing}}\n")))
    assert not of_type(res, "AWS::Logs::LogGroup")
    assert "DependsOn" not in res["ControlPlane"]
    assert len(props(res, "ControlPlane")["Logging"]["ClusterLogging"]["EnabledTypes"]) == 5
    sids = [s["Sid"] for s in props(res, "ClusterKey")["KeyPolicy"]["Statement"]]
    assert sids == ["AccountAdministersTheKey"]


def test_secrets_are_encrypted_with_a_created_rotating_key():
    res = resources(ControlPlaneBuilder(config()))
    key = props(res, "ClusterKey")
    assert key["EnableKeyRotation"] is True
    statements = key["KeyPolicy"]["Statement"]
    assert statements[0]["Principal"] == {"AWS": [{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}]}
    logs = statements[1]
    assert logs["Principal"] == {"Service": [{"Fn::Sub": "logs.${AWS::Region}.${AWS::URLSuffix}"}]}
    assert "kms:EncryptionContext:aws:logs:arn" in logs["Condition"]["ArnLike"]
    assert props(res, "ControlPlane")["EncryptionConfig"] == [
        {"Provider": {"KeyArn": {"Fn::GetAtt": ["ClusterKey", "Arn"]}}, "Resources": ["secrets"]}]
    kms = props(res, "ServiceRole")["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert kms["Resource"] == [{"Fn::GetAtt": ["ClusterKey", "Arn"]}]


def test_secrets_encryption_key_arn_creates_no_key():
    res = resources(ControlPlaneBuilder(config(f"secretsEncryption: {{keyARN: '{KEY_ARN}'}}\n")))
    assert not of_type(res, "AWS::KMS::Key")
    assert props(res, "ControlPlane")["EncryptionConfig"][0]["Provider"] == {"KeyArn": KEY_ARN}
    group = res["ControlPlaneLogGroup"]
    assert "KmsKeyId" not in group["Properties"]
    assert group["Metadata"]["checkov"]["skip"][0]["id"] == "CKV_AWS_158"


# --------------------------------------------------------------------------- IAM


def test_service_role_is_partition_aware_with_eksctls_policies():
    role = props(resources(ControlPlaneBuilder(config())), "ServiceRole")
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonEKSClusterPolicy"},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonEKSVPCResourceController"},
    ]
    principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"][0]
    assert principal == {"Fn::FindInMap": ["ServicePrincipalPartitionMap", {"Ref": "AWS::Partition"}, "EKS"]}


def test_service_role_arn_is_used_instead():
    res = resources(ControlPlaneBuilder(config(f"iam: {{serviceRoleARN: '{ROLE_ARN}'}}\n")))
    assert "ServiceRole" not in res
    assert props(res, "ControlPlane")["RoleArn"] == ROLE_ARN


def test_with_oidc_creates_the_provider_without_thumbprint():
    builder = ControlPlaneBuilder(config("iam: {withOIDC: true}\n"))
    template, outputs = build(builder)
    provider = props(template.to_dict()["Resources"], "OIDCProvider")
    assert provider["Url"] == {"Fn::GetAtt": ["ControlPlane", "OpenIdConnectIssuerUrl"]}
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]
    assert "ThumbprintList" not in provider
    assert OIDC_PROVIDER_ARN.name in outputs
    assert OIDC_PROVIDER_ARN in builder.outputs


def test_without_oidc_no_provider():
    builder = ControlPlaneBuilder(config())
    assert not of_type(resources(builder), "AWS::IAM::OIDCProvider")
    assert OIDC_PROVIDER_ARN not in builder.outputs


def test_arns_built_here_never_hard_code_the_partition():
    fargate = "iam: {withOIDC: true}\nfargateProfiles: [{name: fp, selectors: [{namespace: a}]}]\n"
    for cfg in (config(), config(fargate)):
        text = json.dumps(resources(ControlPlaneBuilder(cfg)))
        assert "arn:aws:" not in text
    assert "arn:aws:" not in json.dumps(resources(FargateBuilder(config(fargate))))


# --------------------------------------------------------------------------- access entries, add-ons, Fargate


def test_access_entries_with_policies():
    res = resources(ControlPlaneBuilder(config("""
accessConfig:
  authenticationMode: API
  accessEntries:
    - principalARN: arn:aws:iam::111122223333:role/admins
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
    - principalARN: arn:aws:iam::111122223333:user/dev
      kubernetesGroups: [viewers]
      accessPolicies:
        - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
          accessScope: {type: namespace, namespaces: [apps]}
""")))
    admins, dev = props(res, "AccessEntryAdmins"), props(res, "AccessEntryDev")
    assert admins["ClusterName"] == {"Ref": "ControlPlane"}
    assert admins["PrincipalArn"] == "arn:aws:iam::111122223333:role/admins"
    assert admins["AccessPolicies"] == [{
        "PolicyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        "AccessScope": {"Type": "cluster"}}]
    assert dev["KubernetesGroups"] == ["viewers"]
    assert dev["AccessPolicies"][0]["AccessScope"] == {"Type": "namespace", "Namespaces": ["apps"]}


def test_access_entry_ids_stay_unique():
    res = resources(ControlPlaneBuilder(config("""
accessConfig:
  accessEntries:
    - principalARN: arn:aws:iam::111122223333:role/admin
    - principalARN: arn:aws:iam::444455556666:role/admin
""")))
    assert sorted(of_type(res, "AWS::EKS::AccessEntry")) == ["AccessEntryAdmin", "AccessEntryAdmin2"]


ADDONS = """
iam: {withOIDC: true}
addons:
  - name: vpc-cni
    serviceAccountRoleARN: arn:aws:iam::111122223333:role/vpc-cni
  - name: coredns
    version: v1.11.4-eksbuild.2
    resolveConflicts: preserve
  - name: kube-proxy
"""


def test_addons_that_need_no_nodes_are_in_the_control_plane_stack():
    res = resources(ControlPlaneBuilder(config(ADDONS + "managedNodeGroups: [{name: a}]\n")))
    addons = of_type(res, "AWS::EKS::Addon")
    assert sorted(addons) == ["AddonKubeProxy", "AddonVpcCni"]
    cni = addons["AddonVpcCni"]
    assert cni["Properties"]["ServiceAccountRoleArn"] == "arn:aws:iam::111122223333:role/vpc-cni"
    assert cni["Properties"]["ResolveConflicts"] == "OVERWRITE"
    assert cni["DependsOn"] == ["OIDCProvider"]
    assert {"vpc-cni", "kube-proxy"} <= ADDONS_BEFORE_COMPUTE


def test_addons_that_need_nodes_come_after_every_nodegroup():
    cfg = config(ADDONS + "managedNodeGroups: [{name: a}, {name: b}]\n")
    builder = next(b for b in cluster_builders(cfg) if isinstance(b, AddonsBuilder))
    res = resources(builder)
    coredns = props(res, "AddonCoredns")
    assert coredns["AddonVersion"] == "v1.11.4-eksbuild.2"
    assert coredns["ResolveConflicts"] == "PRESERVE"
    assert coredns["ClusterName"] == {"Ref": "ClusterName"}
    assert list(builder.after) == ["NodegroupAStack", "NodegroupBStack"]
    root = templates(rendered(cfg))["root.json"]["Resources"]
    assert root["AddonsStack"]["DependsOn"] == ["NodegroupAStack", "NodegroupBStack"]
    flat = flat_resources(cfg)
    assert flat["AddonCoredns"]["DependsOn"] == ["NodegroupAManagedNodeGroup", "NodegroupBManagedNodeGroup"]


FARGATE_ONLY = """
addons: [{name: vpc-cni}, {name: coredns, version: v1.11.4-eksbuild.2}]
fargateProfiles:
  - name: system
    selectors: [{namespace: kube-system}]
  - name: apps
    selectors: [{namespace: default}]
"""


def test_coredns_runs_on_fargate_when_the_cluster_has_no_nodegroup():
    cfg = config(FARGATE_ONLY)
    builder = next(b for b in cluster_builders(cfg) if isinstance(b, AddonsBuilder))
    coredns = props(resources(builder), "AddonCoredns")
    # the EKS user guide's Fargate step "Update CoreDNS", as the JSON string the add-on takes
    assert coredns["ConfigurationValues"] == '{"computeType":"Fargate"}'
    assert json.loads(coredns["ConfigurationValues"]) == {"computeType": "Fargate"}
    assert list(builder.after) == ["FargateStack"]
    nested = templates(rendered(cfg))
    assert nested["root.json"]["Resources"]["AddonsStack"]["DependsOn"] == ["FargateStack"]  # the profiles
    assert nested["root.json"]["Resources"]["AddonsStack"]["Properties"]["Parameters"]["ClusterName"] == {
        "Fn::GetAtt": ["ControlPlaneStack", "Outputs.ClusterName"]}
    assert set(nested["FargateStack.json"]["Resources"]) == {
        "FargatePodExecutionRole", "FargateProfileSystem", "FargateProfileApps"}
    assert not {"FargateProfileSystem", "AddonCoredns"} & set(nested["ControlPlaneStack.json"]["Resources"])
    flat = flat_resources(cfg)
    assert flat["AddonCoredns"]["DependsOn"] == ["FargateProfileSystem", "FargateProfileApps"]
    assert flat["AddonCoredns"]["Properties"]["ConfigurationValues"] == '{"computeType":"Fargate"}'


def test_coredns_stays_on_ec2_with_a_nodegroup_and_other_addons_get_no_configuration():
    cfg = config(FARGATE_ONLY + "managedNodeGroups: [{name: a}]\n")
    builder = next(b for b in cluster_builders(cfg) if isinstance(b, AddonsBuilder))
    assert "ConfigurationValues" not in props(resources(builder), "AddonCoredns")
    assert "ConfigurationValues" not in props(resources(ControlPlaneBuilder(config(FARGATE_ONLY))), "AddonVpcCni")
    # in a flat template the add-ons wait for every nodegroup and Fargate profile
    assert flat_resources(cfg)["AddonCoredns"]["DependsOn"] == [
        "NodegroupAManagedNodeGroup", "FargateProfileSystem", "FargateProfileApps"]


def test_no_addons_stack_when_every_addon_runs_before_compute():
    cfg = config("addons: [{name: vpc-cni}]\n")
    assert not any(isinstance(b, AddonsBuilder) for b in cluster_builders(cfg))


FARGATE = """
fargateProfiles:
  - name: first
    selectors:
      - namespace: serverless
        labels: {tier: web, app: a}
  - name: second
    selectors: [{namespace: jobs}]
    subnets: [subnet-0123456789abcdef0]
"""


def test_fargate_profiles_and_their_pod_execution_role():
    assert not [lid for lid in resources(ControlPlaneBuilder(config(FARGATE))) if lid.startswith("Fargate")]
    builder = FargateBuilder(config(FARGATE))
    assert [port.name for port in builder.inputs] == ["ClusterName", "PrivateSubnetIds"]
    res = resources(builder)
    role = props(res, "FargatePodExecutionRole")
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"]["Service"] == [
        {"Fn::FindInMap": ["ServicePrincipalPartitionMap", {"Ref": "AWS::Partition"}, "EKSFargatePods"]}]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:fargateprofile/demo/*"}
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"}]
    first = props(res, "FargateProfileFirst")
    assert first["FargateProfileName"] == "first"
    assert first["Subnets"] == {"Ref": "PrivateSubnetIds"}
    assert first["Selectors"] == [{"Namespace": "serverless", "Labels": [
        {"Key": "app", "Value": "a"}, {"Key": "tier", "Value": "web"}]}]
    second = res["FargateProfileSecond"]
    assert second["Properties"]["Subnets"] == ["subnet-0123456789abcdef0"]
    assert second["DependsOn"] == ["FargateProfileFirst"]  # one Fargate profile at a time
    assert first["ClusterName"] == {"Ref": "ClusterName"}


def test_fargate_profiles_with_their_own_subnets_need_no_private_subnets():
    own = "fargateProfiles: [{name: a, selectors: [{namespace: a}], subnets: [subnet-0123456789abcdef0]}]\n"
    assert [port.name for port in FargateBuilder(config(own)).inputs] == ["ClusterName"]
    assert not FargateBuilder(config()).creates_resources
    assert not any(isinstance(b, FargateBuilder) for b in cluster_builders(config()))


# --------------------------------------------------------------------------- the cluster security group


def test_rules_on_the_eks_created_cluster_security_group():
    res = resources(ControlPlaneBuilder(config()))
    to_nodes = props(res, "IngressDefaultClusterToNodeSG")
    assert to_nodes["GroupId"] == {"Ref": "ClusterSharedNodeSecurityGroupId"}
    assert to_nodes["SourceSecurityGroupId"] == {"Fn::GetAtt": ["ControlPlane", "ClusterSecurityGroupId"]}
    from_nodes = props(res, "IngressNodeToDefaultClusterSG")
    assert from_nodes["GroupId"] == {"Fn::GetAtt": ["ControlPlane", "ClusterSecurityGroupId"]}
    assert from_nodes["IpProtocol"] == "-1"


def test_manage_shared_node_security_group_rules_false():
    builder = ControlPlaneBuilder(config("vpc: {publicAccessCIDRs: [203.0.113.0/24], "
                                         "manageSharedNodeSecurityGroupRules: false}\n"))
    assert not of_type(resources(builder), "AWS::EC2::SecurityGroupIngress")
    assert SHARED_NODE_SG_ID not in builder.inputs


# --------------------------------------------------------------------------- outputs


def test_outputs():
    _, outputs = build(ControlPlaneBuilder(config()))
    assert outputs["ClusterName"].to_dict() == {"Ref": "ControlPlane"}
    assert outputs[KUBECONFIG_COMMAND.name].to_dict() == {"Fn::Sub": [
        "aws eks update-kubeconfig --region ${AWS::Region} --name ${Name}", {"Name": {"Ref": "ControlPlane"}}]}
    expected = {"ClusterName", "ClusterArn", "ClusterEndpoint", "CertificateAuthorityData",
                "ClusterSecurityGroupId", "OIDCIssuerUrl", "KubeconfigCommand"}
    assert set(outputs) == expected
