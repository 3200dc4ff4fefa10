"""Rules for add-ons, control-plane logging and Fargate profiles."""

from __future__ import annotations

import datetime as _dt
import fnmatch
from collections.abc import Iterator

from eks_templates.config.model import ALL_LOG_TYPES, ClusterConfig
from eks_templates.config.problems import Problem
from eks_templates.config.rules._base import _did_you_mean, _lazy, _warn, rule
from eks_templates.config.rules.access import _NAMESPACE_RE
from eks_templates.config.rules.metadata import _SUBNET_ID_RE
from eks_templates.config.rules.nodegroups import _LABEL_VALUE, _LABEL_VALUE_RE, qualified_name_problem

# =========================================================================== add-ons, logging, Fargate

#: EKS add-ons by AWS, and the community add-ons EKS offers. A name with '_' is taken
#: to be an AWS Marketplace add-on (vendor_product) and only warned about.
KNOWN_ADDONS = (
    "vpc-cni",
    "coredns",
    "kube-proxy",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "aws-fsx-csi-driver",
    "aws-mountpoint-s3-csi-driver",
    "snapshot-controller",
    "aws-secrets-store-csi-driver-provider",
    "eks-pod-identity-agent",
    "eks-node-monitoring-agent",
    "aws-network-flow-monitoring-agent",
    "amazon-cloudwatch-observability",
    "adot",
    "aws-guardduty-agent",
    "aws-privateca-connector-for-kubernetes",
    "amazon-sagemaker-hyperpod-taskgovernance",
    "amazon-sagemaker-hyperpod-observability",
    "metrics-server",
    "kube-state-metrics",
    "prometheus-node-exporter",
    "cert-manager",
    "external-dns",
    "fluent-bit",
)
_ADDON_VERSION_RE = _lazy(r"^v\d+\.\d+\.\d+(-eksbuild\.\d+)?$")


