"""The stack plan: which builders share a child, with the same logical IDs and within
CloudFormation's quotas."""

from __future__ import annotations

import json

import pytest

from eks_templates import assembly
from eks_templates.builders import cluster_builders
from eks_templates.builders.network import NetworkBuilder
from eks_templates.config import load_stack, parse_config
from eks_templates.names import ADDONS_STACK, CONTROL_PLANE_STACK, FARGATE_STACK, NETWORK_STACK, SECURITY_STACK
from eks_templates.render import render_set
from eks_templates.stack_plan import CRITICAL_PATH, DEFAULT_PLAN, FARGATE_IN_CONTROL_PLANE, ONE_PER_BUILDER
from tests.support import REPO, STACKS
from tests.test_assembly import EXISTING

#: AWS CloudFormation User Guide, "Understand CloudFormation quotas": per template
MAX_RESOURCES, MAX_PARAMETERS, MAX_OUTPUTS, MAX_TEMPLATE_BYTES = 500, 200, 200, 1_000_000


def _templates(config, plan):
    rendered = render_set(config, plan=plan)
    return {name.removesuffix(".json"): json.loads(text) for name, text in rendered.files.items()}


def test_network_security_and_control_plane_share_one_child():
    cfg = load_stack(None, on_warning=None)
    groups = DEFAULT_PLAN.groups(cluster_builders(cfg))
    assert [type(b).__name__ for b in groups[CONTROL_PLANE_STACK]] == [
        "NetworkBuilder", "SecurityGroupsBuilder", "ControlPlaneBuilder"]
    assert NETWORK_STACK not in groups and SECURITY_STACK not in groups
    assert all(len(members) == 1 for stack, members in groups.items() if stack != CONTROL_PLANE_STACK)


def test_a_join_needs_the_child_it_joins():
    cfg = load_stack(None, on_warning=None)
    assert list(DEFAULT_PLAN.groups([NetworkBuilder(cfg)])) == [NETWORK_STACK]


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.stem)
def test_logical_ids_stay_what_they_were(stack):
    """Every resource keeps its logical ID: ControlPlaneStack and FargateStack now hold
    exactly what the three children held (the golden files, drift and the diagram name them)."""
    cfg = load_stack(str(stack), on_warning=None)
    before, now = _templates(cfg, ONE_PER_BUILDER), _templates(cfg, CRITICAL_PATH)
    merged = [name for name in (NETWORK_STACK, SECURITY_STACK, CONTROL_PLANE_STACK) if name in before]
    old_ids = [lid for name in merged for lid in before[name]["Resources"]]
    assert len(old_ids) == len(set(old_ids))
    fargate = set(now.get(FARGATE_STACK, {}).get("Resources", {}))
    assert set(now[CONTROL_PLANE_STACK]["Resources"]) | fargate == set(old_ids)
    assert not set(now[CONTROL_PLANE_STACK]["Resources"]) & fargate
    for name in set(before) - {*merged, "root"}:
        assert now[name]["Resources"] == before[name]["Resources"], name


@pytest.mark.parametrize("stack", STACKS, ids=lambda p: p.stem)
def test_the_merged_child_wires_inside_and_fits_the_quotas(stack):
    cfg = load_stack(str(stack), on_warning=None)
    before, now = _templates(cfg, ONE_PER_BUILDER), _templates(cfg, CRITICAL_PATH)
    child = now[CONTROL_PLANE_STACK]
    # values that crossed between the three children are references inside the one now
    old_parameters = sum(len(before[n].get("Parameters", {})) for n in (NETWORK_STACK, SECURITY_STACK,
                                                                        CONTROL_PLANE_STACK) if n in before)
    assert len(child.get("Parameters", {})) < old_parameters
    assert "VpcId" not in child.get("Parameters", {})
    assert len(child["Resources"]) <= MAX_RESOURCES
    assert len(child.get("Parameters", {})) <= MAX_PARAMETERS
    assert len(child.get("Outputs", {})) <= MAX_OUTPUTS
    assert len(json.dumps(child, indent=2).encode()) <= MAX_TEMPLATE_BYTES


def test_existing_vpc_joins_only_the_security_groups():
    cfg = parse_config(EXISTING, "byo.yaml", on_warning=None)
    result = assembly.nested(cfg)
    assert NETWORK_STACK not in result.children and SECURITY_STACK not in result.children
    child = result.children[CONTROL_PLANE_STACK].to_dict()
    assert "ControlPlaneSecurityGroup" in child["Resources"]
    assert child["Resources"]["ControlPlaneSecurityGroup"]["Properties"]["VpcId"] == {"Ref": "VpcId"}
    root = result.root.to_dict()
    assert root["Resources"][CONTROL_PLANE_STACK]["Properties"]["Parameters"]["VpcId"] == "vpc-0abc1234"


