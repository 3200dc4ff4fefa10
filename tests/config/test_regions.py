"""The region table (eks_templates/config/regions.py) against botocore's endpoint data
and cfn-lint's zones, and an unknown region through the real CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eks_templates.config import regions
from tests.config.cases import stack_text
from tests.support import run_cli


def _botocore(kind: str) -> dict[str, object]:
    from botocore.loaders import create_loader

    return dict(create_loader().load_data(kind))


def test_every_botocore_region_is_in_the_table_with_its_partition() -> None:
    endpoints = _botocore("endpoints")
    theirs = {name: p["partition"] for p in endpoints["partitions"] for name in p["regions"]}  # type: ignore[attr-defined]
    ours = {r.name: r.partition for r in regions.REGIONS.values()}
    assert ours == theirs


def test_the_partitions_match_botocore() -> None:
    partitions = {p["id"]: p for p in _botocore("partitions")["partitions"]}  # type: ignore[attr-defined]
    assert set(regions.PARTITIONS) == set(partitions)
    for pid, (pattern, suffix) in regions.PARTITIONS.items():
        assert pattern == partitions[pid]["regionRegex"], pid
        assert suffix == partitions[pid]["outputs"]["dnsSuffix"], pid


def test_partition_of_a_region_outside_the_table_follows_the_patterns() -> None:
    assert regions.partition_of("cn-south-9") == "aws-cn"
    assert regions.partition_of("us-gov-north-1") == "aws-us-gov"
    assert regions.partition_of("us-isob-south-1") == "aws-iso-b"
    assert regions.partition_of("eusc-de-west-1") == "aws-eusc"
    assert regions.partition_of("eu-isoe-north-1") == "aws-iso-e"
    assert regions.partition_of("ap-northeast-9") == "aws"
    assert regions.partition_of("eusc-de-east-1") == "aws-eusc"  # table row


def test_zone_letters_cover_cfn_lints_zones() -> None:
    from cfnlint.helpers import AVAILABILITY_ZONES

    for name, zones in AVAILABILITY_ZONES.items():
        assert set(zones) <= set(regions.REGIONS[name].zones), name
    for region in regions.REGIONS.values():
        assert re.fullmatch(r"[a-z]+", region.zone_letters) and len(region.zone_letters) >= 2, region


def test_cfn_lint_can_lint_every_region_of_the_table() -> None:
    """A region in the table that cfn-lint does not support would crash lint
    (InvalidRegionException); me-south-1 has no provider schemas of its own there,
    and cfn-lint lints it with us-east-1's."""
    from cfnlint.helpers import REGIONS

    assert [name for name in regions.REGIONS if name not in REGIONS] == []


@pytest.mark.parametrize("command", ["lint", "render", "plan"])
def test_an_unknown_region_is_one_line_through_the_cli(command: str, tmp_path: Path) -> None:
    """`us-wset-2` rendered before and then crashed inside cfn-lint (lint, plan)."""
    stack = tmp_path / "typo.yaml"
    stack.write_text(stack_text({"metadata": {"region": "us-wset-2"}, "availabilityZones": None}))
    done = run_cli(command, str(stack), cwd=tmp_path,
                   env={"AWS_ENDPOINT_URL": "http://localhost:9", "AWS_REGION": ""})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{stack}: metadata.region: 'us-wset-2' is not an AWS region; did you mean 'us-west-2'?"]
    assert not (tmp_path / "build").exists()


def test_lint_set_refuses_an_unknown_region_instead_of_crashing_in_cfn_lint() -> None:
    from eks_templates.config import load_stack
    from eks_templates.errors import UserError
    from eks_templates.lint import lint_set
    from eks_templates.render import render_set

    rendered = render_set(load_stack(None, on_warning=None))  # the built-in myeks
    with pytest.raises(UserError, match="not an AWS region; did you mean 'us-west-2'"):
        lint_set(rendered, region="us-wset-2")
