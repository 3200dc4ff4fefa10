"""NodegroupBuilder: one test per managedNodeGroups field, plus the eksctl-shaped basics."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eks_templates.builders import NodegroupBuilder, cluster_builders
from eks_templates.config.model import ClusterConfig
from eks_templates.names import (
    MANAGEMENT_HOST_SG_ID,
    NODE_KEY_NAME,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
    VPC_ID,
    format_scaling,
    nodegroup_scaling_parameter,
)
from tests.builders.helpers import build, config, flat_resources, nodegroup, of_type, props, rendered, templates


def ng_builder(cfg: ClusterConfig, index: int = 0) -> NodegroupBuilder:
    return NodegroupBuilder(cfg, cfg.managed_node_groups[index])


def ng_resources(body: str = "", cfg: ClusterConfig | None = None) -> dict[str, Any]:
    template, _ = build(ng_builder(cfg or nodegroup(body)))
    return template.to_dict()["Resources"]


def managed(body: str = "", cfg: ClusterConfig | None = None) -> dict[str, Any]:
    return props(ng_resources(body, cfg), "ManagedNodeGroup")


def launch_data(body: str = "", cfg: ClusterConfig | None = None) -> dict[str, Any]:
    return props(ng_resources(body, cfg), "LaunchTemplate")["LaunchTemplateData"]


# --------------------------------------------------------------------------- the nodegroup


def test_defaults_are_eksctls_with_secure_launch_template():
    ng = managed()
    assert ng["NodegroupName"] == "ng"
    assert ng["ClusterName"] == {"Ref": "ClusterName"}
    assert ng["NodeRole"] == {"Fn::GetAtt": ["NodeInstanceRole", "Arn"]}
    assert ng["AmiType"] == "AL2023_x86_64_STANDARD"
    assert ng["InstanceTypes"] == ["m5.large"]
    assert ng["CapacityType"] == "ON_DEMAND"
    assert ng["LaunchTemplate"] == {"Id": {"Ref": "LaunchTemplate"},
                                    "Version": {"Fn::GetAtt": ["LaunchTemplate", "LatestVersionNumber"]}}
    assert "Labels" not in ng and "Taints" not in ng and "UpdateConfig" not in ng


def test_scaling_comes_from_one_root_parameter_with_the_files_values():
    cfg = nodegroup("desiredCapacity: 3\nminSize: 2\nmaxSize: 6", name="my-ng")
    builder = ng_builder(cfg)
    [(port, parameter)] = builder.root_parameters()
    assert port.name == parameter.title == nodegroup_scaling_parameter("my-ng") == "NodegroupMyNgScaling"
    assert parameter.properties["Type"] == "CommaDelimitedList"
    assert parameter.properties["Default"] == format_scaling(3, 2, 6) == "3,2,6"
    assert port in builder.inputs
    scaling = managed(cfg=cfg)["ScalingConfig"]
    assert scaling == {key: {"Fn::Select": [i, {"Ref": "NodegroupMyNgScaling"}]}
                       for i, key in enumerate(("DesiredSize", "MinSize", "MaxSize"))}
    root = templates(rendered(cfg))["root.json"]
    assert root["Parameters"]["NodegroupMyNgScaling"]["Default"] == "3,2,6"
    stack = root["Resources"]["NodegroupMyNgStack"]["Properties"]["Parameters"]
    # the child's parameter has one name for every nodegroup (same-shape nodegroups share the template)
    assert stack["NodegroupScaling"] == {"Fn::Join": [",", {"Ref": "NodegroupMyNgScaling"}]}
    assert stack["NodegroupName"] == "my-ng"


def test_instance_type_and_instance_types():
    assert managed("instanceType: t3.medium")["InstanceTypes"] == ["t3.medium"]
    assert managed("instanceTypes: [m6i.large, m5.large]")["InstanceTypes"] == ["m6i.large", "m5.large"]


def test_spot():
    assert managed("spot: true")["CapacityType"] == "SPOT"
    assert managed("spot: false")["CapacityType"] == "ON_DEMAND"


def test_labels_are_sorted():
    assert managed("labels: {zeta: z, alpha: a}")["Labels"] == {"alpha": "a", "zeta": "z"}


def test_taints_map_effects_to_the_eks_api():
    taints = managed("""taints:
  - {key: dedicated, value: gpu, effect: NoSchedule}
  - {key: spot, effect: PreferNoSchedule}
  - {key: drain, value: 'true', effect: NoExecute}""")["Taints"]
    assert taints == [
        {"Key": "dedicated", "Value": "gpu", "Effect": "NO_SCHEDULE"},
        {"Key": "spot", "Effect": "PREFER_NO_SCHEDULE"},
        {"Key": "drain", "Value": "true", "Effect": "NO_EXECUTE"},
    ]


@pytest.mark.parametrize(("body", "expected"), [
    ("updateConfig: {maxUnavailable: 2}", {"MaxUnavailable": 2}),
    ("updateConfig: {maxUnavailablePercentage: 33}", {"MaxUnavailablePercentage": 33}),
])
def test_update_config(body, expected):
    assert managed(body)["UpdateConfig"] == expected


def test_tags_merge_cluster_and_nodegroup_tags():
    cfg = config("metadata: {name: demo, region: ap-northeast-2, tags: {team: a, env: dev}}\n"
                 "managedNodeGroups: [{name: ng, tags: {env: prod, cost: '7'}}]\n")
    assert managed(cfg=cfg)["Tags"] == {"cost": "7", "env": "prod", "team": "a"}
    instance = launch_data(cfg=cfg)["TagSpecifications"][0]["Tags"]
    assert {"Key": "env", "Value": "prod"} in instance


def test_private_networking_chooses_the_subnets():
    private = ng_builder(nodegroup("privateNetworking: true"))
    public = ng_builder(nodegroup("privateNetworking: false"))
    assert PRIVATE_SUBNET_IDS in private.inputs and PUBLIC_SUBNET_IDS not in private.inputs
    assert PUBLIC_SUBNET_IDS in public.inputs and PRIVATE_SUBNET_IDS not in public.inputs
    assert managed("privateNetworking: false")["Subnets"] == {"Ref": "PublicSubnetIds"}
    assert managed()["Subnets"] == {"Ref": "PrivateSubnetIds"}  # our default


# --------------------------------------------------------------------------- AMI families


@pytest.mark.parametrize(("family", "types", "expected"), [
    ("AmazonLinux2023", "[m5.large]", "AL2023_x86_64_STANDARD"),
    ("AmazonLinux2023", "[m7g.large, c7g.large]", "AL2023_ARM_64_STANDARD"),
    ("AmazonLinux2023", "[g5.xlarge]", "AL2023_x86_64_NVIDIA"),
    ("AmazonLinux2023", "[inf2.xlarge]", "AL2023_x86_64_NEURON"),
    ("AmazonLinux2", "[m5.large]", "AL2_x86_64"),
    ("AmazonLinux2", "[m6g.large]", "AL2_ARM_64"),
    ("AmazonLinux2", "[p3.2xlarge]", "AL2_x86_64_GPU"),
    ("Bottlerocket", "[m5.large]", "BOTTLEROCKET_x86_64"),
    ("Bottlerocket", "[m6g.large]", "BOTTLEROCKET_ARM_64"),
    ("Bottlerocket", "[g4dn.xlarge]", "BOTTLEROCKET_x86_64_NVIDIA"),
])
def test_ami_family_to_ami_type(family, types, expected):
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n"
                 f"managedNodeGroups: [{{name: ng, amiFamily: {family}, instanceTypes: {types}}}]\n")
    assert managed(cfg=cfg)["AmiType"] == expected


@pytest.mark.parametrize(("family", "device"), [
    ("AmazonLinux2023", "/dev/xvda"), ("AmazonLinux2", "/dev/xvda"), ("Ubuntu2204", "/dev/sda1")])
def test_volume_device_per_ami_family(family, device):
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n"
                 f"managedNodeGroups: [{{name: ng, amiFamily: {family}}}]\n")
    [mapping] = launch_data(cfg=cfg)["BlockDeviceMappings"]
    assert mapping["DeviceName"] == device


def test_bottlerocket_volume_size_is_the_data_volume_and_both_are_encrypted():
    mappings = launch_data("amiFamily: Bottlerocket\nvolumeSize: 40")["BlockDeviceMappings"]
    assert [m["DeviceName"] for m in mappings] == ["/dev/xvda", "/dev/xvdb"]
    assert mappings[1]["Ebs"]["VolumeSize"] == 40
    assert all(m["Ebs"]["Encrypted"] is True for m in mappings)
    assert "VolumeSize" not in mappings[0]["Ebs"]


@pytest.mark.parametrize(("family", "version", "types", "path"), [
    ("Ubuntu2204", "1.32", "[m5.large]",
     "/aws/service/canonical/ubuntu/eks/22.04/1.32/stable/current/amd64/hvm/ebs-gp2/ami-id"),
    ("Ubuntu2204", "1.31", "[m6g.large]",
     "/aws/service/canonical/ubuntu/eks/22.04/1.31/stable/current/arm64/hvm/ebs-gp2/ami-id"),
    ("Ubuntu2404", "1.35", "[m5.large]",
     "/aws/service/canonical/ubuntu/eks/24.04/1.35/stable/current/amd64/hvm/ebs-gp3/ami-id"),
])
def test_ubuntu_is_a_custom_ami_from_canonicals_ssm_parameter(family, version, types, path):
    cfg = config(f"metadata: {{name: demo, region: ap-northeast-2, version: '{version}'}}\n"
                 f"managedNodeGroups: [{{name: ng, amiFamily: {family}, instanceTypes: {types}}}]\n")
    builder = ng_builder(cfg)
    template, _ = build(builder)
    data = template.to_dict()
    assert "AmiType" not in data["Resources"]["ManagedNodeGroup"]["Properties"]
    parameter = data["Parameters"]["UbuntuImageId"]
    assert parameter == {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": path,
                         "Description": parameter["Description"]}
    lt = data["Resources"]["LaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert lt["ImageId"] == {"Ref": "UbuntuImageId"}
    assert {"ClusterEndpoint", "CertificateAuthorityData"} <= {p.name for p in builder.inputs}


def _ng_props(cfg: ClusterConfig) -> dict[str, Any]:
    return props(ng_resources(cfg=cfg), "ManagedNodeGroup")


def test_nodegroup_follows_the_cluster_version():
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.34'}\n"
                 "managedNodeGroups: [{name: ng}]\n")
    p = _ng_props(cfg)
    assert p["Version"] == "1.34"
    assert "ReleaseVersion" not in p


def test_nodegroup_pins_its_version_and_release():
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.34'}\n"
                 "managedNodeGroups: [{name: ng, amiFamily: Bottlerocket, version: '1.33', releaseVersion: "
                 "'1.50.0-1a2b3c4d'}]\n")
    p = _ng_props(cfg)
    assert (p["Version"], p["ReleaseVersion"]) == ("1.33", "1.50.0-1a2b3c4d")


def test_ubuntu_nodegroup_has_no_version_and_its_image_follows_the_nodegroup_version():
    # EKS: with a custom AMI in the launch template, don't specify version (CreateNodegroup)
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.34'}\n"
                 "managedNodeGroups: [{name: ng, amiFamily: Ubuntu2404, version: '1.33'}]\n")
    builder = ng_builder(cfg)
    template, _ = build(builder)
    data = template.to_dict()
    assert "Version" not in data["Resources"]["ManagedNodeGroup"]["Properties"]
    assert "ReleaseVersion" not in data["Resources"]["ManagedNodeGroup"]["Properties"]
    assert "/24.04/1.33/stable/" in data["Parameters"]["UbuntuImageId"]["Default"]


def test_ubuntu_2004_image_path():
    import datetime as dt

    from eks_templates.builders.nodegroup import ubuntu_image_parameter_path
    from eks_templates.config import parse_config

    text = ("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n"
            "metadata: {name: demo, region: ap-northeast-2, version: '1.29'}\n"
            "vpc: {publicAccessCIDRs: [203.0.113.0/24]}\n"
            "managedNodeGroups: [{name: ng, amiFamily: Ubuntu2004}]\n")
    cfg = parse_config(text, "t.yaml", today=dt.date(2025, 1, 1), on_warning=None)
    assert ubuntu_image_parameter_path(cfg, cfg.managed_node_groups[0]) == (
        "/aws/service/canonical/ubuntu/eks/20.04/1.29/stable/current/amd64/hvm/ebs-gp2/ami-id")


def test_ubuntu_user_data_bootstraps_with_endpoint_ca_labels_and_taints():
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n"
                 "managedNodeGroups: [{name: ng, amiFamily: Ubuntu2204, spot: true, labels: {role: web},"
                 " taints: [{key: k, value: v, effect: NoSchedule}]}]\n")
    script, variables = launch_data(cfg=cfg)["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert script.startswith("#!/bin/bash\n")
    assert "/etc/eks/bootstrap.sh '${ClusterName}'" in script
    assert "--apiserver-endpoint '${Endpoint}'" in script
    assert "--b64-cluster-ca '${CertificateAuthority}'" in script
    assert ("--node-labels=eks.amazonaws.com/capacityType=SPOT,eks.amazonaws.com/nodegroup=ng,role=web" in script)
    assert "--register-with-taints=k=v:NoSchedule" in script
    assert variables == {"ClusterName": {"Ref": "ClusterName"}, "Endpoint": {"Ref": "ClusterEndpoint"},
                         "CertificateAuthority": {"Ref": "CertificateAuthorityData"}}


def ubuntu_script(extra: str) -> str:
    """The Ubuntu nodegroup's user data, the Fn::Sub variables filled in as CloudFormation would."""
    cfg = config(extra + "managedNodeGroups: [{name: ng, amiFamily: Ubuntu2404}]\n")
    script, variables = launch_data(cfg=cfg)["UserData"]["Fn::Base64"]["Fn::Sub"]
    for name in variables:
        script = script.replace("${" + name + "}", f"<{name}>")
    assert "${" not in script  # every other $ is the shell's, which Fn::Sub must leave alone
    return script


