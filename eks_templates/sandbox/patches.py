"""Patches of moto 5.2.5's CloudFormation engine: nested stacks, updates, deletes, parameters.

Each patch replaces (or adds) one moto function or method; the comment at its
installation in :func:`install` says which moto behaviour it replaces and why. Nothing
else of moto is changed. The patches are
class-level, so they hold for every backend moto creates, including after
``/moto-api/reset``. :func:`install` is idempotent.

| moto target                                  | moto 5.2.5 behaviour replaced                                |
| -------------------------------------------- | ------------------------------------------------------------ |
| ``Stack.get_cfn_attribute`` (new)            | ``Fn::GetAtt [Child, Outputs.X]`` raised AttributeError      |
| ``Stack.update_from_cloudformation_json``    | a changed child was deleted and re-created (leaking its VPC) |
| ``ResourceMap.delete``                       | resources deleted in arbitrary order, retried until stuck    |
| ``ResourceMap._delete_resource``             | RouteTable, Route, ... "deleted" without being deleted       |
| ``CloudFormationBackend.delete_stack``       | a failed delete dropped the stack from every list            |
| ``ChangeSet.apply``                          | a stack made or changed by a change set kept stale Outputs   |
| ``ChangeSet.diff``                           | a parameter-only change set listed no resource changes       |
| ``ResourceMap.parse_ssm_parameter``          | an unknown SSM path crashed with AttributeError              |
| ``Stack.stack_parameters``/``parameter_list``| SSM-typed values shown resolved; UsePreviousValue broke      |
| ``ResourceMap.load_parameters``              | a CommaDelimitedList Default was not split into a list;      |
|                                              | a parameter the template no longer declares stayed listed    |
| ``ResourceMap.build_resource_diff``          | a resource without Properties was "modified" on every update |
| ``parsing.parse_and_update_resource``        | a type without update support became None (Ref, delete lost) |
| ``ResourceMap.update`` (+ create snapshots)  | dependents of a changed resource were never updated; removed |
|                                              | resources were deleted before the update could still fail    |
| ``CloudFormationResponse`` (2 actions)       | no UpdateTerminationProtection; DeleteStack ignored the flag |
| ``kms.models.Key.create_from_cloudformation_json`` | a KMS key with Tags failed with KeyError 'TagKey'       |
| ``ec2...Instance`` create/update (CFN)       | NetworkInterfaces/SecurityGroupIds ignored; no update        |
| ``parsing.parse_and_create_resource``        | a KeyError in a child was reported as "undefined resource"   |
| ``EKSBackend.list_nodegroups``/``..._fargate_profiles`` | a missing cluster was a KeyError (HTTP 500) |
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import Change, ChangeSet, CloudFormationBackend, Stack, cloudformation_backends
from moto.cloudformation.parsing import ResourceMap
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudformation.utils import get_stack_from_s3_url
from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import Instance as Ec2Instance
from moto.eks.exceptions import ResourceNotFoundException as EksNotFound
from moto.eks.models import EKSBackend
from moto.kms.models import Key as KmsKey
from moto.ssm.models import ssm_backends
from moto.utilities.utils import get_partition

from eks_templates.sandbox._common import after_update, cleanup_scope

_installed = False


# ---------------------------------------------------------------------------------------
# Nested stacks


def _stack_get_cfn_attribute(self: Stack, attribute_name: str) -> Any:
    """``Fn::GetAtt [Child, Outputs.X]``: the value of the child's output X."""
    if attribute_name.startswith("Outputs."):
        key = attribute_name[len("Outputs.") :]
        for output in self.output_map.values():
            if output is not None and output.key == key:
                return output.value
        raise ValidationError(
            message=f"Template error: stack {self.name} has no output {key!r} (Fn::GetAtt {attribute_name})"
        )
    raise cfn_parsing.UnformattedGetAttTemplateException()


