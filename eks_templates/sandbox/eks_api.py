"""EKS API calls moto lacks or answers more forgivingly than EKS, for upgrades.

:func:`install` adds to moto's EKS service (its URL map and ``EKSResponse``):

- ``DeleteCluster`` is refused with ``InvalidRequestException`` while the cluster's
  deletion protection is on ("If you try to delete an active cluster that has deletion
  protection turned on, you will receive an InvalidRequestException", EKS user guide,
  "Protect EKS clusters from accidental deletion"). The CloudFormation model
  (:class:`~eks_templates.sandbox.eks.EksCluster`) refuses the same.
- ``ListInsights`` (``POST /clusters/{name}/insights``): the cluster's upgrade
  insights. A new cluster has one ``PASSING`` ``UPGRADE_READINESS`` insight; a test
  plants others with :func:`plant_insight` (e.g. one in ``ERROR``).
- ``DescribeAddon``: the add-on's record (its ``addonVersion``: as the template gave
  it, else the default for the cluster's version at creation, as EKS does).
- ``DescribeAddonVersions`` (``GET /addons/supported-versions``): stand-in versions of
  EKS's add-ons, one per Kubernetes version of the versions table (``v1.<minor>.0-
  eksbuild.2``, the default for that version, and an older build 1; each also runs on
  the next version), so
  an upgrade can pick the default version of an add-on for the new Kubernetes version.
  These are not EKS's real version numbers.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from moto.core.responses import ActionResult
from moto.eks import urls
from moto.eks.exceptions import InvalidRequestException
from moto.eks.models import EKSBackend, eks_backends
from moto.eks.responses import EKSResponse

from eks_templates.config import versions

#: add-ons DescribeAddonVersions knows (EKS's names)
ADDON_NAMES: tuple[str, ...] = (
    "vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "aws-efs-csi-driver",
    "eks-pod-identity-agent", "snapshot-controller", "amazon-cloudwatch-observability",
)

_installed = False


def addon_version(addon: str, kubernetes: str, build: int = 1) -> str:
    """The sandbox's stand-in add-on version for a Kubernetes version."""
    parsed = versions.parse(kubernetes)
    minor = parsed[1] if parsed else 0
    return f"v1.{minor}.0-eksbuild.{build}"


def addon_versions(addon: str) -> list[dict[str, Any]]:
    """DescribeAddonVersions' ``addonVersions`` for ``addon``: per Kubernetes version a
    default build 2 and an older build 1, each compatible with that version and the next
    (so an add-on keeps working right after its control plane's upgrade)."""
    result = []
    for v in versions.VERSIONS:
        parsed = versions.parse(v.version)
        assert parsed is not None
        following = versions.text((parsed[0], parsed[1] + 1))
        for build in (2, 1):
            compat = [{"clusterVersion": v.version, "platformVersions": ["*"], "defaultVersion": build == 2}]
            if following in versions.BY_VERSION:
                compat.append({"clusterVersion": following, "platformVersions": ["*"], "defaultVersion": False})
            result.append({"addonVersion": addon_version(addon, v.version, build), "architecture": ["amd64", "arm64"],
                           "compatibilities": compat, "requiresConfiguration": False})
    return result


def _insights(cluster: Any) -> list[dict[str, Any]]:
    store: list[dict[str, Any]] = vars(cluster).setdefault("insights", [])
    if not store:
        now = _dt.datetime.now(_dt.UTC)
        store.append({
            "id": "sandbox-deprecated-apis",
            "name": "Deprecated APIs removed in the next Kubernetes version",
            "category": "UPGRADE_READINESS",
            "kubernetesVersion": cluster.version,
            "lastRefreshTime": now, "lastTransitionTime": now,
            "description": "Checks for usage of deprecated APIs that are removed in the next version.",
            "insightStatus": {"status": "PASSING", "reason": "No deprecated API usage detected."},
            "recommendation": "",
        })
    return store


