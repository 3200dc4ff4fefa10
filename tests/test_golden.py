"""Golden files: every stacks/*.yaml renders (nested and flat) to the files under
tests/golden/<stack>/, and draws (`diagram`) to tests/golden_diagram/<stack>/diagram.dot
and .mmd; docs/myeks.svg and docs/myeks-private.svg are the pictures of today's render.
A difference fails with a diff; `pytest --update-golden` (or `make golden`) rewrites
them after a reviewed change."""

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


# --------------------------------------------------------------------------- diagram (issue 16)

GOLDEN_DIAGRAM = Path(__file__).parent / "golden_diagram"
#: stack files drawn: the repository's, and the existing-VPC strategy (no NetworkStack)
DIAGRAM_STACKS = [*STACKS, GOLDEN_DIAGRAM / "_inputs" / "existing-vpc.yaml"]
DOCS = Path(__file__).parent.parent / "docs"


def _drawn(stack: Path):
    from eks_templates import diagram

    config = load_stack(str(stack), on_warning=None)
    return diagram.from_rendered(render_set(config), config)


@pytest.mark.parametrize("stack", DIAGRAM_STACKS, ids=[s.stem for s in DIAGRAM_STACKS])
def test_golden_diagram(stack: Path, request: pytest.FixtureRequest):
    from eks_templates import diagram

    drawn = _drawn(stack)
    files = {"diagram.dot": diagram.to_dot(drawn), "diagram.mmd": diagram.to_mermaid(drawn)}
    target = GOLDEN_DIAGRAM / stack.stem
    if request.config.getoption("--update-golden"):
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name, text in files.items():
            (target / name).write_text(text, encoding="utf-8")
        return
    assert target.is_dir(), f"no golden diagram for {stack.name}: run `make golden` and review the result"
    assert sorted(p.name for p in target.iterdir()) == sorted(files)
    for name, text in files.items():
        expected = (target / name).read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                                f"golden_diagram/{stack.stem}/{name}", f"drawn/{name}", n=1))
            pytest.fail(f"{stack.stem}/{name} differs from its golden file (review, then `make golden`):\n"
                        f"{diff[:6000]}")


@pytest.mark.parametrize("name", ["myeks", "myeks-private"])
def test_docs_picture_is_current(name: str, request: pytest.FixtureRequest):
    """docs/<stack>.svg (in the README) is the picture of stacks/<stack>.yaml as it renders
    today: it names the sha256 of the DOT it was laid out from (`make diagram` redraws it)."""
    from eks_templates import diagram

    drawn = _drawn(Path(__file__).parent.parent / "stacks" / f"{name}.yaml")
    path = DOCS / f"{name}.svg"
    if request.config.getoption("--update-golden"):
        path.write_bytes(diagram.output(drawn, "svg"))
        return
    assert path.is_file(), f"{path} is missing: run `make diagram`"
    digest = diagram.source_hash(diagram.to_dot(drawn))
    assert f"{diagram.SOURCE_MARK}{digest}".encode() in path.read_bytes(), \
        f"{path} is not the picture of today's render: run `make diagram` and commit it"
