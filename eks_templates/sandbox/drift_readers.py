"""The actual state of the resource types the sandbox checks for drift, read from moto's
backends and written in the CloudFormation shape of the type's properties.

Each reader takes the deployed resource (moto's object or the sandbox's model), its
last resolved ``Properties`` and the account/region, and returns the resource's actual
properties, or :data:`DELETED` when the physical resource is gone. A reader raises
:class:`ReadFailure` when the state exists but cannot be read (CloudFormation then
fails the detection for that resource). Only the properties a reader returns are
compared; :mod:`.drift` restricts them further to the ones the template sets.

Properties a reader does not return are not compared (see ``docs/sandbox.md``):
``AWS::EKS::Cluster`` ``ComputeConfig``, ``StorageConfig``, ``RemoteNetworkConfig``,
``ZonalShiftConfig``, ``OutpostConfig`` and ``KubernetesNetworkConfig.ElasticLoadBalancing``
(the sandbox's cluster does not keep them), ``AWS::EKS::Nodegroup`` ``NodeRepairConfig``
and ``WarmPoolConfig``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.cloudformation.models import Stack, cloudformation_backends
from moto.ec2.models import ec2_backends
from moto.eks.models import eks_backends


class ReadFailure(Exception):
    """The resource exists but its state cannot be read; the message is the reason."""


#: a reader's answer for a resource whose physical resource no longer exists
DELETED = object()

Reader = Callable[[Any, dict[str, Any], str, str], Any]

_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp",
              "icmpv6": "icmpv6", "58": "icmpv6", "-1": "-1", "all": "-1"}


def protocol(value: Any) -> str:
    """EC2's name of an ``IpProtocol`` (``6`` -> ``tcp``, ``all`` -> ``-1``)."""
    text = str(value).lower()
    return _PROTOCOLS.get(text, text)


def rule_identity(rule: dict[str, Any], egress: bool) -> tuple[Any, ...]:
    """What makes a rule the same rule in EC2: protocol, ports (none for ``-1``) and the
    one source or destination; ``Description`` is not part of it."""
    proto = protocol(rule.get("IpProtocol", "-1"))
    ports: tuple[Any, ...] = () if proto == "-1" else (_int(rule.get("FromPort")), _int(rule.get("ToPort")))
    peers = (("CidrIp", "CidrIpv6", "DestinationSecurityGroupId", "DestinationPrefixListId") if egress
             else ("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId", "SourceSecurityGroupName"))
    peer = next(((key, str(rule[key])) for key in peers if rule.get(key) not in (None, "")), None)
    return proto, ports, peer


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _rule_properties(rule: Any, egress: bool) -> dict[str, Any]:
    """A moto ``SecurityGroupRule`` as a CloudFormation rule (``Ingress``/``Egress`` shape).
    Ports of an all-traffic rule are ``-1``, as EC2 reports them."""
    props: dict[str, Any] = {"IpProtocol": rule.ip_protocol or "-1"}
    if props["IpProtocol"] == "-1":
        props["FromPort"] = props["ToPort"] = -1
    else:
        props["FromPort"] = int(rule.from_port)
        props["ToPort"] = int(rule.to_port)
    if rule.ip_range.get("CidrIp"):
        props["CidrIp"] = rule.ip_range["CidrIp"]
    if rule.ip_range.get("CidrIpv6"):
        props["CidrIpv6"] = rule.ip_range["CidrIpv6"]
    if rule.source_group.get("GroupId"):
        props["DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"] = rule.source_group["GroupId"]
    if rule.prefix_list_id:
        props["DestinationPrefixListId" if egress else "SourcePrefixListId"] = rule.prefix_list_id
    description = rule.ip_range.get("Description") or rule.source_group.get("Description")
    if description:
        props["Description"] = description
    return props