def bootstrap_argv(script: str) -> list[str]:
    """The bootstrap.sh command line of the script, as the shell splits it."""
    joined = script.replace("\\\n", " ")
    [line] = [line for line in joined.splitlines() if line.startswith("/etc/eks/bootstrap.sh")]
    return shlex.split(line)


def argument(argv: list[str], flag: str) -> str:
    assert argv.count(flag) == 1, argv
    return argv[argv.index(flag) + 1]


EXISTING_VPC = ("vpc: {id: vpc-0123456789abcdef0, publicAccessCIDRs: [203.0.113.0/24], subnets: {private: "
                "{ap-northeast-2a: {id: subnet-0a0a0a0a}, ap-northeast-2c: {id: subnet-0c0c0c0c}}}")


@pytest.mark.parametrize(("extra", "address"), [
    ("kubernetesNetworkConfig: {serviceIPv4CIDR: 172.30.0.0/16}\n", "172.30.0.10"),
    ("vpc: {cidr: 192.168.0.0/16, publicAccessCIDRs: [203.0.113.0/24]}\n"
     "kubernetesNetworkConfig: {serviceIPv4CIDR: 10.96.0.0/12}\n", "10.96.0.10"),
    ("", "10.100.0.10"),  # the default 192.168.0.0/16 VPC: EKS picks 10.100.0.0/16
    ("vpc: {cidr: 10.40.0.0/16, publicAccessCIDRs: [203.0.113.0/24]}\n", "172.20.0.10"),  # VPC in 10/8
    (EXISTING_VPC + ", cidr: 10.1.0.0/16}\n", "172.20.0.10"),  # an existing VPC whose block is written
], ids=["service-cidr", "service-cidr-in-ten", "default-vpc", "vpc-in-ten", "existing-vpc-with-cidr"])
def test_ubuntu_bootstrap_always_gets_the_cluster_dns_address(extra: str, address: str):
    argv = bootstrap_argv(ubuntu_script(extra))
    assert argument(argv, "--dns-cluster-ip") == address
    assert argument(argv, "--apiserver-endpoint") == "<Endpoint>"
    assert argument(argv, "--b64-cluster-ca") == "<CertificateAuthority>"


