"""EKS Auto Mode and zonal shift on the cluster (issue 14 items 1, 2): the three
settings together, the roles, BootstrapSelfManagedAddons and what diff says about it."""

from __future__ import annotations

import json

from eks_templates.builders import ControlPlaneBuilder
from eks_templates.diff import Schemas, compare
from eks_templates.render import render_set
from tests.builders.helpers import config, props, resources

AUTO = "accessConfig: {authenticationMode: API}\nautoModeConfig: {enabled: true}\n"


def control_plane(extra: str) -> dict:
    return resources(ControlPlaneBuilder(config(extra)))


def policy_names(role: dict) -> set[str]:
    return {arn["Fn::Sub"].rsplit("/", 1)[-1] if isinstance(arn, dict) else arn
            for arn in role["Properties"]["ManagedPolicyArns"]}


def test_auto_mode_renders_the_three_settings_together_and_no_self_managed_addons():
    cluster = props(control_plane(AUTO), "ControlPlane")
    assert cluster["ComputeConfig"] == {"Enabled": True, "NodePools": ["general-purpose", "system"],
                                        "NodeRoleArn": {"Fn::GetAtt": ["AutoModeNodeRole", "Arn"]}}
    assert cluster["StorageConfig"] == {"BlockStorage": {"Enabled": True}}
    assert cluster["KubernetesNetworkConfig"]["ElasticLoadBalancing"] == {"Enabled": True}
    assert cluster["BootstrapSelfManagedAddons"] is False


def test_auto_mode_cluster_role_has_its_policies_and_tag_session():
    role = control_plane(AUTO)["ServiceRole"]
    assert policy_names(role) == {"AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController",
                                  "AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy",
                                  "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy"}
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]


def test_auto_mode_node_role_is_minimal_and_no_access_entry_is_written():
    res = control_plane(AUTO)
    role = res["AutoModeNodeRole"]
    assert policy_names(role) == {"AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"}
    [statement] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == ["sts:AssumeRole"]
    # EKS creates the node role's access entry itself when Auto Mode is enabled
    assert [r for r in res.values() if r["Type"] == "AWS::EKS::AccessEntry"] == []


def test_a_given_node_role_or_no_built_in_pools_creates_no_role():
    arn = "arn:aws:iam::111122223333:role/auto-nodes"
    res = control_plane(AUTO.replace("enabled: true", f"enabled: true, nodeRoleARN: '{arn}'"))
    assert "AutoModeNodeRole" not in res
    assert props(res, "ControlPlane")["ComputeConfig"]["NodeRoleArn"] == arn
    res = control_plane(AUTO.replace("enabled: true", "enabled: true, nodePools: []"))
    assert "AutoModeNodeRole" not in res
    assert props(res, "ControlPlane")["ComputeConfig"] == {"Enabled": True, "NodePools": []}


def test_permissions_boundary_on_the_node_role():
    boundary = "arn:aws:iam::111122223333:policy/boundary"
    res = control_plane(AUTO.replace("enabled: true", f"enabled: true, permissionsBoundaryARN: '{boundary}'"))
    assert res["AutoModeNodeRole"]["Properties"]["PermissionsBoundary"] == boundary


def test_without_auto_mode_nothing_changes():
    res = control_plane("")
    cluster = props(res, "ControlPlane")
    for key in ("ComputeConfig", "StorageConfig", "BootstrapSelfManagedAddons", "ZonalShiftConfig"):
        assert key not in cluster
    assert "ElasticLoadBalancing" not in cluster["KubernetesNetworkConfig"]
    assert "AutoModeNodeRole" not in res
    assert policy_names(res["ServiceRole"]) == {"AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController"}


def test_zonal_shift():
    assert props(control_plane("zonalShiftConfig: {enabled: true}\n"), "ControlPlane")["ZonalShiftConfig"] == {
        "Enabled": True}


def _rendered(extra: str) -> dict[str, dict]:
    rs = render_set(config(extra))
    return {name: json.loads(text) for name, text in rs.files.items()}


def test_diff_against_a_cluster_without_auto_mode_shows_the_create_only_replacement():
    old = _rendered("accessConfig: {authenticationMode: API}\nmanagedNodeGroups: [{name: ng}]\n")
    new = _rendered(AUTO + "managedNodeGroups: [{name: ng}]\n")
    changes = compare(old, new, root="root.json", schemas=Schemas())
    [cluster] = [c for c in changes if c.logical_id == "ControlPlane"]
    assert cluster.kind == "replace"
    assert "BootstrapSelfManagedAddons" in cluster.line()
    # the rest of enabling Auto Mode is an update EKS makes in place
    assert not any(p in cluster.line() for p in ("ComputeConfig", "StorageConfig", "ElasticLoadBalancing"))
