"""CloudFormation models for Amazon EKS resources on moto's EKS backend.

moto 5.2.5 has an EKS *API* backend (clusters, nodegroups, Fargate profiles) but no
CloudFormation model for any ``AWS::EKS::*`` type: a template with one is created
without it (a warning, an empty ``Ref``). Each class here is a direct
:class:`~moto.core.common_models.CloudFormationModel` subclass (the protocol's common
answers come from the mixin :class:`~eks_templates.sandbox._common.SandboxModel`), so
moto's type map
(``CloudFormationModel.__subclasses__()``) picks it up once this module is imported
and :func:`eks_templates.sandbox.server.apply` has cleared moto's cached map.

Where moto's EKS backend stores a thing (clusters, nodegroups, Fargate profiles) the
model creates it there, so ``boto3.client("eks").describe_*`` shows what the template
made. Add-ons and access entries have no moto API; their records hang off moto's
cluster object (``sandbox_addons``/``sandbox_access_entries``), so they disappear with
the cluster and with a ``/moto-api/reset``.

Updates follow CloudFormation's "update requires" rules for each property: in place
where CloudFormation updates in place (the moto object is mutated), replacement
(create the new one, then delete the old one) where it replaces, and the
CloudFormation error when a custom-named resource would need replacing.
"""

from __future__ import annotations

import base64
import re
from typing import Any, ClassVar, Self

from moto.core.common_models import CloudFormationModel
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.models import ec2_backends
from moto.eks import urls as eks_urls
from moto.eks.exceptions import ResourceNotFoundException as EksNotFound
from moto.eks.models import Cluster, EKSBackend, Nodegroup, eks_backends
from moto.eks.responses import EKSResponse
from moto.moto_api._internal import mock_random
from moto.utilities.utils import get_partition

from eks_templates.sandbox._common import (
    SandboxModel,
    SandboxResourceError,
    as_bool,
    as_int,
    as_list,
    custom_name_replacement_error,
    random_hex,
    tags_to_dict,
)

#: Kubernetes version of a cluster whose template gives none (moto's own default is 1.19).
DEFAULT_KUBERNETES_VERSION = "1.34"

_CLUSTER_NAME_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
_PRINCIPAL_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)$")
_AUTH_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _eks(account_id: str, region_name: str) -> EKSBackend:
    return eks_backends[account_id][region_name]


def _live_cluster(account_id: str, region_name: str, name: str, *, for_what: str) -> Cluster:
    cluster = _eks(account_id, region_name).clusters.get(name)
    if cluster is None:
        raise SandboxResourceError("ResourceNotFoundException", f"{for_what}: no cluster found for name: {name}.")
    if cluster.status != "ACTIVE":
        raise SandboxResourceError("InvalidRequestException", f"{for_what}: cluster '{name}' is not in ACTIVE status")
    return cluster


class _EksClusterChild(SandboxModel):
    """A resource of one cluster: physical id ``<cluster><ID_SEPARATOR><name>`` (a mixin, like
    :class:`SandboxModel`, so it never enters moto's type map)."""

    ID_SEPARATOR: ClassVar[str] = "/"

    def __init__(self, account_id: str, region_name: str, cluster_name: str, name: str, props: dict[str, Any]):
        super().__init__(account_id, region_name, name, props)
        self.cluster_name = cluster_name

    @property
    def physical_resource_id(self) -> str:
        return f"{self.cluster_name}{self.ID_SEPARATOR}{self.name}"

    @classmethod
    def _from_physical_id(cls, account_id: str, region_name: str, physical_id: str, props: dict[str, Any]) -> Self:
        cluster_name, _, name = physical_id.partition(cls.ID_SEPARATOR)
        return cls(account_id, region_name, cluster_name, name, {})

    def _cluster_if_any(self) -> Cluster | None:
        """The cluster, or None once it is gone (deletes then have nothing left to do)."""
        return _eks(self.account_id, self.region_name).clusters.get(self.cluster_name)


#: the tags CloudFormation puts on every resource it creates that takes tags (CloudFormation
#: template reference, "CloudFormation resource tagging": "In addition to any tags you define,
#: CloudFormation automatically creates the following stack-level tags with the aws: prefix:
#: aws:cloudformation:logical-id, aws:cloudformation:stack-id, aws:cloudformation:stack-name
#: ... If you use this prefix ... you can't update or delete the tag"). An eksctl cluster shows
#: them in DescribeCluster; moto's CloudFormation tags only EC2 resources.
CFN_TAG_PREFIX = "aws:cloudformation:"


def _stack_tags(stack_id: str, logical_id: str) -> dict[str, str]:
    # arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>
    name = stack_id.split(":stack/", 1)[-1].split("/", 1)[0]
    return {f"{CFN_TAG_PREFIX}stack-name": name, f"{CFN_TAG_PREFIX}stack-id": stack_id,
            f"{CFN_TAG_PREFIX}logical-id": logical_id}


def _aws_tags(tags: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (tags or {}).items() if k.lower().startswith(CFN_TAG_PREFIX)}


def _addons(cluster: Cluster) -> dict[str, dict[str, Any]]:
    """The sandbox's add-on records, kept on moto's cluster object (gone with it)."""
    records: dict[str, dict[str, Any]] = vars(cluster).setdefault("sandbox_addons", {})
    return records


def _access_entries(cluster: Cluster) -> dict[str, dict[str, Any]]:
    """The sandbox's access-entry records, kept on moto's cluster object (gone with it)."""
    records: dict[str, dict[str, Any]] = vars(cluster).setdefault("sandbox_access_entries", {})
    return records


