"""The create's critical path, modeled from the rendered templates (bench/critical_path.py):
no clock, only the dependency graph and the table of creation times."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from eks_templates.config import load_stack
from eks_templates.render import render_set
from eks_templates.stack_plan import FARGATE_IN_CONTROL_PLANE, ONE_PER_BUILDER

REPO = Path(__file__).resolve().parent.parent


def _load_model() -> ModuleType:
    spec = importlib.util.spec_from_file_location("critical_path", REPO / "bench" / "critical_path.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("critical_path", module)
    spec.loader.exec_module(module)
    return module


cp = _load_model()


@pytest.fixture(scope="module")
def default_config():
    return load_stack(None, on_warning=None)


@pytest.fixture(scope="module")
def rendered(default_config):
    return render_set(default_config)


def test_rendered_default_set_is_within_five_percent_of_the_floor(default_config, rendered):
    ours = cp.nested_create(rendered.files, rendered.root)
    flat = json.loads(render_set(default_config, flat=True).files["flat.json"])
    floor = cp.floor_create(flat)
    assert ours.seconds <= 1.05 * floor.seconds, (ours.seconds, floor.seconds, ours.chain)
    # the floor's chain is the one EKS imposes: the control plane, then a nodegroup
    assert [lid for lid in floor.chain if lid.split(" > ")[-1] == "ControlPlane"]
    assert floor.chain[-1].endswith("ManagedNodeGroup")


def test_the_earlier_layout_was_slower_and_outside_the_goal(default_config):
    before = cp.compare(default_config, plan=ONE_PER_BUILDER)
    now = cp.compare(default_config)
    assert before.ours_over_floor > 1.05  # network, then security, then the control plane
    assert now.ours.seconds < before.ours.seconds
    # the NAT gateway no longer precedes the control plane
    assert any(step.endswith("NATGateway") for step in before.ours.chain)
    assert not any(step.endswith("NATGateway") for step in now.ours.chain)


def test_ours_is_not_slower_than_eksctl(default_config):
    """With CloudFormation's per-stack overhead (an estimate) at 0 and no client, the
    layouts compare on the graph alone: ours starts every resource no later than eksctl's
    would. With the estimated 15 s, ours pays one stack more (the root) and eksctl pays
    its waiter's lag at each stack it waits for before starting the next."""
    graph_only = cp.compare(default_config, overhead=0.0, ours_poll=0.0, eksctl_poll=0.0)
    assert graph_only.ours.seconds <= graph_only.eksctl.seconds
    estimated = cp.compare(default_config)
    assert estimated.ours.seconds <= estimated.eksctl.seconds
    assert estimated.ours_over_eksctl <= 1.0


def test_eksctl_pays_its_waiter_once_per_stack_it_waits_for(default_config):
    """The cluster stack, then the nodegroup stack: two waits at half a 30 s poll each;
    ours is noticed once, at the root, half a 5 s poll."""
    without = cp.compare(default_config, ours_poll=0.0, eksctl_poll=0.0)
    with_lag = cp.compare(default_config)
    assert with_lag.eksctl.seconds - without.eksctl.seconds == 2 * cp.client_lag(cp.EKSCTL_POLL) == 30.0
    assert with_lag.ours.seconds - without.ours.seconds == cp.client_lag(cp.OURS_POLL) == 2.5
    assert with_lag.floor.seconds == without.floor.seconds


def test_several_nodegroups_run_beside_each_other():
    one = cp.compare(cp.default_cluster(1))
    four = cp.compare(cp.default_cluster(4))
    assert four.ours.seconds == one.ours.seconds
    assert four.ours_over_floor <= 1.05


def _with_extra_dependency(files: dict[str, str], name: str, resource: str, on: str) -> dict[str, str]:
    template = json.loads(files[name])
    body = template["Resources"][resource]
    depends = body.get("DependsOn") or []
    body["DependsOn"] = sorted({*([depends] if isinstance(depends, str) else depends), on})
    return {**files, name: json.dumps(template)}


