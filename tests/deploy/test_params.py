"""The stack file stays the truth: the scaling rule of deploy and scale, precisely."""

from __future__ import annotations

from eks_templates.deploy.params import (
    ParamChoice,
    deploy_choices,
    live_parameters,
    merge_scaling,
    normalize_value,
    scale_choices,
    template_dict,
    unchanged,
)

from .fakes import SCALING, root_template


def _choices(file: str, deployed_default: str | None, live: str | None, **extra: str) -> list[ParamChoice]:
    new_root = root_template(file)
    new_root["Parameters"]["Other"] = {"Type": "String", "Default": extra.get("other", "b")}
    deployed = None
    if deployed_default is not None:
        deployed = root_template(deployed_default)
        deployed["Parameters"]["Other"] = {"Type": "String", "Default": "a"}
    live_values = {} if live is None else {SCALING: live, "Other": "a"}
    return deploy_choices(new_root, scaling_keys=[SCALING], deployed_root=deployed, live=live_values)


def _scaling(choices: list[ParamChoice]) -> ParamChoice:
    return next(c for c in choices if c.key == SCALING)


def test_first_deploy_sends_the_file_values() -> None:
    choices = _choices("2,2,4", None, None)
    assert [c.api() for c in choices] == [
        {"ParameterKey": SCALING, "ParameterValue": "2,2,4"},
        {"ParameterKey": "Other", "ParameterValue": "b"},
    ]


def test_unchanged_file_keeps_the_live_value_set_by_scale() -> None:
    # deployed with 2,2,4; `scale --nodes 3 --max 6` made it 3,2,6; the file still says 2,2,4
    choice = _scaling(_choices("2,2,4", "2,2,4", "3,2,6"))
    assert choice.use_previous and choice.api() == {"ParameterKey": SCALING, "UsePreviousValue": True}
    assert "keeps the live desired/max" in choice.note and "2,2,4" in choice.note


def test_unchanged_file_and_unscaled_stack_is_use_previous_without_note() -> None:
    choice = _scaling(_choices("2,2,4", "2,2,4", "2,2,4"))
    assert choice.use_previous and choice.note == ""


def test_edited_file_wins() -> None:
    # the file's desired changed 2 -> 5: sent, although scale had set 3
    choice = _scaling(_choices("5,2,6", "2,2,4", "3,2,6"))
    assert (choice.use_previous, choice.value) == (False, "5,2,6")
    assert choice.note == ""


def test_only_the_edited_number_wins_the_others_stay_live() -> None:
    # scaled to desired 3 (max 6); then only maxSize edited in the file 4 -> 8
    choice = _scaling(_choices("2,2,8", "2,2,4", "3,2,6"))
    assert (choice.use_previous, choice.value) == (False, "3,2,8")
    assert "keeps the live desired" in choice.note


def test_live_desired_outside_the_new_file_range_is_clamped() -> None:
    # scaled to 6 of max 6; file's max edited 4 -> 5
    choice = _scaling(_choices("2,2,5", "2,2,4", "6,2,6"))
    assert choice.value == "5,2,5"
    assert "desired becomes 5" in choice.note


def test_impossible_mix_falls_back_to_the_file() -> None:
    # scaled with --max 3 (live 3,2,3); then the file's min edited 2 -> 4 (file 2,4,4):
    # min 4 from the file and max 3 kept live cannot go together, so the file's numbers are used
    merged, note = merge_scaling((2, 4, 4), (2, 2, 4), (3, 2, 3))
    assert merged == (2, 4, 4) and "file's 2,4,4 is used" in note


def test_other_parameters_are_sent_explicitly() -> None:
    other = next(c for c in _choices("2,2,4", "2,2,4", "2,2,4") if c.key == "Other")
    assert other.api() == {"ParameterKey": "Other", "ParameterValue": "b"}


def test_new_nodegroup_parameter_gets_the_file_value() -> None:
    choice = _scaling(_choices("2,2,4", None, None))
    assert choice.value == "2,2,4"


def test_scale_changes_one_parameter_and_keeps_the_rest() -> None:
    choices = scale_choices({SCALING: "2,2,4", "Other": "a", "Zones": "x,y"}, SCALING, "5,2,6")
    assert [c.api() for c in choices] == [
        {"ParameterKey": SCALING, "ParameterValue": "5,2,6"},
        {"ParameterKey": "Other", "UsePreviousValue": True},
        {"ParameterKey": "Zones", "UsePreviousValue": True},
    ]


def test_moto_list_repr_is_normalized() -> None:
    assert normalize_value("['3', '2', '6']") == "3,2,6"
    assert normalize_value("plain") == "plain"
    stack = {"Parameters": [{"ParameterKey": SCALING, "ParameterValue": "['3', '2', '6']"},
                            {"ParameterKey": "Ami", "ParameterValue": "/aws/ssm/x", "ResolvedValue": "ami-1"}]}
    assert live_parameters(stack) == {SCALING: "3,2,6", "Ami": "ami-1"}


def test_unchanged_detects_every_difference() -> None:
    live = {"A": "1", "B": "2"}
    assert unchanged([ParamChoice("A", "1"), ParamChoice("B", use_previous=True)], live)
    assert not unchanged([ParamChoice("A", "9"), ParamChoice("B", use_previous=True)], live)
    assert not unchanged([ParamChoice("A", "1")], live)  # B removed
    assert not unchanged([ParamChoice("A", "1"), ParamChoice("B", "2"), ParamChoice("C", "3")], live)


def test_template_dict_accepts_parsed_and_text_bodies() -> None:
    assert template_dict({"Resources": {}}) == {"Resources": {}}
    assert template_dict('{"Resources": {}}') == {"Resources": {}}
    assert template_dict("Resources: {}\n") == {"Resources": {}}
    assert template_dict(None) is None
