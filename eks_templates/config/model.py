"""Typed model of the stack file: a subset of eksctl's ``ClusterConfig`` plus our
own ``bastion`` and ``deploy`` sections.

Field names in YAML are eksctl's (camelCase, including eksctl's spellings such as
``publicAccessCIDRs`` and ``withOIDC``); attributes in Python are snake_case.
Every model forbids unknown keys and is frozen: builders read the config, never
change it. Defaults follow eksctl unless security says otherwise; each such place
is marked ``# differs from eksctl`` and listed in the README.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from eks_templates.config.versions import DEFAULT_VERSION


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        strict=False,
    )


# --------------------------------------------------------------------------- metadata


class Metadata(_Model):
    name: str
    region: str
    version: str = DEFAULT_VERSION
    tags: dict[str, str] = Field(default_factory=dict)


# --------------------------------------------------------------------------- vpc


class SubnetSpec(_Model):
    id: str | None = None
    cidr: str | None = None
    az: str | None = None


class Subnets(_Model):
    public: dict[str, SubnetSpec] = Field(default_factory=dict)
    private: dict[str, SubnetSpec] = Field(default_factory=dict)


class Nat(_Model):
    gateway: Literal["Single", "HighlyAvailable", "Disable"] = "Single"


class ClusterEndpoints(_Model):
    public_access: bool = True
    # differs from eksctl (false): nodes and the management host reach the API inside the VPC.
    private_access: bool = True


class Vpc(_Model):
    id: str | None = None
    cidr: str = "192.168.0.0/16"
    subnets: Subnets | None = None
    nat: Nat = Field(default_factory=Nat)
    cluster_endpoints: ClusterEndpoints = Field(default_factory=ClusterEndpoints)
    # differs from eksctl (0.0.0.0/0): the file must name the CIDRs that may reach a public API.
    public_access_cidrs: list[str] | None = Field(default=None, alias="publicAccessCIDRs")
    manage_shared_node_security_group_rules: bool = True


# --------------------------------------------------------------------------- cluster settings


class KubernetesNetworkConfig(_Model):
    ip_family: Literal["IPv4"] = Field(default="IPv4", alias="ipFamily")
    service_ipv4_cidr: str | None = Field(default=None, alias="serviceIPv4CIDR")


class AccessScope(_Model):
    type: Literal["cluster", "namespace"] = "cluster"
    namespaces: list[str] = Field(default_factory=list)


class AccessPolicy(_Model):
    policy_arn: str = Field(alias="policyARN")
    access_scope: AccessScope = Field(default_factory=AccessScope)


class AccessEntry(_Model):
    principal_arn: str = Field(alias="principalARN")
    type: Literal["STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX"] | None = None
    kubernetes_groups: list[str] = Field(default_factory=list)
    access_policies: list[AccessPolicy] = Field(default_factory=list)


class AccessConfig(_Model):
    authentication_mode: Literal["CONFIG_MAP", "API", "API_AND_CONFIG_MAP"] = "API_AND_CONFIG_MAP"
    bootstrap_cluster_creator_admin_permissions: bool = True
    access_entries: list[AccessEntry] = Field(default_factory=list)


class ClusterIam(_Model):
    with_oidc: bool = Field(default=False, alias="withOIDC")
    service_role_arn: str | None = Field(default=None, alias="serviceRoleARN")


ALL_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")


class ClusterLogging(_Model):
    # differs from eksctl (none): every control-plane log type is on.
    enable_types: list[str] = Field(default_factory=lambda: list(ALL_LOG_TYPES))
    # differs from eksctl (never expire): 90 days.
    log_retention_in_days: int = 90


class CloudWatch(_Model):
    cluster_logging: ClusterLogging = Field(default_factory=ClusterLogging)


class SecretsEncryption(_Model):
    # No keyARN: a customer-managed KMS key is created (differs from eksctl: no encryption).
    key_arn: str | None = Field(default=None, alias="keyARN")


class Addon(_Model):
    name: str
    version: str | None = None
    service_account_role_arn: str | None = Field(default=None, alias="serviceAccountRoleARN")
    resolve_conflicts: Literal["none", "overwrite", "preserve"] = "overwrite"


# --------------------------------------------------------------------------- nodegroups

AmiFamily = Literal[
    "AmazonLinux2023",
    "AmazonLinux2",
    "Bottlerocket",
    "Ubuntu2404",
    "Ubuntu2204",
    "Ubuntu2004",
]


class Taint(_Model):
    key: str
    value: str | None = None
    effect: str


class NodeSsh(_Model):
    allow: bool = False
    public_key_name: str | None = None
    public_key_path: str | None = None
    #: The key material: eksctl's inline ``publicKey``, or the file at ``publicKeyPath``
    #: read by the loader (builders never read files).
    public_key: str | None = None
    source_security_group_ids: list[str] = Field(default_factory=list)


class AddonPolicies(_Model):
    external_dns: bool = Field(default=False, alias="externalDNS")
    cert_manager: bool = False
    ebs: bool = False
    alb_ingress: bool = False
    auto_scaler: bool = False
    cloud_watch: bool = False


class NodeIam(_Model):
    with_addon_policies: AddonPolicies = Field(default_factory=AddonPolicies)


class UpdateConfig(_Model):
    max_unavailable: int | None = None
    max_unavailable_percentage: int | None = None


class ManagedNodeGroup(_Model):
    name: str
    instance_type: str | None = None
    instance_types: list[str] = Field(default_factory=list)
    ami_family: AmiFamily = "AmazonLinux2023"
    spot: bool = False
    # Always set after loading (see _size_defaults): eksctl's defaults are desired 2,
    # min = desired, max = max(desired, min).
    desired_capacity: int
    min_size: int
    max_size: int
    volume_size: int = 80
    volume_type: Literal["gp2", "gp3", "io1", "io2"] = "gp3"
    # differs from eksctl (unset): root volumes are encrypted.
    volume_encrypted: bool = True
    # differs from eksctl (false): nodes live in private subnets.
    private_networking: bool = True
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    ssh: NodeSsh = Field(default_factory=NodeSsh)
    iam: NodeIam = Field(default_factory=NodeIam)
    disable_imdsv1: bool = Field(default=True, alias="disableIMDSv1")
    update_config: UpdateConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _size_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        def number(value: Any) -> int | None:
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        data = dict(data)
        desired, minimum = data.get("desiredCapacity"), data.get("minSize")
        if desired is None:
            data["desiredCapacity"] = desired = number(minimum) if minimum is not None else 2
        if minimum is None and number(desired) is not None:
            data["minSize"] = minimum = desired
        if data.get("maxSize") is None:
            known = [v for v in (number(desired), number(minimum)) if v is not None]
            # With no usable number the desiredCapacity error is reported; 0 only avoids a
            # second, misleading "is required" for a field the user did not write.
            data["maxSize"] = max(known) if known else 0
        if data.get("minSize") is None:
            data["minSize"] = 0
        return data

    @property
    def effective_instance_types(self) -> list[str]:
        if self.instance_types:
            return list(self.instance_types)
        return [self.instance_type or "m5.large"]


class FargateSelector(_Model):
    namespace: str
    labels: dict[str, str] = Field(default_factory=dict)


class FargateProfile(_Model):
    name: str
    selectors: list[FargateSelector]
    subnets: list[str] = Field(default_factory=list)


# --------------------------------------------------------------------------- our own sections


class Bastion(_Model):
    """The management host of the notes (``eksctl-host``)."""

    enabled: bool = False
    instance_type: str = "t3.small"
    # differs from the notes (public): reach it with Session Manager, no inbound port needed.
    subnet: Literal["public", "private"] = "private"
    allowed_cidrs: list[str] = Field(default_factory=list, alias="allowedCIDRs")
    key_name: str | None = None


class Deploy(_Model):
    bucket: str | None = None
    prefix: str | None = None
    termination_protection: bool = True
    tags: dict[str, str] = Field(default_factory=dict)
    stack_name: str | None = None


# --------------------------------------------------------------------------- the file


class ClusterConfig(_Model):
    api_version: Literal["eksctl.io/v1alpha5"] = Field(alias="apiVersion")
    kind: Literal["ClusterConfig"]
    metadata: Metadata
    availability_zones: list[str] | None = None
    vpc: Vpc = Field(default_factory=Vpc)
    kubernetes_network_config: KubernetesNetworkConfig = Field(default_factory=KubernetesNetworkConfig)
    access_config: AccessConfig = Field(default_factory=AccessConfig)
    iam: ClusterIam = Field(default_factory=ClusterIam)
    cloud_watch: CloudWatch = Field(default_factory=CloudWatch)
    secrets_encryption: SecretsEncryption = Field(default_factory=SecretsEncryption)
    addons: list[Addon] = Field(default_factory=list)
    managed_node_groups: list[ManagedNodeGroup] = Field(default_factory=list)
    fargate_profiles: list[FargateProfile] = Field(default_factory=list)
    bastion: Bastion = Field(default_factory=Bastion)
    deploy: Deploy = Field(default_factory=Deploy)

    @property
    def stack_name(self) -> str:
        """The root CloudFormation stack's name."""
        return self.deploy.stack_name or self.metadata.name

    @property
    def template_prefix(self) -> str:
        """S3 key prefix for the packaged child templates."""
        return self.deploy.prefix or f"eks-templates/{self.stack_name}"
