"""BastionBuilder: the management host of the notes (eksctl-host)."""

from __future__ import annotations

import json

from eks_templates.builders import BastionBuilder, cluster_builders
from eks_templates.builders.bastion import AL2023_IMAGE_PARAMETER, KUBECTL_INSTALL, KUBECTL_INSTALL_PATH
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
    assert "${!home}" in script  # a shell variable, not a CloudFormation one
    # the installer is written to the host and run at first boot
    assert f"cat > {KUBECTL_INSTALL_PATH} <<'KUBECTL_INSTALL'\n{KUBECTL_INSTALL}KUBECTL_INSTALL\n" in script
    assert f"\nretry {KUBECTL_INSTALL_PATH}\n" in script
    assert script.index(f"retry {KUBECTL_INSTALL_PATH}") < script.index("aws eks update-kubeconfig")
    # no Kubernetes version in the template: the installer reads it from the cluster
    assert variables == {"ClusterName": {"Ref": "ClusterName"}, "KubectlBuild": "amd64"}
    assert "1.34" not in script and "KubernetesVersion" not in script


def test_the_kubectl_installer_reads_the_version_from_the_cluster_and_checks_the_download():
    assert KUBECTL_INSTALL.startswith("#!/bin/bash\n")
    assert ("minor=$(aws eks describe-cluster --region ${AWS::Region} --name ${ClusterName} "
            "--query cluster.version --output text)") in KUBECTL_INSTALL
    assert 'release=$(curl -fsSL "https://dl.k8s.io/release/stable-${!minor}.txt")' in KUBECTL_INSTALL
    assert 'url="https://dl.k8s.io/release/${!release}/bin/linux/${KubectlBuild}/kubectl"' in KUBECTL_INSTALL
    assert "sha256sum --check" in KUBECTL_INSTALL
    assert f"sudo {KUBECTL_INSTALL_PATH}" in KUBECTL_INSTALL  # says how to run it again


def test_an_upgrade_changes_nothing_in_the_bastion_stack():
    """UserData is "Update requires: Some interruptions" (AWS::EC2::Instance reference):
    a version in it stopped and started the host on every upgrade step."""
    from eks_templates.config import parse_config
    from eks_templates.diff import Schemas, compare
    from tests.support import REPO

    text = (REPO / "stacks" / "myeks.yaml").read_text()
    assert "bastion:" in text and "version:" not in text.split("managedNodeGroups:")[0]
    sets = {}
    for version in ("1.34", "1.35"):
        edited = text.replace("  region: ap-northeast-2\n", f"  region: ap-northeast-2\n  version: '{version}'\n", 1)
        cfg = parse_config(edited, "myeks.yaml", on_warning=None)
        assert cfg.metadata.version == version
        sets[version] = templates(rendered(cfg))
    old, new = sets["1.34"], sets["1.35"]
    assert old["ControlPlaneStack.json"] != new["ControlPlaneStack.json"]  # the cluster's version does change
    assert old["BastionStack.json"] == new["BastionStack.json"]
    assert old["root.json"]["Resources"]["BastionStack"] == new["root.json"]["Resources"]["BastionStack"]
    assert compare(old, new, root="root.json", schemas=Schemas("ap-northeast-2")) == []


# --------------------------------------------------------------------------- the installer, run


FAKE_AWS = """#!/bin/sh
echo "$@" >> "$FAKE_LOG"
cat "$FAKE_CLUSTER_VERSION"
"""

#: curl -fsSL URL, or curl -fsSLo FILE URL: stable-<minor>.txt, the kubectl "binary" (a
#: script printing its version), its checksum (wrong when $FAKE_BAD_SUM is set)
FAKE_CURL = """#!/bin/bash
set -eu
out=/dev/stdout
if [ "$1" = -fsSLo ]; then out=$2; url=$3; else url=$2; fi
echo "$url" >> "$FAKE_LOG"
case "$url" in
  */stable-*.txt) minor=${url##*/stable-}; printf 'v%s.7' "${minor%.txt}" > "$out" ;;
  */kubectl) release=${url#https://dl.k8s.io/release/}; release=${release%%/*}
    printf '#!/bin/sh\necho "clientVersion:"\necho "  gitVersion: %s"\n' "$release" > "$out" ;;
  */kubectl.sha256) release=${url#https://dl.k8s.io/release/}; release=${release%%/*}
    printf '#!/bin/sh\necho "clientVersion:"\necho "  gitVersion: %s"\n' "$release" | sha256sum | cut -d' ' -f1 > "$out"
    if [ -n "${FAKE_BAD_SUM:-}" ]; then echo 0000 > "$out"; fi ;;
  *) exit 22 ;;
esac
"""