def run_user_data(script: str, tmp_path: Path, *, blocks: str | None) -> tuple[int, list[str]]:
    """Run the script with bootstrap.sh and curl replaced by stubs: curl answers IMDSv2 as
    EC2 does (a token first; ``blocks`` for the VPC's CIDR blocks; ``None``: unreachable).
    Returns the exit status and the arguments bootstrap.sh got."""
    calls = tmp_path / "bootstrap-argv"
    (tmp_path / "bootstrap.sh").write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > {calls}\n')
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "curl").write_text(
        "#!/bin/bash\n"
        + ("exit 7\n" if blocks is None else "")
        + 'args="$*"\n'
        'case "$args" in\n'
        '  *"-X PUT"*api/token*) echo TOKEN;;\n'
        '  *"X-aws-ec2-metadata-token: TOKEN"*/meta-data/mac) echo 0e:11:22:33:44:55;;\n'
        '  *"X-aws-ec2-metadata-token: TOKEN"*/macs/0e:11:22:33:44:55/vpc-ipv4-cidr-blocks) printf "$BLOCKS";;\n'
        '  *) echo "unexpected: $args" >&2; exit 22;;\n'
        "esac\n")
    for stub in (tmp_path / "bootstrap.sh", tmp_path / "bin" / "curl"):
        stub.chmod(0o755)
    (tmp_path / "user-data").write_text(script.replace("/etc/eks/bootstrap.sh", str(tmp_path / "bootstrap.sh")))
    env = {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "BLOCKS": blocks or ""}
    done = subprocess.run(["bash", str(tmp_path / "user-data")], env=env, capture_output=True, text=True, timeout=30)
    return done.returncode, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.parametrize(("blocks", "address"), [
    ("10.1.0.0/16\n", "172.20.0.10"),
    ("192.168.0.0/16\n10.2.0.0/16\n", "172.20.0.10"),  # any block in 10.0.0.0/8, as bootstrap.sh counts
    ("192.168.0.0/16\n100.64.0.0/16\n", "10.100.0.10"),
])
def test_ubuntu_on_an_existing_vpc_of_unknown_block_finds_the_address_at_boot(tmp_path, blocks, address):
    script = ubuntu_script(EXISTING_VPC + "}\n")
    assert argument(bootstrap_argv(script), "--dns-cluster-ip") == "$DNS_CLUSTER_IP"  # worked out at boot
    status, argv = run_user_data(script, tmp_path, blocks=blocks)
    assert status == 0
    assert argument(argv, "--dns-cluster-ip") == address
    assert argv[0] == "<ClusterName>"


