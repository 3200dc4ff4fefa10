"""Every file in tests/invalid/ is a stack file with one mistake; line 1 says which:
``# <yaml.path>: <what is wrong>`` (``(file)`` for problems with the file as a whole).

Each must be refused by the real CLI (``render FILE --out-dir DIR``): exit 2, the
path named on stderr in the ``<file>: <path>: <message>`` format, no traceback,
nothing on stdout, nothing written. The in-process test checks the same through
``load_stack``; the CLI runs all files in one subprocess (one start-up), and a few
also each through ``python -m eks_templates`` exactly as a user types it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eks_templates.config import load_stack
from eks_templates.errors import StackFileError
from tests.config.cases import TODAY
from tests.support import REPO, run_cli

CORPUS = REPO / "tests" / "invalid"
FILES = sorted(CORPUS.glob("*.yaml"))


def expected_path(file: Path) -> str:
    first = file.read_text("utf-8").splitlines()[0]
    assert first.startswith("# ") and ": " in first, f"{file.name}: line 1 must be '# <path>: <what is wrong>'"
    return first[2:].split(": ", 1)[0]


def names_the_path(lines: list[str], shown: str, path: str) -> bool:
    prefix = f"{shown}: " if path == "(file)" else f"{shown}: {path}: "
    return any(line.startswith(prefix) for line in lines)


def test_the_corpus_is_big_enough() -> None:
    assert len(FILES) >= 40


@pytest.mark.parametrize("file", FILES, ids=[f.stem for f in FILES])
def test_refused_in_process(file: Path) -> None:
    with pytest.raises(StackFileError) as caught:
        load_stack(str(file), today=TODAY, on_warning=None)
    lines = caught.value.messages
    assert names_the_path(lines, str(file), expected_path(file)), "\n".join(lines)
    assert all(line.startswith(f"{file}: ") for line in lines)


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict[str, object], Path]]:
    """Every corpus file through the real CLI, in one subprocess."""
    base = tmp_path_factory.mktemp("out")
    args: list[str] = []
    outs = {}
    for file in FILES:
        relative = str(file.relative_to(REPO))
        outs[relative] = base / file.stem
        args += [relative, str(outs[relative])]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(CORPUS / "_run_cli.py"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return {r["file"]: (r, outs[r["file"]]) for r in json.loads(done.stdout)}


@pytest.mark.parametrize("file", FILES, ids=[f.stem for f in FILES])
def test_refused_by_the_cli(file: Path, cli_results: dict[str, tuple[dict[str, object], Path]]) -> None:
    relative = str(file.relative_to(REPO))
    result, out_dir = cli_results[relative]
    stderr = str(result["stderr"])
    assert result["code"] == 2, stderr
    assert "Traceback" not in stderr
    assert result["stdout"] == ""
    assert names_the_path(stderr.splitlines(), relative, expected_path(file)), stderr
    assert not out_dir.exists()


@pytest.mark.parametrize("name", ["desired-above-max", "file-yaml-syntax", "unknown-key"])
def test_refused_by_python_dash_m(name: str, tmp_path: Path) -> None:
    """The exact command a user types, in its own process."""
    file = CORPUS / f"{name}.yaml"
    relative = str(file.relative_to(REPO))
    result = run_cli("render", relative, "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert names_the_path(result.stderr.splitlines(), relative, expected_path(file)), result.stderr
    assert not (tmp_path / "out").exists()


def test_desired_above_max_reads_as_documented() -> None:
    relative = "tests/invalid/desired-above-max.yaml"
    result = run_cli("render", relative, "--out-dir", os.devnull + "-never")
    assert result.stderr.splitlines() == [
        f"{relative}: managedNodeGroups[0].desiredCapacity: 5 is above maxSize 3; "
        "allowed: 0 <= minSize <= desiredCapacity <= maxSize, maxSize >= 1"
    ]
