"""EKS Pod Identity in the sandbox: ``AWS::EKS::PodIdentityAssociation`` and the
associations an ``AWS::EKS::Addon`` makes from its ``PodIdentityAssociations``, with the
two reads a test asks EKS (moto 5.2.5 has neither the CloudFormation model nor the API).

Records hang off moto's cluster object (``sandbox_pod_identity_associations``, keyed by
association id), so they disappear with the cluster and with a ``/moto-api/reset``.

What EKS checks and the sandbox refuses likewise (EKS API reference,
CreatePodIdentityAssociation; cfn-lint's AWS::EKS::PodIdentityAssociation schema):

- the cluster exists and is ACTIVE (ResourceNotFoundException / InvalidRequestException);
- ``RoleArn`` is an IAM role ARN (InvalidParameterException);
- one association per namespace and service account in a cluster
  (ResourceInUseException "Association already exists"), counting those an add-on owns;
- ``ClusterName``, ``Namespace``, ``ServiceAccount`` are create-only (a change replaces
  the association: CloudFormation creates the new one first, so the same service account
  cannot move between templates in one update); ``RoleArn``, ``TargetRoleArn``,
  ``DisableSessionTags``, ``Policy`` and ``Tags`` update in place;
- an association an add-on owns goes with the add-on (``ownerArn`` is the add-on's ARN).

Reads: ``ListPodIdentityAssociations`` (filters ``namespace``, ``serviceAccount``; one
page) and ``DescribePodIdentityAssociation``. Not simulated: the agent, credentials, the
role's trust policy (EKS does not read it at create either; the builder tests pin it).
"""

from __future__ import annotations

import re
from typing import Any, Self

from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import ResourceNotFoundException as EksNotFound
from moto.eks.models import Cluster
from moto.eks.responses import EKSResponse
from moto.moto_api._internal import mock_random

from eks_templates.sandbox._common import SandboxModel, SandboxResourceError, as_bool, tags_to_dict

_ASSOCIATION_ARN_RE = re.compile(r"^arn:[^:]+:eks:[^:]*:\d+:podidentityassociation/(?P<cluster>[^/]+)/(?P<id>[^/]+)$")


def associations(cluster: Cluster) -> dict[str, dict[str, Any]]:
    """The sandbox's pod identity associations of ``cluster``, by association id."""
    records: dict[str, dict[str, Any]] = vars(cluster).setdefault("sandbox_pod_identity_associations", {})
    return records


def _eks_helpers() -> Any:
    from eks_templates.sandbox import eks  # the EKS models' helpers (eks imports this module lazily)

    return eks


def _new_record(account_id: str, region_name: str, cluster: Cluster, namespace: str, service_account: str,
                props: dict[str, Any], what: str, owner_arn: str | None = None) -> dict[str, Any]:
    eks = _eks_helpers()
    role = eks._validate_role_arn(props.get("RoleArn"), what)
    if not namespace or not service_account:
        raise SandboxResourceError("InvalidParameterException", f"{what}: Namespace and ServiceAccount are required")
    for other in associations(cluster).values():
        if (other["namespace"], other["serviceAccount"]) == (namespace, service_account):
            owner = f" (owned by {other['ownerArn']})" if other.get("ownerArn") else ""
            raise SandboxResourceError(
                "ResourceInUseException",
                f"{what}: Association already exists: {other['associationId']}{owner}",
            )
    association_id = "a-" + "".join(mock_random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17))
    now = utcnow().isoformat()
    record = {
        "clusterName": cluster.name,
        "namespace": namespace,
        "serviceAccount": service_account,
        "roleArn": role,
        "associationArn": eks._arn(account_id, region_name, f"podidentityassociation/{cluster.name}/{association_id}"),
        "associationId": association_id,
        "createdAt": now,
        "modifiedAt": now,
        **_mutable(props),
    }
    if owner_arn:
        record["ownerArn"] = owner_arn
    associations(cluster)[association_id] = record
    return record


def _mutable(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"tags": tags_to_dict(props.get("Tags")),
                           "disableSessionTags": as_bool(props.get("DisableSessionTags"), False)}
    if props.get("TargetRoleArn"):
        out["targetRoleArn"] = props["TargetRoleArn"]
    if props.get("Policy"):
        out["policy"] = props["Policy"]
    return out


