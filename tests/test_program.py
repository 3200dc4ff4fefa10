"""eks_templates/program.py: every next-step hint names the program as the user invoked
it: ``eks-templates`` when run as the console script, ``python -m eks_templates`` when run
as a module (decided once in ``cli.main`` from ``sys.argv[0]``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from eks_templates import cli, program

REPO = Path(__file__).resolve().parents[1]
#: the console script pyproject.toml's [project.scripts] installs beside the interpreter
CONSOLE_SCRIPT = Path(sys.executable).parent / "eks-templates"


def _upgrade_hint(tmp_path: Path, argv: list[str]) -> str:
    """The ``Next:`` hint ``upgrade`` prints (offline: it only edits the file)."""
    stack = tmp_path / "shop.yaml"
    # the notes' cluster on 1.34 (the default is the newest version, which has no next)
    stack.write_text((REPO / "stacks" / "myeks.yaml").read_text().replace(
        "  region: ap-northeast-2\n", '  region: ap-northeast-2\n  version: "1.34"\n', 1))
    done = subprocess.run([*argv, "upgrade", str(stack)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return next(line for line in done.stderr.splitlines() if line.startswith("Next: "))


@pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="the package is not installed with its console script")
def test_a_hint_of_the_console_script_names_eks_templates(tmp_path: Path) -> None:
    hint = _upgrade_hint(tmp_path, [str(CONSOLE_SCRIPT)])
    stack = tmp_path / "shop.yaml"
    assert hint == (f"Next: `eks-templates plan {stack}` shows the upgrade's steps, "
                    f"`eks-templates deploy {stack}` runs them.")


def test_a_hint_of_the_module_names_python_m(tmp_path: Path) -> None:
    hint = _upgrade_hint(tmp_path, [sys.executable, "-m", "eks_templates"])
    stack = tmp_path / "shop.yaml"
    assert hint == (f"Next: `python -m eks_templates plan {stack}` shows the upgrade's steps, "
                    f"`python -m eks_templates deploy {stack}` runs them.")


def test_main_decides_the_name_once_and_the_hints_use_it(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """In one process: the resume hint (commands/deploy.py) and a deploy-layer hint
    (deploy/stack_state.py) follow ``sys.argv[0]``; ``main(argv)`` called as a function is
    the module's name."""
    from eks_templates.commands.deploy import resume_command
    from eks_templates.deploy.stack_state import classify

    monkeypatch.setattr(sys, "argv", ["/opt/venv/bin/eks-templates", "render", "--help"])
    with pytest.raises(SystemExit):
        cli.main()
    capsys.readouterr()
    assert program.invoked() == "eks-templates"
    monkeypatch.setattr(sys, "argv", ["/opt/venv/bin/eks-templates", "deploy", "myeks", "--yes"])
    args = type("Args", (), {"stack": "myeks"})()
    assert resume_command(args, "deploy") == "eks-templates deploy myeks --yes"  # type: ignore[arg-type]
    state = classify("shop", {"StackName": "shop", "StackStatus": "DELETE_FAILED"})
    assert "eks-templates delete shop again" in state.reason
    with pytest.raises(SystemExit):
        cli.main(["render", "--help"])
    capsys.readouterr()
    assert program.command("drift", "myeks") == "python -m eks_templates drift myeks"
