"""The README's claims that code can check: its library example runs as written and
gives a template cfn-lint accepts; the commands and make targets it names exist."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from eks_templates.cli import COMMANDS
from tests.support import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_library_example_runs_and_lints_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (block,) = _python_blocks()
    monkeypatch.chdir(REPO)  # load_stack("myeks-private") reads stacks/
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    template = json.loads(out.getvalue())
    types = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::EKS::Cluster", "AWS::EKS::Nodegroup", "AWS::EC2::LaunchTemplate"} <= types
    path = tmp_path / "mine.json"
    path.write_text(out.getvalue())
    from cfnlint.api import ManualArgs, lint_by_config

    assert [str(m) for m in lint_by_config(ManualArgs(templates=[str(path)], regions=["ap-northeast-2"]))] == []


def test_every_command_in_the_table_exists():
    named = set(re.findall(r"^\| `([a-z]+) ", README, flags=re.M))
    assert named == set(COMMANDS)


def test_every_make_target_named_exists():
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    named = set(re.findall(r"`make ([a-z-]+)", README)) | set(re.findall(r"^make ([a-z-]+)", README, flags=re.M))
    assert named <= targets, named - targets
