"""Golden files: every stacks/*.yaml renders (nested and flat) to the files under
tests/golden/<stack>/. A difference fails with a diff; `pytest --update-golden`
(or `make golden`) rewrites them after a reviewed change."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from eks_templates.config import load_stack
from eks_templates.render import render_set
from tests.support import STACKS

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("stack", STACKS, ids=[s.stem for s in STACKS])
def test_golden(stack: Path, request: pytest.FixtureRequest):
    config = load_stack(str(stack), on_warning=None)
    files = dict(render_set(config).files)
    files.update(render_set(config, flat=True).files)
    target = GOLDEN / stack.stem
    if request.config.getoption("--update-golden"):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name, text in files.items():
            (target / name).write_text(text, encoding="utf-8")
        return
    assert target.is_dir(), f"no golden files for {stack.name}: run `make golden` and review the result"
    expected = {p.name: p.read_text(encoding="utf-8") for p in target.iterdir()}
    assert sorted(files) == sorted(expected), "the set of rendered files changed"
    for name, text in files.items():
        if text != expected[name]:
            diff = "".join(difflib.unified_diff(
                expected[name].splitlines(True), text.splitlines(True),
                f"golden/{stack.stem}/{name}", f"rendered/{name}", n=2))
            pytest.fail(f"{stack.stem}/{name} differs from its golden file "
                        f"(review, then `make golden`):\n{diff[:6000]}")
