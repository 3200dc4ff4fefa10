"""Assembly: nested wiring through parameters and GetAtt outputs, flat mode, and the
same ports in both."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from troposphere import Output, Parameter, Ref, Template, ssm

from eks_templates import assembly
from eks_templates.builders import Builder, cluster_builders
from eks_templates.builders.network import NetworkBuilder
from eks_templates.config import load_stack, parse_config
from eks_templates.names import PUBLIC_SUBNET_IDS, VPC_ID, Port

EXISTING = """
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: byo, region: ap-northeast-2}
vpc:
  id: vpc-0abc1234
  publicAccessCIDRs: [203.0.113.0/24]
  subnets:
    public:
      ap-northeast-2a: {id: subnet-0a000001}
      ap-northeast-2c: {id: subnet-0a000002}
    private:
      ap-northeast-2a: {id: subnet-0b000001}
      ap-northeast-2c: {id: subnet-0b000002}
"""

NOTE = Port("Note", "String", "a value derived from the VPC", root_output=True)


class Consumer(Builder):
    """A test builder that needs the VPC and the public subnets."""

    stack_id = "ConsumerStack"
    description = "consumer"

    @property
    def inputs(self) -> Sequence[Port]:
        return (VPC_ID, PUBLIC_SUBNET_IDS)

    @property
    def outputs(self) -> Sequence[Port]:
        return (NOTE,)

    def build(self, template: Template, inputs: Mapping[str, Any]) -> dict[str, Any]:
        param = self.add(template, ssm.Parameter(
            self.lid("Note"), Type="StringList", Value=inputs[PUBLIC_SUBNET_IDS.name]
            if isinstance(inputs[PUBLIC_SUBNET_IDS.name], str) else "x",
            Description=inputs[VPC_ID.name] if isinstance(inputs[VPC_ID.name], str) else "vpc"))
        return {NOTE.name: Ref(param)}


def test_nested_children_get_parameters_from_sibling_outputs():
    cfg = load_stack(None, on_warning=None)
    builders = [NetworkBuilder(cfg), Consumer(cfg)]
    result = assembly.nested(cfg, builders)
    root = result.root.to_dict()
    consumer = root["Resources"]["ConsumerStack"]["Properties"]
    assert consumer["TemplateURL"] == "ConsumerStack.json"
    assert consumer["Parameters"]["VpcId"] == {"Fn::GetAtt": ["NetworkStack", "Outputs.VpcId"]}
    assert consumer["Parameters"]["PublicSubnetIds"] == {"Fn::GetAtt": ["NetworkStack", "Outputs.PublicSubnetIds"]}
    child = result.children["ConsumerStack"].to_dict()
    assert child["Parameters"]["PublicSubnetIds"]["Type"] == "List<AWS::EC2::Subnet::Id>"
    network = result.children["NetworkStack"].to_dict()
    assert network["Outputs"]["PublicSubnetIds"]["Value"] == {
        "Fn::Join": [",", [{"Ref": "SubnetPublicAPNORTHEAST2A"}, {"Ref": "SubnetPublicAPNORTHEAST2C"}]]}
    assert root["Outputs"]["Note"]["Value"] == {"Fn::GetAtt": ["ConsumerStack", "Outputs.Note"]}


def test_render_values_are_literal_in_the_nested_root():
    cfg = load_stack(None, on_warning=None)
    result = assembly.nested(cfg, [NetworkBuilder(cfg)])
    root = result.root.to_dict()
    assert "Parameters" not in root  # the root's parameters are only what `scale` changes
    assert root["Resources"]["NetworkStack"]["Properties"]["Parameters"]["AvailabilityZones"] == \
        "ap-northeast-2a,ap-northeast-2c"


def test_render_values_are_defaulted_parameters_in_flat():
    cfg = load_stack(None, on_warning=None)
    template = assembly.flat(cfg, [NetworkBuilder(cfg)]).to_dict()
    assert template["Parameters"]["AvailabilityZones"]["Default"] == "ap-northeast-2a,ap-northeast-2c"


def test_existing_vpc_has_no_network_child_and_literal_parameters():
    cfg = parse_config(EXISTING, "byo.yaml", on_warning=None)
    builders = [*cluster_builders(cfg), Consumer(cfg)]
    result = assembly.nested(cfg, builders)
    assert "NetworkStack" not in result.children
    params = result.root.to_dict()["Resources"]["ConsumerStack"]["Properties"]["Parameters"]
    assert params == {"VpcId": "vpc-0abc1234", "PublicSubnetIds": "subnet-0a000001,subnet-0a000002"}
    assert result.root.to_dict()["Outputs"]["VpcId"]["Value"] == "vpc-0abc1234"


def test_flat_wires_the_same_ports_directly():
    cfg = load_stack(None, on_warning=None)
    template = assembly.flat(cfg, [NetworkBuilder(cfg), Consumer(cfg)]).to_dict()
    assert "AWS::CloudFormation::Stack" not in {r["Type"] for r in template["Resources"].values()}
    assert template["Parameters"]["AvailabilityZones"]["Type"] == "List<AWS::EC2::AvailabilityZone::Name>"
    assert template["Outputs"]["VpcId"]["Value"] == {"Ref": "VPC"}
    assert template["Outputs"]["Note"]["Value"] == {"Ref": "Note"}


def test_every_child_stack_carries_its_suppression_reason():
    cfg = load_stack(None, on_warning=None)
    root = assembly.nested(cfg).root.to_dict()
    for res in root["Resources"].values():
        if res["Type"] == "AWS::CloudFormation::Stack":
            meta = res["Metadata"]
            assert meta["cfn-lint"]["config"]["ignore_checks"] == ["W3002"]
            assert "package" in meta["EksTemplates"]["Suppressions"]["W3002"] or \
                "S3" in meta["EksTemplates"]["Suppressions"]["W3002"]


def test_missing_producer_is_a_clear_error():
    cfg = load_stack(None, on_warning=None)
    try:
        assembly.nested(cfg, [Consumer(cfg)])
    except KeyError as exc:
        assert "ConsumerStack needs 'VpcId'" in str(exc)
    else:  # pragma: no cover - the assertion below documents the expectation
        raise AssertionError("expected a KeyError")


def test_library_use_on_a_callers_template():
    """The package docstring's use: a builder on the caller's template, its escape hatch."""
    from troposphere import Template as T

    from eks_templates import NetworkBuilder as NB
    from eks_templates import load_stack as load
    from tests.support import REPO

    config = load("myeks", project_dir=REPO, on_warning=None)
    template = T()
    template.add_parameter(Parameter("Zones", Type="List<AWS::EC2::AvailabilityZone::Name>",
                                     Default="ap-northeast-2a,ap-northeast-2c"))
    network = NB(config)
    outputs = network.build(template, {"AvailabilityZones": Ref("Zones")})
    template.add_output(Output("ClusterVpc", Value=outputs["VpcId"]))
    network.resources["VPC"].InstanceTenancy = "default"  # escape hatch
    data = json.loads(template.to_json())
    assert data["Outputs"]["ClusterVpc"]["Value"] == {"Ref": "VPC"}
    assert data["Resources"]["VPC"]["Properties"]["InstanceTenancy"] == "default"
