"""The library as a caller uses it: the public API (``eks_templates.__all__``), builders
composed in the caller's own template (several nodegroups, the caller's VPC, zones as
parameters), and every port a builder declares named in its docstring."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from troposphere import Parameter, Ref, Template

import eks_templates
from eks_templates import (
    Builder,
    ControlPlaneBuilder,
    ExistingNetwork,
    NetworkBuilder,
    NodegroupBuilder,
    SecurityGroupsBuilder,
    cluster_builders,
    compose,
    nested,
    nodegroup_builders,
)
from eks_templates.config import load_stack
from eks_templates.names import pascal
from tests.builders.helpers import config
from tests.support import REPO

TWO_NODEGROUPS = "managedNodeGroups:\n  - name: ng-a\n    ssh: {allow: true}\n  - name: ng-b\n"


def lint(template: Template, tmp_path: Path) -> list[str]:
    from cfnlint.api import ManualArgs, lint_by_config

    path = tmp_path / "caller.json"
    path.write_text(template.to_json())
    return [str(m) for m in lint_by_config(ManualArgs(templates=[str(path)], regions=["ap-northeast-2"]))]


# --------------------------------------------------------------------------- the public API


def test_all_is_exactly_what_a_caller_uses():
    assert set(eks_templates.__all__) == {
        "load_stack", "parse_config", "ClusterConfig", "ManagedNodeGroup", "StackFileError",
        "Builder", "NetworkBuilder", "ExistingNetwork", "SecurityGroupsBuilder", "ControlPlaneBuilder",
        "PodIdentityBuilder", "FargateBuilder", "NodegroupBuilder", "AddonsBuilder", "BastionBuilder",
        "cluster_builders", "network_for", "nodegroup_builders", "Port",
        "compose", "nested", "flat", "NestedSet", "render_set", "write_set", "RenderedSet",
    }
    for name in eks_templates.__all__:
        assert getattr(eks_templates, name).__doc__, name
    assert set(dir(eks_templates)) == {*eks_templates.__all__, "__version__"}
    with pytest.raises(AttributeError):
        eks_templates.not_a_name  # noqa: B018


# --------------------------------------------------------------------------- several nodegroups


def test_two_nodegroups_build_into_one_callers_template_without_an_id_prefix():
    """Each nodegroup's IDs carry its name by default (the old default was none: the second
    nodegroup's NodeInstanceRole was a duplicate key)."""
    cfg = config(TWO_NODEGROUPS)
    template = Template()
    inputs: dict[str, Any] = {name: Ref(name) for name in (
        "ClusterName", "ClusterSecurityGroupId", "ClusterSharedNodeSecurityGroupId", "PrivateSubnetIds", "VpcId",
        "NodeKeyName")}
    for builder in nodegroup_builders(cfg):
        inputs[builder.scaling_port.name] = Ref(template.add_parameter(builder.root_parameters()[0][1]))
        builder.build(template, inputs)
    resources = template.to_dict()["Resources"]
    for name in ("NodegroupNgANodeInstanceRole", "NodegroupNgBNodeInstanceRole", "NodegroupNgAManagedNodeGroup",
                 "NodegroupNgBManagedNodeGroup", "NodegroupNgASSH"):
        assert name in resources, name
    names = {r["Properties"]["LaunchTemplateName"]["Fn::Sub"] for r in resources.values()
             if r["Type"] == "AWS::EC2::LaunchTemplate"}
    assert names == {"${AWS::StackName}-ng-a", "${AWS::StackName}-ng-b"}


def test_nested_children_keep_eksctls_ids_and_the_builders_prefix_setting():
    cfg = config(TWO_NODEGROUPS)
    builders = cluster_builders(cfg)
    result = nested(cfg, builders)
    child = result.children["NodegroupNgAStack"].to_dict()["Resources"]
    assert {"NodeInstanceRole", "LaunchTemplate", "ManagedNodeGroup", "SSH"} <= set(child)
    assert all(b.id_prefix is None for b in builders)  # nested() restored what the caller had
    own = NodegroupBuilder(cfg, cfg.managed_node_groups[0])
    own.id_prefix = "Team"
    assert own.lid("NodeInstanceRole") == "TeamNodeInstanceRole"


