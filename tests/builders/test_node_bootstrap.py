"""eksctl's launch-template, bootstrap and hardware options of a managed nodegroup
(issue 14 item 3): the rendered properties, and the user data parsed back — MIME parts
with email.parser, nodeadm NodeConfig with yaml, Bottlerocket settings with tomllib,
bootstrap.sh with shlex — never matched as a string."""

from __future__ import annotations

import email.parser
import shlex
import tomllib
from email.message import Message
from typing import Any

import yaml

from eks_templates.builders.node_bootstrap import BOUNDARY
from tests.builders.helpers import nodegroup
from tests.builders.test_nodegroup import launch_data, managed, ng_resources

EXISTING = """
vpc:
  id: vpc-0123456789abcdef0
  cidr: 10.20.0.0/16
  publicAccessCIDRs: [203.0.113.0/24]
  subnets:
    private:
      ap-northeast-2a: {id: subnet-0123456789abcdef1}
      ap-northeast-2c: {id: subnet-0123456789abcdef2}
"""
VALUES = {"ClusterName": "demo", "Endpoint": "https://ABC.gr7.ap-northeast-2.eks.amazonaws.com",
          "CertificateAuthority": "Q0EgZGF0YQ=="}


def user_data(body: str, extra: str = "") -> str:
    """The launch template's user data as the node gets it: Fn::Sub filled in as
    CloudFormation would (``${!x}`` -> ``${x}``)."""
    cfg = nodegroup(body) if not extra else _with(extra, body)
    value = launch_data(cfg=cfg)["UserData"]["Fn::Base64"]
    if isinstance(value, str):
        return value
    text, variables = value["Fn::Sub"]
    assert set(variables) <= set(VALUES)
    for name in variables:
        text = text.replace("${" + name + "}", VALUES[name])
    assert "${" not in text.replace("${!", "")  # nothing else for Fn::Sub to resolve
    return text.replace("${!", "${")


def _with(extra: str, body: str) -> Any:
    from tests.builders.helpers import config

    lines = "".join(f"    {line}\n" for line in body.strip().splitlines())
    return config(extra + f"managedNodeGroups:\n  - name: ng\n{lines}")


def parts(text: str) -> list[Message]:
    message = email.parser.Parser().parsestr(text)
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_boundary() == BOUNDARY
    assert message.defects == []
    payload = message.get_payload()
    assert isinstance(payload, list)
    return payload


def node_configs(text: str) -> list[dict[str, Any]]:
    return [yaml.safe_load(p.get_payload()) for p in parts(text) if p.get_content_type() == "application/node.eks.aws"]


def scripts(text: str) -> list[str]:
    return [p.get_payload() for p in parts(text) if p.get_content_type() == "text/x-shellscript"]


# --------------------------------------------------------------------------- ami: a custom image


def test_custom_al2023_ami_gets_image_no_ami_type_and_a_full_node_config():
    body = ("ami: ami-0123456789abcdef0\nlabels: {role: db}\n"
            "taints: [{key: dedicated, value: db, effect: NoSchedule}]\n")
    cfg = _with("kubernetesNetworkConfig: {serviceIPv4CIDR: 172.30.0.0/16}\n", body)
    assert launch_data(cfg=cfg)["ImageId"] == "ami-0123456789abcdef0"
    # CreateNodegroup: a launch template with a custom AMI takes no amiType (EKS reports CUSTOM)
    assert "AmiType" not in managed(cfg=cfg)
    [config] = node_configs(user_data(body, "kubernetesNetworkConfig: {serviceIPv4CIDR: 172.30.0.0/16}\n"))
    assert config["apiVersion"] == "node.eks.aws/v1alpha1" and config["kind"] == "NodeConfig"
    assert config["spec"]["cluster"] == {"name": "demo", "apiServerEndpoint": VALUES["Endpoint"],
                                         "certificateAuthority": VALUES["CertificateAuthority"],
                                         "cidr": "172.30.0.0/16"}
    kubelet = config["spec"]["kubelet"]
    assert kubelet["config"] == {"clusterDNS": ["172.30.0.10"]}
    assert ("--node-labels=eks.amazonaws.com/capacityType=ON_DEMAND,eks.amazonaws.com/nodegroup=ng,role=db"
            in kubelet["flags"])
    assert "--register-with-taints=dedicated=db:NoSchedule" in kubelet["flags"]


def test_custom_al2023_ami_in_the_default_vpc_gets_ekss_default_service_range():
    [config] = node_configs(user_data("ami: ami-0123456789abcdef0\n"))
    assert config["spec"]["cluster"]["cidr"] == "10.100.0.0/16"  # the 192.168.0.0/16 VPC
    assert config["spec"]["kubelet"]["config"]["clusterDNS"] == ["10.100.0.10"]


