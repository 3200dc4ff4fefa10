"""Helpers shared by the sandbox's CloudFormation models.

Nothing here touches moto's state; the models do.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Self

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
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
    """What CloudFormation says when a named resource would need replacing (its own
    words, as the resource's status reason: no error code in front)."""
    error = SandboxResourceError("ValidationError", "")
    error.message = (f"CloudFormation cannot update a stack when a custom-named resource requires "
                     f"replacing. Rename {name} ({logical_type}) and update the stack again.")
    return error


# -- the CloudFormationModel protocol, declared once -----------------------------------------


class SandboxModel:
    """What every sandbox model answers moto the same way, from class attributes.

    A mixin, deliberately *not* a ``CloudFormationModel`` subclass: moto's type map is
    built from ``CloudFormationModel.__subclasses__()``, which lists *direct* subclasses
    only. Each model therefore names both bases,
    ``class EksCluster(SandboxModel, CloudFormationModel)``: it stays a direct subclass
    (and registers under its ``CFN_TYPE``), while this class, which has no type, never
    enters the map.

    A model declares ``CFN_TYPE``, ``CFN_NAME_TYPE`` (the name property, ``""`` if none)
    and ``CFN_ATTRIBUTES`` (``GetAtt`` name -> getter of :meth:`_cfn_source`, which is
    the model itself unless it says otherwise), and implements :meth:`_create` and
    :meth:`_update` (moto's ``create/update_from_cloudformation_json`` with the resolved
    ``Properties``) and ``delete``. The instance is identified by ``name``, its physical
    id (``Ref``); a model whose physical id is built otherwise overrides
    :attr:`physical_resource_id` and :meth:`_from_physical_id`.
    """

    CFN_TYPE: ClassVar[str]
    CFN_NAME_TYPE: ClassVar[str] = ""
    CFN_ATTRIBUTES: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    def __init__(self, account_id: str, region_name: str, name: str, props: dict[str, Any]):
        self.account_id = account_id
        self.region_name = region_name
        self.name = name
        self.props = props

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.CFN_NAME_TYPE

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.CFN_TYPE

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.CFN_ATTRIBUTES

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def is_created(self) -> bool:
        return True

    def _cfn_source(self) -> Any:
        """What the ``CFN_ATTRIBUTES`` getters read (looked up before the attribute name)."""
        return self

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        source = self._cfn_source()
        getter = self.CFN_ATTRIBUTES.get(attribute_name)
        if getter is None:
            raise UnformattedGetAttTemplateException()
        return getter(source)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Self:
        return cls._create(resource_name, properties(cloudformation_json), account_id, region_name)

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> Self:
        """Create the resource from its resolved ``Properties`` (the model's own logic)."""
        raise NotImplementedError(cls.CFN_TYPE)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Self,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Self:
        return cls._update(
            original_resource, new_resource_name, properties(cloudformation_json), account_id, region_name
        )

    @classmethod
    def _update(
        cls, original_resource: Self, new_resource_name: str, new: dict[str, Any], account_id: str, region_name: str
    ) -> Self:
        """Update in place or replace, from the new resolved ``Properties`` (the model's own logic)."""
        raise NotImplementedError(cls.CFN_TYPE)

    @classmethod
    def _from_physical_id(cls, account_id: str, region_name: str, physical_id: str, props: dict[str, Any]) -> Self:
        """The model of an existing resource, enough to :meth:`delete` it (``props``: its
        last resolved ``Properties``, for a model whose physical id is not enough)."""
        return cls(account_id, region_name, physical_id, {})

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        props = properties(cloudformation_json)
        cls._from_physical_id(account_id, region_name, resource_name, props).delete(account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError(self.CFN_TYPE)

    @classmethod
    def _replace(
        cls, original_resource: Self, resource_name: str, props: dict[str, Any], account_id: str, region_name: str
    ) -> Self:
        """Replacement as CloudFormation does it: create the new one now, delete the old one
        in the update's cleanup phase (:func:`after_update`)."""
        replacement = cls._create(resource_name, props, account_id, region_name)
        after_update(lambda: original_resource.delete(account_id, region_name))
        return replacement

    @classmethod
    def _replace_named(
        cls, original_resource: Self, name: str, props: dict[str, Any], account_id: str, region_name: str
    ) -> Self:
        """:meth:`_replace` by a resource called ``name`` (set as its ``CFN_NAME_TYPE``
        property, which the template may leave out); ``props`` stay as the template gave them."""
        replacement = cls._replace(original_resource, name, {**props, cls.CFN_NAME_TYPE: name}, account_id, region_name)
        replacement.props = props
        return replacement


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
    """Collect :func:`after_update` deletes and run them when the block succeeds (the
    outermost block: nested ones add to it); a failing block drops them.

    A failing cleanup delete does not fail the update (CloudFormation reports it and
    leaves the old resource); it is logged and the old resource stays.
    """
    if _cleanup.get() is not None:
        # a nested stack's update: its cleanup is the root's, after the whole tree is
        # updated (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS), so a failure anywhere can still
        # give every replaced resource back
        yield
        return
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
