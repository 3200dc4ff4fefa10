"""``AWS::IAM::Role`` ``ManagedPolicyArns`` in the sandbox.

moto 5.2.5's Role model ignores ``ManagedPolicyArns`` on create and update: a role made
from a template has no attached policy at all, so a test cannot tell a node role that
keeps ``AmazonEKS_CNI_Policy`` from one that dropped it, nor a pod identity role's
permissions. Here the listed policies are attached (and, on an update, the list is made
to match), as IAM does for CloudFormation; an ARN IAM does not have is refused with IAM's
``NoSuchEntity`` ("Policy ... does not exist or is not attachable"), which is how a
misspelt AWS managed policy fails a real create.

AWS managed policies (``arn:<partition>:iam::aws:policy/...``) come from moto's own copy
of them, loaded one by one when a template names one (moto loads none unless
``MOTO_IAM_LOAD_MANAGED_POLICIES`` is set).
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.iam.models import AWSManagedPolicy, IAMBackend, Role, iam_backends
from moto.utilities.utils import get_partition

from eks_templates.sandbox._common import SandboxResourceError

_AWS_MANAGED = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::aws:policy(?P<path>/(?:.*/)?)(?P<name>[^/]+)$")

_moto_create = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
_moto_update = Role.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]
_moto_delete = Role.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _aws_managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return data


def _ensure_known(backend: IAMBackend, arn: str) -> None:
    if arn in backend.managed_policies:
        return
    match = _AWS_MANAGED.match(arn)
    entry = _aws_managed_policies().get(match["name"]) if match else None
    if match is None or entry is None or entry.get("Path", "/") != match["path"]:
        raise SandboxResourceError("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")
    policy = AWSManagedPolicy.from_data(match["name"], backend.account_id, backend.region_name, entry)
    backend.managed_policies[policy.arn] = policy
    if policy.arn != arn:  # moto builds the ARN with its own partition: key it as the template names it
        backend.managed_policies[arn] = policy


def _sync(backend: IAMBackend, role: Role, wanted: Any) -> None:
    arns = [str(a) for a in (wanted or [])]
    for arn in arns:
        _ensure_known(backend, arn)
    for arn in _attached_by_stack(role) - set(arns):
        if arn in role.managed_policies:
            backend.detach_role_policy(arn, role.name)
    for arn in arns:
        if arn not in role.managed_policies:
            backend.managed_policies[arn].attach_to(role)
    vars(role)["sandbox_stack_managed_policies"] = set(arns)


def _attached_by_stack(role: Role) -> set[str]:
    """The ARNs the template attached (the delete gets the unresolved template, not these)."""
    attached: set[str] = vars(role).get("sandbox_stack_managed_policies", set())
    return attached


def _create(cls: type[Role], resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
            region_name: str, **kwargs: Any) -> Role:
    backend = iam_backends[account_id][get_partition(region_name)]
    wanted = (cloudformation_json.get("Properties") or {}).get("ManagedPolicyArns")
    for arn in wanted or []:
        _ensure_known(backend, str(arn))  # refuse before the role exists, as a failed create leaves none
    role = _moto_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    _sync(backend, role, wanted)
    return role


def _update(cls: type[Role], original_resource: Role, new_resource_name: str, cloudformation_json: dict[str, Any],
            account_id: str, region_name: str) -> Role:
    role = _moto_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
    backend = iam_backends[account_id][get_partition(region_name)]
    _sync(backend, role, (cloudformation_json.get("Properties") or {}).get("ManagedPolicyArns"))
    return role


def _delete(cls: type[Role], resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
            region_name: str) -> None:
    """CloudFormation detaches the policies the template attached, then deletes the role (one
    attached from outside the stack still makes IAM refuse: DeleteConflict, as in AWS)."""
    backend = iam_backends[account_id][get_partition(region_name)]
    role = next((r for r in backend.roles.values() if r.name == resource_name), None)
    if role is not None:
        for arn in sorted(_attached_by_stack(role)):
            if arn in role.managed_policies:
                backend.detach_role_policy(arn, role.name)
    _moto_delete(cls, resource_name, cloudformation_json, account_id, region_name)


def install() -> None:
    """Replace moto's Role create/update/delete from CloudFormation (idempotent)."""
    Role.create_from_cloudformation_json = classmethod(_create)  # type: ignore[method-assign,assignment]
    Role.update_from_cloudformation_json = classmethod(_update)  # type: ignore[method-assign,assignment]
    Role.delete_from_cloudformation_json = classmethod(_delete)  # type: ignore[method-assign,assignment]
