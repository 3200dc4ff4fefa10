"""What EKS says about the IAM needs of its add-ons, kept offline: the service account of
each add-on that calls AWS APIs and the managed policy EKS recommends for it. Data only;
the rules (``config/rules/pod_identity.py``) and the pod identity builder read it."""

from __future__ import annotations

from eks_templates.config.model import Addon, ClusterConfig, PodIdentityAssociation
from eks_templates.records import Record

#: the add-on that hands pods their EKS Pod Identity credentials (a DaemonSet on every node)
POD_IDENTITY_AGENT = "eks-pod-identity-agent"


class AddonServiceAccount(Record):
    """One service account of an add-on that needs AWS permissions, as EKS's
    ``DescribeAddonConfiguration`` answers it (``podIdentityConfiguration``:
    ``serviceAccount``, ``recommendedManagedPolicies``)."""

    namespace: str
    service_account: str
    #: an AWS managed policy's name after ``arn:<partition>:iam::aws:policy/``
    managed_policy: str
    source: str


#: Offline copy of ``DescribeAddonConfiguration``'s ``podIdentityConfiguration`` for the
#: add-ons that need AWS permissions (checked 2026-12-01), each row with where it is
#: written down. ``useDefaultPodIdentityAssociations`` makes a role per row, with the
#: recommended managed policy. An add-on not here has no IAM needs known offline: give
#: it ``podIdentityAssociations`` yourself.
ADDON_SERVICE_ACCOUNTS: dict[str, tuple[AddonServiceAccount, ...]] = {
    "vpc-cni": (AddonServiceAccount(
        "kube-system", "aws-node", "AmazonEKS_CNI_Policy",
        "EKS user guide, 'Configure Amazon VPC CNI plugin to use IRSA' / 'Amazon VPC CNI' add-on page; "
        "DescribeAddonConfiguration vpc-cni podIdentityConfiguration"),),
    "aws-ebs-csi-driver": (AddonServiceAccount(
        "kube-system", "ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy",
        "EKS user guide, 'Store Kubernetes volumes with Amazon EBS' (Step 1: the IAM role, "
        "ebs-csi-controller-sa); DescribeAddonConfiguration aws-ebs-csi-driver podIdentityConfiguration"),),
    "aws-efs-csi-driver": (AddonServiceAccount(
        "kube-system", "efs-csi-controller-sa", "service-role/AmazonEFSCSIDriverPolicy",
        "EKS user guide, 'Store an elastic file system with Amazon EFS' (Step 1: the IAM role, "
        "efs-csi-controller-sa); DescribeAddonConfiguration aws-efs-csi-driver podIdentityConfiguration"),),
    "amazon-cloudwatch-observability": (AddonServiceAccount(
        "amazon-cloudwatch", "cloudwatch-agent", "CloudWatchAgentServerPolicy",
        "Amazon CloudWatch user guide, 'Install the Amazon CloudWatch Observability EKS add-on' (EKS Pod "
        "Identity: service account cloudwatch-agent); DescribeAddonConfiguration podIdentityConfiguration"),),
    "aws-network-flow-monitoring-agent": (AddonServiceAccount(
        "amazon-network-flow-monitor", "aws-network-flow-monitor-agent-service-account",
        "CloudWatchNetworkFlowMonitorAgentPublishPolicy",
        "Amazon CloudWatch user guide, 'Install the EKS AWS Network Flow Monitor Agent add-on' (Pod Identity "
        "association); DescribeAddonConfiguration podIdentityConfiguration"),),
}


def default_associations(addon: Addon) -> list[PodIdentityAssociation]:
    """The table's associations of ``addon``: a role with the recommended policy per row."""
    return [
        PodIdentityAssociation(service_account_name=row.service_account,
                               permission_policy_arns=[row.managed_policy])
        for row in ADDON_SERVICE_ACCOUNTS.get(addon.name, ())
    ]


def addon_associations(config: ClusterConfig, addon: Addon) -> list[PodIdentityAssociation]:
    """The add-on's pod identity associations: the file's own, else the recommended ones when
    ``useDefaultPodIdentityAssociations`` (or ``addonsConfig.autoApplyPodIdentityAssociations``
    for an add-on without a role of its own) asks for them."""
    if addon.pod_identity_associations:
        return list(addon.pod_identity_associations)
    auto = config.addons_config.auto_apply_pod_identity_associations and not addon.service_account_role_arn
    if addon.use_default_pod_identity_associations or auto:
        return default_associations(addon)
    return []
