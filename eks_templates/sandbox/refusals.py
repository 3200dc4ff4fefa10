"""What AWS refuses and moto 5.2.5 lets through, refused here with AWS's error.

Each rule cites its source. A refusal inside a stack operation fails the resource
(``CREATE_FAILED``/``UPDATE_FAILED`` with the error as ``ResourceStatusReason``) and
the stack rolls back (:mod:`.rollback`); the same EC2 rules hold for the API
(``RunInstances``, ``CreateSecurityGroup``), with EC2's error code.

- ``EbsOptimized: true`` on a type without EBS optimization (T2, ...): EC2's
  ``Unsupported: EBS-optimized instances are not supported for your requested configuration. ...``;
- an image whose architecture the instance type cannot run: EC2's ``InvalidParameterValue:
  The architecture '...' of the specified instance type does not match ...``;
- a security group name ``sg-*`` or longer than 255: EC2's ``InvalidParameterValue: Value
  (...) for parameter GroupName is invalid. ...``;
- ``DeleteVpc`` of a VPC that still has security groups other than its default: EC2's
  ``DependencyViolation`` (moto deleted it);
- an ``AWS::Logs::LogGroup`` whose name exists: the handler's ``AlreadyExists`` (moto gave the
  Logs API's own error);
- an update that changes a create-only property of a resource whose name the template
  sets and keeps: "CloudFormation cannot update a stack when a custom-named resource
  requires replacing. Rename ... and update the stack again." (moto replaced it or updated
  it in place).

moto accepted the first three.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from functools import cache
from typing import Any

from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.parsing import ResourceMap
from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models.instance_types import INSTANCE_TYPES
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupBackend
from moto.ec2.models.vpcs import VPCBackend
from moto.logs.models import LogGroup, logs_backends
from moto.moto_api._internal import mock_random

from eks_templates.diff import Schemas, value_at
from eks_templates.sandbox._common import SandboxResourceError, custom_name_replacement_error

_installed = False


# --------------------------------------------------------------------------- EC2 instances


def instance_refusal(ec2: Any, image_id: str | None, instance_type: str | None,
                     ebs_optimized: bool) -> EC2ClientError | None:
    """RunInstances' refusals of the image/type/EBS combination, or None.

    The instance type facts are moto's copy of EC2 ``DescribeInstanceTypes``
    (``EbsInfo.EbsOptimizedSupport``, ``ProcessorInfo.SupportedArchitectures``); an
    instance type moto does not know is not checked.
    """
    info = INSTANCE_TYPES.get(str(instance_type or "m1.small"))
    if info is None:
        return None
    # EC2 RunInstances on a type whose EbsOptimizedSupport is "unsupported" (T2, M1, ...)
    # with EbsOptimized=true; error seen in eksctl#2547 / supergiant#907:
    # "Unsupported: EBS-optimized instances are not supported for your requested configuration.
    # Please check the documentation for supported configurations."
    # https://docs.aws.amazon.com/ebs/latest/userguide/ebs-optimized.html ("previous generation
    # instances" without EBS optimization)
    if ebs_optimized and (info.get("EbsInfo") or {}).get("EbsOptimizedSupport") == "unsupported":
        return EC2ClientError(
            "Unsupported",
            "EBS-optimized instances are not supported for your requested configuration. "
            "Please check the documentation for supported configurations.",
        )
    # EC2 RunInstances with an AMI whose architecture the instance type cannot run
    # (an x86_64 AMI on Graviton, arm64 on Intel/AMD):
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-types.html#instance-type-architecture
    architectures = list((info.get("ProcessorInfo") or {}).get("SupportedArchitectures") or [])
    image = ec2.amis.get(str(image_id)) if image_id else None
    image_arch = getattr(image, "architecture", None)
    if image_arch and architectures and image_arch not in architectures:
        return EC2ClientError(
            "InvalidParameterValue",
            f"The architecture '{architectures[0]}' of the specified instance type does not match the "
            f"architecture '{image_arch}' of the specified AMI. Specify an instance type and an AMI that have "
            "matching architectures, and try again. You can use 'describe-instance-types' or "
            "'describe-images' to discover the architecture of the instance type or AMI.",
        )
    return None


def _run_instances(original: Callable[..., Any]) -> Callable[..., Any]:
    def run_instances(self: InstanceBackend, image_id: str, count: int, user_data: Any,
                      security_group_names: list[str], **kwargs: Any) -> Any:
        launch_template = kwargs.get("launch_template")
        if not launch_template:  # a launch template's own values are not resolved here
            refusal = instance_refusal(self, image_id, kwargs.get("instance_type"),
                                       str(kwargs.get("ebs_optimized", False)).lower() == "true")
            if refusal is not None:
                raise refusal
        return original(self, image_id, count, user_data, security_group_names, **kwargs)

    return run_instances


# --------------------------------------------------------------------------- security groups


def security_group_name_refusal(name: str) -> EC2ClientError | None:
    """CreateSecurityGroup's ``GroupName`` constraints: "Up to 255 characters in length.
    Cannot start with sg-."
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html);
    the error EC2 returns for ``sg-`` (as reported in pulumi-awsx#328, rancher/dashboard#3315):
    "InvalidParameterValue: Value (sg-...) for parameter GroupName is invalid. Group names may
    not be in the format sg-*." The length message follows the same pattern."""
    if name.lower().startswith("sg-"):
        return EC2ClientError("InvalidParameterValue",
                              f"Value ({name}) for parameter GroupName is invalid. "
                              "Group names may not be in the format sg-*.")
    if len(name) > 255:
        return EC2ClientError("InvalidParameterValue",
                              f"Value ({name}) for parameter GroupName is invalid. "
                              "Length exceeds maximum of 255 characters.")
    return None


_generated_name: contextvars.ContextVar[bool] = contextvars.ContextVar("eks_templates_sandbox_sg_name", default=False)


def _create_security_group(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_security_group(self: SecurityGroupBackend, name: str, description: str, *args: Any,
                              **kwargs: Any) -> Any:
        # the default groups moto makes itself and the names CloudFormation generates
        # (moto: "<stack>-<LogicalId>-<random>") are not the user's GroupName
        checked = not kwargs.get("is_default") and not _generated_name.get()
        refusal = security_group_name_refusal(str(name)) if checked else None
        if refusal is not None:
            raise refusal
        return original(self, name, description, *args, **kwargs)

    return create_security_group


def _security_group_create(original: Callable[..., Any]) -> Any:
    def create_from_cloudformation_json(cls: type[SecurityGroup], resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str, region_name: str,
                                        **kwargs: Any) -> SecurityGroup:
        named = bool((cloudformation_json.get("Properties") or {}).get("GroupName"))
        token = _generated_name.set(not named)
        try:
            return original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        finally:
            _generated_name.reset(token)

    return classmethod(create_from_cloudformation_json)


def _delete_vpc(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_vpc(self: VPCBackend, vpc_id: str) -> Any:
        # EC2 DeleteVpc: "you must terminate or delete all ... security groups (other than the
        # default), ... before you can delete the VPC"
        # (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html); moto checked
        # subnets, route tables and VPN gateways only.
        groups = [g for g in self.describe_security_groups(filters={"vpc-id": [vpc_id]})  # type: ignore[attr-defined]
                  if g.name != "default"]
        if groups:
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return original(self, vpc_id)

    return delete_vpc


# --------------------------------------------------------------------------- log groups


def handler_error(handler_code: str, message: str) -> SandboxResourceError:
    """A resource handler's failure in CloudFormation's words:
    ``Resource handler returned message: "..." (RequestToken: ..., HandlerErrorCode: ...)``
    (https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-test-contract-errors.html)."""
    error = SandboxResourceError(handler_code, message)
    error.message = (f'Resource handler returned message: "{message}" '
                     f"(RequestToken: {mock_random.uuid4()}, HandlerErrorCode: {handler_code})")
    return error


def _log_group_create(original: Callable[..., Any]) -> Any:
    def create_from_cloudformation_json(cls: type[LogGroup], resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> LogGroup:
        # AWS::Logs::LogGroup whose LogGroupName exists (e.g. /aws/eks/<name>/cluster, which EKS
        # keeps after the cluster is deleted: https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html)
        # fails with the handler's AlreadyExists, e.g. "Resource of type 'AWS::Logs::LogGroup' with
        # identifier '{"/properties/LogGroupName":"/aws/eks/x/cluster"}' already exists."
        if resource_name in logs_backends[account_id][region_name].groups:
            raise handler_error(
                "AlreadyExists",
                f"Resource of type 'AWS::Logs::LogGroup' with identifier "
                f"'{{\"/properties/LogGroupName\":\"{resource_name}\"}}' already exists.",
            )
        return original(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    return classmethod(create_from_cloudformation_json)


# --------------------------------------------------------------------------- custom names


@cache
def schemas(region: str) -> Schemas:
    """The resource providers' schemas (cfn-lint's copy), as ``diff`` reads them."""
    return Schemas(region)


def replacing_properties(resource_type: str, old: Any, new: Any, region: str) -> list[str]:
    """Create-only properties (the provider schema's ``createOnlyProperties``) whose resolved
    values differ between ``old`` and ``new``: their change makes CloudFormation replace the
    resource."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    changed = []
    for path in schemas(region).create_only(resource_type) or []:
        if value_at(old, path) != value_at(new, path):
            changed.append("/".join(path))
    return changed


#: Where a name must be unique, besides the region, for types whose primary identifier is a
#: generated id: EKS nodegroup names are unique per cluster
#: (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html), security group
#: names per VPC (CreateSecurityGroup: "Names are case-insensitive and must be unique within the VPC").
NAME_SCOPE: dict[str, tuple[str, ...]] = {
    "AWS::EKS::Nodegroup": ("ClusterName",),
    "AWS::EC2::SecurityGroup": ("VpcId",),
}


def name_clash(resource_type: str, name_property: str, old: Any, new: Any, region: str) -> bool:
    """Would CloudFormation's replacement (created before the old one is deleted) reuse the
    old one's name in the same scope? The scope is the rest of the schema's writable
    ``primaryIdentifier`` (an add-on's cluster) or :data:`NAME_SCOPE`."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return False
    if new.get(name_property) is None or new.get(name_property) != old.get(name_property):
        return False  # a new name (or a generated one): the replacement can be made
    if not replacing_properties(resource_type, old, new, region):
        return False
    table = schemas(region)
    read_only = set(table.read_only(resource_type))
    scope = [p for p in table.primary_identifier(resource_type) or [] if p not in read_only and p != (name_property,)]
    scope += [(p,) for p in NAME_SCOPE.get(resource_type, ())]
    return all(value_at(old, p) == value_at(new, p) for p in scope)


def _parse_and_update_resource(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_and_update_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: ResourceMap, account_id: str, region_name: str
    ) -> Any:
        from eks_templates.sandbox import rollback
        from eks_templates.sandbox.patches import _resolve, _snapshots

        resource_type = str(resource_json.get("Type", ""))
        name_property = cfn_parsing.resource_name_property_from_type(resource_type)
        old = _snapshots(resources_map).get(logical_id)
        if name_property and old is not None and not rollback.rolling_back():
            new = _resolve(resources_map, resource_json)
            # CloudFormation: "CloudFormation cannot update a stack when a custom-named resource
            # requires replacing. Rename <name> and update the stack again."
            # (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html:
            # "If you specify a name, you cannot perform updates that require replacement of this
            # resource"); a new name is a replacement CloudFormation can do.
            if name_clash(resource_type, name_property, old, new, region_name):
                raise custom_name_replacement_error(str(new[name_property]), resource_type)
        return original(logical_id, resource_json, resources_map, account_id, region_name)

    return parse_and_update_resource


def install() -> None:
    """Install the refusals (idempotent; after :func:`patches.install`, before :func:`rollback.install`)."""
    global _installed
    if _installed:
        return
    _installed = True
    # Replaces: moto's RunInstances (and so AWS::EC2::Instance) accepted EbsOptimized on T2 and
    # an AMI of the wrong architecture.
    InstanceBackend.run_instances = _run_instances(InstanceBackend.run_instances)  # type: ignore[method-assign]
    # Replaces: moto's CreateSecurityGroup (and AWS::EC2::SecurityGroup) accepted any GroupName.
    SecurityGroupBackend.create_security_group = _create_security_group(  # type: ignore[method-assign]
        SecurityGroupBackend.create_security_group
    )
    SecurityGroup.create_from_cloudformation_json = _security_group_create(  # type: ignore[method-assign]
        SecurityGroup.create_from_cloudformation_json
    )
    # Replaces: moto's DeleteVpc deleted a VPC that still had security groups.
    VPCBackend.delete_vpc = _delete_vpc(VPCBackend.delete_vpc)  # type: ignore[method-assign]
    # Replaces: moto's AWS::Logs::LogGroup failed on an existing name with the Logs API's
    # "ResourceAlreadyExistsException" instead of CloudFormation's handler error.
    LogGroup.create_from_cloudformation_json = _log_group_create(  # type: ignore[method-assign]
        LogGroup.create_from_cloudformation_json
    )
    # Replaces: moto replaced (or updated in place) a custom-named resource whose create-only
    # property changed; CloudFormation refuses.
    cfn_parsing.parse_and_update_resource = _parse_and_update_resource(cfn_parsing.parse_and_update_resource)
