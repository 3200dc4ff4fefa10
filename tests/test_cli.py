"""The real command line in a subprocess, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import REPO, run_cli, stack_with_nodegroups


def test_render_with_no_arguments_prints_the_default_root(tmp_path: Path):
    result = run_cli("render", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    root = json.loads(result.stdout)
    assert root["AWSTemplateFormatVersion"] == "2010-09-09"
    assert "ControlPlaneStack" in root["Resources"]  # network, groups, control plane (stack_plan)
    children = sorted(p.name for p in (tmp_path / "build" / "myeks").iterdir())
    assert "root.json" in children and "ControlPlaneStack.json" in children
    assert (tmp_path / "build" / "myeks" / "root.json").read_text() == result.stdout
    assert "Traceback" not in result.stderr


def test_render_by_name_uses_stacks_dir_and_is_byte_identical(tmp_path: Path):
    first = run_cli("render", "myeks", "--out-dir", str(tmp_path / "a"))
    second = run_cli("render", "myeks", "--out-dir", str(tmp_path / "b"))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()


def test_render_flat_is_one_template_without_nested_stacks(tmp_path: Path):
    result = run_cli("render", "--flat", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    flat = json.loads(result.stdout)
    assert "AWS::CloudFormation::Stack" not in {r["Type"] for r in flat["Resources"].values()}
    assert "VPC" in flat["Resources"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".eks-templates-manifest.json", "flat.json"]


def test_render_yaml_format(tmp_path: Path):
    result = run_cli("render", "--format", "yaml", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("AWSTemplateFormatVersion: '2010-09-09'")
    assert (tmp_path / "ControlPlaneStack.yaml").exists()


def test_bad_file_exits_2_without_traceback_or_output(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: x, region: ap-northeast-2}\n"
                   "managedNodeGroups:\n  - name: ng\n    desiredCapacity: many\n")
    out = tmp_path / "out"
    result = run_cli("render", str(bad), "--out-dir", str(out))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "managedNodeGroups[0].desiredCapacity" in result.stderr
    assert not out.exists()


def test_unknown_stack_name_lists_the_known_ones():
    result = run_cli("render", "no-such-stack")
    assert result.returncode == 2
    assert "stacks/no-such-stack.yaml: no such stack file" in result.stderr
    assert "myeks" in result.stderr
    assert result.stdout == ""


def test_lint_default_has_zero_findings():
    result = run_cli("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no findings" in result.stderr


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("render", "lint"):
        assert command in result.stdout


def test_stdout_is_the_only_template_output_so_redirect_works(tmp_path: Path):
    """`python -m eks_templates render > cluster.json` gives a valid template."""
    result = run_cli("render", cwd=tmp_path)
    (tmp_path / "cluster.json").write_text(result.stdout)
    assert json.loads((tmp_path / "cluster.json").read_text())["Resources"]
    assert REPO.exists()


def test_flat_over_the_resource_quota_is_a_clean_error(tmp_path: Path):
    path = stack_with_nodegroups(80, tmp_path)
    flat = run_cli("render", str(path), "--flat", "--out-dir", str(tmp_path / "flat"))
    assert flat.returncode == 2
    assert "Traceback" not in flat.stderr and flat.stdout == ""
    assert "Maximum number of resources 500 reached" in flat.stderr and "without --flat" in flat.stderr
    assert not (tmp_path / "flat").exists()
    nested = run_cli("render", str(path), "--out-dir", str(tmp_path / "nested"))
    assert nested.returncode == 0, nested.stderr


def test_the_written_directory_is_shown_with_one_trailing_slash():
    from eks_templates.commands.render import directory_text

    assert directory_text(Path("/")) == "/"  # `--out-dir /` said "wrote ... to //"
    assert directory_text(Path("build/myeks")) == "build/myeks/"
    assert directory_text("out/") == "out/"
