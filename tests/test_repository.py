"""What the repository tracks: no symbolic links (a committed link to a local virtual
environment replaced the checkov environment with a link to itself on checkout)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.support import REPO


def _tracked() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "ls-files", "-s"], cwd=REPO, capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def test_no_symbolic_link_is_tracked() -> None:
    links = [line.split("\t", 1)[1] for line in _tracked() if line.startswith("120000 ")]
    assert links == [], f"symbolic links tracked by git: {links}"


def test_virtual_environments_and_links_to_them_are_ignored() -> None:
    for name in (".venv", ".venv-checkov", ".venv-main"):
        result = subprocess.run(["git", "check-ignore", "-q", "--no-index", name], cwd=REPO)
        assert result.returncode == 0, f"{name} is not ignored"
