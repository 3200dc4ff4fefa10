"""The one place that makes sessions and clients: region, profile, endpoint, retries."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from eks_templates.deploy import session
from eks_templates.deploy.session import make_aws, resolve_region
from eks_templates.errors import UserError

from .fakes import REGION


def test_file_region_wins_over_aws_default_region() -> None:
    assert resolve_region("eu-west-1", {"AWS_DEFAULT_REGION": "us-east-1"}) == "eu-west-1"


def test_conflicting_aws_region_is_refused() -> None:
    with pytest.raises(UserError, match="AWS_REGION is us-east-1"):
        resolve_region("eu-west-1", {"AWS_REGION": "us-east-1"})
    assert resolve_region("eu-west-1", {"AWS_REGION": "eu-west-1"}) == "eu-west-1"


def test_region_from_environment_without_a_file_region() -> None:
    assert resolve_region(None, {"AWS_DEFAULT_REGION": "us-west-2"}) == "us-west-2"
    assert resolve_region(None, {"AWS_REGION": "us-east-2", "AWS_DEFAULT_REGION": "us-west-2"}) == "us-east-2"
    with pytest.raises(UserError, match="no region"):
        resolve_region(None, {})


@pytest.mark.parametrize(("region", "partition", "suffix"), [
    ("ap-northeast-2", "aws", "amazonaws.com"), ("cn-northwest-1", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-east-1", "aws-us-gov", "amazonaws.com"),
])
def test_partition(region: str, partition: str, suffix: str) -> None:
    aws = session.Aws(session=None, region=region)
    assert aws.partition == partition
    assert aws.dns_suffix == suffix


def test_clients_use_adaptive_retries_region_and_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
    aws = make_aws(REGION)
    cfn = aws.client("cloudformation")
    assert cfn is aws.client("cloudformation")  # one client per service
    assert cfn.meta.region_name == REGION
    assert cfn.meta.endpoint_url == "http://localhost:4566"
    # botocore stores max_attempts (retries) as total_max_attempts (first try + retries)
    assert cfn.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}


def test_unknown_profile_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nobody-has-this-profile")
    with pytest.raises(UserError, match="nobody-has-this-profile"):
        make_aws(REGION)


THROTTLED = (b'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error>'
             b'<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>'
             b'<RequestId>1</RequestId></ErrorResponse>')
OK = (b'<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
      b'<DescribeStacksResult><Stacks><member><StackId>arn:aws:cloudformation:ap-northeast-2:1:stack/s/1</StackId>'
      b'<StackName>s</StackName><CreationTime>2026-01-01T00:00:00Z</CreationTime>'
      b'<StackStatus>CREATE_COMPLETE</StackStatus></member></Stacks></DescribeStacksResult>'
      b'<ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></DescribeStacksResponse>')


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_throttling_is_retried_by_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ThrottlingException and then success: the call succeeds (the HTTP layer is
    replaced, so botocore's real adaptive retry handler runs)."""
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _: None)
    aws = make_aws(REGION)
    cfn = aws.client("cloudformation")
    sent: list[int] = []

    def respond(request: Any, **_: Any) -> AWSResponse:
        sent.append(1)
        if len(sent) == 1:
            return AWSResponse(request.url, 400, {}, _Raw(THROTTLED))
        return AWSResponse(request.url, 200, {}, _Raw(OK))

    cfn.meta.events.register("before-send.cloudformation.DescribeStacks", respond)
    result = cfn.describe_stacks(StackName="s")
    assert result["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert len(sent) == 2
    assert result["ResponseMetadata"]["RetryAttempts"] == 1
