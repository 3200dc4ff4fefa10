"""`plan --diagram FILE`: the change set drawn on the cluster's picture. On data (a
change set as AWS describes it, nested change sets included), with a fake GetTemplate,
and end to end against the sandbox (whose change sets have no nested ones)."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from eks_templates import diagram
from eks_templates.config import load_stack
from eks_templates.deploy.changeset import ChangeSetView
from eks_templates.diagram.changes import deployed_templates, overlay
from eks_templates.diagram.dot import svg_id
from eks_templates.diagram.resolve import TemplateSet
from eks_templates.render import render_set
from tests.support import REPO, run_cli

STACK = "myeks"
SVG = "{http://www.w3.org/2000/svg}"


def _new() -> TemplateSet:
    rendered = render_set(load_stack(str(REPO / "stacks" / "myeks.yaml"), on_warning=None))
    return TemplateSet.from_files(rendered.files, rendered.root)


def _old(new: TemplateSet) -> TemplateSet:
    """The deployed set: one rule more (a VPN range to the API), one rule less."""
    templates = copy.deepcopy(new.templates)
    security = templates["ControlPlaneStack"]["Resources"]
    security["IngressLegacyVpn"] = {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {"GroupId": {"Ref": "ControlPlaneSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 443,
                       "ToPort": 443, "CidrIp": "10.9.0.0/16"},
    }
    del security["IngressManagementHostToNodes"]
    return TemplateSet(templates)


def _rc(action: str, logical_id: str, rtype: str, replacement: str | None = None, **extra: Any) -> dict[str, Any]:
    rc = {"Action": action, "LogicalResourceId": logical_id, "ResourceType": rtype, **extra}
    if replacement:
        rc["Replacement"] = replacement
    return rc


def _view() -> ChangeSetView:
    stack = "AWS::CloudFormation::Stack"
    return ChangeSetView(
        label=STACK, arn="arn:cs/root", stack_name=STACK,
        changes=[_rc("Modify", "ControlPlaneStack", stack, "False", ChangeSetId="arn:cs/sec"),
                 _rc("Modify", "NodegroupMyeksNodegroupStack", stack, "False", ChangeSetId="arn:cs/ng")],
        nested=[
            ChangeSetView(label=f"{STACK}/ControlPlaneStack", arn="arn:cs/sec", stack_name="myeks-ControlPlaneStack-1",
                          changes=[_rc("Add", "IngressManagementHostToNodes", "AWS::EC2::SecurityGroupIngress"),
                                   _rc("Remove", "IngressLegacyVpn", "AWS::EC2::SecurityGroupIngress")]),
            ChangeSetView(label=f"{STACK}/NodegroupMyeksNodegroupStack", arn="arn:cs/ng",
                          stack_name="myeks-NodegroupMyeksNodegroupStack-1",
                          changes=[_rc("Modify", "ManagedNodeGroup", "AWS::EKS::Nodegroup", "True"),
                                   _rc("Modify", "LaunchTemplate", "AWS::EC2::LaunchTemplate", "False")]),
        ],
    )


def _changes(drawn: diagram.Diagram) -> dict[str, str]:
    return {x.id: x.change for x in [*drawn.nodes, *drawn.edges] if x.change}


def test_the_change_set_marks_added_removed_and_replaced():
    new = _new()
    drawn = overlay(new, _view(), STACK, _old(new))
    assert _changes(drawn) == {
        "rule:ControlPlaneStack/IngressManagementHostToNodes": "added",
        "rule:ControlPlaneStack/IngressLegacyVpn": "removed",
        "cidr:10.9.0.0/16": "removed",
        "NodegroupMyeksNodegroupStack/ManagedNodeGroup": "replaced",
        # the replaced nodegroup wears its groups anew
        "wears:NodegroupMyeksNodegroupStack/ManagedNodeGroup:ControlPlaneStack/ControlPlane.ClusterSecurityGroup":
            "replaced",
        "wears:NodegroupMyeksNodegroupStack/ManagedNodeGroup:NodegroupMyeksNodegroupStack/SSH": "replaced",
        "wears:NodegroupMyeksNodegroupStack/ManagedNodeGroup:ControlPlaneStack/ClusterSharedNodeSecurityGroup":
            "replaced",
    }
    removed = next(e for e in drawn.edges if e.id == "rule:ControlPlaneStack/IngressLegacyVpn")
    assert (removed.src, removed.dst, removed.label) == (
        "cidr:10.9.0.0/16", "ControlPlaneStack/ControlPlaneSecurityGroup", "tcp 443")
    dot = diagram.to_dot(drawn)
    line = next(x for x in dot.splitlines() if "e-rule_ControlPlaneStack_IngressLegacyVpn" in x)
    assert "<S>tcp 443</S>" in line and "- removed" in line and 'style="dashed"' in line
    line = next(x for x in dot.splitlines() if 'id="n-NodegroupMyeksNodegroupStack_ManagedNodeGroup"' in x)
    assert "! REPLACED" in line
    svg = ET.fromstring(diagram.output(drawn, "svg"))
    legacy = svg_id("rule:ControlPlaneStack/IngressLegacyVpn", "e-")
    edge = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == legacy)
    struck = [t for t in edge.iter(f"{SVG}text") if t.get("text-decoration") == "line-through"]
    assert [t.text for t in struck] == ["tcp 443"]
    mermaid = diagram.to_mermaid(drawn)
    assert '-.->|"- removed: tcp 443"|' in mermaid and '==>|"+ added: all traffic"|' in mermaid


def test_a_removal_without_its_deployed_template_is_still_drawn():
    drawn = overlay(_new(), _view(), STACK, None)
    node = drawn.node("removed:ControlPlaneStack/IngressLegacyVpn")
    assert node is not None and node.change == "removed" and node.group == "stack:ControlPlaneStack"
    assert node.lines == ("IngressLegacyVpn", "AWS::EC2::SecurityGroupIngress")
    assert _changes(drawn)["rule:ControlPlaneStack/IngressManagementHostToNodes"] == "added"


class FakeCfn:
    """GetTemplate and DescribeStackResource of a deployed set, recording what is asked."""

    def __init__(self, templates: dict[str, dict[str, Any]], physical: dict[str, str] | None = None):
        self.templates = templates
        self.physical = physical or {}
        self.asked: list[str] = []

    def get_template(self, *, StackName: str, TemplateStage: str) -> dict[str, Any]:
        assert TemplateStage == "Original"
        self.asked.append(StackName)
        if StackName not in self.templates:
            raise ClientError({"Error": {"Code": "ValidationError", "Message": "does not exist"}}, "GetTemplate")
        return {"TemplateBody": json.dumps(self.templates[StackName])}

    def describe_stack_resource(self, *, StackName: str, LogicalResourceId: str) -> dict[str, Any]:
        return {"StackResourceDetail": {"PhysicalResourceId": self.physical[LogicalResourceId]}}


def test_deployed_templates_reads_root_and_the_touched_nested_stacks():
    new = _new()
    old = _old(new)
    cfn = FakeCfn({STACK: old.templates[""], "myeks-ControlPlaneStack-1": old.templates["ControlPlaneStack"],
                   "myeks-NodegroupMyeksNodegroupStack-1": old.templates["NodegroupMyeksNodegroupStack"]})
    got = deployed_templates(cfn, _view(), STACK, new.templates, create=False)
    assert got is not None
    assert sorted(cfn.asked) == [STACK, "myeks-ControlPlaneStack-1", "myeks-NodegroupMyeksNodegroupStack-1"]
    assert "IngressLegacyVpn" in got.resources("ControlPlaneStack")
    assert got.templates["BastionStack"] == new.templates["BastionStack"]  # untouched: the new one stands for it
    assert deployed_templates(cfn, _view(), STACK, new.templates, create=True) is None


def test_without_nested_change_sets_the_templates_are_compared():
    """A root change set that only says "Modify ControlPlaneStack" (moto's, or one made without
    IncludeNestedStacks): the resources' changes come from the two templates."""
    new = _new()
    view = ChangeSetView(label=STACK, arn="arn:cs/root", stack_name=STACK, changes=[
        _rc("Modify", "ControlPlaneStack", "AWS::CloudFormation::Stack", "False", PhysicalResourceId="arn:sec")])
    cfn = FakeCfn({STACK: new.templates[""], "arn:sec": _old(new).templates["ControlPlaneStack"]})
    old = deployed_templates(cfn, view, STACK, new.templates, create=False)
    drawn = overlay(new, view, STACK, old, region="ap-northeast-2")
    assert _changes(drawn) == {"rule:ControlPlaneStack/IngressManagementHostToNodes": "added",
                               "rule:ControlPlaneStack/IngressLegacyVpn": "removed", "cidr:10.9.0.0/16": "removed"}


