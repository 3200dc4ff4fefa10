"""BastionBuilder: the management host of the notes (eksctl-host)."""

from __future__ import annotations

import json

from eks_templates.builders import BastionBuilder, cluster_builders
from eks_templates.builders.bastion import AL2023_IMAGE_PARAMETER
from eks_templates.names import (
    MANAGEMENT_HOST_PUBLIC_IP,
    NODE_KEY_PAIR_ID,
    PRIVATE_SUBNET_IDS,
    PUBLIC_SUBNET_IDS,
)
from tests.builders.helpers import build, config, props, rendered, resources, templates


def host(extra: str = "bastion: {enabled: true}\n") -> dict:
    return resources(BastionBuilder(config(extra)))


def test_only_when_enabled():
    assert not any(isinstance(b, BastionBuilder) for b in cluster_builders(config()))
    assert any(isinstance(b, BastionBuilder) for b in cluster_builders(config("bastion: {enabled: true}\n")))


def test_private_subnet_by_default_without_public_address():
    builder = BastionBuilder(config("bastion: {enabled: true}\n"))
    assert PRIVATE_SUBNET_IDS in builder.inputs and PUBLIC_SUBNET_IDS not in builder.inputs
    template, outputs = build(builder)
    res = template.to_dict()["Resources"]
    [nic] = props(res, "ManagementHost")["NetworkInterfaces"]
    assert nic["SubnetId"] == {"Fn::Select": [0, {"Ref": "PrivateSubnetIds"}]}
    assert nic["AssociatePublicIpAddress"] is False
    assert nic["GroupSet"] == [{"Ref": "ManagementHostSecurityGroupId"}]
    assert MANAGEMENT_HOST_PUBLIC_IP.name not in outputs
    assert "Metadata" not in res["ManagementHost"]


def test_public_subnet_gets_a_public_address_and_says_why_checkov_is_skipped():
    builder = BastionBuilder(config("bastion: {enabled: true, subnet: public}\n"))
    template, outputs = build(builder)
    res = template.to_dict()["Resources"]
    [nic] = props(res, "ManagementHost")["NetworkInterfaces"]
    assert nic["SubnetId"] == {"Fn::Select": [0, {"Ref": "PublicSubnetIds"}]}
    assert nic["AssociatePublicIpAddress"] is True
    assert outputs[MANAGEMENT_HOST_PUBLIC_IP.name].to_dict() == {"Fn::GetAtt": ["ManagementHost", "PublicIp"]}
    [skip] = res["ManagementHost"]["Metadata"]["checkov"]["skip"]
    assert skip["id"] == "CKV_AWS_88" and "bastion.subnet is public" in skip["comment"]


def test_hardened_instance():
    instance = props(host("bastion: {enabled: true, instanceType: t3.medium}\n"), "ManagementHost")
    assert instance["InstanceType"] == "t3.medium"
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["Monitoring"] is True
    [volume] = instance["BlockDeviceMappings"]
    assert volume["Ebs"]["Encrypted"] is True
    assert instance["ImageId"] == {"Ref": "ManagementHostImageId"}
    assert "KeyName" not in instance


def test_image_from_the_public_al2023_parameter():
    template, _ = build(BastionBuilder(config("bastion: {enabled: true}\n")))
    parameter = template.to_dict()["Parameters"]["ManagementHostImageId"]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert parameter["Default"] == AL2023_IMAGE_PARAMETER


def test_key_name():
    instance = props(host("bastion: {enabled: true, keyName: ops}\n"), "ManagementHost")
    assert instance["KeyName"] == "ops"


def test_role_describes_this_cluster_only_and_uses_session_manager():
    role = props(host(), "ManagementHostRole")
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}]
    [statement] = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["eks:DescribeCluster"]
    assert statement["Resource"] == [{"Ref": "ClusterArn"}]
    profile = props(host(), "ManagementHostInstanceProfile")
    assert profile["Roles"] == [{"Ref": "ManagementHostRole"}]


