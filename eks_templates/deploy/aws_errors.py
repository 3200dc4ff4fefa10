"""AWS failures as one line each, in one place.

Every command that talks to AWS (plan, deploy, outputs, scale, delete) lets botocore's
exceptions rise; the command line hands whatever is not already an
:class:`~eks_templates.errors.EksTemplatesError` to :func:`translate`, which turns
the AWS-side ones into a line that says what happened and what to do:

| what                                                   | exit | class              |
| ------------------------------------------------------ | ---- | ------------------ |
| no credentials, expired or invalid credentials         | 2    | CredentialsProblem |
| access denied (names the IAM action and AWS's message) | 1    | AwsFailure         |
| throttled past botocore's retries                      | 1    | AwsFailure         |
| endpoint unreachable or silent (names the endpoint)    | 1    | AwsFailure         |
| any other AWS error (operation, code, message)         | 1    | AwsFailure         |

Credentials are input the caller must fix before anything can run (exit 2, like a
bad stack file); the others are AWS failing or refusing at run time (exit 1, like a
failed deploy). Code that turns a ClientError into its own message (a refused change
set, a failed execute) asks :func:`known` first, so these kinds read the same wherever
they happen.

:func:`instrument` is applied by :class:`~eks_templates.deploy.session.Aws` to every
client: it records the IAM action of a failed call in the error (so an access-denied
line can name it) and bounds the retries of connection failures.
"""

from __future__ import annotations

import sys
from typing import Any

from eks_templates.errors import EksTemplatesError, UserError

CREDENTIALS_HELP = (
    "provide credentials in one of the ways the AWS CLI reads them: AWS_PROFILE=<profile> "
    "(or --profile), `aws configure`, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN), "
    "or `aws sso login --profile <profile>`"
)
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
INVALID_CREDENTIALS = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidAccessKeyId",
    "AuthFailure", "IncompleteSignature", "MissingAuthenticationToken",
})
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"})
THROTTLING = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestThrottled", "RequestThrottledException", "SlowDown",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
})
#: the IAM action where it is not the API operation's name (S3)
S3_ACTIONS = {
    "HeadBucket": "ListBucket", "HeadObject": "GetObject",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock", "PutBucketEncryption": "PutEncryptionConfiguration",
}
#: where :func:`instrument` stores ``service:Action`` in a failed call's parsed response
ACTION_KEY = "EksTemplatesAction"


class AwsFailure(EksTemplatesError):
    """AWS refused or failed a call (exit 1)."""

    exit_code = 1


class CredentialsProblem(UserError):
    """No usable credentials (exit 2)."""

    exit_code = 2


# --------------------------------------------------------------------------- clients


def iam_action(service: str, operation: str) -> str:
    if service == "s3":
        operation = S3_ACTIONS.get(operation, operation)
    return f"{service}:{operation}"


def instrument(client: Any, *, connect_attempts: int) -> None:
    """Name the IAM action in every failed response, and stop retrying a call whose
    connection failed ``connect_attempts`` times (botocore's retry handler would go on
    for all of its attempts, with back-off, before giving up)."""
    from botocore.exceptions import ConnectionClosedError, ConnectionError, ReadTimeoutError

    service = client.meta.service_model.signing_name or client.meta.service_model.endpoint_prefix
    event_name = client.meta.service_model.service_id.hyphenize()

    def record_action(http_response: Any = None, parsed: Any = None, model: Any = None, **_: Any) -> None:
        if isinstance(parsed, dict) and http_response is not None and http_response.status_code >= 300:
            parsed[ACTION_KEY] = iam_action(service, model.name)

    def bound_connection_retries(attempts: int = 0, caught_exception: Any = None, **_: Any) -> bool | None:
        if isinstance(caught_exception, ReadTimeoutError):
            return False  # an endpoint that accepted and went silent: do not ask again
        if isinstance(caught_exception, (ConnectionError, ConnectionClosedError)) and attempts >= connect_attempts:
            return False  # False is a veto: botocore's endpoint does not retry
        return None  # the adaptive retry handler decides

    client.meta.events.register(f"after-call.{event_name}", record_action)
    client.meta.events.register_first(f"needs-retry.{event_name}", bound_connection_retries)


# --------------------------------------------------------------------------- translation


def _endpoint(exc: Any) -> str:
    kwargs = getattr(exc, "kwargs", {}) or {}
    return str(kwargs.get("endpoint_url") or "") or "the AWS endpoint"


def _endpoint_hint(endpoint: str) -> str:
    if "localhost" in endpoint or "127.0.0.1" in endpoint:
        return "is the sandbox running (`make sandbox`)? check AWS_ENDPOINT_URL / --endpoint-url"
    return "check the network, a proxy (HTTPS_PROXY), AWS_ENDPOINT_URL / --endpoint-url and the region"


