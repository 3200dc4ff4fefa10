"""YAML that crashed the loader (issue 11 item 2) and YAML merge keys. The named
cases also live in tests/invalid/ (run through the real CLI); these check the exact
lines and the bounds."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from eks_templates.config import parse_config
from eks_templates.config.loader import MAX_NODES, MAX_PROBLEMS
from eks_templates.errors import StackFileError
from tests.config.cases import SOURCE, TODAY

HEAD = ("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: test, region: ap-northeast-2}\n"
        "vpc: {publicAccessCIDRs: [203.0.113.0/24]}\n")


def problems(text: str) -> list[str]:
    with pytest.raises(StackFileError) as caught:
        parse_config(text, SOURCE, today=TODAY, on_warning=None)
    return caught.value.messages


def test_merge_keys_work_as_in_eksctl() -> None:
    """eksctl (go-yaml) merges `<<: *anchor`; an explicit key overrides a merged one."""
    config = parse_config(HEAD + (
        "managedNodeGroups:\n"
        "  - &defaults\n    name: a\n    instanceType: m5.large\n    desiredCapacity: 3\n    labels: {team: x}\n"
        "  - <<: *defaults\n    name: b\n    desiredCapacity: 1\n"
    ), SOURCE, today=TODAY, on_warning=None)
    a, b = config.managed_node_groups
    assert (b.name, b.instance_type, b.desired_capacity, b.labels) == ("b", "m5.large", 1, {"team": "x"})
    assert (a.name, a.desired_capacity) == ("a", 3)


def test_a_duplicate_explicit_key_next_to_a_merge_is_still_refused() -> None:
    [line] = problems(HEAD + "managedNodeGroups:\n  - &d {name: a}\n  - <<: *d\n    name: b\n    name: c\n")
    assert line.startswith(f"{SOURCE}: YAML syntax error at line 9, column 5: duplicate key 'name'")


def test_a_recursive_alias_is_reported_not_followed() -> None:
    """`&a [*a]` is a list holding itself: one problem, no RecursionError."""
    [line] = problems(HEAD + "availabilityZones: &a [*a]\n")
    assert line == f"{SOURCE}: availabilityZones[0]: a list is not a string"


def test_billion_laughs_is_bounded() -> None:
    """Aliases share one object: the schema looks one level into each, so time and
    memory stay small, and the output is capped at MAX_PROBLEMS lines."""
    text = HEAD + "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, 10):
        text += f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]\n"
    text += "availabilityZones: *a9\n"
    tracemalloc.start()
    start = time.monotonic()
    lines = problems(text)
    elapsed = time.monotonic() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 10 and peak < 50_000_000  # generous: the machine is shared
    assert len(lines) == 10 + 9  # x0..x9 unknown; the nine items of *a9 are lists, not strings


def test_the_output_is_capped() -> None:
    lines = problems(HEAD + "availabilityZones: [" + ", ".join(["1"] * 300) + "]\n")
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[-1] == f"{SOURCE}: 200 more problem(s) not shown"


def test_too_many_values_stop_the_parse_early() -> None:
    text = HEAD + "availabilityZones: [" + ",".join(["a"] * (MAX_NODES + 10)) + "]\n"
    [line] = problems(text)
    assert line.startswith(f"{SOURCE}: availabilityZones[") and "the file holds more than 50,000 values" in line


def test_control_character_names_line_column_and_path() -> None:
    [line] = problems(HEAD + "managedNodeGroups:\n  - name: ng\x07\n")
    assert line == (f"{SOURCE}: managedNodeGroups[0].name: control character U+0007 at line 6, column 13; YAML "
                    "does not allow it in a file: remove it (inside double quotes, write it as an escape such as \\t)")


def test_control_character_where_no_value_starts_has_no_path() -> None:
    [line] = problems("# a comment\x01\n" + HEAD)
    assert line.startswith(f"{SOURCE}: control character U+0001 at line 1, column 12; ")


def test_a_non_string_key_in_our_model_is_named_as_a_key() -> None:
    lines = problems(HEAD + "managedNodeGroups:\n  - name: ng\n    true: 1\n    null: 2\n    1.5: 3\n")
    assert [line.split(": ")[1] for line in lines] == [
        "managedNodeGroups[0].true", "managedNodeGroups[0].null", "managedNodeGroups[0].1.5"]
