"""Lint: zero findings on every rendered template; the checks themselves can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eks_templates.config import load_stack
from eks_templates.lint import MAX_RESOURCES, lint_set, quota_findings, suppression_findings
from eks_templates.render import RenderedSet, render_set
from tests.support import STACKS


@pytest.mark.parametrize("stack", STACKS, ids=[s.stem for s in STACKS])
@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
def test_every_stack_lints_clean(stack: Path, flat: bool):
    config = load_stack(str(stack), on_warning=None)
    findings = lint_set(render_set(config, flat=flat), region=config.metadata.region)
    assert [str(f) for f in findings] == []


def _default() -> RenderedSet:
    return render_set(load_stack(None, on_warning=None))


def test_cfn_lint_checks_the_root_to_child_parameter_contract():
    rendered = _default()
    root = json.loads(rendered.files[rendered.root])
    root["Resources"]["ControlPlaneStack"]["Properties"]["Parameters"]["NoSuchParameter"] = "x"
    files = {**rendered.files, rendered.root: json.dumps(root, indent=2)}
    findings = lint_set(RenderedSet(rendered.stack_name, rendered.root, files))
    assert any(f.rule == "E3043" and "NoSuchParameter" in f.message for f in findings)


def test_a_suppression_without_a_reason_is_a_finding():
    rendered = _default()
    root = json.loads(rendered.files[rendered.root])
    del root["Resources"]["ControlPlaneStack"]["Metadata"]["EksTemplates"]
    findings = suppression_findings("root.json", json.dumps(root))
    assert [f.rule for f in findings] == ["S1001"]
    assert "W3002" in findings[0].message


def test_quota_checks():
    resources = {f"R{i}": {"Type": "AWS::SNS::Topic"} for i in range(MAX_RESOURCES + 1)}
    findings = quota_findings("big.json", json.dumps({"Resources": resources}))
    assert [f.rule for f in findings] == ["Q1002"]
    huge = json.dumps({"Resources": {"R": {"Type": "AWS::SNS::Topic",
                                           "Metadata": {"x": "y" * 1_000_001}}}})
    assert [f.rule for f in quota_findings("huge.json", huge)] == ["Q1001"]


def test_hard_coded_zone_would_be_reported():
    rendered = _default()
    child = json.loads(rendered.files["ControlPlaneStack.json"])
    child["Resources"]["SubnetPublicAPNORTHEAST2A"]["Properties"]["AvailabilityZone"] = "ap-northeast-2a"
    files = {**rendered.files, "ControlPlaneStack.json": json.dumps(child, indent=2)}
    findings = lint_set(RenderedSet(rendered.stack_name, rendered.root, files), region="ap-northeast-2")
    assert any(f.rule == "W3010" for f in findings)