class EksPodIdentityAssociation(SandboxModel, CloudFormationModel):
    """``AWS::EKS::PodIdentityAssociation``: a record per association; ``Ref`` and ``GetAtt
    AssociationArn`` = its ARN (the schema's primary identifier), ``GetAtt AssociationId``."""

    CFN_TYPE = "AWS::EKS::PodIdentityAssociation"
    CFN_ATTRIBUTES = {
        "AssociationArn": lambda self: self.name,
        "AssociationId": lambda self: self.association_id,
    }

    def __init__(self, account_id: str, region_name: str, name: str, props: dict[str, Any],
                 cluster_name: str = "", association_id: str = ""):
        super().__init__(account_id, region_name, name, props)
        self.cluster_name = cluster_name
        self.association_id = association_id

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> Self:
        cluster_name = str(props.get("ClusterName") or "")
        namespace, service_account = str(props.get("Namespace") or ""), str(props.get("ServiceAccount") or "")
        what = f"AWS::EKS::PodIdentityAssociation {cluster_name}/{namespace}/{service_account}"
        cluster = _eks_helpers()._live_cluster(account_id, region_name, cluster_name, for_what=what)
        record = _new_record(account_id, region_name, cluster, namespace, service_account, props, what)
        return cls(account_id, region_name, record["associationArn"], props, cluster_name, record["associationId"])

    @classmethod
    def _from_physical_id(cls, account_id: str, region_name: str, physical_id: str, props: dict[str, Any]) -> Self:
        match = _ASSOCIATION_ARN_RE.match(physical_id)
        cluster_name, association_id = (match["cluster"], match["id"]) if match else ("", "")
        return cls(account_id, region_name, physical_id, props, cluster_name, association_id)

    @classmethod
    def _update(cls, original_resource: Self, new_resource_name: str, new: dict[str, Any], account_id: str,
                region_name: str) -> Self:
        old = original_resource.props
        if any(new.get(p) != old.get(p) for p in ("ClusterName", "Namespace", "ServiceAccount")):
            return cls._replace(original_resource, new_resource_name, new, account_id, region_name)
        what = f"AWS::EKS::PodIdentityAssociation {original_resource.name}"
        cluster = _eks_helpers()._live_cluster(account_id, region_name, original_resource.cluster_name, for_what=what)
        record = associations(cluster)[original_resource.association_id]
        record.update(roleArn=_eks_helpers()._validate_role_arn(new.get("RoleArn"), what),
                      modifiedAt=utcnow().isoformat(), **_mutable(new))
        for key in ("targetRoleArn", "policy"):
            if key not in _mutable(new):
                record.pop(key, None)
        original_resource.props = new
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        cluster = _eks_helpers()._eks(self.account_id, self.region_name).clusters.get(self.cluster_name)
        if cluster is not None:
            associations(cluster).pop(self.association_id, None)


# --------------------------------------------------------------------------- add-on owned associations


def addon_namespace(addon_name: str) -> str:
    """The namespace an EKS add-on's service accounts are in (the table of
    :mod:`eks_templates.config.addon_identity`; kube-system for the rest, as most are)."""
    from eks_templates.config.addon_identity import ADDON_SERVICE_ACCOUNTS

    rows = ADDON_SERVICE_ACCOUNTS.get(addon_name, ())
    return rows[0].namespace if rows else "kube-system"


def sync_addon_associations(account_id: str, region_name: str, cluster: Cluster, addon_name: str, addon_arn: str,
                            wanted: Any) -> None:
    """Make the add-on's owned associations match its ``PodIdentityAssociations`` (EKS
    replaces them all on an update: "all previous pod identity associations are overwritten",
    user guide, 'Use Pod Identities to assign an IAM role to an Amazon EKS add-on')."""
    what = f"AWS::EKS::Addon {cluster.name}/{addon_name}"
    items = wanted or []
    if not isinstance(items, list):
        raise SandboxResourceError("InvalidParameterException", f"{what}: PodIdentityAssociations must be a list")
    drop_addon_associations(cluster, addon_arn)
    namespace = addon_namespace(addon_name)
    for item in items:
        _new_record(account_id, region_name, cluster, namespace, str(item.get("ServiceAccount") or ""),
                    {"RoleArn": item.get("RoleArn")}, what, owner_arn=addon_arn)


def drop_addon_associations(cluster: Cluster, addon_arn: str) -> None:
    records = associations(cluster)
    for association_id in [k for k, v in records.items() if v.get("ownerArn") == addon_arn]:
        del records[association_id]


# --------------------------------------------------------------------------- the two reads

_PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$",
)
_SUMMARY = ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn")


def _list_pod_identity_associations(self: EKSResponse) -> ActionResult:
    records = associations(self.eks_backend.describe_cluster(self._get_param("name")))
    namespace, service_account = self._get_param("namespace"), self._get_param("serviceAccount")
    found = [
        {k: r[k] for k in _SUMMARY if k in r}
        for r in sorted(records.values(), key=lambda r: (r["namespace"], r["serviceAccount"]))
        if (not namespace or r["namespace"] == namespace)
        and (not service_account or r["serviceAccount"] == service_account)
    ]
    return ActionResult({"associations": found})


def _describe_pod_identity_association(self: EKSResponse) -> ActionResult:
    name, association_id = self._get_param("name"), self._get_param("associationId")
    record = associations(self.eks_backend.describe_cluster(name)).get(association_id)
    if record is None:
        raise EksNotFound(clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None,
                          message=f"The specified association could not be found: {association_id}")
    return ActionResult({"association": dict(record)})


def install_api() -> None:
    """Answer ListPodIdentityAssociations/DescribePodIdentityAssociation (idempotent)."""
    EKSResponse.list_pod_identity_associations = _list_pod_identity_associations  # type: ignore[attr-defined]
    EKSResponse.describe_pod_identity_association = _describe_pod_identity_association  # type: ignore[attr-defined]
    for path in _PATHS:
        eks_urls.url_paths.setdefault(path, eks_urls.response.dispatch)


MODELS: tuple[type[CloudFormationModel], ...] = (EksPodIdentityAssociation,)
