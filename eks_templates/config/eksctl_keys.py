"""An answer for every key of eksctl's ``ClusterConfig`` that the stack file does not take.

A file brought over from eksctl may use any key of eksctl's schema (eksctl v0.230.0,
``pkg/apis/eksctl.io/v1alpha5``; the full key list is test data:
``tests/config/data/eksctl_keys.json``). A key the model has is supported; every other
eksctl key is refused with the line below — why, and what to do here instead — never
"unknown field; did you mean <another word>". A key inside a refused key is answered by
that key's line (the loader stops at the first unknown key of a path).

Paths are written as in the key list: ``[]`` for a list item, ``*`` for a mapping's own
key (``managedNodeGroups[].ami``, ``vpc.subnets.private.*.id``).
``tests/config/test_eksctl_keys.py`` walks every eksctl key against the loader and keeps
``docs/eksctl-keys.md`` (one table) in step with this module.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from eks_templates.config.model import ClusterConfig
from eks_templates.config.schema import Model, unwrap_optional

#: eksctl's version whose schema the key list and this table follow.
EKSCTL_VERSION = "v0.230.0"

_ADD_ON_LATER = "install it on the running cluster (kubectl/helm) after `deploy`"
_ADDON_ROLE = "create the role separately and give its ARN in addons[].serviceAccountRoleARN"
_NO_NODEGROUP_ROLE_CHOICE = (
    "the node role is created here (named by CloudFormation) or given whole"
)

#: eksctl key path -> (why it is refused, what to do here instead).
REFUSED: dict[str, tuple[str, str]] = {
        # ---- keys under sections that are supported (pod identity, add-on defaults)
    "iam.podIdentityAssociations[].disableSessionTags": (
        "the association's session-tag switch is not set (EKS's default: session tags on)",
        "remove it",
    ),
    "iam.podIdentityAssociations[].permissionPolicyName": (
        "roles are created with inline policies CloudFormation names",
        "remove it; give the policy in permissionPolicy",
    ),
    "iam.podIdentityAssociations[].policy": (
        "eksctl's alias of the permissions is not read",
        "use permissionPolicy (an inline document) or permissionPolicyARNs",
    ),
    "iam.podIdentityAssociations[].roleName": (
        "roles are named by CloudFormation (a custom name cannot be replaced in place)",
        "remove it, or create the role yourself and give roleARN",
    ),
    "iam.podIdentityAssociations[].targetRoleARN": (
        "cross-account role chaining (TargetRoleArn) is not set",
        "remove it; give the role in this account in roleARN",
    ),
    "addons[].podIdentityAssociations[].disableSessionTags": (
        "the association's session-tag switch is not set (EKS's default: session tags on)",
        "remove it",
    ),
    "addons[].podIdentityAssociations[].permissionPolicyName": (
        "roles are created with inline policies CloudFormation names",
        "remove it; give the policy in permissionPolicy",
    ),
    "addons[].podIdentityAssociations[].policy": (
        "eksctl's alias of the permissions is not read",
        "use permissionPolicy (an inline document) or permissionPolicyARNs",
    ),
    "addons[].podIdentityAssociations[].roleName": (
        "roles are named by CloudFormation (a custom name cannot be replaced in place)",
        "remove it, or create the role yourself and give roleARN",
    ),
    "addons[].podIdentityAssociations[].targetRoleARN": (
        "cross-account role chaining (TargetRoleArn) is not set",
        "remove it; give the role in this account in roleARN",
    ),
    "addonsConfig.disableDefaultAddons": (
        "the default add-ons are not switched off (EKS installs vpc-cni, kube-proxy and CoreDNS unless Auto Mode)",
        "remove it; with autoModeConfig.enabled the core add-ons are not needed",
    ),
    # ---- top level
    "nodeGroups": ("self-managed nodegroups are not built", "use managedNodeGroups"),
    "iamIdentityMappings": ("the aws-auth ConfigMap is not written", "use accessConfig.accessEntries"),
    "karpenter": ("Karpenter is not installed", "install Karpenter after the cluster is created"),
    "gitops": ("Flux bootstrap is not run", "bootstrap Flux on the running cluster after `deploy`"),
    "identityProviders": (
        "OIDC identity providers for users are not associated",
        "associate one with `aws eks associate-identity-provider-config` after `deploy`",
    ),
    "privateCluster": (
        "eksctl's fully-private mode (VPC endpoints, no NAT) is not built",
        "set vpc.clusterEndpoints.publicAccess: false and bastion.enabled: true",
    ),
    "capabilities": ("EKS capabilities (managed Argo CD, ACK, kro) are not created", "create them after `deploy`"),
    "controlPlaneScalingConfig": (
        "the control plane's provisioned scaling tier is not set",
        "set it with `aws eks update-cluster-config` after `deploy`",
    ),
    "kubeAPIServerConfig": (
        "EKS does not let control-plane flags be set; eksctl uses this only on Outposts",
        "remove it",
    ),
    "kubeControllerManagerConfig": (
        "EKS does not let control-plane flags be set; eksctl uses this only on Outposts",
        "remove it",
    ),
    "kubeSchedulerConfig": (
        "EKS does not let control-plane flags be set; eksctl uses this only on Outposts",
        "remove it",
    ),
    "localZones": (
        "nodes in Local Zones need self-managed nodegroups, which are not built",
        "remove it; nodes run in availabilityZones",
    ),
    "outpost": ("clusters on AWS Outposts are not built", "use eksctl for an Outposts cluster"),
    "remoteNetworkConfig": (
        "EKS Hybrid Nodes (remote node and pod networks) are not set up",
        "remove it; nodes run in the cluster's VPC",
    ),
    # ---- metadata
    "metadata.annotations": (
        "eksctl's annotations are for its own bookkeeping; CloudFormation has nowhere to put them",
        "remove it; use metadata.tags for AWS tags",
    ),
    "metadata.forceUpdateVersion": (
        "the version is changed by CloudFormation's update of the cluster, which EKS checks",
        "remove it",
    ),
    "metadata.rollbackConfig": (
        "eksctl's rollback settings for its own stacks are not read; change sets roll back by themselves",
        "remove it",
    ),
    # ---- iam / accessConfig
    "iam.serviceAccounts": ("IRSA roles are not created", _ADDON_ROLE),
    "iam.serviceRolePermissionsBoundary": (
        "the cluster role is built least-privilege without a permissions boundary",
        "give a role of your own in iam.serviceRoleARN",
    ),
    "iam.vpcResourceControllerPolicy": (
        "the cluster role always has AmazonEKSVPCResourceController (security groups for pods need it)",
        "remove it",
    ),
    "iam.fargatePodExecutionRoleARN": (
        "the Fargate profiles get a pod execution role built here (FargatePodExecutionRole)",
        "remove it",
    ),
    "iam.fargatePodExecutionRolePermissionsBoundary": (
        "the Fargate pod execution role is built least-privilege without a permissions boundary",
        "remove it",
    ),
    "accessConfig.accessEntries[].kubernetesUsername": (
        "access entries get EKS's default username",
        "remove it; bind RBAC to kubernetesGroups instead",
    ),
    # ---- kubernetesNetworkConfig / vpc
    "kubernetesNetworkConfig.serviceIPv6CIDR": (
        "IPv6 clusters are not built (kubernetesNetworkConfig.ipFamily is IPv4 only)",
        "remove it",
    ),
    "vpc.autoAllocateIPv6": ("IPv6 clusters are not built", "remove it"),
    "vpc.ipv6Cidr": ("IPv6 clusters are not built", "remove it"),
    "vpc.ipv6Pool": ("IPv6 clusters are not built", "remove it"),
    "vpc.extraIPv6CIDRs": ("IPv6 clusters are not built", "remove it"),
    "vpc.extraCIDRs": (
        "the VPC this tool creates has one IPv4 block (vpc.cidr)",
        "give a larger vpc.cidr, or an existing VPC in vpc.id",
    ),
    "vpc.controlPlaneEgressMode": ("the control plane's egress mode is not set", "remove it"),
    "vpc.controlPlaneSecurityGroupIDs": (
        "the control plane gets the security group built here (ControlPlaneSecurityGroup)",
        "remove it; allow traffic from that group's ID (an output) where you need it",
    ),
    "vpc.controlPlaneSubnetIDs": (
        "the control plane uses the cluster's subnets (vpc.subnets)",
        "list the subnets you want in vpc.subnets",
    ),
    "vpc.hostnameType": ("nodes get EC2's default hostname type", "remove it"),
    "vpc.securityGroup": (
        "the control-plane security group is always built here",
        "remove it",
    ),
    "vpc.sharedNodeSecurityGroup": (
        "the shared node security group is always built here (ClusterSharedNodeSecurityGroup)",
        "remove it",
    ),
    # ---- addons
    "addons[].attachPolicy": ("add-on IAM roles are not created", _ADDON_ROLE),
    "addons[].attachPolicyARNs": ("add-on IAM roles are not created", _ADDON_ROLE),
    "addons[].wellKnownPolicies": ("add-on IAM roles are not created", _ADDON_ROLE),
    "addons[].permissionsBoundary": ("add-on IAM roles are not created", _ADDON_ROLE),
    "addons[].namespaceConfig": ("add-ons go to their default namespace", "remove it"),
    "addons[].tags": (
        "add-ons are not tagged one by one", "use deploy.tags (CloudFormation puts stack tags on them)"),
    "addons[].owners": ("eksctl's add-on filters for `eksctl utils describe-addon-versions` only", "remove it"),
    "addons[].publishers": ("eksctl's add-on filters for `eksctl utils describe-addon-versions` only", "remove it"),
    "addons[].types": ("eksctl's add-on filters for `eksctl utils describe-addon-versions` only", "remove it"),
    # ---- fargateProfiles
    "fargateProfiles[].podExecutionRoleARN": (
        "the Fargate profiles get a pod execution role built here (FargatePodExecutionRole)", "remove it"),
    "fargateProfiles[].tags": (
        "Fargate profiles are not tagged one by one", "use deploy.tags (CloudFormation puts stack tags on them)"),
    "fargateProfiles[].status": ("is set by EKS, not by a file", "remove it"),
    # ---- managedNodeGroups
    "managedNodeGroups[].bottlerocket": (
        "Bottlerocket settings of your own are not added to the user data",
        "remove it; amiFamily: Bottlerocket takes EKS's settings",
    ),
    "managedNodeGroups[].availabilityZones": (
        "nodes go to all of the cluster's subnets",
        "set the cluster's availabilityZones",
    ),
    "managedNodeGroups[].iam.attachPolicy": (
        "inline policy documents are not written onto the node role",
        "create a managed policy and list its ARN in iam.attachPolicyARNs",
    ),
    "managedNodeGroups[].iam.instanceRoleName": (
        _NO_NODEGROUP_ROLE_CHOICE, "remove it, or create the role yourself and give iam.instanceRoleARN"),
    "managedNodeGroups[].iam.instanceProfileARN": (
        "managed nodegroups take a role, not an instance profile (EKS builds the profile)", "remove it"),
    "managedNodeGroups[].iam.withAddonPolicies.appMesh": (
        "App Mesh reached end of support (2026-09-30)", "remove it"),
    "managedNodeGroups[].iam.withAddonPolicies.appMeshPreview": (
        "App Mesh reached end of support (2026-09-30)", "remove it"),
    "managedNodeGroups[].iam.withAddonPolicies.awsLoadBalancerController": (
        "this is eksctl's other name for the same policy", "use iam.withAddonPolicies.albIngress"),
    "managedNodeGroups[].iam.withAddonPolicies.efs": (
        "node-wide EFS permissions are not granted",
        "install the aws-efs-csi-driver add-on with a role of its own (addons[].serviceAccountRoleARN)",
    ),
    "managedNodeGroups[].iam.withAddonPolicies.fsx": (
        "node-wide FSx permissions are not granted",
        "give the FSx CSI driver a role of its own (IRSA) after `deploy`",
    ),
    "managedNodeGroups[].iam.withAddonPolicies.imageBuilder": (
        "node-wide ECR push permissions are not granted",
        "give the image-building workload a role of its own (IRSA) after `deploy`",
    ),
    "managedNodeGroups[].iam.withAddonPolicies.xRay": (
        "node-wide X-Ray permissions are not granted",
        "give the X-Ray daemon a role of its own (IRSA) after `deploy`",
    ),
    "managedNodeGroups[].volumeName": (
        "the root device comes from amiFamily", "remove it"),
    "managedNodeGroups[].additionalVolumes": (
        "nodes get one volume (Bottlerocket: OS and data volume)", "remove it"),
    "managedNodeGroups[].ebsOptimized": (
        "EBS optimization is the instance type's default (every current type is EBS-optimized)",
        "remove it",
    ),
    "managedNodeGroups[].instanceMarketOptions": (
        "spot or on-demand comes from spot", "use spot: true"),
    "managedNodeGroups[].asgSuspendProcesses": (
        "CloudFormation has no property for it on AWS::EKS::Nodegroup (EKS owns the Auto Scaling group)",
        "suspend processes with `aws autoscaling suspend-processes` on the nodegroup's group after `deploy`",
    ),
    "managedNodeGroups[].propagateASGTags": (
        "EKS does not copy a managed nodegroup's labels and taints to its Auto Scaling group",
        "remove it; tag the Auto Scaling group after `deploy` for cluster-autoscaler's scale from zero",
    ),
    "managedNodeGroups[].instanceName": (
        "nodes are named <cluster>-<nodegroup>-Node", "remove it"),
    "managedNodeGroups[].instancePrefix": (
        "nodes are named <cluster>-<nodegroup>-Node", "remove it"),
    "managedNodeGroups[].instanceSelector": (
        "instance types are not chosen for you", "list them in instanceTypes"),
    "managedNodeGroups[].launchTemplate": (
        "each nodegroup gets a launch template built here", "remove it"),
    "managedNodeGroups[].outpostARN": ("clusters on AWS Outposts are not built", "remove it"),
    "managedNodeGroups[].nodeRepairConfig.nodeRepairConfigOverrides": (
        "per-condition repair overrides are not set", "remove it; the limits above apply to every repair"),
    "managedNodeGroups[].placement.spreadLevel": (
        "a launch template's Placement takes no spread level (the placement group's strategy sets it)",
        "remove it",
    ),
    "managedNodeGroups[].ssh.enableSsm": (
        "nodes always have AmazonSSMManagedInstanceCore (Session Manager works)", "remove it"),
}




def key_path(loc: Sequence[str | int]) -> str:
    """A loader location as a key-list path: list indexes become ``[]``, a mapping's own
    keys (``vpc.subnets.private.<name>``) ``*``, as the model says they are."""
    out = ""
    current: Any = ClusterConfig
    for part in loc:
        current = unwrap_optional(current)
        origin = typing.get_origin(current)
        if origin is list:
            out += "[]"
            current = typing.get_args(current)[0]
            continue
        if origin is dict:
            out += ".*"
            current = typing.get_args(current)[1]
            continue
        out += f".{part}" if out else str(part)
        spec = None
        if isinstance(current, type) and issubclass(current, Model):
            spec = next((f for f in current.fields() if f.alias == part), None)
        current = spec.annotation if spec is not None else None
    return out


def supported(path: str) -> bool:
    """Whether the stack file's model has the key at ``path`` (a key-list path)."""
    current: Any = ClusterConfig
    for part in path.replace("[]", ".[]").split("."):
        current = unwrap_optional(current)
        origin = typing.get_origin(current)
        if part == "[]":
            if origin is not list:
                return False
            current = typing.get_args(current)[0]
        elif part == "*":
            if origin is not dict:
                return False
            current = typing.get_args(current)[1]
        else:
            if not (isinstance(current, type) and issubclass(current, Model)):
                return False
            spec = next((f for f in current.fields() if f.alias == part), None)
            if spec is None:
                return False
            current = spec.annotation
    return True


def refusal(loc: Sequence[str | int]) -> str | None:
    """The line for an unknown key at ``loc`` that is one of eksctl's keys, else None."""
    path = key_path(loc)
    answer = REFUSED.get(path)
    if answer is None:
        return None
    why, instead = answer
    because = f": {why}" if why else ""
    return f"is an eksctl key that eks-templates does not take{because}; {instead}"


__all__ = ["EKSCTL_VERSION", "REFUSED", "key_path", "refusal", "supported"]
