"""Render: byte-identical output, the built-in default equals stacks/myeks.yaml, the
set on disk."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from eks_templates.config import load_stack
from eks_templates.config.loader import default_text
from eks_templates.render import json_text, render_set, write_set
from tests.support import REPO


def _body(text: str) -> str:
    """The YAML without its leading comment block."""
    lines = text.splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines)


def test_builtin_default_is_stacks_myeks():
    assert _body(default_text()) == _body((REPO / "stacks" / "myeks.yaml").read_text())
    a = render_set(load_stack(None, on_warning=None))
    b = render_set(load_stack(str(REPO / "stacks" / "myeks.yaml"), on_warning=None))
    assert a.files == b.files


def test_rendering_twice_gives_identical_bytes():
    cfg = load_stack(None, on_warning=None)
    assert render_set(cfg).files == render_set(cfg).files
    assert render_set(cfg, flat=True).files == render_set(cfg, flat=True).files
    cfg2 = load_stack(None, on_warning=None)
    assert render_set(cfg).files == render_set(cfg2).files


def test_root_references_every_child_by_relative_file_name():
    rendered = render_set(load_stack(None, on_warning=None))
    root = json.loads(rendered.files[rendered.root])
    urls = sorted(r["Properties"]["TemplateURL"] for r in root["Resources"].values()
                  if r["Type"] == "AWS::CloudFormation::Stack")
    assert urls == sorted(rendered.children)
    assert rendered.root == "root.json"


def test_yaml_format_is_the_same_template():
    cfg = load_stack(None, on_warning=None)
    as_json = render_set(cfg)
    as_yaml = render_set(cfg, fmt="yaml")
    assert sorted(as_yaml.files) == sorted(n.replace(".json", ".yaml") for n in as_json.files)
    for name, text in as_json.files.items():
        data = json.loads(text)
        if name == as_json.root:
            for res in data["Resources"].values():
                if res["Type"] == "AWS::CloudFormation::Stack":
                    res["Properties"]["TemplateURL"] = res["Properties"]["TemplateURL"].replace(".json", ".yaml")
        assert yaml.safe_load(as_yaml.files[name.replace(".json", ".yaml")]) == data


def test_write_set_leaves_files_it_did_not_write(tmp_path: Path):
    """A template-like file no render recorded stays (the old code deleted every *.json)."""
    rendered = render_set(load_stack(None, on_warning=None))
    (tmp_path / "NodegroupGoneStack.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("keep me")
    written = write_set(rendered, tmp_path)
    assert sorted(p.name for p in written) == sorted(rendered.files)
    assert (tmp_path / "NodegroupGoneStack.json").read_text() == "{}"
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert not list(tmp_path.glob(".*.tmp"))


def test_json_text_is_json_dumps_byte_for_byte() -> None:
    """render.json_text replaces json.dumps(indent=2, sort_keys=True, ensure_ascii=False)
    on the render path (issue 17 item 5): the same text for every golden template and
    for the values it hands back to json.dumps."""
    golden = sorted((REPO / "tests" / "golden").rglob("*.json"))
    assert golden
    samples: list[object] = [json.loads(p.read_text("utf-8")) for p in golden]
    samples += [{}, [], {"a": []}, {"b": {}, "a": [1, True, False, None, "ü\n\"\\"]}, "x",
                {"f": 1.5, "n": [float("inf")]}, {1: "int key"}, [{"z": 1, "y": [{}]}]]
    for sample in samples:
        assert json_text(sample) == json.dumps(sample, indent=2, sort_keys=True, ensure_ascii=False)