@rule
def addons(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for i, addon in enumerate(config.addons):
        path = f"addons[{i}]"
        if addon.name in seen:
            yield Problem(
                f"{path}.name", f"{addon.name!r} is already addons[{seen[addon.name]}]; list each add-on once"
            )
        seen.setdefault(addon.name, i)
        if addon.name not in KNOWN_ADDONS:
            if "_" in addon.name:
                yield _warn(
                    f"{path}.name",
                    f"{addon.name!r} is not an EKS add-on known to this tool; taken "
                    "to be an AWS Marketplace add-on (vendor_product)",
                )
            else:
                hint = _did_you_mean(addon.name, KNOWN_ADDONS)
                yield Problem(
                    f"{path}.name",
                    f"{addon.name!r} is not an EKS add-on{hint or ''}"
                    f"{'' if hint else '; known: ' + ', '.join(KNOWN_ADDONS)}",
                )
        if addon.version is not None and "_" not in addon.name and not _ADDON_VERSION_RE.match(addon.version):
            extra = (
                "; this tool does not look versions up: omit version for the default of the cluster's "
                "Kubernetes version"
                if addon.version == "latest"
                else ""
            )
            yield Problem(
                f"{path}.version",
                f"{addon.version!r} is not an add-on version such as v1.19.0-eksbuild.1{extra}",
            )
        if addon.service_account_role_arn is not None and not config.iam.with_oidc:
            yield _warn(
                f"{path}.serviceAccountRoleARN",
                "uses IAM roles for service accounts, which needs the "
                "cluster's OIDC provider: set iam.withOIDC: true",
            )


#: The labels of EKS's CoreDNS pods (namespace kube-system); a Fargate selector picks them
#: when every label it names is one of these (eksctl pkg/fargate/coredns: selectsCoreDNS).
COREDNS_POD_LABELS = {"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"}


def _selects_coredns(namespace: str, labels: dict[str, str]) -> bool:
    # Fargate selectors take '*' and '?' wildcards in namespaces and label values
    return fnmatch.fnmatchcase("kube-system", namespace) and all(
        key in COREDNS_POD_LABELS and fnmatch.fnmatchcase(COREDNS_POD_LABELS[key], value)
        for key, value in labels.items()
    )


@rule
def coredns_compute(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """Without a nodegroup, CoreDNS runs on Fargate (computeType: Fargate) or nowhere: its
    pods stay Pending, the add-on goes DEGRADED and the stack never completes. (EKS Auto
    Mode's built-in node pools run it too: its system pool takes critical add-ons.)"""
    auto = config.auto_mode_config
    if config.managed_node_groups or (auto is not None and auto.enabled and auto.node_pools != []):
        return
    for i, addon in enumerate(config.addons):
        if addon.name != "coredns":
            continue
        if not config.fargate_profiles:
            yield Problem(
                f"addons[{i}].name",
                "coredns has nowhere to run: the cluster has no managedNodeGroups and no fargateProfiles, "
                "so EKS reports the add-on DEGRADED and the stack never completes; add a nodegroup, or a "
                "Fargate profile with a selector for namespace kube-system, or leave coredns out",
            )
        elif not any(_selects_coredns(sel.namespace, sel.labels)
                     for profile in config.fargate_profiles for sel in profile.selectors):
            yield Problem(
                f"addons[{i}].name",
                "coredns runs on Fargate in this cluster (no managedNodeGroups), but no fargateProfiles "
                "selector matches its pods (namespace kube-system, labels k8s-app: kube-dns): they would "
                "stay Pending and the add-on DEGRADED; add a selector {namespace: kube-system} to a profile",
            )


@rule
def log_types(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, kind in enumerate(config.cloud_watch.cluster_logging.enable_types):
        path = f"cloudWatch.clusterLogging.enableTypes[{i}]"
        if kind in ("all", "*"):
            yield Problem(
                path,
                f"{kind!r} is eksctl shorthand this tool does not take; list the types "
                f"({', '.join(ALL_LOG_TYPES)}), or leave enableTypes out for all of them",
            )
        elif kind not in ALL_LOG_TYPES:
            yield Problem(
                path,
                f"{kind!r} is not a control-plane log type; allowed: {', '.join(ALL_LOG_TYPES)}"
                f"{_did_you_mean(kind, ALL_LOG_TYPES)}",
            )
        elif kind in seen:
            yield Problem(path, f"{kind!r} is listed twice")
        seen.add(kind)


#: CloudWatch Logs retention periods (PutRetentionPolicy), in days.
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


@rule
def log_retention(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    days = config.cloud_watch.cluster_logging.log_retention_in_days
    if days not in RETENTION_DAYS:
        above = [d for d in RETENTION_DAYS if d >= days]
        hint = f"; the next allowed value is {above[0]}" if above else ""
        yield Problem(
            "cloudWatch.clusterLogging.logRetentionInDays",
            f"{days} is not a CloudWatch Logs retention period; allowed: "
            f"{', '.join(map(str, RETENTION_DAYS))}{hint}",
        )


#: Amazon EKS: a Fargate profile takes up to five selectors.
MAX_FARGATE_SELECTORS = 5


@rule
def fargate_profiles(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, profile in enumerate(config.fargate_profiles):
        base = f"fargateProfiles[{i}]"
        if not profile.selectors:
            yield Problem(f"{base}.selectors", "is empty; give at least one selector with a namespace")
        elif len(profile.selectors) > MAX_FARGATE_SELECTORS:
            yield Problem(
                f"{base}.selectors",
                f"has {len(profile.selectors)} selectors; EKS allows at most "
                f"{MAX_FARGATE_SELECTORS}: split the profile",
            )
        for j, selector in enumerate(profile.selectors):
            ns = selector.namespace
            if not ns or len(ns) > 63 or not _NAMESPACE_RE.match(ns):
                yield Problem(
                    f"{base}.selectors[{j}].namespace",
                    f"{ns!r} is not a Kubernetes namespace name "
                    "(lowercase letters, digits and '-', at most 63)",
                )
            for key, value in selector.labels.items():
                problem = qualified_name_problem(key)
                if problem:
                    yield Problem(f"{base}.selectors[{j}].labels.{key}", f"label {problem}")
                elif not value or len(value) > 63 or not _LABEL_VALUE_RE.match(value):
                    yield Problem(
                        f"{base}.selectors[{j}].labels.{key}",
                        f"label value {value!r} is not valid; expected {_LABEL_VALUE}",
                    )
        for j, subnet in enumerate(profile.subnets):
            if not _SUBNET_ID_RE.match(subnet):
                yield Problem(
                    f"{base}.subnets[{j}]",
                    f"{subnet!r} is not a subnet id; expected subnet- and hex digits "
                    "(Fargate runs in private subnets only)",
                )