def test_ubuntu_user_data_stops_before_bootstrap_when_imds_does_not_answer(tmp_path):
    status, argv = run_user_data(ubuntu_script(EXISTING_VPC + "}\n"), tmp_path, blocks=None)
    assert status != 0 and argv == []  # no node joins with a guessed DNS address


def test_amazon_linux_has_no_user_data_or_image():
    data = launch_data()
    assert "UserData" not in data and "ImageId" not in data


# --------------------------------------------------------------------------- launch template


def test_volume_size_type_and_encryption():
    [mapping] = launch_data("volumeSize: 30\nvolumeType: gp3")["BlockDeviceMappings"]
    assert mapping["Ebs"] == {"VolumeSize": 30, "VolumeType": "gp3", "Encrypted": True, "DeleteOnTermination": True,
                              "Iops": 3000, "Throughput": 125}
    [gp2] = launch_data("volumeType: gp2")["BlockDeviceMappings"]
    assert "Iops" not in gp2["Ebs"] and "Throughput" not in gp2["Ebs"]
    [io1] = launch_data("volumeType: io1")["BlockDeviceMappings"]
    assert io1["Ebs"]["Iops"] == 100


def test_volume_encrypted_false_is_written():
    [mapping] = launch_data("volumeEncrypted: false")["BlockDeviceMappings"]
    assert mapping["Ebs"]["Encrypted"] is False


