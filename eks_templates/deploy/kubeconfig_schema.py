"""A JSON schema of kubeconfig files (``apiVersion: v1``, ``kind: Config``).

Written from Kubernetes' own types, ``k8s.io/client-go/tools/clientcmd/api/v1/types.go``
(kubernetes/client-go master, commit 32ce75a7d6bc6960fd048d3d1e3b34185418d8c8): ``Config``,
``Preferences``, ``NamedCluster``/``Cluster``, ``NamedAuthInfo``/``AuthInfo``,
``NamedContext``/``Context``, ``NamedExtension``, ``AuthProviderConfig``, ``ExecConfig``,
``ExecEnvVar``, with their JSON field names. How client-go reads such a file decides the
rest:

- it decodes YAML through JSON into those structs without strict field checking, so an
  unknown key is ignored, not an error (``additionalProperties`` is allowed; the strict
  form, ``schema(strict=True)``, refuses unknown keys and is what the tests hold our own
  entries to);
- a JSON ``null`` leaves a field at its zero value, so every field may be null;
- ``[]byte`` fields (``certificate-authority-data``, ``client-certificate-data``,
  ``client-key-data``) are base64 text (encoding/json), line breaks allowed;
- ``ExecConfig.interactiveMode`` is one of ``Never``, ``IfAvailable``, ``Always``.

``apiVersion`` and ``kind`` are ``v1`` and ``Config`` when given (clientcmd's
``latest`` codec knows no other version of the kind).
"""

from __future__ import annotations

import copy
from typing import Any

_BASE64 = r"^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema["type"]
    return {**schema, "type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"]}


def _string() -> dict[str, Any]:
    return _nullable({"type": "string"})


def _bool() -> dict[str, Any]:
    return _nullable({"type": "boolean"})


def _bytes() -> dict[str, Any]:
    return _nullable({"type": "string", "pattern": _BASE64})


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return _nullable({"type": "object", "properties": properties})


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return _nullable({"type": "array", "items": item})


_EXTENSIONS = _list({"$ref": "#/$defs/NamedExtension"})

DEFS: dict[str, Any] = {
    "Preferences": _object({"colors": _bool(), "extensions": _EXTENSIONS}),
    "Cluster": _object({
        "server": _string(),
        "tls-server-name": _string(),
        "insecure-skip-tls-verify": _bool(),
        "certificate-authority": _string(),
        "certificate-authority-data": _bytes(),
        "proxy-url": _string(),
        "disable-compression": _bool(),
        "extensions": _EXTENSIONS,
    }),
    "AuthInfo": _object({
        "client-certificate": _string(),
        "client-certificate-data": _bytes(),
        "client-key": _string(),
        "client-key-data": _bytes(),
        "token": _string(),
        "tokenFile": _string(),
        "as": _string(),
        "as-uid": _string(),
        "as-groups": _list({"type": "string"}),
        "as-user-extra": _nullable({"type": "object", "additionalProperties": _list({"type": "string"})}),
        "username": _string(),
        "password": _string(),
        "auth-provider": {"$ref": "#/$defs/AuthProviderConfig"},
        "exec": {"$ref": "#/$defs/ExecConfig"},
        "extensions": _EXTENSIONS,
    }),
    "Context": _object({
        "cluster": _string(),
        "user": _string(),
        "namespace": _string(),
        "extensions": _EXTENSIONS,
    }),
    "NamedCluster": _object({"name": _string(), "cluster": {"$ref": "#/$defs/Cluster"}}),
    "NamedContext": _object({"name": _string(), "context": {"$ref": "#/$defs/Context"}}),
    "NamedAuthInfo": _object({"name": _string(), "user": {"$ref": "#/$defs/AuthInfo"}}),
    # runtime.RawExtension: any JSON value
    "NamedExtension": _object({"name": _string(), "extension": {}}),
    "AuthProviderConfig": _object({
        "name": _string(),
        "config": _nullable({"type": "object", "additionalProperties": {"type": "string"}}),
    }),
    "ExecConfig": _object({
        "command": _string(),
        "args": _list({"type": "string"}),
        "env": _list({"$ref": "#/$defs/ExecEnvVar"}),
        "apiVersion": _string(),
        "installHint": _string(),
        "provideClusterInfo": _bool(),
        "interactiveMode": _nullable({"type": "string", "enum": ["Never", "IfAvailable", "Always", None]}),
    }),
    "ExecEnvVar": _object({"name": _string(), "value": _string()}),
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "kubeconfig v1 (k8s.io/client-go/tools/clientcmd/api/v1 Config)",
    "type": "object",
    "properties": {
        "kind": {"enum": ["Config", "", None]},
        "apiVersion": {"enum": ["v1", "", None]},
        "preferences": {"$ref": "#/$defs/Preferences"},
        "clusters": _list({"$ref": "#/$defs/NamedCluster"}),
        "users": _list({"$ref": "#/$defs/NamedAuthInfo"}),
        "contexts": _list({"$ref": "#/$defs/NamedContext"}),
        "current-context": _string(),
        "extensions": _EXTENSIONS,
    },
    "$defs": DEFS,
}


def schema(*, strict: bool = False) -> dict[str, Any]:
    """The schema; ``strict``: no key outside clientcmd's types, anywhere."""
    result = copy.deepcopy(SCHEMA)
    if strict:
        for node in [result, *result["$defs"].values()]:
            if "properties" in node:
                node["additionalProperties"] = False
    return result
