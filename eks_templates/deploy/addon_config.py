"""``addons[].configurationValues`` against the add-on's own schema, before the change set.

EKS refuses a ``ConfigurationValues`` its schema does not take only when CloudFormation
creates or updates the add-on (``InvalidParameterException: ConfigurationValue provided in
request is not supported``), after the network, the cluster and the nodegroups: twenty
minutes into a create. The schema is public: ``DescribeAddonConfiguration(addonName,
addonVersion)`` answers ``configurationSchema``, a JSON Schema (draft-07) as a string. So
``plan`` and ``deploy`` ask for it and validate the JSON the template sends (the file's
values merged over what the cluster's shape adds, as rendered) with the ``jsonschema``
library, and refuse with the failing key's YAML path.

Without an ``addons[].version`` the version EKS would install is the default for the
cluster's Kubernetes version (``DescribeAddonVersions``: ``compatibilities[].defaultVersion``).
A caller without ``eks:DescribeAddonConfiguration``/``eks:DescribeAddonVersions`` gets a
warning and the deploy goes on (the offline "is a JSON object" check still holds).
"""

from __future__ import annotations

import json
import re
from typing import Any

from eks_templates.config.model import Addon, ClusterConfig
from eks_templates.deploy.ui import Ui
from eks_templates.errors import UserError


def configured(cfg: ClusterConfig) -> list[tuple[int, Addon, dict[str, Any]]]:
    """Every add-on the template sends ``ConfigurationValues`` for, with those values."""
    from eks_templates.builders.addons import addon_configuration

    out = []
    for i, addon in enumerate(cfg.addons):
        values = addon_configuration(cfg, addon)
        if values:
            out.append((i, addon, values))
    return out


def default_version(eks: Any, addon: str, kubernetes_version: str) -> str | None:
    answer = eks.describe_addon_versions(addonName=addon, kubernetesVersion=kubernetes_version)
    for info in answer.get("addons") or []:
        for version in info.get("addonVersions") or []:
            for compatibility in version.get("compatibilities") or []:
                if compatibility.get("clusterVersion") == kubernetes_version and compatibility.get("defaultVersion"):
                    return str(version["addonVersion"])
    return None


def _path(base: str, parts: Any) -> str:
    path = base
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def schema_problems(base: str, values: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """One line per way ``values`` breaks ``schema``, each naming the key's YAML path."""
    import jsonschema

    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator = validator_class(schema)
    lines = []
    for error in sorted(validator.iter_errors(values), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        where = _path(base, error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties") or {})
            patterns = list(error.schema.get("patternProperties") or {})
            for key in sorted(error.instance):
                if key not in allowed and not any(re.search(p, key) for p in patterns):
                    known = ", ".join(sorted(allowed)) or "none"
                    lines.append(f"{_path(where, [key])}: is not a setting of this add-on's schema; allowed here: "
                                 f"{known}")
            continue
        lines.append(f"{where}: {error.message}")
    return lines


def check(aws: Any, cfg: ClusterConfig, *, ui: Ui, source: str = "") -> None:
    """Refuse (UserError, nothing changed) when an add-on's configuration breaks its schema."""
    todo = configured(cfg)
    if not todo:
        return
    from botocore.exceptions import ClientError

    eks = aws.client("eks")
    lines: list[str] = []
    for i, addon, values in todo:
        base = f"addons[{i}].configurationValues"
        try:
            version = addon.version or default_version(eks, addon.name, cfg.metadata.version)
            if version is None:
                ui.warn(f"{base}: EKS names no default {addon.name} version for Kubernetes "
                        f"{cfg.metadata.version}; its schema was not checked")
                continue
            answer = eks.describe_addon_configuration(addonName=addon.name, addonVersion=version)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if "AccessDenied" in code:
                ui.warn(f"{base}: could not read {addon.name}'s configuration schema ({code}: "
                        f"{error.get('Message', '')}); EKS checks it when the add-on is created")
                continue
            if code in ("ResourceNotFoundException", "InvalidParameterException"):
                where = f"addons[{i}].version" if addon.version else f"addons[{i}].name"
                lines.append(f"{where}: EKS has no configuration schema for {addon.name} "
                             f"{addon.version or ''}".rstrip() + f" ({error.get('Message', code)})")
                continue
            raise
        schema = json.loads(answer.get("configurationSchema") or "{}")
        found = schema_problems(base, values, schema)
        lines += [f"{line} ({addon.name} {version})" for line in found]
    if lines:
        prefix = f"{source}: " if source else ""
        messages = [prefix + line for line in lines]
        messages.append("the add-ons' configurationValues do not fit their schemas (EKS DescribeAddonConfiguration); "
                        "nothing was changed")
        raise UserError(messages[0], messages=messages)