def test_user_data_installs_kubectl_and_writes_the_kubeconfig():
    cfg = config("metadata: {name: demo, region: ap-northeast-2, version: '1.34'}\nbastion: {enabled: true}\n")
    script, variables = props(resources(BastionBuilder(cfg)), "ManagementHost")["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert "aws eks update-kubeconfig --region ${AWS::Region} --name ${ClusterName}" in script
    assert "dl.k8s.io/release/stable-${KubernetesVersion}.txt" in script
    assert "${!version}" in script  # a shell variable, not a CloudFormation one
    assert variables == {"ClusterName": {"Ref": "ClusterName"}, "KubernetesVersion": "1.34", "KubectlBuild": "amd64"}


def test_root_outputs_the_management_host_address():
    outputs = templates(rendered(config("bastion: {enabled: true, subnet: public}\n")))["root.json"]["Outputs"]
    assert {"ManagementHostInstanceId", "ManagementHostPrivateIp", "ManagementHostPublicIp",
            "ManagementHostSecurityGroupId"} <= set(outputs)


# --------------------------------------------------------------------------- instance types (issue 10, items 3-4)


def test_no_ebs_optimized_flag_so_t2_launches():
    """EC2 refuses EbsOptimized: true on T2 ("EBS-optimized instances are not supported for
    your requested configuration"); current families are EBS-optimized by default."""
    for instance_type in ("t2.micro", "t3.small", "m7g.large"):
        instance = props(host(f"bastion: {{enabled: true, instanceType: {instance_type}}}\n"), "ManagementHost")
        assert "EbsOptimized" not in instance, instance_type


def test_graviton_host_gets_the_arm64_image_and_kubectl():
    for instance_type in ("t4g.small", "m7g.large", "c6gn.medium"):
        template, _ = build(BastionBuilder(config(f"bastion: {{enabled: true, instanceType: {instance_type}}}\n")))
        data = template.to_dict()
        assert data["Parameters"]["ManagementHostImageId"]["Default"] == (
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"), instance_type
        script, variables = data["Resources"]["ManagementHost"]["Properties"]["UserData"]["Fn::Base64"]["Fn::Sub"]
        assert variables["KubectlBuild"] == "arm64"
        assert "/bin/linux/${KubectlBuild}/kubectl" in script


def test_x86_host_keeps_the_x86_64_image_and_amd64_kubectl():
    template, _ = build(BastionBuilder(config("bastion: {enabled: true, instanceType: t3.medium}\n")))
    data = template.to_dict()
    assert data["Parameters"]["ManagementHostImageId"]["Default"] == AL2023_IMAGE_PARAMETER
    assert AL2023_IMAGE_PARAMETER.endswith("al2023-ami-kernel-default-x86_64")
    _, variables = data["Resources"]["ManagementHost"]["Properties"]["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert variables["KubectlBuild"] == "amd64"


# --------------------------------------------------------------------------- kubectl: the access entry (item 1)

ADMIN = {"Fn::Sub": "arn:${AWS::Partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"}


def test_host_role_gets_a_cluster_admin_access_entry_by_default():
    entry = host()["ManagementHostAccessEntry"]
    assert entry["Type"] == "AWS::EKS::AccessEntry"
    assert entry["Properties"] == {
        "ClusterName": {"Ref": "ClusterName"},
        "PrincipalArn": {"Fn::GetAtt": ["ManagementHostRole", "Arn"]},
        "Type": "STANDARD",
        "AccessPolicies": [{"PolicyArn": ADMIN, "AccessScope": {"Type": "cluster"}}],
    }


def test_access_policies_replace_the_admin_default():
    res = host("""
bastion:
  enabled: true
  accessPolicies:
    - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    - policyARN: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
      accessScope: {type: namespace, namespaces: [dev, "team-*"]}
  kubernetesGroups: [ops]
""")
    entry = props(res, "ManagementHostAccessEntry")
    assert entry["AccessPolicies"] == [
        {"PolicyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
         "AccessScope": {"Type": "cluster"}},
        {"PolicyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
         "AccessScope": {"Type": "namespace", "Namespaces": ["dev", "team-*"]}},
    ]
    assert entry["KubernetesGroups"] == ["ops"]


def test_kubernetes_groups_alone_narrow_it_to_those_groups():
    entry = props(host("bastion: {enabled: true, kubernetesGroups: [viewers]}\n"), "ManagementHostAccessEntry")
    assert entry["KubernetesGroups"] == ["viewers"]
    assert "AccessPolicies" not in entry


def test_access_entry_in_the_flat_template_names_the_cluster_and_the_role_directly():
    from tests.builders.helpers import flat_resources

    res = flat_resources(config("bastion: {enabled: true}\n"))
    entry = props(res, "ManagementHostAccessEntry")
    assert entry["ClusterName"] == {"Ref": "ControlPlane"}
    assert entry["PrincipalArn"] == {"Fn::GetAtt": ["ManagementHostRole", "Arn"]}


# --------------------------------------------------------------------------- SSH to the nodes (item 2)

SSH_NODEGROUP = "managedNodeGroups:\n  - {name: ng, ssh: {allow: true}}\nbastion: {enabled: true}\n"


def test_host_reads_exactly_the_generated_key_parameter_and_installs_it():
    builder = BastionBuilder(config(SSH_NODEGROUP))
    assert NODE_KEY_PAIR_ID in builder.inputs
    res = resources(builder)
    [describe, read_key] = props(res, "ManagementHostRole")["Policies"]
    assert describe["PolicyName"] == "DescribeThisCluster"
    assert read_key["PolicyName"] == "ReadNodeSSHKey"
    [statement] = read_key["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["ssm:GetParameter"]
    assert statement["Resource"] == [{"Fn::Sub": [
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ec2/keypair/${KeyPairId}",
        {"KeyPairId": {"Ref": "NodeKeyPairId"}}]}]
    script, variables = props(res, "ManagementHost")["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert variables["NodeKeyPairId"] == {"Ref": "NodeKeyPairId"}
    assert "--name /ec2/keypair/${NodeKeyPairId}" in script and "--with-decryption" in script
    assert "> /etc/skel/.ssh/id_rsa" in script  # ssm-user's home is made from /etc/skel
    assert 'install -m 0600 /etc/skel/.ssh/id_rsa "${!home}/.ssh/id_rsa"' in script
    assert "for home in /root /home/ec2-user" in script
    assert "chown -R ec2-user:ec2-user /home/ec2-user/.ssh" in script
    assert "umask 077" in script.split("get-parameter")[0]
    # the key never passes through a shell variable (set -x would print it)
    assert "=$(aws ssm" not in script


def test_no_key_read_without_a_generated_key():
    for extra in ("managedNodeGroups:\n  - {name: ng, ssh: {allow: true, publicKeyName: ops}}\n",
                  "managedNodeGroups:\n  - {name: ng}\n"):
        builder = BastionBuilder(config(extra + "bastion: {enabled: true}\n"))
        assert NODE_KEY_PAIR_ID not in builder.inputs
        res = resources(builder)
        assert [p["PolicyName"] for p in props(res, "ManagementHostRole")["Policies"]] == ["DescribeThisCluster"]
        script, _ = props(res, "ManagementHost")["UserData"]["Fn::Base64"]["Fn::Sub"]
        assert "/ec2/keypair/" not in script


def test_the_key_pair_id_flows_from_the_security_stack_not_from_a_nodegroup():
    """The BastionStack gets the key's id from the child with the security groups
    (ControlPlaneStack) it already waits for: it is not held back until a nodegroup is
    ACTIVE, and there is no cycle."""
    root = templates(rendered(config(SSH_NODEGROUP)))["root.json"]
    stacks = root["Resources"]
    assert stacks["BastionStack"]["Properties"]["Parameters"]["NodeKeyPairId"] == {
        "Fn::GetAtt": ["ControlPlaneStack", "Outputs.NodeKeyPairId"]}
    assert stacks["NodegroupNgStack"]["Properties"]["Parameters"]["NodeKeyName"] == {
        "Fn::GetAtt": ["ControlPlaneStack", "Outputs.NodeKeyName"]}
    assert "NodegroupNgStack" not in json.dumps(stacks["BastionStack"])
    assert root["Outputs"]["NodeKeyPairId"]["Value"] == {"Fn::GetAtt": ["ControlPlaneStack", "Outputs.NodeKeyPairId"]}


def test_flat_template_wires_the_generated_key_directly():
    from tests.builders.helpers import flat_resources

    res = flat_resources(config(SSH_NODEGROUP))
    assert props(res, "NodegroupNgLaunchTemplate")["LaunchTemplateData"]["KeyName"] == {"Ref": "NodeKeyPair"}
    [_, read_key] = props(res, "ManagementHostRole")["Policies"]
    [arn] = read_key["PolicyDocument"]["Statement"][0]["Resource"]
    assert arn["Fn::Sub"][1] == {"KeyPairId": {"Fn::GetAtt": ["NodeKeyPair", "KeyPairId"]}}
