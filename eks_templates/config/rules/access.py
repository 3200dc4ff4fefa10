"""Rules for ``accessConfig`` (authentication mode, access entries), the bastion's and
management hosts' access, IAM role ARNs and the secrets' KMS key."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from eks_templates.config.model import AccessPolicy, ClusterConfig
from eks_templates.config.problems import Problem
from eks_templates.config.regions import partition_of
from eks_templates.config.rules._base import (
    _KMS_ARN,
    _POLICY_ARN,
    _PRINCIPAL_ARN,
    ACCESS_POLICIES,
    _did_you_mean,
    _lazy,
    _role_arn_problems,
    _warn,
    rule,
)

# =========================================================================== access

#: a namespace name, or a prefix ending in '*' (access scopes and Fargate selectors take those)
_NAMESPACE_RE = _lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$|^([a-z0-9][-a-z0-9]*)?\*$")


@rule
def authentication_mode(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    access = config.access_config
    if access.authentication_mode == "CONFIG_MAP" and not access.bootstrap_cluster_creator_admin_permissions:
        yield Problem(
            "accessConfig.bootstrapClusterCreatorAdminPermissions",
            "must be true with authenticationMode CONFIG_MAP (otherwise no one can administer the "
            "cluster); use authenticationMode API_AND_CONFIG_MAP or API to manage access with entries",
        )
    if access.authentication_mode == "CONFIG_MAP" and access.access_entries:
        yield Problem(
            "accessConfig.accessEntries",
            "need authenticationMode API or API_AND_CONFIG_MAP (CONFIG_MAP has no access entries)",
        )


@rule
def access_entries(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    partition = partition_of(config.metadata.region)
    seen: dict[str, int] = {}
    for i, entry in enumerate(config.access_config.access_entries):
        base = f"accessConfig.accessEntries[{i}]"
        arn = entry.principal_arn
        match = _PRINCIPAL_ARN.match(arn)
        if match is None:
            hint = ""
            if ":assumed-role/" in arn:
                hint = "; this is a session ARN: use the role's ARN (arn:...:iam::<account>:role/<name>)"
            yield Problem(
                f"{base}.principalARN",
                f"{arn!r} is not an IAM role or user ARN; expected "
                f"arn:{partition}:iam::<12-digit account>:role/<name> or "
                f":user/<name>{hint}",
            )
        elif match["partition"] != partition:
            yield Problem(
                f"{base}.principalARN",
                f"partition {match['partition']!r} does not match region "
                f"{config.metadata.region}; expected arn:{partition}:...",
            )
        elif entry.type in ("EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX") and match["kind"] != "role":
            yield Problem(f"{base}.principalARN", f"an access entry of type {entry.type} needs a role ARN")
        if arn in seen:
            yield Problem(
                f"{base}.principalARN",
                f"is already used by accessEntries[{seen[arn]}]; EKS allows one access entry per principal",
            )
        seen.setdefault(arn, i)
        if entry.type not in (None, "STANDARD"):
            if entry.kubernetes_groups:
                yield Problem(
                    f"{base}.kubernetesGroups",
                    f"are not allowed for type {entry.type} (EKS assigns "
                    "the groups); only STANDARD entries take them",
                )
            if entry.access_policies:
                yield Problem(
                    f"{base}.accessPolicies",
                    f"are not allowed for type {entry.type}; only STANDARD entries take access policies",
                )
        yield from _access_policies_problems(base, entry.access_policies, partition)
        yield from _kubernetes_groups_problems(base, entry.kubernetes_groups)


def _access_policies_problems(base: str, access_policies: list[AccessPolicy], partition: str) -> Iterator[Problem]:
    """The rules of an access entry's ``accessPolicies`` (``accessConfig.accessEntries[i]``
    and the management host's ``bastion``)."""
    policies: dict[str, int] = {}
    for j, policy in enumerate(access_policies):
        ppath = f"{base}.accessPolicies[{j}]"
        yield from _policy_problems(ppath, policy.policy_arn, partition)
        if policy.policy_arn in policies:
            yield Problem(
                f"{ppath}.policyARN",
                f"is already associated by accessPolicies[{policies[policy.policy_arn]}]",
            )
        policies.setdefault(policy.policy_arn, j)
        scope = policy.access_scope
        if scope.type == "namespace" and not scope.namespaces:
            yield Problem(
                f"{ppath}.accessScope.namespaces",
                "is required with type namespace; list the namespaces, or use type cluster",
            )
        if scope.type == "cluster" and scope.namespaces:
            yield Problem(
                f"{ppath}.accessScope.namespaces",
                "are not allowed with type cluster; use type namespace to limit the policy to them",
            )
        for k, ns in enumerate(scope.namespaces):
            if len(ns) > 63 or not _NAMESPACE_RE.match(ns):
                yield Problem(
                    f"{ppath}.accessScope.namespaces[{k}]",
                    f"{ns!r} is not a Kubernetes namespace name (lowercase letters, digits and "
                    "'-', at most 63; a trailing '*' matches a prefix)",
                )


