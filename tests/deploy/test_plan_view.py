"""The plan text: per stack Add/Modify/Remove, REPLACEMENTS, parameter diff."""

from __future__ import annotations

from eks_templates.deploy.changeset import ChangeSetView
from eks_templates.deploy.params import ParamChoice
from eks_templates.deploy.plan_view import counts, format_plan, parameter_lines, replacements

from .fakes import SCALING, STACK, cs_arn


def _view() -> ChangeSetView:
    nested = ChangeSetView(label=f"{STACK}/ControlPlaneStack", arn=cs_arn(n=2), stack_name="myeks-ControlPlaneStack-X",
                           changes=[
                               {"Action": "Modify", "LogicalResourceId": "ControlPlane",
                                "ResourceType": "AWS::EKS::Cluster", "Replacement": "True",
                                "Details": [{"Target": {"Attribute": "Properties", "Name": "Name",
                                                        "RequiresRecreation": "Always"}}]},
                               {"Action": "Modify", "LogicalResourceId": "LogGroup",
                                "ResourceType": "AWS::Logs::LogGroup", "Replacement": "Conditional",
                                "Details": [{"Target": {"Attribute": "Properties", "Name": "LogGroupName",
                                                        "RequiresRecreation": "Conditionally"}},
                                            {"Target": {"Attribute": "Tags", "RequiresRecreation": "Never"}}]},
                               {"Action": "Add", "LogicalResourceId": "Addon", "ResourceType": "AWS::EKS::Addon"},
                               {"Action": "Remove", "LogicalResourceId": "Old", "ResourceType": "AWS::IAM::Role"},
                               {"Action": "Modify", "LogicalResourceId": "Sg",
                                "ResourceType": "AWS::EC2::SecurityGroup", "Replacement": "False"},
                           ])
    return ChangeSetView(label=STACK, arn=cs_arn(), stack_name=STACK, changes=[
        {"Action": "Modify", "LogicalResourceId": "ControlPlaneStack", "ResourceType": "AWS::CloudFormation::Stack",
         "Replacement": "False", "ChangeSetId": cs_arn(n=2)},
    ], nested=[nested])


def test_replacements_collects_true_and_conditional_with_causes() -> None:
    reps = replacements(_view())
    assert [(r.logical_id, r.replacement, r.causes) for r in reps] == [
        ("ControlPlane", "True", ("Properties.Name",)),
        ("LogGroup", "Conditional", ("Properties.LogGroupName",)),
    ]
    assert str(reps[0]).strip().startswith("! myeks/ControlPlaneStack  ControlPlane  AWS::EKS::Cluster")
    assert str(reps[1]).strip().startswith("? ")


def test_counts_skip_nested_stack_entries_with_their_own_change_set() -> None:
    assert counts(_view()) == {"Modify": 3, "Add": 1, "Remove": 1}


def test_format_plan_has_every_block() -> None:
    text = format_plan(_view(), change_set_type="UPDATE",
                       choices=[ParamChoice(SCALING, "3,2,6")], live={SCALING: "2,2,4"})
    lines = text.splitlines()
    assert lines[0] == "Change set eks-templates-20260101-120000 for stack myeks (UPDATE)"
    assert "myeks/ControlPlaneStack" in lines
    assert any(line.startswith("  + Add     Addon") for line in lines)
    assert any(line.startswith("  - Remove  Old") for line in lines)
    assert any(line.startswith("  ~ Modify  ControlPlane ") for line in lines)
    block = text.split("REPLACEMENTS")[1]
    assert "ControlPlane  AWS::EKS::Cluster  Replacement: True  because of Properties.Name" in block
    assert "Sg" not in block  # Replacement False is not a replacement
    assert f"  ~ {SCALING}: 2,2,4 -> 3,2,6" in lines
    assert lines[-1] == "Summary: 1 to add, 3 to modify, 1 to remove; 2 replacement(s)"


def test_no_replacements_and_no_parameter_changes_are_said() -> None:
    view = ChangeSetView(label=STACK, arn=cs_arn(), stack_name=STACK)
    text = format_plan(view, change_set_type="UPDATE", choices=[ParamChoice("A", use_previous=True)],
                       live={"A": "1"})
    assert "REPLACEMENTS: none" in text and "Parameters: no changes" in text and "(no changes)" in text


def test_parameter_lines() -> None:
    live = {"Kept": "1", "Changed": "a", "Gone": "x", SCALING: "3,2,6"}
    choices = [ParamChoice("Kept", "1"), ParamChoice("Changed", "b"), ParamChoice("New", "n"),
               ParamChoice(SCALING, use_previous=True, note="keeps the live desired; the file says 2,2,4")]
    assert parameter_lines(choices, live) == [
        "  ~ Changed: a -> b",
        "  + New: n",
        f"  = {SCALING}: 3,2,6 kept (keeps the live desired; the file says 2,2,4)",
        "  - Gone: x",
    ]
