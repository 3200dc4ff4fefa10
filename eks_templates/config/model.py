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

from eks_templates.config.schema import Model, field
from eks_templates.config.versions import DEFAULT_VERSION


class _Model(Model):
    """Frozen; unknown keys are errors; YAML keys are the camelCase aliases."""


# --------------------------------------------------------------------------- metadata


class Metadata(_Model):
    name: str
    region: str
    version: str = DEFAULT_VERSION
    tags: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- vpc


class SubnetSpec(_Model):
    id: str | None = None
    cidr: str | None = None
    az: str | None = None


class Subnets(_Model):
    public: dict[str, SubnetSpec] = field(default_factory=dict)
    private: dict[str, SubnetSpec] = field(default_factory=dict)


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
    nat: Nat = field(default_factory=Nat)
    cluster_endpoints: ClusterEndpoints = field(default_factory=ClusterEndpoints)
    # differs from eksctl (0.0.0.0/0): the file must name the CIDRs that may reach a public API.
    public_access_cidrs: list[str] | None = field(default=None, alias="publicAccessCIDRs")
    manage_shared_node_security_group_rules: bool = True


# --------------------------------------------------------------------------- cluster settings


class KubernetesNetworkConfig(_Model):
    ip_family: Literal["IPv4"] = field(default="IPv4", alias="ipFamily")
    service_ipv4_cidr: str | None = field(default=None, alias="serviceIPv4CIDR")


class AccessScope(_Model):
    type: Literal["cluster", "namespace"] = "cluster"
    namespaces: list[str] = field(default_factory=list)


class AccessPolicy(_Model):
    policy_arn: str = field(alias="policyARN")
    access_scope: AccessScope = field(default_factory=AccessScope)


class AccessEntry(_Model):
    principal_arn: str = field(alias="principalARN")
    type: Literal["STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX"] | None = None
    kubernetes_groups: list[str] = field(default_factory=list)
    access_policies: list[AccessPolicy] = field(default_factory=list)


class AccessConfig(_Model):
    authentication_mode: Literal["CONFIG_MAP", "API", "API_AND_CONFIG_MAP"] = "API_AND_CONFIG_MAP"
    bootstrap_cluster_creator_admin_permissions: bool = True
    access_entries: list[AccessEntry] = field(default_factory=list)


class WellKnownPolicies(_Model):
    """eksctl's ``wellKnownPolicies`` of a pod identity association (its own role gets them)."""

    image_builder: bool = False
    auto_scaler: bool = False
    aws_load_balancer_controller: bool = False
    external_dns: bool = field(default=False, alias="externalDNS")
    cert_manager: bool = False
    ebs_csi_controller: bool = field(default=False, alias="ebsCSIController")
    efs_csi_controller: bool = field(default=False, alias="efsCSIController")

    @property
    def has_policy(self) -> bool:
        return any(getattr(self, spec.name) for spec in self.fields())


class PodIdentityAssociation(_Model):
    """eksctl's ``iam.podIdentityAssociations[]`` (and ``addons[].podIdentityAssociations[]``,
    where the namespace is the add-on's): a Kubernetes service account -> an IAM role, given
    (``roleARN``) or created here from the permission fields."""

    #: required under ``iam``; an add-on's service accounts live in the add-on's namespace
    namespace: str | None = None
    service_account_name: str
    role_arn: str | None = field(default=None, alias="roleARN")
    permission_policy_arns: list[str] = field(default_factory=list, alias="permissionPolicyARNs")
    #: an inline IAM policy document (``Version``, ``Statement``)
    permission_policy: dict[str, Any] | None = None
    well_known_policies: WellKnownPolicies = field(default_factory=WellKnownPolicies)
    permissions_boundary_arn: str | None = field(default=None, alias="permissionsBoundaryARN")
    tags: dict[str, str] = field(default_factory=dict)
    #: eksctl creates the service account with kubectl; CloudFormation cannot (a rule refuses true)
    create_service_account: bool = False

    @property
    def creates_role(self) -> bool:
        return self.role_arn is None


class ClusterIam(_Model):
    with_oidc: bool = field(default=False, alias="withOIDC")
    service_role_arn: str | None = field(default=None, alias="serviceRoleARN")
    pod_identity_associations: list[PodIdentityAssociation] = field(default_factory=list)


ALL_LOG_TYPES: tuple[str, ...] = ("api", "audit", "authenticator", "controllerManager", "scheduler")