def _access_config(cluster: Cluster) -> dict[str, Any]:
    """``accessConfig`` of the cluster (moto's Cluster has none; describe_cluster shows ours)."""
    config: dict[str, Any] = vars(cluster).setdefault(
        "access_config", {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    )
    return config


def _parse_version(version: str, what: str) -> tuple[int, int]:
    match = _VERSION_RE.match(str(version))
    if not match:
        raise SandboxResourceError(
            "InvalidParameterException", f"{what}: version {version!r} is not of the form MAJOR.MINOR"
        )
    return int(match.group(1)), int(match.group(2))


def _validate_role_arn(arn: Any, what: str) -> str:
    if not isinstance(arn, str) or not _ROLE_ARN_RE.match(arn):
        raise SandboxResourceError("InvalidParameterException", f"{what}: invalid role ARN {arn!r}")
    return arn


def _subnets_vpc(account_id: str, region_name: str, subnet_ids: list[str], what: str) -> tuple[str, set[str]]:
    """The one VPC of ``subnet_ids`` and their availability zones (EKS checks both)."""
    ec2 = ec2_backends[account_id][region_name]
    vpcs: set[str] = set()
    zones: set[str] = set()
    for subnet_id in subnet_ids:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except Exception:
            raise SandboxResourceError(
                "InvalidParameterException", f"{what}: the subnet ID '{subnet_id}' does not exist"
            ) from None
        vpcs.add(subnet.vpc_id)
        zones.add(subnet.availability_zone)
    if len(vpcs) > 1:
        raise SandboxResourceError(
            "InvalidParameterException", f"{what}: subnets must all be in one VPC, got {sorted(vpcs)}"
        )
    return vpcs.pop(), zones


def _check_security_groups(account_id: str, region_name: str, group_ids: list[str], vpc_id: str, what: str) -> None:
    ec2 = ec2_backends[account_id][region_name]
    for group_id in group_ids:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            raise SandboxResourceError(
                "InvalidParameterException", f"{what}: the security group '{group_id}' does not exist"
            )
        if group.vpc_id != vpc_id:
            raise SandboxResourceError(
                "InvalidParameterException",
                f"{what}: security group {group_id} is in {group.vpc_id}, not in the cluster's VPC {vpc_id}",
            )


def _logging_config(logging: Any) -> dict[str, Any]:
    """CloudFormation ``Logging`` -> the EKS API's ``logging`` (enabled and disabled types)."""
    enabled: list[str] = []
    cluster_logging = (logging or {}).get("ClusterLogging") or {}
    for item in cluster_logging.get("EnabledTypes") or []:
        log_type = item.get("Type") if isinstance(item, dict) else item
        if log_type not in _LOG_TYPES:
            raise SandboxResourceError(
                "InvalidParameterException", f"unknown log type {log_type!r}; allowed: {', '.join(_LOG_TYPES)}"
            )
        if log_type not in enabled:
            enabled.append(log_type)
    disabled = [t for t in _LOG_TYPES if t not in enabled]
    entries = []
    if enabled:
        entries.append({"types": enabled, "enabled": True})
    if disabled:
        entries.append({"types": disabled, "enabled": False})
    return {"clusterLogging": entries}


def _control_plane_log_group(account_id: str, region_name: str, name: str, logging: dict[str, Any]) -> None:
    """EKS sends control plane logs to ``/aws/eks/<name>/cluster`` and creates that group when
    it is missing; it never deletes it, not even with the cluster
    (https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html: "Amazon EKS ...
    sends the logs to a CloudWatch log group named /aws/eks/my-cluster/cluster"; the logs
    stay after the cluster is deleted). A later stack whose template creates the group then
    fails with "already exists" (see refusals.py)."""
    if not any(entry.get("enabled") for entry in logging.get("clusterLogging") or []):
        return
    from moto.logs.models import logs_backends

    logs = logs_backends[account_id][region_name]
    group = f"/aws/eks/{name}/cluster"
    if group not in logs.groups:
        logs.create_log_group(group, {})


def _encryption_config(config: Any) -> list[dict[str, Any]]:
    result = []
    for item in config or []:
        key_arn = (item.get("Provider") or {}).get("KeyArn")
        result.append({"provider": {"keyArn": key_arn}, "resources": list(item.get("Resources") or ["secrets"])})
    return result


def _auto_mode_enabled(props: dict[str, Any]) -> tuple[bool, bool, bool]:
    """(compute, block storage, load balancing) of EKS Auto Mode, as the cluster's properties say."""
    compute = as_bool((props.get("ComputeConfig") or {}).get("Enabled"), False)
    storage = as_bool(((props.get("StorageConfig") or {}).get("BlockStorage") or {}).get("Enabled"), False)
    balancing = as_bool(
        ((props.get("KubernetesNetworkConfig") or {}).get("ElasticLoadBalancing") or {}).get("Enabled"), False)
    return compute, storage, balancing


def _check_auto_mode(props: dict[str, Any], auth_mode: str, what: str) -> None:
    """EKS Auto Mode's settings as CreateCluster/UpdateClusterConfig take them: the
    compute, block storage and load balancing capabilities are enabled or disabled
    together (EKS User Guide, "Enable EKS Auto Mode on an existing cluster": "you must
    enable or disable all three together"), node pools need a node role, and Auto Mode
    needs access entries (an API authentication mode)."""
    compute, storage, balancing = _auto_mode_enabled(props)
    if len({compute, storage, balancing}) != 1:
        raise SandboxResourceError(
            "InvalidParameterException",
            f"{what}: for EKS Auto Mode, computeConfig.enabled, storageConfig.blockStorage.enabled and "
            "kubernetesNetworkConfig.elasticLoadBalancing.enabled must all be true or all be false "
            f"(got {compute}, {storage}, {balancing})",
        )
    config = props.get("ComputeConfig") or {}
    if config.get("NodePools") and not config.get("NodeRoleArn"):
        raise SandboxResourceError("InvalidParameterException", f"{what}: computeConfig.nodeRoleArn is required "
                                   "when computeConfig.nodePools is given")
    if config.get("NodeRoleArn"):
        _validate_role_arn(config["NodeRoleArn"], what)
    if compute and auth_mode == "CONFIG_MAP":
        raise SandboxResourceError("InvalidParameterException", f"{what}: EKS Auto Mode needs the API or "
                                   "API_AND_CONFIG_MAP authentication mode")


def _fake_certificate(name: str) -> str:
    body = base64.b64encode(f"eks-templates sandbox cluster {name} ({random_hex(16)})".encode()).decode()
    pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    return base64.b64encode(pem.encode()).decode()


class EksCluster(SandboxModel, CloudFormationModel):
    """``AWS::EKS::Cluster`` on moto's EKS backend (moto has no CloudFormation model for it).

    Adds: the cluster in ``eks_backends`` (``describe_cluster`` sees it), ``Ref`` = name,
    ``GetAtt`` ``Arn``, ``Endpoint``, ``CertificateAuthorityData``,
    ``OpenIdConnectIssuerUrl``, ``ClusterSecurityGroupId``, ``EncryptionConfigKeyArn``.
    Like EKS it creates a real EC2 security group ``eks-cluster-sg-<name>-<n>`` in the
    subnets' VPC (self-referencing ingress, tagged ``kubernetes.io/cluster/<name>``), so
    templates can add rules to it; deleting the cluster deletes that group.
    Replaces: moto's fixed endpoint and OIDC issuer (one random id per *process*) with a
    per-cluster id, and its 1.19 default version.
    Updates in place: ``Version`` (one minor step up), ``ResourcesVpcConfig`` (endpoint
    access, CIDRs, subnets in the same VPC, security groups), ``Logging``,
    ``AccessConfig.AuthenticationMode`` (only CONFIG_MAP -> API_AND_CONFIG_MAP -> API),
    adding ``EncryptionConfig``, ``Tags``. Replacement: ``Name``, ``RoleArn``,
    ``KubernetesNetworkConfig``, ``BootstrapClusterCreatorAdminPermissions``.
    Does not simulate: a control plane, upgrade duration, add-on compatibility.
    """

    CFN_TYPE = "AWS::EKS::Cluster"
    CFN_NAME_TYPE = "Name"
    CFN_ATTRIBUTES = {
        "Arn": lambda cluster: cluster.arn,
        "Endpoint": lambda cluster: cluster.endpoint,
        "CertificateAuthorityData": lambda cluster: cluster.certificate_authority["data"],
        "OpenIdConnectIssuerUrl": lambda cluster: cluster.identity["oidc"]["issuer"],
        "ClusterSecurityGroupId": lambda cluster: cluster.resources_vpc_config["clusterSecurityGroupId"],
        "EncryptionConfigKeyArn": lambda cluster: (
            cluster.encryption_config[0]["provider"]["keyArn"] if cluster.encryption_config else ""
        ),
        "Id": lambda cluster: getattr(cluster, "id", ""),
    }

    @property
    def cluster(self) -> Cluster:
        return _eks(self.account_id, self.region_name).describe_cluster(self.name)

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> EksCluster:
        model = super().create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs
        )
        stack_id = str(kwargs.get("StackId") or "")
        if stack_id:
            model.cluster.tags.update(_stack_tags(stack_id, str(kwargs.get("LogicalId") or "")))
        return model

    def _cfn_source(self) -> Cluster:
        return self.cluster

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> EksCluster:
        name = str(props.get("Name") or resource_name)
        what = f"AWS::EKS::Cluster {name}"
        if not _CLUSTER_NAME_RE.match(name):
            raise SandboxResourceError(
                "InvalidParameterException",
                f"{what}: name must match [0-9A-Za-z][A-Za-z0-9-_]* and be at most 100 characters",
            )
        backend = _eks(account_id, region_name)
        if name in backend.clusters:
            raise SandboxResourceError("ResourceInUseException", f"Cluster already exists with name: {name}")
        role_arn = _validate_role_arn(props.get("RoleArn"), what)
        version = str(props.get("Version") or DEFAULT_KUBERNETES_VERSION)
        _parse_version(version, what)
        vpc_config = cls._vpc_config(account_id, region_name, props.get("ResourcesVpcConfig") or {}, what)
        network = props.get("KubernetesNetworkConfig") or {}
        access = props.get("AccessConfig") or {}
        auth_mode = access.get("AuthenticationMode", "CONFIG_MAP")
        if auth_mode not in _AUTH_MODES:
            raise SandboxResourceError("InvalidParameterException", f"{what}: unknown AuthenticationMode {auth_mode!r}")
        _check_auto_mode(props, auth_mode, what)

        cluster = backend.create_cluster(
            name=name,
            role_arn=role_arn,
            resources_vpc_config=vpc_config,
            version=version,
            kubernetes_network_config={
                "serviceIpv4Cidr": network.get("ServiceIpv4Cidr", "172.20.0.0/16"),
                "ipFamily": str(network.get("IpFamily", "ipv4")).lower(),
            },
            logging=_logging_config(props.get("Logging")),
            tags=tags_to_dict(props.get("Tags")),
            encryption_config=_encryption_config(props.get("EncryptionConfig")),
        )
        # moto computes one endpoint and one OIDC issuer per process; EKS gives each
        # cluster its own id (and the OIDC provider's URL must be unique per account).
        cluster_id = random_hex(32)
        cluster.endpoint = f"https://{cluster_id}.gr7.{region_name}.eks.amazonaws.com"
        cluster.identity = {"oidc": {"issuer": f"https://oidc.eks.{region_name}.amazonaws.com/id/{cluster_id}"}}
        cluster.certificate_authority = {"data": _fake_certificate(name)}
        vars(cluster)["id"] = cluster_id.lower()
        vars(cluster)["access_config"] = {
            "authenticationMode": auth_mode,
            "bootstrapClusterCreatorAdminPermissions": as_bool(
                access.get("BootstrapClusterCreatorAdminPermissions"), True
            ),
        }
        _addons(cluster).clear()
        _access_entries(cluster).clear()
        vars(cluster)["deletion_protection"] = as_bool(props.get("DeletionProtection"), False)
        vars(cluster)["upgrade_policy"] = {"supportType": str((props.get("UpgradePolicy") or {}).get(
            "SupportType", "EXTENDED"))}  # EKS's default (UpgradePolicyRequest, EKS API reference)
        cls._create_cluster_security_group(account_id, region_name, cluster)
        _control_plane_log_group(account_id, region_name, name, cluster.logging)
        return cls(account_id, region_name, name, props)

    @classmethod
    def _update(
        cls,
        original_resource: EksCluster,
        new_resource_name: str,
        new: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> EksCluster:
        old = original_resource.props
        old_name = original_resource.name
        explicit_new_name = new.get("Name")
        name_changes = explicit_new_name is not None and explicit_new_name != old_name
        old_access = old.get("AccessConfig") or {}
        new_access = new.get("AccessConfig") or {}
        old_network = old.get("KubernetesNetworkConfig") or {}
        new_network = new.get("KubernetesNetworkConfig") or {}
        replace = (
            name_changes
            or new.get("RoleArn") != old.get("RoleArn")
            # create-only (the AWS::EKS::Cluster schema): IpFamily, ServiceIpv4Cidr and
            # BootstrapSelfManagedAddons; ElasticLoadBalancing (Auto Mode) changes in place
            or any(new_network.get(k) != old_network.get(k) for k in ("IpFamily", "ServiceIpv4Cidr"))
            or as_bool(new.get("BootstrapSelfManagedAddons"), True)
            != as_bool(old.get("BootstrapSelfManagedAddons"), True)
            or as_bool(new_access.get("BootstrapClusterCreatorAdminPermissions"), True)
            != as_bool(old_access.get("BootstrapClusterCreatorAdminPermissions"), True)
        )
        if replace:
            if explicit_new_name is not None and not name_changes:
                raise custom_name_replacement_error(old_name, "AWS::EKS::Cluster")
            name = explicit_new_name or new_resource_name
            replacement = cls._replace_named(original_resource, name, new, account_id, region_name)
            # the new cluster is the same stack's resource: the same aws:cloudformation:* tags
            replacement.cluster.tags.update(_aws_tags(original_resource.cluster.tags))
            return replacement
        original_resource._update_in_place(new)
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _eks(self.account_id, self.region_name)
        cluster = backend.clusters.get(self.name)
        if cluster is None:
            return  # already gone: CloudFormation treats that as deleted
        if vars(cluster).get("deletion_protection"):
            # EKS user guide, "Protect EKS clusters from accidental deletion": deleting an
            # active cluster with deletion protection on is an InvalidRequestException.
            raise SandboxResourceError(
                "InvalidRequestException",
                f"Cluster {self.name} has deletion protection enabled; disable it "
                "(update-cluster-config --no-deletion-protection) before deleting the cluster",
            )
        if cluster.nodegroups or cluster.fargate_profiles:
            attached = sorted(cluster.nodegroups) + sorted(cluster.fargate_profiles)
            raise SandboxResourceError(
                "ResourceInUseException",
                f"Cluster {self.name} has nodegroups or Fargate profiles attached: {', '.join(attached)}",
            )
        group_id = cluster.resources_vpc_config.get("clusterSecurityGroupId")
        backend.delete_cluster(self.name)
        if group_id:
            ec2 = ec2_backends[self.account_id][self.region_name]
            if ec2.get_security_group_from_id(group_id) is not None:
                ec2.delete_security_group(group_id=group_id)

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    def _vpc_config(account_id: str, region_name: str, config: dict[str, Any], what: str) -> dict[str, Any]:
        subnet_ids = as_list(config.get("SubnetIds"), f"{what}: ResourcesVpcConfig.SubnetIds")
        if len(subnet_ids) < 2:
            raise SandboxResourceError(
                "InvalidParameterException", f"{what}: ResourcesVpcConfig.SubnetIds needs at least two subnets"
            )
        vpc_id, zones = _subnets_vpc(account_id, region_name, subnet_ids, what)
        if len(zones) < 2:
            raise SandboxResourceError(
                "InvalidParameterException",
                f"{what}: subnets specified must be in at least two different AZs",
            )
        group_ids = as_list(config.get("SecurityGroupIds"), f"{what}: ResourcesVpcConfig.SecurityGroupIds")
        _check_security_groups(account_id, region_name, group_ids, vpc_id, what)
        public = as_bool(config.get("EndpointPublicAccess"), True)
        private = as_bool(config.get("EndpointPrivateAccess"), False)
        if not public and not private:
            raise SandboxResourceError(
                "InvalidParameterException",
                f"{what}: the cluster endpoint must have public access, private access or both",
            )
        cidrs = as_list(config.get("PublicAccessCidrs"), f"{what}: ResourcesVpcConfig.PublicAccessCidrs")
        return {
            "subnetIds": subnet_ids,
            "securityGroupIds": group_ids,
            "vpcId": vpc_id,
            "endpointPublicAccess": public,
            "endpointPrivateAccess": private,
            "publicAccessCidrs": cidrs or ["0.0.0.0/0"],
        }

    @staticmethod
    def _create_cluster_security_group(account_id: str, region_name: str, cluster: Cluster) -> None:
        ec2 = ec2_backends[account_id][region_name]
        vpc_id = cluster.resources_vpc_config["vpcId"]
        group = ec2.create_security_group(
            name=f"eks-cluster-sg-{cluster.name}-{mock_random.randint(10**9, 10**10 - 1)}",
            description=(
                "EKS created security group applied to ENI that is attached to EKS Control Plane "
                "master nodes, as well as any managed workloads."
            ),
            vpc_id=vpc_id,
            tags={
                f"kubernetes.io/cluster/{cluster.name}": "owned",
                "aws:eks:cluster-name": cluster.name,
                "Name": f"eks-cluster-sg-{cluster.name}",
            },
        )
        ec2.authorize_security_group_ingress(
            group_name_or_id=group.id,
            ip_protocol="-1",
            from_port=None,  # type: ignore[arg-type]
            to_port=None,  # type: ignore[arg-type]
            ip_ranges=[],
            source_groups=[{"GroupId": group.id}],
            vpc_id=vpc_id,
        )
        cluster.resources_vpc_config["clusterSecurityGroupId"] = group.id

    def _update_in_place(self, new: dict[str, Any]) -> None:
        cluster = self.cluster
        what = f"AWS::EKS::Cluster {self.name}"
        old = self.props

        new_version = str(new.get("Version") or cluster.version)
        if new_version != cluster.version:
            old_v = _parse_version(cluster.version, what)
            new_v = _parse_version(new_version, what)
            if new_v[0] != old_v[0] or new_v[1] != old_v[1] + 1:
                raise SandboxResourceError(
                    "InvalidParameterException",
                    f"{what}: unsupported Kubernetes minor version update from {cluster.version} to "
                    f"{new_version} (one minor version up at a time)",
                )
            cluster.version = new_version

        vpc = self._vpc_config(self.account_id, self.region_name, new.get("ResourcesVpcConfig") or {}, what)
        if vpc["vpcId"] != cluster.resources_vpc_config["vpcId"]:
            raise SandboxResourceError(
                "InvalidParameterException",
                f"{what}: subnets must stay in the cluster's VPC {cluster.resources_vpc_config['vpcId']}",
            )
        vpc["clusterSecurityGroupId"] = cluster.resources_vpc_config["clusterSecurityGroupId"]
        cluster.resources_vpc_config = vpc
        cluster.logging = _logging_config(new.get("Logging"))
        _control_plane_log_group(self.account_id, self.region_name, self.name, cluster.logging)

        mode = (new.get("AccessConfig") or {}).get("AuthenticationMode", _access_config(cluster)["authenticationMode"])
        current = _access_config(cluster)["authenticationMode"]
        if mode not in _AUTH_MODES or _AUTH_MODES.index(mode) < _AUTH_MODES.index(current):
            raise SandboxResourceError(
                "InvalidParameterException",
                f"{what}: unsupported authentication mode update from {current} to {mode}",
            )
        _access_config(cluster)["authenticationMode"] = mode
        _check_auto_mode(new, mode, what)  # UpdateClusterConfig takes the three settings together too

        new_encryption = _encryption_config(new.get("EncryptionConfig"))
        if new_encryption != (cluster.encryption_config or []):
            if cluster.encryption_config:
                raise SandboxResourceError(
                    "InvalidParameterException",
                    f"{what}: encryption is already enabled; it cannot be changed or disabled",
                )
            cluster.encryption_config = new_encryption
        if new.get("Tags") != old.get("Tags"):
            cluster.tags = {**tags_to_dict(new.get("Tags")), **_aws_tags(cluster.tags)}
        vars(cluster)["deletion_protection"] = as_bool(new.get("DeletionProtection"), False)
        vars(cluster)["upgrade_policy"] = {"supportType": str((new.get("UpgradePolicy") or {}).get(
            "SupportType", _upgrade_policy(cluster)["supportType"]))}
        self.props = new


def _upgrade_policy(cluster: Cluster) -> dict[str, str]:
    return vars(cluster).setdefault("upgrade_policy", {"supportType": "EXTENDED"})


# ---------------------------------------------------------------------------------------
# Nodegroup


def _scaling_config(config: Any, what: str) -> dict[str, int]:
    config = config or {}
    min_size = as_int(config.get("MinSize", 1), f"{what}: ScalingConfig.MinSize")
    max_size = as_int(config.get("MaxSize", max(min_size, 1)), f"{what}: ScalingConfig.MaxSize")
    desired = as_int(config.get("DesiredSize", min_size), f"{what}: ScalingConfig.DesiredSize")
    if min_size < 0 or max_size < 1:
        raise SandboxResourceError("InvalidParameterException", f"{what}: MinSize must be >= 0 and MaxSize >= 1")
    if min_size > desired:
        raise SandboxResourceError(
            "InvalidParameterException",
            f"{what}: Minimum capacity {min_size} can't be greater than desired size {desired}",
        )
    if desired > max_size:
        raise SandboxResourceError(
            "InvalidParameterException", f"{what}: Desired capacity {desired} can't be greater than max size {max_size}"
        )
    return {"minSize": min_size, "maxSize": max_size, "desiredSize": desired}


def _taints(taints: Any) -> list[dict[str, str]]:
    allowed = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
    result = []
    for taint in taints or []:
        effect = taint.get("Effect")
        if effect not in allowed:
            raise SandboxResourceError(
                "InvalidParameterException", f"taint effect {effect!r} is not one of {', '.join(allowed)}"
            )
        item = {"key": taint["Key"], "effect": effect}
        if taint.get("Value") is not None:
            item["value"] = taint["Value"]
        result.append(item)
    return result


def _launch_template(account_id: str, region_name: str, config: Any, what: str) -> dict[str, str] | None:
    if not config:
        return None
    ec2 = ec2_backends[account_id][region_name]
    try:
        if config.get("Id"):
            template = ec2.describe_launch_templates(template_ids=[config["Id"]])[0]
        elif config.get("Name"):
            template = ec2.describe_launch_templates(template_names=[config["Name"]])[0]
        else:
            raise SandboxResourceError("InvalidParameterException", f"{what}: LaunchTemplate needs Id or Name")
    except SandboxResourceError:
        raise
    except Exception:
        raise SandboxResourceError(
            "InvalidParameterException", f"{what}: launch template {config.get('Id') or config.get('Name')} not found"
        ) from None
    version = str(config.get("Version") or "$Default")
    if version.lower() == "$default":
        version = str(template.default_version_number)
    elif version.lower() == "$latest":
        version = str(template.latest_version_number)
    if not version.isdigit() or not 1 <= int(version) <= len(template.versions):
        raise SandboxResourceError(
            "InvalidParameterException", f"{what}: launch template {template.id} has no version {version}"
        )
    return {"id": template.id, "name": template.name, "version": version}


def _check_ami_type(account_id: str, region_name: str, ami_type: Any, launch_template: dict[str, str] | None,
                    what: str) -> str:
    """CreateNodegroup's amiType rules: with a launch template whose image is custom,
    amiType must not be given ("don't specify amiType, or the node group deployment will
    fail"); ``CUSTOM`` is what EKS reports for such a group, never an image of its own,
    so it needs a launch template with an ImageId. Returns the custom image, if any."""
    image, version = "", ""
    if launch_template:
        version = launch_template["version"]
        template = ec2_backends[account_id][region_name].describe_launch_templates(
            template_ids=[launch_template["id"]])[0]
        image = template.get_version(int(launch_template["version"])).image_id
    if image and ami_type:
        raise SandboxResourceError("InvalidParameterException", f"{what}: amiType {ami_type} cannot be given: the "
                                   f"launch template's version {version} has a custom AMI ({image})")
    if ami_type == "CUSTOM" and not image:
        raise SandboxResourceError("InvalidParameterException", f"{what}: amiType CUSTOM needs a launch template "
                                   "with an ImageId")
    return image


class EksNodegroup(_EksClusterChild, CloudFormationModel):
    """``AWS::EKS::Nodegroup`` on moto's EKS backend (moto has no CloudFormation model for it).

    Adds: the nodegroup in moto's cluster (``describe_nodegroup`` sees it), ``Ref`` =
    ``<cluster>/<nodegroup>`` as in CloudFormation, ``GetAtt`` ``Arn``, ``ClusterName``,
    ``NodegroupName``. Checks what EKS checks: the cluster exists and is ACTIVE, the
    role ARN, subnets exist, MinSize <= DesiredSize <= MaxSize, the launch template and
    its version exist, no DiskSize/RemoteAccess together with a launch template.
    Replaces: moto's defaults that EKS does not have (Kubernetes 1.19, a made-up
    ``eksKeypair`` remote access) with the cluster's version and no remote access.
    Updates in place (as CloudFormation): ``ScalingConfig``, ``Labels``, ``Taints``,
    ``UpdateConfig``, ``LaunchTemplate.Version``, ``Version``, ``ReleaseVersion``,
    ``Tags``. Replacement: ``NodegroupName``, ``ClusterName``, ``NodeRole``, ``Subnets``,
    ``AmiType``, ``CapacityType``, ``DiskSize``, ``InstanceTypes``, ``RemoteAccess``,
    the launch template's Id/Name.
    Does not simulate: instances, an Auto Scaling group, rolling updates.
    """

    CFN_TYPE = "AWS::EKS::Nodegroup"
    CFN_NAME_TYPE = "NodegroupName"
    CFN_ATTRIBUTES = {
        "Arn": lambda self: self.nodegroup.arn,
        "ClusterName": lambda self: self.cluster_name,
        "NodegroupName": lambda self: self.name,
        "Id": lambda self: self.physical_resource_id,
    }
    REPLACING = (
        "ClusterName",
        "NodeRole",
        "Subnets",
        "AmiType",
        "CapacityType",
        "DiskSize",
        "InstanceTypes",
        "RemoteAccess",
    )

    @property
    def nodegroup(self) -> Nodegroup:
        return _eks(self.account_id, self.region_name).describe_nodegroup(self.cluster_name, self.name)

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> EksNodegroup:
        cluster_name = str(props.get("ClusterName") or "")
        name = str(props.get("NodegroupName") or resource_name)
        what = f"AWS::EKS::Nodegroup {cluster_name}/{name}"
        cluster = _live_cluster(account_id, region_name, cluster_name, for_what=what)
        if name in cluster.nodegroups:
            raise SandboxResourceError(
                "ResourceInUseException",
                f"NodeGroup already exists with name {name} and cluster name {cluster_name}",
            )
        node_role = _validate_role_arn(props.get("NodeRole"), what)
        subnets = as_list(props.get("Subnets"), f"{what}: Subnets")
        if not subnets:
            raise SandboxResourceError("InvalidParameterException", f"{what}: Subnets must not be empty")
        vpc_id, _ = _subnets_vpc(account_id, region_name, subnets, what)
        if vpc_id != cluster.resources_vpc_config.get("vpcId"):
            raise SandboxResourceError("InvalidParameterException", f"{what}: subnets are not in the cluster's VPC")
        launch_template = _launch_template(account_id, region_name, props.get("LaunchTemplate"), what)
        remote_access = props.get("RemoteAccess")
        if launch_template and (props.get("DiskSize") is not None or remote_access):
            raise SandboxResourceError(
                "InvalidParameterException",
                f"{what}: DiskSize and RemoteAccess cannot be specified with a launch template",
            )
        custom_image = _check_ami_type(account_id, region_name, props.get("AmiType"), launch_template, what)
        capacity_type = props.get("CapacityType", "ON_DEMAND")
        if capacity_type not in ("ON_DEMAND", "SPOT", "CAPACITY_BLOCK"):
            raise SandboxResourceError("InvalidParameterException", f"{what}: unknown CapacityType {capacity_type!r}")
        version = str(props.get("Version") or cluster.version)
        cls._check_version(version, cluster, what)
        default_ami = "AL2023_x86_64_STANDARD" if _parse_version(version, what) >= (1, 30) else "AL2_x86_64"

        nodegroup = _eks(account_id, region_name).create_nodegroup(
            cluster_name=cluster_name,
            node_role=node_role,
            nodegroup_name=name,
            subnets=subnets,
            scaling_config=_scaling_config(props.get("ScalingConfig"), what),
            disk_size=None if launch_template else as_int(props.get("DiskSize", 20), f"{what}: DiskSize"),
            instance_types=as_list(props.get("InstanceTypes"), f"{what}: InstanceTypes") or ["t3.medium"],
            ami_type="CUSTOM" if custom_image else props.get("AmiType") or default_ami,
            remote_access=None,
            labels={str(k): str(v) for k, v in (props.get("Labels") or {}).items()},
            taints=_taints(props.get("Taints")),
            tags=tags_to_dict(props.get("Tags")),
            launch_template=launch_template,
            capacity_type=capacity_type,
            version=version,
            release_version=props.get("ReleaseVersion") or f"{version}.0-sandbox",
        )
        # moto fills in a remote access with key "eksKeypair" and a random group when
        # none is given; EKS has none then.
        if remote_access:
            nodegroup.remote_access = {
                "ec2SshKey": remote_access.get("Ec2SshKey"),
                "sourceSecurityGroups": list(remote_access.get("SourceSecurityGroups") or []),
            }
        else:
            nodegroup.remote_access = None  # type: ignore[assignment]
            nodegroup.resources.pop("remoteAccessSecurityGroup", None)
        if not launch_template:
            nodegroup.launch_template = None
        nodegroup.update_config = cls._update_config(props.get("UpdateConfig"))
        return cls(account_id, region_name, cluster_name, name, props)

    @classmethod
    def _update(
        cls,
        original_resource: EksNodegroup,
        new_resource_name: str,
        new: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> EksNodegroup:
        old = original_resource.props
        explicit_name = new.get("NodegroupName")
        name_changes = explicit_name is not None and explicit_name != original_resource.name
        old_lt = old.get("LaunchTemplate") or {}
        new_lt = new.get("LaunchTemplate") or {}
        replace = (
            name_changes
            or any(new.get(p) != old.get(p) for p in cls.REPLACING)
            or (old_lt.get("Id"), old_lt.get("Name")) != (new_lt.get("Id"), new_lt.get("Name"))
        )
        if replace:
            if explicit_name is not None and not name_changes and new.get("ClusterName") == old.get("ClusterName"):
                raise custom_name_replacement_error(original_resource.name, "AWS::EKS::Nodegroup")
            name = explicit_name or new_resource_name
            return cls._replace_named(original_resource, name, new, account_id, region_name)
        original_resource._update_in_place(new)
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        cluster = self._cluster_if_any()
        if cluster is not None and self.name in cluster.nodegroups:
            _eks(self.account_id, self.region_name).delete_nodegroup(self.cluster_name, self.name)

    @staticmethod
    def _update_config(config: Any) -> dict[str, int] | None:
        if not config:
            return {"maxUnavailable": 1}
        result = {}
        if config.get("MaxUnavailable") is not None:
            result["maxUnavailable"] = int(config["MaxUnavailable"])
        if config.get("MaxUnavailablePercentage") is not None:
            result["maxUnavailablePercentage"] = int(config["MaxUnavailablePercentage"])
        if len(result) != 1:
            raise SandboxResourceError(
                "InvalidParameterException",
                "UpdateConfig needs exactly one of MaxUnavailable and MaxUnavailablePercentage",
            )
        return result

    @staticmethod
    def _check_version(version: str, cluster: Cluster, what: str) -> None:
        node = _parse_version(version, what)
        control = _parse_version(cluster.version, what)
        if node > control or node[0] != control[0] or control[1] - node[1] > 3:
            raise SandboxResourceError(
                "InvalidParameterException",
                f"{what}: nodegroup version {version} is not supported with cluster version {cluster.version}",
            )

    #: what EKS updates through UpdateNodegroupConfig / the launch template, never in the
    #: same update as Version/ReleaseVersion (UpdateNodegroupVersion)
    CONFIG_PROPERTIES = ("ScalingConfig", "Labels", "Taints", "UpdateConfig", "LaunchTemplate", "Tags")

    def _update_in_place(self, new: dict[str, Any]) -> None:
        what = f"AWS::EKS::Nodegroup {self.cluster_name}/{self.name}"
        nodegroup = self.nodegroup
        cluster = _live_cluster(self.account_id, self.region_name, self.cluster_name, for_what=what)
        old = self.props
        version_change = any(str(new.get(p) or "") != str(old.get(p) or "") for p in ("Version", "ReleaseVersion"))
        others = [p for p in self.CONFIG_PROPERTIES if new.get(p) != old.get(p)]
        if version_change and others:
            # CloudFormation's handler, as reported in containers-roadmap#1258 and eksctl#2565
            raise SandboxResourceError(
                "InvalidRequestException",
                f"{what}: Version and ReleaseVersion updates cannot be combined with other updates "
                f"(also changed: {', '.join(others)})",
            )
        nodegroup.scaling_config = _scaling_config(new.get("ScalingConfig"), what)
        nodegroup.labels = {str(k): str(v) for k, v in (new.get("Labels") or {}).items()}
        nodegroup.taints = _taints(new.get("Taints"))
        nodegroup.update_config = self._update_config(new.get("UpdateConfig"))
        if new.get("LaunchTemplate"):
            nodegroup.launch_template = _launch_template(self.account_id, self.region_name, new["LaunchTemplate"], what)
        version = str(new.get("Version") or nodegroup.version)
        if version != nodegroup.version:
            self._check_version(version, cluster, what)
            nodegroup.version = version
        nodegroup.release_version = new.get("ReleaseVersion") or f"{nodegroup.version}.0-sandbox"
        nodegroup.tags = tags_to_dict(new.get("Tags"))
        nodegroup.modified_at = utcnow()
        self.props = new


# ---------------------------------------------------------------------------------------
# Add-ons, access entries, Fargate profiles


def _arn(account_id: str, region_name: str, resource: str) -> str:
    return f"arn:{get_partition(region_name)}:eks:{region_name}:{account_id}:{resource}"


class _EksClusterRecord(_EksClusterChild):
    """A resource EKS has but moto has no API for: a record on moto's cluster object
    (in ``_records(cluster)``, keyed by ``name``), so it goes with the cluster or a reset."""

    @staticmethod
    def _records(cluster: Cluster) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    @property
    def record(self) -> dict[str, Any]:
        cluster = _eks(self.account_id, self.region_name).describe_cluster(self.cluster_name)
        return dict(self._records(cluster)[self.name])

    def _update_record(self, fields: dict[str, Any], props: dict[str, Any]) -> Self:
        """Update in place: the record's mutable ``fields``, the model's ``props``."""
        cluster = _eks(self.account_id, self.region_name).describe_cluster(self.cluster_name)
        self._records(cluster)[self.name].update(fields)
        self.props = props
        return self

    def delete(self, account_id: str, region_name: str) -> None:
        cluster = self._cluster_if_any()
        if cluster is not None:
            self._records(cluster).pop(self.name, None)


class EksAddon(_EksClusterRecord, CloudFormationModel):
    """``AWS::EKS::Addon``: moto has neither a CloudFormation model nor an add-on API.

    Adds: a minimal record in ``_addons(cluster)`` on moto's cluster object (gone
    with the cluster or a reset), ``Ref`` = ``<cluster>/<addon>``, ``GetAtt Arn``. Checks
    that the cluster exists and the add-on is not installed twice.
    Updates in place: ``AddonVersion``, ``ServiceAccountRoleArn``, ``ResolveConflicts``,
    ``ConfigurationValues``, ``PodIdentityAssociations`` (the add-on's own associations, in
    :mod:`.pod_identity`), ``Tags``; replacement: ``ClusterName``, ``AddonName``.
    Does not simulate: the EKS add-on API (``describe_addon``), version compatibility,
    anything running in the cluster.
    """

    CFN_TYPE = "AWS::EKS::Addon"
    CFN_NAME_TYPE = "AddonName"
    CFN_ATTRIBUTES = {"Arn": lambda self: self.record["addonArn"]}
    _records = staticmethod(_addons)

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> EksAddon:
        cluster_name = str(props.get("ClusterName") or "")
        name = str(props.get("AddonName") or resource_name)
        what = f"AWS::EKS::Addon {cluster_name}/{name}"
        cluster = _live_cluster(account_id, region_name, cluster_name, for_what=what)
        if name in _addons(cluster):
            raise SandboxResourceError("ResourceInUseException", f"{what}: Addon already exists.")
        if props.get("ServiceAccountRoleArn"):
            _validate_role_arn(props["ServiceAccountRoleArn"], what)
        from eks_templates.sandbox import pod_identity

        arn = _arn(account_id, region_name, f"addon/{cluster_name}/{name}/{mock_random.uuid4()}")
        pod_identity.sync_addon_associations(account_id, region_name, cluster, name, arn,
                                             props.get("PodIdentityAssociations"))
        _addons(cluster)[name] = {
            "addonName": name,
            "clusterName": cluster_name,
            "addonArn": arn,
            "status": "ACTIVE",
            **cls._mutable(props),
        }
        if not props.get("AddonVersion"):
            # EKS installs the default version for the cluster's Kubernetes version
            # (CreateAddon: "If you don't specify a version, the default version is used").
            from eks_templates.sandbox.eks_api import addon_version

            _addons(cluster)[name]["addonVersion"] = addon_version(name, cluster.version, 2)
        return cls(account_id, region_name, cluster_name, name, props)

    @staticmethod
    def _mutable(props: dict[str, Any]) -> dict[str, Any]:
        return {
            "addonVersion": props.get("AddonVersion"),
            "serviceAccountRoleArn": props.get("ServiceAccountRoleArn"),
            "resolveConflicts": props.get("ResolveConflicts"),
            "configurationValues": props.get("ConfigurationValues"),
            "podIdentityAssociations": props.get("PodIdentityAssociations"),
            "tags": tags_to_dict(props.get("Tags")),
        }

    @classmethod
    def _update(
        cls, original_resource: EksAddon, new_resource_name: str, new: dict[str, Any], account_id: str, region_name: str
    ) -> EksAddon:
        if (new.get("ClusterName"), new.get("AddonName")) != (
            original_resource.cluster_name,
            original_resource.name,
        ):
            return cls._replace(original_resource, new_resource_name, new, account_id, region_name)
        if new.get("ServiceAccountRoleArn"):
            _validate_role_arn(new["ServiceAccountRoleArn"], f"AWS::EKS::Addon {original_resource.name}")
        if new.get("PodIdentityAssociations") != original_resource.props.get("PodIdentityAssociations"):
            from eks_templates.sandbox import pod_identity

            cluster = _live_cluster(account_id, region_name, original_resource.cluster_name,
                                    for_what=f"AWS::EKS::Addon {original_resource.name}")
            pod_identity.sync_addon_associations(account_id, region_name, cluster, original_resource.name,
                                                 original_resource.record["addonArn"],
                                                 new.get("PodIdentityAssociations"))
        fields = cls._mutable(new)
        if not fields["addonVersion"]:  # UpdateAddon without a version keeps the installed one
            fields["addonVersion"] = original_resource.record.get("addonVersion")
        return original_resource._update_record(fields, new)

    def delete(self, account_id: str, region_name: str) -> None:
        from eks_templates.sandbox import pod_identity

        cluster = self._cluster_if_any()
        if cluster is not None and self.name in _addons(cluster):
            pod_identity.drop_addon_associations(cluster, _addons(cluster)[self.name]["addonArn"])
        super().delete(account_id, region_name)


class EksAccessEntry(_EksClusterRecord, CloudFormationModel):
    """``AWS::EKS::AccessEntry``: moto has neither a CloudFormation model nor an access-entry API.

    Adds: a minimal record in ``_access_entries(cluster)`` on moto's cluster object,
    ``Ref`` = ``<cluster>|<principalArn>`` as in CloudFormation, ``GetAtt
    AccessEntryArn``. Checks what EKS checks: the cluster's authentication mode is API or
    API_AND_CONFIG_MAP, the principal is an IAM role or user ARN, one entry per principal.
    Updates in place: ``Username``, ``KubernetesGroups``, ``AccessPolicies``, ``Tags``;
    replacement: ``ClusterName``, ``PrincipalArn``, ``Type``.
    Does not simulate: the access-entry API, the creator's bootstrap entry, RBAC.
    """

    CFN_TYPE = "AWS::EKS::AccessEntry"
    CFN_ATTRIBUTES = {"AccessEntryArn": lambda self: self.record["accessEntryArn"]}
    ID_SEPARATOR = "|"
    _records = staticmethod(_access_entries)

    @property
    def principal(self) -> str:
        """The principal's ARN, the entry's name within its cluster."""
        return self.name

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> EksAccessEntry:
        cluster_name = str(props.get("ClusterName") or "")
        principal = str(props.get("PrincipalArn") or "")
        what = f"AWS::EKS::AccessEntry {cluster_name}|{principal}"
        cluster = _live_cluster(account_id, region_name, cluster_name, for_what=what)
        mode = _access_config(cluster)["authenticationMode"]
        if mode not in ("API", "API_AND_CONFIG_MAP"):
            raise SandboxResourceError(
                "InvalidRequestException",
                f"{what}: the cluster's authentication mode must be set to one of "
                f"[API, API_AND_CONFIG_MAP] to perform this operation (it is {mode})",
            )
        match = _PRINCIPAL_ARN_RE.match(principal)
        if not match:
            raise SandboxResourceError(
                "InvalidParameterException", f"{what}: PrincipalArn must be an IAM role or user ARN"
            )
        if principal in _access_entries(cluster):
            raise SandboxResourceError(
                "ResourceInUseException",
                f"{what}: the specified access entry resource is already in use on this cluster",
            )
        entry_type = props.get("Type", "STANDARD")
        if entry_type not in ("STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "EC2", "HYBRID_LINUX"):
            raise SandboxResourceError("InvalidParameterException", f"{what}: unknown Type {entry_type!r}")
        principal_account, kind, principal_name = match.groups()
        _access_entries(cluster)[principal] = {
            "clusterName": cluster_name,
            "principalArn": principal,
            "type": entry_type,
            "accessEntryArn": _arn(
                account_id,
                region_name,
                f"access-entry/{cluster_name}/{kind}/{principal_account}/{principal_name}/{mock_random.uuid4()}",
            ),
            **cls._mutable(props, principal),
        }
        return cls(account_id, region_name, cluster_name, principal, props)

    @staticmethod
    def _mutable(props: dict[str, Any], principal: str) -> dict[str, Any]:
        policies = []
        for policy in props.get("AccessPolicies") or []:
            scope = policy.get("AccessScope") or {}
            if scope.get("Type") not in ("cluster", "namespace"):
                raise SandboxResourceError(
                    "InvalidParameterException",
                    f"access policy {policy.get('PolicyArn')}: AccessScope.Type must be cluster or namespace",
                )
            policies.append(
                {
                    "policyArn": policy.get("PolicyArn"),
                    "accessScope": {"type": scope["Type"], "namespaces": list(scope.get("Namespaces") or [])},
                }
            )
        return {
            "username": props.get("Username") or principal,
            "kubernetesGroups": list(props.get("KubernetesGroups") or []),
            "accessPolicies": policies,
            "tags": tags_to_dict(props.get("Tags")),
        }

    @classmethod
    def _update(
        cls,
        original_resource: EksAccessEntry,
        new_resource_name: str,
        new: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> EksAccessEntry:
        old = original_resource.props
        if any(new.get(p) != old.get(p) for p in ("ClusterName", "PrincipalArn")) or new.get(
            "Type", "STANDARD"
        ) != old.get("Type", "STANDARD"):
            original_resource.delete(account_id, region_name)
            return cls._create(new_resource_name, new, account_id, region_name)
        return original_resource._update_record(cls._mutable(new, original_resource.principal), new)


# The access-entry API (moto has none) over the records above, so a test asks EKS what a
# template made: ListAccessEntries (with associatedPolicyArn), DescribeAccessEntry,
# ListAssociatedAccessPolicies. One page each (no nextToken). An unknown cluster or
# principal is EKS's ResourceNotFoundException.
_ACCESS_ENTRY_PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/access-entries$",
    # the principal's ARN (with '/' in a role path) is one URI segment, percent-encoded
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)/access-policies$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)$",
)


def _entry_record(response: EKSResponse) -> tuple[str, dict[str, Any]]:
    name, principal = response._get_param("name"), response._get_param("principalArn")
    entry = _access_entries(response.eks_backend.describe_cluster(name)).get(principal)
    if entry is None:
        raise EksNotFound(
            clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None,
            message=f"The specified principalArn could not be found: {principal}",
        )
    return name, entry


def _list_access_entries(self: EKSResponse) -> ActionResult:
    entries = _access_entries(self.eks_backend.describe_cluster(self._get_param("name")))
    wanted = self._get_param("associatedPolicyArn")
    principals = [p for p, e in entries.items()
                  if not wanted or any(a["policyArn"] == wanted for a in e["accessPolicies"])]
    return ActionResult({"accessEntries": sorted(principals)})


def _describe_access_entry(self: EKSResponse) -> ActionResult:
    _, entry = _entry_record(self)
    return ActionResult({"accessEntry": {k: v for k, v in entry.items() if k != "accessPolicies"}})


def _list_associated_access_policies(self: EKSResponse) -> ActionResult:
    name, entry = _entry_record(self)
    return ActionResult({"clusterName": name, "principalArn": entry["principalArn"],
                         "associatedAccessPolicies": entry["accessPolicies"]})


def install_access_entry_api() -> None:
    """Answer the three access-entry reads from the sandbox's records (idempotent)."""
    EKSResponse.list_access_entries = _list_access_entries  # type: ignore[attr-defined]
    EKSResponse.describe_access_entry = _describe_access_entry  # type: ignore[attr-defined]
    EKSResponse.list_associated_access_policies = _list_associated_access_policies  # type: ignore[attr-defined]
    for path in _ACCESS_ENTRY_PATHS:
        eks_urls.url_paths.setdefault(path, eks_urls.response.dispatch)


class EksFargateProfile(_EksClusterChild, CloudFormationModel):
    """``AWS::EKS::FargateProfile`` on moto's EKS backend (moto has no CloudFormation model for it).

    Adds: the profile in moto's cluster (``describe_fargate_profile`` sees it), ``Ref`` =
    ``<cluster>|<profile>`` as in CloudFormation, ``GetAtt Arn``. CloudFormation's
    ``Selectors[].Labels`` list is turned into the API's map.
    Updates in place: ``Tags``; everything else is a replacement (as in CloudFormation).
    Does not simulate: pods, the private-subnet requirement.
    """

    CFN_TYPE = "AWS::EKS::FargateProfile"
    CFN_NAME_TYPE = "FargateProfileName"
    CFN_ATTRIBUTES = {
        "Arn": lambda self: (
            _eks(self.account_id, self.region_name)
            .describe_fargate_profile(self.cluster_name, self.name)
            .fargate_profile_arn
        )
    }
    ID_SEPARATOR = "|"

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> EksFargateProfile:
        cluster_name = str(props.get("ClusterName") or "")
        name = str(props.get("FargateProfileName") or resource_name)
        what = f"AWS::EKS::FargateProfile {cluster_name}|{name}"
        cluster = _live_cluster(account_id, region_name, cluster_name, for_what=what)
        if name in cluster.fargate_profiles:
            raise SandboxResourceError(
                "ResourceInUseException", f"{what}: a Fargate Profile already exists with this name in this cluster"
            )
        role = _validate_role_arn(props.get("PodExecutionRoleArn"), what)
        selectors = []
        for selector in props.get("Selectors") or []:
            if not selector.get("Namespace"):
                raise SandboxResourceError("InvalidParameterException", f"{what}: every selector needs a Namespace")
            labels = {str(lab["Key"]): str(lab["Value"]) for lab in selector.get("Labels") or []}
            if len(labels) > 5:
                raise SandboxResourceError("InvalidParameterException", f"{what}: at most 5 labels per selector")
            item: dict[str, Any] = {"namespace": selector["Namespace"]}
            if labels:
                item["labels"] = labels
            selectors.append(item)
        if not selectors:
            raise SandboxResourceError("InvalidParameterException", f"{what}: at least one selector is required")
        subnets = as_list(props.get("Subnets"), f"{what}: Subnets")
        if subnets:
            _subnets_vpc(account_id, region_name, subnets, what)
        _eks(account_id, region_name).create_fargate_profile(
            fargate_profile_name=name,
            cluster_name=cluster_name,
            selectors=selectors,
            pod_execution_role_arn=role,
            subnets=subnets,
            tags=tags_to_dict(props.get("Tags")),
        )
        return cls(account_id, region_name, cluster_name, name, props)

    @classmethod
    def _update(
        cls,
        original_resource: EksFargateProfile,
        new_resource_name: str,
        new: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> EksFargateProfile:
        old = original_resource.props
        changed = {k for k in set(new) | set(old) if new.get(k) != old.get(k)}
        if changed <= {"Tags"}:
            profile = _eks(account_id, region_name).describe_fargate_profile(
                original_resource.cluster_name, original_resource.name
            )
            profile.tags = tags_to_dict(new.get("Tags"))
            original_resource.props = new
            return original_resource
        explicit_name = new.get("FargateProfileName")
        if explicit_name == original_resource.name and new.get("ClusterName") == original_resource.cluster_name:
            raise custom_name_replacement_error(original_resource.name, "AWS::EKS::FargateProfile")
        return cls._replace(original_resource, new_resource_name, new, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        cluster = self._cluster_if_any()
        if cluster is not None and self.name in cluster.fargate_profiles:
            _eks(self.account_id, self.region_name).delete_fargate_profile(self.cluster_name, self.name)


MODELS: tuple[type[CloudFormationModel], ...] = (
    EksCluster,
    EksNodegroup,
    EksAddon,
    EksAccessEntry,
    EksFargateProfile,
)