def test_compose_wires_the_callers_vpc_the_cluster_and_nodegroups_and_lints_clean(tmp_path: Path):
    cfg = config(TWO_NODEGROUPS)
    template = Template()
    vpc = template.add_parameter(Parameter("MyVpc", Type="AWS::EC2::VPC::Id"))
    public = template.add_parameter(Parameter("MyPublicSubnets", Type="List<AWS::EC2::Subnet::Id>"))
    private = template.add_parameter(Parameter("MyPrivateSubnets", Type="List<AWS::EC2::Subnet::Id>"))
    network = ExistingNetwork(cfg, vpc_id=Ref(vpc), public_subnet_ids=Ref(public), private_subnet_ids=Ref(private))
    values = compose(template, [network, SecurityGroupsBuilder(cfg), ControlPlaneBuilder(cfg),
                                *nodegroup_builders(cfg)])
    data = json.loads(template.to_json())
    assert data["Resources"]["ControlPlaneSecurityGroup"]["Properties"]["VpcId"] == {"Ref": "MyVpc"}
    assert data["Resources"]["NodegroupNgBManagedNodeGroup"]["Properties"]["Subnets"] == {"Ref": "MyPrivateSubnets"}
    assert data["Parameters"]["NodegroupNgAScaling"]["Default"] == "2,2,2"
    assert "VPC" not in data["Resources"]  # no network of ours
    assert values["ClusterEndpoint"].to_dict() == {"Fn::GetAtt": ["ControlPlane", "Endpoint"]}
    assert lint(template, tmp_path) == []


def test_compose_names_a_missing_input_and_takes_the_callers_values_first():
    cfg = config(TWO_NODEGROUPS)
    with pytest.raises(KeyError, match=r"SecurityStack needs 'VpcId' \(The cluster's VPC\)"):
        compose(Template(), [SecurityGroupsBuilder(cfg)])
    template = Template()
    compose(template, [NetworkBuilder(cfg)], {"AvailabilityZones": Ref("MyZones")})
    assert "AvailabilityZones" not in template.parameters  # the caller's zones, no parameter of ours
    subnet = template.to_dict()["Resources"]["SubnetPrivateAPNORTHEAST2A"]["Properties"]
    assert subnet["AvailabilityZone"] == {"Fn::Select": [0, {"Ref": "MyZones"}]}


def test_existing_network_refuses_half_a_network():
    cfg = config()
    with pytest.raises(ValueError, match=r"no vpc\.id; pass vpc_id="):
        ExistingNetwork(cfg)
    with pytest.raises(ValueError, match="need vpc_id= too"):
        ExistingNetwork(cfg, private_subnet_ids=["subnet-1"])
    only_private = ExistingNetwork(cfg, vpc_id="vpc-1", private_subnet_ids=["subnet-1"])
    assert [p.name for p in only_private.outputs] == ["VpcId", "PrivateSubnetIds"]
    assert only_private.build(Template(), {}) == {"VpcId": "vpc-1", "PrivateSubnetIds": ["subnet-1"]}


# --------------------------------------------------------------------------- zones


def test_network_builder_on_its_own_takes_the_files_zones_as_a_parameter(tmp_path: Path):
    """Built with no inputs, the zones the file names are a parameter (the old build wrote
    them into every subnet: six cfn-lint W3010 findings for two zones)."""
    cfg = config()  # availabilityZones: [ap-northeast-2a, ap-northeast-2c]
    template = Template()
    outputs = NetworkBuilder(cfg).build(template, {})
    data = template.to_dict()
    assert data["Parameters"]["AvailabilityZones"]["Default"] == "ap-northeast-2a,ap-northeast-2c"
    zones = {r["Properties"]["AvailabilityZone"]["Fn::Select"][1]["Ref"] for r in data["Resources"].values()
             if r["Type"] == "AWS::EC2::Subnet"}
    assert zones == {"AvailabilityZones"}
    assert outputs["VpcId"].to_dict() == {"Ref": "VPC"}
    assert lint(template, tmp_path) == []


def test_network_builder_without_named_zones_uses_getazs(tmp_path: Path):
    cfg = config(base="apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n"
                      "metadata: {name: demo, region: ap-northeast-2}\nvpc: {publicAccessCIDRs: [203.0.113.0/24]}\n")
    template = Template()
    NetworkBuilder(cfg).build(template, {})
    assert not template.parameters
    zones = [r["Properties"]["AvailabilityZone"]["Fn::Select"] for r in template.to_dict()["Resources"].values()
             if r["Type"] == "AWS::EC2::Subnet"]
    assert zones and all(z[1] == {"Fn::GetAZs": {"Ref": "AWS::Region"}} for z in zones)
    assert lint(template, tmp_path) == []


# --------------------------------------------------------------------------- ports in the docstrings


