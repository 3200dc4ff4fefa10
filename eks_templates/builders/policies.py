"""IAM statements for the controllers that run in the cluster, declared once: eksctl's
``withAddonPolicies`` (on a nodegroup's node role) and ``wellKnownPolicies`` (on a pod
identity association's own role) use the same ones.

Where eksctl grants ``"*"`` on an action that takes a resource, it is scoped here. The
sources: eksctl ``pkg/cfn/builder/statement.go`` and ``iam_helper.go``
(``createWellKnownPolicies``), the controllers' published policies (versions below).
"""

from __future__ import annotations

from awacs.aws import Condition, Null, Statement, StringEquals, StringLike
from troposphere import Sub

from eks_templates.builders.common import allow
from eks_templates.config.model import ClusterConfig, ManagedNodeGroup
from eks_templates.records import Record


def _arn(path: str) -> Sub:
    return Sub("arn:${AWS::Partition}:" + path)


class Controllers(Record):
    """Whose statements a role gets: ``withAddonPolicies`` and ``wellKnownPolicies`` both map
    onto this (eksctl's names differ between the two: ``albIngress`` is
    ``awsLoadBalancerController``, ``ebs`` is ``ebsCSIController``)."""

    auto_scaler: bool = False
    cert_manager: bool = False
    external_dns: bool = False
    ebs: bool = False
    efs: bool = False
    load_balancer_controller: bool = False


def addon_policies(config: ClusterConfig, ng: ManagedNodeGroup) -> list[tuple[str, list[Statement]]]:
    """eksctl's inline policies for a nodegroup's ``iam.withAddonPolicies``, by eksctl's logical ID."""
    wanted = ng.iam.with_addon_policies
    return controller_policies(config.metadata.name, Controllers(
        auto_scaler=wanted.auto_scaler, cert_manager=wanted.cert_manager, external_dns=wanted.external_dns,
        ebs=wanted.ebs, load_balancer_controller=wanted.alb_ingress,
    ))


def controller_policies(cluster_name: str, wanted: Controllers) -> list[tuple[str, list[Statement]]]:
    """The inline policies for ``wanted``, by eksctl's logical ID (``PolicyAutoScaling``, ...).
    Where eksctl grants ``"*"`` on an action that takes a resource, it is scoped here."""
    hosted_zones = _arn("route53:::hostedzone/*")
    policies: list[tuple[str, list[Statement]]] = []
    if wanted.auto_scaler:
        name = cluster_name
        policies.append(("PolicyAutoScaling", [
            allow(("autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
                   "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
                   "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
                   "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements"), ["*"]),
            # only the Auto Scaling groups of this cluster's nodegroups (EKS tags them)
            allow(("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"), ["*"],
                  Condition(StringEquals({f"aws:ResourceTag/k8s.io/cluster-autoscaler/{name}": "owned"}))),
            allow(("eks:DescribeNodegroup",),
                  [_arn("eks:${AWS::Region}:${AWS::AccountId}:nodegroup/" + name + "/*")]),
        ]))
    if wanted.cert_manager:
        policies += [
            ("PolicyCertManagerChangeSet", [allow(("route53:ChangeResourceRecordSets",), [hosted_zones])]),
            ("PolicyCertManagerHostedZones", [
                allow(("route53:ListResourceRecordSets",), [hosted_zones]),
                allow(("route53:ListHostedZonesByName",), ["*"]),
            ]),
            ("PolicyCertManagerGetChange", [allow(("route53:GetChange",), [_arn("route53:::change/*")])]),
        ]
    if wanted.external_dns:
        policies += [
            ("PolicyExternalDNSChangeSet", [allow(("route53:ChangeResourceRecordSets",), [hosted_zones])]),
            ("PolicyExternalDNSHostedZones", [
                allow(("route53:ListHostedZones",), ["*"]),
                # ListTagsForResources (the batch action, its own IAM action) is what external-dns
                # calls for --aws-zone-tags (EXTERNAL_DNS_POLICY_VERSION's docs/tutorials/aws.md);
                # ListTagsForResource is eksctl's.
                allow(("route53:ListResourceRecordSets", "route53:ListTagsForResource",
                       "route53:ListTagsForResources"), [hosted_zones]),
            ]),
        ]
    if wanted.ebs:
        policies.append(("PolicyEBS", _ebs_statements()))
    if wanted.load_balancer_controller:
        policies.append(("PolicyAWSLoadBalancerController", _load_balancer_controller_statements()))
    if wanted.efs:
        policies.append(("PolicyEFSCSIController", _efs_statements()))
    return policies


