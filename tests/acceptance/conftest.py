"""Targets for the acceptance scenario: a real account (opt-in) and the sandbox.

The real target is used only when ``EKS_TEMPLATES_ACCEPTANCE=1`` is set and the
credentials of the environment the tests were started in work (STS GetCallerIdentity);
otherwise its test is skipped with the reason. Its environment is the one captured
here at import, before the suite's autouse fixture fakes every AWS variable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from eks_templates.sandbox import server
from tests.acceptance.steps import Target, make_workdir

#: the environment pytest was started in (the autouse fake_aws_env fixture has not run yet)
REAL_ENV = dict(os.environ)
REGION = "ap-northeast-2"  # stacks/myeks.yaml's metadata.region
#: what the sandbox needs; nothing else from the test process is handed on
SANDBOX_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def real_account_or_skip() -> dict[str, str]:
    if REAL_ENV.get("EKS_TEMPLATES_ACCEPTANCE") != "1":
        pytest.skip("acceptance on a real account: set EKS_TEMPLATES_ACCEPTANCE=1 (it costs money: see README)")
    if REAL_ENV.get("AWS_ENDPOINT_URL"):
        pytest.skip("AWS_ENDPOINT_URL is set: the acceptance run is for a real account, not an endpoint override")
    if REAL_ENV.get("AWS_REGION", REGION) != REGION:
        pytest.skip(f"AWS_REGION is {REAL_ENV['AWS_REGION']}; the stacks are in {REGION}")
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    env = dict(REAL_ENV)
    try:
        session = boto3.Session(profile_name=env.get("AWS_PROFILE") or None, region_name=REGION)
        identity = session.client("sts").get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        pytest.skip(f"no working AWS credentials for the acceptance run: {exc}")
    print(f"acceptance run in account {identity['Account']} as {identity['Arn']}, region {REGION}")
    return env


@pytest.fixture()
def aws_target(tmp_path: Path) -> Target:
    env = real_account_or_skip()
    return Target(name="aws", env=env, region=REGION, workdir=make_workdir(tmp_path), compute=True,
                  command_timeout=75 * 60, settle_timeout=15 * 60, poll=15)


@pytest.fixture()
def sandbox_target(sandbox_endpoint: str, tmp_path: Path) -> Iterator[Target]:
    server.reset(sandbox_endpoint)
    env = {k: os.environ[k] for k in SANDBOX_ENV_KEEP if k in os.environ}
    env.update({"AWS_ENDPOINT_URL": sandbox_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    yield Target(name="sandbox", env=env, region=REGION, endpoint_url=sandbox_endpoint,
                 workdir=make_workdir(tmp_path), poll=0.0)
    server.reset(sandbox_endpoint)
