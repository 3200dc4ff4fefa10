"""``addons[].configurationValues``: a mapping, or the JSON string EKS takes (eksctl's
form). Either way it must be a JSON object (``AWS::EKS::Addon`` ``ConfigurationValues`` is
"the configuration values ... as a JSON string" of an object that the add-on's schema
describes; EKS DescribeAddonConfiguration ``configurationSchema``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class NotAnObject(ValueError):
    """Why the value is not a JSON object (the message is the rest of a problem line)."""


def parse(value: Any) -> dict[str, Any]:
    """The configuration as a dict, or :class:`NotAnObject`."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise NotAnObject(f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); give a "
                              "mapping, or a JSON object as a string") from None
    if not isinstance(value, Mapping):
        kind = "a list" if isinstance(value, list) else repr(value)
        raise NotAnObject(f"must be a JSON object (a mapping of the add-on's settings), not {kind}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise NotAnObject(f"holds a value JSON cannot carry ({exc}); quote dates and special numbers") from None
    bad = [k for k in _keys(value) if not isinstance(k, str)]
    if bad:
        raise NotAnObject(f"has a key that is not a string ({bad[0]!r}); JSON object keys are strings: quote it")
    return dict(value)


def _keys(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [k for key, item in value.items() for k in (key, *_keys(item))]
    if isinstance(value, list):
        return [k for item in value for k in _keys(item)]
    return []


def merge(base: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """``user`` over ``base``, key by key: a mapping in both is merged the same way; any
    other value of the user's replaces the base's."""
    out = dict(base)
    for key, value in user.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