def _stack_file(tmp_path: Path, source: str, name: str) -> Path:
    text = re.sub(r"(?m)^  name: myeks$", f"  name: {name}", (REPO / "stacks" / source).read_text())
    path = tmp_path / f"{name}-{source}"
    path.write_text(text)
    return path


@pytest.fixture
def endpoint(sandbox_endpoint: str) -> str:
    from eks_templates.sandbox import server

    server.reset(sandbox_endpoint)
    return sandbox_endpoint


def test_plan_diagram_against_the_sandbox(tmp_path: Path, endpoint: str):
    """myeks deployed, then `plan myeks-private --diagram`: the notes' 4.2-4.3 drawn as a
    change: the open endpoint CIDR struck, the narrowed one added, the host replaced."""
    name = "diagramplan"
    env = {"AWS_ENDPOINT_URL": endpoint}
    done = run_cli("deploy", str(_stack_file(tmp_path, "myeks.yaml", name)), "--yes", "--poll", "0.1", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "plan.svg"
    done = run_cli("plan", str(_stack_file(tmp_path, "myeks-private.yaml", name)), "--diagram", str(out),
                   "--poll", "0.1", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Diagram of the change set: {out} (svg; added, modified, removed, replaced)" in done.stdout
    assert "Plan only: the change set was deleted" in done.stdout
    texts = {g.get("id"): " ".join(" ".join(t.itertext()) for t in g.iter(f"{SVG}text"))
             for g in ET.fromstring(out.read_bytes()).iter(f"{SVG}g") if g.get("id")}
    assert texts[svg_id("endpoint:ControlPlaneStack/ControlPlane:0.0.0.0/0", "e-")] == "- removed tcp 443 public API"
    assert texts[svg_id("endpoint:ControlPlaneStack/ControlPlane:203.0.113.0/24", "e-")] == \
        "+ added tcp 443 public API"
    assert texts[svg_id("BastionStack/ManagementHost", "n-")].startswith("! REPLACED")
    assert texts[svg_id("ControlPlaneStack/ControlPlane", "n-")].startswith("~ modified")
    assert "~" not in texts[svg_id("ControlPlaneStack/ControlPlaneSecurityGroup", "n-")]  # unchanged: unmarked
    cfn = boto3.client("cloudformation", region_name="ap-northeast-2", endpoint_url=endpoint)
    summaries = cfn.list_change_sets(StackName=name)["Summaries"]
    # only the deploy's executed change set is left: the plan's was deleted
    assert [s.get("ExecutionStatus") for s in summaries] == ["EXECUTE_COMPLETE"]
