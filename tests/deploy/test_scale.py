"""scale: one parameter through a change set on the previous template."""

from __future__ import annotations

import pytest

from eks_templates.deploy.flow import Options
from eks_templates.deploy.scale import new_size, scale
from eks_templates.errors import UserError

from .fakes import SCALING, STACK, STACK_ID, Stubs, change, change_set, config, cs_arn, make_ui, not_found, output
from .test_flow import executed, stack, stacks

CS = cs_arn()


def _deployed(stubs: Stubs, scaling: str = "2,2,4") -> None:
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_COMPLETE", params={
        SCALING: scaling, "ClusterVersion": "1.31"})), {"StackName": STACK})
    # no get_template: the parameters DescribeStacks returns are the template's


def test_scale_sends_one_parameter_with_the_previous_template() -> None:
    stubs = Stubs()
    _deployed(stubs)
    stubs.cfn.add_response("create_change_set", {"Id": CS, "StackId": STACK_ID}, {
        "StackName": STACK, "ChangeSetName": "eks-templates-20260101-120000", "ChangeSetType": "UPDATE",
        "UsePreviousTemplate": True,
        "Parameters": [{"ParameterKey": "ClusterVersion", "UsePreviousValue": True},
                       {"ParameterKey": SCALING, "ParameterValue": "5,2,6"}],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        "IncludeNestedStacks": True, "Description": "eks_templates scale ng to 5,2,6",
        "ClientToken": "eks-templates-20260101-120000",
    })
    scaling_change = change("Modify", "ManagedNodeGroup", "AWS::EKS::Nodegroup", replacement="False")
    stubs.cfn.add_response("describe_change_set", change_set(CS, scaling_change))
    stubs.cfn.add_response("describe_change_set", change_set(CS, scaling_change))
    executed(stubs)  # and no stack policy call: the templates did not change
    ui = make_ui()
    assert scale(stubs.context(ui=ui), config(), "ng", 5, Options(yes=True), maximum=6) == 0
    stubs.verify()
    out = output(ui)
    assert f"~ {SCALING}: 2,2,4 -> 5,2,6" in out
    assert "the stack file says ng is 2,2,4" in out and "keeps this new size" in out
    assert out.rstrip().endswith("ng: desired 5, min 2, max 6")


def test_same_size_is_nothing_to_do() -> None:
    stubs = Stubs()
    _deployed(stubs, "3,2,6")
    ui = make_ui()
    assert scale(stubs.context(ui=ui), config(), "ng", 3, Options(yes=True)) == 0
    stubs.verify()  # no change set
    assert "already has desired 3, min 2, max 6" in output(ui)


def test_unknown_nodegroup_lists_the_deployed_ones() -> None:
    stubs = Stubs()
    _deployed(stubs)
    with pytest.raises(UserError, match=r"nodegroup other is not in the deployed stack myeks.*deployed: ng"):
        scale(stubs.context(), config(), "other", 3, Options(yes=True))


def test_stack_not_deployed() -> None:
    stubs = Stubs()
    not_found(stubs.cfn, "describe_stacks")
    with pytest.raises(UserError, match="not deployed"):
        scale(stubs.context(), config(), "ng", 3, Options(yes=True))


def test_non_interactive_scale_without_yes_is_refused() -> None:
    stubs = Stubs()
    _deployed(stubs)
    stubs.cfn.add_response("create_change_set", {"Id": CS, "StackId": STACK_ID})
    stubs.cfn.add_response("describe_change_set", change_set(CS))
    stubs.cfn.add_response("describe_change_set", change_set(CS))
    stubs.cfn.add_response("delete_change_set", {}, {"ChangeSetName": CS})
    with pytest.raises(UserError, match="pass --yes"):
        scale(stubs.context(), config(), "ng", 3, Options())
    stubs.verify()


@pytest.mark.parametrize(("nodes", "minimum", "maximum", "expected"), [
    (3, None, None, (3, 2, 4)),
    (0, 0, None, (0, 0, 4)),
    (6, None, 6, (6, 2, 6)),
    (1, 1, 1, (1, 1, 1)),
])
def test_new_size(nodes: int, minimum: int | None, maximum: int | None, expected: tuple[int, int, int]) -> None:
    assert new_size((2, 2, 4), nodes, minimum, maximum) == expected


@pytest.mark.parametrize(("nodes", "minimum", "maximum", "message"), [
    (1, None, None, "below the minimum size 2; add --min 1"),
    (5, None, None, "above the maximum size 4; add --max 5"),
    (-1, None, None, "--nodes must be 0 or more"),
    (0, 0, 0, "--max must be at least 1"),
    (3, 5, 4, "min 5 is above max 4"),
])
def test_new_size_refuses(nodes: int, minimum: int | None, maximum: int | None, message: str) -> None:
    with pytest.raises(UserError, match=message):
        new_size((2, 2, 4), nodes, minimum, maximum)
