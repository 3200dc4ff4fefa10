"""The EKS update calls of the notes' manual steps, as EKS answers them.

moto 5.2.5's ``UpdateClusterConfig`` *replaced* the cluster's ``resourcesVpcConfig`` with
the two or three keys the call gave (the subnets, security groups, VPC and the cluster
security group were gone from ``DescribeCluster``), replaced ``logging`` with the types the
call named, ignored ``deletionProtection``, ``accessConfig`` and ``upgradePolicy``, refused
nothing, and returned the cluster instead of an ``update``. Its ``UpdateNodegroupConfig``
took any scaling (``desiredSize`` above ``maxSize`` included). There was no
``UpdateClusterVersion`` and no ``DescribeUpdate``.

Here (EKS API reference, UpdateClusterConfig / UpdateNodegroupConfig /
UpdateClusterVersion / DescribeUpdate; the sandbox is synchronous, so an update is
applied when the call returns and its status is ``Successful``):

- ``UpdateClusterConfig`` changes only what the call names: in ``resourcesVpcConfig`` the
  given keys (``endpointPublicAccess``, ``endpointPrivateAccess``, ``publicAccessCidrs``,
  ``subnetIds``, ``securityGroupIds``), in ``logging`` the given types' ``enabled``;
  ``deletionProtection``, ``accessConfig.authenticationMode`` (only towards ``API``, as
  EKS), ``upgradePolicy.supportType``. Refused with ``InvalidParameterException`` as EKS
  does: more than one kind of update in a call ("Only one type of update can be
  allowed."), both endpoints off, nothing to change ("Cluster is already at the desired
  configuration ..."), an unknown log type; a missing cluster is
  ``ResourceNotFoundException``.
- ``UpdateNodegroupConfig``: the merged scaling must keep ``minSize <= desiredSize <=
  maxSize`` and ``maxSize >= 1`` (the same checks, and words, as the nodegroup's
  CloudFormation model).
- ``UpdateClusterVersion``: one minor version up.
- ``DescribeUpdate`` answers the updates these calls made.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls
from moto.eks.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.eks.models import Cluster
from moto.eks.responses import EKSResponse
from moto.moto_api._internal import mock_random

from eks_templates.sandbox._common import SandboxResourceError
from eks_templates.sandbox.eks import (
    _AUTH_MODES,
    _LOG_TYPES,
    _access_config,
    _control_plane_log_group,
    _logging_config,
    _parse_version,
    _scaling_config,
)

_installed = False


def _updates(cluster: Cluster) -> dict[str, dict[str, Any]]:
    """The updates of the cluster and its nodegroups, by id (gone with the cluster)."""
    records: dict[str, dict[str, Any]] = vars(cluster).setdefault("sandbox_updates", {})
    return records


def _record(cluster: Cluster, kind: str, params: list[tuple[str, Any]], nodegroup: str | None = None) -> dict[str, Any]:
    update_id = str(mock_random.uuid4())
    update: dict[str, Any] = {
        "id": update_id,
        "status": "Successful",
        "type": kind,
        "params": [{"type": key, "value": value if isinstance(value, str) else json.dumps(value)}
                   for key, value in params],
        "createdAt": utcnow(),
        "errors": [],
    }
    _updates(cluster)[update_id] = {**update, "_nodegroup": nodegroup}
    return update


def _cluster(response: EKSResponse, name: str) -> Cluster:
    cluster = response.eks_backend.clusters.get(name)
    if cluster is None:
        raise ResourceNotFoundException(clusterName=name, nodegroupName=None, fargateProfileName=None,
                                        addonName=None, message=f"No cluster found for name: {name}.")
    return cluster


def _invalid(name: str, message: str) -> InvalidParameterException:
    return InvalidParameterException(clusterName=name, nodegroupName=None, fargateProfileName=None,
                                     addonName=None, message=message)


def _text(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def _vpc_update(name: str, cluster: Cluster, given: dict[str, Any]) -> tuple[str, list[tuple[str, Any]]]:
    current = dict(cluster.resources_vpc_config or {})
    new = dict(current)
    params: list[tuple[str, Any]] = []
    endpoint_keys = ("endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs")
    for key in endpoint_keys:
        if key in given and given[key] is not None:
            new[key] = list(given[key]) if key == "publicAccessCidrs" else bool(given[key])
            params.append((key[0].upper() + key[1:], given[key] if key == "publicAccessCidrs" else _text(given[key])))
    network = [key for key in ("subnetIds", "securityGroupIds") if given.get(key) is not None]
    if network and any(key in given for key in endpoint_keys):
        raise _invalid(name, "Only one type of update can be allowed.")
    if not new.get("endpointPublicAccess") and not new.get("endpointPrivateAccess"):
        # "You can't disable both private and public access" (UpdateClusterConfig, resourcesVpcConfig)
        raise _invalid(name, "Cluster must have either public or private access enabled.")
    for key in network:
        new[key] = list(given[key])
        params.append(("Subnets" if key == "subnetIds" else "SecurityGroups", given[key]))
    if new == current:
        raise _invalid(name, (
            f"Cluster is already at the desired configuration with endpointPrivateAccess: "
            f"{_text(new.get('endpointPrivateAccess'))}, "
            f"endpointPublicAccess: {_text(new.get('endpointPublicAccess'))}, "
            f"and Public Endpoint Restrictions: [{', '.join(new.get('publicAccessCidrs') or [])}]"))
    cluster.resources_vpc_config = new
    return ("VpcConfigUpdate" if network else "EndpointAccessUpdate"), params


def _logging_update(name: str, cluster: Cluster, given: dict[str, Any]) -> tuple[str, list[tuple[str, Any]]]:
    entries: list[dict[str, Any]] = (cluster.logging or {}).get("clusterLogging") or []
    enabled = {t for entry in entries if entry.get("enabled") for t in entry.get("types") or []}
    before = set(enabled)
    for entry in given.get("clusterLogging") or []:
        for log_type in entry.get("types") or []:
            if log_type not in _LOG_TYPES:
                raise _invalid(name, f"Invalid log type {log_type!r}; valid types: {', '.join(_LOG_TYPES)}")
            (enabled.add if entry.get("enabled") else enabled.discard)(log_type)
    if enabled == before:
        raise _invalid(name, "No changes needed for the logging config provided")
    cluster.logging = _logging_config({"ClusterLogging": {"EnabledTypes": [t for t in _LOG_TYPES if t in enabled]}})
    _, _, _, region, account, _ = str(cluster.arn).split(":", 5)
    _control_plane_log_group(account, region, cluster.name, cluster.logging)  # EKS makes the group, as at create
    return "LoggingUpdate", [("ClusterLogging", cluster.logging)]


def _update_cluster_config(self: EKSResponse) -> ActionResult:
    name = self._get_param("name")
    cluster = _cluster(self, name)
    requested = {key: self._get_param(key) for key in ("resourcesVpcConfig", "logging", "deletionProtection",
                                                        "accessConfig", "upgradePolicy")}
    given = {key: value for key, value in requested.items() if value is not None}
    if len(given) > 1:
        raise _invalid(name, "Only one type of update can be allowed.")
    if not given:
        raise _invalid(name, "No changes needed for the cluster configuration provided")
    (key, value), = given.items()
    if key == "resourcesVpcConfig":
        kind, params = _vpc_update(name, cluster, value)
    elif key == "logging":
        kind, params = _logging_update(name, cluster, value)
    elif key == "deletionProtection":
        if bool(vars(cluster).get("deletion_protection", False)) == bool(value):
            raise _invalid(name, "No changes needed for the deletion protection provided")
        vars(cluster)["deletion_protection"] = bool(value)
        kind, params = "DeletionProtectionUpdate", [("DeletionProtection", _text(bool(value)))]
    elif key == "accessConfig":
        mode = str((value or {}).get("authenticationMode") or "")
        current = _access_config(cluster)["authenticationMode"]
        if mode not in _AUTH_MODES or _AUTH_MODES.index(mode) <= _AUTH_MODES.index(current):
            raise _invalid(name, f"Unsupported authentication mode update from {current} to {mode}")
        _access_config(cluster)["authenticationMode"] = mode
        kind, params = "AccessConfigUpdate", [("AuthenticationMode", mode)]
    else:
        support = str((value or {}).get("supportType") or "")
        if support not in ("STANDARD", "EXTENDED"):
            raise _invalid(name, f"Invalid supportType {support!r}; valid: STANDARD, EXTENDED")
        vars(cluster)["upgrade_policy"] = {"supportType": support}
        kind, params = "UpgradePolicyUpdate", [("UpgradePolicy", support)]
    return ActionResult({"update": _record(cluster, kind, params)})


def _update_nodegroup_config(original: Any) -> Any:
    def update_nodegroup_config(self: EKSResponse) -> Any:
        scaling = self._get_param("scalingConfig")
        if scaling:
            name, nodegroup_name = self._get_param("name"), self._get_param("nodegroupName")
            cluster = _cluster(self, name)
            nodegroup = cluster.nodegroups.get(nodegroup_name)
            if nodegroup is not None:
                merged = {**nodegroup.scaling_config, **{k: v for k, v in scaling.items() if v is not None}}
                what = f"nodegroup {nodegroup_name}"
                try:
                    _scaling_config({"MinSize": merged.get("minSize"), "MaxSize": merged.get("maxSize"),
                                     "DesiredSize": merged.get("desiredSize")}, what)
                except SandboxResourceError as refusal:
                    raise InvalidParameterException(
                        clusterName=name, nodegroupName=nodegroup_name, fargateProfileName=None, addonName=None,
                        message=str(refusal.message).removeprefix(f"InvalidParameterException: {what}: ")) from None
        result = original(self)
        update = (getattr(result, "result", None) or {}).get("update")
        if isinstance(update, dict):
            update["params"] = _nodegroup_params(self)
            owner = self.eks_backend.clusters.get(self._get_param("name"))
            if owner is not None:
                update.setdefault("createdAt", utcnow())
                update.setdefault("errors", [])
                _updates(owner)[update["id"]] = {**update, "_nodegroup": self._get_param("nodegroupName")}
        return result

    return update_nodegroup_config


def _nodegroup_params(response: EKSResponse) -> list[dict[str, str]]:
    """The update's ``params`` in EKS's names (UpdateParamType; moto gave Python reprs)."""
    params: list[tuple[str, Any]] = []
    labels = response._get_param("labels") or {}
    taints = response._get_param("taints") or {}
    for key, kind, source in (("addOrUpdateLabels", "LabelsToAdd", labels), ("removeLabels", "LabelsToRemove", labels),
                              ("addOrUpdateTaints", "TaintsToAdd", taints), ("removeTaints", "TaintsToRemove", taints)):
        if source.get(key):
            params.append((kind, source[key]))
    scaling = response._get_param("scalingConfig") or {}
    for key, kind in (("minSize", "MinSize"), ("maxSize", "MaxSize"), ("desiredSize", "DesiredSize")):
        if scaling.get(key) is not None:
            params.append((kind, str(scaling[key])))
    update = response._get_param("updateConfig") or {}
    for key, kind in (("maxUnavailable", "MaxUnavailable"), ("maxUnavailablePercentage", "MaxUnavailablePercentage")):
        if update.get(key) is not None:
            params.append((kind, str(update[key])))
    repair = response._get_param("nodeRepairConfig") or {}
    if repair.get("enabled") is not None:
        params.append(("NodeRepairEnabled", _text(bool(repair["enabled"]))))
    return [{"type": key, "value": value if isinstance(value, str) else json.dumps(value)} for key, value in params]


def _update_cluster_version(self: EKSResponse) -> ActionResult:
    name = self._get_param("name")
    cluster = _cluster(self, name)
    version = str(self._get_param("version") or "")
    try:
        old, new = _parse_version(cluster.version, name), _parse_version(version, name)
    except SandboxResourceError as refusal:
        raise _invalid(name, str(refusal.message).removeprefix("InvalidParameterException: ")) from None
    if new[0] != old[0] or new[1] != old[1] + 1:
        raise _invalid(name, f"Unsupported Kubernetes minor version update from {cluster.version} to {version}")
    cluster.version = version
    return ActionResult({"update": _record(cluster, "VersionUpdate", [("Version", version),
                                                                     ("PlatformVersion", cluster.platformVersion)])})


def _describe_update(self: EKSResponse) -> ActionResult:
    name = self._get_param("name")
    update_id = self._get_param("updateId")
    cluster = _cluster(self, name)
    update = _updates(cluster).get(update_id)
    if update is None or update["_nodegroup"] != self._get_param("nodegroupName"):
        raise ResourceNotFoundException(clusterName=name, nodegroupName=None, fargateProfileName=None,
                                        addonName=None, message=f"No update found for ID: {update_id}")
    return ActionResult({"update": {k: v for k, v in update.items() if not k.startswith("_")}})


def install() -> None:
    """Install the calls above on moto's EKS service (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    EKSResponse.update_cluster_config = _update_cluster_config  # type: ignore[method-assign]
    EKSResponse.update_nodegroup_config = _update_nodegroup_config(  # type: ignore[method-assign]
        EKSResponse.update_nodegroup_config)
    EKSResponse.update_cluster_version = _update_cluster_version  # type: ignore[attr-defined]
    EKSResponse.describe_update = _describe_update  # type: ignore[attr-defined]
    dispatch = urls.response.dispatch
    urls.url_paths.setdefault("{0}/clusters/(?P<name>[^/]+)/updates$", dispatch)
    urls.url_paths.setdefault("{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$", dispatch)
