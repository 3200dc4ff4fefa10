"""AWS-side faults as one line each (deploy/aws_errors.py): no credentials, a stopped
endpoint, expired tokens, access denied, throttling past the retries, through every
command that talks to AWS."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from eks_templates import cli
from eks_templates.deploy import aws_errors, changeset, session
from eks_templates.deploy.session import make_aws
from tests.support import REPO, run_cli

from .fakes import REGION

STACK_FILE = str(REPO / "stacks" / "myeks.yaml")
#: every command that talks to AWS, with the arguments it needs
AWS_COMMANDS = {
    "plan": ["plan", STACK_FILE],
    "deploy": ["deploy", STACK_FILE, "--yes"],
    "outputs": ["outputs", STACK_FILE],
    "scale": ["scale", STACK_FILE, "myeks-nodegroup", "--nodes", "3", "--yes"],
    "delete": ["delete", STACK_FILE, "--yes"],
    "get-clusters": ["get", "clusters", "--region", REGION],
    "get-nodegroups": ["get", "nodegroups", STACK_FILE],
    "kubeconfig": ["kubeconfig", STACK_FILE, "--file", os.devnull],  # never reached: the stack is looked up first
}
#: the commands that do not render and lint first
NO_RENDER = ("outputs", "scale", "delete", "get-clusters", "get-nodegroups", "kubeconfig")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("warning:")]


@pytest.mark.parametrize("command", sorted(AWS_COMMANDS))
def test_stopped_endpoint_fails_fast_with_one_line(command: str) -> None:
    """Nothing listens on the port: one line naming the endpoint, exit 1, within ~10 s
    of AWS time (before: 30 s of botocore retries, then a traceback)."""
    port = _free_port()
    started = time.monotonic()
    done = run_cli(*AWS_COMMANDS[command], env={"AWS_ENDPOINT_URL": f"http://localhost:{port}"}, timeout=90)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = _error_lines(done.stderr)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: cannot reach http://localhost:{port}/") and "make sandbox" in lines[0]
    assert done.stdout == ""
    # plan and deploy render and lint first (a few seconds, more on a loaded machine)
    assert elapsed < (12 if command in NO_RENDER else 25), elapsed


def test_a_refused_connection_is_tried_three_times_not_eleven(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound itself: 3 attempts for a connection that fails, while throttling keeps
    the full adaptive budget (test_throttling_past_the_retries)."""
    from botocore.exceptions import EndpointConnectionError

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://localhost:{_free_port()}")
    cfn = make_aws(REGION).client("cloudformation")
    sent: list[int] = []
    cfn.meta.events.register("before-send.cloudformation", lambda **_: sent.append(1))
    with pytest.raises(EndpointConnectionError):
        cfn.describe_stacks(StackName="s")
    assert len(sent) == session.CONNECT_ATTEMPTS == 3
    assert cfn.meta.config.connect_timeout == session.CONNECT_TIMEOUT
    assert cfn.meta.config.read_timeout == session.LOOPBACK_READ_TIMEOUT  # a local endpoint: the sandbox
    assert make_aws(REGION, endpoint_url="https://cloudformation.example.com").read_timeout == session.READ_TIMEOUT


@pytest.mark.parametrize("command", sorted(AWS_COMMANDS))
def test_no_credentials_says_how_to_provide_them(command: str, tmp_path: Path) -> None:
    empty_config = tmp_path / "config"
    empty_credentials = tmp_path / "credentials"
    empty_config.write_text("")
    empty_credentials.write_text("")
    env = {"AWS_CONFIG_FILE": str(empty_config), "AWS_SHARED_CREDENTIALS_FILE": str(empty_credentials),
           # this machine has no instance metadata service to wait for
           "AWS_EC2_METADATA_DISABLED": "true"}
    cleared = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
               "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
               "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE")
    full = {k: v for k, v in os.environ.items() if k not in cleared} | env
    done = _run_with_env(AWS_COMMANDS[command], full)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = _error_lines(done.stderr)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("error: no AWS credentials found")
    for way in ("AWS_PROFILE", "aws configure", "AWS_ACCESS_KEY_ID", "aws sso login"):
        assert way in line, line
    assert done.stdout == ""


