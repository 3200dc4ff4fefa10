"""checkov (a third-party security scanner) over the rendered templates of every
``stacks/*.yaml``, nested and flat, plus the variants of test_cluster.py.

checkov pins an old boto3, so it lives in a virtual environment of its own,
``.venv-checkov`` (``make checkov-venv``); without it these tests are skipped.

Each set is scanned twice: as rendered, and with the pseudo parameters in ``Fn::Sub``
strings resolved (``${AWS::Partition}`` -> ``aws``, ...). checkov cannot read an ARN
that is still an intrinsic function, so its IAM checks would otherwise report nothing
for our partition-aware policies.

Every check passes; a check is skipped only where the stack file asks for what it
flags, with the reason in the resource's ``Metadata.checkov.skip[].comment``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from eks_templates.config import load_stack
from eks_templates.render import render_set, write_set
from tests.builders.test_cluster import VARIANTS, variant
from tests.support import REPO, STACKS

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"

pytestmark = pytest.mark.skipif(
    not CHECKOV.exists(),
    reason=f"checkov is not installed at {CHECKOV.relative_to(REPO)}: run `make checkov-venv` "
           "(it gets its own venv because it pins an old boto3)",
)

PSEUDO = {"${AWS::Partition}": "aws", "${AWS::Region}": "ap-northeast-2", "${AWS::AccountId}": "111122223333",
          "${AWS::URLSuffix}": "amazonaws.com", "${AWS::StackName}": "stack"}

#: the only skips the stacks may carry, each because the file asks for what it flags
EXPECTED_SKIPS = {
    # bastion.subnet: public (the notes' eksctl-host): the host has a public address
    "myeks": {("CKV_AWS_88", "ManagementHost")},
    "myeks-private": set(),
    "automode": set(),
    # wellKnownPolicies.awsLoadBalancerController: the controller's published policy, writes
    # constrained by tag conditions (the EBS CSI driver has the managed policy now)
    "platform": {("CKV_AWS_111", "PodIdentityKubeSystemAwsLoadBalancerControllerRole")},
}

#: a template checkov must fail: proves the scan sees our files and really checks them
CONTROL = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {"Open": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": "negative control",
        "SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                  "Description": "ssh from anywhere"}]}}},
}


def resolve(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            for name, literal in PSEUDO.items():
                text = text.replace(name, literal)
            return text if "${" not in text else value
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    return value


def write_resolved(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.json")):
        (target / path.name).write_text(json.dumps(resolve(json.loads(path.read_text())), indent=1))


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Render everything into one tree, run checkov once, group the results by set.

    Directories are named ``<set>.<mode>``: checkov's CKV_AWS_46 looks for 40-character
    runs of base64 letters in user data, and the file path it records there would be one
    with ``/`` separators only (a false positive that depends on where the tree lives)."""
    root = tmp_path_factory.mktemp("checkov")
    configs = {stack.stem: load_stack(str(stack), on_warning=None) for stack in STACKS}
    configs.update({f"variant-{name}": variant(name) for name in VARIANTS})
    for name, cfg in configs.items():
        for flat in (False, True):
            mode = "flat" if flat else "nested"
            write_set(render_set(cfg, flat=flat), root / f"{name}.{mode}")
            write_resolved(root / f"{name}.{mode}", root / f"{name}.{mode}-resolved")
    (root / "control").mkdir()
    (root / "control" / "open.json").write_text(json.dumps(CONTROL))
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
    result = subprocess.run(
        [str(CHECKOV), "-d", str(root), "--framework", "cloudformation", "-o", "json", "--skip-download"],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}): {result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    results = report["results"]
    by_set: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for kind in ("passed_checks", "failed_checks", "skipped_checks"):
        for check in results[kind]:
            name = Path(check["file_abs_path"]).relative_to(root).parts[0].split(".")[0]
            by_set[name][kind].append(check)
    return {"sets": by_set, "names": sorted(configs)}


def describe(checks: list[dict[str, Any]]) -> list[str]:
    return [f"{c['check_id']} {c['resource']} ({Path(c['file_abs_path']).name})" for c in checks]


def test_the_scan_really_checks(scan: dict[str, Any]):
    control = scan["sets"]["control"]
    assert {c["check_id"] for c in control["failed_checks"]} >= {"CKV_AWS_24"}
    for name in scan["names"]:
        assert len(scan["sets"][name]["passed_checks"]) > 40, f"checkov found little to check in {name}"


@pytest.mark.parametrize("stack", [s.stem for s in STACKS] + [f"variant-{v}" for v in sorted(VARIANTS)])
def test_no_check_fails(scan: dict[str, Any], stack: str):
    assert describe(scan["sets"][stack]["failed_checks"]) == []


@pytest.mark.parametrize("stack", [s.stem for s in STACKS] + [f"variant-{v}" for v in sorted(VARIANTS)])
def test_every_skip_has_a_reason(scan: dict[str, Any], stack: str):
    for check in scan["sets"][stack]["skipped_checks"]:
        assert (check.get("check_result") or {}).get("suppress_comment", "").strip(), describe([check])


@pytest.mark.parametrize("stack", sorted(EXPECTED_SKIPS))
def test_only_the_skips_the_stack_file_asks_for(scan: dict[str, Any], stack: str):
    skipped = {(c["check_id"], c["resource"].split(".", 1)[1]) for c in scan["sets"][stack]["skipped_checks"]}
    flat_ids = {(check, logical_id) for check, logical_id in EXPECTED_SKIPS[stack]}
    nested_ids = {(check, logical_id.removeprefix("NodegroupSystem")) for check, logical_id in EXPECTED_SKIPS[stack]}
    assert skipped == flat_ids | nested_ids


def test_every_stack_file_is_covered():
    assert {s.stem for s in STACKS} <= set(EXPECTED_SKIPS), "add the new stack file to EXPECTED_SKIPS"