PORT_CORPUS = {
    "public bastion, custom AMI, no shared rules": """
managedNodeGroups:
  - name: custom-ami
    ami: ami-0123456789abcdef0
    amiFamily: AmazonLinux2023
    ssh: {allow: true}
  - name: public-nodes
    privateNetworking: false
bastion: {enabled: true, subnet: public}
vpc:
  publicAccessCIDRs: [203.0.113.0/24]
  manageSharedNodeSecurityGroupRules: false
""",
    "existing VPC": """
vpc:
  id: vpc-0123456789abcdef0
  publicAccessCIDRs: [203.0.113.0/24]
  subnets:
    private:
      a: {id: subnet-0123456789abcdef0, az: ap-northeast-2a}
      c: {id: subnet-0123456789abcdef1, az: ap-northeast-2c}
managedNodeGroups:
  - name: ng
""",
}


def _corpus() -> list[Any]:
    configs = [load_stack(str(path), on_warning=None) for path in sorted((REPO / "stacks").glob("*.yaml"))]
    return configs + [config(extra) for extra in PORT_CORPUS.values()]


def _documented_name(builder: Builder, port_name: str) -> str:
    """A per-nodegroup port as its docstring writes it: ``<Name>`` for the PascalCase name."""
    if isinstance(builder, NodegroupBuilder):
        return port_name.replace(pascal(builder.nodegroup.name), "<Name>", 1)
    return port_name


def test_every_declared_port_is_in_its_builders_docstring():
    seen: dict[type, set[str]] = {}
    for cfg in _corpus():
        for builder in cluster_builders(cfg):
            doc = type(builder).__doc__ or ""
            sections = {"Inputs": builder.inputs, "Outputs": builder.outputs,
                        "Root parameters": [p for p, _ in builder.root_parameters()]}
            for section, ports in sections.items():
                for port in ports:
                    name = _documented_name(builder, port.name)
                    assert f"``{name}``" in doc, f"{type(builder).__name__} ({section}): {name} is not documented"
                    seen.setdefault(type(builder), set()).add(name)
            if not builder.outputs:
                assert "Outputs: none." in doc, type(builder).__name__
    # the corpus reaches every builder and the ports that only some files have
    assert {cls.__name__ for cls in seen} == {
        "NetworkBuilder", "ExistingNetwork", "SecurityGroupsBuilder", "ControlPlaneBuilder", "PodIdentityBuilder",
        "FargateBuilder", "NodegroupBuilder", "AddonsBuilder", "BastionBuilder"}
    assert {"ClusterEndpoint", "NodeKeyName", "ManagementHostSecurityGroupId", "PublicSubnetIds"} <= seen[
        NodegroupBuilder]
    assert "ManagementHostPublicIp" in seen[eks_templates.BastionBuilder]


def _listed_ports(doc: str) -> set[str]:
    """The port names an ``Inputs:``/``Outputs:`` section lists: the ````Name```` before each
    item's first colon outside quotes."""
    listed: set[str] = set()
    for section in re.findall(r"\n    (?:Inputs|Outputs):\n(.*?)(?=\n\n|\Z)", doc, flags=re.S):
        for item in re.split(r"\n        - ", "\n" + section)[1:]:
            text = " ".join(item.split())
            quoted = re.findall(r"``([^`]*)``", text)
            head = re.split(r":(?: |$)", re.sub(r"``[^`]*``", "``Q``", text), maxsplit=1)[0]
            listed |= {q for q in quoted[:head.count("``Q``")] if re.fullmatch(r"[A-Z<][A-Za-z<>]*", q)}
    return listed


def test_documented_ports_exist():
    """The other way round: a port listed under ``Inputs:``/``Outputs:`` is one the builder
    declares for some stack file (no stale names left in a docstring)."""
    declared: dict[type, set[str]] = {}
    for cfg in _corpus():
        for builder in cluster_builders(cfg):
            ports = [*builder.inputs, *builder.outputs]
            declared.setdefault(type(builder), set()).update(_documented_name(builder, p.name) for p in ports)
    for cls, names in declared.items():
        listed = _listed_ports(cls.__doc__ or "")
        assert listed or not names, cls.__name__
        assert listed <= names, f"{cls.__name__} documents ports it never declares: {sorted(listed - names)}"
    assert _listed_ports(NodegroupBuilder.__doc__ or "") >= {"PrivateSubnetIds", "PublicSubnetIds",
                                                             "Nodegroup<Name>Scaling", "<Name>NodeInstanceRoleArn"}
