"""Replacements that cannot succeed (a custom-named resource replaced under the same
name) are refused before anything is executed, --allow-replacement or not.

AWS-shaped nested change sets on botocore's Stubber (moto reports no Replacement), the
rule on hand-made views, and the name table against the golden templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eks_templates.deploy import package, replacement
from eks_templates.deploy.changeset import ChangeSetView
from eks_templates.deploy.flow import Options, deploy, templates_by_label
from eks_templates.errors import UserError
from eks_templates.render import RenderedSet
from tests.support import REPO

from .fakes import (
    ACCOUNT,
    ANY,
    REGION,
    SCALING,
    STACK,
    STACK_ID,
    STACK_TYPE,
    Stubs,
    change,
    change_set,
    config,
    cs_arn,
    make_ui,
    output,
    stack,
    stacks,
)

BUCKET = "eks-templates-123456789012-ap-northeast-2"
NG_STACK = "NodegroupNgStack"
ROOT_CS = cs_arn()
NG_CS = cs_arn("eks-templates-20260101-120000-NodegroupNgStack-1", n=2)


def instance_types(kind: str = "Always") -> dict[str, Any]:
    """One Details entry as CloudFormation gives it for a create-only property."""
    return {"Target": {"Attribute": "Properties", "Name": "InstanceTypes", "RequiresRecreation": kind},
            "Evaluation": "Static", "ChangeSource": "DirectModification"}


def renamed() -> dict[str, Any]:
    return {"Target": {"Attribute": "Properties", "Name": "NodegroupName", "RequiresRecreation": "Always"},
            "Evaluation": "Static", "ChangeSource": "DirectModification"}


def nodegroup_template(*, role_name: str | None = None) -> dict[str, Any]:
    role: dict[str, Any] = {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy"}],
    }
    if role_name:
        role["RoleName"] = role_name
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "test nodegroup child",
        "Parameters": {"Scaling": {"Type": "CommaDelimitedList", "Description": "desired,min,max"}},
        "Resources": {
            "NodeInstanceRole": {"Type": "AWS::IAM::Role", "Properties": role},
            "ManagedNodeGroup": {"Type": "AWS::EKS::Nodegroup", "Properties": {
                "ClusterName": STACK,
                "NodegroupName": "ng",
                "NodeRole": {"Fn::GetAtt": ["NodeInstanceRole", "Arn"]},
                "InstanceTypes": ["m5.large"],
                "Subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                "ScalingConfig": {
                    "DesiredSize": {"Fn::Select": [0, {"Ref": "Scaling"}]},
                    "MinSize": {"Fn::Select": [1, {"Ref": "Scaling"}]},
                    "MaxSize": {"Fn::Select": [2, {"Ref": "Scaling"}]},
                },
            }},
        },
    }


def nodegroup_set(**child: Any) -> RenderedSet:
    from eks_templates.assembly import W3002_REASON, suppression_metadata

    root = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "test root",
        "Parameters": {SCALING: {"Type": "CommaDelimitedList", "Default": "2,2,4",
                                 "Description": "desired,min,max of nodegroup ng"}},
        "Resources": {NG_STACK: {
            "Type": STACK_TYPE,
            "Metadata": suppression_metadata({"W3002": W3002_REASON}),
            "Properties": {"TemplateURL": f"{NG_STACK}.json",
                           "Parameters": {"Scaling": {"Fn::Join": [",", {"Ref": SCALING}]}}},
        }},
    }

    def dumps(d: dict[str, Any]) -> str:
        return json.dumps(d, indent=2, sort_keys=True) + "\n"

    return RenderedSet(STACK, "root.json", {"root.json": dumps(root), f"{NG_STACK}.json": dumps(
        nodegroup_template(**child))})


def view(*changes: dict[str, Any], kind: str = "True") -> ChangeSetView:
    """root -> NodegroupNgStack, as describe() builds it from nested change sets."""
    nested = ChangeSetView(label=f"{STACK}/{NG_STACK}", arn=NG_CS, stack_name=f"{STACK}-{NG_STACK}-X",
                           changes=[c["ResourceChange"] for c in changes])
    root = ChangeSetView(label=STACK, arn=ROOT_CS, stack_name=STACK, changes=[
        change("Modify", NG_STACK, STACK_TYPE, replacement="False", nested=NG_CS)["ResourceChange"]])
    root.nested.append(nested)
    return root


def ng_replaced(*details: dict[str, Any], kind: str = "True") -> dict[str, Any]:
    return change("Modify", "ManagedNodeGroup", "AWS::EKS::Nodegroup", replacement=kind,
                  details=list(details) or [instance_types()])


# --------------------------------------------------------------------------- the rule on views


def test_a_nodegroup_replaced_under_its_own_name_is_blocked() -> None:
    found = replacement.blocked(view(ng_replaced()), templates_by_label(STACK, nodegroup_set()))
    assert len(found) == 1
    lines = found[0].lines()
    assert lines[0] == (
        "myeks/NodegroupNgStack: ManagedNodeGroup (AWS::EKS::Nodegroup) would be replaced because of "
        "Properties.InstanceTypes, and its NodegroupName 'ng' stays the same: CloudFormation creates the "
        "replacement before deleting the old one and cannot replace a custom-named resource, so the update "
        "would fail and roll back")
    assert "add a nodegroup under a new name" in lines[1]


def test_a_conditional_replacement_is_blocked_too() -> None:
    found = replacement.blocked(view(ng_replaced(instance_types("Conditionally"), kind="Conditional")),
                                templates_by_label(STACK, nodegroup_set()))
    assert [f.replacement.replacement for f in found] == ["Conditional"]
    assert "may be replaced (Replacement: Conditional)" in found[0].lines()[0]


def test_a_replacement_that_renames_the_resource_can_succeed() -> None:
    assert replacement.blocked(view(ng_replaced(instance_types(), renamed())),
                               templates_by_label(STACK, nodegroup_set())) == []


@pytest.mark.parametrize(("role_name", "blocked"), [(None, False), ("my-node-role", True)])
def test_a_role_is_blocked_only_when_the_template_names_it(role_name: str | None, blocked: bool) -> None:
    role = change("Modify", "NodeInstanceRole", "AWS::IAM::Role", replacement="True", details=[
        {"Target": {"Attribute": "Properties", "Name": "Path", "RequiresRecreation": "Always"}}])
    found = replacement.blocked(view(role), templates_by_label(STACK, nodegroup_set(role_name=role_name)))
    assert bool(found) is blocked


def test_without_the_template_always_named_types_are_judged_by_type() -> None:
    """scale runs on the deployed template, which it does not hold."""
    role = change("Modify", "NodeInstanceRole", "AWS::IAM::Role", replacement="True")
    found = replacement.blocked(view(ng_replaced(), role), None)
    assert [f.replacement.logical_id for f in found] == ["ManagedNodeGroup"]
    assert "its NodegroupName (fixed by the template)" in found[0].lines()[0]


def test_in_place_changes_are_not_blocked() -> None:
    scaling = change("Modify", "ManagedNodeGroup", "AWS::EKS::Nodegroup", replacement="False")
    assert replacement.blocked(view(scaling), templates_by_label(STACK, nodegroup_set())) == []


# --------------------------------------------------------------------------- through deploy


def _update_with(stubs: Stubs, rs: RenderedSet, *ng_changes: dict[str, Any]) -> None:
    pkg = package.plan_package(rs, bucket=BUCKET, prefix="eks-templates/myeks",
                               url_for=lambda b, k: package.object_url(b, k, region=REGION,
                                                                       dns_suffix="amazonaws.com"))
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_COMPLETE", params={SCALING: "2,2,4"}, tags={},
                                                           protection=True)), {"StackName": STACK})
    stubs.cfn.add_response("get_template", {"TemplateBody": json.dumps({"Resources": {}})},
                           {"StackName": STACK, "TemplateStage": "Original"})
    stubs["s3"].add_response("head_bucket", {}, {"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT})
    stubs["s3"].add_response("head_object", {}, {"Bucket": BUCKET, "Key": pkg.children[0].key,
                                             "ExpectedBucketOwner": ACCOUNT})
    stubs.cfn.add_response("create_change_set", {"Id": ROOT_CS, "StackId": STACK_ID}, {
        "StackName": STACK, "ChangeSetName": "eks-templates-20260101-120000", "ChangeSetType": "UPDATE",
        "Parameters": ANY, "Capabilities": ANY, "IncludeNestedStacks": True,
        "ClientToken": "eks-templates-20260101-120000", "TemplateBody": ANY, "Tags": ANY, "Description": ANY})
    root_changes = [change("Modify", NG_STACK, STACK_TYPE, replacement="False", nested=NG_CS)]
    stubs.cfn.add_response("describe_change_set", change_set(ROOT_CS, *root_changes), {"ChangeSetName": ROOT_CS})
    stubs.cfn.add_response("describe_change_set", change_set(ROOT_CS, *root_changes), {"ChangeSetName": ROOT_CS})
    stubs.cfn.add_response("describe_change_set", change_set(
        NG_CS, *ng_changes, stack_name=f"{STACK}-{NG_STACK}-X"), {"ChangeSetName": NG_CS})


@pytest.mark.parametrize("opts", [Options(yes=True), Options(yes=True, allow_replacement=True),
                                  Options(no_execute=True)], ids=["deploy", "allow-replacement", "no-execute"])
def test_deploy_refuses_before_executing_and_deletes_the_change_set(opts: Options) -> None:
    stubs = Stubs("cloudformation", "s3")
    rs = nodegroup_set()
    _update_with(stubs, rs, ng_replaced())
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    ui = make_ui()
    with pytest.raises(UserError) as info:
        deploy(stubs.context(ui=ui), config(), opts, rendered=rs)
    stubs.verify()  # no set_stack_policy (relax), no execute_change_set
    lines = info.value.messages
    assert lines[0] == ("this change set cannot succeed: 1 custom-named resource(s) would be replaced under "
                        "the same name")
    assert lines[1].startswith("myeks/NodegroupNgStack: ManagedNodeGroup (AWS::EKS::Nodegroup) would be replaced")
    assert lines[-1].startswith("nothing was changed; --allow-replacement does not help here")
    assert "! myeks/NodegroupNgStack  ManagedNodeGroup  AWS::EKS::Nodegroup  Replacement: True" in output(ui)


def test_plan_shows_the_change_set_then_refuses() -> None:
    stubs = Stubs("cloudformation", "s3")
    rs = nodegroup_set()
    _update_with(stubs, rs, ng_replaced())
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    ui = make_ui()
    with pytest.raises(UserError, match="cannot succeed"):
        deploy(stubs.context(ui=ui), config(), Options(), plan_only=True, rendered=rs)
    stubs.verify()
    assert "REPLACEMENTS (deleted and created again" in output(ui)


# --------------------------------------------------------------------------- the table


def _golden_resources() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in sorted((REPO / "tests" / "golden").glob("*/*.json")):
        template = json.loads(path.read_text("utf-8"))
        for logical_id, resource in (template.get("Resources") or {}).items():
            found.append((f"{path.parent.name}/{path.name}:{logical_id}", resource["Type"],
                          resource.get("Properties") or {}))
    return found


def _schema(resource_type: str) -> dict[str, Any]:
    import cfnlint

    root = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((root / "providers" / "us-east-1.json").read_text("utf-8"))
    return dict(json.loads((root / "resources" / f"{index[resource_type]}.json").read_text("utf-8")))


def test_every_name_our_templates_set_is_in_the_table() -> None:
    """A writable primaryIdentifier given as a name (not another resource's Ref), or a
    property called *Name that is the resource's own, set in a golden template, must be
    in NAME_PROPERTIES: else its replacement would not be caught."""
    not_names = {"PolicyName", "ClusterName"}  # an inline policy's key; the parent's name
    missing = set()
    for where, rtype, props in _golden_resources():
        schema = _schema(rtype)
        read_only = {p.rsplit("/", 1)[-1] for p in schema.get("readOnlyProperties", [])}
        identifiers = {p.rsplit("/", 1)[-1] for p in schema.get("primaryIdentifier", [])} - read_only
        named = {p for p in props if p.endswith("Name") and p not in not_names}
        for prop in (identifiers | named) - not_names:
            value = props.get(prop)
            if value is None or (isinstance(value, dict) and set(value) <= {"Ref", "Fn::GetAtt"}):
                continue  # absent, or another resource's id (RouteTableId, VpcId), not a name
            if replacement.NAME_PROPERTIES.get(rtype) != prop:
                missing.add((rtype, prop, where))
    assert missing == set()


def test_always_named_types_are_named_in_every_golden_template() -> None:
    for where, rtype, props in _golden_resources():
        if rtype in replacement.ALWAYS_NAMED:
            assert replacement.NAME_PROPERTIES[rtype] in props, where
