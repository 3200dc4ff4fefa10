"""The sandbox refuses what EKS refuses for Auto Mode and custom-AMI nodegroups
(issue 14 item D), and accepts what it accepts."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from . import templates as t
from .cfn import StackFailed, create, deploy, outputs
from .conftest import Clients

NODE_ROLE = f"arn:aws:iam::{t.ACCOUNT}:role/auto-nodes"


def _cluster_props(net: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {"Name": "myeks", "RoleArn": f"arn:aws:iam::{t.ACCOUNT}:role/eks",
            "ResourcesVpcConfig": {"SubnetIds": net["SubnetIds"].split(",")},
            "AccessConfig": {"AuthenticationMode": "API"}, **extra}


def _auto(compute: bool = True, storage: bool = True, balancing: bool = True) -> dict[str, Any]:
    return {"ComputeConfig": {"Enabled": compute, "NodePools": ["general-purpose"], "NodeRoleArn": NODE_ROLE},
            "StorageConfig": {"BlockStorage": {"Enabled": storage}},
            "KubernetesNetworkConfig": {"ElasticLoadBalancing": {"Enabled": balancing}},
            "BootstrapSelfManagedAddons": False}


def _net(aws: Clients) -> dict[str, str]:
    deploy(aws.cloudformation, "net", t.network(nat=False))
    return outputs(aws.cloudformation, "net")


def _create(aws: Clients, props: dict[str, Any]) -> None:
    template = {"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": props}}}
    create(aws.cloudformation, "auto", template)  # raises StackFailed when the sandbox rolls it back


def test_auto_mode_with_its_three_settings_is_created(aws: Clients) -> None:
    _create(aws, _cluster_props(_net(aws), **_auto()))
    assert aws.eks.list_clusters()["clusters"] == ["myeks"]


@pytest.mark.parametrize(("settings", "message"), [
    (_auto(storage=False), "must all be true or all be false"),
    (_auto(balancing=False), "must all be true or all be false"),
    ({**_auto(), "StorageConfig": {}}, "must all be true or all be false"),
    ({**_auto(), "ComputeConfig": {"Enabled": True, "NodePools": ["system"]}}, "nodeRoleArn is required"),
], ids=["no-storage", "no-load-balancing", "storage-left-out", "pools-without-role"])
def test_auto_mode_given_partially_is_refused(aws: Clients, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(StackFailed, match=message):
        _create(aws, _cluster_props(_net(aws), **settings))
    assert aws.eks.list_clusters()["clusters"] == []


def test_auto_mode_needs_access_entries(aws: Clients) -> None:
    props = _cluster_props(_net(aws), **_auto())
    props["AccessConfig"] = {"AuthenticationMode": "CONFIG_MAP"}
    with pytest.raises(StackFailed, match="needs the API or API_AND_CONFIG_MAP authentication mode"):
        _create(aws, props)


def test_auto_mode_is_enabled_in_place_but_bootstrap_self_managed_addons_replaces(aws: Clients) -> None:
    net = _net(aws)
    plain = {"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": _cluster_props(net)}}}
    deploy(aws.cloudformation, "cp", plain)
    before = aws.eks.describe_cluster(name="myeks")["cluster"]["arn"], aws.eks.describe_cluster(
        name="myeks")["cluster"]["createdAt"]
    enabled = copy.deepcopy(plain)
    settings = _auto()
    settings.pop("BootstrapSelfManagedAddons")
    enabled["Resources"]["ControlPlane"]["Properties"].update(settings)
    deploy(aws.cloudformation, "cp", enabled)  # UpdateClusterConfig: in place
    cluster = aws.eks.describe_cluster(name="myeks")["cluster"]
    assert (cluster["arn"], cluster["createdAt"]) == before
    # BootstrapSelfManagedAddons is create-only: the named cluster would be replaced, which
    # CloudFormation refuses for a custom name
    enabled["Resources"]["ControlPlane"]["Properties"]["BootstrapSelfManagedAddons"] = False
    with pytest.raises(StackFailed, match=r"custom-named resource requires replacing\. Rename myeks"):
        deploy(aws.cloudformation, "cp", enabled)


def _nodegroup_template(ami_type: str | None, image: bool) -> dict[str, Any]:
    template = t.nodegroup()
    ng = template["Resources"]["ManagedNodeGroup"]["Properties"]
    if ami_type:
        ng["AmiType"] = ami_type
    if not image:
        del template["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]["ImageId"]
        del template["Parameters"]["ImageId"]
        del template["Outputs"]["ImageId"]
    return template


def _with_cluster(aws: Clients) -> dict[str, str]:
    net = _net(aws)
    template = {"Resources": {"ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": _cluster_props(net)}},
                "Outputs": {}}
    deploy(aws.cloudformation, "cp", template)
    return net


@pytest.mark.parametrize(("ami_type", "image", "message"), [
    ("CUSTOM", False, "amiType CUSTOM needs a launch template with an ImageId"),
    ("AL2023_x86_64_STANDARD", True, "cannot be given: the launch template's version 1 has a custom AMI"),
    ("CUSTOM", True, "cannot be given"),
], ids=["custom-without-image", "ami-type-with-image", "custom-with-image"])
def test_nodegroup_ami_type_refusals(aws: Clients, ami_type: str, image: bool, message: str) -> None:
    net = _with_cluster(aws)
    template = _nodegroup_template(ami_type, image)
    with pytest.raises(StackFailed, match=f"InvalidParameterException: .*{message}"):
        deploy(aws.cloudformation, "ng", template, {"ClusterName": "myeks", "SubnetIds": net["SubnetIds"]})
    assert aws.eks.list_nodegroups(clusterName="myeks")["nodegroups"] == []


def test_custom_image_without_ami_type_is_reported_as_custom(aws: Clients) -> None:
    net = _with_cluster(aws)
    deploy(aws.cloudformation, "ng", _nodegroup_template(None, True), {"ClusterName": "myeks",
                                                                         "SubnetIds": net["SubnetIds"]})
    assert aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]["amiType"] == "CUSTOM"
