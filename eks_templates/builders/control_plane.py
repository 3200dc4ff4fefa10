"""The control plane: cluster IAM role, KMS key, log group, ``AWS::EKS::Cluster``, OIDC
provider, access entries, the add-ons that need no nodes, and the rules on the
EKS-created cluster security group. The add-ons whose pods need nodes (CoreDNS, ...)
are :mod:`eks_templates.builders.addons`' concern, the Fargate profiles
:mod:`eks_templates.builders.fargate`'s.

Logical IDs follow eksctl's (``ServiceRole``, ``ControlPlane``,
``IngressDefaultClusterToNodeSG``, ...). Every ARN is
partition-aware (``${AWS::Partition}``); every policy document is awacs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from awacs.aws import Action, Allow, ArnLike, Condition, Principal, Statement
from troposphere import GetAtt, Ref, Sub, Tags, Template, eks, iam, kms, logs

from eks_templates.builders import auto_mode
from eks_templates.builders.addons import ADDONS_BEFORE_COMPUTE, addon_configuration, addon_resource
from eks_templates.builders.base import Builder
from eks_templates.builders.common import (
    actions,
    allow,
    assume_role,
    checkov_skips,
    concat_lists,
    document,
    managed_policy,
    service_principal,
    tag_props,
)
from eks_templates.builders.pod_identity import addon_pod_identity, effective_addons
from eks_templates.builders.security import ALL_TRAFFIC, ingress
from eks_templates.config.model import ClusterConfig
from eks_templates.config.subnets import plan_subnets
from eks_templates.names import (
    CERTIFICATE_AUTHORITY_DATA,
    CLUSTER_ARN,
    CLUSTER_ENDPOINT,
    CLUSTER_NAME,
    CLUSTER_SG_ID,
    CONTROL_PLANE_SG_ID,
    CONTROL_PLANE_STACK,
    KUBECONFIG_COMMAND,
    OIDC_ISSUER_URL,
    OIDC_PROVIDER_ARN,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
    SHARED_NODE_SG_ID,
    Port,
    pascal,
)


def subnet_tiers(config: ClusterConfig) -> set[str]:
    """The subnet tiers the cluster has (a listed VPC may have only one)."""
    return {plan.tier for plan in plan_subnets(config)}


def log_group_name(config: ClusterConfig) -> str:
    return f"/aws/eks/{config.metadata.name}/cluster"


def _entry_id(arn: str) -> str:
    """``arn:aws:iam::111122223333:role/team/admin`` -> ``Admin`` (a role or user name)."""
    return pascal(re.split(r"[/:]", arn)[-1]) or "Principal"


# --------------------------------------------------------------------------- the builder


class ControlPlaneBuilder(Builder):
    """``AWS::EKS::Cluster`` ``ControlPlane`` and everything that belongs to it: the cluster
    role (``ServiceRole``, unless ``iam.serviceRoleARN``), the KMS key for secrets and logs
    (unless ``secretsEncryption.keyARN``), the log group, the OIDC provider, access entries,
    the add-ons that need no nodes, and the rules on the EKS-created cluster security
    group (the Fargate profiles: :class:`~eks_templates.builders.fargate.FargateBuilder`).

    Inputs:
        - ``PublicSubnetIds``, ``PrivateSubnetIds``: the cluster's subnets (each tier the
          cluster has; a ``vpc.subnets`` list with one tier needs only that one).
        - ``ControlPlaneSecurityGroupId``: the control plane's own group.
        - ``ClusterSharedNodeSecurityGroupId``: only with
          ``vpc.manageSharedNodeSecurityGroupRules`` (the default): the rules between it
          and the cluster security group.

    Outputs:
        - ``ClusterName``, ``ClusterArn``, ``ClusterEndpoint``, ``CertificateAuthorityData``.
        - ``ClusterSecurityGroupId``: the EKS-created cluster security group.
        - ``OIDCIssuerUrl``; ``OIDCProviderArn`` only with ``iam.withOIDC``.
        - ``KubeconfigCommand``: the ``aws eks update-kubeconfig`` line.

    Options (stack file): ``metadata.{name,version,tags}``, ``vpc.clusterEndpoints``,
    ``vpc.publicAccessCIDRs``, ``kubernetesNetworkConfig``, ``accessConfig``, ``iam``,
    ``cloudWatch.clusterLogging``, ``secretsEncryption``, ``upgradePolicy``, ``addons``
    (those that need no nodes), ``autoModeConfig``,
    ``zonalShiftConfig``, ``deploy.deletionProtection``.
    """

    stack_id = CONTROL_PLANE_STACK
    description = ("EKS control plane: cluster role, KMS key, log group, cluster, OIDC provider, "
                   "access entries, add-ons, cluster security group rules")

    # -- ports

    @property
    def inputs(self) -> Sequence[Port]:
        tiers = subnet_tiers(self.config)
        ports = [p for p, tier in ((PUBLIC_SUBNET_IDS, "public"), (PRIVATE_SUBNET_IDS, "private")) if tier in tiers]
        ports.append(CONTROL_PLANE_SG_ID)
        if self.config.vpc.manage_shared_node_security_group_rules:
            ports.append(SHARED_NODE_SG_ID)
        return tuple(ports)

    @property
    def outputs(self) -> Sequence[Port]:
        ports = [CLUSTER_NAME, CLUSTER_ARN, CLUSTER_ENDPOINT, CERTIFICATE_AUTHORITY_DATA, CLUSTER_SG_ID,
                 OIDC_ISSUER_URL]
        if self.config.iam.with_oidc:
            ports.append(OIDC_PROVIDER_ARN)
        ports.append(KUBECONFIG_COMMAND)
        return tuple(ports)

    # -- build

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        cfg = self.config
        key_arn = self._add_kms_key(template)
        role_arn = self._add_service_role(template, key_arn)
        log_group = self._add_log_group(template, key_arn)
        cluster = self._add_cluster(template, inputs, role_arn, key_arn, log_group)
        name = Ref(cluster)
        cluster_sg = GetAtt(cluster, "ClusterSecurityGroupId")
        oidc = self._add_oidc_provider(template, cluster)
        self._add_access_entries(template, name)
        for addon in effective_addons(cfg):
            if addon.name in ADDONS_BEFORE_COMPUTE:
                resource = addon_resource(self.lid(f"Addon{pascal(addon.name)}"), addon, name, self.tags(),
                                          addon_configuration(cfg, addon), addon_pod_identity(self, template, addon))
                if oidc is not None and addon.service_account_role_arn:
                    resource.DependsOn = [oidc.title]  # the role's trust names this provider
                self.add(template, resource)
        if cfg.vpc.manage_shared_node_security_group_rules:
            shared = self.require(inputs, SHARED_NODE_SG_ID)
            self.add(template, ingress(
                self.lid("IngressDefaultClusterToNodeSG"), shared,
                "Allow managed and unmanaged nodes to communicate with each other (all ports)",
                protocol=ALL_TRAFFIC, source_group=cluster_sg,
            ))
            self.add(template, ingress(
                self.lid("IngressNodeToDefaultClusterSG"), cluster_sg,
                "Allow unmanaged nodes to communicate with control plane (all ports)",
                protocol=ALL_TRAFFIC, source_group=shared,
            ))
        outputs: dict[str, Any] = {
            CLUSTER_NAME.name: name,
            CLUSTER_ARN.name: GetAtt(cluster, "Arn"),
            CLUSTER_ENDPOINT.name: GetAtt(cluster, "Endpoint"),
            CERTIFICATE_AUTHORITY_DATA.name: GetAtt(cluster, "CertificateAuthorityData"),
            CLUSTER_SG_ID.name: cluster_sg,
            OIDC_ISSUER_URL.name: GetAtt(cluster, "OpenIdConnectIssuerUrl"),
            KUBECONFIG_COMMAND.name: Sub(
                "aws eks update-kubeconfig --region ${AWS::Region} --name ${Name}", Name=name
            ),
        }
        if oidc is not None:
            outputs[OIDC_PROVIDER_ARN.name] = Ref(oidc)
        return outputs

    def _add_kms_key(self, template: Template) -> Any:
        """The key for Kubernetes secrets and the control-plane log group, unless the
        stack file names its own (``secretsEncryption.keyARN``)."""
        given = self.config.secrets_encryption.key_arn
        if given:
            return given
        root = Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
        log_arn = Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                      + log_group_name(self.config))
        statements = [
            Statement(
                Sid="AccountAdministersTheKey", Effect=Allow, Principal=Principal("AWS", [root]),
                Action=[Action("kms", "*")], Resource=["*"],
            ),
        ]
        if self._creates_log_group:
            statements.append(Statement(
                Sid="ControlPlaneLogGroupUsesTheKey", Effect=Allow,
                Principal=Principal("Service", [Sub("logs.${AWS::Region}.${AWS::URLSuffix}")]),
                Action=actions("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                               "kms:DescribeKey"),
                Resource=["*"],
                Condition=Condition(ArnLike({"kms:EncryptionContext:aws:logs:arn": log_arn})),
            ))
        policy = document(*statements)
        uses = "Kubernetes secrets and control-plane logs" if self._creates_log_group else "Kubernetes secrets"
        key = self.add(template, kms.Key(
            self.lid("ClusterKey"),
            Description=f"EKS cluster {self.config.metadata.name}: {uses}",
            EnableKeyRotation=True,
            KeyPolicy=policy,
            Tags=Tags(self.tags({"Name": Sub("${AWS::StackName}/ClusterKey")})),  # type: ignore[dict-item]
        ))
        return GetAtt(key, "Arn")

    def _add_service_role(self, template: Template, key_arn: Any) -> Any:
        given = self.config.iam.service_role_arn
        if given:
            return given
        role = self.add(template, iam.Role(
            self.lid("ServiceRole"),
            AssumeRolePolicyDocument=(auto_mode.cluster_role_trust(template, self.config)
                                      or assume_role(service_principal(template, "EKS"))),
            ManagedPolicyArns=[managed_policy("AmazonEKSClusterPolicy"),
                               managed_policy("AmazonEKSVPCResourceController"),
                               *auto_mode.cluster_role_policies(self.config)],
            Policies=[iam.Policy(
                PolicyName="PolicyKMS",
                PolicyDocument=document(allow(
                    ("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"), [key_arn],
                )),
            )],
            Tags=Tags(self.tags({"Name": Sub("${AWS::StackName}/ServiceRole")})),  # type: ignore[dict-item]
        ))
        return GetAtt(role, "Arn")

    @property
    def _creates_log_group(self) -> bool:
        logging = self.config.cloud_watch.cluster_logging
        return bool(logging.enable_types) and logging.log_group == "create"

    def _add_log_group(self, template: Template, key_arn: Any) -> logs.LogGroup | None:
        """``/aws/eks/<name>/cluster``, unless logging is off or the file keeps an
        existing group (``logGroup: existing``); EKS then writes to that one as it is."""
        logging = self.config.cloud_watch.cluster_logging
        if not self._creates_log_group:
            return None
        props: dict[str, Any] = {
            "LogGroupName": log_group_name(self.config),
            "RetentionInDays": logging.log_retention_in_days,
            **tag_props(self.tags()),
        }
        if self.config.secrets_encryption.key_arn is None:
            props["KmsKeyId"] = key_arn
        else:
            props["Metadata"] = checkov_skips({"CKV_AWS_158": (
                "secretsEncryption.keyARN names the cluster's key, whose key policy this stack does not "
                "manage (CloudWatch Logs would need to be allowed in it); the log group keeps CloudWatch "
                "Logs' default encryption")})
        return self.add(template, logs.LogGroup(self.lid("ControlPlaneLogGroup"), **props))

    def _add_cluster(self, template: Template, inputs: Mapping[str, Any], role_arn: Any, key_arn: Any,
                     log_group: logs.LogGroup | None) -> eks.Cluster:
        cfg = self.config
        tiers = subnet_tiers(cfg)
        subnet_lists = [self.require(inputs, port) for port, tier in
                        ((PUBLIC_SUBNET_IDS, "public"), (PRIVATE_SUBNET_IDS, "private")) if tier in tiers]
        endpoints = cfg.vpc.cluster_endpoints
        vpc_config: dict[str, Any] = {
            "SubnetIds": concat_lists(*subnet_lists),
            "SecurityGroupIds": [self.require(inputs, CONTROL_PLANE_SG_ID)],
            # Both always written: EKS's defaults (public on, private off) are not ours.
            "EndpointPublicAccess": endpoints.public_access,
            "EndpointPrivateAccess": endpoints.private_access,
        }
        if endpoints.public_access and cfg.vpc.public_access_cidrs:
            vpc_config["PublicAccessCidrs"] = list(cfg.vpc.public_access_cidrs)
        network: dict[str, Any] = {"IpFamily": cfg.kubernetes_network_config.ip_family.lower(),
                                   **auto_mode.network_properties(cfg)}
        if cfg.kubernetes_network_config.service_ipv4_cidr:
            network["ServiceIpv4Cidr"] = cfg.kubernetes_network_config.service_ipv4_cidr
        access = cfg.access_config
        props: dict[str, Any] = {
            "Name": cfg.metadata.name,
            "Version": cfg.metadata.version,
            "RoleArn": role_arn,
            "ResourcesVpcConfig": eks.ResourcesVpcConfig(**vpc_config),
            "AccessConfig": eks.AccessConfig(
                AuthenticationMode=access.authentication_mode,
                BootstrapClusterCreatorAdminPermissions=access.bootstrap_cluster_creator_admin_permissions,
            ),
            "KubernetesNetworkConfig": eks.KubernetesNetworkConfig(**network),
            "EncryptionConfig": [eks.EncryptionConfig(Provider=eks.Provider(KeyArn=key_arn), Resources=["secrets"])],
            # Always written: EKS's default is EXTENDED (UpgradePolicyRequest, EKS API
            # reference); ours is STANDARD (upgradePolicy.supportType).
            "UpgradePolicy": eks.UpgradePolicy(SupportType=cfg.upgrade_policy.support_type),
            # On by default: DeleteCluster (console, CLI) is refused while it is on, so the
            # cluster cannot vanish behind the stack; `delete` turns it off first.
            "DeletionProtection": cfg.deploy.deletion_protection,
            **tag_props(self.tags()),
        }
        node_role = auto_mode.node_role(template, cfg, self.lid("AutoModeNodeRole"),
                                        self.tags({"Name": Sub("${AWS::StackName}/AutoModeNodeRole")}))
        if isinstance(node_role, iam.Role):
            node_role = GetAtt(self.add(template, node_role), "Arn")
        props.update(auto_mode.cluster_properties(cfg, node_role))
        if cfg.cloud_watch.cluster_logging.enable_types:
            props["Logging"] = eks.Logging(ClusterLogging=eks.ClusterLogging(EnabledTypes=[
                eks.LoggingTypeConfig(Type=kind) for kind in cfg.cloud_watch.cluster_logging.enable_types
            ]))
        if log_group is not None:
            props["DependsOn"] = [log_group.title]  # EKS would otherwise create it, never expiring
        return self.add(template, eks.Cluster(self.lid("ControlPlane"), **props))

    def _add_oidc_provider(self, template: Template, cluster: eks.Cluster) -> iam.OIDCProvider | None:
        """IAM roles for service accounts. No thumbprint: IAM validates EKS's OIDC issuers
        against its own library of trusted root CAs, and ThumbprintList is optional."""
        if not self.config.iam.with_oidc:
            return None
        return self.add(template, iam.OIDCProvider(
            self.lid("OIDCProvider"),
            Url=GetAtt(cluster, "OpenIdConnectIssuerUrl"),
            ClientIdList=["sts.amazonaws.com"],
            Tags=Tags(self.tags({"Name": Sub("${AWS::StackName}/OIDCProvider")})),  # type: ignore[dict-item]
        ))

    def _add_access_entries(self, template: Template, cluster_name: Any) -> None:
        used: set[str] = set()
        for i, entry in enumerate(self.config.access_config.access_entries, start=1):
            logical_id = self.lid("AccessEntry" + _entry_id(entry.principal_arn))
            if logical_id in used:
                logical_id = f"{logical_id}{i}"
            used.add(logical_id)
            props: dict[str, Any] = {"ClusterName": cluster_name, "PrincipalArn": entry.principal_arn}
            if entry.type:
                props["Type"] = entry.type
            if entry.kubernetes_groups:
                props["KubernetesGroups"] = list(entry.kubernetes_groups)
            if entry.access_policies:
                props["AccessPolicies"] = [
                    eks.AccessPolicy(
                        PolicyArn=policy.policy_arn,
                        AccessScope=eks.AccessScope(
                            Type=policy.access_scope.type,
                            **({"Namespaces": list(policy.access_scope.namespaces)}
                               if policy.access_scope.namespaces else {}),
                        ),
                    )
                    for policy in entry.access_policies
                ]
            self.add(template, eks.AccessEntry(logical_id, **props))


__all__ = ["ControlPlaneBuilder"]
