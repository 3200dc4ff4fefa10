"""The EKS models and API additions behind upgrades (issue 12): nodegroup Version
updates alone, add-on versions, insights, add-on versions per Kubernetes version,
deletion protection."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from eks_templates.sandbox import eks_api

from . import templates as t
from .cfn import StackFailed, deploy, outputs
from .conftest import Clients


def _cluster_and_nodegroup(aws: Clients, version: str = "1.33") -> dict[str, str]:
    deploy(aws.cloudformation, "net", t.network(nat=False))
    net = outputs(aws.cloudformation, "net")
    deploy(aws.cloudformation, "cp", t.control_plane(), {"VpcId": net["VpcId"], "SubnetIds": net["SubnetIds"],
                                                       "ClusterName": "myeks", "KubernetesVersion": version})
    out = {**net, **outputs(aws.cloudformation, "cp")}
    deploy(aws.cloudformation, "ng", t.nodegroup(), {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"]})
    return out


def _nodegroup_template(**props: Any) -> dict[str, Any]:
    template = t.nodegroup()
    template["Resources"]["ManagedNodeGroup"]["Properties"].update(props)
    return template


def _upgrade_control_plane(aws: Clients, out: dict[str, str], version: str) -> None:
    deploy(aws.cloudformation, "cp", t.control_plane(), {"VpcId": out["VpcId"], "SubnetIds": out["SubnetIds"],
                                                       "ClusterName": "myeks", "KubernetesVersion": version})


def _ng(aws: Clients) -> dict[str, Any]:
    return aws.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]


def test_nodegroup_version_updates_in_place_alone(aws: Clients) -> None:
    out = _cluster_and_nodegroup(aws)
    _upgrade_control_plane(aws, out, "1.34")
    before = _ng(aws)
    params = {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"]}
    deploy(aws.cloudformation, "ng", _nodegroup_template(Version="1.34", ReleaseVersion="1.34.2-20261120"), params)
    after = _ng(aws)
    assert (after["version"], after["releaseVersion"]) == ("1.34", "1.34.2-20261120")
    assert after["nodegroupArn"] == before["nodegroupArn"]


def test_nodegroup_version_with_other_changes_is_refused(aws: Clients) -> None:
    out = _cluster_and_nodegroup(aws)
    _upgrade_control_plane(aws, out, "1.34")
    params = {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"]}
    with pytest.raises(StackFailed, match="Version and ReleaseVersion updates cannot be combined with other "
                                          r"updates \(also changed: Labels\)"):
        deploy(aws.cloudformation, "ng", _nodegroup_template(Version="1.34", Labels={"role": "web"}), params)
    assert _ng(aws)["version"] == "1.33"
    # the same two changes one after the other are fine
    deploy(aws.cloudformation, "ng", _nodegroup_template(Labels={"role": "web"}), params)
    deploy(aws.cloudformation, "ng", _nodegroup_template(Version="1.34", Labels={"role": "web"}), params)
    assert (_ng(aws)["version"], _ng(aws)["labels"]) == ("1.34", {"role": "web"})


def test_nodegroup_newer_than_the_control_plane_is_refused(aws: Clients) -> None:
    out = _cluster_and_nodegroup(aws)
    with pytest.raises(StackFailed, match=r"nodegroup version 1\.34 is not supported with cluster version 1\.33"):
        deploy(aws.cloudformation, "ng", _nodegroup_template(Version="1.34"),
               {"ClusterName": "myeks", "SubnetIds": out["PrivateSubnetIds"]})


def test_insights_answer_and_a_planted_error_shows(aws: Clients) -> None:
    _cluster_and_nodegroup(aws)
    found = aws.eks.list_insights(clusterName="myeks", filter={"categories": ["UPGRADE_READINESS"]})["insights"]
    assert [i["insightStatus"]["status"] for i in found] == ["PASSING"]
    eks_api.plant_insight("myeks", status="ERROR", name="Kubelet version skew", recommendation="Upgrade nodes.")
    found = aws.eks.list_insights(clusterName="myeks", filter={"statuses": ["ERROR"]})["insights"]
    assert [i["name"] for i in found] == ["Kubelet version skew"]
    detail = aws.eks.describe_insight(clusterName="myeks", id=found[0]["id"])["insight"]
    assert detail["recommendation"] == "Upgrade nodes."


def test_addon_versions_per_kubernetes_version_and_a_default(aws: Clients) -> None:
    addons = aws.eks.describe_addon_versions(addonName="coredns", kubernetesVersion="1.36")["addons"]
    [coredns] = addons
    defaults = [v["addonVersion"] for v in coredns["addonVersions"]
                if any(c["clusterVersion"] == "1.36" and c["defaultVersion"] for c in v["compatibilities"])]
    assert defaults == ["v1.36.0-eksbuild.2"]
    supported = {v["addonVersion"] for v in coredns["addonVersions"]}
    assert "v1.35.0-eksbuild.2" in supported and "v1.34.0-eksbuild.2" not in supported


def test_unpinned_addon_gets_the_default_and_keeps_its_version_on_update(aws: Clients) -> None:
    out = _cluster_and_nodegroup(aws)  # the control plane's template gives vpc-cni no AddonVersion
    template = t.control_plane()
    assert "AddonVersion" not in template["Resources"]["AddonVpcCni"]["Properties"]
    params = {"VpcId": out["VpcId"], "SubnetIds": out["SubnetIds"], "ClusterName": "myeks",
              "KubernetesVersion": "1.33"}
    addon = aws.eks.describe_addon(clusterName="myeks", addonName="vpc-cni")["addon"]
    assert addon["addonVersion"] == "v1.33.0-eksbuild.2"  # no version given: the default for 1.33
    deploy(aws.cloudformation, "cp", template, {**params, "KubernetesVersion": "1.34"})
    # the control plane moved; an add-on without a version in the template stays (EKS does not move it)
    assert aws.eks.describe_addon(clusterName="myeks", addonName="vpc-cni")["addon"]["addonVersion"] == (
        "v1.33.0-eksbuild.2")
    template["Resources"]["AddonVpcCni"]["Properties"]["AddonVersion"] = "v1.34.0-eksbuild.2"
    deploy(aws.cloudformation, "cp", template, {**params, "KubernetesVersion": "1.34"})
    assert aws.eks.describe_addon(clusterName="myeks", addonName="vpc-cni")["addon"]["addonVersion"] == (
        "v1.34.0-eksbuild.2")


def test_delete_cluster_is_refused_while_deletion_protection_is_on(aws: Clients) -> None:
    out = _cluster_and_nodegroup(aws)
    template = t.control_plane()
    template["Resources"]["ControlPlane"]["Properties"]["DeletionProtection"] = True
    params = {"VpcId": out["VpcId"], "SubnetIds": out["SubnetIds"], "ClusterName": "myeks"}
    deploy(aws.cloudformation, "cp", template, params)
    assert aws.eks.describe_cluster(name="myeks")["cluster"]["deletionProtection"] is True
    with pytest.raises(ClientError, match="InvalidRequestException"):
        aws.eks.delete_cluster(name="myeks")
    template["Resources"]["ControlPlane"]["Properties"]["DeletionProtection"] = False
    deploy(aws.cloudformation, "cp", template, params)
    assert aws.eks.describe_cluster(name="myeks")["cluster"]["deletionProtection"] is False
