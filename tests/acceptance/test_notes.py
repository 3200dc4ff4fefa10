"""The seed notes end to end (tests/acceptance/steps.py: notes()).

``test_notes_on_a_real_account`` runs everything on the account of your credentials
(opt-in, it costs money: README, "Acceptance run on a real account"). The sandbox run
is the same function in CI, with the steps that need real instances' software
skipped, and checks that only those were."""

from __future__ import annotations

import os

import pytest

from tests.acceptance import steps
from tests.acceptance.steps import Target


@pytest.mark.real_aws
def test_notes_on_a_real_account(aws_target: Target) -> None:
    try:
        seen = steps.notes(aws_target)
    except BaseException:
        # a failed run must not keep billing: delete what it made, unless asked to keep it
        if steps.leftovers(aws_target) and os.environ.get("EKS_TEMPLATES_ACCEPTANCE_KEEP") != "1":
            aws_target.cli("delete", steps.STACK, "--yes", "--force", check=False)
        left = steps.leftovers(aws_target)
        if left:
            print("LEFT IN THE ACCOUNT (python -m eks_templates delete myeks --yes --force):", ", ".join(left))
        raise
    assert aws_target.skipped == []
    assert len(seen["nodes"]) == 2 and len(seen["ssh"]) == 2
    assert seen["version"].startswith("v1.") and seen["private_version"] == seen["version"]


def test_notes_on_the_sandbox(sandbox_target: Target) -> None:
    seen = steps.notes(sandbox_target)
    assert sandbox_target.skipped == ["kubectl", "ssh", "version"]
    assert seen["endpoint"].startswith("https://")
    assert steps.leftovers(sandbox_target) == []


def test_leftovers_sees_what_a_deploy_leaves(sandbox_target: Target) -> None:
    """The 'nothing left' check is not vacuous: right after a deploy it lists the parts."""
    steps.deploy(sandbox_target)
    left = steps.leftovers(sandbox_target)
    assert "stack myeks" in left and "EKS cluster myeks" in left
    assert any(item.startswith("VPC vpc-") for item in left)
    assert any(item.startswith("instance i-") for item in left)  # the management host
    assert "log group /aws/eks/myeks/cluster" in left
    sandbox_target.cli("delete", "myeks", "--yes")


def test_the_real_run_skips_without_opting_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.acceptance import conftest

    monkeypatch.setattr(conftest, "REAL_ENV", {k: v for k, v in conftest.REAL_ENV.items()
                                               if k != "EKS_TEMPLATES_ACCEPTANCE"})
    with pytest.raises(pytest.skip.Exception, match="set EKS_TEMPLATES_ACCEPTANCE=1"):
        conftest.real_account_or_skip()