def test_disable_imdsv1():
    assert launch_data()["MetadataOptions"] == {"HttpEndpoint": "enabled", "HttpTokens": "required",
                                                "HttpPutResponseHopLimit": 1}
    res = ng_resources("disableIMDSv1: false")
    assert props(res, "LaunchTemplate")["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == "optional"
    assert res["LaunchTemplate"]["Metadata"]["checkov"]["skip"][0]["id"] == "CKV_AWS_79"
    assert "Metadata" not in ng_resources()["LaunchTemplate"]


def test_security_groups_and_tag_specifications():
    data = launch_data()
    assert data["SecurityGroupIds"] == [{"Ref": "ClusterSecurityGroupId"}, {"Ref": "ClusterSharedNodeSecurityGroupId"}]
    assert [t["ResourceType"] for t in data["TagSpecifications"]] == ["instance", "volume", "network-interface"]
    for spec in data["TagSpecifications"]:
        assert {"Key": "Name", "Value": "demo-ng-Node"} in spec["Tags"]


# --------------------------------------------------------------------------- ssh


def test_ssh_allow_makes_remote_access_open_to_the_management_host_only():
    cfg = config("bastion: {enabled: true}\nmanagedNodeGroups: [{name: ng, ssh: {allow: true}}]\n")
    builder = ng_builder(cfg)
    assert {VPC_ID, MANAGEMENT_HOST_SG_ID} <= set(builder.inputs)
    template, outputs = build(builder)
    res = template.to_dict()["Resources"]
    group = props(res, "SSH")
    assert "GroupName" not in group  # CloudFormation names it: EC2 refuses names from "sg-" stacks
    assert "SecurityGroupIngress" not in group
    rules = of_type(res, "AWS::EC2::SecurityGroupIngress")
    assert list(rules) == ["SSHIngressManagementHost"]
    rule = rules["SSHIngressManagementHost"]["Properties"]
    assert rule["SourceSecurityGroupId"] == {"Ref": "ManagementHostSecurityGroupId"}
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 22, 22)
    assert rule["Description"]
    assert props(res, "LaunchTemplate")["LaunchTemplateData"]["SecurityGroupIds"][-1] == {"Ref": "SSH"}
    assert outputs["NgRemoteAccessSecurityGroupId"].to_dict() == {"Ref": "SSH"}