def test_six_zones_with_a_nat_gateway_each_fit_one_child():
    text = """
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: wide, region: us-east-1}
availabilityZones: [us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f]
vpc: {cidr: 10.0.0.0/16, nat: {gateway: HighlyAvailable}, publicAccessCIDRs: [203.0.113.0/24]}
"""
    cfg = parse_config(text, "wide.yaml", on_warning=None)
    child = assembly.nested(cfg).children[CONTROL_PLANE_STACK].to_dict()
    types = [r["Type"] for r in child["Resources"].values()]
    assert types.count("AWS::EC2::NatGateway") == 6
    assert len(child["Resources"]) < MAX_RESOURCES // 4


def test_the_fargate_profiles_have_a_child_of_their_own_beside_the_nodegroups():
    """The profiles and their role leave ControlPlaneStack with the same logical IDs and
    properties; FargateStack takes the cluster's name and private subnets from it and
    waits for nothing else; AddonsStack waits for it as for the nodegroups."""
    cfg = load_stack(str(REPO / "stacks" / "platform.yaml"), on_warning=None)
    before, now = _templates(cfg, FARGATE_IN_CONTROL_PLANE), _templates(cfg, CRITICAL_PATH)
    moved = {lid: body for lid, body in before[CONTROL_PLANE_STACK]["Resources"].items()
             if lid.startswith("Fargate")}
    assert set(moved) == {"FargatePodExecutionRole", "FargateProfileServerless"}
    assert FARGATE_STACK not in before
    fargate = now[FARGATE_STACK]
    assert set(fargate["Resources"]) == set(moved)
    assert not set(moved) & set(now[CONTROL_PLANE_STACK]["Resources"])
    wiring = {"ClusterName": {"Ref": "ControlPlane"}, "Subnets": None}
    for lid, body in moved.items():
        new = fargate["Resources"][lid]
        assert new["Type"] == body["Type"]
        assert {k: v for k, v in new["Properties"].items() if k not in wiring} == \
            {k: v for k, v in body["Properties"].items() if k not in wiring}, lid
    profile = fargate["Resources"]["FargateProfileServerless"]["Properties"]
    assert profile["ClusterName"] == {"Ref": "ClusterName"}
    assert profile["Subnets"] == {"Ref": "PrivateSubnetIds"}
    root = now["root"]["Resources"]
    assert set(root[FARGATE_STACK]["Properties"]["Parameters"]) == {"ClusterName", "PrivateSubnetIds"}
    assert "DependsOn" not in root[FARGATE_STACK]
    assert FARGATE_STACK in root[ADDONS_STACK]["DependsOn"]
    for lid, body in root.items():
        if lid.startswith("Nodegroup"):
            assert FARGATE_STACK not in json.dumps(body), lid  # the nodegroups do not wait for it
    # the layout before: AddonsStack took the profiles' wait from ControlPlaneStack's
    # outputs and had no DependsOn on it (cfn-lint W3005)
    assert CONTROL_PLANE_STACK not in before["root"]["Resources"][ADDONS_STACK]["DependsOn"]


def test_profiles_one_after_the_other_in_fargate_stack():
    text = """
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: fg, region: us-east-1}
vpc: {publicAccessCIDRs: [203.0.113.0/24]}
addons: [{name: coredns}]
fargateProfiles:
  - {name: first, selectors: [{namespace: kube-system}]}
  - {name: second, selectors: [{namespace: apps}], subnets: [subnet-0aaa1111, subnet-0bbb2222]}
"""
    cfg = parse_config(text, "fg.yaml", on_warning=None)
    result = assembly.nested(cfg)
    child = result.children[FARGATE_STACK].to_dict()
    assert child["Resources"]["FargateProfileSecond"]["DependsOn"] == ["FargateProfileFirst"]
    assert "DependsOn" not in child["Resources"]["FargateProfileFirst"]
    # a Fargate-only cluster: CoreDNS on Fargate, after the profiles
    addons = result.children[ADDONS_STACK].to_dict()["Resources"]["AddonCoredns"]["Properties"]
    assert json.loads(addons["ConfigurationValues"]) == {"computeType": "Fargate"}
    assert result.root.to_dict()["Resources"][ADDONS_STACK]["DependsOn"] == [FARGATE_STACK]
