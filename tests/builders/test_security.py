"""SecurityGroupsBuilder: the cluster's security groups and the rules between them."""

from __future__ import annotations

from typing import Any

from eks_templates.builders import SecurityGroupsBuilder
from eks_templates.names import CONTROL_PLANE_SG_ID, MANAGEMENT_HOST_SG_ID, SHARED_NODE_SG_ID
from tests.builders.helpers import build, config, of_type, props, resources

BASTION = "bastion: {enabled: true, subnet: private}\n"


def rules(res: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in res.items()
            if v["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")}


def test_two_groups_without_a_management_host():
    res = resources(SecurityGroupsBuilder(config()))
    assert sorted(of_type(res, "AWS::EC2::SecurityGroup")) == [
        "ClusterSharedNodeSecurityGroup", "ControlPlaneSecurityGroup"]
    assert props(res, "ControlPlaneSecurityGroup")["GroupDescription"] == (
        "Communication between the control plane and worker nodegroups")
    assert props(res, "ControlPlaneSecurityGroup")["VpcId"] == {"Ref": "VpcId"}
    assert not any("ManagementHost" in k for k in res)


def test_nodes_talk_to_each_other_and_reach_the_api_on_443():
    res = resources(SecurityGroupsBuilder(config()))
    inter = props(res, "IngressInterNodeGroupSG")
    assert inter["GroupId"] == inter["SourceSecurityGroupId"] == {"Ref": "ClusterSharedNodeSecurityGroup"}
    assert inter["IpProtocol"] == "-1"
    api = props(res, "IngressNodeToControlPlaneSG")
    assert api["GroupId"] == {"Ref": "ControlPlaneSecurityGroup"}
    assert api["SourceSecurityGroupId"] == {"Ref": "ClusterSharedNodeSecurityGroup"}
    assert (api["IpProtocol"], api["FromPort"], api["ToPort"]) == ("tcp", 443, 443)


def test_outputs_name_the_groups():
    _, outputs = build(SecurityGroupsBuilder(config(BASTION)))
    assert set(outputs) == {CONTROL_PLANE_SG_ID.name, SHARED_NODE_SG_ID.name, MANAGEMENT_HOST_SG_ID.name}
    assert all(name.endswith("SecurityGroupId") for name in outputs)
    _, outputs = build(SecurityGroupsBuilder(config()))
    assert MANAGEMENT_HOST_SG_ID.name not in outputs


def test_notes_3_1_management_host_reaches_nodes():
    res = resources(SecurityGroupsBuilder(config(BASTION)))
    rule = props(res, "IngressManagementHostToNodes")
    assert rule["GroupId"] == {"Ref": "ClusterSharedNodeSecurityGroup"}
    assert rule["SourceSecurityGroupId"] == {"Ref": "ManagementHostSecurityGroup"}
    assert rule["IpProtocol"] == "-1"
    egress = props(res, "ManagementHostSecurityGroup")["SecurityGroupEgress"]
    assert {"IpProtocol": "-1", "DestinationSecurityGroupId": {"Ref": "ClusterSharedNodeSecurityGroup"},
            "Description": "Management host to nodes and pods, all traffic (notes 3.1)"} in egress


def test_notes_4_2_management_host_reaches_the_private_endpoint():
    res = resources(SecurityGroupsBuilder(config(BASTION)))
    rule = props(res, "IngressManagementHostToControlPlane")
    assert rule["GroupId"] == {"Ref": "ControlPlaneSecurityGroup"}
    assert rule["SourceSecurityGroupId"] == {"Ref": "ManagementHostSecurityGroup"}
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    egress = props(res, "ManagementHostSecurityGroup")["SecurityGroupEgress"]
    assert [(e["FromPort"], e["ToPort"]) for e in egress
            if e.get("DestinationSecurityGroupId") == {"Ref": "ControlPlaneSecurityGroup"}] == [(443, 443)]


def test_management_host_ssh_only_from_allowed_cidrs():
    res = resources(SecurityGroupsBuilder(config(
        "bastion: {enabled: true, subnet: public, allowedCIDRs: [198.51.100.7/32, 192.0.2.0/28]}\n")))
    ssh = {k: v for k, v in rules(res).items() if k.startswith("IngressManagementHostSSH")}
    assert [(r["CidrIp"], r["FromPort"], r["ToPort"]) for r in ssh.values()] == [
        ("198.51.100.7/32", 22, 22), ("192.0.2.0/28", 22, 22)]
    assert all(r["GroupId"] == {"Ref": "ManagementHostSecurityGroup"} for r in ssh.values())


