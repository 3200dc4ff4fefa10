"""drift's live comparison of the cluster and nodegroups with their templates (EKS
DescribeCluster / DescribeNodegroup stubbed, AWS-shaped)."""

from __future__ import annotations

from typing import Any

from eks_templates.deploy import drift_eks
from eks_templates.deploy.drift_cfn import StackInfo
from eks_templates.deploy.drift_model import Resolver

from .fakes import STACK_ID, Stubs

TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
TEMPLATE = {
    "Parameters": {"Scaling": {"Type": "CommaDelimitedList"}, "ClusterName": {"Type": "String"}},
    "Resources": {
        "ControlPlane": {"Type": "AWS::EKS::Cluster", "Properties": {
            "Name": "myeks", "Version": "1.35",
            "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": t} for t in TYPES]}},
            "ResourcesVpcConfig": {"EndpointPublicAccess": False, "EndpointPrivateAccess": True,
                                   "SubnetIds": {"Fn::Split": [",", "subnet-1,subnet-2"]}}}},
        "ManagedNodeGroup": {"Type": "AWS::EKS::Nodegroup", "Properties": {
            "ClusterName": {"Ref": "ClusterName"}, "NodegroupName": "ng", "Version": "1.35",
            "ScalingConfig": {"DesiredSize": {"Fn::Select": [0, {"Ref": "Scaling"}]},
                              "MinSize": {"Fn::Select": [1, {"Ref": "Scaling"}]},
                              "MaxSize": {"Fn::Select": [2, {"Ref": "Scaling"}]}},
            "Labels": {"pool": "batch"},
            "Taints": [{"Key": "batch", "Value": "yes", "Effect": "NO_SCHEDULE"}]}},
    },
}


def _info() -> StackInfo:
    return StackInfo(label="myeks/ControlPlaneStack", stack_id=STACK_ID, name="cp", status="UPDATE_COMPLETE",
                     parameters={"Scaling": "2,2,4", "ClusterName": "myeks"}, template=TEMPLATE,
                     resources={"ControlPlane": {"LogicalResourceId": "ControlPlane", "PhysicalResourceId": "myeks"},
                                "ManagedNodeGroup": {"LogicalResourceId": "ManagedNodeGroup",
                                                     "PhysicalResourceId": "myeks/ng"}})


def _cluster(*, enabled: list[str], version: str = "1.35", public: bool = False) -> dict[str, Any]:
    logging = [{"types": enabled, "enabled": True}] if enabled else []
    logging += [{"types": [t for t in TYPES if t not in enabled], "enabled": False}]
    return {"cluster": {"name": "myeks", "version": version, "logging": {"clusterLogging": logging},
                        "resourcesVpcConfig": {"endpointPublicAccess": public, "endpointPrivateAccess": True,
                                               "publicAccessCidrs": ["0.0.0.0/0"],
                                               "clusterSecurityGroupId": "sg-0123456789abcdef0"}}}


def _nodegroup(*, labels: dict[str, str], taints: list[dict[str, str]], size: tuple[int, int, int] = (2, 2, 4)
               ) -> dict[str, Any]:
    desired, low, high = size
    return {"nodegroup": {"nodegroupName": "ng", "clusterName": "myeks", "version": "1.35", "labels": labels,
                          "taints": taints, "scalingConfig": {"desiredSize": desired, "minSize": low,
                                                              "maxSize": high}}}


def _compare(stubs: Stubs) -> list[Any]:
    live = drift_eks.Live(stubs.aws.client("eks"))
    info = _info()
    resolver = Resolver(info, "ap-northeast-2", attribute=drift_eks.attribute(live, "ap-northeast-2"))
    ctx = drift_eks.Context(stack_arg="myeks", region="ap-northeast-2", nodegroups=("other", "ng"))
    return drift_eks.compare([info], {info.label: resolver}, live, ctx)


def test_in_sync_cluster_and_nodegroup() -> None:
    stubs = Stubs("eks")
    stubs["eks"].add_response("describe_cluster", _cluster(enabled=TYPES), {"name": "myeks"})
    stubs["eks"].add_response("describe_nodegroup", _nodegroup(
        labels={"pool": "batch"}, taints=[{"key": "batch", "value": "yes", "effect": "NO_SCHEDULE"}]),
        {"clusterName": "myeks", "nodegroupName": "ng"})
    assert _compare(stubs) == []
    stubs.verify()


def test_logging_version_endpoint_labels_and_taints_changed_by_hand() -> None:
    stubs = Stubs("eks")
    stubs["eks"].add_response("describe_cluster", _cluster(enabled=["api"], version="1.36", public=True))
    stubs["eks"].add_response("describe_nodegroup", _nodegroup(labels={"pool": "batch", "team": "x"}, taints=[]))
    found = {(f.logical_id, f.summary.split(" changed")[0]): f for f in _compare(stubs)}
    stubs.verify()
    logs = found[("ControlPlane", "control-plane logging")]
    assert logs.undo == ("aws eks update-cluster-config --region ap-northeast-2 --name myeks --logging "
                         "'{\"clusterLogging\":[{\"types\":[\"api\",\"audit\",\"authenticator\","
                         "\"controllerManager\",\"scheduler\"],\"enabled\":true}]}'")
    assert logs.adopt.startswith("in the stack file: cloudWatch.clusterLogging.enableTypes: [api]")
    version = found[("ControlPlane", "Kubernetes version")]
    assert (version.revert, version.not_revertible) == ("", "EKS does not downgrade a cluster's Kubernetes version")
    endpoint = found[("ControlPlane", "API endpoint access")]
    assert [(d.path, d.expected, d.actual) for d in endpoint.differences] == [
        ("ResourcesVpcConfig.EndpointPublicAccess", "false", "true")]
    assert "endpointPublicAccess=false,endpointPrivateAccess=true" in endpoint.undo
    labels = found[("ManagedNodeGroup", "node labels")]
    assert labels.undo.endswith("--labels '{\"removeLabels\":[\"team\"]}'")
    assert labels.adopt.startswith('in the stack file: managedNodeGroups[1].labels: {"pool":"batch","team":"x"}')
    taints = found[("ManagedNodeGroup", "node taints")]
    assert taints.undo.endswith(
        "--taints '{\"addOrUpdateTaints\":[{\"key\":\"batch\",\"value\":\"yes\",\"effect\":\"NO_SCHEDULE\"}]}'")
    assert len(found) == 5  # scaling is as the template says


def test_scaling_from_a_comma_delimited_parameter() -> None:
    stubs = Stubs("eks")
    stubs["eks"].add_response("describe_cluster", _cluster(enabled=TYPES))
    stubs["eks"].add_response("describe_nodegroup", _nodegroup(
        labels={"pool": "batch"}, taints=[{"key": "batch", "value": "yes", "effect": "NO_SCHEDULE"}],
        size=(3, 2, 4)))
    [scaling] = _compare(stubs)
    assert [(d.path, d.expected, d.actual) for d in scaling.differences] == [("ScalingConfig.DesiredSize", "2", "3")]
    assert scaling.undo.endswith("--scaling-config minSize=2,maxSize=4,desiredSize=2")
    assert scaling.adopt == "python -m eks_templates scale myeks ng --nodes 3 --min 2 --max 4"
