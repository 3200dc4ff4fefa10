"""Rules for EKS Pod Identity (issue 13): ``iam.podIdentityAssociations``, the add-ons'
associations and configuration values, and pods off the node role (IMDS)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from eks_templates.config.model import ClusterConfig, PodIdentityAssociation
from eks_templates.config.problems import Problem
from eks_templates.config.regions import partition_of
from eks_templates.config.rules._base import _IAM_NAME, _IAM_PATH, _lazy, _ng, _role_arn_problems, _warn, rule
from eks_templates.config.rules.metadata import _tag_problems
from eks_templates.config.rules.nodegroups import _DNS_SUBDOMAIN_RE

# =========================================================================== EKS Pod Identity (issue 13)

#: Kubernetes names (apimachinery validation): a namespace is a DNS-1123 label (at most 63),
#: a service account a DNS-1123 subdomain (at most 253).
_DNS_LABEL_RE = _lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: IAM policy ARNs: AWS managed (account "aws") or customer managed (IAM User Guide, "IAM ARNs")
_IAM_POLICY_ARN = _lazy(
    rf"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>aws|\d{{12}}):policy{_IAM_PATH}/{_IAM_NAME}$"
)
_PERMISSION_FIELDS = ("permissionPolicyARNs", "permissionPolicy", "wellKnownPolicies")


def _iam_policy_arn_problems(path: str, arn: str, partition: str) -> Iterator[Problem]:
    match = _IAM_POLICY_ARN.match(arn)
    if match is None:
        yield Problem(path, f"{arn!r} is not an IAM policy ARN; expected arn:{partition}:iam::aws:policy/<name> "
                      f"or arn:{partition}:iam::<12-digit account>:policy/<name>")
    elif match["partition"] != partition:
        yield Problem(path, f"partition {match['partition']!r} does not match the region's; "
                      f"expected arn:{partition}:...")


def _association_problems(base: str, association: PodIdentityAssociation, partition: str, *,
                          in_addon: bool) -> Iterator[Problem]:
    """What eksctl checks of a pod identity association (pkg/ctl/cmdutils/pod_identity_association.go
    ``validatePodIdentityAssociations``), and what IAM and Kubernetes refuse."""
    if association.create_service_account:
        yield Problem(
            f"{base}.createServiceAccount",
            "the add-on creates its own service accounts; leave createServiceAccount out" if in_addon else
            "CloudFormation cannot create a Kubernetes service account (it has no Kubernetes resources; eksctl "
            "runs kubectl for it): create the service account with your workload's manifests or Helm chart, "
            "and leave createServiceAccount out",
        )
    if in_addon and association.namespace is not None:
        yield Problem(f"{base}.namespace", "an add-on's service accounts are in the add-on's namespace "
                      "(AWS::EKS::Addon PodIdentityAssociations has no namespace); leave namespace out")
    if not in_addon:
        if association.namespace is None:
            yield Problem(f"{base}.namespace", "is required: the Kubernetes namespace of the service account")
        elif len(association.namespace) > 63 or not _DNS_LABEL_RE.match(association.namespace):
            yield Problem(f"{base}.namespace", f"{association.namespace!r} is not a Kubernetes namespace name "
                          "(at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit)")
    sa = association.service_account_name
    if len(sa) > 253 or not _DNS_SUBDOMAIN_RE.match(sa):
        yield Problem(f"{base}.serviceAccountName", f"{sa!r} is not a Kubernetes service account name (lower-case "
                      "letters, digits, '-' and '.', at most 253, starting and ending with a letter or digit)")
    given = [name for name, value in (
        ("permissionPolicyARNs", association.permission_policy_arns),
        ("permissionPolicy", association.permission_policy),
        ("wellKnownPolicies", association.well_known_policies.has_policy),
    ) if value]
    if association.role_arn is not None:
        yield from _role_arn_problems(f"{base}.roleARN", association.role_arn, partition, "the pod's role")
        for name in given + (["permissionsBoundaryARN"] if association.permissions_boundary_arn else []):
            yield Problem(f"{base}.{name}", "cannot be given with roleARN (the role exists: its permissions are "
                          "its own); leave roleARN out to have the stack create the role")
    elif not given:
        yield Problem(base, "needs roleARN, or the permissions of the role to create: one or more of "
                      + ", ".join(_PERMISSION_FIELDS))
    for j, arn in enumerate(association.permission_policy_arns):
        yield from _iam_policy_arn_problems(f"{base}.permissionPolicyARNs[{j}]", arn, partition)
    if association.permissions_boundary_arn:
        yield from _iam_policy_arn_problems(f"{base}.permissionsBoundaryARN", association.permissions_boundary_arn,
                                            partition)
    document = association.permission_policy
    if document is not None:
        statements = document.get("Statement")
        if not isinstance(statements, list | dict) or not statements:
            yield Problem(f"{base}.permissionPolicy", "needs a Statement (a list of IAM policy statements), as in "
                          "{Version: '2012-10-17', Statement: [{Effect: Allow, Action: [...], Resource: [...]}]}")
        if document.get("Version", "2012-10-17") != "2012-10-17":
            yield Problem(f"{base}.permissionPolicy.Version",
                          f"{document.get('Version')!r}; IAM policies take Version '2012-10-17'")
    yield from _tag_problems(f"{base}.tags", association.tags)


@rule
def pod_identity_associations(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``iam.podIdentityAssociations``: each a service account -> a role, once per service account
    (EKS CreatePodIdentityAssociation: ResourceInUseException for a second one)."""
    from eks_templates.config.addon_identity import ADDON_SERVICE_ACCOUNTS, addon_associations

    partition = partition_of(config.metadata.region)
    seen: dict[tuple[str | None, str], str] = {}
    for a in config.addons:
        for row in ADDON_SERVICE_ACCOUNTS.get(a.name, ()):
            if any(x.service_account_name == row.service_account for x in addon_associations(config, a)):
                seen[(row.namespace, row.service_account)] = f"the {a.name} add-on's"
    for i, association in enumerate(config.iam.pod_identity_associations):
        base = f"iam.podIdentityAssociations[{i}]"
        yield from _association_problems(base, association, partition, in_addon=False)
        key = (association.namespace, association.service_account_name)
        if key in seen:
            yield Problem(base, f"{key[0]}/{key[1]} already has {seen[key]} association; EKS takes one "
                          "association per service account")
        seen.setdefault(key, f"iam.podIdentityAssociations[{i}]'s")
    if config.iam.pod_identity_associations and not config.managed_node_groups:
        yield _warn("iam.podIdentityAssociations", "pods on Fargate cannot use EKS Pod Identity (its agent runs on "
                    "EC2 nodes only; EKS user guide, 'EKS Pod Identity restrictions'): add a managed nodegroup, or "
                    "use IAM roles for service accounts")


