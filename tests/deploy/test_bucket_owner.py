"""The template bucket's name taken by another account ("bucket sniping"): deploy
refuses before it writes anything, because every S3 call names the expected owner and
the sandbox answers as S3 does (sandbox/s3_owner.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support import REPO, run_cli

from .fakes import ACCOUNT, REGION

OTHER = "111111111111"
BUCKET = f"eks-templates-{ACCOUNT}-{REGION}"


def _as_other_account(endpoint: str) -> Any:
    """An S3 client of another account (moto maps assumed-role credentials to the role's account)."""
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{OTHER}:role/sniper", RoleSessionName="sniper")["Credentials"]
    return boto3.client("s3", region_name=REGION, endpoint_url=endpoint, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


def test_sandbox_refuses_a_request_naming_another_owner(endpoint: str) -> None:
    theirs = _as_other_account(endpoint)
    theirs.create_bucket(Bucket="shared-name", CreateBucketConfiguration={"LocationConstraint": REGION})
    theirs.head_bucket(Bucket="shared-name", ExpectedBucketOwner=OTHER)
    mine = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    with pytest.raises(ClientError) as denied:
        mine.head_bucket(Bucket="shared-name", ExpectedBucketOwner=ACCOUNT)
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError, match="AccessDenied"):
        mine.put_object(Bucket="shared-name", Key="k", Body=b"x", ExpectedBucketOwner=ACCOUNT)
    assert "Contents" not in theirs.list_objects_v2(Bucket="shared-name")


def test_deploy_refuses_a_template_bucket_of_another_account_and_writes_nothing(tmp_path: Path,
                                                                                endpoint: str) -> None:
    theirs = _as_other_account(endpoint)
    theirs.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    stack_file = tmp_path / "sniped.yaml"
    text = (REPO / "stacks" / "myeks.yaml").read_text()
    stack_file.write_text(re.sub(r"(?m)^  name: myeks$", "  name: sniped", text))
    done = run_cli("deploy", str(stack_file), "--yes", "--poll", "0.1", env={"AWS_ENDPOINT_URL": endpoint})
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"error: S3 bucket {BUCKET} is not a bucket of account {ACCOUNT}" in done.stderr
    assert "nothing was written" in done.stderr and "Traceback" not in done.stderr
    assert "Contents" not in theirs.list_objects_v2(Bucket=BUCKET)
    cfn = boto3.client("cloudformation", region_name=REGION, endpoint_url=endpoint)
    assert [s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"] == []