def test_the_model_reads_the_real_graph_a_depends_on_makes_it_longer(rendered):
    """The chain is the templates' own: make the cluster wait for the NAT gateway and the
    modeled create grows by exactly what the NAT gateway's chain adds."""
    before = cp.nested_create(rendered.files, rendered.root)
    files = _with_extra_dependency(rendered.files, "ControlPlaneStack.json", "ControlPlane", "NATGateway")
    after = cp.nested_create(files, rendered.root)
    assert after.seconds > before.seconds
    assert "ControlPlaneStack > NATGateway" in after.chain
    # in the root: the nodegroup waiting for the management host's stack as well
    root = _with_extra_dependency(rendered.files, "root.json", "NodegroupMyeksNodegroupStack", "BastionStack")
    assert cp.nested_create(root, rendered.root).seconds > before.seconds


def test_references_found_in_ref_getatt_sub_and_depends_on():
    template = {"Resources": {
        "A": {"Type": "AWS::EC2::VPC"},
        "B": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "A"}}},
        "C": {"Type": "AWS::EC2::Subnet", "Properties": {"X": {"Fn::GetAtt": ["B", "Id"]}}},
        "D": {"Type": "AWS::EC2::Subnet", "Properties": {"X": {"Fn::Sub": "${C}-${AWS::Region}-${A.CidrBlock}"}}},
        "E": {"Type": "AWS::EC2::Subnet", "DependsOn": "D", "Properties": {"X": {"Ref": "AWS::StackName"}}},
    }}
    assert cp.dependencies(template) == {"A": set(), "B": {"A"}, "C": {"B"}, "D": {"C", "A"}, "E": {"D"}}
    assert cp.floor_create(template, overhead=0.0).seconds == 25.0  # five 5-second resources in a row


def test_every_timing_names_its_source_or_says_estimate():
    for resource_type, timing in cp.CREATION_TIMES.items():
        assert timing.seconds > 0, resource_type
        assert timing.source.startswith("estimate: ") or any(
            word in timing.source for word in ("EKS", "Workshop", "pulumi", ".com")), resource_type
    assert cp.CREATION_TIMES["AWS::EKS::Cluster"].seconds >= 600  # "between 10 and 15 minutes"


def test_every_resource_type_of_the_rendered_stacks_is_in_the_table():
    types: set[str] = set()
    for stack in sorted((REPO / "stacks").glob("*.yaml")):
        rendered = render_set(load_stack(str(stack), on_warning=None))
        for text in rendered.files.values():
            types |= {body["Type"] for body in json.loads(text)["Resources"].values()}
    missing = types - set(cp.CREATION_TIMES) - {cp.STACK_TYPE}
    assert not missing


def test_the_nodegroups_no_longer_wait_for_the_fargate_profiles():
    """stacks/platform.yaml: its Fargate profile (180 s) sat in ControlPlaneStack, which
    every nodegroup stack waits for; in FargateStack it runs beside them, and AddonsStack
    waits for both. Making a nodegroup wait for FargateStack again costs the profile's time."""
    config = load_stack(str(REPO / "stacks" / "platform.yaml"), on_warning=None)
    before = cp.compare(config, plan=FARGATE_IN_CONTROL_PLANE)
    now = cp.compare(config)
    assert any(step == "ControlPlaneStack > FargateProfileServerless" for step in before.ours.chain)
    assert not any("FargateProfile" in step for step in now.ours.chain)
    assert before.ours.seconds - now.ours.seconds == 120.0  # the profile's 180 s less the vpc-cni add-on's 60
    assert now.ours.seconds < before.ours.seconds and now.ours_over_eksctl < before.ours_over_eksctl <= 1.0
    assert now.floor.seconds == before.floor.seconds and now.eksctl.seconds == before.eksctl.seconds

    rendered = render_set(config)
    root = json.loads(rendered.files[rendered.root])["Resources"]
    nodegroups = [lid for lid in root if lid.startswith("Nodegroup")]
    assert nodegroups and not any("FargateStack" in json.dumps(root[lid]) for lid in nodegroups)
    assert "FargateStack" in root["AddonsStack"]["DependsOn"]
    waits = _with_extra_dependency(rendered.files, "root.json", nodegroups[0], "FargateStack")
    ours = cp.nested_create(rendered.files, rendered.root, lag=cp.client_lag(cp.OURS_POLL))
    assert ours.seconds == now.ours.seconds
    assert cp.nested_create(waits, rendered.root, lag=cp.client_lag(cp.OURS_POLL)).seconds > ours.seconds
