"""The library from outside the repository, as an installed package: ``examples/`` and
the README's library example run in a subprocess whose working directory is a fresh
temporary directory (no ``stacks/`` there, the repository not on ``sys.path``), and
their templates lint clean with cfn-lint."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support import REPO

EXAMPLE = REPO / "examples" / "eks_in_my_vpc.py"


def run_outside(script: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python SCRIPT`` from ``cwd``, importing eks_templates as installed (no PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def lint(text: str, directory: Path) -> list[str]:
    from cfnlint.api import ManualArgs, lint_by_config

    path = directory / "template.json"
    path.write_text(text)
    return [str(m) for m in lint_by_config(ManualArgs(templates=[str(path)], regions=["ap-northeast-2"]))]


def test_the_example_program_runs_from_outside_the_repository_and_lints_clean(tmp_path: Path):
    result = run_outside(EXAMPLE, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # examples/shop.yaml loads without a warning
    template: dict[str, Any] = json.loads(result.stdout)
    resources = template["Resources"]
    # its own network, passed to the builders as inputs
    assert resources["ControlPlaneSecurityGroup"]["Properties"]["VpcId"] == {"Ref": "ShopVpc"}
    subnets = resources["ControlPlane"]["Properties"]["ResourcesVpcConfig"]["SubnetIds"]
    assert subnets == [{"Ref": s} for s in ("ShopPublicA", "ShopPublicB", "ShopPrivateA", "ShopPrivateB")]
    assert "VPC" not in resources  # none of ours
    # two nodegroups, each with its own IDs
    groups = {k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::EKS::Nodegroup"}
    assert sorted(groups) == ["NodegroupBatchManagedNodeGroup", "NodegroupGeneralManagedNodeGroup"]
    assert {g["NodegroupName"] for g in groups.values()} == {"general", "batch"}
    assert all(g["Subnets"] == [{"Ref": "ShopPrivateA"}, {"Ref": "ShopPrivateB"}] for g in groups.values())
    assert {"NodegroupGeneralNodeInstanceRole", "NodegroupBatchNodeInstanceRole"} <= set(resources)
    assert template["Parameters"]["NodegroupBatchScaling"]["Default"] == "0,0,4"
    assert lint(result.stdout, tmp_path) == []


def _readme_library_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Using the builders in your own template"):]
    (block,) = re.findall(r"```python\n(.*?)```", section[:section.index("\n## ", 3)], flags=re.S)
    return block


def test_the_readmes_library_example_runs_from_outside_the_repository_and_lints_clean(tmp_path: Path):
    block = _readme_library_example()
    assert 'load_stack("myeks-private", project_dir="infra")' in block  # what the README says it needs
    (tmp_path / "infra" / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "stacks" / "myeks-private.yaml", tmp_path / "infra" / "stacks")
    script = tmp_path / "mine.py"
    script.write_text(block)
    result = run_outside(script, tmp_path)
    assert result.returncode == 0, result.stderr
    template = json.loads(result.stdout)
    types = {r["Type"] for r in template["Resources"].values()}
    assert {"AWS::EKS::Cluster", "AWS::EKS::Nodegroup", "AWS::EC2::LaunchTemplate"} <= types
    assert "AWS::EC2::VPC" not in types
    managed = template["Resources"]["NodegroupMyeksNodegroupManagedNodeGroup"]["Properties"]
    assert managed["ForceUpdateEnabled"] is True and managed["Subnets"] == {"Ref": "PrivateSubnetIds"}
    assert lint(result.stdout, tmp_path) == []
    # the README's transcript shows this run's first warning line, cut where it says so
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"\$ python mine.py > mine.json\n(warning: .*?) \.\.\.\n", readme)
    assert shown is not None and result.stderr.startswith(shown.group(1))


def test_a_stack_name_without_a_project_fails_with_one_line_from_anywhere(tmp_path: Path):
    (tmp_path / "stacks").mkdir()
    shutil.copy(REPO / "stacks" / "myeks.yaml", tmp_path / "stacks")  # there, but not named as the project
    script = tmp_path / "guess.py"
    script.write_text("from eks_templates import StackFileError, load_stack\n"
                      "try:\n    load_stack('myeks')\nexcept StackFileError as exc:\n    print(exc)\n")
    result = run_outside(script, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("myeks: a stack name needs the project whose stacks/ holds it")
