"""A stack deployed with another stack plan is recognised from its root's nested stacks."""

from __future__ import annotations

import json

import pytest

from eks_templates.config import load_stack, parse_config
from eks_templates.deploy.layout import moved_children, nested_stacks, refuse_other_layout
from eks_templates.errors import UserError
from eks_templates.render import render_set
from eks_templates.stack_plan import CRITICAL_PATH, ONE_PER_BUILDER
from tests.test_assembly import EXISTING


def _root(config, plan):
    rendered = render_set(config, plan=plan)
    return json.loads(rendered.files[rendered.root])


def test_the_earlier_layout_is_recognised_and_refused_with_the_way_out():
    cfg = load_stack(None, on_warning=None)
    old, new = _root(cfg, ONE_PER_BUILDER), _root(cfg, CRITICAL_PATH)
    assert {"NetworkStack", "SecurityStack", "ControlPlaneStack"} <= nested_stacks(old)
    assert moved_children(old, new) == ["NetworkStack", "SecurityStack"]
    with pytest.raises(UserError) as refused:
        refuse_other_layout("myeks", old, new)
    text = "\n".join(refused.value.messages)
    assert refused.value.messages[0].startswith("myeks was deployed with the earlier layout of child stacks")
    assert "nothing was changed" in refused.value.messages[0]
    assert "CreateStackRefactor" in text and "NAT gateway" in text


def test_the_same_layout_or_a_new_stack_goes_ahead():
    cfg = load_stack(None, on_warning=None)
    new = _root(cfg, CRITICAL_PATH)
    refuse_other_layout("myeks", None, new)  # a create
    refuse_other_layout("myeks", new, new)
    old = _root(cfg, ONE_PER_BUILDER)
    refuse_other_layout("myeks", old, old)  # a library caller that keeps the earlier plan


def test_going_back_to_the_earlier_layout_is_refused_too():
    cfg = load_stack(None, on_warning=None)
    old, new = _root(cfg, ONE_PER_BUILDER), _root(cfg, CRITICAL_PATH)
    assert moved_children(new, old) == ["NetworkStack", "SecurityStack"]
    with pytest.raises(UserError, match="an earlier layout"):
        refuse_other_layout("myeks", new, old)


def test_an_existing_vpc_moves_only_its_security_groups():
    cfg = parse_config(EXISTING, "byo.yaml", on_warning=None)
    old, new = _root(cfg, ONE_PER_BUILDER), _root(cfg, CRITICAL_PATH)
    assert "NetworkStack" not in nested_stacks(old)
    assert moved_children(old, new) == ["SecurityStack"]


def test_a_removed_nodegroup_is_not_a_layout_change():
    cfg = load_stack(None, on_warning=None)
    new = _root(cfg, CRITICAL_PATH)
    fewer = json.loads(json.dumps(new))
    del fewer["Resources"]["NodegroupMyeksNodegroupStack"]
    assert moved_children(new, fewer) == []