class ClusterLogging(_Model):
    # differs from eksctl (none): every control-plane log type is on.
    enable_types: list[str] = field(default_factory=lambda: list(ALL_LOG_TYPES))
    # differs from eksctl (never expire): 90 days.
    log_retention_in_days: int = 90
    #: Our own key. ``create``: the stack creates ``/aws/eks/<name>/cluster`` (retention,
    #: KMS key) and owns it. ``existing``: a log group of that name is kept from an
    #: earlier cluster (EKS does not delete it) and the stack leaves it alone; EKS writes
    #: to it as it is (its retention and encryption are not managed here).
    log_group: Literal["create", "existing"] = "create"


class CloudWatch(_Model):
    cluster_logging: ClusterLogging = field(default_factory=ClusterLogging)


class SecretsEncryption(_Model):
    # No keyARN: a customer-managed KMS key is created (differs from eksctl: no encryption).
    key_arn: str | None = field(default=None, alias="keyARN")


class UpgradePolicy(_Model):
    """eksctl's ``upgradePolicy``: what EKS does when the version's standard support ends."""

    # differs from EKS and eksctl (EXTENDED, EKS's API default): STANDARD, so a cluster is
    # upgraded by EKS instead of entering extended support at six times the hourly price.
    support_type: Literal["STANDARD", "EXTENDED"] = "STANDARD"


class Addon(_Model):
    name: str
    version: str | None = None
    service_account_role_arn: str | None = field(default=None, alias="serviceAccountRoleARN")
    resolve_conflicts: Literal["none", "overwrite", "preserve"] = "overwrite"
    pod_identity_associations: list[PodIdentityAssociation] = field(default_factory=list)
    #: a role per service account EKS recommends for the add-on (the offline table in
    #: ``builders/pod_identity.py``), with the recommended managed policy
    use_default_pod_identity_associations: bool = False
    #: a mapping, or the JSON string EKS takes; rendered as JSON with sorted keys
    configuration_values: Any = None


class AddonsConfig(_Model):
    #: ``useDefaultPodIdentityAssociations`` for every listed add-on that has a recommended
    #: role and none of its own
    auto_apply_pod_identity_associations: bool = False


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
    source_security_group_ids: list[str] = field(default_factory=list)


class AddonPolicies(_Model):
    external_dns: bool = field(default=False, alias="externalDNS")
    cert_manager: bool = False
    ebs: bool = False
    alb_ingress: bool = False
    auto_scaler: bool = False
    cloud_watch: bool = False

    @property
    def any_for_pods(self) -> bool:
        """Any policy here is for a controller pod (all of them are)."""
        return any(getattr(self, spec.name) for spec in self.fields())


class NodeIam(_Model):
    with_addon_policies: AddonPolicies = field(default_factory=AddonPolicies)
    #: More managed policies on the node role this tool creates.
    attach_policy_arns: list[str] = field(default_factory=list, alias="attachPolicyARNs")
    #: A node role of your own: no role is created (withAddonPolicies/attachPolicyARNs then
    #: cannot be given).
    instance_role_arn: str | None = field(default=None, alias="instanceRoleARN")
    instance_role_permissions_boundary: str | None = None


class NodeSecurityGroups(_Model):
    """eksctl's ``securityGroups`` of a nodegroup: more groups on the nodes' launch template."""

    attach_ids: list[str] = field(default_factory=list, alias="attachIDs")
    #: The cluster's shared node group (ClusterSharedNodeSecurityGroup) on the nodes.
    with_shared: bool = True
    #: The nodegroup's own group (the SSH group of ``ssh.allow``).
    with_local: bool = True


class NodeRepairConfig(_Model):
    enabled: bool = False
    max_parallel_nodes_repaired_count: int | None = None
    max_parallel_nodes_repaired_percentage: int | None = None
    max_unhealthy_node_threshold_count: int | None = None
    max_unhealthy_node_threshold_percentage: int | None = None


class CapacityReservationTarget(_Model):
    capacity_reservation_id: str | None = field(default=None, alias="capacityReservationID")
    capacity_reservation_resource_group_arn: str | None = field(
        default=None, alias="capacityReservationResourceGroupARN")


class CapacityReservation(_Model):
    capacity_reservation_preference: Literal["open", "none", "capacity-reservations-only"] | None = None
    capacity_reservation_target: CapacityReservationTarget | None = None


class NodePlacement(_Model):
    group_name: str


class UpdateConfig(_Model):
    max_unavailable: int | None = None
    max_unavailable_percentage: int | None = None