def test_custom_bottlerocket_ami_gets_toml_settings():
    text = user_data("amiFamily: Bottlerocket\nami: ami-0123456789abcdef0\nmaxPodsPerNode: 110\n"
                     "taints: [{key: gpu, value: 'yes', effect: NoExecute}]\n")
    settings = tomllib.loads(text)["settings"]["kubernetes"]
    assert settings["cluster-name"] == "demo"
    assert settings["api-server"] == VALUES["Endpoint"]
    assert settings["cluster-certificate"] == VALUES["CertificateAuthority"]
    assert settings["cluster-dns-ip"] == "10.100.0.10"
    assert settings["max-pods"] == 110
    assert settings["node-labels"]["eks.amazonaws.com/nodegroup"] == "ng"
    assert settings["node-taints"] == {"gpu": ["yes:NoExecute"]}


def test_custom_al2_ami_runs_bootstrap_sh_with_the_cluster_and_max_pods():
    cfg_extra = "metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n"
    text = user_data("amiFamily: AmazonLinux2\nami: ami-0123456789abcdef0\nmaxPodsPerNode: 20\n", cfg_extra)
    [script] = scripts(text)
    [line] = [x for x in script.replace("\\\n", " ").splitlines() if x.startswith("/etc/eks/bootstrap.sh")]
    argv = shlex.split(line)
    assert argv[1] == "demo"
    assert argv[argv.index("--apiserver-endpoint") + 1] == VALUES["Endpoint"]
    assert argv[argv.index("--b64-cluster-ca") + 1] == VALUES["CertificateAuthority"]
    assert argv[argv.index("--dns-cluster-ip") + 1] == "10.100.0.10"
    assert argv[argv.index("--use-max-pods") + 1] == "false"
    assert "--max-pods=20" in argv[argv.index("--kubelet-extra-args") + 1].split()


# --------------------------------------------------------------------------- bootstrap additions


def test_pre_bootstrap_commands_on_ekss_al2023_image_are_mime_script_parts_only():
    text = user_data('preBootstrapCommands: ["echo one", "echo ${HOSTNAME} > /tmp/h"]\n')
    assert scripts(text) == ["#!/bin/bash\necho one", "#!/bin/bash\necho ${HOSTNAME} > /tmp/h"]
    assert node_configs(text) == []  # EKS merges its own NodeConfig
    assert "ImageId" not in launch_data(cfg=nodegroup("preBootstrapCommands: [echo one]"))
    assert managed(cfg=nodegroup("preBootstrapCommands: [echo one]"))["AmiType"] == "AL2023_x86_64_STANDARD"


def test_max_pods_on_ekss_al2023_image_is_a_node_config_with_kubelet_config_only():
    assert node_configs(user_data("maxPodsPerNode: 58\n")) == [{
        "apiVersion": "node.eks.aws/v1alpha1", "kind": "NodeConfig",
        "spec": {"kubelet": {"config": {"maxPods": 58}}}}]


def test_max_pods_on_ekss_bottlerocket_image_is_the_max_pods_setting_only():
    assert tomllib.loads(user_data("amiFamily: Bottlerocket\nmaxPodsPerNode: 29\n")) == {
        "settings": {"kubernetes": {"max-pods": 29}}}


def test_override_bootstrap_command_on_al2023_is_its_own_node_config_part():
    override = ("apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n"
                "spec: {kubelet: {config: {shutdownGracePeriod: 30s}}}\n")
    body = "overrideBootstrapCommand: |\n" + "".join(f"  {line}\n" for line in override.splitlines())
    assert node_configs(user_data(body))[-1]["spec"]["kubelet"]["config"] == {"shutdownGracePeriod": "30s"}


def test_override_bootstrap_command_replaces_bootstrap_sh_of_a_custom_ami():
    body = ("amiFamily: Ubuntu2204\nami: ami-0123456789abcdef0\n"
            "overrideBootstrapCommand: \"#!/bin/bash\\n/etc/eks/bootstrap.sh ${CLUSTER}\"\n")
    [script] = scripts(user_data(body, "metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n"))
    assert script == "#!/bin/bash\n/etc/eks/bootstrap.sh ${CLUSTER}"


def test_ubuntu_with_pre_bootstrap_commands_runs_them_before_bootstrap_sh():
    text = user_data("amiFamily: Ubuntu2404\npreBootstrapCommands: [apt-get install -y nfs-common]\n")
    first, second = scripts(text)
    assert first == "#!/bin/bash\napt-get install -y nfs-common"
    assert "/etc/eks/bootstrap.sh demo \\" in second.replace("'", "")


def test_no_options_no_user_data_on_ekss_images():
    assert "UserData" not in launch_data()
    assert "UserData" not in launch_data(cfg=nodegroup("amiFamily: Bottlerocket"))


# --------------------------------------------------------------------------- hardware and placement


