"""EKS ``DescribeAddonVersions`` and ``DescribeAddonConfiguration`` in the sandbox (moto
5.2.5 has neither), so ``plan``/``deploy`` can check ``configurationValues`` against an
add-on's schema before the change set, as they do against AWS.

The sandbox does not hold EKS's add-on catalogue. What it answers:

- ``DescribeAddonVersions`` is answered by :mod:`eks_templates.sandbox.eks_api` (the sandbox's
  one add-on catalogue: stand-in versions per Kubernetes version);
- ``DescribeAddonConfiguration``: the schema planted for the add-on (a test plants the
  schema it checks against; a user rehearsing can plant the real one, from
  ``aws eks describe-addon-configuration --addon-name X --addon-version V``); unplanted, an
  object schema that takes any settings (the sandbox cannot know them: only the offline
  "is a JSON object" check applies then). ``podIdentityConfiguration`` comes from the
  offline table of :mod:`eks_templates.config.addon_identity`.
- an unknown version for a planted add-on is EKS's ``ResourceNotFoundException``.

Planted schemas are process-wide (the server runs in the test's process) and survive a
``/moto-api/reset``; :func:`clear` forgets them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.eks import urls as eks_urls
from moto.eks.exceptions import ResourceNotFoundException as EksNotFound
from moto.eks.responses import EKSResponse

#: what the sandbox calls an add-on's version when none is planted (not a real release)
DEFAULT_VERSION = "v1.0.0-eksbuild.1"
ANY_OBJECT = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}


@dataclass(frozen=True)
class Planted:
    version: str | None
    schema: dict[str, Any]


_planted: dict[str, Planted] = {}


def plant(addon_name: str, schema: dict[str, Any], version: str | None = None) -> None:
    """Answer ``schema`` for ``addon_name`` at ``version`` (its only version from now on), or,
    with no version, at every version of the sandbox's add-on catalogue."""
    _planted[addon_name] = Planted(version, dict(schema))


def clear() -> None:
    _planted.clear()


def _known(addon_name: str, version: str) -> bool:
    """A version EKS would answer for: the planted one, else one of the sandbox's add-on
    catalogue (:mod:`eks_templates.sandbox.eks_api`, which answers DescribeAddonVersions)."""
    from eks_templates.sandbox.eks_api import addon_versions

    planted = _planted.get(addon_name)
    if planted is not None and planted.version is not None:
        return version == planted.version
    return version == DEFAULT_VERSION or any(v["addonVersion"] == version for v in addon_versions(addon_name))


def _describe_addon_configuration(self: EKSResponse) -> ActionResult:
    from eks_templates.config.addon_identity import ADDON_SERVICE_ACCOUNTS

    name, version = self._get_param("addonName"), self._get_param("addonVersion")
    planted = _planted.get(name)
    if planted is not None and not _known(name, version):
        raise EksNotFound(clusterName=None, nodegroupName=None, fargateProfileName=None, addonName=name,
                          message=f"Addon version specified is not supported: {name} {version}")
    schema = planted.schema if planted else ANY_OBJECT
    return ActionResult({
        "addonName": name,
        "addonVersion": version,
        "configurationSchema": json.dumps(schema),
        "podIdentityConfiguration": [
            {"serviceAccount": row.service_account,
             "recommendedManagedPolicies": [f"arn:aws:iam::aws:policy/{row.managed_policy}"]}
            for row in ADDON_SERVICE_ACCOUNTS.get(name, ())
        ],
    })


_PATHS = ("{0}/addons/supported-versions$", "{0}/addons/configuration-schemas$")


def install_api() -> None:
    """Answer the two add-on catalogue reads (idempotent)."""
    # DescribeAddonVersions itself is answered by sandbox/eks_api.py (one catalogue for both).
    EKSResponse.describe_addon_configuration = _describe_addon_configuration  # type: ignore[attr-defined]
    for path in _PATHS:
        eks_urls.url_paths.setdefault(path, eks_urls.response.dispatch)