def _ebs_statements() -> list[Statement]:
    volumes = [_arn("ec2:*:*:volume/*"), _arn("ec2:*:*:snapshot/*")]
    return [
        allow(("ec2:CreateSnapshot", "ec2:AttachVolume", "ec2:DetachVolume", "ec2:ModifyVolume",
               "ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeSnapshots",
               "ec2:DescribeTags", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications"), ["*"]),
        allow(("ec2:CreateTags",), volumes,
              Condition(StringEquals({"ec2:CreateAction": ["CreateVolume", "CreateSnapshot"]}))),
        allow(("ec2:DeleteTags",), volumes),
        allow(("ec2:CreateVolume",), ["*"], Condition(StringLike({"aws:RequestTag/ebs.csi.aws.com/cluster": "true"}))),
        allow(("ec2:CreateVolume",), ["*"], Condition(StringLike({"aws:RequestTag/CSIVolumeName": "*"}))),
        allow(("ec2:DeleteVolume",), ["*"], Condition(StringLike({"ec2:ResourceTag/ebs.csi.aws.com/cluster": "true"}))),
        allow(("ec2:DeleteVolume",), ["*"], Condition(StringLike({"ec2:ResourceTag/CSIVolumeName": "*"}))),
        allow(("ec2:DeleteVolume",), ["*"],
              Condition(StringLike({"ec2:ResourceTag/kubernetes.io/created-for/pvc/name": "*"}))),
        allow(("ec2:DeleteSnapshot",), ["*"], Condition(StringLike({"ec2:ResourceTag/CSIVolumeSnapshotName": "*"}))),
        allow(("ec2:DeleteSnapshot",), ["*"],
              Condition(StringLike({"ec2:ResourceTag/ebs.csi.aws.com/cluster": "true"}))),
    ]


def _efs_statements() -> list[Statement]:
    """eksctl's ``efsCSIControllerStatements`` (pkg/cfn/builder/statement.go, wellKnownPolicies
    ``efsCSIController``): access points are created and deleted only with the driver's tag."""
    return [
        allow(("elasticfilesystem:DescribeAccessPoints", "elasticfilesystem:DescribeFileSystems"), ["*"]),
        allow(("elasticfilesystem:CreateAccessPoint",), ["*"],
              Condition(StringLike({"aws:RequestTag/efs.csi.aws.com/cluster": "true"}))),
        allow(("elasticfilesystem:TagResource",), ["*"],
              Condition(StringLike({"aws:RequestTag/efs.csi.aws.com/cluster": "true"}))),
        allow(("elasticfilesystem:DeleteAccessPoint",), ["*"],
              Condition(StringLike({"aws:ResourceTag/efs.csi.aws.com/cluster": "true"}))),
    ]


#: The AWS Load Balancer Controller release whose published IAM policy
#: (``docs/install/iam_policy.json`` in kubernetes-sigs/aws-load-balancer-controller)
#: :func:`_load_balancer_controller_statements` follows, statement for statement, with the
#: partition in place of ``arn:aws:``. A copy is test data: tests/builders/data/.
LOAD_BALANCER_CONTROLLER_POLICY_VERSION = "v3.5.0"

#: external-dns's documented policy (``docs/tutorials/aws.md``) that ``externalDNS`` covers.
EXTERNAL_DNS_POLICY_VERSION = "v0.22.0"


def _load_balancer_controller_statements() -> list[Statement]:
    """The controller's published policy (:data:`LOAD_BALANCER_CONTROLLER_POLICY_VERSION`).
    Since v2.9 it calls DescribeListenerAttributes on every reconcile; without it (and
    the other actions added since) ingresses stop reconciling."""
    cluster_tag_set = Condition(Null({"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}))
    owned = Condition(Null({"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}))
    retag = Condition(Null({"aws:RequestTag/elbv2.k8s.aws/cluster": "true",
                            "aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}))
    security_groups = [_arn("ec2:*:*:security-group/*")]
    balancers = [_arn("elasticloadbalancing:*:*:targetgroup/*/*"),
                 _arn("elasticloadbalancing:*:*:loadbalancer/net/*/*"),
                 _arn("elasticloadbalancing:*:*:loadbalancer/app/*/*")]
    return [
        allow(("iam:CreateServiceLinkedRole",), ["*"],
              Condition(StringEquals({"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}))),
        allow(("ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
               "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
               "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
               "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:GetCoipPoolUsage", "ec2:DescribeCoipPools",
               "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
               "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
               "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
               "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
               "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
               "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
               "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
               "elasticloadbalancing:DescribeCapacityReservation"), ["*"]),
        allow(("cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
               "iam:ListServerCertificates", "iam:GetServerCertificate", "waf-regional:GetWebACL",
               "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
               "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
               "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "shield:GetSubscriptionState",
               "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection"), ["*"]),
        allow(("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"), ["*"]),
        allow(("ec2:CreateSecurityGroup",), ["*"]),
        allow(("ec2:CreateTags",), security_groups,
              Condition([StringEquals({"ec2:CreateAction": "CreateSecurityGroup"}),
                         Null({"aws:RequestTag/elbv2.k8s.aws/cluster": "false"})])),
        allow(("ec2:CreateTags", "ec2:DeleteTags"), security_groups, retag),
        allow(("ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"),
              ["*"], owned),
        allow(("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"), ["*"],
              cluster_tag_set),
        allow(("elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
               "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"), ["*"]),
        allow(("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"), balancers, retag),
        allow(("elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"),
              [_arn("elasticloadbalancing:*:*:listener/net/*/*/*"), _arn("elasticloadbalancing:*:*:listener/app/*/*/*"),
               _arn("elasticloadbalancing:*:*:listener-rule/net/*/*/*"),
               _arn("elasticloadbalancing:*:*:listener-rule/app/*/*/*")]),
        allow(("elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
               "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
               "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
               "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
               "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
               "elasticloadbalancing:ModifyIpPools"),
              ["*"], owned),
        allow(("elasticloadbalancing:AddTags",), balancers,
              Condition([StringEquals({"elasticloadbalancing:CreateAction": ["CreateTargetGroup",
                                                                             "CreateLoadBalancer"]}),
                         Null({"aws:RequestTag/elbv2.k8s.aws/cluster": "false"})])),
        allow(("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"),
              [_arn("elasticloadbalancing:*:*:targetgroup/*/*")]),
        allow(("elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
               "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
               "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"), ["*"]),
    ]


#: Why checkov's CKV_AWS_111 ("write access without constraints") is skipped on two
#: add-on policies: their statements are eksctl's (the controllers' published policies),
#: and the check ignores the tag conditions that constrain the writes. Every other
#: check passes on every policy here, also with the partition and account resolved.
ADDON_POLICY_SKIPS: dict[str, dict[str, str]] = {
    "PolicyEBS": {
        "CKV_AWS_111": "withAddonPolicies.ebs / wellKnownPolicies.ebsCSIController (eksctl's statements for "
                       "the EBS CSI driver): volumes and "
                       "snapshots have names unknown in advance; CreateVolume/DeleteVolume/DeleteSnapshot on * "
                       "are constrained by the ebs.csi.aws.com/cluster, CSIVolumeName and PVC tag conditions, "
                       "which the check does not consider",
    },
    "PolicyAWSLoadBalancerController": {
        "CKV_AWS_111": "withAddonPolicies.albIngress / wellKnownPolicies.awsLoadBalancerController (the AWS "
                       "Load Balancer Controller's published policy, as "
                       "eksctl): load balancers, target groups and security groups are created at run time; "
                       "changes to existing ones are constrained by the elbv2.k8s.aws/cluster tag conditions, "
                       "which the check does not consider",
    },
}




#: eksctl's ``imageBuilder`` (iam_helper.go ``createWellKnownPolicies``): full ECR push and pull.
IMAGE_BUILDER_POLICY = "AmazonEC2ContainerRegistryPowerUser"
