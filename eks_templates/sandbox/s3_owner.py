"""S3's bucket owner condition, which moto 5.2.5 ignores.

Replaces: moto's ``S3Response._bucket_response`` and ``_key_response`` accepted any
``x-amz-expected-bucket-owner`` (the ``ExpectedBucketOwner`` parameter), so a bucket
of another account answered and took writes. S3 refuses such a request with 403
AccessDenied: "If the bucket is owned by a different account, the request fails with
the HTTP status code 403 Forbidden (access denied)" (S3 User Guide, "Verifying bucket
ownership with bucket owner condition").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.models import s3_backends
from moto.s3.responses import S3Response

HEADER = "x-amz-expected-bucket-owner"
_installed = False


def _owner_checked(original: Callable[..., Any]) -> Callable[..., Any]:
    def respond(self: S3Response, request: Any, full_url: str) -> Any:
        expected = request.headers.get(HEADER)
        if expected:
            bucket = self.parse_bucket_name_from_url(request, full_url)
            owner = s3_backends.bucket_accounts.get(bucket) if bucket else None
            if owner is not None and owner[1] != expected:
                raise S3AccessDeniedError()
        return original(self, request, full_url)

    return respond


def install() -> None:
    """Apply the patch once (class-level: it survives ``/moto-api/reset``)."""
    global _installed
    if _installed:
        return
    _installed = True
    S3Response._bucket_response = _owner_checked(S3Response._bucket_response)  # type: ignore[method-assign]
    S3Response._key_response = _owner_checked(S3Response._key_response)  # type: ignore[method-assign]