def test_ssh_source_security_group_ids():
    cfg = config("managedNodeGroups: [{name: ng, ssh: {allow: true, "
                 "sourceSecurityGroupIds: [sg-0123456789abcdef0]}}]\n")
    res = ng_resources(cfg=cfg)
    rules = of_type(res, "AWS::EC2::SecurityGroupIngress")
    assert [r["Properties"]["SourceSecurityGroupId"] for r in rules.values()] == ["sg-0123456789abcdef0"]


def test_no_ssh_no_remote_access_and_no_key():
    res = ng_resources()
    assert not of_type(res, "AWS::EC2::SecurityGroup")
    assert "KeyName" not in props(res, "LaunchTemplate")["LaunchTemplateData"]
    assert VPC_ID not in ng_builder(nodegroup()).inputs


def test_ssh_public_key_name_uses_an_existing_key():
    assert launch_data("ssh: {allow: true, publicKeyName: ops}")["KeyName"] == "ops"


def test_ssh_without_a_key_uses_the_clusters_generated_key():
    """Issue 10 item 2: before, ssh.allow without a key opened port 22 and put no key on the nodes."""
    builder = ng_builder(nodegroup("ssh: {allow: true}"))
    assert NODE_KEY_NAME in builder.inputs
    template, _ = build(builder)
    res = template.to_dict()["Resources"]
    assert props(res, "LaunchTemplate")["LaunchTemplateData"]["KeyName"] == {"Ref": "NodeKeyName"}
    assert not of_type(res, "AWS::EC2::KeyPair")  # the key lives in the SecurityStack, once per cluster


def test_a_named_or_given_key_needs_no_generated_key():
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFYjaewzpICNUdY/SjyT41lyc/Yw14lNp5Kjcb9XOXqS me@example.com"
    for body in ("ssh: {allow: true, publicKeyName: ops}", f"ssh: {{allow: true, publicKey: '{key}'}}", ""):
        assert NODE_KEY_NAME not in ng_builder(nodegroup(body)).inputs, body


def test_ssh_public_key_is_imported(tmp_path):
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFYjaewzpICNUdY/SjyT41lyc/Yw14lNp5Kjcb9XOXqS me@example.com"
    res = ng_resources(f"ssh: {{allow: true, publicKey: '{key}'}}")
    assert props(res, "KeyPair")["PublicKeyMaterial"] == key
    assert props(res, "KeyPair")["KeyName"] == {"Fn::Sub": "${AWS::StackName}-ng"}
    assert props(res, "LaunchTemplate")["LaunchTemplateData"]["KeyName"] == {"Ref": "KeyPair"}


def test_ssh_public_key_path_is_read_by_the_loader_and_imported(tmp_path):
    from eks_templates.config import load_stack

    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFYjaewzpICNUdY/SjyT41lyc/Yw14lNp5Kjcb9XOXqS me@example.com"
    (tmp_path / "id.pub").write_text(key + "\n")
    (tmp_path / "c.yaml").write_text(
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: demo, region: ap-northeast-2}\n"
        "vpc: {publicAccessCIDRs: [203.0.113.0/24]}\n"
        "managedNodeGroups: [{name: ng, ssh: {allow: true, publicKeyPath: id.pub}}]\n")
    cfg = load_stack(str(tmp_path / "c.yaml"), on_warning=None)
    assert props(ng_resources(cfg=cfg), "KeyPair")["PublicKeyMaterial"] == key


