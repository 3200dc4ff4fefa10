"""A user of the sandbox, as the end-to-end tests play one: boto3 clients at the sandbox's
endpoint, and ``python -m eks_templates`` run from a work directory with the fake
credentials that `make sandbox` tells users to export."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import run_cli

REGION = "ap-northeast-2"
#: what `make sandbox` tells the user to export (besides AWS_ENDPOINT_URL)
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


@dataclass
class SandboxUser:
    url: str
    workdir: Path
    region: str = REGION

    @property
    def credentials(self) -> dict[str, str]:
        return {**CREDENTIALS, "AWS_DEFAULT_REGION": self.region}

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region, endpoint_url=self.url)

    def cli(self, *args: str, input_text: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``python -m eks_templates ARGS`` from the work directory, at the sandbox."""
        return run_cli(*args, cwd=self.workdir, env={"AWS_ENDPOINT_URL": self.url, **self.credentials},
                       input_text=input_text, timeout=timeout)


@dataclass
class Steps(SandboxUser):
    """A scenario of numbered steps, each a test that needs the ones before it."""

    passed: list[int] = field(default_factory=list)

    def begin(self, step: int) -> None:
        if self.passed != list(range(1, step)):
            missing = next(n for n in range(1, step) if n not in self.passed)
            pytest.fail(f"not run: step {missing} before it did not pass", pytrace=False)


def exited(done: subprocess.CompletedProcess[str], code: int) -> str:
    """stdout + stderr of a command that must exit ``code`` without a traceback."""
    text = f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.returncode == code, f"exit {done.returncode}, wanted {code}\n{text}"
    assert "Traceback" not in done.stderr, text
    return done.stdout + done.stderr