@classmethod  # type: ignore[misc]
def _stack_update_in_place(
    cls: type[Stack],
    original_resource: Stack,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Stack:
    """Update the existing child stack with the new template and parameters, as CloudFormation does."""
    properties = cloudformation_json["Properties"]
    template_body = get_stack_from_s3_url(
        properties["TemplateURL"], account_id=account_id, partition=get_partition(region_name)
    )
    parameters = dict(properties.get("Parameters") or {})
    original_resource.update(template_body, parameters=parameters)
    original_resource.parameters = parameters
    return original_resource


def _change_set_apply(original: Callable[[ChangeSet], None]) -> Callable[[ChangeSet], None]:
    def apply(self: ChangeSet) -> None:
        original(self)
        stack = self.stack
        stack.template = self.template
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()
        if self.parameters is not None:
            stack.parameters = dict(self.parameters)

    return apply


def _change_set_diff(original: Callable[[ChangeSet], list[Change]]) -> Callable[[ChangeSet], list[Change]]:
    def diff(self: ChangeSet) -> list[Change]:
        changes = original(self)
        if self.change_set_type != "UPDATE" or not self.parameters:
            return changes
        live = self.stack.stack_parameters
        changed = {key for key, value in self.parameters.items() if _as_given(value) != live.get(key)}
        listed = {change.logical_resource_id for change in changes}
        deployed = self.stack.resource_map._resource_json_map
        for name, resource in sorted((self.template_dict.get("Resources") or {}).items()):
            if name not in listed and name in deployed and _references(resource) & changed:
                changes.append(Change(action="Modify", logical_resource_id=name, resource_type=resource["Type"]))
        return changes

    return diff


# ---------------------------------------------------------------------------------------
# Updates


def _build_resource_diff(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def build_resource_diff(
        self: ResourceMap, other_template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        for resources in (self._resource_json_map, other_template.get("Resources") or {}):
            for resource in resources.values():
                if isinstance(resource, dict):
                    resource.setdefault("Properties", {})
        return original(self, other_template, parameters)

    return build_resource_diff


def _snapshots(resource_map: ResourceMap) -> dict[str, Any]:
    """Each resource's properties as resolved when it was last created or updated."""
    snapshots: dict[str, Any] = vars(resource_map).setdefault("_eks_templates_sandbox_resolved", {})
    return snapshots


def _resolve(resource_map: ResourceMap, resource_json: dict[str, Any]) -> Any:
    try:
        return cfn_parsing.clean_json(copy.deepcopy(resource_json.get("Properties") or {}), resource_map)
    except Exception:  # unresolvable now (e.g. a dependency was removed): no snapshot
        return None


def _unmasked_key_error(logical_id: str, resource_json: dict[str, Any], exc: KeyError) -> ValidationError:
    return ValidationError(
        message=f"Resource {logical_id} ({resource_json.get('Type')}) failed in moto: KeyError {exc}"
    )


def _parse_and_create_resource(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: ResourceMap, account_id: str, region_name: str
    ) -> Any:
        try:
            resource = original(logical_id, resource_json, resources_map, account_id, region_name)
        except KeyError as exc:
            raise _unmasked_key_error(logical_id, resource_json, exc) from exc
        if resource is not None:
            _snapshots(resources_map)[logical_id] = _resolve(resources_map, resource_json)
        return resource

    return parse_and_create_resource


def _parse_and_update_resource(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_and_update_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: ResourceMap, account_id: str, region_name: str
    ) -> Any:
        resource_class = cfn_parsing.resource_class_from_type(resource_json["Type"])
        if resource_json["Type"] in REPLACED_BY_DELETE_AND_CREATE:
            # Nothing can depend on these: delete the old one, then create the new one.
            EC2_DELETERS[resource_json["Type"]](resources_map[logical_id], ec2_backends[account_id][region_name])
            resource = cfn_parsing.parse_and_create_resource(
                logical_id, resource_json, resources_map, account_id, region_name
            )
        elif resource_class is not None and hasattr(
            resource_class.update_from_cloudformation_json, "__isabstractmethod__"
        ):
            cfn_parsing.logger.warning(
                "eks-templates sandbox: moto cannot update %s (%s); the change is not applied",
                logical_id,
                resource_json["Type"],
            )
            resource = resources_map[logical_id]
        else:
            try:
                resource = original(logical_id, resource_json, resources_map, account_id, region_name)
            except KeyError as exc:
                raise _unmasked_key_error(logical_id, resource_json, exc) from exc
        _snapshots(resources_map)[logical_id] = _resolve(resources_map, resource_json)
        return resource

    return parse_and_update_resource


def _creation_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids with every resource after the ones it references."""
    depends_on = {key: _references(value) & set(resources) - {key} for key, value in resources.items()}
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(resources):
        ready = sorted(k for k in resources if k not in placed and depends_on[k] <= placed)
        if not ready:  # a cycle: take the rest as they come
            ready = sorted(k for k in resources if k not in placed)
        order.extend(ready)
        placed.update(ready)
    return order


def _cascade(resource_map: ResourceMap, skip: frozenset[str] = frozenset()) -> None:
    """Update every resource whose resolved properties changed because something it uses changed."""
    snapshots = _snapshots(resource_map)
    resources = {k: v for k, v in resource_map._resource_json_map.items() if k not in skip}
    order = _creation_order(resources)
    for _ in range(len(order) + 1):
        changed = False
        for logical_id in order:
            parsed = resource_map._parsed_resources.get(logical_id)
            if parsed is None or isinstance(parsed, str) or snapshots.get(logical_id) is None:
                continue
            current = _resolve(resource_map, resources[logical_id])
            if current is None or current == snapshots[logical_id]:
                continue
            updated = cfn_parsing.parse_and_update_resource(
                logical_id,
                resources[logical_id],
                resource_map,
                account_id=resource_map._account_id,
                region_name=resource_map._region_name,
            )
            if updated is not None:
                resource_map._parsed_resources[logical_id] = updated
            snapshots[logical_id] = current
            changed = True
        if not changed:
            return


def _resource_map_update(original: Callable[..., None]) -> Callable[..., None]:
    def update(self: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        with cleanup_scope():
            # Resources the new template removes are deleted in the cleanup phase, after
            # everything else succeeded (moto deleted them first, so a failed update could
            # not give them back): until then moto sees them as unchanged.
            new_resources = template.get("Resources") or {}
            removed = {key: value for key, value in self._resource_json_map.items() if key not in new_resources}
            seen = {**template, "Resources": {**new_resources, **removed}} if removed else template
            original(self, seen, parameters)
            _cascade(self, skip=frozenset(removed))
            if removed:
                after_update(lambda: _remove(self, template, frozenset(removed)))

    return update


def _remove(resource_map: ResourceMap, template: dict[str, Any], removed: frozenset[str]) -> None:
    """The cleanup of an update: delete what the template removed, then forget it."""
    resources = resource_map._resource_json_map
    _delete_in_order(resource_map, {key for key in removed if (resources.get(key) or {}).get("DeletionPolicy")
                                    not in ("Retain", "RetainExceptOnCreate")})
    resource_map._template = template
    resource_map._resource_json_map = template.get("Resources") or {}


# ---------------------------------------------------------------------------------------
# Deletes


def _references(resource: Any) -> set[str]:
    """Logical ids a resource points at: its Ref, GetAtt and Sub (:func:`eks_templates.diff.references`,
    the package's one reference walk) and its DependsOn."""
    from eks_templates.diff import references

    found = {name for name, _ in references(resource)}
    depends_on = resource.get("DependsOn") if isinstance(resource, dict) else None
    if isinstance(depends_on, str):
        found.add(depends_on)
    elif isinstance(depends_on, list):
        found.update(name for name in depends_on if isinstance(name, str))
    return found


def _resource_map_delete(self: ResourceMap) -> None:
    """Delete every resource after the resources that depend on it (reverse creation order).

    Resources whose deletion fails (a dependency the template does not show) are tried
    again after the others; the delete fails only when a whole round makes no progress.
    """
    _delete_in_order(self, {
        key for key, value in self._resource_json_map.items()
        if value.get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate")
    })


def _delete_in_order(self: ResourceMap, remaining: set[str]) -> None:
    """Delete the resources ``remaining``, dependents first (see :func:`_resource_map_delete`)."""
    resources = self._resource_json_map
    depends_on = {key: _references(value) & set(resources) - {key} for key, value in resources.items()}
    last_error: Exception | None = None

    def delete_one(logical_id: str) -> bool:
        nonlocal last_error
        parsed = self._parsed_resources.get(logical_id)
        try:
            if parsed is not None and not isinstance(parsed, str):
                self._delete_resource(parsed, resources[logical_id])
                self._parsed_resources.pop(logical_id, None)
        except Exception as exc:  # a dependency violation: retried in a later round
            last_error = exc
            return False
        remaining.discard(logical_id)
        return True

    while remaining:
        ready = sorted(r for r in remaining if not any(r in depends_on[other] for other in remaining if other != r))
        progressed = [r for r in ready if delete_one(r)]
        if not progressed:
            progressed = [r for r in sorted(remaining) if delete_one(r)]
        if not progressed:
            break
    if remaining:
        assert last_error is not None
        raise last_error


def _ignore_missing(action: Callable[[], Any]) -> None:
    """Run an EC2 delete; a thing already gone counts as deleted (as in CloudFormation)."""
    try:
        action()
    except EC2ClientError as exc:
        if not str(exc.code).endswith("NotFound"):
            raise


def _delete_route(resource: Any, ec2: Any) -> None:
    table = resource.route_table
    _ignore_missing(
        lambda: ec2.delete_route(table.id, resource.destination_cidr_block, resource.destination_ipv6_cidr_block)
    )


def _delete_route_table(resource: Any, ec2: Any) -> None:
    _ignore_missing(lambda: ec2.delete_route_table(resource.id))


def _delete_subnet_route_table_association(resource: Any, ec2: Any) -> None:
    ec2.subnet_associations.pop(f"{resource.route_table_id}:{resource.subnet_id}", None)
    table = ec2.route_tables.get(resource.route_table_id)
    if table is not None:
        for association_id, target in list(table._associations.items()):
            if target == resource.subnet_id:
                table._associations.pop(association_id)


def _delete_nat_gateway(resource: Any, ec2: Any) -> None:
    eni = getattr(resource, "_eni", None)
    if eni is not None:
        for address in list(ec2.addresses):
            if address.eni is eni:
                ec2.disassociate_address(address=address.public_ip)
        _ignore_missing(lambda: ec2.delete_network_interface(eni.id))
        resource._eni = None
    ec2.delete_nat_gateway(resource.id)  # moto keeps it listed as "deleted", like EC2


def _delete_eip(resource: Any, ec2: Any) -> None:
    if resource in ec2.addresses:
        if resource.allocation_id:
            ec2.release_address(allocation_id=resource.allocation_id)
        else:
            ec2.release_address(address=resource.public_ip)


def _delete_gateway_attachment(resource: Any, ec2: Any) -> None:
    gateway_id = resource.gateway_id
    if gateway_id and gateway_id.startswith("igw-"):
        igw = ec2.internet_gateways.get(gateway_id)
        if igw is not None and igw.vpc is not None and igw.vpc.id == resource.vpc_id:
            ec2.detach_internet_gateway(gateway_id, resource.vpc_id)
        return
    for vpn_gateway in ec2.vpn_gateways.values():
        if vpn_gateway.attachments.get(resource.vpc_id) is resource:
            ec2.detach_vpn_gateway(vpn_gateway.id, resource.vpc_id)


def _delete_internet_gateway(resource: Any, ec2: Any) -> None:
    _ignore_missing(lambda: ec2.delete_internet_gateway(resource.id))


def _delete_security_group_ingress(resource: Any, ec2: Any) -> None:
    props = resource.properties
    group = ec2.get_security_group_from_id(resource.security_group.id)
    if group is None:
        return
    source = {}
    if props.get("SourceSecurityGroupId"):
        source["GroupId"] = props["SourceSecurityGroupId"]
    if props.get("SourceSecurityGroupName"):
        source["GroupName"] = props["SourceSecurityGroupName"]
    ip_ranges = [{"CidrIp": props["CidrIp"]}] if props.get("CidrIp") else []
    try:
        ec2.revoke_security_group_ingress(
            group_name_or_id=group.id,
            ip_protocol=props.get("IpProtocol"),
            from_port=props.get("FromPort"),
            to_port=props.get("ToPort"),
            ip_ranges=ip_ranges,
            source_groups=[source] if source else [],
        )
    except EC2ClientError as exc:
        if not str(exc.code).endswith("NotFound"):
            raise


#: The EC2 types whose moto model has no delete at all: moto's ``_delete_resource``
#: finds no ``delete``/``delete_from_cloudformation_json`` and does nothing, so the VPC
#: keeps route tables, gateways stay attached and ``DeleteVpc`` fails.
EC2_DELETERS: dict[str, Callable[[Any, Any], None]] = {
    "AWS::EC2::Route": _delete_route,
    "AWS::EC2::RouteTable": _delete_route_table,
    "AWS::EC2::SubnetRouteTableAssociation": _delete_subnet_route_table_association,
    "AWS::EC2::NatGateway": _delete_nat_gateway,
    "AWS::EC2::EIP": _delete_eip,
    "AWS::EC2::VPCGatewayAttachment": _delete_gateway_attachment,
    "AWS::EC2::InternetGateway": _delete_internet_gateway,
    "AWS::EC2::SecurityGroupIngress": _delete_security_group_ingress,
}


#: moto types without an update whose replacement is safe to simulate (no dependents):
#: a changed rule or route is revoked/deleted and created again.
REPLACED_BY_DELETE_AND_CREATE = ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::Route")


def _delete_resource(original: Callable[..., None]) -> Callable[..., None]:
    def delete_resource(self: ResourceMap, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        resource_type = resource_json.get("Type")
        if resource_type in EC2_DELETERS:
            EC2_DELETERS[resource_type](parsed_resource, ec2_backends[self._account_id][self._region_name])
        elif isinstance(parsed_resource, Stack):
            cloudformation_backends[self._account_id][self._region_name].delete_stack(parsed_resource.stack_id)
        else:
            original(self, parsed_resource, resource_json)
        # Forget it: moto kept a removed resource in _parsed_resources, so adding the same
        # logical id back later "found" the deleted one instead of creating it.
        for key in [k for k, v in self._parsed_resources.items() if v is parsed_resource]:
            del self._parsed_resources[key]

    return delete_resource


def _delete_stack(
    original: Callable[[CloudFormationBackend, str], None],
) -> Callable[[CloudFormationBackend, str], None]:
    def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id)
        if stack is None:
            stack = next((s for s in self.stacks.values() if s.name == name_or_stack_id), None)
        if stack is None:
            return  # as in AWS: deleting a stack that does not exist succeeds
        try:
            original(self, stack.stack_id)
        except Exception as exc:
            self.stacks[stack.stack_id] = stack
            self.deleted_stacks.pop(stack.stack_id, None)
            stack.status = "DELETE_FAILED"
            rm = stack.resource_map
            left = sorted(k for k in rm._resource_json_map if k in rm._parsed_resources
                          and not isinstance(rm._parsed_resources[k], str))
            stack._add_stack_event("DELETE_FAILED", resource_status_reason=(
                f"The following resource(s) failed to delete: [{', '.join(left)}]. " if left else str(exc)))
            raise

    return delete_stack


# ---------------------------------------------------------------------------------------
# Resource types of moto with a CloudFormation bug


def _kms_key_create(original: Callable[..., Any]) -> Any:
    def create_from_cloudformation_json(
        cls: type[KmsKey],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> KmsKey:
        properties = dict(cloudformation_json.get("Properties") or {})
        properties["Tags"] = [
            {"TagKey": tag["Key"], "TagValue": tag.get("Value", "")} if "Key" in tag else tag
            for tag in properties.get("Tags") or []
        ]
        return original(
            resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kwargs
        )

    return classmethod(create_from_cloudformation_json)


#: AWS::EC2::Instance properties whose change CloudFormation applies by replacing the
#: instance ("Update requires: Replacement"); the others are updated in place.
INSTANCE_REPLACING = frozenset({
    "AvailabilityZone", "BlockDeviceMappings", "CpuOptions", "ElasticGpuSpecifications",
    "ElasticInferenceAccelerators", "EnclaveOptions", "HibernationOptions", "HostResourceGroupArn",
    "ImageId", "Ipv6AddressCount", "Ipv6Addresses", "KeyName", "LaunchTemplate", "LicenseSpecifications",
    "NetworkInterfaces", "PlacementGroupName", "PrivateIpAddress", "SecurityGroups", "SubnetId",
})
#: kept on the instance: the resolved properties it was last created/updated with
_INSTANCE_PROPS = "_eks_templates_sandbox_props"


def _nic_spec(nic: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation ``NetworkInterfaces`` item as moto's RunInstances NIC spec."""
    spec: dict[str, Any] = {"DeviceIndex": int(nic.get("DeviceIndex", 0))}
    for key in ("SubnetId", "NetworkInterfaceId", "Description", "PrivateIpAddress"):
        if nic.get(key):
            spec[key] = nic[key]
    for key in ("AssociatePublicIpAddress", "DeleteOnTermination"):
        if nic.get(key) is not None:
            spec[key] = str(nic[key]).lower() == "true"
    if nic.get("GroupSet"):
        spec["Groups"] = [str(g) for g in nic["GroupSet"]]
    return spec


def _instance_create(
    cls: type[Ec2Instance], resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
    region_name: str, **kwargs: Any,
) -> Ec2Instance:
    """moto's create, plus ``NetworkInterfaces`` and ``SecurityGroupIds``."""
    props = dict(cloudformation_json.get("Properties") or {})
    ec2 = ec2_backends[account_id][region_name]
    nics = sorted((_nic_spec(n) for n in props.get("NetworkInterfaces") or []), key=lambda n: n["DeviceIndex"])
    group_ids = [str(g) for g in props.get("SecurityGroupIds") or []]
    if nics and nics[0]["DeviceIndex"] == 0:
        # the primary interface's groups are the instance's groups (moto adds those to it)
        group_ids += nics[0].pop("Groups", [])
    group_names = []
    for group_id in props.get("SecurityGroups") or []:  # as moto: ids (or names) of groups
        group = ec2.get_security_group_by_name_or_id(str(group_id))
        if group is None:
            raise ValidationError(message=f"Instance {resource_name}: no security group {group_id}")
        group_names.append(group.name)
    reservation = ec2.run_instances(
        image_id=props["ImageId"],
        user_data=props.get("UserData"),
        count=1,
        security_group_names=group_names,
        security_group_ids=group_ids,
        instance_type=props.get("InstanceType", "m1.small"),
        is_instance_type_default=not props.get("InstanceType"),
        subnet_id=props.get("SubnetId"),
        key_name=props.get("KeyName"),
        private_ip=props.get("PrivateIpAddress"),
        block_device_mappings=props.get("BlockDeviceMappings", {}),
        nics=nics,
        # no NetworkInterfaces: the subnet's MapPublicIpOnLaunch decides, as in EC2
        associate_public_ip=None,
        ebs_optimized=str(props.get("EbsOptimized", False)).lower() == "true",
        monitoring_state="enabled" if str(props.get("Monitoring", False)).lower() == "true" else "disabled",
        metadata_options=props.get("MetadataOptions") or {},
    )
    instance = reservation.instances[0]
    for tag in props.get("Tags") or []:
        instance.add_tag(tag["Key"], tag["Value"])
    if props.get("IamInstanceProfile"):
        ec2.associate_iam_instance_profile(instance_id=instance.id,
                                           iam_instance_profile_name=props["IamInstanceProfile"])
    setattr(instance, _INSTANCE_PROPS, copy.deepcopy(props))
    return instance


def _instance_update(
    cls: type[Ec2Instance], original_resource: Ec2Instance, new_resource_name: str,
    cloudformation_json: dict[str, Any], account_id: str, region_name: str,
) -> Ec2Instance:
    """In place (type, user data, groups, tags), or a new instance when a property that
    requires replacement changed; the old one is terminated in the cleanup phase."""
    new = dict(cloudformation_json.get("Properties") or {})
    old = getattr(original_resource, _INSTANCE_PROPS, {})
    changed = {key for key in set(old) | set(new) if old.get(key) != new.get(key)}
    if changed & INSTANCE_REPLACING:
        replacement = _instance_create(cls, new_resource_name, cloudformation_json, account_id, region_name)
        replacement.add_tags({tag["key"]: tag["value"] for tag in original_resource.get_tags()
                              if tag["key"].startswith("aws:cloudformation:")})
        after_update(lambda: original_resource.delete(account_id, region_name))
        return replacement
    ec2 = ec2_backends[account_id][region_name]
    instance = original_resource
    if "InstanceType" in changed:
        instance.instance_type = new.get("InstanceType", "m1.small")
    if "UserData" in changed:
        instance.user_data = new.get("UserData")
    if "SecurityGroupIds" in changed:
        groups = [ec2.get_security_group_from_id(str(g)) for g in new.get("SecurityGroupIds") or []]
        instance.security_groups = [g for g in groups if g is not None]
    if "Tags" in changed:
        old_tags = {t["Key"]: t["Value"] for t in old.get("Tags") or []}
        new_tags = {t["Key"]: t["Value"] for t in new.get("Tags") or []}
        gone = {key: value for key, value in old_tags.items() if key not in new_tags}
        if gone:
            ec2.delete_tags([instance.id], gone)
        instance.add_tags(new_tags)
    not_applied = sorted(changed - {"InstanceType", "UserData", "SecurityGroupIds", "Tags"})
    if not_applied:
        cfn_parsing.logger.warning("eks-templates sandbox: instance %s: %s not applied", instance.id,
                                   ", ".join(not_applied))
    setattr(instance, _INSTANCE_PROPS, copy.deepcopy(new))
    return instance


def _eks_cluster_required(original: Callable[..., Any]) -> Callable[..., Any]:
    """An EKS list call on a missing cluster: EKS's ResourceNotFoundException."""

    def call(self: EKSBackend, cluster_name: str, *args: Any, **kwargs: Any) -> Any:
        if cluster_name not in self.clusters:
            raise EksNotFound(clusterName=cluster_name, nodegroupName=None, fargateProfileName=None,
                              addonName=None, message=f"No cluster found for name: {cluster_name}.")
        return original(self, cluster_name, *args, **kwargs)

    return call


# ---------------------------------------------------------------------------------------
# Termination protection


def _update_termination_protection(self: CloudFormationResponse) -> ActionResult:
    """``UpdateTerminationProtection``: moto 5.2.5 has no such action (NotImplementedError)."""
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = bool(self._get_bool_param("EnableTerminationProtection"))
    return ActionResult({"StackId": stack.stack_id})


def _response_delete_stack(
    original: Callable[[CloudFormationResponse], Any],
) -> Callable[[CloudFormationResponse], Any]:
    def delete_stack(self: CloudFormationResponse) -> Any:
        name = self._get_param("StackName")
        try:
            stack = self.cloudformation_backend.get_stack(name)
        except ValidationError:
            stack = None
        if stack is not None and stack.enable_termination_protection and stack.status != "DELETE_COMPLETE":
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
        try:
            return original(self)
        except Exception:
            if stack is None or stack.status != "DELETE_FAILED":
                raise
            # DeleteStack itself succeeds in CloudFormation; the stack then ends DELETE_FAILED
            # (DescribeStacks / DescribeStackEvents say why)
            return EmptyResult()

    return delete_stack


# ---------------------------------------------------------------------------------------
# SSM-typed parameters


def _ssm_inputs(stack: Stack) -> dict[str, Any]:
    """SSM-typed parameters of ``stack`` -> the parameter name given (input or Default)."""
    result = {}
    for key, slot in (stack.template_dict.get("Parameters") or {}).items():
        if str(slot.get("Type", "")).startswith("AWS::SSM::Parameter::"):
            value = stack.resource_map.input_parameters.get(key, slot.get("Default"))
            if value is not None:
                result[key] = value
    return result


def _as_given(value: Any) -> Any:
    """A parameter value as CloudFormation shows it: lists comma-joined, numbers as text."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _stack_parameters(self: Stack) -> dict[str, Any]:
    """Parameter values as given: an SSM-typed parameter's value is its SSM name."""
    given = {key: _as_given(value) for key, value in self.resource_map.resolved_parameters.items()}
    return {**given, **_ssm_inputs(self)}


def _parameter_list(self: Stack) -> list[dict[str, Any]]:
    """``describe_stacks`` Parameters: SSM-typed ones show the name and ``ResolvedValue``."""
    ssm = _ssm_inputs(self)
    no_echo = self.resource_map.no_echo_parameter_keys
    listed = []
    for key, value in self.resource_map.resolved_parameters.items():
        if key in ssm:
            listed.append({"ParameterKey": key, "ParameterValue": ssm[key], "ResolvedValue": _as_given(value)})
        else:
            listed.append({"ParameterKey": key, "ParameterValue": "****" if key in no_echo else _as_given(value)})
    return listed


def _load_parameters(original: Callable[[ResourceMap], None]) -> Callable[[ResourceMap], None]:
    def load_parameters(self: ResourceMap) -> None:
        # moto only ever adds to resolved_parameters: a parameter the new template no longer
        # declares (an update that removed it, or the rollback of an update that added it) stayed
        # in DescribeStacks' Parameters, and the next change set's UsePreviousValue for it failed
        # on a KeyError. CloudFormation lists exactly the current template's parameters
        # (API reference, DescribeStacks: "Parameters: A list of Parameter structures").
        declared = self._template.get("Parameters") or {}
        for stale in [name for name in self.resolved_parameters if name not in declared]:
            del self.resolved_parameters[stale]
            if stale not in self._resource_json_map:
                self._parsed_resources.pop(stale, None)
        original(self)
        for name, slot in (self._template.get("Parameters") or {}).items():
            value_type = str(slot.get("Type", "String"))
            value = self.resolved_parameters.get(name)
            is_list = value_type == "CommaDelimitedList" or value_type.startswith("List<")
            if is_list and isinstance(value, str):
                self.resolved_parameters[name] = self._parsed_resources[name] = value.split(",")

    return load_parameters


def _parse_ssm_parameter(original: Callable[..., Any]) -> Callable[..., Any]:
    def parse_ssm_parameter(self: ResourceMap, value: str, value_type: str) -> Any:
        if ssm_backends[self._account_id][self._region_name].get_parameter(value) is None:
            raise ValidationError(
                message=f"Unable to fetch parameters [{value}] from parameter store for this account."
            )
        return original(self, value, value_type)

    return parse_ssm_parameter


def install() -> None:
    """Apply every patch once."""
    global _installed
    if _installed:
        return
    _installed = True

    # Replaces: moto's nested Stack has no get_cfn_attribute, so Fn::GetAtt [Child, Outputs.X]
    # raised AttributeError (HTTP 500 in server mode) and left the parent REVIEW_IN_PROGRESS.
    Stack.get_cfn_attribute = _stack_get_cfn_attribute  # type: ignore[attr-defined]

    # Replaces: moto's Stack.update_from_cloudformation_json deleted the child stack and
    # created a new one (new VPC, the old one leaked) whenever the parent changed its
    # TemplateURL or Parameters. CloudFormation updates the child stack in place.
    Stack.update_from_cloudformation_json = _stack_update_in_place  # type: ignore[assignment,method-assign]

    # Replaces: moto's ResourceMap.build_resource_diff saw every resource without
    # "Properties" as modified on every update (moto adds "Properties": {} to the stored
    # template when it parses it), so e.g. an InternetGateway showed up as Modify.
    ResourceMap.build_resource_diff = _build_resource_diff(  # type: ignore[method-assign]
        ResourceMap.build_resource_diff
    )

    # Replaces: moto's parse_and_update_resource returned None for a type without an
    # update method (Subnet, RouteTable, Route, InternetGateway, ...), and the stack then
    # forgot the resource: Ref gave None and the delete skipped it (the VPC could not go).
    # Now the resource is kept as it is (the change is not applied, with a warning), except
    # SecurityGroupIngress and Route, which are deleted and created again.
    cfn_parsing.parse_and_update_resource = _parse_and_update_resource(cfn_parsing.parse_and_update_resource)

    # Replaces: moto's ResourceMap.update only touched resources whose template text
    # changed, so a resource whose *resolved* inputs changed (a Ref to a replaced cluster,
    # GetAtt LaunchTemplate.LatestVersionNumber, a sibling stack's changed output) kept
    # stale values; and replaced resources were deleted before their dependents moved.
    # Now: after moto's update, every resource whose resolved properties differ from
    # those it was last created/updated with is updated too (in dependency order, to a
    # fixed point), and deletes of replaced sandbox resources wait for the end of the
    # update (CloudFormation's cleanup phase). parse_and_create_resource records the
    # resolved properties.
    cfn_parsing.parse_and_create_resource = _parse_and_create_resource(cfn_parsing.parse_and_create_resource)
    ResourceMap.update = _resource_map_update(ResourceMap.update)  # type: ignore[method-assign]

    # Replaces: moto's ResourceMap.delete, which tried resources in set order and retried
    # while the count went down; with deletes that silently do nothing (below) the VPC
    # was tried with its route tables still there. Now: dependents first.
    ResourceMap.delete = _resource_map_delete  # type: ignore[method-assign]

    # Replaces: moto's ResourceMap._delete_resource for the EC2 types without any delete
    # (Route, RouteTable, SubnetRouteTableAssociation, NatGateway, EIP,
    # VPCGatewayAttachment, InternetGateway, SecurityGroupIngress), which it skipped
    # silently, and the TypeError detour moto took to delete a nested stack.
    ResourceMap._delete_resource = _delete_resource(ResourceMap._delete_resource)  # type: ignore[method-assign]

    # Replaces: moto's CloudFormationBackend.delete_stack removed the stack from `stacks`
    # before deleting its resources, so a failed delete lost the stack (and its resources'
    # record) for good. Now it stays, DELETE_FAILED, and can be deleted again.
    CloudFormationBackend.delete_stack = _delete_stack(  # type: ignore[method-assign,assignment]
        CloudFormationBackend.delete_stack
    )

    # Replaces: moto's ChangeSet.apply updated the resources but not the stack's template,
    # Outputs or Parameters: a stack created by a change set had no Outputs at all.
    ChangeSet.apply = _change_set_apply(ChangeSet.apply)  # type: ignore[method-assign,assignment]

    # Replaces: moto's ChangeSet.diff compared templates only, so a change set that changes
    # parameter values (UsePreviousTemplate, as `scale` makes) listed no resource at all.
    # Now the resources that use a changed parameter (Ref, Sub) are listed as Modify.
    ChangeSet.diff = _change_set_diff(ChangeSet.diff)  # type: ignore[method-assign,assignment]

    # Replaces: moto's ResourceMap.parse_ssm_parameter crashed with AttributeError on a
    # parameter name SSM does not have; CloudFormation reports a ValidationError.
    ResourceMap.parse_ssm_parameter = _parse_ssm_parameter(  # type: ignore[method-assign]
        ResourceMap.parse_ssm_parameter
    )

    # Replaces: moto's ResourceMap.load_parameters split a CommaDelimitedList/List<...>
    # value only when it was passed in, not when it came from the Default, so
    # Fn::Select/Fn::Join on a defaulted list worked on the characters of the string.
    ResourceMap.load_parameters = _load_parameters(  # type: ignore[method-assign,assignment]
        ResourceMap.load_parameters
    )

    # Replaces: moto's Stack.stack_parameters and parameter_list gave the resolved AMI id
    # as an SSM-typed parameter's value, so UsePreviousValue looked up "ami-..." in SSM
    # and failed, and describe_stacks showed no ResolvedValue. Now the value is the SSM
    # name (as given) and describe_stacks adds ResolvedValue, as CloudFormation does.
    # Lists and numbers are shown as given (comma-joined, text), so UsePreviousValue on a
    # CommaDelimitedList no longer crashes and an unchanged resubmission is "no updates".
    # (moto's parameter_list also compared *values* with the NoEcho keys; now the keys.)
    Stack.stack_parameters = property(_stack_parameters)  # type: ignore[assignment,method-assign]
    Stack.parameter_list = property(_parameter_list)  # type: ignore[assignment,method-assign]

    # Replaces: moto's parse_and_create_resource let a KeyError from inside a resource's
    # creation escape; the parent's Fn::GetAtt lookup (Mapping.get) swallowed it and said
    # "Fn::GetAtt references undefined resource <ChildStack>". Now it is a ValidationError
    # naming the resource that failed.
    # (The KeyError handling lives in the parse_and_create/update wrappers above.)

    # Replaces: moto's AWS::KMS::Key handed CloudFormation's Tags ({Key, Value}) to its
    # KMS tagger, which wants {TagKey, TagValue}: any tagged key failed with KeyError.
    KmsKey.create_from_cloudformation_json = _kms_key_create(  # type: ignore[method-assign]
        KmsKey.create_from_cloudformation_json
    )

    # Replaces: moto's AWS::EC2::Instance ignored NetworkInterfaces and SecurityGroupIds, so
    # an instance placed by its NetworkInterfaces (the management host) landed in the
    # default VPC's subnet with a public address and the default group; and it had no
    # update, so a new subnet (notes 4.3: the management host goes private) was silently
    # not applied. Now the interfaces and groups are honoured, a change of a property that
    # requires replacement creates a new instance (the old one is terminated in the
    # update's cleanup phase), and type, user data, groups and tags change in place.
    Ec2Instance.create_from_cloudformation_json = classmethod(_instance_create)  # type: ignore[method-assign,assignment]
    Ec2Instance.update_from_cloudformation_json = classmethod(_instance_update)  # type: ignore[method-assign,assignment]

    # Replaces: moto's EKS ListNodegroups and ListFargateProfiles on a cluster that does not
    # exist (after a delete) failed with KeyError, an HTTP 500; EKS says ResourceNotFound.
    EKSBackend.list_nodegroups = _eks_cluster_required(EKSBackend.list_nodegroups)  # type: ignore[method-assign]
    EKSBackend.list_fargate_profiles = _eks_cluster_required(  # type: ignore[method-assign]
        EKSBackend.list_fargate_profiles
    )

    # Adds: moto has no UpdateTerminationProtection action (NotImplementedError, HTTP 500),
    # and its DeleteStack ignored the flag set at create. Now the flag can be changed, and
    # a DeleteStack call on a protected stack fails with CloudFormation's ValidationError
    # (deleting a parent still deletes its children, as in CloudFormation).
    CloudFormationResponse.update_termination_protection = _update_termination_protection  # type: ignore[attr-defined]
    CloudFormationResponse.delete_stack = _response_delete_stack(  # type: ignore[method-assign,assignment]
        CloudFormationResponse.delete_stack
    )

    # Replaces: moto's change sets let two runs collide (a second stack of one name, a change set
    # executed twice, other change sets still usable after an execute); see sandbox/change_sets.py.
    __import__("eks_templates.sandbox.change_sets", fromlist=["install"]).install()
    # Replaces: moto ignored ExpectedBucketOwner (a bucket of another account took writes); see sandbox/s3_owner.py.
    __import__("eks_templates.sandbox.s3_owner", fromlist=["install"]).install()

    assert cfn_models.Stack is Stack  # the class moto's backend instantiates
