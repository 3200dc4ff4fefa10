"""The one place that makes the boto3 session and clients.

It honours ``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION`` and
``AWS_ENDPOINT_URL`` (or an explicit endpoint override), and gives every client
botocore's adaptive retry mode, so throttling on a busy account is retried with
back-off instead of failing a deploy half way.

Region: the stack file's ``metadata.region`` is where the cluster lives (its
templates name that region's zones). An ``AWS_REGION`` that says otherwise is a
mistake we refuse; ``AWS_DEFAULT_REGION`` is only a default, so the file wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from eks_templates.config.regions import dns_suffix, partition_of
from eks_templates.errors import UserError

#: botocore retries: adaptive mode adds client-side rate limiting to the standard
#: exponential back-off, which is what a long event-polling loop wants.
RETRIES: dict[str, Any] = {"mode": "adaptive", "max_attempts": 10}
#: seconds to open a connection (botocore's default is 60, and it retries that 10 times)
CONNECT_TIMEOUT = 2.0
#: seconds for a response to start; the slowest call we make answers in about a second
#: on AWS (CloudFormation is asynchronous) and a few on the sandbox (ExecuteChangeSet runs
#: the whole stack before it answers)
READ_TIMEOUT = 20.0
#: the same for an endpoint on this machine (the sandbox: its ExecuteChangeSet creates every
#: nested stack before it answers, which took over 20 s on a loaded 2-core machine)
LOOPBACK_READ_TIMEOUT = 120.0
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: attempts for a call whose connection fails (refused, unreachable, reset): an endpoint
#: that is down is reported within about 10 s (3 x 2 s + back-off) instead of retried for
#: minutes; throttling and 5xx answers keep the full adaptive RETRIES. A read timeout is
#: not retried (an endpoint that accepted and went silent rarely answers a second time).
CONNECT_ATTEMPTS = 3

def normalize_endpoint(url: str) -> str:
    """Local endpoints with host ``127.0.0.1`` become ``localhost``: moto reads a
    ``127.0.0.1`` host as the S3 bucket "127" (see reference/moto-facts.md)."""
    parts = urlsplit(url.strip())
    if parts.hostname == "127.0.0.1":
        netloc = "localhost" + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts).rstrip("/")


def check_endpoint(url: str, source: str) -> None:
    """An endpoint botocore can use: http(s), with a host. botocore raises a bare
    ``ValueError: Invalid endpoint`` for ``localhost:4566`` (no scheme) at the first client."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # a port that is not a number
        usable = False
    if not usable:
        example = f"http://{text}" if "://" not in text else "http://localhost:5000"
        raise UserError(f"{source}: {text!r} is not an endpoint URL: write it with http:// or https:// and a "
                        f"host, e.g. {example}")


def resolve_region(file_region: str | None, env: Mapping[str, str] | None = None) -> str:
    """The region to work in: the stack file's, checked against the environment."""
    env = os.environ if env is None else env
    explicit = env.get("AWS_REGION", "").strip()
    default = env.get("AWS_DEFAULT_REGION", "").strip()
    if file_region:
        if explicit and explicit != file_region:
            raise UserError(
                f"AWS_REGION is {explicit} but the stack file's metadata.region is {file_region}; "
                f"the templates are rendered for {file_region}. Unset AWS_REGION or change metadata.region"
            )
        return file_region
    region = explicit or default
    if not region:
        raise UserError("no region: set metadata.region in the stack file, or AWS_REGION")
    return region


@dataclass
class Aws:
    """A boto3 session for one region, with an optional endpoint override.

    ``client(name)`` returns one cached client per service, so a test can attach a
    botocore ``Stubber`` to ``aws.client("cloudformation")`` before the code under test
    asks for it.
    """

    session: Any  # boto3.Session (kept untyped: boto3 has no bundled stubs)
    region: str
    endpoint_url: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _account: str | None = field(default=None, repr=False)

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    @property
    def dns_suffix(self) -> str:
        return dns_suffix(self.partition)

    @property
    def read_timeout(self) -> float:
        from urllib.parse import urlsplit

        host = urlsplit(self.endpoint_url).hostname if self.endpoint_url else None
        return LOOPBACK_READ_TIMEOUT if host in LOOPBACK_HOSTS else READ_TIMEOUT

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            config = Config(retries=dict(RETRIES), connect_timeout=CONNECT_TIMEOUT, read_timeout=self.read_timeout)
            kwargs: dict[str, Any] = {"region_name": self.region, "config": config}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            client = self.session.client(service, **kwargs)
            from eks_templates.deploy import aws_errors

            aws_errors.instrument(client, connect_attempts=CONNECT_ATTEMPTS)
            self._clients[service] = client
        return self._clients[service]

    def account_id(self) -> str:
        if self._account is None:
            from botocore.exceptions import BotoCoreError, ClientError

            from eks_templates.deploy import aws_errors

            try:
                self._account = str(self.client("sts").get_caller_identity()["Account"])
            except (ClientError, BotoCoreError) as exc:
                known = aws_errors.known(exc)
                if known is not None:
                    raise known from None
                raise UserError(f"cannot find the AWS account of these credentials: {exc}") from None
        return self._account

    def s3_endpoint_override(self) -> str | None:
        """The S3 endpoint when it is not AWS's own (moto, LocalStack, a VPC endpoint
        given by AWS_ENDPOINT_URL_S3): template URLs are then built path-style from it."""
        endpoint = str(self.client("s3").meta.endpoint_url or "")
        host = urlsplit(endpoint).hostname or ""
        if not endpoint or host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn"):
            return None
        if host.endswith(f".{self.dns_suffix}"):
            return None
        return normalize_endpoint(endpoint)


def make_aws(
    file_region: str | None,
    *,
    profile: str | None = None,
    endpoint_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Aws:
    """The session the commands use. ``profile``/``endpoint_url`` default to
    ``AWS_PROFILE``/``AWS_ENDPOINT_URL``; the region comes from :func:`resolve_region`."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    from eks_templates.deploy import aws_errors

    env = os.environ if env is None else env
    region = resolve_region(file_region, env)
    profile = profile or env.get("AWS_PROFILE") or None
    endpoint = endpoint_url or env.get("AWS_ENDPOINT_URL") or None
    if endpoint:
        check_endpoint(endpoint, "--endpoint-url" if endpoint_url else "AWS_ENDPOINT_URL")
    for name in sorted(env):
        if name.startswith("AWS_ENDPOINT_URL_") and env[name].strip():  # botocore's per-service override
            check_endpoint(env[name], name)
    aws_errors.use_profile(profile)
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as exc:
        raise UserError(str(exc)) from None
    return Aws(session=session, region=region, endpoint_url=normalize_endpoint(endpoint) if endpoint else None)