# --------------------------------------------------------------------------- node role


def managed_policy_names(res: dict[str, Any]) -> list[str]:
    return [p["Fn::Sub"].rsplit("/", 1)[-1] for p in props(res, "NodeInstanceRole")["ManagedPolicyArns"]]


def test_node_role_policies_as_eksctl():
    res = ng_resources()
    assert managed_policy_names(res) == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy",
                                         "AmazonEKS_CNI_Policy", "AmazonSSMManagedInstanceCore"]
    role = props(res, "NodeInstanceRole")
    assert role["Path"] == "/"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == [
        {"Fn::FindInMap": ["ServicePrincipalPartitionMap", {"Ref": "AWS::Partition"}, "EC2"]}]


def test_cni_policy_stays_with_oidc_and_leaves_when_vpc_cni_has_its_own_role():
    with_oidc = config("iam: {withOIDC: true}\nmanagedNodeGroups: [{name: ng}]\n")
    assert "AmazonEKS_CNI_Policy" in managed_policy_names(ng_resources(cfg=with_oidc))
    irsa = config("iam: {withOIDC: true}\n"
                  "addons: [{name: vpc-cni, serviceAccountRoleARN: 'arn:aws:iam::111122223333:role/cni'}]\n"
                  "managedNodeGroups: [{name: ng}]\n")
    assert "AmazonEKS_CNI_Policy" not in managed_policy_names(ng_resources(cfg=irsa))


def statements(res: dict[str, Any], policy: str) -> list[dict[str, Any]]:
    return list(props(res, policy)["PolicyDocument"]["Statement"])


def actions_of(res: dict[str, Any], policy: str) -> set[str]:
    return {a for s in statements(res, policy) for a in s["Action"]}


def test_addon_policy_external_dns():
    res = ng_resources("iam: {withAddonPolicies: {externalDNS: true}}")
    assert props(res, "PolicyExternalDNSChangeSet")["Roles"] == [{"Ref": "NodeInstanceRole"}]
    [change] = statements(res, "PolicyExternalDNSChangeSet")
    assert change["Action"] == ["route53:ChangeResourceRecordSets"]
    assert change["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:route53:::hostedzone/*"}]
    assert actions_of(res, "PolicyExternalDNSHostedZones") == {
        "route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource",
        "route53:ListTagsForResources"}
    star = [s for s in statements(res, "PolicyExternalDNSHostedZones") if s["Resource"] == ["*"]]
    assert [s["Action"] for s in star] == [["route53:ListHostedZones"]]  # the only one that takes no resource