@rule
def addon_pod_identity(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``addons[].podIdentityAssociations`` / ``useDefaultPodIdentityAssociations``: the add-on's
    own ``PodIdentityAssociations`` (AWS::EKS::Addon), one role per service account."""
    from eks_templates.config.addon_identity import ADDON_SERVICE_ACCOUNTS

    partition = partition_of(config.metadata.region)
    for i, addon in enumerate(config.addons):
        base = f"addons[{i}]"
        known = ADDON_SERVICE_ACCOUNTS.get(addon.name, ())
        if addon.use_default_pod_identity_associations:
            if addon.pod_identity_associations:
                yield Problem(f"{base}.useDefaultPodIdentityAssociations", "cannot be given with "
                              "podIdentityAssociations; use one of them")
            elif not known:
                yield Problem(f"{base}.useDefaultPodIdentityAssociations", f"{addon.name!r} has no service "
                              "account with AWS permissions known to this tool (known: "
                              + ", ".join(sorted(ADDON_SERVICE_ACCOUNTS))
                              + "); give podIdentityAssociations with serviceAccountName and the permissions")
        if addon.service_account_role_arn and (addon.pod_identity_associations
                                               or addon.use_default_pod_identity_associations):
            yield Problem(f"{base}.serviceAccountRoleARN", "cannot be given with pod identity associations (the "
                          "add-on would have two roles); use one of them")
        seen: set[str] = set()
        for j, association in enumerate(addon.pod_identity_associations):
            path = f"{base}.podIdentityAssociations[{j}]"
            yield from _association_problems(path, association, partition, in_addon=True)
            sa = association.service_account_name
            if sa in seen:
                yield Problem(f"{path}.serviceAccountName", f"{sa!r} is listed twice; EKS takes one association "
                              "per service account")
            seen.add(sa)
            if known and sa not in {row.service_account for row in known}:
                yield _warn(f"{path}.serviceAccountName", f"{sa!r} is not a service account of {addon.name} known "
                            f"to this tool (known: {', '.join(row.service_account for row in known)}); EKS refuses "
                            "an association for a service account the add-on does not have")


@rule
def addon_configuration_values(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """``addons[].configurationValues`` is a JSON object (a mapping or its JSON string); what it
    may hold is the add-on's schema, checked by ``plan``/``deploy`` (deploy/addon_config.py)."""
    from eks_templates.config import addon_values

    for i, addon in enumerate(config.addons):
        if addon.configuration_values is None:
            continue
        try:
            addon_values.parse(addon.configuration_values)
        except addon_values.NotAnObject as exc:
            yield Problem(f"addons[{i}].configurationValues", str(exc))


#: ``withAddonPolicies`` -> what gives the same controller its own role instead (one line each)
POD_IDENTITY_EQUIVALENTS = {
    "externalDNS": "iam.podIdentityAssociations: [{namespace: kube-system, serviceAccountName: external-dns, "
                   "wellKnownPolicies: {externalDNS: true}}]",
    "certManager": "iam.podIdentityAssociations: [{namespace: cert-manager, serviceAccountName: cert-manager, "
                   "wellKnownPolicies: {certManager: true}}]",
    "albIngress": "iam.podIdentityAssociations: [{namespace: kube-system, serviceAccountName: "
                  "aws-load-balancer-controller, wellKnownPolicies: {awsLoadBalancerController: true}}]",
    "autoScaler": "iam.podIdentityAssociations: [{namespace: kube-system, serviceAccountName: cluster-autoscaler, "
                  "wellKnownPolicies: {autoScaler: true}}]",
    "ebs": "addons: [{name: aws-ebs-csi-driver, useDefaultPodIdentityAssociations: true}]",
    "cloudWatch": "addons: [{name: amazon-cloudwatch-observability, useDefaultPodIdentityAssociations: true}]",
}


@rule
def pod_imds(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """Pods off the node role. Nodes get IMDS hop limit 1 unless the file lets pods reach IMDS
    (eksctl's ``disablePodIMDS: false``; its default, not ours). ``withAddonPolicies`` puts a
    controller's permissions on the node role, which only pods reaching IMDS can use: it keeps
    hop limit 2 for that nodegroup, with a warning; ``disablePodIMDS: true`` with it is eksctl's
    error ("cannot be set at the same time", pkg/apis/eksctl.io/v1alpha5/validation.go)."""
    for i, ng in enumerate(config.managed_node_groups):
        wanted = ng.iam.with_addon_policies
        given = [spec.alias for spec in wanted.fields() if getattr(wanted, spec.name)]
        if given and ng.disable_pod_imds:
            yield Problem(_ng(i, "disablePodIMDS"), "cannot be true with iam.withAddonPolicies (those policies are "
                          "on the node role, which pods then cannot reach); give the controllers their own roles "
                          "with podIdentityAssociations and drop withAddonPolicies")
            continue
        if given and ng.disable_pod_imds is None:
            for alias in given:
                yield _warn(_ng(i, f"iam.withAddonPolicies.{alias}"), "puts the controller's permissions on the node "
                            "role: every pod on these nodes can use them (this nodegroup keeps IMDS hop limit 2 for "
                            f"it); give the controller its own role instead: {POD_IDENTITY_EQUIVALENTS[alias]}")
        if not ng.pods_reach_imds and not ng.disable_imdsv1:
            yield _warn(_ng(i, "disableIMDSv1"), "is false: IMDSv1 needs no token, so the hop limit of 1 does not keep "
                        "pods from the node role's credentials (it limits IMDSv2 token responses only); set "
                        "disableIMDSv1: true")
