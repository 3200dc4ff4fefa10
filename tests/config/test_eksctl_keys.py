"""Every key of eksctl's ClusterConfig (eksctl v0.230.0's schema, kept as data in
tests/config/data/eksctl_keys.json) is either taken by the loader or refused with a
line that names it as an eksctl key and says what to do instead — walked key by key
through the real loader — and docs/eksctl-keys.md is the table of those answers.
``pytest --update-golden`` rewrites the doc from the table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eks_templates.config import eksctl_keys
from eks_templates.config.eksctl_keys import REFUSED, key_path, refusal, supported
from eks_templates.config.problems import yaml_path
from tests.config.cases import BASE, SOURCE, merge, outcome
from tests.support import REPO

DATA = json.loads((Path(__file__).parent / "data" / "eksctl_keys.json").read_text("utf-8"))
KEYS: list[str] = DATA["keys"]
DOC = REPO / "docs" / "eksctl-keys.md"


def parts(path: str) -> list[str]:
    return path.replace("[]", ".[]").split(".")


def answered_by(path: str) -> str | None:
    """The refused key that answers ``path``: itself or the nearest refused ancestor."""
    split = parts(path)
    for end in range(len(split), 0, -1):
        prefix = ".".join(split[:end]).replace(".[]", "[]")
        if prefix in REFUSED:
            return prefix
    return None


def placed(path: str, value: Any) -> tuple[dict[str, Any], tuple[str | int, ...]]:
    """A stack-file fragment with ``value`` at ``path`` (list items and mapping keys
    filled in with a name), and the loader location of the key."""
    split = parts(path)
    loc: list[str | int] = []
    for part in split:
        loc.append(0 if part == "[]" else "a" if part == "*" else part)

    def build(i: int) -> Any:
        if i == len(split):
            return value
        part = split[i]
        if part == "[]":
            return [build(i + 1)]
        return {"a" if part == "*" else part: build(i + 1)}

    fragment = build(0)
    return fragment, tuple(loc)


def test_the_key_list_names_its_source() -> None:
    assert DATA["tag"] == eksctl_keys.EKSCTL_VERSION
    assert DATA["source"].endswith(f"/{DATA['tag']}/pkg/apis/eksctl.io/v1alpha5/assets/schema.json")
    assert len(DATA["commit"]) == 40
    assert len(KEYS) == len(set(KEYS)) > 500


def test_every_eksctl_key_is_supported_or_answered() -> None:
    missing = [k for k in KEYS if not supported(k) and answered_by(k) is None]
    assert missing == []


def test_the_table_answers_only_eksctl_keys_the_model_does_not_have() -> None:
    assert [k for k in REFUSED if k not in KEYS] == []
    assert [k for k in REFUSED if supported(k)] == []


def test_refused_keys_are_answered_below_supported_parents_only() -> None:
    # a refused key inside another refused key would never be reached by the loader
    nested = [k for k in REFUSED if "." in k and answered_by(k.rsplit(".", 1)[0]) is not None]
    assert nested == []


@pytest.mark.parametrize("path", KEYS)
def test_the_loader_answers_each_eksctl_key(path: str) -> None:
    if path in ("apiVersion", "kind", "metadata"):
        return  # in every file
    fragment, loc = placed(path, "x")
    errors, _ = outcome(fragment)
    answer = answered_by(path)
    if answer is None:
        # supported: the key is read (a wrong value may be refused, never the key)
        assert not any(f": {yaml_path(loc)}: unknown field" in e or "eksctl key" in e for e in errors), errors
        return
    where = yaml_path(placed(answer, "x")[1])
    mine = [e for e in errors if e.startswith(f"{SOURCE}: {where}: ")]
    assert mine == [f"{SOURCE}: {where}: {refusal(placed(answer, 'x')[1])}"], errors
    assert "is an eksctl key that eks-templates does not take" in mine[0]
    assert "unknown field" not in " ".join(errors) and "did you mean" not in " ".join(errors)


def test_ami_is_no_longer_taken_for_iam() -> None:
    errors, _ = outcome({"managedNodeGroups": [{"name": "ng", "instanceType": "t3.medium",
                                                 "instanceSelector": {"vCPUs": 2}}]})
    assert errors == [f"{SOURCE}: managedNodeGroups[0].instanceSelector: is an eksctl key that eks-templates "
                      "does not take: instance types are not chosen for you; list them in instanceTypes"]


def test_a_key_that_is_no_eksctl_key_still_gets_a_suggestion() -> None:
    errors, _ = outcome({"managedNodeGroups": [{"name": "ng", "instanceTyp": "t3.medium"}]})
    assert errors == [f"{SOURCE}: managedNodeGroups[0].instanceTyp: unknown field; did you mean 'instanceType'?"]


def test_key_path_follows_the_model() -> None:
    assert key_path(("managedNodeGroups", 3, "iam", "attachPolicyARNs")) == "managedNodeGroups[].iam.attachPolicyARNs"
    assert key_path(("vpc", "subnets", "private", "my-subnet", "foo")) == "vpc.subnets.private.*.foo"


# --------------------------------------------------------------------------- docs/eksctl-keys.md


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    lines = [
        "# Every eksctl key, answered",
        "",
        "<!-- Generated by tests/config/test_eksctl_keys.py from eks_templates/config/eksctl_keys.py and",
        "     tests/config/data/eksctl_keys.json; `pytest tests/config/test_eksctl_keys.py --update-golden`",
        "     rewrites it. Edit the table in eksctl_keys.py, not this file. -->",
        "",
        f"Every key of eksctl's `ClusterConfig` schema (eksctl [{DATA['tag']}]({DATA['source']}), commit",
        f"`{DATA['commit'][:12]}`, tagged {DATA['tagDate']}; {len(KEYS)} key paths) and what a stack file",
        "here does with it. **supported**: the loader reads it (README's defaults table says where a default",
        "differs from eksctl's). **refused**: `render` stops with `<file>: <path>: is an eksctl key that",
        "eks-templates does not take: <why>; <what to do>` (exit 2). A key inside a refused key is answered",
        "by that key. `[]` is a list item, `*` a mapping's own key.",
        "",
        "| eksctl key | here | why / what to do instead |",
        "|---|---|---|",
    ]
    for key in KEYS:
        answer = answered_by(key)
        if answer is None:
            lines.append(f"| `{key}` | supported | |")
        elif answer == key:
            why, instead = REFUSED[key]
            text = f"{why}; {instead}" if why else instead
            lines.append(f"| `{key}` | **refused** | {_escape(text)} |")
        else:
            lines.append(f"| `{key}` | refused with `{answer}` | |")
    return "\n".join(lines) + "\n"


def test_docs_eksctl_keys_is_the_table(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--update-golden"):
        DOC.write_text(table(), "utf-8")
    assert DOC.read_text("utf-8") == table(), "docs/eksctl-keys.md is stale: run with --update-golden"


def test_placed_builds_a_mapping_the_loader_reads() -> None:
    fragment, loc = placed("managedNodeGroups[].iam.attachPolicyARNs", ["arn"])
    assert merge(BASE, fragment)["managedNodeGroups"] == [{"iam": {"attachPolicyARNs": ["arn"]}}]
    assert loc == ("managedNodeGroups", 0, "iam", "attachPolicyARNs")
