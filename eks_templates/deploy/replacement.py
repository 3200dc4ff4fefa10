"""Replacements that cannot succeed: a custom-named resource that would be replaced
while keeping its name.

CloudFormation replaces a resource by creating the new one first and deleting the
old one after; with a name that the template fixes, the new one cannot be created.
"You can't perform an update that causes a custom-named resource to be replaced. If
you must replace the resource, specify a new name." (CloudFormation template reference,
"Name type", https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html;
the failure reads "CloudFormation cannot update a stack when a custom-named resource
requires replacing. Rename <name> and update the stack again."). The cluster
(``Name``) and every nodegroup (``NodegroupName``) have such names in our templates,
so ``--allow-replacement`` could only ever end in ``UPDATE_ROLLBACK_COMPLETE`` for
them. This module finds those changes in a described change set, before anything
is executed, and says what works instead.

A replacement whose change includes the name itself (the template renames the
resource) can succeed: the new one gets the new name. That is not refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eks_templates.deploy.changeset import ChangeSetView
from eks_templates.deploy.plan_view import Replacement, replacements

#: resource type -> the property that gives it its physical name (the types our
#: templates use, and the ones a library caller's templates commonly add). From the
#: CloudFormation resource schemas: the writable primaryIdentifier (Cluster Name,
#: LogGroupName, KeyName, RoleName, ...) or the API's own unique name (NodegroupName,
#: LaunchTemplateName, GroupName within a VPC). tests/deploy/test_replacement.py checks
#: the table against every type in the golden templates.
NAME_PROPERTIES: dict[str, str] = {
    "AWS::EKS::Cluster": "Name",
    "AWS::EKS::Nodegroup": "NodegroupName",
    "AWS::EKS::FargateProfile": "FargateProfileName",
    "AWS::EKS::Addon": "AddonName",
    "AWS::EKS::AccessEntry": "PrincipalArn",
    "AWS::EKS::PodIdentityAssociation": "ServiceAccount",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::EC2::KeyPair": "KeyName",
    "AWS::EC2::LaunchTemplate": "LaunchTemplateName",
    "AWS::EC2::SecurityGroup": "GroupName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::S3::Bucket": "BucketName",
}

#: Types whose name our builders always set: when the template of a change set is not
#: at hand (``scale`` runs on the deployed template), these are judged by type alone.
ALWAYS_NAMED = frozenset({
    "AWS::EKS::Cluster",
    "AWS::EKS::Nodegroup",
    "AWS::EKS::FargateProfile",
    "AWS::EKS::Addon",
    "AWS::EKS::AccessEntry",
    "AWS::Logs::LogGroup",
})

#: what works instead, per type
_WAY: dict[str, str] = {
    "AWS::EKS::Nodegroup": (
        "add a nodegroup under a new name with the new settings to managedNodeGroups, deploy, move the "
        "workloads over (kubectl drain the old nodes), then remove the old nodegroup from the file and "
        "deploy again (README: 'Changing what cannot change in place')"
    ),
    "AWS::EKS::Cluster": (
        "an EKS cluster keeps its name, role, encryption and service CIDR for life: undo that change in "
        "the stack file, or build a second cluster (a stack file with another metadata.name), move the "
        "workloads, and delete the old one"
    ),
}
_WAY_DEFAULT = "undo that change in the stack file, or give the resource a new name in the same change"


@dataclass(frozen=True)
class Blocked:
    """A replacement CloudFormation would start and then fail."""

    replacement: Replacement
    name_property: str
    name: str

    def lines(self) -> list[str]:
        r = self.replacement
        why = f" because of {', '.join(r.causes)}" if r.causes else ""
        may = "would be replaced" if r.replacement == "True" else "may be replaced (Replacement: Conditional)"
        return [
            f"{r.label}: {r.logical_id} ({r.resource_type}) {may}{why}, and its {self.name_property} "
            f"{self.name} stays the same: CloudFormation creates the replacement before deleting the old one "
            "and cannot replace a custom-named resource, so the update would fail and roll back",
            f"  instead: {_WAY.get(r.resource_type, _WAY_DEFAULT)}",
        ]


def _resource(templates: Mapping[str, Mapping[str, Any]] | None, label: str, logical_id: str
              ) -> Mapping[str, Any] | None:
    template = (templates or {}).get(label)
    if template is None:
        return None
    resource = (template.get("Resources") or {}).get(logical_id)
    return resource if isinstance(resource, Mapping) else None


def _given(templates: Mapping[str, Mapping[str, Any]] | None, label: str, value: Any) -> Any:
    """``value``, or for a ``Ref`` of a parameter of the nested stack ``label`` the literal
    its parent passes (a nodegroup's name: the template is shared by every nodegroup of
    its shape, the name is its stack's ``NodegroupName`` parameter). Still a custom name:
    CloudFormation resolves it before it creates the replacement."""
    if not (isinstance(value, Mapping) and list(value) == ["Ref"] and "/" in label):
        return value
    parent, child = label.rsplit("/", 1)
    stack = _resource(templates, parent, child)
    given = ((stack or {}).get("Properties") or {}).get("Parameters") or {}
    passed = given.get(value["Ref"]) if isinstance(given, Mapping) else None
    return passed if isinstance(passed, str) else value


def _renamed(replacement: Replacement, name_property: str) -> bool:
    return any(cause in (name_property, f"Properties.{name_property}") for cause in replacement.causes)


def blocked(view: ChangeSetView, templates: Mapping[str, Mapping[str, Any]] | None = None) -> list[Blocked]:
    """Every replacement in ``view`` (any nested change set) of a resource that keeps a
    custom name. ``templates`` maps a change set's label (``myeks``,
    ``myeks/NodegroupNgStack``) to the template it was made from."""
    found = []
    for rep in replacements(view):
        prop = NAME_PROPERTIES.get(rep.resource_type)
        if prop is None or _renamed(rep, prop):
            continue
        resource = _resource(templates, rep.label, rep.logical_id)
        if resource is not None:
            value = (resource.get("Properties") or {}).get(prop)
            if value is None:
                continue  # CloudFormation names it: replaceable
            value = _given(templates, rep.label, value)
            shown = repr(value) if isinstance(value, str) else "(set by an expression)"
        elif rep.resource_type in ALWAYS_NAMED:
            shown = "(fixed by the template)"
        else:
            continue
        found.append(Blocked(rep, prop, shown))
    return found


def refusal_lines(found: list[Blocked]) -> list[str]:
    lines = [f"this change set cannot succeed: {len(found)} custom-named resource(s) would be replaced "
             "under the same name"]
    for item in found:
        lines += item.lines()
    lines.append("nothing was changed; --allow-replacement does not help here (CloudFormation refuses it)")
    return lines
