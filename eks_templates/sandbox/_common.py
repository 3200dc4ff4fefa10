"""Helpers shared by the sandbox's CloudFormation models.

Nothing here touches moto's state; the models do.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.moto_api._internal import mock_random


class SandboxResourceError(ValidationError):
    """A resource the sandbox refuses to create, update or delete, as AWS would.

    Raised through CloudFormation, so callers see a ``ValidationError`` whose message
    starts with the AWS error code the real service would have used
    (``InvalidParameterException: ...``, ``ResourceInUseException: ...``).
    """

    def __init__(self, aws_code: str, message: str) -> None:
        super().__init__(message=f"{aws_code}: {message}")
        self.aws_code = aws_code


def properties(cloudformation_json: Mapping[str, Any]) -> dict[str, Any]:
    """The resolved ``Properties`` of a resource (moto has run the intrinsics)."""
    props = cloudformation_json.get("Properties") or {}
    return dict(props)


def tags_to_dict(tags: Any) -> dict[str, str]:
    """CloudFormation ``Tags`` (``[{Key, Value}]``) or an EKS-style map -> dict."""
    if not tags:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags}


def as_list(value: Any, what: str) -> list[str]:
    """A template list property; a comma string is an error (as in CloudFormation)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SandboxResourceError(
            "InvalidParameterException",
            f"{what} must be a list of strings, got {type(value).__name__} {value!r}",
        )
    return [str(v) for v in value]


def as_bool(value: Any, default: bool) -> bool:
    """Template booleans arrive as bool or as the strings ``"true"``/``"false"``."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def as_int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SandboxResourceError("InvalidParameterException", f"{what} must be an integer, got {value!r}") from None


def random_hex(length: int) -> str:
    """Upper-case hex like the ids in EKS endpoints and OIDC issuers (seeded by moto)."""
    return "".join(mock_random.choice("0123456789ABCDEF") for _ in range(length))


def custom_name_replacement_error(name: str, logical_type: str) -> SandboxResourceError:
    """What CloudFormation says when a named resource would need replacing."""
    return SandboxResourceError(
        "ValidationError",
        f"CloudFormation cannot update a stack when a custom-named resource requires "
        f"replacing. Rename {name} ({logical_type}) and update the stack again.",
    )


# -- deferred deletes of replaced resources ------------------------------------------------

_cleanup: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "eks_templates_sandbox_cleanup", default=None
)
logger = logging.getLogger("eks_templates.sandbox")


def after_update(delete: Callable[[], None]) -> None:
    """Delete a replaced resource in the update's cleanup phase, as CloudFormation does.

    Inside a stack update (see :func:`cleanup_scope`) the delete waits until every
    resource of the stack is updated, so dependents can move to the replacement first;
    outside one it runs now.
    """
    queue = _cleanup.get()
    if queue is None:
        delete()
    else:
        queue.append(delete)


@contextlib.contextmanager
def cleanup_scope() -> Iterator[None]:
    """Collect :func:`after_update` deletes and run them when the block succeeds.

    A failing cleanup delete does not fail the update (CloudFormation reports it and
    leaves the old resource); it is logged and the old resource stays.
    """
    queue: list[Callable[[], None]] = []
    token = _cleanup.set(queue)
    try:
        yield
    finally:
        _cleanup.reset(token)
    pending = list(queue)
    for _ in range(len(pending) + 1):
        failed: list[tuple[Callable[[], None], Exception]] = []
        for delete in pending:
            try:
                delete()
            except Exception as error:  # retried after the others; reported if it never works
                failed.append((delete, error))
        if not failed or len(failed) == len(pending):
            for _delete, reason in failed:
                logger.warning("cleanup of a replaced resource failed: %s", reason)
            return
        pending = [delete for delete, _reason in failed]
