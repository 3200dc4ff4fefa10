"""The versions table (config/versions.py): the calendar, the skew rule, the upgrade
steps, and the warning when the table itself is old. Every date here is fixed: no test
depends on the day it runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from eks_templates import cli
from eks_templates.commands import render as render_command
from eks_templates.config import versions


def test_the_table_is_sorted_ends_at_1_36_and_says_when_it_was_checked():
    names = [v.version for v in versions.VERSIONS]
    assert names == sorted(names, key=lambda n: versions.parse(n) or (0, 0))
    assert names[-1] == "1.36" == versions.DEFAULT_VERSION
    assert dt.date(2026, 12, 1) == versions.CHECKED
    assert "release calendar" in versions.SOURCE
    # every row: 14 months of standard support were already past, 12 more of extended
    for v in versions.VERSIONS:
        assert (v.end_of_extended_support - v.end_of_standard_support).days in (365, 366)


def test_calendar_rows_from_the_user_guide():
    assert versions.BY_VERSION["1.34"].end_of_standard_support == dt.date(2026, 12, 2)
    assert versions.BY_VERSION["1.35"].end_of_extended_support == dt.date(2028, 3, 27)
    assert versions.BY_VERSION["1.36"].end_of_standard_support == dt.date(2027, 8, 2)


@pytest.mark.parametrize(("current", "target", "steps"), [
    ("1.33", "1.35", ["1.34", "1.35"]),
    ("1.35", "1.36", ["1.36"]),
    ("1.35", "1.35", []),
    ("1.35", "1.33", []),
])
def test_upgrade_steps_are_one_minor_each(current, target, steps):
    assert versions.steps(current, target) == steps


@pytest.mark.parametrize(("node", "control", "problem"), [
    ("1.36", "1.36", None),
    ("1.33", "1.36", None),  # three minors older: allowed since 1.28 (version-skew policy)
    ("1.32", "1.36", "4 minor versions behind"),
    ("1.36", "1.35", "newer than the control plane"),
    ("1.22", "1.24", None),
    ("1.21", "1.24", "allows at most 2"),  # kubelet < 1.25: two minors
])
def test_kubelet_skew(node, control, problem):
    found = versions.skew_problem(node, control)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_stale_after_six_months_only():
    fresh = versions.CHECKED + dt.timedelta(days=versions.STALE_AFTER_DAYS)
    assert versions.stale_warning(fresh) is None
    stale = versions.stale_warning(fresh + dt.timedelta(days=1))
    assert stale is not None and stale.startswith("warning: the Kubernetes versions table")
    assert "last checked against the EKS release calendar on 2026-12-01" in stale


def _render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            day: dt.date, *extra: str) -> tuple[int, str]:
    monkeypatch.setattr(render_command, "today", lambda: day)
    code = cli.main(["render", "--out-dir", str(tmp_path / "out"), *extra])
    return code, capsys.readouterr().err


def test_render_warns_once_when_the_table_is_old_and_never_fails_on_it(tmp_path, monkeypatch, capsys):
    code, err = _render(tmp_path, monkeypatch, capsys, dt.date(2027, 7, 1))
    assert code == 0
    assert err.count("the Kubernetes versions table") == 1
    code, err = _render(tmp_path, monkeypatch, capsys, dt.date(2027, 7, 1), "--strict", "stacks/platform.yaml")
    assert code == 0 and err.count("the Kubernetes versions table") == 1


def test_render_says_nothing_while_the_table_is_fresh(tmp_path, monkeypatch, capsys):
    code, err = _render(tmp_path, monkeypatch, capsys, dt.date(2027, 1, 15))
    assert code == 0
    assert "versions table" not in err
