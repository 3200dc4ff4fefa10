"""EKS Pod Identity: an IAM role per Kubernetes service account, from the stack file alone.

- ``iam.podIdentityAssociations[]`` (eksctl's field names): :class:`PodIdentityBuilder`,
  its own child stack ``PodIdentityStack``: a role per association that gives no
  ``roleARN`` and one ``AWS::EKS::PodIdentityAssociation`` each.
- ``addons[].podIdentityAssociations[]``, ``addons[].useDefaultPodIdentityAssociations``
  and ``addonsConfig.autoApplyPodIdentityAssociations``: the add-on's own
  ``PodIdentityAssociations`` property; the roles sit next to the add-on
  (:func:`addon_pod_identity`, called by whichever builder creates the add-on).
- The ``eks-pod-identity-agent`` add-on (which hands pods their credentials) is added to
  the cluster's add-ons whenever an association exists and the file does not list it
  (:func:`effective_addons`).

Where the associations live. ``PodIdentityStack`` takes only the cluster's name, so it
starts when ``ControlPlaneStack`` is complete and runs beside the nodegroup stacks: an
association is an EKS API record (no node, no pod needed to create it), so nothing has
to wait for it, and it must not make the nodegroups (the long part of a create) wait.
Putting the associations in ``ControlPlaneStack`` would add their roles and records to
the stack every nodegroup waits for; putting them in ``AddonsStack`` would make them wait
for every nodegroup. A pod that starts before its association exists gets no credentials
until it restarts (the agent reads the association when the pod asks), which is why the
stack is created as early as the cluster allows.

Every role trusts ``pods.eks.amazonaws.com`` with ``sts:AssumeRole`` and ``sts:TagSession``
(EKS user guide, "Create a Pod Identity association": the trust policy; eksctl
``EKSServicePrincipalTrustStatement``), and no role is named (CloudFormation names it, so
a change that replaces it never collides with a custom name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from awacs.aws import Allow, Policy, Principal, Statement
from troposphere import GetAtt, Sub, Tags, Template, eks, iam

from eks_templates.builders.base import Builder
from eks_templates.builders.common import actions, checkov_skips, document, managed_policy, tag_props
from eks_templates.builders.policies import (
    ADDON_POLICY_SKIPS,
    IMAGE_BUILDER_POLICY,
    Controllers,
    controller_policies,
)
from eks_templates.config.addon_identity import POD_IDENTITY_AGENT, addon_associations
from eks_templates.config.model import Addon, ClusterConfig, PodIdentityAssociation
from eks_templates.names import CLUSTER_NAME, POD_IDENTITY_STACK, Port, pascal

#: The service principal of EKS Pod Identity (the same in every partition: the EKS user
#: guide's trust policy names it without a partition suffix).
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


# --------------------------------------------------------------------------- what the file asks for


def uses_pod_identity(config: ClusterConfig) -> bool:
    return bool(config.iam.pod_identity_associations) or any(
        addon_associations(config, a) for a in config.addons)


def effective_addons(config: ClusterConfig) -> list[Addon]:
    """``config.addons``, plus ``eks-pod-identity-agent`` when an association exists and the
    file does not list it: without the agent on the nodes no pod gets the credentials."""
    addons = list(config.addons)
    if uses_pod_identity(config) and all(a.name != POD_IDENTITY_AGENT for a in addons):
        addons.append(Addon(name=POD_IDENTITY_AGENT))
    return addons


def cni_has_own_role(config: ClusterConfig) -> bool:
    """vpc-cni's ``aws-node`` gets a role of its own (IRSA or Pod Identity): the node role
    then needs no ``AmazonEKS_CNI_Policy``."""
    return any(a.name == "vpc-cni" and (a.service_account_role_arn or addon_associations(config, a))
               for a in config.addons)


# --------------------------------------------------------------------------- roles


def trust_policy() -> Policy:
    return Policy(Version="2012-10-17", Statement=[Statement(
        Effect=Allow,
        Action=actions("sts:AssumeRole", "sts:TagSession"),
        Principal=Principal("Service", [POD_IDENTITY_PRINCIPAL]),
    )])


def _policy_arn(arn: str) -> Any:
    """A full ARN as given; a bare AWS managed policy name in the stack's partition."""
    return arn if arn.startswith("arn:") else managed_policy(arn)


def _controllers(association: PodIdentityAssociation) -> Controllers:
    wanted = association.well_known_policies
    return Controllers(
        auto_scaler=wanted.auto_scaler, cert_manager=wanted.cert_manager, external_dns=wanted.external_dns,
        ebs=wanted.ebs_csi_controller, efs=wanted.efs_csi_controller,
        load_balancer_controller=wanted.aws_load_balancer_controller,
    )


