"""CloudFormation models for the EC2 and IAM types our templates use and moto lacks.

moto 5.2.5 has the backends (security-group egress rules, key pairs, OIDC providers)
but no CloudFormation model for ``AWS::EC2::SecurityGroupEgress``, ``AWS::EC2::KeyPair``
or ``AWS::IAM::OIDCProvider``. Each class below is a direct
:class:`~moto.core.common_models.CloudFormationModel` subclass (with the protocol's
common answers from :class:`~eks_templates.sandbox._common.SandboxModel`) and works on
moto's own backends, so ``describe_security_groups``/``describe_key_pairs``/
``list_open_id_connect_providers`` see what a template made.
"""

from __future__ import annotations

import json
from typing import Any, Self

from moto.core.common_models import CloudFormationModel
from moto.ec2.models import ec2_backends
from moto.iam.models import IAMBackend, Role, iam_backends
from moto.ssm.models import ssm_backends
from moto.utilities.utils import get_partition

from eks_templates.sandbox._common import (
    SandboxModel,
    SandboxResourceError,
    custom_name_replacement_error,
    tags_to_dict,
)


class Ec2SecurityGroupEgress(SandboxModel, CloudFormationModel):
    """``AWS::EC2::SecurityGroupEgress`` on moto's EC2 backend (moto has no model for it).

    Adds: ``authorize_security_group_egress`` on create (a duplicate rule fails with
    ``InvalidPermission.Duplicate`` as in EC2), ``Ref`` = the rule id (``sgr-...``),
    ``revoke_security_group_egress`` on delete (a rule or group already gone is fine).
    Updates: ``Description`` in place; any other change replaces the rule (the new one
    is authorized, then the old one revoked).
    """

    CFN_TYPE = "AWS::EC2::SecurityGroupEgress"
    CFN_ATTRIBUTES = {"Id": lambda self: self.rule_id}
    RULE_KEYS = (
        "GroupId",
        "IpProtocol",
        "FromPort",
        "ToPort",
        "CidrIp",
        "CidrIpv6",
        "DestinationSecurityGroupId",
        "DestinationPrefixListId",
    )

    def __init__(self, account_id: str, region_name: str, group_id: str, rule_id: str, props: dict[str, Any]):
        super().__init__(account_id, region_name, rule_id, props)
        self.group_id = group_id

    @property
    def rule_id(self) -> str:
        """The rule's id (``sgr-...``), its physical id."""
        return self.name

    @staticmethod
    def _rule_arguments(props: dict[str, Any]) -> dict[str, Any]:
        what = "AWS::EC2::SecurityGroupEgress"
        if not props.get("GroupId") or not props.get("IpProtocol"):
            raise SandboxResourceError("MissingParameter", f"{what}: GroupId and IpProtocol are required")
        destinations = [
            k for k in ("CidrIp", "CidrIpv6", "DestinationSecurityGroupId", "DestinationPrefixListId") if props.get(k)
        ]
        if len(destinations) != 1:
            raise SandboxResourceError(
                "InvalidParameterCombination",
                f"{what}: exactly one of CidrIp, CidrIpv6, DestinationSecurityGroupId and "
                f"DestinationPrefixListId is required, got {destinations or 'none'}",
            )
        ip_ranges: list[dict[str, str]] = []
        if props.get("CidrIp"):
            ip_ranges.append({"CidrIp": props["CidrIp"]})
        if props.get("CidrIpv6"):
            ip_ranges.append({"CidrIpv6": props["CidrIpv6"]})
        if props.get("Description"):
            for item in ip_ranges:
                item["Description"] = props["Description"]
        return {
            "group_name_or_id": props["GroupId"],
            "ip_protocol": str(props["IpProtocol"]),
            "from_port": props.get("FromPort"),
            "to_port": props.get("ToPort"),
            "ip_ranges": ip_ranges,
            "source_groups": (
                [{"GroupId": props["DestinationSecurityGroupId"],
                  **({"Description": props["Description"]} if props.get("Description") else {})}]
                if props.get("DestinationSecurityGroupId") else []
            ),
            "prefix_list_ids": (
                [{"PrefixListId": props["DestinationPrefixListId"]}] if props.get("DestinationPrefixListId") else []
            ),
        }

    @classmethod
    def _create(
        cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str
    ) -> Ec2SecurityGroupEgress:
        ec2 = ec2_backends[account_id][region_name]
        rules, group = ec2.authorize_security_group_egress(**cls._rule_arguments(props))
        return cls(account_id, region_name, group.id, rules[0].id, props)

    @classmethod
    def _update(
        cls,
        original_resource: Ec2SecurityGroupEgress,
        new_resource_name: str,
        new: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Ec2SecurityGroupEgress:
        old = original_resource.props
        if all(new.get(k) == old.get(k) for k in cls.RULE_KEYS):
            group = ec2_backends[account_id][region_name].get_security_group_from_id(original_resource.group_id)
            for rule in group.egress_rules if group else []:
                if rule.id == original_resource.rule_id:
                    described = rule.ip_range or rule.source_group  # a CIDR, or a destination group
                    if new.get("Description"):
                        described["Description"] = new["Description"]
                    else:
                        described.pop("Description", None)
            original_resource.props = new
            return original_resource
        return cls._replace(original_resource, new_resource_name, new, account_id, region_name)

    @classmethod
    def _from_physical_id(cls, account_id: str, region_name: str, physical_id: str, props: dict[str, Any]) -> Self:
        return cls(account_id, region_name, str(props.get("GroupId")), physical_id, props)

    def delete(self, account_id: str, region_name: str) -> None:
        ec2 = ec2_backends[self.account_id][self.region_name]
        group = ec2.get_security_group_from_id(self.group_id)
        if group is None or self.rule_id not in {rule.id for rule in group.egress_rules}:
            return
        ec2.revoke_security_group_egress(
            group_name_or_id=self.group_id,
            ip_protocol=str(self.props.get("IpProtocol")),
            from_port=self.props.get("FromPort"),  # type: ignore[arg-type]
            to_port=self.props.get("ToPort"),  # type: ignore[arg-type]
            ip_ranges=[],
            security_rule_ids=[self.rule_id],
        )


class Ec2KeyPair(SandboxModel, CloudFormationModel):
    """``AWS::EC2::KeyPair`` on moto's EC2 backend (moto has no model for it).

    Adds: ``import_key_pair`` when ``PublicKeyMaterial`` is given, else
    ``create_key_pair`` (``KeyType`` rsa or ed25519) and, as CloudFormation does, the
    new private key stored as SecureString ``/ec2/keypair/<KeyPairId>`` in moto's SSM;
    ``Ref`` = ``KeyName``; ``GetAtt`` ``KeyPairId``, ``KeyFingerprint``. Delete removes the
    key pair and that parameter. Every property change is a replacement (as in
    CloudFormation), so changing anything but ``KeyName`` is refused like CloudFormation
    refuses to replace a custom-named resource.
    """

    CFN_TYPE = "AWS::EC2::KeyPair"
    CFN_NAME_TYPE = "KeyName"
    CFN_ATTRIBUTES = {"KeyPairId": lambda key: key.id, "KeyFingerprint": lambda key: key.key_fingerprint}

    def _cfn_source(self) -> Any:
        return ec2_backends[self.account_id][self.region_name].describe_key_pairs([self.name])[0]

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> Ec2KeyPair:
        name = str(props.get("KeyName") or resource_name)
        ec2 = ec2_backends[account_id][region_name]
        tags = tags_to_dict(props.get("Tags"))
        material = props.get("PublicKeyMaterial")
        if material:
            ec2.import_key_pair(name, str(material).encode(), tags)
        else:
            key_type = props.get("KeyType", "rsa")
            if key_type not in ("rsa", "ed25519"):
                raise SandboxResourceError("InvalidParameterValue", f"AWS::EC2::KeyPair {name}: KeyType {key_type!r}")
            key = ec2.create_key_pair(name, key_type, tags)
            ssm_backends[account_id][region_name].put_parameter(
                name=f"/ec2/keypair/{key.id}",
                description=f"Private key of EC2 key pair {name} (created by CloudFormation)",
                value=key.key_material,
                parameter_type="SecureString",
                allowed_pattern=None,  # type: ignore[arg-type]
                keyid=None,  # type: ignore[arg-type]
                overwrite=True,
                tags=[],
                data_type="text",
                tier=None,
                policies=None,
            )
        return cls(account_id, region_name, name, props)

    @classmethod
    def _update(
        cls,
        original_resource: Ec2KeyPair,
        new_resource_name: str,
        new: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Ec2KeyPair:
        new_name = str(new.get("KeyName") or new_resource_name)
        if new_name == original_resource.name:
            if new != original_resource.props:
                raise custom_name_replacement_error(original_resource.name, "AWS::EC2::KeyPair")
            return original_resource
        return cls._replace(original_resource, new_name, new, account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        ec2 = ec2_backends[self.account_id][self.region_name]
        key = ec2.key_pairs.get(self.name)
        if key is None:
            return
        ec2.delete_key_pair(self.name)
        ssm = ssm_backends[self.account_id][self.region_name]
        if ssm.get_parameter(f"/ec2/keypair/{key.id}") is not None:
            ssm.delete_parameter(f"/ec2/keypair/{key.id}")


def _iam(account_id: str, region_name: str) -> IAMBackend:
    return iam_backends[account_id][get_partition(region_name)]


class IamOIDCProvider(SandboxModel, CloudFormationModel):
    """``AWS::IAM::OIDCProvider`` on moto's IAM backend (moto has no model for it).

    Adds: ``create_open_id_connect_provider`` on create, ``Ref`` and ``GetAtt Arn`` = the
    provider ARN, ``delete_open_id_connect_provider`` on delete. Updates in place:
    ``ThumbprintList``, ``ClientIdList``, ``Tags``; a new ``Url`` is a replacement.
    Does not simulate: fetching the issuer's certificate thumbprint.
    """

    CFN_TYPE = "AWS::IAM::OIDCProvider"
    CFN_ATTRIBUTES = {"Arn": lambda self: self.arn}

    @property
    def arn(self) -> str:
        """The provider's ARN, its physical id."""
        return self.name

    @classmethod
    def _create(cls, resource_name: str, props: dict[str, Any], account_id: str, region_name: str) -> IamOIDCProvider:
        url = props.get("Url")
        if not url or not str(url).startswith("https://"):
            raise SandboxResourceError(
                "ValidationError", f"AWS::IAM::OIDCProvider: Url must be https://..., got {url!r}"
            )
        tags = [{"Key": k, "Value": v} for k, v in tags_to_dict(props.get("Tags")).items()]
        provider = _iam(account_id, region_name).create_open_id_connect_provider(
            url=str(url),
            thumbprint_list=list(props.get("ThumbprintList") or []),
            client_id_list=list(props.get("ClientIdList") or []),
            tags=tags,
        )
        return cls(account_id, region_name, provider.arn, props)

    @classmethod
    def _update(
        cls,
        original_resource: IamOIDCProvider,
        new_resource_name: str,
        new: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> IamOIDCProvider:
        if new.get("Url") != original_resource.props.get("Url"):
            return cls._replace(original_resource, new_resource_name, new, account_id, region_name)
        provider = _iam(account_id, region_name).get_open_id_connect_provider(original_resource.arn)
        provider.thumbprint_list = list(new.get("ThumbprintList") or [])
        provider.client_id_list = list(new.get("ClientIdList") or [])
        provider.tags = {k.lower(): {"Key": k, "Value": v} for k, v in tags_to_dict(new.get("Tags")).items()}
        original_resource.props = new
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        _iam(self.account_id, self.region_name).delete_open_id_connect_provider(self.arn)


_moto_role_put_policy = Role.put_policy


def _role_put_policy(self: Role, policy_name: str, policy_json: Any) -> None:
    """A role's inline policy from a template (``AWS::IAM::Role`` ``Policies``) is kept as
    JSON text, as IAM keeps it. moto 5.2.5 kept the parsed dict, so GetRolePolicy returned
    its Python repr (``{'Statement': ...}``), which no client can parse."""
    if not isinstance(policy_json, str):
        policy_json = json.dumps(policy_json)
    _moto_role_put_policy(self, policy_name, policy_json)


def install_role_policy_json() -> None:
    """Replace moto's ``Role.put_policy`` (idempotent)."""
    Role.put_policy = _role_put_policy  # type: ignore[method-assign]


MODELS: tuple[type[CloudFormationModel], ...] = (Ec2SecurityGroupEgress, Ec2KeyPair, IamOIDCProvider)
