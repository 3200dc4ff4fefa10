"""``make docs``: pdoc over the public API (docs/api.py) writes the reference and fails
on a public name without a docstring."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import REPO


def api_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_api", REPO / "docs" / "api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_docs_writes_the_reference_of_every_public_name(tmp_path: Path):
    out = tmp_path / "docs"
    result = subprocess.run([sys.executable, str(REPO / "docs" / "api.py"), "--out", str(out)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "missing docstring" not in result.stderr
    page = (out / "eks_templates.html").read_text(encoding="utf-8")
    import eks_templates

    for name in eks_templates.__all__:
        assert f'id="{name}"' in page, name
    # a builder's ports and options are on its page, from its docstring
    assert 'id="NodegroupBuilder.build"' in page and "Nodegroup&lt;Name&gt;Scaling" in page
    assert (out / "eks_templates" / "names.html").is_file() and (out / "index.html").is_file()
    assert not (out / "eks_templates" / "sandbox.html").exists()  # internals are not the API


def test_a_public_name_without_a_docstring_fails(monkeypatch: pytest.MonkeyPatch):
    api = api_module()
    from eks_templates.builders.nodegroup import NodegroupBuilder

    assert api.missing_docstrings(api.modules()) == []

    def undocumented(self: NodegroupBuilder) -> bool:
        return True

    def describe(self: NodegroupBuilder) -> str:
        return ""

    for function in (undocumented, describe):  # as if written in the builder's module
        function.__module__ = NodegroupBuilder.__module__
        function.__qualname__ = f"NodegroupBuilder.{function.__name__}"
    monkeypatch.setattr(NodegroupBuilder, "spot_only", property(undocumented), raising=False)
    monkeypatch.setattr(NodegroupBuilder, "describe", describe, raising=False)
    monkeypatch.setattr(NodegroupBuilder, "__doc__", None)
    assert api.missing_docstrings(api.modules()) == [
        "eks_templates.NodegroupBuilder", "eks_templates.NodegroupBuilder.describe",
        "eks_templates.NodegroupBuilder.spot_only"]