def _kubernetes_groups_problems(base: str, groups: list[str]) -> Iterator[Problem]:
    """``KubernetesGroups`` of an access entry: unique items (the AWS::EKS::AccessEntry
    schema's ``uniqueItems``), none empty."""
    seen: dict[str, int] = {}
    for j, group in enumerate(groups):
        path = f"{base}.kubernetesGroups[{j}]"
        if not group.strip():
            yield Problem(path, "is empty; name the Kubernetes group (the subject of a RoleBinding)")
        elif group in seen:
            yield Problem(path, f"{group!r} is already listed as kubernetesGroups[{seen[group]}]")
        seen.setdefault(group, j)


@rule
def management_host_access(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """The management host's role gets an access entry (kubectl there): the cluster admin
    policy, or what ``bastion.accessPolicies``/``kubernetesGroups`` say."""
    bastion = config.bastion
    narrowed = bastion.access_policies is not None or bastion.kubernetes_groups
    if not bastion.enabled:
        if narrowed:
            given = "accessPolicies" if bastion.access_policies is not None else "kubernetesGroups"
            yield _warn(f"bastion.{given}", "is ignored: bastion.enabled is false (there is no management host)")
        return
    if config.access_config.authentication_mode == "CONFIG_MAP":
        yield Problem(
            "bastion.enabled",
            "needs accessConfig.authenticationMode API or API_AND_CONFIG_MAP: the management host's role gets "
            "an access entry for kubectl, and CONFIG_MAP has no access entries",
        )
        return
    yield from _access_policies_problems("bastion", bastion.access_policies or [], partition_of(config.metadata.region))
    yield from _kubernetes_groups_problems("bastion", bastion.kubernetes_groups)
    if bastion.access_policies == [] and not bastion.kubernetes_groups:
        yield _warn(
            "bastion.accessPolicies",
            "is empty and there are no kubernetesGroups: kubectl on the management host can authenticate but "
            "may do nothing; leave accessPolicies out for cluster admin, or list a policy or a group",
        )


def _policy_problems(path: str, arn: str, partition: str) -> Iterator[Problem]:
    match = _POLICY_ARN.match(arn)
    if match is None:
        name = arn.rsplit("/", 1)[-1] if "/" in arn else arn
        hint = (
            f"; did you mean arn:{partition}:eks::aws:cluster-access-policy/{name}?"
            if name in ACCESS_POLICIES
            else ""
        )
        yield Problem(
            f"{path}.policyARN",
            f"{arn!r} is not an EKS access policy ARN; expected "
            f"arn:{partition}:eks::aws:cluster-access-policy/<Name>{hint}",
        )
    elif match["partition"] != partition:
        yield Problem(
            f"{path}.policyARN",
            f"partition {match['partition']!r} does not match the region's; expected arn:{partition}:...",
        )
    elif match["name"] not in ACCESS_POLICIES:
        yield _warn(
            f"{path}.policyARN",
            f"{match['name']!r} is not an EKS access policy known to this tool"
            f"{_did_you_mean(match['name'], ACCESS_POLICIES)}",
        )


@rule
def role_arns(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    partition = partition_of(config.metadata.region)
    if config.iam.service_role_arn is not None:
        yield from _role_arn_problems(
            "iam.serviceRoleARN", config.iam.service_role_arn, partition, "the cluster's service role"
        )
    for i, addon in enumerate(config.addons):
        if addon.service_account_role_arn is not None:
            yield from _role_arn_problems(
                f"addons[{i}].serviceAccountRoleARN",
                addon.service_account_role_arn,
                partition,
                "the add-on's IRSA role",
            )


@rule
def kms_key(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    arn = config.secrets_encryption.key_arn
    if arn is None:
        return
    path = "secretsEncryption.keyARN"
    region_name = config.metadata.region
    partition = partition_of(region_name)
    match = _KMS_ARN.match(arn)
    if match is None:
        yield Problem(
            path,
            f"{arn!r} is not a KMS key ARN; expected arn:{partition}:kms:{region_name}:"
            "<account>:key/<key id> or :alias/<name>",
        )
    elif match["partition"] != partition:
        yield Problem(
            path,
            f"partition {match['partition']!r} does not match the region's; expected arn:{partition}:...",
        )
    elif match["region"] != region_name:
        yield Problem(
            path, f"the key is in {match['region']}; EKS needs a key in the cluster's region {region_name}"
        )