def _visible_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    """Tags as CloudFormation compares them: the ``aws:`` ones (CloudFormation's own
    ``aws:cloudformation:*``) are not the template's and are left out."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items()) if not k.startswith("aws:")]


# -- EC2 --------------------------------------------------------------------------------


def _group(account_id: str, region_name: str, group_id: Any, group_name: Any = None) -> Any:
    ec2 = ec2_backends[account_id][region_name]
    if group_id:
        return ec2.get_security_group_from_id(str(group_id))
    if group_name:
        return ec2.get_security_group_from_name(str(group_name))
    return None


def read_security_group(resource: Any, props: dict[str, Any], account_id: str, region_name: str) -> Any:
    group = _group(account_id, region_name, getattr(resource, "id", None))
    if group is None:
        return DELETED
    return {
        "GroupDescription": group.description,
        "GroupName": group.name,
        "VpcId": group.vpc_id,
        "SecurityGroupIngress": [_rule_properties(r, egress=False) for r in group.ingress_rules],
        "SecurityGroupEgress": [_rule_properties(r, egress=True) for r in group.egress_rules],
        "Tags": _visible_tags({t["key"]: t["value"] for t in group.get_tags()}),
    }


def _rule_reader(egress: bool) -> Reader:
    def read(resource: Any, props: dict[str, Any], account_id: str, region_name: str) -> Any:
        group = _group(account_id, region_name, props.get("GroupId"), props.get("GroupName"))
        if group is None:
            return DELETED
        wanted = rule_identity(props, egress)
        for rule in group.egress_rules if egress else group.ingress_rules:
            actual = _rule_properties(rule, egress)
            if rule_identity(actual, egress) == wanted:
                actual["GroupId"] = group.id
                if props.get("GroupName") and not props.get("GroupId"):
                    actual["GroupName"] = group.name
                    del actual["GroupId"]
                if props.get("SourceSecurityGroupOwnerId") and rule.source_group.get("UserId"):
                    actual["SourceSecurityGroupOwnerId"] = rule.source_group["UserId"]
                return actual
        return DELETED  # the rule was revoked

    return read


# -- EKS --------------------------------------------------------------------------------


def _cluster(account_id: str, region_name: str, name: str) -> Any:
    return eks_backends[account_id][region_name].clusters.get(name)


def read_eks_cluster(resource: Any, props: dict[str, Any], account_id: str, region_name: str) -> Any:
    cluster = _cluster(account_id, region_name, resource.name)
    if cluster is None:
        return DELETED
    vpc = cluster.resources_vpc_config or {}
    enabled = [t for entry in (cluster.logging or {}).get("clusterLogging") or [] if entry.get("enabled")
               for t in entry.get("types") or []]
    network = cluster.kubernetes_network_config or {}
    access = vars(cluster).get("access_config") or {}
    actual: dict[str, Any] = {
        "Name": cluster.name,
        "Version": cluster.version,
        "RoleArn": cluster.role_arn,
        "ResourcesVpcConfig": {
            "SubnetIds": list(vpc.get("subnetIds") or []),
            "SecurityGroupIds": list(vpc.get("securityGroupIds") or []),
            "EndpointPublicAccess": vpc.get("endpointPublicAccess"),
            "EndpointPrivateAccess": vpc.get("endpointPrivateAccess"),
            "PublicAccessCidrs": list(vpc.get("publicAccessCidrs") or []),
        },
        "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": t} for t in enabled]}},
        "KubernetesNetworkConfig": {"ServiceIpv4Cidr": network.get("serviceIpv4Cidr"),
                                    "IpFamily": network.get("ipFamily")},
        "AccessConfig": {"AuthenticationMode": access.get("authenticationMode", "CONFIG_MAP")},
        "Tags": _visible_tags(dict(cluster.tags or {})),
        "EncryptionConfig": [
            {"Provider": {"KeyArn": (c.get("provider") or {}).get("keyArn")},
             "Resources": list(c.get("resources") or [])}
            for c in cluster.encryption_config or []
        ],
        "DeletionProtection": bool(vars(cluster).get("deletion_protection", False)),
        "UpgradePolicy": {"SupportType": (vars(cluster).get("upgrade_policy") or {}).get("supportType", "EXTENDED")},
    }
    return actual


def read_eks_nodegroup(resource: Any, props: dict[str, Any], account_id: str, region_name: str) -> Any:
    cluster = _cluster(account_id, region_name, resource.cluster_name)
    nodegroup = None if cluster is None else cluster.nodegroups.get(resource.name)
    if nodegroup is None:
        return DELETED
    scaling = nodegroup.scaling_config or {}
    actual: dict[str, Any] = {
        "ClusterName": nodegroup.cluster_name,
        "NodegroupName": nodegroup.nodegroup_name,
        "NodeRole": nodegroup.node_role,
        "Subnets": list(nodegroup.subnets or []),
        "ScalingConfig": {"MinSize": scaling.get("minSize"), "MaxSize": scaling.get("maxSize"),
                          "DesiredSize": scaling.get("desiredSize")},
        "InstanceTypes": list(nodegroup.instance_types or []),
        "AmiType": nodegroup.ami_type,
        "CapacityType": nodegroup.capacity_type,
        "DiskSize": nodegroup.disk_size,
        "Labels": dict(nodegroup.labels or {}),
        "Taints": [{k: v for k, v in (("Key", t.get("key")), ("Value", t.get("value")), ("Effect", t.get("effect")))
                    if v is not None} for t in nodegroup.taints or []],
        "Version": nodegroup.version,
        "ReleaseVersion": nodegroup.release_version,
        "Tags": {k: v for k, v in (nodegroup.tags or {}).items() if not k.startswith("aws:")},
    }
    # present (None when the nodegroup has none), so a template value that is gone is a REMOVE
    template = nodegroup.launch_template or {}
    actual["LaunchTemplate"] = {k: v for k, v in (("Id", template.get("id")), ("Name", template.get("name")),
                                                  ("Version", template.get("version"))) if v is not None} or None
    update = getattr(nodegroup, "update_config", None) or {}
    actual["UpdateConfig"] = {("MaxUnavailable" if k == "maxUnavailable" else "MaxUnavailablePercentage"): v
                              for k, v in update.items()
                              if k in ("maxUnavailable", "maxUnavailablePercentage")} or None
    remote = nodegroup.remote_access or {}
    actual["RemoteAccess"] = ({"Ec2SshKey": remote.get("ec2SshKey"),
                               "SourceSecurityGroups": list(remote.get("sourceSecurityGroups") or [])}
                              if remote else None)
    return actual


# -- nested stacks ------------------------------------------------------------------------


def read_nested_stack(resource: Any, props: dict[str, Any], account_id: str, region_name: str) -> Any:
    """A nested stack as its parent sees it: the child's parameters, tags, timeout and
    notification ARNs (``TemplateURL`` is write-only in the provider schema, so it is not
    compared; the child's own resources are not looked at)."""
    if not isinstance(resource, Stack):
        raise ReadFailure("the nested stack is not known")
    backend = cloudformation_backends[account_id][region_name]
    child = backend.stacks.get(resource.stack_id)
    if child is None or child.status == "DELETE_COMPLETE":
        return DELETED
    # the parameters the parent passes; the child's own defaults are not the parent's to set
    given = child.stack_parameters
    actual: dict[str, Any] = {"Parameters": {k: str(given[k]) for k in props.get("Parameters") or {} if k in given}}
    actual["Tags"] = _visible_tags(dict(child.tags or {}))
    if getattr(child, "timeout_in_minutes", None) is not None:
        actual["TimeoutInMinutes"] = child.timeout_in_minutes
    actual["NotificationARNs"] = list(getattr(child, "notification_arns", None) or [])
    return actual


#: Paths inside properties a reader returns that it cannot read (the sandbox does not keep
#: them); left out of the comparison. A top-level property a reader does not return at all
#: is not compared either.
NOT_READ: dict[str, list[tuple[str, ...]]] = {
    "AWS::EKS::Cluster": [("KubernetesNetworkConfig", "ElasticLoadBalancing"),
                          ("KubernetesNetworkConfig", "ServiceIpv6Cidr")],
}

#: CloudFormation types the sandbox checks for drift, with their readers. Any other type is
#: treated as one CloudFormation does not support: not checked (``NOT_CHECKED``).
READERS: dict[str, Reader] = {
    "AWS::EC2::SecurityGroup": read_security_group,
    "AWS::EC2::SecurityGroupIngress": _rule_reader(egress=False),
    "AWS::EC2::SecurityGroupEgress": _rule_reader(egress=True),
    "AWS::EKS::Cluster": read_eks_cluster,
    "AWS::EKS::Nodegroup": read_eks_nodegroup,
    "AWS::CloudFormation::Stack": read_nested_stack,
}
