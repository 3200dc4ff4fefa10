"""The nodes' generated SSH key: one ``AWS::EC2::KeyPair`` for every nodegroup with
``ssh.allow`` and no key of its own (``publicKeyName``, ``publicKey``, ``publicKeyPath``).

Created without ``PublicKeyMaterial``, so EC2 generates the key and CloudFormation keeps
its private half in SSM Parameter Store as the SecureString ``/ec2/keypair/<KeyPairId>``
(and deletes it with the key pair) — CloudFormation template reference,
``AWS::EC2::KeyPair``; EC2 user guide, "Create a key pair using AWS CloudFormation".

One key for the whole cluster, not one per nodegroup, and it is made by the security
groups' builder (in ``ControlPlaneStack`` with the default stack plan):

- the management host installs one private key as ``~/.ssh/id_rsa``, and
  ``ssh ec2-user@<node>`` (notes 3.1-3.5) then works on the nodes of every such
  nodegroup;
- its role may read exactly one parameter, whatever the number of nodegroups (a
  statement per nodegroup would grow the role's policy and the bastion stack's
  parameters with every nodegroup: 200 would not fit);
- the ``BastionStack`` already waits for the child with the security groups (its
  security group), so it gets the key's id without waiting for any nodegroup to become ACTIVE.

The key pair has no ``Tags``: every property of ``AWS::EC2::KeyPair`` is create-only
(cfn-lint's schema), and CloudFormation cannot replace a resource with a custom name
(``KeyName`` is required), so a tag change in ``metadata.tags`` would make the next
deploy fail.
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub, Template, ec2

from eks_templates.builders.base import Builder
from eks_templates.config.model import ClusterConfig, ManagedNodeGroup
from eks_templates.names import KEY_PARAMETER_PREFIX, NODE_KEY_NAME, NODE_KEY_PAIR_ID


def uses_generated_key(ng: ManagedNodeGroup) -> bool:
    """``ssh.allow`` and no key named in the file: the nodegroup gets the cluster's generated key."""
    ssh = ng.ssh
    return ssh.allow and not ssh.public_key_name and not ssh.public_key


def needs_generated_key(config: ClusterConfig) -> bool:
    return any(uses_generated_key(ng) for ng in config.managed_node_groups)


def add_generated_key(builder: Builder, template: Template) -> dict[str, Any]:
    """The key pair, added to ``template`` by ``builder``; returns the values of
    :data:`~eks_templates.names.NODE_KEY_NAME` and :data:`~eks_templates.names.NODE_KEY_PAIR_ID`."""
    key = builder.add(template, ec2.KeyPair(
        builder.lid("NodeKeyPair"),
        KeyName=Sub("${AWS::StackName}-nodes"),
        KeyType="rsa",  # installed as ~/.ssh/id_rsa on the management host
    ))
    return {NODE_KEY_NAME.name: Ref(key), NODE_KEY_PAIR_ID.name: GetAtt(key, "KeyPairId")}


def key_parameter_arn(key_pair_id: Any) -> Sub:
    """The ARN of the SSM parameter ``/ec2/keypair/<id>`` (a name starting with ``/``
    follows ``parameter`` directly in the ARN)."""
    return Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
               + KEY_PARAMETER_PREFIX + "${KeyPairId}", KeyPairId=key_pair_id)


__all__ = [
    "add_generated_key",
    "key_parameter_arn",
    "needs_generated_key",
    "uses_generated_key",
]