def association_role(builder: Builder, template: Template, logical_id: str, association: PodIdentityAssociation,
                     what: str) -> iam.Role:
    """The role of one association: exactly the permissions the file asks for (managed
    policies, the inline ``permissionPolicy``, the well-known controllers' statements)."""
    managed = [_policy_arn(arn) for arn in association.permission_policy_arns]
    if association.well_known_policies.image_builder:
        managed.append(managed_policy(IMAGE_BUILDER_POLICY))
    policies = []
    if association.permission_policy:
        policies.append(iam.Policy(PolicyName="Policy1", PolicyDocument=dict(association.permission_policy)))
    skips: dict[str, str] = {}
    for name, statements in controller_policies(builder.config.metadata.name, _controllers(association)):
        policies.append(iam.Policy(PolicyName=name, PolicyDocument=document(*statements)))
        skips.update(ADDON_POLICY_SKIPS.get(name, {}))
    props: dict[str, Any] = {
        "AssumeRolePolicyDocument": trust_policy(),
        "Description": f"EKS Pod Identity: {what}"[:1000],
        "Tags": Tags(builder.tags({**association.tags, "Name": Sub("${AWS::StackName}/" + logical_id)})),
    }
    if managed:
        props["ManagedPolicyArns"] = managed
    if policies:
        props["Policies"] = policies
    if association.permissions_boundary_arn:
        props["PermissionsBoundary"] = association.permissions_boundary_arn
    if skips:
        props["Metadata"] = checkov_skips(skips)
    return builder.add(template, iam.Role(logical_id, **props))


def role_arn(builder: Builder, template: Template, logical_id: str, association: PodIdentityAssociation,
             what: str) -> Any:
    if association.role_arn:
        return association.role_arn
    return GetAtt(association_role(builder, template, logical_id, association, what), "Arn")


def addon_pod_identity(builder: Builder, template: Template, addon: Addon) -> list[eks.PodIdentityAssociationProperty]:
    """The add-on's ``PodIdentityAssociations`` (and a role for each that gives no ``roleARN``,
    added to ``template`` by ``builder``: ``Addon<Name>Role<ServiceAccount>``)."""
    out = []
    for association in addon_associations(builder.config, addon):
        sa = association.service_account_name
        arn = role_arn(builder, template, builder.lid(f"Addon{pascal(addon.name)}Role{pascal(sa)}"), association,
                       f"add-on {addon.name}, service account {sa}")
        out.append(eks.PodIdentityAssociationProperty(RoleArn=arn, ServiceAccount=sa))
    return out


# --------------------------------------------------------------------------- iam.podIdentityAssociations


def association_ids(config: ClusterConfig) -> list[str]:
    """``PodIdentity<Namespace><ServiceAccount>`` per association, unique (a clash of the
    alphanumerics gets the entry's position)."""
    used: set[str] = set()
    out = []
    for i, association in enumerate(config.iam.pod_identity_associations, start=1):
        base = "PodIdentity" + pascal(f"{association.namespace}-{association.service_account_name}")
        logical_id = base if base not in used else f"{base}{i}"
        used.add(logical_id)
        out.append(logical_id)
    return out


class PodIdentityBuilder(Builder):
    """``iam.podIdentityAssociations``: roles and ``AWS::EKS::PodIdentityAssociation`` records,
    in their own stack after the cluster, beside the nodegroups (see the module's docstring).

    Inputs:
        - ``ClusterName``: the cluster the associations are in.

    Outputs: none.

    Options (stack file): ``iam.podIdentityAssociations[]`` (``namespace``,
    ``serviceAccountName``, ``roleARN`` or the permissions of a role to create,
    ``permissionsBoundaryARN``, ``tags``).
    """

    stack_id = POD_IDENTITY_STACK
    description = "EKS Pod Identity: a role per service account and its pod identity association"

    @property
    def inputs(self) -> Sequence[Port]:
        return (CLUSTER_NAME,)

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        name = self.require(inputs, CLUSTER_NAME)
        for logical_id, association in zip(association_ids(self.config), self.config.iam.pod_identity_associations,
                                           strict=True):
            where = f"{association.namespace}/{association.service_account_name}"
            arn = role_arn(self, template, self.lid(f"{logical_id}Role"), association, f"service account {where}")
            self.add(template, eks.PodIdentityAssociation(
                self.lid(logical_id),
                ClusterName=name,
                Namespace=association.namespace or "",
                ServiceAccount=association.service_account_name,
                RoleArn=arn,
                **tag_props(self.tags(association.tags)),
            ))
        return {}


__all__ = [
    "POD_IDENTITY_AGENT",
    "PodIdentityBuilder",
    "addon_associations",
    "addon_pod_identity",
    "cni_has_own_role",
    "effective_addons",
    "uses_pod_identity",
]