#: the profile the session was made with (``--profile`` or AWS_PROFILE), for the SSO hint
_profile: str | None = None


def use_profile(profile: str | None) -> None:
    """Name ``profile`` in the hints (``aws sso login --profile NAME``)."""
    global _profile
    _profile = profile


def known(exc: BaseException) -> EksTemplatesError | None:
    """The one-line error for the kinds every command reports alike (credentials,
    access denied, throttling, an unreachable endpoint); None for anything else."""
    if "botocore" not in sys.modules:
        return None
    from botocore import exceptions as bce

    if isinstance(exc, (bce.NoCredentialsError, bce.PartialCredentialsError)):
        return CredentialsProblem(f"no AWS credentials found ({exc}); {CREDENTIALS_HELP}")
    if isinstance(exc, (bce.TokenRetrievalError, bce.SSOTokenLoadError, bce.UnauthorizedSSOTokenError)):
        login = f"aws sso login --profile {_profile}" if _profile else "aws sso login --profile <profile>"
        return CredentialsProblem(f"the AWS SSO session cannot be used ({exc}); refresh it with "
                                  f"`{login}` and run the command again")
    if isinstance(exc, bce.CredentialRetrievalError):
        return CredentialsProblem(f"the AWS credentials could not be loaded ({exc}); {CREDENTIALS_HELP}")
    if isinstance(exc, bce.ReadTimeoutError):
        endpoint = _endpoint(exc)
        return AwsFailure(f"{endpoint} accepted the connection but did not answer in time; "
                          f"{_endpoint_hint(endpoint)}")
    if isinstance(exc, (bce.ConnectionError, bce.ConnectionClosedError)):
        endpoint = _endpoint(exc)
        return AwsFailure(f"cannot reach {endpoint} ({type(exc).__name__}); {_endpoint_hint(endpoint)}")
    if not isinstance(exc, bce.ClientError):
        return None
    response = exc.response or {}
    error = response.get("Error") or {}
    code = str(error.get("Code", ""))
    message = " ".join(str(error.get("Message", "")).split()) or "no message"
    action = str(response.get(ACTION_KEY) or exc.operation_name)
    if code in EXPIRED:
        return CredentialsProblem(f"the AWS credentials have expired ({code} on {action}: {message}); refresh them "
                                  "(`aws sso login`, new session credentials, or `aws configure`) and run the "
                                  "command again")
    if code in INVALID_CREDENTIALS:
        return CredentialsProblem(f"AWS did not accept these credentials ({code} on {action}: {message}); "
                                  f"{CREDENTIALS_HELP}")
    if code in DENIED:
        return AwsFailure(f"AWS denied {action} ({code}): {message}; the credentials in use need permission "
                          f"for {action}")
    if code in THROTTLING:
        attempts = (response.get("ResponseMetadata") or {}).get("RetryAttempts")
        retried = f" after {attempts} retries" if attempts else ""
        return AwsFailure(f"AWS kept throttling {action} ({code}){retried}: {message}; the account's API rate "
                          "is in use by something else. Wait a minute and run the command again")
    return None


def translate(exc: BaseException) -> EksTemplatesError | None:
    """Any AWS exception as one line: :func:`known`, else the operation, code and message
    (exit 1). None for an exception that is not AWS's (a bug: let it show)."""
    found = known(exc)
    if found is not None or "botocore" not in sys.modules:
        return found
    from botocore import exceptions as bce

    if isinstance(exc, bce.ClientError):
        error = (exc.response or {}).get("Error") or {}
        code = str(error.get("Code", "")) or "unknown error"
        message = " ".join(str(error.get("Message", "")).split()) or "no message"
        action = str((exc.response or {}).get(ACTION_KEY) or exc.operation_name)
        return AwsFailure(f"AWS refused {action} ({code}): {message}")
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ResponseParserError):  # a proxy or a web server where AWS was expected
        first = str(exc).splitlines()[0] if str(exc) else ""
        return AwsFailure(f"the endpoint answered with something that is not an AWS response ({first}); "
                          "check AWS_ENDPOINT_URL / --endpoint-url and any HTTP(S)_PROXY")
    if isinstance(exc, bce.ProfileNotFound):
        return CredentialsProblem(str(exc))
    if isinstance(exc, bce.InvalidConfigError):  # a profile's source_profile that does not exist, say
        return CredentialsProblem(f"the AWS configuration cannot be used ({exc}); fix the profile in "
                                  "~/.aws/config (or AWS_CONFIG_FILE) and run the command again")
    if isinstance(exc, bce.BotoCoreError):
        return AwsFailure(f"AWS call failed ({type(exc).__name__}): {exc}")
    return None
