"""The rules of eksctl's nodegroup launch-template and bootstrap options
(config/rules/nodegroup_options.py): each refusal names its field and says what is allowed."""

from __future__ import annotations

import pytest
import yaml

from eks_templates.config import parse_config
from eks_templates.errors import StackFileError
from tests.config.cases import BASE, SOURCE, TODAY, ng, outcome

EXISTING = {"vpc": {"id": "vpc-0123456789abcdef0", "publicAccessCIDRs": ["203.0.113.0/24"],
                    "subnets": {"private": {"ap-northeast-2a": {"id": "subnet-0123456789abcdef1"},
                                            "ap-northeast-2c": {"id": "subnet-0123456789abcdef2"}}}}}

CASES = [
    ({"ami": "ami-12"}, {}, "ami", "is not an AMI ID"),
    ({"amiFamily": "Bottlerocket", "preBootstrapCommands": ["x"]}, {}, "preBootstrapCommands", "TOML settings"),
    ({"amiFamily": "Bottlerocket", "overrideBootstrapCommand": "x"}, {}, "overrideBootstrapCommand",
     "TOML settings"),
    ({"overrideBootstrapCommand": "kind: NodeConfig"}, {}, "overrideBootstrapCommand",
     "apiVersion: node.eks.aws/v1alpha1, kind: NodeConfig"),
    ({"overrideBootstrapCommand": "[unclosed"}, {}, "overrideBootstrapCommand", "is not YAML"),
    ({"amiFamily": "Ubuntu2404", "overrideBootstrapCommand": "bootstrap.sh"}, {}, "overrideBootstrapCommand",
     "starting with #!"),
    ({"maxPodsPerNode": 0}, {}, "maxPodsPerNode", "give 1 or more"),
    ({"amiFamily": "Ubuntu2404", "maxPodsPerNode": 30, "overrideBootstrapCommand": "#!/bin/sh\n"}, {},
     "maxPodsPerNode", "is not applied with overrideBootstrapCommand"),
    ({"subnets": ["subnet-0123456789abcdef1"]}, {}, "subnets[0]", "this stack creates the VPC"),
    ({"subnets": ["nope"]}, EXISTING, "subnets[0]", "neither a subnet ID"),
    ({"efaEnabled": True}, {}, "efaEnabled", "one availability zone"),
    ({"efaEnabled": True, "subnets": ["subnet-0123456789abcdef1"], "securityGroups": {"withShared": False}},
     EXISTING, "efaEnabled", "all-traffic rule"),
    ({"securityGroups": {"attachIDs": ["default"]}}, {}, "securityGroups.attachIDs[0]", "not a security group id"),
    ({"securityGroups": {"withLocal": False}, "ssh": {"allow": True}}, {"bastion": {"enabled": True}},
     "securityGroups.withLocal", "ssh.allow needs"),
    ({"securityGroups": {"attachIDs": [f"sg-0{i}" for i in range(4)]}}, {}, "securityGroups.attachIDs",
     "puts 6 security groups"),
    ({"iam": {"instanceRoleARN": "arn:aws:iam::111122223333:role/n", "attachPolicyARNs": [
        "arn:aws:iam::aws:policy/X"]}}, {}, "iam.attachPolicyARNs", "grant it to your role"),
    ({"iam": {"instanceRoleARN": "nodes"}}, {}, "iam.instanceRoleARN", "is not an IAM role ARN"),
    ({"iam": {"attachPolicyARNs": ["AmazonS3ReadOnlyAccess"]}}, {}, "iam.attachPolicyARNs[0]",
     "is not an IAM policy ARN"),
    ({"iam": {"attachPolicyARNs": ["arn:aws-cn:iam::aws:policy/X"]}}, {}, "iam.attachPolicyARNs[0]",
     "partition 'aws-cn'"),
    ({"volumeType": "gp2", "volumeIOPS": 3000}, {}, "volumeIOPS", "use gp3, io1 or io2"),
    ({"volumeIOPS": 20000}, {}, "volumeIOPS", "3000 to 16000"),
    ({"volumeSize": 20, "volumeType": "io1", "volumeIOPS": 2000}, {}, "volumeIOPS", "50 IOPS per GiB"),
    ({"volumeType": "io2", "volumeThroughput": 200}, {}, "volumeThroughput", "gp3 only"),
    ({"volumeThroughput": 1001}, {}, "volumeThroughput", "125 to 1000"),
    ({"volumeThroughput": 800}, {}, "volumeThroughput", "0.25 MiB/s per IOPS"),
    ({"volumeKmsKeyID": "alias/ebs", "volumeEncrypted": False}, {}, "volumeKmsKeyID", "needs volumeEncrypted"),
    ({"volumeKmsKeyID": "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}, {},
     "volumeKmsKeyID", "cluster's region"),
    ({"nodeRepairConfig": {"enabled": True, "maxParallelNodesRepairedCount": 1,
                           "maxParallelNodesRepairedPercentage": 10}}, {},
     "nodeRepairConfig.maxParallelNodesRepairedPercentage", "cannot be given with"),
    ({"nodeRepairConfig": {"enabled": True, "maxUnhealthyNodeThresholdPercentage": 101}}, {},
     "nodeRepairConfig.maxUnhealthyNodeThresholdPercentage", "1 to 100"),
    ({"capacityReservation": {}}, {}, "capacityReservation", "is empty"),
    ({"capacityReservation": {"capacityReservationPreference": "open",
                              "capacityReservationTarget": {"capacityReservationID": "cr-0123456789abcdef0"}}}, {},
     "capacityReservation.capacityReservationTarget", "EC2 takes one of them"),
    ({"capacityReservation": {"capacityReservationTarget": {"capacityReservationID": "cr-1"}}}, {},
     "capacityReservation.capacityReservationTarget.capacityReservationID", "is not a capacity reservation ID"),
    ({"spot": True, "capacityReservation": {"capacityReservationPreference": "open"}}, {}, "capacityReservation",
     "spot is true"),
    ({"placement": {"groupName": " "}}, {}, "placement.groupName", "is empty"),
]


@pytest.mark.parametrize(("fields", "extra", "path", "fragment"), CASES, ids=[c[2] + "-" + c[3] for c in CASES])
def test_each_option_is_refused_where_aws_or_the_bootstrap_would(fields, extra, path, fragment):
    errors, _ = outcome({**extra, "managedNodeGroups": [ng(**fields)]})
    mine = [e for e in errors if e.startswith(f"{SOURCE}: managedNodeGroups[0].{path}: ")]
    assert mine and fragment in mine[0], errors


def test_a_custom_al2023_ami_needs_the_service_range_when_the_vpc_block_is_unknown():
    data = {**BASE, **EXISTING, "managedNodeGroups": [ng(ami="ami-0123456789abcdef0")]}
    with pytest.raises(StackFileError) as caught:
        parse_config(yaml.safe_dump(data), SOURCE, today=TODAY, on_warning=None)
    assert [m for m in caught.value.messages if "managedNodeGroups[0].ami:" in m] == [
        f"{SOURCE}: managedNodeGroups[0].ami: a custom AmazonLinux2023 AMI is told the cluster's service range, "
        "which this file does not give: set kubernetesNetworkConfig.serviceIPv4CIDR (or vpc.cidr)"]


def test_the_options_together_load():
    errors, _ = outcome({**EXISTING, "kubernetesNetworkConfig": {"serviceIPv4CIDR": "172.30.0.0/16"},
                         "managedNodeGroups": [ng(
                             ami="ami-0123456789abcdef0", maxPodsPerNode=58, preBootstrapCommands=["echo"],
                             subnets=["ap-northeast-2a"], volumeIOPS=6000, volumeThroughput=500,
                             securityGroups={"attachIDs": ["sg-0123456789abcdef3"]},
                             nodeRepairConfig={"enabled": True}, placement={"groupName": "g"},
                             capacityReservation={"capacityReservationPreference": "none"})]})
    assert errors == []
