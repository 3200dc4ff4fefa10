"""The replacement guard: ``eks_templates.diff`` on hand-made templates, and the
``diff`` command on real renders."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eks_templates.diff import Change, Schemas, compare, load_dir, report, value_at
from eks_templates.errors import UserError
from tests.support import REPO, run_cli

SCHEMAS = Schemas("ap-northeast-2")


def vpc_child() -> dict[str, Any]:
    return {
        "Parameters": {"AvailabilityZones": {"Type": "List<AWS::EC2::AvailabilityZone::Name>"}},
        "Resources": {
            "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": True}},
            "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
                "CidrBlock": "10.0.0.0/19", "VpcId": {"Ref": "VPC"},
                "AvailabilityZone": {"Fn::Select": [0, {"Ref": "AvailabilityZones"}]}}},
            "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {
                "CidrBlock": "10.0.32.0/19", "VpcId": {"Ref": "VPC"},
                "AvailabilityZone": {"Fn::Select": [1, {"Ref": "AvailabilityZones"}]}}},
        },
        "Outputs": {"VpcId": {"Value": {"Ref": "VPC"}}, "Cidr": {"Value": "10.0.0.0/16"}},
    }


def security_child() -> dict[str, Any]:
    return {
        "Parameters": {"VpcId": {"Type": "AWS::EC2::VPC::Id"}},
        "Resources": {
            "ControlPlaneSecurityGroup": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": "control plane", "VpcId": {"Ref": "VpcId"}}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        },
    }


def rendered_set() -> dict[str, dict[str, Any]]:
    root = {
        "Resources": {
            "NetworkStack": {"Type": "AWS::CloudFormation::Stack", "Properties": {
                "TemplateURL": "NetworkStack.json",
                "Parameters": {"AvailabilityZones": "ap-northeast-2a,ap-northeast-2c"}}},
            "SecurityStack": {"Type": "AWS::CloudFormation::Stack", "Properties": {
                "TemplateURL": "SecurityStack.json",
                "Parameters": {"VpcId": {"Fn::GetAtt": ["NetworkStack", "Outputs.VpcId"]}}}},
        },
    }
    return {"root.json": root, "NetworkStack.json": vpc_child(), "SecurityStack.json": security_child()}


def changes_after(edit: Any) -> list[Change]:
    old = rendered_set()
    new = copy.deepcopy(old)
    edit(new)
    return compare(old, new, root="root.json", schemas=SCHEMAS)


def summary(changes: list[Change]) -> list[tuple[str, str, str]]:
    return [(c.file, c.logical_id, c.kind) for c in changes]


# ------------------------------------------------------------------------------ compare


def test_identical_sets_have_no_replacements() -> None:
    assert changes_after(lambda s: None) == []
    assert report([]) == ["no replacements: nothing is deleted or replaced"]


def test_an_updatable_property_is_not_a_replacement() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["NetworkStack.json"]["Resources"]["VPC"]["Properties"]["EnableDnsHostnames"] = False
        s["NetworkStack.json"]["Resources"]["VPC"]["Properties"]["Tags"] = [{"Key": "a", "Value": "b"}]

    assert changes_after(edit) == []


def test_a_create_only_change_replaces_and_travels_to_everything_that_refers_to_it() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["NetworkStack.json"]["Resources"]["VPC"]["Properties"]["CidrBlock"] = "10.1.0.0/16"

    changes = changes_after(edit)
    assert summary(changes) == [
        ("NetworkStack.json", "SubnetA", "replace"),
        ("NetworkStack.json", "SubnetB", "replace"),
        ("NetworkStack.json", "VPC", "replace"),
        # through the output VpcId, the root's GetAtt and SecurityStack's parameter
        ("SecurityStack.json", "ControlPlaneSecurityGroup", "replace"),
    ]
    vpc = changes[2]
    assert vpc.line() == ('NetworkStack.json: VPC (AWS::EC2::VPC) is REPLACED: '
                          'CidrBlock "10.0.0.0/16" -> "10.1.0.0/16"')
    assert changes[0].reasons == ("VpcId refers to VPC, which changes",)
    assert changes[3].reasons == (
        "VpcId refers to parameter VpcId, whose value changes (NetworkStack.Outputs.VpcId, which changes)",
    )


def test_a_literal_output_change_does_not_replace_consumers_of_other_outputs() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["NetworkStack.json"]["Outputs"]["Cidr"]["Value"] = "10.1.0.0/16"

    assert changes_after(edit) == []


def test_zone_list_change_replaces_only_the_subnet_whose_zone_changes() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["root.json"]["Resources"]["NetworkStack"]["Properties"]["Parameters"]["AvailabilityZones"] = (
            "ap-northeast-2a,ap-northeast-2b"
        )

    changes = changes_after(edit)
    assert summary(changes) == [("NetworkStack.json", "SubnetB", "replace")]
    assert changes[0].reasons == ('AvailabilityZone "ap-northeast-2c" -> "ap-northeast-2b"',)


def test_a_renamed_logical_id_is_delete_and_create() -> None:
    def edit(s: dict[str, Any]) -> None:
        resources = s["SecurityStack.json"]["Resources"]
        resources["ClusterRole"] = resources.pop("Role")

    [change] = changes_after(edit)
    assert (change.logical_id, change.kind) == ("Role", "rename")
    assert "CloudFormation deletes Role and creates ClusterRole" in change.line()


def test_a_removed_resource_is_a_deletion() -> None:
    def edit(s: dict[str, Any]) -> None:
        del s["NetworkStack.json"]["Resources"]["SubnetB"]

    [change] = changes_after(edit)
    assert change.line() == ("NetworkStack.json: SubnetB (AWS::EC2::Subnet) is DELETED: removed from the template")


def test_a_removed_child_stack_is_reported_once_with_its_resource_count() -> None:
    def edit(s: dict[str, Any]) -> None:
        del s["root.json"]["Resources"]["SecurityStack"]
        del s["SecurityStack.json"]

    [change] = changes_after(edit)
    assert (change.file, change.logical_id, change.kind) == ("root.json", "SecurityStack", "remove")
    assert "the nested stack and its 2 resource(s) are deleted" in change.line()


def test_a_type_change_replaces() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["SecurityStack.json"]["Resources"]["Role"]["Type"] = "AWS::IAM::User"

    [change] = changes_after(edit)
    assert change.kind == "type" and "type AWS::IAM::Role -> AWS::IAM::User" in change.line()


def test_eks_cluster_and_nodegroup_properties() -> None:
    cluster = {"Type": "AWS::EKS::Cluster", "Properties": {
        "Name": "myeks", "Version": "1.33", "RoleArn": {"Fn::GetAtt": ["ServiceRole", "Arn"]},
        "KubernetesNetworkConfig": {"ServiceIpv4Cidr": "10.100.0.0/16"}}}
    nodegroup = {"Type": "AWS::EKS::Nodegroup", "Properties": {
        "ClusterName": "myeks", "InstanceTypes": ["t3.medium"],
        "ScalingConfig": {"DesiredSize": 2, "MinSize": 2, "MaxSize": 2}}}
    old = {"root.json": {"Resources": {"ControlPlane": cluster, "ManagedNodeGroup": nodegroup}}}

    def run(edit: Any) -> list[tuple[str, str, str]]:
        new = copy.deepcopy(old)
        edit(new["root.json"]["Resources"])
        return summary(compare(old, new, root="root.json", schemas=SCHEMAS))

    def upgrade_and_scale(r: dict[str, Any]) -> None:
        r["ControlPlane"]["Properties"]["Version"] = "1.34"
        r["ManagedNodeGroup"]["Properties"]["ScalingConfig"]["DesiredSize"] = 5

    def service_cidr(r: dict[str, Any]) -> None:
        r["ControlPlane"]["Properties"]["KubernetesNetworkConfig"]["ServiceIpv4Cidr"] = "172.20.0.0/16"

    def instance_types(r: dict[str, Any]) -> None:
        r["ManagedNodeGroup"]["Properties"]["InstanceTypes"] = ["t3.large"]

    assert run(upgrade_and_scale) == []
    assert run(service_cidr) == [("root.json", "ControlPlane", "replace")]
    assert run(instance_types) == [("root.json", "ManagedNodeGroup", "replace")]


def test_a_json_render_compares_with_a_yaml_render_by_file_stem() -> None:
    old = {f"{Path(k).stem}.yaml": v for k, v in rendered_set().items()}
    assert compare(old, rendered_set(), root="root.json", schemas=SCHEMAS) == []


def test_create_only_paths_with_a_wildcard_collect_over_lists() -> None:
    props = {"Policies": [{"PolicyArn": "a"}, {"PolicyArn": "b"}]}
    assert value_at(props, ("Policies", "*", "PolicyArn")) == ["a", "b"]
    assert value_at(props, ("Missing", "*", "X")) is None


# ------------------------------------------------------------------------------ schemas and files


def test_schemas_come_from_cfn_lint_data() -> None:
    cluster = SCHEMAS.create_only("AWS::EKS::Cluster")
    assert cluster is not None
    assert ("Name",) in cluster and ("KubernetesNetworkConfig", "ServiceIpv4Cidr") in cluster
    assert ("Version",) not in cluster
    assert SCHEMAS.create_only("Custom::Thing") is None


def test_reading_schemas_does_not_import_cfn_lint() -> None:
    code = ("import sys; from eks_templates.diff import Schemas; "
            "assert Schemas().create_only('AWS::EC2::VPC'); print('cfnlint' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_load_dir_refuses_what_is_not_a_render(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no earlier render here"):
        load_dir(tmp_path / "missing")
    with pytest.raises(UserError, match="no templates here"):
        load_dir(tmp_path)
    (tmp_path / "root.json").write_text("{not json")
    with pytest.raises(UserError, match=r"root\.json: cannot read the template"):
        load_dir(tmp_path)


def test_load_dir_reads_json_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "root.json").write_text(json.dumps({"Resources": {}}))
    (tmp_path / "NetworkStack.yaml").write_text("Resources:\n  VPC:\n    Type: AWS::EC2::VPC\n")
    (tmp_path / "notes.json").write_text("{}")
    assert sorted(load_dir(tmp_path)) == ["NetworkStack.yaml", "root.json"]


# ------------------------------------------------------------------------------ the command


def test_diff_command_exit_codes(tmp_path: Path) -> None:
    stack = tmp_path / "c.yaml"
    stack.write_text((REPO / "stacks" / "myeks.yaml").read_text())
    rendered = run_cli("render", str(stack), "--out-dir", str(tmp_path / "before"))
    assert rendered.returncode == 0, rendered.stderr

    same = run_cli("diff", str(stack), "--against", str(tmp_path / "before"))
    assert same.returncode == 0, same.stderr
    assert same.stdout.splitlines()[-1] == "no replacements: nothing is deleted or replaced"

    stack.write_text(stack.read_text().replace("cidr: 192.168.0.0/16", "cidr: 10.0.0.0/16"))
    changed = run_cli("diff", str(stack), "--against", str(tmp_path / "before"))
    assert changed.returncode == 1, changed.stderr
    assert ('ControlPlaneStack.json: VPC (AWS::EC2::VPC) is REPLACED: CidrBlock "192.168.0.0/16" -> "10.0.0.0/16"'
            in changed.stdout.splitlines())
    assert "Traceback" not in changed.stderr

    missing = run_cli("diff", str(stack), "--against", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert "no earlier render here" in missing.stderr

    bad = run_cli("diff", "tests/invalid/desired-above-max.yaml", "--against", str(tmp_path / "before"))
    assert bad.returncode == 2 and bad.stdout == ""
    assert "managedNodeGroups[0].desiredCapacity: 5 is above maxSize 3" in bad.stderr


def test_diff_defaults_to_the_last_render_in_build(tmp_path: Path) -> None:
    assert run_cli("render", cwd=tmp_path).returncode == 0
    result = run_cli("diff", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "comparing myeks with build/myeks/"