class ManagedNodeGroup(_Model):
    """One ``managedNodeGroups[]`` entry (eksctl's keys in snake_case); what
    :class:`eks_templates.NodegroupBuilder` builds from."""

    name: str
    instance_type: str | None = None
    instance_types: list[str] = field(default_factory=list)
    ami_family: AmiFamily = "AmazonLinux2023"
    spot: bool = False
    # Always set after loading (see before_validation): eksctl's defaults are desired =
    # minSize else 2, min = desired, max = max(desired, min).
    desired_capacity: int
    min_size: int
    max_size: int
    volume_size: int = 80
    volume_type: Literal["gp2", "gp3", "io1", "io2"] = "gp3"
    # differs from eksctl (unset): root volumes are encrypted.
    volume_encrypted: bool = True
    # differs from eksctl (false): nodes live in private subnets.
    private_networking: bool = True
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[Taint] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    ssh: NodeSsh = field(default_factory=NodeSsh)
    iam: NodeIam = field(default_factory=NodeIam)
    disable_imdsv1: bool = field(default=True, alias="disableIMDSv1")
    #: eksctl's ``disablePodIMDS`` (default false there). Unset here: true (IMDS hop limit 1,
    #: pods cannot reach the node role) unless the nodegroup has ``withAddonPolicies``, which
    #: only pods reaching IMDS can use; see :attr:`pods_reach_imds`.
    disable_pod_imds: bool | None = field(default=None, alias="disablePodIMDS")
    update_config: UpdateConfig | None = None
    #: The nodegroup's Kubernetes version; None: the cluster's (``metadata.version``).
    version: str | None = None
    #: eksctl's ``releaseVersion``: the EKS-optimized AMI release (e.g. 1.35.0-20261120).
    release_version: str | None = None
    # ---- eksctl's launch template and bootstrap options (builders/node_bootstrap.py)
    #: A custom AMI ID: the launch template's ImageId, with the bootstrap amiFamily needs.
    ami: str | None = None
    pre_bootstrap_commands: list[str] = field(default_factory=list)
    override_bootstrap_command: str | None = None
    max_pods_per_node: int | None = None
    #: Subnet IDs (``subnet-...``) or names of ``vpc.subnets`` entries with an ``id``.
    subnets: list[str] = field(default_factory=list)
    security_groups: NodeSecurityGroups = field(default_factory=NodeSecurityGroups)
    volume_iops: int | None = field(default=None, alias="volumeIOPS")
    volume_throughput: int | None = None
    volume_kms_key_id: str | None = field(default=None, alias="volumeKmsKeyID")
    enable_detailed_monitoring: bool = False
    node_repair_config: NodeRepairConfig | None = None
    capacity_reservation: CapacityReservation | None = None
    placement: NodePlacement | None = None
    efa_enabled: bool = False

    @classmethod
    def before_validation(cls, data: dict[str, Any]) -> dict[str, Any]:
        # The unwritten sizes are derived from the written ones that are usable (whole numbers,
        # not negative), so a default never carries a written mistake into a field the user did
        # not write, nor makes an error of its own: every size problem names a field in the file.
        # differs from eksctl: a default desiredCapacity is kept within a written maxSize
        # (maxSize: 1 alone is a one-node group here; eksctl refuses its default 2 > max 1), and a
        # default maxSize is at least 1 (EKS's minimum; desiredCapacity: 0 alone made it 0).
        def number(value: Any) -> int | None:
            usable = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            return value if usable else None

        data = dict(data)
        desired, minimum, maximum = (number(data.get(k)) for k in ("desiredCapacity", "minSize", "maxSize"))
        if data.get("desiredCapacity") is None:  # eksctl: minSize, else 2
            desired = minimum if minimum is not None else 2
            if maximum is not None:
                desired = min(desired, maximum)
            data["desiredCapacity"] = desired
        if data.get("minSize") is None:
            data["minSize"] = desired if desired is not None and (maximum is None or desired <= maximum) else 0
        if data.get("maxSize") is None:
            known = [v for v in (desired, number(data.get("minSize"))) if v is not None]
            data["maxSize"] = max([*known, 1])
        return data

    def effective_version(self, cluster_version: str) -> str:
        """The nodes' Kubernetes version: the nodegroup's ``version``, else the cluster's."""
        return self.version or cluster_version

    @property
    def pods_reach_imds(self) -> bool:
        """Whether pods that are not on the host network reach IMDS (hop limit 2): an explicit
        ``disablePodIMDS: false``, or withAddonPolicies with disablePodIMDS unset.
        differs from eksctl (which defaults to hop limit 2 for every nodegroup)."""
        if self.disable_pod_imds is not None:
            return not self.disable_pod_imds
        return self.iam.with_addon_policies.any_for_pods

    @property
    def effective_instance_types(self) -> list[str]:
        """``instanceTypes``, else ``[instanceType]``, else eksctl's default ``m5.large``."""
        if self.instance_types:
            return list(self.instance_types)
        return [self.instance_type or "m5.large"]


