"""The AWS::EKS::* models: create, update in place or replace, delete - through CloudFormation."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from botocore.exceptions import ClientError

from . import templates as t
from .cfn import StackFailed, create, deploy, live_stacks, outputs, physical_ids
from .conftest import Clients


def _network(aws: Clients) -> dict[str, str]:
    deploy(aws.cloudformation, "net", t.network(nat=False))
    return outputs(aws.cloudformation, "net")


def _cp_params(net: dict[str, str], **overrides: str) -> dict[str, str]:
    return {"VpcId": net["VpcId"], "SubnetIds": net["SubnetIds"], "ClusterName": "myeks", **overrides}


def _control_plane(aws: Clients, **overrides: str) -> dict[str, str]:
    net = _network(aws)
    deploy(aws.cloudformation, "cp", t.control_plane(), _cp_params(net, **overrides))
    return {**net, **outputs(aws.cloudformation, "cp")}


def _cluster(aws: Clients, name: str = "myeks") -> dict[str, Any]:
    return aws.eks.describe_cluster(name=name)["cluster"]


def _group(aws: Clients, group_id: str) -> dict[str, Any]:
    return aws.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


# -- AWS::EKS::Cluster ------------------------------------------------------------------


def test_cluster_is_created_on_moto_eks_with_its_attributes(aws: Clients) -> None:
    out = _control_plane(aws)
    cluster = _cluster(aws)

    assert cluster["version"] == "1.33"
    assert cluster["arn"] == out["ClusterArn"] == f"arn:aws:eks:{t.REGION}:{t.ACCOUNT}:cluster/myeks"
    assert cluster["roleArn"] == physical_role_arn(aws, "cp", "ServiceRole")
    vpc = cluster["resourcesVpcConfig"]
    assert vpc["vpcId"] == out["VpcId"]
    assert vpc["subnetIds"] == out["SubnetIds"].split(",")
    assert vpc["securityGroupIds"] == [physical_ids(aws.cloudformation, "cp")["ControlPlaneSecurityGroup"]]
    assert (vpc["endpointPublicAccess"], vpc["endpointPrivateAccess"]) == (True, False)
    assert vpc["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    assert cluster["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == "172.20.0.0/16"
    enabled = [entry["types"] for entry in cluster["logging"]["clusterLogging"] if entry["enabled"]]
    assert enabled == [["api", "audit"]]
    # CloudFormation's own tags besides the template's ("CloudFormation resource tagging")
    stack_id = aws.cloudformation.describe_stacks(StackName="cp")["Stacks"][0]["StackId"]
    assert cluster["tags"] == {"team": "platform", "aws:cloudformation:stack-name": "cp",
                               "aws:cloudformation:stack-id": stack_id, "aws:cloudformation:logical-id": "ControlPlane"}

    assert out["Endpoint"] == cluster["endpoint"] and out["Endpoint"].endswith(f".{t.REGION}.eks.amazonaws.com")
    assert out["OIDCIssuer"] == cluster["identity"]["oidc"]["issuer"]
    assert out["OIDCIssuer"].startswith(f"https://oidc.eks.{t.REGION}.amazonaws.com/id/")
    assert base64.b64decode(out["CertificateAuthorityData"]).startswith(b"-----BEGIN CERTIFICATE-----")


def physical_role_arn(aws: Clients, stack: str, logical_id: str) -> str:
    role_name = physical_ids(aws.cloudformation, stack)[logical_id]
    return aws.iam.get_role(RoleName=role_name)["Role"]["Arn"]


def test_cluster_security_group_is_a_real_group_in_the_vpc_that_takes_rules(aws: Clients) -> None:
    out = _control_plane(aws)
    group = _group(aws, out["ClusterSecurityGroupId"])

    assert group["VpcId"] == out["VpcId"]
    assert group["GroupName"].startswith("eks-cluster-sg-myeks-")
    assert {"Key": "kubernetes.io/cluster/myeks", "Value": "owned"} in group["Tags"]
    assert _cluster(aws)["resourcesVpcConfig"]["clusterSecurityGroupId"] == group["GroupId"]
    # The template's SecurityGroupIngress landed on it (443 from the control-plane group).
    control_plane_sg = physical_ids(aws.cloudformation, "cp")["ControlPlaneSecurityGroup"]
    sources = {
        (p.get("FromPort"), pair["GroupId"]) for p in group["IpPermissions"] for pair in p.get("UserIdGroupPairs", [])
    }
    assert (443, control_plane_sg) in sources
    assert (None, group["GroupId"]) in sources  # EKS's own self-referencing rule


def test_two_clusters_get_distinct_endpoints_and_oidc_providers(aws: Clients) -> None:
    net = _network(aws)
    deploy(aws.cloudformation, "cp1", t.control_plane(), _cp_params(net, ClusterName="one"))
    deploy(aws.cloudformation, "cp2", t.control_plane(), _cp_params(net, ClusterName="two"))
    one, two = outputs(aws.cloudformation, "cp1"), outputs(aws.cloudformation, "cp2")

    assert one["Endpoint"] != two["Endpoint"]
    assert one["OIDCIssuer"] != two["OIDCIssuer"]
    providers = {p["Arn"] for p in aws.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]}
    assert providers == {one["OIDCProviderArn"], two["OIDCProviderArn"]}


def test_endpoint_switch_to_private_is_applied_in_place(aws: Clients) -> None:
    net = _network(aws)
    deploy(aws.cloudformation, "cp", t.control_plane(), _cp_params(net))
    before = _cluster(aws)

    deploy(
        aws.cloudformation,
        "cp",
        t.control_plane(),
        _cp_params(net, EndpointPublicAccess="false", EndpointPrivateAccess="true"),
    )

    after = _cluster(aws)
    assert (
        after["resourcesVpcConfig"]["endpointPublicAccess"],
        after["resourcesVpcConfig"]["endpointPrivateAccess"],
    ) == (
        False,
        True,
    )
    # Same cluster: not replaced.
    assert after["arn"] == before["arn"] and after["createdAt"] == before["createdAt"]
    assert after["endpoint"] == before["endpoint"]
    assert (
        after["resourcesVpcConfig"]["clusterSecurityGroupId"] == before["resourcesVpcConfig"]["clusterSecurityGroupId"]
    )


def test_version_logging_and_auth_mode_update_in_place(aws: Clients) -> None:
    net = _network(aws)
    deploy(aws.cloudformation, "cp", t.control_plane(), _cp_params(net))
    created = _cluster(aws)["createdAt"]
    template = t.control_plane()
    props = template["Resources"]["ControlPlane"]["Properties"]
    props["Logging"] = {"ClusterLogging": {"EnabledTypes": [{"Type": "authenticator"}]}}
    props["Tags"] = [{"Key": "team", "Value": "sre"}]

    deploy(aws.cloudformation, "cp", template, _cp_params(net, KubernetesVersion="1.34"))

    cluster = _cluster(aws)
    assert cluster["createdAt"] == created
    assert cluster["version"] == "1.34"
    enabled = [entry["types"] for entry in cluster["logging"]["clusterLogging"] if entry["enabled"]]
    assert enabled == [["authenticator"]]
    # a Tags update keeps CloudFormation's aws: tags (they cannot be changed or deleted)
    assert {k: v for k, v in cluster["tags"].items() if not k.startswith("aws:")} == {"team": "sre"}
    assert cluster["tags"]["aws:cloudformation:stack-name"] == "cp"


def test_version_jump_of_two_minors_is_refused(aws: Clients) -> None:
    net = _network(aws)
    deploy(aws.cloudformation, "cp", t.control_plane(), _cp_params(net, KubernetesVersion="1.32"))
    with pytest.raises(StackFailed, match=r"unsupported Kubernetes minor version update from 1\.32 to 1\.34"):
        deploy(aws.cloudformation, "cp", t.control_plane(), _cp_params(net, KubernetesVersion="1.34"))
    assert _cluster(aws)["version"] == "1.32"


def test_name_change_replaces_the_cluster_and_cleans_up_the_old_one(aws: Clients) -> None:
    template = t.control_plane()
    del template["Resources"]["AccessEntryAdmin"]  # keep the test to the cluster itself
    del template["Outputs"]["AccessEntryArn"]
    net = _network(aws)
    deploy(aws.cloudformation, "cp", template, _cp_params(net))
    old_group = _cluster(aws)["resourcesVpcConfig"]["clusterSecurityGroupId"]

    deploy(aws.cloudformation, "cp", template, _cp_params(net, ClusterName="renamed"))

    assert aws.eks.list_clusters()["clusters"] == ["renamed"]
    stack_id = aws.cloudformation.describe_stacks(StackName="cp")["Stacks"][0]["StackId"]
    assert _cluster(aws, "renamed")["tags"]["aws:cloudformation:stack-id"] == stack_id  # the same stack's resource
    with pytest.raises(ClientError, match=r"InvalidGroup\.NotFound"):
        _group(aws, old_group)
    new_group = _cluster(aws, "renamed")["resourcesVpcConfig"]["clusterSecurityGroupId"]
    assert _group(aws, new_group)["GroupName"].startswith("eks-cluster-sg-renamed-")
    out = outputs(aws.cloudformation, "cp")
    assert out["ClusterName"] == "renamed"
    # Dependents followed the replacement (CloudFormation re-resolves Ref/GetAtt):
    assert out["AddonRef"] == "renamed/vpc-cni" and ":addon/renamed/vpc-cni/" in out["AddonArn"]
    assert out["OIDCIssuer"] == _cluster(aws, "renamed")["identity"]["oidc"]["issuer"]
    providers = aws.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in providers] == [out["OIDCProviderArn"]]  # the old provider is gone
    # The template's rule moved to the new cluster security group.
    control_plane_sg = physical_ids(aws.cloudformation, "cp")["ControlPlaneSecurityGroup"]
    pairs = [pair["GroupId"] for p in _group(aws, new_group)["IpPermissions"] for pair in p["UserIdGroupPairs"]]
    assert control_plane_sg in pairs


def test_replacing_a_custom_named_cluster_is_refused_like_cloudformation(aws: Clients) -> None:
    net = _network(aws)
    deploy(aws.cloudformation, "cp", t.control_plane(), _cp_params(net))
    template = t.control_plane()
    template["Resources"]["ControlPlane"]["Properties"]["KubernetesNetworkConfig"]["ServiceIpv4Cidr"] = "10.100.0.0/16"
    with pytest.raises(StackFailed, match="custom-named resource requires replacing"):
        deploy(aws.cloudformation, "cp", template, _cp_params(net))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SubnetIds": "one-only"}, "needs at least two subnets"),
        ({"RoleArn": "not-an-arn"}, "invalid role ARN"),
        ({"Name": "bad name!"}, "name must match"),
        ({"SameZone": "yes"}, "at least two different AZs"),
    ],
)
def test_cluster_refuses_what_eks_refuses(aws: Clients, change: dict[str, str], message: str) -> None:
    net = _network(aws)
    subnets = net["SubnetIds"].split(",")  # PublicA, PublicC, PrivateA, PrivateC
    props = {
        "Name": "myeks",
        "RoleArn": f"arn:aws:iam::{t.ACCOUNT}:role/eks",
        "ResourcesVpcConfig": {"SubnetIds": subnets},
    }
    if "SubnetIds" in change:
        props["ResourcesVpcConfig"] = {"SubnetIds": subnets[:1]}
    elif "SameZone" in change:
        props["ResourcesVpcConfig"] = {"SubnetIds": [subnets[0], subnets[2]]}  # both in zone a
    else:
        props.update(change)
    template = {"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": props}}}
    with pytest.raises(StackFailed, match=message):
        create(aws.cloudformation, "bad", template)
    assert aws.eks.list_clusters()["clusters"] == []


def test_delete_removes_cluster_its_security_group_addons_and_oidc_provider(aws: Clients) -> None:
    out = _control_plane(aws)
    aws.cloudformation.delete_stack(StackName="cp")

    assert aws.eks.list_clusters()["clusters"] == []
    with pytest.raises(ClientError, match=r"InvalidGroup\.NotFound"):
        _group(aws, out["ClusterSecurityGroupId"])
    assert aws.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert live_stacks(aws.cloudformation) == ["net"]
    aws.cloudformation.delete_stack(StackName="net")  # the VPC can go: nothing left in it
    assert [v for v in aws.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []


# -- AWS::EKS::Addon and AWS::EKS::AccessEntry ------------------------------------------


def test_addon_and_access_entry_refs_and_arns(aws: Clients) -> None:
    out = _control_plane(aws)
    assert out["AddonRef"] == "myeks/vpc-cni"
    assert out["AddonArn"].startswith(f"arn:aws:eks:{t.REGION}:{t.ACCOUNT}:addon/myeks/vpc-cni/")
    assert out["AccessEntryArn"].startswith(
        f"arn:aws:eks:{t.REGION}:{t.ACCOUNT}:access-entry/myeks/role/{t.ACCOUNT}/platform-admin/"
    )
    ids = physical_ids(aws.cloudformation, "cp")
    assert ids["AccessEntryAdmin"] == f"myeks|arn:aws:iam::{t.ACCOUNT}:role/platform-admin"


def test_addon_update_in_place_keeps_its_arn(aws: Clients) -> None:
    net = _network(aws)
    deploy(aws.cloudformation, "cp", t.control_plane(), _cp_params(net))
    arn = outputs(aws.cloudformation, "cp")["AddonArn"]
    template = t.control_plane()
    template["Resources"]["AddonVpcCni"]["Properties"]["AddonVersion"] = "v1.19.0-eksbuild.1"

    deploy(aws.cloudformation, "cp", template, _cp_params(net))

    assert outputs(aws.cloudformation, "cp")["AddonArn"] == arn


def test_access_entry_update_in_place_principal_change_replaces_and_removal_frees_the_principal(
    aws: Clients,
) -> None:
    net = _network(aws)
    deploy(aws.cloudformation, "cp", t.control_plane(), _cp_params(net))
    arn = outputs(aws.cloudformation, "cp")["AccessEntryArn"]

    template = t.control_plane()
    entry = template["Resources"]["AccessEntryAdmin"]
    entry["Properties"]["KubernetesGroups"] = ["platform"]
    deploy(aws.cloudformation, "cp", template, _cp_params(net))
    assert outputs(aws.cloudformation, "cp")["AccessEntryArn"] == arn  # in place

    entry["Properties"]["PrincipalArn"] = f"arn:aws:iam::{t.ACCOUNT}:role/other-admin"
    deploy(aws.cloudformation, "cp", template, _cp_params(net))
    assert "/role/123456789012/other-admin/" in outputs(aws.cloudformation, "cp")["AccessEntryArn"]

    # Removing the entry frees the principal: adding it back under a new logical id works
    # (were the record left behind, EKS-like duplicate checking would refuse it).
    del template["Resources"]["AccessEntryAdmin"]
    del template["Outputs"]["AccessEntryArn"]
    deploy(aws.cloudformation, "cp", template, _cp_params(net))
    template["Resources"]["AccessEntryAgain"] = entry
    deploy(aws.cloudformation, "cp", template, _cp_params(net))
    template["Resources"]["AccessEntryTwice"] = entry
    with pytest.raises(StackFailed, match="already in use on this cluster"):
        deploy(aws.cloudformation, "cp", template, _cp_params(net))


def test_access_entry_needs_api_authentication_mode(aws: Clients) -> None:
    net = _network(aws)
    template = t.control_plane()
    template["Resources"]["ControlPlane"]["Properties"]["AccessConfig"]["AuthenticationMode"] = "CONFIG_MAP"
    with pytest.raises(StackFailed, match=r"authentication mode must be set to one of \[API, API_AND_CONFIG_MAP\]"):
        deploy(aws.cloudformation, "cp", template, _cp_params(net))


def test_addon_on_a_missing_cluster_fails(aws: Clients) -> None:
    template = {
        "Resources": {
            "Addon": {"Type": "AWS::EKS::Addon", "Properties": {"ClusterName": "ghost", "AddonName": "coredns"}}
        }
    }
    with pytest.raises(StackFailed, match=r"ResourceNotFoundException: .*no cluster found for name: ghost"):
        create(aws.cloudformation, "orphan", template)


# -- AWS::EKS::Nodegroup ----------------------------------------------------------------


def _with_nodegroup(aws: Clients, **params: str) -> dict[str, str]:
    out = _control_plane(aws)
    deploy(
        aws.cloudformation,
        "ng",
        t.nodegroup(),
        {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"], **params},
    )
    return {**out, **outputs(aws.cloudformation, "ng")}


def test_nodegroup_is_created_with_ref_arn_and_its_settings(aws: Clients) -> None:
    out = _with_nodegroup(aws)
    ng = aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]

    assert out["NodegroupRef"] == "myeks/ng-1"
    assert out["NodegroupArn"] == ng["nodegroupArn"]
    assert ng["scalingConfig"] == {"minSize": 1, "desiredSize": 2, "maxSize": 4}
    assert ng["subnets"] == out["PrivateSubnetIds"].split(",")
    assert ng["instanceTypes"] == ["t3.large"]
    assert ng["amiType"] == "CUSTOM"
    assert ng["version"] == "1.33"  # the cluster's, not moto's 1.19
    assert ng["labels"] == {"role": "worker"}
    assert ng["taints"] == [{"key": "dedicated", "value": "infra", "effect": "NO_SCHEDULE"}]
    lt_id = physical_ids(aws.cloudformation, "ng")["LaunchTemplate"]
    assert ng["launchTemplate"]["id"] == lt_id and ng["launchTemplate"]["version"] == "1"
    assert "remoteAccess" not in ng  # moto's made-up "eksKeypair" is gone


def test_nodegroup_scaling_changes_in_place(aws: Clients) -> None:
    out = _with_nodegroup(aws)
    before = aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]

    deploy(
        aws.cloudformation,
        "ng",
        t.nodegroup(),
        {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"], "DesiredSize": "3", "MaxSize": "6"},
    )

    after = aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]
    assert after["scalingConfig"] == {"minSize": 1, "desiredSize": 3, "maxSize": 6}
    assert after["nodegroupArn"] == before["nodegroupArn"]  # same nodegroup, not a replacement
    assert after["createdAt"] == before["createdAt"]


def test_launch_template_change_moves_the_nodegroup_to_the_new_version(aws: Clients) -> None:
    out = _with_nodegroup(aws)
    template = t.nodegroup()
    template["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["MetadataOptions"][
        "HttpPutResponseHopLimit"
    ] = 1

    deploy(aws.cloudformation, "ng", template, {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"]})

    # The nodegroup's template text is unchanged; GetAtt LaunchTemplate.LatestVersionNumber is not.
    ng = aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]
    assert ng["launchTemplate"]["version"] == "2"


def test_nodegroup_scaling_outside_min_max_is_refused(aws: Clients) -> None:
    out = _with_nodegroup(aws)
    with pytest.raises(StackFailed, match="Desired capacity 9 can't be greater than max size 4"):
        deploy(
            aws.cloudformation,
            "ng",
            t.nodegroup(),
            {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"], "DesiredSize": "9"},
        )
    ng = aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]
    assert ng["scalingConfig"]["desiredSize"] == 2


def test_nodegroup_instance_type_change_with_fixed_name_is_refused(aws: Clients) -> None:
    out = _with_nodegroup(aws)
    with pytest.raises(StackFailed, match="custom-named resource requires replacing"):
        deploy(
            aws.cloudformation,
            "ng",
            t.nodegroup(instance_type="m5.xlarge"),
            {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"]},
        )


def test_nodegroup_rename_replaces_it(aws: Clients) -> None:
    out = _with_nodegroup(aws)
    deploy(
        aws.cloudformation,
        "ng",
        t.nodegroup(name="ng-2", instance_type="m5.xlarge"),
        {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"]},
    )
    assert aws.eks.list_nodegroups(clusterName="myeks")["nodegroups"] == ["ng-2"]
    assert outputs(aws.cloudformation, "ng")["NodegroupRef"] == "myeks/ng-2"


def test_cluster_with_a_nodegroup_cannot_be_deleted_first(aws: Clients) -> None:
    _with_nodegroup(aws)
    aws.cloudformation.delete_stack(StackName="cp")  # the call succeeds; the stack ends DELETE_FAILED
    assert aws.cloudformation.describe_stacks(StackName="cp")["Stacks"][0]["StackStatus"] == "DELETE_FAILED"
    reasons = [e.get("ResourceStatusReason", "") for e in aws.cloudformation.describe_stack_events(
        StackName="cp")["StackEvents"] if e["ResourceStatus"] == "DELETE_FAILED"]
    assert any("ResourceInUseException" in r for r in reasons)

    aws.cloudformation.delete_stack(StackName="ng")
    assert aws.eks.list_nodegroups(clusterName="myeks")["nodegroups"] == []
    aws.cloudformation.delete_stack(StackName="cp")
    assert aws.eks.list_clusters()["clusters"] == []


# -- AWS::EKS::FargateProfile -----------------------------------------------------------


def test_fargate_profile_create_update_tags_delete(aws: Clients) -> None:
    out = _control_plane(aws)
    private = out["PrivateSubnetIds"].split(",")

    def template(tag: str) -> dict[str, Any]:
        return {
            "Resources": {
                "PodRole": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "AssumeRolePolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "eks-fargate-pods.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                }
                            ],
                        }
                    },
                },
                "FargateProfileDefault": {
                    "Type": "AWS::EKS::FargateProfile",
                    "Properties": {
                        "ClusterName": "myeks",
                        "FargateProfileName": "fp-default",
                        "PodExecutionRoleArn": t.getatt("PodRole", "Arn"),
                        "Subnets": private,
                        "Selectors": [{"Namespace": "batch", "Labels": [{"Key": "team", "Value": "data"}]}],
                        "Tags": [{"Key": "v", "Value": tag}],
                    },
                },
            },
            "Outputs": {"Arn": {"Value": t.getatt("FargateProfileDefault", "Arn")}},
        }

    deploy(aws.cloudformation, "fp", template("1"))
    profile = aws.eks.describe_fargate_profile(clusterName="myeks", fargateProfileName="fp-default")["fargateProfile"]
    assert profile["fargateProfileArn"] == outputs(aws.cloudformation, "fp")["Arn"]
    assert profile["selectors"] == [{"namespace": "batch", "labels": {"team": "data"}}]
    assert physical_ids(aws.cloudformation, "fp")["FargateProfileDefault"] == "myeks|fp-default"

    deploy(aws.cloudformation, "fp", template("2"))
    profile2 = aws.eks.describe_fargate_profile(clusterName="myeks", fargateProfileName="fp-default")["fargateProfile"]
    assert profile2["tags"] == {"v": "2"} and profile2["fargateProfileArn"] == profile["fargateProfileArn"]

    aws.cloudformation.delete_stack(StackName="fp")
    assert aws.eks.list_fargate_profiles(clusterName="myeks")["fargateProfileNames"] == []
