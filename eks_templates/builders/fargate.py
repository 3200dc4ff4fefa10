"""Fargate: the pod execution role and the Fargate profiles, in their own child stack.

Where they live. ``FargateStack`` takes the cluster's name and the private subnets from
``ControlPlaneStack``, so it starts when the cluster is complete and runs beside the
nodegroup stacks: nothing in a nodegroup needs a Fargate profile, and a profile's create
(minutes each, one at a time) must not make the nodegroups wait, which it did while the
profiles sat in ``ControlPlaneStack`` (a nested stack's outputs exist only once the whole
child is complete). The add-ons whose pods need compute (``AddonsStack``: CoreDNS, ...)
wait for this stack as they wait for the nodegroups, so none of our pods is scheduled
before the profiles exist; eksctl creates the profiles before its nodegroups for that
reason (eksctl-io/eksctl#2304), terraform-aws-eks side by side with them.

EKS changes one Fargate profile of a cluster at a time (EKS API reference,
DeleteFargateProfile: "Only one Fargate profile in a cluster can be in the DELETING status
at a time"; a create while another profile is being created is refused with
``ResourceInUseException`` too): each profile ``DependsOn`` the one before it. Profiles are
immutable (CreateFargateProfile: "create a new updated profile to replace an existing
profile and then delete the original"), so a changed profile is a replacement.

Logical IDs are eksctl's (``FargatePodExecutionRole``) and ``FargateProfile<Name>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from awacs.aws import ArnLike, Condition
from troposphere import GetAtt, Sub, Tags, Template, eks, iam

from eks_templates.builders.base import Builder
from eks_templates.builders.common import assume_role, managed_policy, service_principal, tag_props
from eks_templates.names import CLUSTER_NAME, FARGATE_STACK, PRIVATE_SUBNET_IDS, Port, fargate_profile_id


class FargateBuilder(Builder):
    """``fargateProfiles``: the pod execution role ``FargatePodExecutionRole`` (trusted by
    ``eks-fargate-pods`` for this cluster's profiles only) and one ``AWS::EKS::FargateProfile``
    per profile, each after the one before (EKS creates one at a time).

    Inputs:
        - ``ClusterName``: the cluster the profiles belong to.
        - ``PrivateSubnetIds``: only when a profile names no ``subnets`` of its own
          (Fargate runs pods in private subnets only).

    Outputs: none.

    Options (stack file): ``fargateProfiles[]`` (``name``, ``selectors[].{namespace,labels}``,
    ``subnets``), ``metadata.{name,tags}``.
    """

    stack_id = FARGATE_STACK
    description = "Fargate: the pod execution role and the Fargate profiles, one after the other"

    @property
    def creates_resources(self) -> bool:
        return bool(self.config.fargate_profiles)

    @property
    def inputs(self) -> Sequence[Port]:
        if any(not profile.subnets for profile in self.config.fargate_profiles):
            return (CLUSTER_NAME, PRIVATE_SUBNET_IDS)
        return (CLUSTER_NAME,)

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        self.resources = {}
        profiles = self.config.fargate_profiles
        if not profiles:
            return {}
        cluster_name = self.require(inputs, CLUSTER_NAME)
        source_arn = Sub("arn:${AWS::Partition}:eks:${AWS::Region}:${AWS::AccountId}:fargateprofile/"
                         + self.config.metadata.name + "/*")
        role = self.add(template, iam.Role(
            self.lid("FargatePodExecutionRole"),
            AssumeRolePolicyDocument=assume_role(
                service_principal(template, "EKSFargatePods"),
                Condition(ArnLike({"aws:SourceArn": source_arn})),
            ),
            ManagedPolicyArns=[managed_policy("AmazonEKSFargatePodExecutionRolePolicy")],
            Tags=Tags(self.tags({"Name": Sub("${AWS::StackName}/FargatePodExecutionRole")})),  # type: ignore[dict-item]
        ))
        previous: str | None = None
        for profile in profiles:
            subnets = list(profile.subnets) if profile.subnets else self.require(inputs, PRIVATE_SUBNET_IDS)
            props: dict[str, Any] = {
                "ClusterName": cluster_name,
                "FargateProfileName": profile.name,
                "PodExecutionRoleArn": GetAtt(role, "Arn"),
                "Selectors": [
                    eks.Selector(
                        Namespace=selector.namespace,
                        **({"Labels": [eks.Label(Key=k, Value=v) for k, v in sorted(selector.labels.items())]}
                           if selector.labels else {}),
                    )
                    for selector in profile.selectors
                ],
                "Subnets": subnets,
                **tag_props(self.tags()),
            }
            if previous:
                props["DependsOn"] = [previous]  # EKS creates one Fargate profile at a time
            resource = self.add(template, eks.FargateProfile(self.lid(fargate_profile_id(profile.name)), **props))
            previous = resource.title
        return {}


__all__ = ["FargateBuilder"]
