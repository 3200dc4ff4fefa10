"""Which value each root parameter gets on a deploy or a scale.

The stack file stays the truth, and a ``scale`` is not undone by the next deploy of
an unchanged file. Each managed nodegroup's scaling is one root parameter,
``"desired,min,max"`` (see :func:`eks_templates.names.nodegroup_scaling_parameter`),
whose ``Default`` in the root template is the file's value at the last deploy. On a
deploy, for each of desired/min/max:

- the file's number equals the deployed Default's -> the file did not change it since
  the last deploy: the live number is kept (it may have been set by ``scale``);
- it differs -> the file was edited: the file's number is sent.

When no number changed, the parameter is sent as ``UsePreviousValue``. Every other
root parameter is sent explicitly (its Default, i.e. the file's value). ``scale``
sends the new scaling with ``UsePreviousTemplate`` and every other parameter as
``UsePreviousValue``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eks_templates.names import format_scaling, parse_scaling


@dataclass(frozen=True)
class ParamChoice:
    """One entry of create_change_set's ``Parameters``."""

    key: str
    value: str | None = None
    use_previous: bool = False
    #: why the value is not simply the file's (shown in the plan)
    note: str = ""

    def api(self) -> dict[str, Any]:
        if self.use_previous:
            return {"ParameterKey": self.key, "UsePreviousValue": True}
        return {"ParameterKey": self.key, "ParameterValue": self.value}


def template_dict(body: Any) -> dict[str, Any] | None:
    """A template from ``get_template`` (botocore hands JSON back parsed) as a dict."""
    if isinstance(body, Mapping):
        return json.loads(json.dumps(body))  # plain dicts, comparable with ==
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            try:
                import yaml

                parsed = yaml.safe_load(body)
            except Exception:
                return None
        return parsed if isinstance(parsed, dict) else None
    return None


def normalize_value(value: str) -> str:
    """A parameter value as AWS returns it. moto returns a CommaDelimitedList as the
    Python repr of a list (``"['2', '2', '2']"``); that becomes ``"2,2,2"``."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return value
        if isinstance(items, list):
            return ",".join(str(i) for i in items)
    return value


def live_parameters(stack: Mapping[str, Any] | None) -> dict[str, str]:
    """A described stack's current parameter values, normalized."""
    if not stack:
        return {}
    result = {}
    for p in stack.get("Parameters") or []:
        value = p.get("ResolvedValue") if p.get("ResolvedValue") is not None else p.get("ParameterValue")
        result[str(p["ParameterKey"])] = normalize_value(str(value if value is not None else ""))
    return result


def _default(template: Mapping[str, Any] | None, key: str) -> str | None:
    if not template:
        return None
    spec = (template.get("Parameters") or {}).get(key)
    if not isinstance(spec, Mapping) or "Default" not in spec:
        return None
    default = spec["Default"]
    if isinstance(default, list):
        return ",".join(str(v) for v in default)
    return str(default)


def merge_scaling(
    file: tuple[int, int, int], deployed: tuple[int, int, int], live: tuple[int, int, int]
) -> tuple[tuple[int, int, int], str]:
    """Per number: the file's if it changed since the last deploy, else the live one.

    Returns the merged (desired, min, max) and a note when it is not the file's value.
    """
    merged = [f if f != d else v for f, d, v in zip(file, deployed, live, strict=True)]
    desired, minimum, maximum = merged
    if minimum > maximum:
        return file, (f"the file's new sizes do not fit the live ones ({format_scaling(*live)}); "
                      f"the file's {format_scaling(*file)} is used")
    note = ""
    if not minimum <= desired <= maximum:
        clamped = min(max(desired, minimum), maximum)
        note = f"live desired {desired} is outside the file's new min/max, so desired becomes {clamped}; "
        desired = clamped
    result = (desired, minimum, maximum)
    if result != file:
        kept = [name for name, f, r in zip(("desired", "min", "max"), file, result, strict=True) if f != r]
        note += (f"keeps the live {'/'.join(kept)} (set outside the stack file, e.g. by `scale`); "
                 f"the file says {format_scaling(*file)}")
    return result, note


def deploy_choices(
    new_root: Mapping[str, Any],
    *,
    scaling_keys: Iterable[str],
    deployed_root: Mapping[str, Any] | None,
    live: Mapping[str, str] | None,
) -> list[ParamChoice]:
    """The Parameters of a deploy's change set (see the module docstring)."""
    scaling = set(scaling_keys)
    live = dict(live or {})
    choices = []
    for key in sorted(new_root.get("Parameters") or {}):
        file_value = _default(new_root, key)
        if file_value is None:
            # No value in the file: keep what the stack has, if it has one.
            choices.append(ParamChoice(key, use_previous=True) if key in live else ParamChoice(key, ""))
            continue
        if key not in scaling or key not in live:
            choices.append(ParamChoice(key, file_value))
            continue
        deployed_value = _default(deployed_root, key)
        try:
            file_t = parse_scaling(file_value)
            live_t = parse_scaling(live[key])
            deployed_t = parse_scaling(deployed_value) if deployed_value is not None else None
        except ValueError:
            choices.append(ParamChoice(key, file_value))
            continue
        if deployed_t is None:
            choices.append(ParamChoice(key, file_value))
            continue
        merged, note = merge_scaling(file_t, deployed_t, live_t)
        if merged == live_t:
            choices.append(ParamChoice(key, use_previous=True, note=note))
        else:
            choices.append(ParamChoice(key, format_scaling(*merged), note=note))
    return choices


def scale_choices(live: Mapping[str, str], key: str, value: str) -> list[ParamChoice]:
    """A scale: the one scaling parameter changes, every other keeps its live value."""
    return [ParamChoice(k, value) if k == key else ParamChoice(k, use_previous=True) for k in sorted(live)]


def unchanged(choices: Iterable[ParamChoice], live: Mapping[str, str]) -> bool:
    """Every parameter keeps its live value and none is added or removed."""
    choices = list(choices)
    if {c.key for c in choices} != set(live):
        return False
    return all(c.use_previous or normalize_value(c.value or "") == live.get(c.key) for c in choices)