def test_management_host_without_allowed_cidrs_has_no_inbound_cidr_rule():
    res = resources(SecurityGroupsBuilder(config(BASTION)))
    assert not [r for r in rules(res).values() if "CidrIp" in r]
    group = props(res, "ManagementHostSecurityGroup")
    assert "SecurityGroupIngress" not in group


def test_management_host_egress_replaces_the_allow_all_default():
    res = resources(SecurityGroupsBuilder(config(BASTION)))
    group = props(res, "ManagementHostSecurityGroup")
    assert [(e["IpProtocol"], e.get("FromPort"), e.get("CidrIp") or e["DestinationSecurityGroupId"]["Ref"])
            for e in group["SecurityGroupEgress"]] == [
        ("tcp", 443, "0.0.0.0/0"), ("-1", None, "ClusterSharedNodeSecurityGroup"),
        ("tcp", 443, "ControlPlaneSecurityGroup")]


def test_management_host_egress_is_all_inline():
    # CloudFormation's drift detection compares an inline SecurityGroupEgress list with all
    # of the group's rules: a separate SecurityGroupEgress beside it is an ADD on every
    # fresh deploy (tests/sandbox/test_drift.py, the rendered set in sync)
    assert not of_type(resources(SecurityGroupsBuilder(config(BASTION))), "AWS::EC2::SecurityGroupEgress")


def test_every_rule_and_group_has_a_description():
    res = resources(SecurityGroupsBuilder(config(
        "bastion: {enabled: true, allowedCIDRs: [198.51.100.7/32]}\n")))
    for logical_id, rule in rules(res).items():
        assert rule.get("Description"), logical_id
    for logical_id, group in of_type(res, "AWS::EC2::SecurityGroup").items():
        assert group["Properties"]["GroupDescription"], logical_id
        for inline in group["Properties"].get("SecurityGroupEgress", []):
            assert inline["Description"], logical_id


def test_flat_prefix_is_empty_so_ids_are_eksctls():
    builder = SecurityGroupsBuilder(config())
    assert builder.flat_id_prefix == ""
    builder.id_prefix = "X"
    assert "XControlPlaneSecurityGroup" in resources(builder)


# --------------------------------------------------------------------------- the nodes' generated SSH key


def test_one_generated_key_pair_for_the_nodegroups_without_a_key():
    from eks_templates.names import NODE_KEY_NAME, NODE_KEY_PAIR_ID

    cfg = config("managedNodeGroups: [{name: a, ssh: {allow: true}}, {name: b, ssh: {allow: true}},"
                 " {name: c, ssh: {allow: true, publicKeyName: ops}}, {name: d}]\n")
    builder = SecurityGroupsBuilder(cfg)
    assert {NODE_KEY_NAME, NODE_KEY_PAIR_ID} <= set(builder.outputs)
    template, outputs = build(builder)
    keys = of_type(template.to_dict()["Resources"], "AWS::EC2::KeyPair")
    assert list(keys) == ["NodeKeyPair"]
    # no PublicKeyMaterial: EC2 generates the key and CloudFormation keeps it in SSM /ec2/keypair/<id>;
    # no Tags: every KeyPair property is create-only, and a custom-named resource cannot be replaced
    assert keys["NodeKeyPair"]["Properties"] == {"KeyName": {"Fn::Sub": "${AWS::StackName}-nodes"}, "KeyType": "rsa"}
    assert outputs[NODE_KEY_NAME.name].to_dict() == {"Ref": "NodeKeyPair"}
    assert outputs[NODE_KEY_PAIR_ID.name].to_dict() == {"Fn::GetAtt": ["NodeKeyPair", "KeyPairId"]}
    assert NODE_KEY_PAIR_ID.root_output  # `outputs` prints how to fetch it


def test_no_generated_key_when_every_nodegroup_names_its_own_or_has_no_ssh():
    from eks_templates.names import NODE_KEY_NAME

    for extra in ("", "managedNodeGroups: [{name: a}]\n",
                  "managedNodeGroups: [{name: a, ssh: {allow: true, publicKeyName: ops}}]\n"):
        builder = SecurityGroupsBuilder(config(extra))
        assert NODE_KEY_NAME not in builder.outputs
        assert not of_type(resources(builder), "AWS::EC2::KeyPair")