def test_volume_iops_throughput_and_key():
    body = ("volumeIOPS: 6000\nvolumeThroughput: 500\n"
            "volumeKmsKeyID: arn:aws:kms:ap-northeast-2:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\n")
    [device] = launch_data(cfg=nodegroup(body))["BlockDeviceMappings"]
    assert device["Ebs"]["Iops"] == 6000
    assert device["Ebs"]["Throughput"] == 500
    assert device["Ebs"]["KmsKeyId"].endswith(":key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b")
    assert device["Ebs"]["Encrypted"] is True
    [device] = launch_data(cfg=nodegroup("volumeType: io2\nvolumeIOPS: 4000"))["BlockDeviceMappings"]
    assert device["Ebs"]["Iops"] == 4000 and "Throughput" not in device["Ebs"]


def test_monitoring_capacity_reservation_and_placement():
    data = launch_data(cfg=nodegroup("enableDetailedMonitoring: true\n"
                                     "capacityReservation: {capacityReservationTarget: "
                                     "{capacityReservationID: cr-0123456789abcdef0}}\n"
                                     "placement: {groupName: training}"))
    assert data["Monitoring"] == {"Enabled": True}
    assert data["CapacityReservationSpecification"] == {
        "CapacityReservationTarget": {"CapacityReservationId": "cr-0123456789abcdef0"}}
    assert data["Placement"] == {"GroupName": "training"}
    assert "Monitoring" not in launch_data()


def test_efa_puts_the_groups_on_one_efa_interface():
    cfg = _with(EXISTING, "instanceType: p5.48xlarge\nefaEnabled: true\nsubnets: [ap-northeast-2a]")
    data = launch_data(cfg=cfg)
    assert "SecurityGroupIds" not in data
    [interface] = data["NetworkInterfaces"]
    assert interface["InterfaceType"] == "efa" and interface["DeviceIndex"] == 0
    assert interface["Groups"] == [{"Ref": "ClusterSecurityGroupId"}, {"Ref": "ClusterSharedNodeSecurityGroupId"}]
    assert managed(cfg=cfg)["Subnets"] == ["subnet-0123456789abcdef1"]


def test_node_repair_config():
    ng = managed(cfg=nodegroup("nodeRepairConfig: {enabled: true, maxParallelNodesRepairedCount: 2}"))
    assert ng["NodeRepairConfig"] == {"Enabled": True, "MaxParallelNodesRepairedCount": 2}
    assert "NodeRepairConfig" not in managed()


def test_subnets_by_id_and_by_name():
    cfg = _with(EXISTING, "subnets: [subnet-0123456789abcdef2, ap-northeast-2a]")
    assert managed(cfg=cfg)["Subnets"] == ["subnet-0123456789abcdef2", "subnet-0123456789abcdef1"]


def test_security_groups_attach_and_without_shared():
    data = launch_data(cfg=nodegroup("securityGroups: {attachIDs: [sg-0123456789abcdef3], withShared: false}"))
    assert data["SecurityGroupIds"] == [{"Ref": "ClusterSecurityGroupId"}, "sg-0123456789abcdef3"]
    default = launch_data()["SecurityGroupIds"]
    assert default == [{"Ref": "ClusterSecurityGroupId"}, {"Ref": "ClusterSharedNodeSecurityGroupId"}]


def test_node_iam_attach_boundary_and_own_role():
    resources = ng_resources(cfg=nodegroup(
        "iam: {attachPolicyARNs: ['arn:aws:iam::111122223333:policy/extra'], "
        "instanceRolePermissionsBoundary: 'arn:aws:iam::111122223333:policy/boundary'}"))
    role = resources["NodeInstanceRole"]["Properties"]
    assert role["ManagedPolicyArns"][-1] == "arn:aws:iam::111122223333:policy/extra"
    assert role["PermissionsBoundary"] == "arn:aws:iam::111122223333:policy/boundary"
    own = ng_resources(cfg=nodegroup("iam: {instanceRoleARN: 'arn:aws:iam::111122223333:role/nodes'}"))
    assert "NodeInstanceRole" not in own
    assert own["ManagedNodeGroup"]["Properties"]["NodeRole"] == "arn:aws:iam::111122223333:role/nodes"


def test_an_override_that_reads_no_endpoint_takes_no_endpoint_inputs_and_lints_clean():
    from eks_templates.lint import lint_set
    from eks_templates.render import render_set

    cfg = _with("metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n",
                "amiFamily: Ubuntu2204\noverrideBootstrapCommand: \"#!/bin/bash\\n/opt/join.sh\"\n")
    rs = render_set(cfg)
    assert [str(f) for f in lint_set(rs, region="ap-northeast-2")] == []  # no unused Endpoint parameter
    assert user_data("amiFamily: Ubuntu2204\noverrideBootstrapCommand: \"#!/bin/bash\\n/opt/join.sh\"\n",
                     "metadata: {name: demo, region: ap-northeast-2, version: '1.32'}\n") == (
        "#!/bin/bash\n/opt/join.sh")