class FargateSelector(_Model):
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)


class FargateProfile(_Model):
    name: str
    selectors: list[FargateSelector]
    subnets: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- EKS Auto Mode, zonal shift


class AutoModeConfig(_Model):
    """eksctl's ``autoModeConfig``: EKS Auto Mode (builders/auto_mode.py)."""

    enabled: bool = False
    #: EKS's built-in node pools; None: both (general-purpose, system), as eksctl; []: none.
    node_pools: list[str] | None = None
    #: The Auto Mode nodes' role; None: one is created.
    node_role_arn: str | None = field(default=None, alias="nodeRoleARN")
    #: A permissions boundary on the node role created here.
    permissions_boundary_arn: str | None = field(default=None, alias="permissionsBoundaryARN")


class ZonalShiftConfig(_Model):
    enabled: bool = False


# --------------------------------------------------------------------------- our own sections


class Bastion(_Model):
    """The management host of the notes (``eksctl-host``)."""

    enabled: bool = False
    instance_type: str = "t3.small"
    # differs from the notes (public): reach it with Session Manager, no inbound port needed.
    subnet: Literal["public", "private"] = "private"
    allowed_cidrs: list[str] = field(default_factory=list, alias="allowedCIDRs")
    key_name: str | None = None
    #: The access entry of the host's role (kubectl on the host). None: the cluster-admin
    #: policy (AmazonEKSClusterAdminPolicy, cluster scope); a list (with
    #: ``kubernetes_groups``) replaces it. Same shape as ``accessEntries[].accessPolicies``.
    access_policies: list[AccessPolicy] | None = None
    kubernetes_groups: list[str] = field(default_factory=list)
    #: With no management host and a private-only API endpoint: how operators reach the
    #: endpoint instead (e.g. "site-to-site VPN from the office"). Stating it is what
    #: lets such a file render; nothing is created from it.
    private_access_via: str | None = None


class Deploy(_Model):
    bucket: str | None = None
    prefix: str | None = None
    termination_protection: bool = True
    #: the cluster's DeletionProtection (EKS refuses DeleteCluster while it is on)
    deletion_protection: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    stack_name: str | None = None


# --------------------------------------------------------------------------- the file


class ClusterConfig(_Model):
    """A checked stack file: an eksctl ``ClusterConfig`` (``metadata``, ``vpc``,
    ``managedNodeGroups``, ...) plus our ``bastion`` and ``deploy`` sections. Attributes are
    the YAML keys in snake_case (``managed_node_groups``); frozen: builders only read it.
    Made by :func:`eks_templates.load_stack` / :func:`eks_templates.parse_config`."""

    api_version: Literal["eksctl.io/v1alpha5"] = field(alias="apiVersion")
    kind: Literal["ClusterConfig"]
    metadata: Metadata
    availability_zones: list[str] | None = None
    vpc: Vpc = field(default_factory=Vpc)
    kubernetes_network_config: KubernetesNetworkConfig = field(default_factory=KubernetesNetworkConfig)
    access_config: AccessConfig = field(default_factory=AccessConfig)
    iam: ClusterIam = field(default_factory=ClusterIam)
    cloud_watch: CloudWatch = field(default_factory=CloudWatch)
    secrets_encryption: SecretsEncryption = field(default_factory=SecretsEncryption)
    upgrade_policy: UpgradePolicy = field(default_factory=UpgradePolicy)
    addons: list[Addon] = field(default_factory=list)
    addons_config: AddonsConfig = field(default_factory=AddonsConfig)
    managed_node_groups: list[ManagedNodeGroup] = field(default_factory=list)
    fargate_profiles: list[FargateProfile] = field(default_factory=list)
    auto_mode_config: AutoModeConfig | None = None
    zonal_shift_config: ZonalShiftConfig | None = None
    bastion: Bastion = field(default_factory=Bastion)
    deploy: Deploy = field(default_factory=Deploy)

    @property
    def stack_name(self) -> str:
        """The root CloudFormation stack's name."""
        return self.deploy.stack_name or self.metadata.name

    @property
    def template_prefix(self) -> str:
        """S3 key prefix for the packaged child templates."""
        return self.deploy.prefix or f"eks-templates/{self.stack_name}"
