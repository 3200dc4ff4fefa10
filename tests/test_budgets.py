"""Budgets that can be asserted without timing: what the render path imports, and
the CloudFormation quotas at 200 managed nodegroups. (Times are measured by
bench/run.py, which prints ratios; tests do not time things.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from eks_templates.config import load_stack
from eks_templates.lint import MAX_OUTPUTS, MAX_PARAMETERS, MAX_RESOURCES, MAX_S3_BYTES, quota_findings
from eks_templates.render import render_set
from tests.support import REPO, stack_with_nodegroups

HEAVY = ("boto3", "botocore", "cfnlint", "rich", "moto", "pydantic", "jsonschema")
#: what render no longer needs (issue 17 item 5): hashlib loads OpenSSL (_hashlib) and
#: blake2 for the manifest's SHA-256, which the built-in _sha256 computes alone; argparse's
#: help formatter imported shutil, and with it bz2 and lzma (eks_templates/help_format.py);
#: dataclasses compiled the methods of each of 14 value classes at every start (~1 ms a class),
#: which eks_templates/records.py's Record has in bytecode
NOT_NEEDED = ("hashlib", "_hashlib", "_blake2", "shutil", "bz2", "lzma", "dataclasses")

PROBE = """
import contextlib, io, json, sys
from eks_templates.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imported_by(*args: str) -> tuple[int, set[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True, text=True,
                            check=True)
    data = json.loads(result.stdout)
    return data["code"], {m.split(".")[0] for m in data["modules"]}


def test_render_never_imports_boto3_cfn_lint_rich_or_pydantic(tmp_path: Path):
    for args in (["render", "--out-dir", str(tmp_path / "a")],
                 ["render", "platform", "--flat", "--out-dir", str(tmp_path / "b")],
                 ["render", "--format", "yaml", "--out-dir", str(tmp_path / "c")]):
        code, roots = _imported_by(*args)
        assert code == 0
        assert roots.isdisjoint(HEAVY), f"{args}: {sorted(roots & set(HEAVY))}"
        assert roots.isdisjoint(NOT_NEEDED), f"{args}: {sorted(roots & set(NOT_NEEDED))}"


def test_the_probe_would_see_a_heavy_import(tmp_path: Path):
    """The probe is not blind: `lint` does import cfn-lint."""
    code, roots = _imported_by("lint")
    assert code == 0
    assert "cfnlint" in roots


def test_200_nodegroups_fit_every_quota(tmp_path: Path):
    path = stack_with_nodegroups(200, tmp_path)
    rendered = render_set(load_stack(str(path), on_warning=None))
    root = json.loads(rendered.files[rendered.root])
    assert len([r for r in root["Resources"].values() if r["Type"] == "AWS::CloudFormation::Stack"]) >= 200
    for name, text in rendered.files.items():
        assert quota_findings(name, text) == [], name
        body = json.loads(text)
        assert len(body.get("Resources", {})) <= MAX_RESOURCES
        assert len(body.get("Parameters", {})) <= MAX_PARAMETERS
        assert len(body.get("Outputs", {})) <= MAX_OUTPUTS
        assert len(text.encode()) <= MAX_S3_BYTES
