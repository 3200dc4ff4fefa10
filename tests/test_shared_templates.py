"""Nodegroups of the same shape share one child template (issue 17 item 4).

What differs between them only by name is passed by the root (``NodegroupName``, the
scaling parameter under one name in the child); children with byte-identical templates
share the first one's file. Checked here: the files of a render, the root's wiring, the
set on disk, the upload plan, lint (each distinct template once, and the root's stacks
that cfn-lint is not shown are alike to one it is), ``diff`` against a render from
before the sharing, and that the render stays byte-identical."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from troposphere import Ref, Template, sns

from eks_templates import assembly, diff
from eks_templates.builders import Builder
from eks_templates.config import load_stack
from eks_templates.deploy import package
from eks_templates.lint import for_cfn_lint, lint_set
from eks_templates.lint_root import collapse
from eks_templates.names import Port
from eks_templates.render import MANIFEST, RenderedSet, render_set, write_set
from eks_templates.stack_plan import ONE_PER_BUILDER
from tests.builders.helpers import config
from tests.support import REPO, stack_with_nodegroups

STACK = "AWS::CloudFormation::Stack"
THREE = ("managedNodeGroups: [{name: blue, ssh: {allow: true}}, {name: green, ssh: {allow: true}}, "
         "{name: red, instanceType: m5.xlarge, ssh: {allow: true}}]\nbastion: {enabled: true}\n")


def three() -> RenderedSet:
    return render_set(config(THREE))


def root_of(rendered: RenderedSet) -> dict[str, Any]:
    return dict(json.loads(rendered.files[rendered.root]))


def stacks(root: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in root["Resources"].items() if v["Type"] == STACK}


# --------------------------------------------------------------------------- the render


def test_two_same_shape_nodegroups_are_one_file_and_two_stacks():
    rendered = three()
    nodegroup_files = sorted(n for n in rendered.files if n.startswith("Nodegroup"))
    # blue and green alike: one file, named after the first; red is another shape: its own
    assert nodegroup_files == ["NodegroupBlueStack.json", "NodegroupRedStack.json"]
    children = stacks(root_of(rendered))
    urls = {k: v["Properties"]["TemplateURL"] for k, v in children.items() if k.startswith("Nodegroup")}
    assert urls == {"NodegroupBlueStack": "NodegroupBlueStack.json", "NodegroupGreenStack": "NodegroupBlueStack.json",
                    "NodegroupRedStack": "NodegroupRedStack.json"}
    given = {k: children[k]["Properties"]["Parameters"] for k in urls}
    assert {k: p["NodegroupName"] for k, p in given.items()} == {
        "NodegroupBlueStack": "blue", "NodegroupGreenStack": "green", "NodegroupRedStack": "red"}
    assert given["NodegroupGreenStack"]["NodegroupScaling"] == {"Fn::Join": [",", {"Ref": "NodegroupGreenScaling"}]}
    shared = json.loads(rendered.files["NodegroupBlueStack.json"])
    assert shared["Resources"]["ManagedNodeGroup"]["Properties"]["NodegroupName"] == {"Ref": "NodegroupName"}
    assert "blue" not in rendered.files["NodegroupBlueStack.json"]
    assert set(given["NodegroupGreenStack"]) == set(shared["Parameters"])  # the contract cfn-lint checks (E3043)


def test_different_shapes_are_different_files():
    for extra in ("spot: true", "labels: {role: batch}", "desiredCapacity: 3", "amiFamily: Bottlerocket"):
        cfg = config(f"managedNodeGroups: [{{name: a}}, {{name: b, {extra}}}]\n")
        files = sorted(n for n in render_set(cfg).files if n.startswith("Nodegroup"))
        # scaling is a root parameter, not a shape: desiredCapacity alone still shares
        expected = ["NodegroupAStack.json"] if extra.startswith("desired") else [
            "NodegroupAStack.json", "NodegroupBStack.json"]
        assert files == expected, extra


def test_custom_ami_user_data_names_the_nodegroup_through_its_parameter():
    """Ubuntu's bootstrap.sh carries the node label eks.amazonaws.com/nodegroup=<name>."""
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n"
                 "managedNodeGroups: [{name: u1, amiFamily: Ubuntu2204}, {name: u2, amiFamily: Ubuntu2204}]\n")
    rendered = render_set(cfg)
    assert sorted(n for n in rendered.files if n.startswith("Nodegroup")) == ["NodegroupU1Stack.json"]
    data = json.loads(rendered.files["NodegroupU1Stack.json"])["Resources"]["LaunchTemplate"]["Properties"]
    text, variables = data["LaunchTemplateData"]["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert "eks.amazonaws.com/nodegroup=${NodegroupName}" in text
    assert variables["NodegroupName"] == {"Ref": "NodegroupName"}


def test_render_is_byte_identical_and_the_file_names_stable():
    first, second = three(), three()
    assert first.files == second.files
    reordered = config(THREE.replace("{name: blue, ssh: {allow: true}}, {name: green, ssh: {allow: true}}",
                                     "{name: green, ssh: {allow: true}}, {name: blue, ssh: {allow: true}}"))
    # the file is the first alike stack's, in the file's order
    assert "NodegroupGreenStack.json" in render_set(reordered).files


def test_the_root_gains_no_parameters_and_200_nodegroups_are_one_template(tmp_path: Path):
    rendered = render_set(load_stack(str(stack_with_nodegroups(200, tmp_path)), on_warning=None))
    root = root_of(rendered)
    assert len([n for n in rendered.files if n.startswith("Nodegroup")]) == 1
    assert len(stacks(root)) == 202  # control plane (with network and groups), bastion + 200 nodegroups
    # one scaling parameter per nodegroup, as before; names are literals in each stack's Parameters
    assert sorted(root["Parameters"]) == sorted(f"NodegroupNg{i:03d}Scaling" for i in range(200))


def test_assembly_shares_any_children_with_identical_templates():
    """Generic: not only nodegroups. Two instances of a builder that renders the same."""

    class Topic(Builder):
        description = "a topic"

        def __init__(self, cfg: Any, stack_id: str, name: str) -> None:
            super().__init__(cfg)
            self._id, self._name = stack_id, name

        @property
        def child_id(self) -> str:
            return self._id

        @property
        def outputs(self) -> Sequence[Port]:
            return (Port(f"{self._id}Arn", "String", "the topic", root_output=True),)

        def child_port(self, port: Port) -> Port:
            return Port("TopicArn", "String", "the topic")

        def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
            topic = self.add(template, sns.Topic("Topic", DisplayName=self._name))
            return {f"{self._id}Arn": Ref(topic)}

    cfg = config()
    result = assembly.nested(cfg, [Topic(cfg, "AStack", "same"), Topic(cfg, "BStack", "same"),
                                   Topic(cfg, "CStack", "other")])
    assert result.shares == {"AStack": "AStack", "BStack": "AStack", "CStack": "CStack"}
    assert list(result.files()) == ["AStack", "CStack"]
    root = result.root.to_dict()
    assert root["Resources"]["BStack"]["Properties"]["TemplateURL"] == "AStack.json"
    assert root["Outputs"]["BStackArn"]["Value"] == {"Fn::GetAtt": ["BStack", "Outputs.TopicArn"]}


# --------------------------------------------------------------------------- on disk, uploads


def test_out_dir_gets_each_template_once_and_the_manifest_lists_them(tmp_path: Path):
    rendered = three()
    written = write_set(rendered, tmp_path)
    assert sorted(p.name for p in written) == sorted(rendered.files)
    assert not (tmp_path / "NodegroupGreenStack.json").exists()
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert sorted(manifest["sets"]["nested.json"]["files"]) == sorted(rendered.files)


def test_package_uploads_each_distinct_template_once():
    rendered = three()
    pkg = package.plan_package(rendered, bucket="b", prefix="p", url_for=lambda b, k: f"https://{b}/{k}")
    assert sorted(a.name for a in pkg.children) == sorted(rendered.children)
    assert len({a.key for a in pkg.children}) == len(pkg.children)
    root = json.loads(pkg.root_text)
    urls = {k: v["Properties"]["TemplateURL"] for k, v in stacks(root).items()}
    assert urls["NodegroupBlueStack"] == urls["NodegroupGreenStack"] != urls["NodegroupRedStack"]


# --------------------------------------------------------------------------- lint


def test_the_shared_template_lints_clean():
    assert [str(f) for f in lint_set(three(), region="ap-northeast-2")] == []


def test_cfn_lint_is_shown_one_stack_per_alike_group():
    rendered = three()
    linted = root_of(for_cfn_lint(rendered))
    assert "NodegroupGreenStack" not in linted["Resources"]
    assert {"NodegroupBlueStack", "NodegroupRedStack"} <= set(linted["Resources"])
    assert "NodegroupGreenScaling" not in linted["Parameters"] and "NodegroupBlueScaling" in linted["Parameters"]
    # green's root output now reads blue's stack, which runs the same template
    assert linted["Outputs"]["GreenRemoteAccessSecurityGroupId"]["Value"] == {
        "Fn::GetAtt": ["NodegroupBlueStack", "Outputs.RemoteAccessSecurityGroupId"]}


def test_a_defect_in_a_stack_cfn_lint_is_not_shown_first_is_still_found():
    """A stack that differs from the first of its group (here: a parameter the shared
    template does not have) is not alike, so cfn-lint reads it as written."""
    rendered = three()
    root = root_of(rendered)
    root["Resources"]["NodegroupGreenStack"]["Properties"]["Parameters"]["NoSuchParameter"] = "x"
    broken = RenderedSet(rendered.stack_name, rendered.root, {**rendered.files, rendered.root: json.dumps(root)})
    findings = lint_set(broken, region="ap-northeast-2")
    assert [(f.rule, "NoSuchParameter" in f.message) for f in findings] == [("E3043", True)]


@pytest.mark.parametrize("change", ["getatt", "depends", "shared-parameter", "constrained-default", "metadata"])
def test_stacks_that_differ_beyond_names_are_not_left_out(change: str):
    root = root_of(three())
    green = root["Resources"]["NodegroupGreenStack"]
    if change == "getatt":
        green["Properties"]["Parameters"]["ClusterName"] = {"Fn::GetAtt": ["NodegroupBlueStack", "Outputs.X"]}
    elif change == "depends":
        green["DependsOn"] = ["NodegroupBlueStack"]
    elif change == "shared-parameter":  # green's scaling parameter also read elsewhere
        root["Outputs"]["Extra"] = {"Value": {"Fn::Join": [",", {"Ref": "NodegroupGreenScaling"}]}}
    elif change == "constrained-default":
        for name in ("NodegroupBlueScaling", "NodegroupGreenScaling"):
            root["Parameters"][name]["AllowedPattern"] = "^[0-9,]+$"
        root["Parameters"]["NodegroupGreenScaling"]["Default"] = "3,3,3"
    else:
        green["Metadata"] = {"note": "other"}
    linted, moved = collapse(copy.deepcopy(root))
    assert "NodegroupGreenStack" in linted["Resources"] and "NodegroupGreenStack" not in moved


def test_constrained_defaults_that_are_equal_still_collapse():
    root = root_of(three())
    for name in ("NodegroupBlueScaling", "NodegroupGreenScaling"):
        root["Parameters"][name]["AllowedPattern"] = "^[0-9,]+$"
    _, moved = collapse(root)
    assert moved == {"NodegroupGreenStack": "NodegroupBlueStack"}


# --------------------------------------------------------------------------- diff with a render from before


def test_diff_against_a_render_from_before_the_sharing_finds_no_replacement():
    """tests/data/platform-e1619d2: stacks/platform.yaml rendered at commit e1619d2, when
    each nodegroup had its own file with its name as literals."""
    before = diff.load_dir(REPO / "tests" / "data" / "platform-e1619d2")
    cfg = load_stack(str(REPO / "stacks" / "platform.yaml"), on_warning=None)
    # in e1619d2's layout (one child per builder: moving to the critical-path plan is a
    # replacement of its own, which deploy refuses, deploy/layout.py)
    now = {n: json.loads(t) for n, t in render_set(cfg, plan=ONE_PER_BUILDER).files.items()}
    changes = diff.compare(before, now, root="root.json", schemas=diff.Schemas(cfg.metadata.region))
    # the management host's two egress resources went inline since (builders/security.py): deleted,
    # not replaced; nothing else changes
    assert [(c.file, c.logical_id, c.kind) for c in changes] == [
        ("SecurityStack.json", "EgressManagementHostToControlPlane", "remove"),
        ("SecurityStack.json", "EgressManagementHostToNodes", "remove")]


def test_diff_names_a_change_in_a_shared_template_once_per_stack():
    before = {n: json.loads(t) for n, t in three().files.items()}
    cfg = config(THREE.replace("{name: blue, ssh: {allow: true}}, {name: green, ssh: {allow: true}}",
                               "{name: blue, spot: true, ssh: {allow: true}}, {name: green, spot: true, "
                               "ssh: {allow: true}}"))
    now = {n: json.loads(t) for n, t in render_set(cfg).files.items()}
    changes = diff.compare(before, now, root="root.json", schemas=diff.Schemas("ap-northeast-2"))
    assert [(c.file, c.logical_id) for c in changes] == [
        ("NodegroupBlueStack.json", "ManagedNodeGroup"),
        ("NodegroupGreenStack (NodegroupBlueStack.json)", "ManagedNodeGroup")]
    assert all("CapacityType" in c.reasons[0] for c in changes)