def _installer(tmp_path, arch_type: str = "t3.medium"):
    """The installer as the host gets it (its text from the rendered user data, Fn::Sub
    applied), with /usr/local/bin moved into tmp_path; fake aws and curl on the PATH."""
    import re
    import subprocess

    cfg = config(f"metadata: {{name: demo, region: ap-northeast-2, version: '1.34'}}\n"
                 f"bastion: {{enabled: true, instanceType: {arch_type}}}\n")
    script, variables = props(resources(BastionBuilder(cfg)), "ManagementHost")["UserData"]["Fn::Base64"]["Fn::Sub"]
    body = script.split("<<'KUBECTL_INSTALL'\n", 1)[1].split("\nKUBECTL_INSTALL\n", 1)[0] + "\n"
    values = {"ClusterName": "demo", "AWS::Region": "ap-northeast-2", "KubectlBuild": variables["KubectlBuild"]}
    body = re.sub(r"\$\{([A-Za-z:]+)\}", lambda m: values[m.group(1)], body).replace("${!", "${")
    local, fakes = tmp_path / "usr-local-bin", tmp_path / "fakes"
    local.mkdir()
    fakes.mkdir()
    (fakes / "aws").write_text(FAKE_AWS)
    (fakes / "curl").write_text(FAKE_CURL)
    for fake in fakes.iterdir():
        fake.chmod(0o755)
    installer = tmp_path / "eks-kubectl-install"
    installer.write_text(body.replace("/usr/local/bin/", f"{local}/"))
    log, version = tmp_path / "log", tmp_path / "cluster-version"

    def run(cluster_version: str, **env: str) -> subprocess.CompletedProcess[str]:
        import os

        version.write_text(cluster_version + "\n")
        log.write_text("")
        return subprocess.run(
            ["bash", str(installer)], capture_output=True, text=True, check=False,
            env={"PATH": f"{fakes}:{os.environ['PATH']}", "FAKE_LOG": str(log),
                 "FAKE_CLUSTER_VERSION": str(version), **env})

    return run, local / "kubectl", log


def test_the_installer_installs_the_kubectl_of_the_live_version_and_again_after_an_upgrade(tmp_path):
    import subprocess

    run, kubectl, log = _installer(tmp_path)
    done = run("1.34")
    assert done.returncode == 0, done.stderr
    assert "installed kubectl v1.34.7 for Kubernetes 1.34 (cluster demo)" in done.stdout
    calls = log.read_text().splitlines()
    assert calls[0] == "eks describe-cluster --region ap-northeast-2 --name demo --query cluster.version --output text"
    assert calls[1:] == ["https://dl.k8s.io/release/stable-1.34.txt",
                         "https://dl.k8s.io/release/v1.34.7/bin/linux/amd64/kubectl",
                         "https://dl.k8s.io/release/v1.34.7/bin/linux/amd64/kubectl.sha256"]
    assert kubectl.stat().st_mode & 0o777 == 0o755
    assert "gitVersion: v1.34.7" in subprocess.run([str(kubectl)], capture_output=True, text=True).stdout

    again = run("1.34")  # nothing to do: no download
    assert again.returncode == 0 and "kubectl v1.34.7 for Kubernetes 1.34 is already installed" in again.stdout
    assert not any("/bin/linux/" in call for call in log.read_text().splitlines())

    upgraded = run("1.35")  # the same script after the cluster's upgrade
    assert upgraded.returncode == 0, upgraded.stderr
    assert "installed kubectl v1.35.7 for Kubernetes 1.35" in upgraded.stdout
    assert "gitVersion: v1.35.7" in subprocess.run([str(kubectl)], capture_output=True, text=True).stdout


def test_the_installer_keeps_the_old_kubectl_when_the_checksum_does_not_match(tmp_path):
    import subprocess

    run, kubectl, _ = _installer(tmp_path)
    assert run("1.34").returncode == 0
    bad = run("1.35", FAKE_BAD_SUM="1")
    assert bad.returncode != 0
    assert "installed kubectl" not in bad.stdout
    assert "gitVersion: v1.34.7" in subprocess.run([str(kubectl)], capture_output=True, text=True).stdout


def test_the_installer_fails_when_the_cluster_cannot_be_described(tmp_path):
    run, kubectl, log = _installer(tmp_path)
    (tmp_path / "fakes" / "aws").write_text("#!/bin/sh\necho 'AccessDeniedException' >&2\nexit 254\n")
    done = run("1.34")
    assert done.returncode != 0 and not kubectl.exists()
    assert log.read_text() == ""  # nothing downloaded


def test_a_graviton_host_installs_the_arm64_build(tmp_path):
    run, _, log = _installer(tmp_path, "t4g.small")
    assert run("1.35").returncode == 0
    assert "https://dl.k8s.io/release/v1.35.7/bin/linux/arm64/kubectl" in log.read_text().splitlines()


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
        assert "/bin/linux/${KubectlBuild}/kubectl" in script  # in the installer it writes


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
