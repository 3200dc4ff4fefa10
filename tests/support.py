"""Helpers shared by the tests: repository paths and the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STACKS = sorted((REPO / "stacks").glob("*.yaml"))

def run_cli(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None,
            input_text: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m eks_templates ARGS`` in a subprocess, as a user runs it."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "eks_templates", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, input=input_text, timeout=timeout,
    )


def stack_with_nodegroups(count: int, directory: Path, name: str = "wide") -> Path:
    """stacks/myeks.yaml with its nodegroup repeated ``count`` times (ng-000, ng-001, ...)."""
    import yaml

    data = yaml.safe_load((REPO / "stacks" / "myeks.yaml").read_text())
    group = data["managedNodeGroups"][0]
    data["managedNodeGroups"] = [dict(group, name=f"ng-{i:03d}") for i in range(count)]
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path