def plant_insight(cluster_name: str, *, status: str, name: str, recommendation: str,
                  account_id: str = "123456789012", region: str = "ap-northeast-2",
                  category: str = "UPGRADE_READINESS") -> None:
    """Add an insight to a cluster of the sandbox (tests: an ERROR insight)."""
    cluster = eks_backends[account_id][region].clusters[cluster_name]
    now = _dt.datetime.now(_dt.UTC)
    _insights(cluster).append({
        "id": f"sandbox-{len(_insights(cluster))}", "name": name, "category": category,
        "kubernetesVersion": cluster.version, "lastRefreshTime": now, "lastTransitionTime": now,
        "description": name, "insightStatus": {"status": status, "reason": name},
        "recommendation": recommendation,
    })


def _list_insights(self: EKSResponse) -> ActionResult:
    name = self._get_param("name")
    cluster = self.eks_backend.describe_cluster(name=name)
    wanted = (self._get_param("filter") or {}).get("categories") or []
    statuses = (self._get_param("filter") or {}).get("statuses") or []
    found = [
        {k: v for k, v in i.items() if k in ("id", "name", "category", "kubernetesVersion", "lastRefreshTime",
                                              "lastTransitionTime", "description", "insightStatus")}
        for i in _insights(cluster)
        if (not wanted or i["category"] in wanted) and (not statuses or i["insightStatus"]["status"] in statuses)
    ]
    return ActionResult({"insights": found})


def _describe_insight(self: EKSResponse) -> ActionResult:
    name = self._get_param("name")
    ident = self._get_param("id")
    cluster = self.eks_backend.describe_cluster(name=name)
    for insight in _insights(cluster):
        if insight["id"] == ident:
            return ActionResult({"insight": insight})
    raise InvalidRequestException(message=f"No insight {ident} for cluster {name}")


def _describe_addon(self: EKSResponse) -> ActionResult:
    name = self._get_param("name")
    addon = self._get_param("addonName")
    cluster = self.eks_backend.describe_cluster(name=name)
    record = (vars(cluster).get("sandbox_addons") or {}).get(addon)
    if record is None:
        from moto.eks.exceptions import ResourceNotFoundException

        raise ResourceNotFoundException(clusterName=name, nodegroupName=None, fargateProfileName=None,
                                        addonName=addon, message=f"No addon: {addon} found in cluster: {name}")
    return ActionResult({"addon": {k: v for k, v in record.items() if k in (
        "addonName", "clusterName", "status", "addonVersion", "addonArn", "serviceAccountRoleArn")}})


def _describe_addon_versions(self: EKSResponse) -> ActionResult:
    kubernetes = self._get_param("kubernetesVersion")
    only = self._get_param("addonName")
    addons = []
    for addon in ADDON_NAMES:
        if only and addon != only:
            continue
        entries = addon_versions(addon)
        if kubernetes:
            entries = [e for e in entries if any(c["clusterVersion"] == kubernetes for c in e["compatibilities"])]
        addons.append({"addonName": addon, "type": "networking", "addonVersions": entries, "owner": "aws"})
    return ActionResult({"addons": addons})


_original_delete_cluster = EKSBackend.delete_cluster


def _delete_cluster(self: EKSBackend, name: str) -> Any:
    cluster = self.clusters.get(name)
    if cluster is not None and vars(cluster).get("deletion_protection") and cluster.status == "ACTIVE":
        raise InvalidRequestException(
            message=f"Cluster {name} has deletion protection enabled; disable it "
                    "(update-cluster-config --no-deletion-protection) before deleting the cluster",
        )
    return _original_delete_cluster(self, name)


def install() -> None:
    """Add the calls above to moto's EKS service (idempotent)."""
    global _installed
    if _installed:
        return
    EKSResponse.list_insights = _list_insights  # type: ignore[attr-defined]
    EKSResponse.describe_insight = _describe_insight  # type: ignore[attr-defined]
    EKSResponse.describe_addon_versions = _describe_addon_versions  # type: ignore[attr-defined]
    EKSResponse.describe_addon = _describe_addon  # type: ignore[attr-defined]
    EKSBackend.delete_cluster = _delete_cluster  # type: ignore[method-assign]
    dispatch = urls.response.dispatch
    urls.url_paths.setdefault("{0}/clusters/(?P<name>[^/]+)/insights$", dispatch)
    urls.url_paths.setdefault("{0}/clusters/(?P<name>[^/]+)/insights/(?P<id>[^/]+)$", dispatch)
    urls.url_paths.setdefault("{0}/addons/supported-versions$", dispatch)
    urls.url_paths.setdefault("{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$", dispatch)
    _installed = True
