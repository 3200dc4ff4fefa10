"""Shared test set-up: fake AWS credentials and region (tests never reach AWS) and
the golden-file flag. Helpers shared by tests live in tests/support.py."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="rewrite tests/golden/ from the current render instead of comparing",
    )


@pytest.fixture(autouse=True)
def fake_aws_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach a real account: fake keys, a fixed region, no profile/endpoint.
    The one exception is marked ``real_aws`` (tests/acceptance/, skipped unless
    EKS_TEMPLATES_ACCEPTANCE=1 and real credentials work)."""
    if request.node.get_closest_marker("real_aws") is not None:
        yield
        return
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-2")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    yield


@pytest.fixture(autouse=True)
def program_name_reset() -> Iterator[None]:
    """A test that runs ``cli.main()`` as the console script (``sys.argv[0]`` patched)
    sets the program's name for the hints (eks_templates/program.py); the next test
    starts from ``python -m eks_templates`` again."""
    yield
    from eks_templates import program

    program.set_invoked(program.PYTHON_M)


@pytest.fixture(scope="session")
def sandbox_endpoint() -> Iterator[str]:
    """One local sandbox server (moto + the project's models) per test session, on a
    free port. Servers in one process share moto's state, so the suites share this one
    and reset it where they need a clean slate."""
    from eks_templates.sandbox import server

    srv, endpoint_url = server.start(0)
    try:
        yield endpoint_url
    finally:
        srv.stop()