def test_addon_policy_cert_manager():
    res = ng_resources("iam: {withAddonPolicies: {certManager: true}}")
    assert actions_of(res, "PolicyCertManagerChangeSet") == {"route53:ChangeResourceRecordSets"}
    assert actions_of(res, "PolicyCertManagerGetChange") == {"route53:GetChange"}
    assert statements(res, "PolicyCertManagerGetChange")[0]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:route53:::change/*"}]
    assert actions_of(res, "PolicyCertManagerHostedZones") == {
        "route53:ListResourceRecordSets", "route53:ListHostedZonesByName"}


def test_addon_policy_auto_scaler_scoped_to_this_cluster():
    res = ng_resources("iam: {withAddonPolicies: {autoScaler: true}}")
    writes = [s for s in statements(res, "PolicyAutoScaling")
              if "autoscaling:SetDesiredCapacity" in s["Action"]]
    assert writes[0]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/demo": "owned"}}
    assert "autoscaling:DescribeAutoScalingGroups" in actions_of(res, "PolicyAutoScaling")


def test_addon_policy_ebs_and_alb_ingress_carry_their_conditions():
    res = ng_resources("iam: {withAddonPolicies: {ebs: true, albIngress: true}}")
    creates = [s for s in statements(res, "PolicyEBS") if s["Action"] == ["ec2:CreateVolume"]]
    assert all("Condition" in s for s in creates)
    assert "elasticloadbalancing:CreateLoadBalancer" in actions_of(res, "PolicyAWSLoadBalancerController")
    for name in ("PolicyEBS", "PolicyAWSLoadBalancerController"):
        [skip] = res[name]["Metadata"]["checkov"]["skip"]
        assert skip["id"] == "CKV_AWS_111" and skip["comment"]


def test_addon_policy_cloud_watch_is_the_managed_policy():
    res = ng_resources("iam: {withAddonPolicies: {cloudWatch: true}}")
    assert "CloudWatchAgentServerPolicy" in managed_policy_names(res)


def test_no_addon_policies_by_default():
    assert not of_type(ng_resources(), "AWS::IAM::Policy")


def test_policies_never_hard_code_the_partition():
    res = ng_resources("iam: {withAddonPolicies: {externalDNS: true, certManager: true, ebs: true, "
                       "albIngress: true, autoScaler: true, cloudWatch: true}}")
    assert "arn:aws:" not in json.dumps(res)


# --------------------------------------------------------------------------- several nodegroups


def test_two_nodegroups_get_two_stacks_and_do_not_collide_flat():
    cfg = config("managedNodeGroups: [{name: blue, ssh: {allow: true}}, {name: green, ssh: {allow: true}}]\n")
    ids = [b.child_id for b in cluster_builders(cfg) if isinstance(b, NodegroupBuilder)]
    assert ids == ["NodegroupBlueStack", "NodegroupGreenStack"]
    res = flat_resources(cfg)
    for color in ("Blue", "Green"):
        assert res[f"Nodegroup{color}ManagedNodeGroup"]["Type"] == "AWS::EKS::Nodegroup"
        assert res[f"Nodegroup{color}LaunchTemplate"]["Type"] == "AWS::EC2::LaunchTemplate"
    names = {json.dumps(res[f"Nodegroup{c}LaunchTemplate"]["Properties"]["LaunchTemplateName"])
             for c in ("Blue", "Green")}
    assert len(names) == 2
    assert not [k for k, v in res.items() if "GroupName" in v.get("Properties", {})]
    assert len([k for k, v in res.items() if v["Type"] == "AWS::IAM::Role" and "NodeInstanceRole" in k]) == 2


def test_remote_access_group_ids_are_root_outputs():
    cfg = config("bastion: {enabled: true}\nmanagedNodeGroups: [{name: blue, ssh: {allow: true}}]\n")
    outputs = templates(rendered(cfg))["root.json"]["Outputs"]
    assert outputs["BlueRemoteAccessSecurityGroupId"]["Value"] == {
        "Fn::GetAtt": ["NodegroupBlueStack", "Outputs.RemoteAccessSecurityGroupId"]}


def test_user_data_is_valid_base64_free_of_secrets():
    # the only user data is Ubuntu's bootstrap: nothing secret goes in (checkov CKV_AWS_46 looks too)
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n"
                 "managedNodeGroups: [{name: ng, amiFamily: Ubuntu2204}]\n")
    script = launch_data(cfg=cfg)["UserData"]["Fn::Base64"]["Fn::Sub"][0]
    base64.b64encode(script.encode())  # plain text that CloudFormation encodes
    assert "secret" not in script.lower() and "password" not in script.lower()


def test_remote_access_root_outputs_stop_before_the_output_quota():
    from eks_templates.names import MAX_REMOTE_ACCESS_ROOT_OUTPUTS

    def root_outputs(count: int) -> dict[str, Any]:
        groups = ", ".join(f"{{name: ng{i}, ssh: {{allow: true}}}}" for i in range(count))
        cfg = config(f"bastion: {{enabled: true}}\nmanagedNodeGroups: [{groups}]\n")
        return dict(templates(rendered(cfg))["root.json"]["Outputs"])

    many = root_outputs(MAX_REMOTE_ACCESS_ROOT_OUTPUTS)
    assert len([n for n in many if n.endswith("RemoteAccessSecurityGroupId")]) == MAX_REMOTE_ACCESS_ROOT_OUTPUTS
    assert len(many) <= 200
    too_many = root_outputs(MAX_REMOTE_ACCESS_ROOT_OUTPUTS + 1)
    assert not [n for n in too_many if n.endswith("RemoteAccessSecurityGroupId")]
    assert "ClusterName" in too_many
