"""The process's exit skips the interpreter's last cycle collections (cli.exit_without_collecting):
``gc.freeze`` is registered with ``atexit`` for the command line of the process, never
for a caller of ``main(argv)`` that goes on running."""

from __future__ import annotations

import atexit
import gc
import sys
from pathlib import Path

import pytest

from eks_templates import cli
from tests.support import run_cli


def _registered(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []
    monkeypatch.setattr(atexit, "register", lambda fn, *a, **k: calls.append(fn))
    return calls


def test_the_command_line_of_the_process_exits_without_collecting(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]):
    calls = _registered(monkeypatch)
    monkeypatch.setattr(sys, "argv", ["eks-templates", "render", "--out-dir", str(tmp_path)])
    assert cli.main() == 0
    assert calls == [gc.freeze]
    assert capsys.readouterr().out.startswith("{")


def test_a_caller_that_goes_on_is_left_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]):
    calls = _registered(monkeypatch)
    assert cli.main(["render", "--out-dir", str(tmp_path)]) == 0
    assert calls == []


def test_the_process_still_writes_everything_and_exits_cleanly(tmp_path: Path):
    result = run_cli("render", "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("}\n")
    assert "wrote 4 template(s)" in result.stderr and "Exception" not in result.stderr
    assert len([p for p in tmp_path.glob("*.json") if not p.name.startswith(".")]) == 4
    assert (tmp_path / ".eks-templates-manifest.json").is_file()