def _run_with_env(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The real CLI with exactly ``env`` (run_cli adds to the test's environment)."""
    env = dict(env, PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "eks_templates", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


# --------------------------------------------------------------------------- ClientError kinds


def _outputs_with(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: str,
                  message: str, *, status: int = 400) -> tuple[int, str]:
    """``outputs myeks`` through cli.main, with DescribeStacks answering ``code``."""
    aws = make_aws(REGION)
    cfn = aws.client("cloudformation")
    stubber = Stubber(cfn)
    stubber.add_client_error("describe_stacks", service_error_code=code, service_message=message,
                             http_status_code=status)
    stubber.activate()
    monkeypatch.setattr(session, "make_aws", lambda *a, **k: aws)
    code_out = cli.main(["outputs", STACK_FILE])
    err = capsys.readouterr().err
    return code_out, err


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException", "RequestExpired"])
def test_expired_credentials_say_refresh(code: str, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    status, err = _outputs_with(monkeypatch, capsys, code, "The security token included in the request is expired")
    assert status == 2
    (line,) = _error_lines(err)
    assert line.startswith("error: the AWS credentials have expired") and code in line
    assert "refresh" in line and "aws sso login" in line


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"])
def test_access_denied_names_the_action_and_aws_message(code: str, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    message = ("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
               "cloudformation:DescribeStacks on resource: arn:aws:cloudformation:...:stack/myeks/*")
    status, err = _outputs_with(monkeypatch, capsys, code, message, status=403)
    assert status == 1
    (line,) = _error_lines(err)
    assert line.startswith(f"error: AWS denied cloudformation:DescribeStacks ({code}): {message}")
    assert "need permission for cloudformation:DescribeStacks" in line


def test_access_denied_on_create_change_set_is_not_reworded() -> None:
    """changeset.create turns refusals into its own message, but not these kinds."""
    aws = make_aws(REGION)
    cfn = aws.client("cloudformation")
    with Stubber(cfn) as stubber:
        stubber.add_client_error("create_change_set", service_error_code="AccessDenied",
                                 service_message="not authorized to perform: cloudformation:CreateChangeSet",
                                 http_status_code=403)
        with pytest.raises(aws_errors.AwsFailure, match=r"AWS denied cloudformation:CreateChangeSet"):
            changeset.create(cfn, stack_name="s", name="eks-templates-1", change_set_type="CREATE",
                             parameters=[], template_args={"TemplateBody": "{}"})


def test_s3_access_denied_names_the_iam_action(monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = make_aws(REGION).client("s3")
    with Stubber(s3) as stubber:
        stubber.add_client_error("head_object", service_error_code="AccessDenied", service_message="Access Denied",
                                 http_status_code=403)
        with pytest.raises(Exception) as caught:
            s3.head_object(Bucket="b", Key="k")
    error = aws_errors.translate(caught.value)
    assert error is not None and error.exit_code == 1
    assert "AWS denied s3:GetObject (AccessDenied): Access Denied" in error.messages[0]


THROTTLED = (b'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error>'
             b'<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>'
             b'<RequestId>1</RequestId></ErrorResponse>')


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_throttling_past_the_retries(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Every attempt throttled: botocore's adaptive handler retries all 10 times (the
    connection bound does not cut throttling short), then one line says so."""
    import botocore.endpoint

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _: None)
    aws = make_aws(REGION)
    cfn = aws.client("cloudformation")
    sent: list[int] = []

    def respond(request: Any, **_: Any) -> AWSResponse:
        sent.append(1)
        return AWSResponse(request.url, 400, {}, _Raw(THROTTLED))

    cfn.meta.events.register("before-send.cloudformation.DescribeStacks", respond)
    monkeypatch.setattr(session, "make_aws", lambda *a, **k: aws)
    # the adaptive mode's client-side rate limiter sleeps too: make it instant
    import botocore.retries.adaptive as adaptive

    monkeypatch.setattr(adaptive.bucket.TokenBucket, "acquire", lambda self, *a, **k: True)
    status = cli.main(["outputs", STACK_FILE])
    err = capsys.readouterr().err
    assert status == 1
    assert len(sent) == 1 + session.RETRIES["max_attempts"]
    (line,) = _error_lines(err)
    assert line.startswith("error: AWS kept throttling cloudformation:DescribeStacks (Throttling) after 10 retries")
    assert "run the command again" in line


def test_any_other_aws_error_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    status, err = _outputs_with(monkeypatch, capsys, "InternalFailure", "We encountered an internal error",
                                status=400)
    assert status == 1
    assert _error_lines(err) == ["error: AWS refused cloudformation:DescribeStacks (InternalFailure): "
                                 "We encountered an internal error"]


def test_a_bug_is_not_dressed_up_as_an_aws_error() -> None:
    assert aws_errors.translate(ValueError("bug")) is None


def test_an_endpoint_that_accepts_and_stays_silent_is_not_retried(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A listening socket that never answers: one attempt, cut off by the read timeout
    (shortened here from LOOPBACK_READ_TIMEOUT's 120 s), then one line naming the endpoint."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody reads or answers
        port = silent.getsockname()[1]
        monkeypatch.setattr(session, "LOOPBACK_READ_TIMEOUT", 0.5)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://localhost:{port}")
        aws = make_aws(REGION)
        sent: list[int] = []
        aws.client("cloudformation").meta.events.register("before-send.cloudformation", lambda **_: sent.append(1))
        monkeypatch.setattr(session, "make_aws", lambda *a, **k: aws)
        started = time.monotonic()
        status = cli.main(["outputs", STACK_FILE])
        elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert status == 1
    assert sent == [1]
    assert elapsed < 5
    assert _error_lines(err) == [f"error: http://localhost:{port}/ accepted the connection but did not answer in "
                                 "time; is the sandbox running (`make sandbox`)? check AWS_ENDPOINT_URL / "
                                 "--endpoint-url"]


def test_the_aws_translation_does_not_catch_a_broken_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """cli.main's AWS clause comes after BrokenPipeError's (an OSError, so an Exception)."""
    def broken(*_: Any, **__: Any) -> Any:
        raise BrokenPipeError

    monkeypatch.setattr(session, "make_aws", broken)
    assert cli.main(["outputs", STACK_FILE]) == cli.EXIT_BROKEN_PIPE  # 141, silent (cli._stdout_failed)


# --------------------------------------------------------------------------- the endpoint and the profile


@pytest.mark.parametrize(("variable", "value"), [
    ("AWS_ENDPOINT_URL", "localhost:33537"), ("AWS_ENDPOINT_URL", "ftp://x"), ("AWS_ENDPOINT_URL", "http://"),
    ("AWS_ENDPOINT_URL", "http://localhost:abc"), ("AWS_ENDPOINT_URL_S3", "localhost:9000"),
])
@pytest.mark.parametrize("command", sorted(NO_RENDER))
def test_an_endpoint_that_is_not_a_url_is_bad_input(command: str, variable: str, value: str) -> None:
    """``localhost:33537`` (no scheme) was a traceback, botocore's ``ValueError: Invalid endpoint``."""
    done = run_cli(*AWS_COMMANDS[command], env={variable: value, "AWS_ACCESS_KEY_ID": "testing",
                                                "AWS_SECRET_ACCESS_KEY": "testing"}, timeout=90)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = _error_lines(done.stderr)
    assert line.startswith(f"error: {variable}: {value!r} is not an endpoint URL: write it with http:// or https://")


def test_the_endpoint_flag_is_named_when_it_is_the_bad_one() -> None:
    done = run_cli("outputs", STACK_FILE, "--endpoint-url", "localhost:4566",
                   env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    assert done.returncode == 2, done.stderr
    assert _error_lines(done.stderr) == ["error: --endpoint-url: 'localhost:4566' is not an endpoint URL: write it "
                                         "with http:// or https:// and a host, e.g. http://localhost:4566"]


def test_a_profile_whose_source_profile_is_missing_is_bad_input(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile broken]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = nowhere\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {
        "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "broken"}
    done = _run_with_env(AWS_COMMANDS["outputs"], env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = _error_lines(done.stderr)
    assert line.startswith("error: the AWS configuration cannot be used (") and "~/.aws/config" in line, line


def test_the_sso_hint_names_the_profile_in_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import UnauthorizedSSOTokenError

    config = tmp_path / "config"
    config.write_text("[profile sso-dev]\nsso_session = corp\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    make_aws("ap-northeast-2", profile="sso-dev", env={})
    try:
        line = str(aws_errors.known(UnauthorizedSSOTokenError()))
    finally:
        aws_errors.use_profile(None)
    assert "`aws sso login --profile sso-dev`" in line
