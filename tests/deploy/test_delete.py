"""delete: what Kubernetes left behind is found first; confirmation by name;
termination protection off; the real reason when the delete fails."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eks_templates.deploy.delete import delete
from eks_templates.deploy.flow import Context, Options
from eks_templates.deploy.ui import Timing
from eks_templates.errors import DeployFailed, UserError

from .fakes import (
    STACK,
    STACK_ID,
    STACK_TYPE,
    Stubs,
    child_id,
    config,
    errors,
    event,
    events,
    make_ui,
    moto_aws,
    output,
    root_template,
    self_event,
    stack,
    stacks,
)

TEMPLATE = {
    "Resources": {
        "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "VPC"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "ap-northeast-2a"}},
        "SubnetC": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "VPC"}, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "ap-northeast-2c"}},
        "NodeSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "nodes", "VpcId": {"Ref": "VPC"}}},
    },
    "Outputs": {
        "VpcId": {"Value": {"Ref": "VPC"}},
        "ClusterName": {"Value": STACK},
        "ClusterSharedNodeSecurityGroupId": {"Value": {"Ref": "NodeSg"}},
    },
}


class Cluster:
    """A stack with a VPC on moto, and things Kubernetes might have made in it."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.cfn = aws.client("cloudformation")
        self.cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
        described = self.cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        self.stack_id = described["StackId"]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
        self.subnets = sorted(r["PhysicalResourceId"] for r in
                              self.cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
                              if r["ResourceType"] == "AWS::EC2::Subnet")

    def k8s_load_balancer(self, tag: tuple[str, str] = ("kubernetes.io/cluster/myeks", "owned")) -> str:
        lb = self.aws.client("elbv2").create_load_balancer(
            Name="k8s-default-web-1a2b3c", Subnets=self.subnets, Tags=[{"Key": tag[0], "Value": tag[1]}])
        return str(lb["LoadBalancers"][0]["LoadBalancerArn"])

    def leftover_interface(self) -> str:
        eni = self.aws.client("ec2").create_network_interface(SubnetId=self.subnets[0], Description="aws-K8S-i-0abc")
        return str(eni["NetworkInterface"]["NetworkInterfaceId"])

    def node(self) -> None:
        self.aws.client("ec2").run_instances(
            ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=self.subnets[0],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "eks:cluster-name", "Value": STACK}]}])

    def status(self) -> str:
        return str(self.cfn.describe_stacks(StackName=self.stack_id)["Stacks"][0]["StackStatus"])


def _ctx(aws: Any, **ui: Any) -> Context:
    return Context(aws=aws, ui=make_ui(**ui), timing=Timing(poll=0, sleep=lambda _: None))


def test_kubernetes_leftovers_refuse_the_delete() -> None:
    with moto_aws() as aws:
        cluster = Cluster(aws)
        cluster.k8s_load_balancer()
        eni = cluster.leftover_interface()
        cluster.node()  # a node of the cluster: its interface goes with it, not listed
        with pytest.raises(UserError, match="would make deleting myeks fail") as info:
            delete(_ctx(aws), config(), Options(yes=True))
        assert info.value.exit_code == 2
        text = "\n".join(info.value.messages)
        assert "load balancer (application) k8s-default-web-1a2b3c: created by Kubernetes for this cluster" in text
        assert f"network interface {eni}: available, interface, 'aws-K8S-i-0abc'" in text
        assert f"aws ec2 delete-network-interface --network-interface-id {eni}" in text
        assert "Primary network interface" not in text
        assert text.endswith("delete them first, or pass --force to try anyway")
        assert cluster.status() == "CREATE_COMPLETE"  # nothing was deleted


def test_load_balancer_controller_tag_counts_too() -> None:
    with moto_aws() as aws:
        cluster = Cluster(aws)
        cluster.k8s_load_balancer(("elbv2.k8s.aws/cluster", STACK))
        with pytest.raises(UserError) as info:
            delete(_ctx(aws), config(), Options(yes=True))
        assert "created by Kubernetes for this cluster" in "\n".join(info.value.messages)


def test_force_deletes_anyway_with_warnings() -> None:
    with moto_aws() as aws:
        cluster = Cluster(aws)
        cluster.leftover_interface()
        ctx = _ctx(aws)
        assert delete(ctx, config(), Options(yes=True), force=True) == 0
        assert "warning: these would make deleting myeks fail" in errors(ctx.ui)
        assert cluster.status() == "DELETE_COMPLETE"


def test_clean_cluster_is_deleted_after_typing_its_name() -> None:
    with moto_aws() as aws:
        cluster = Cluster(aws)
        ctx = _ctx(aws, interactive=True, answers=["myeks"])
        assert delete(ctx, config(), Options()) == 0
        assert "Type the stack name (myeks) to confirm" in ctx.ui.asked[0]  # type: ignore[attr-defined]
        assert cluster.status() == "DELETE_COMPLETE"
        assert "myeks: deleted" in output(ctx.ui)


@pytest.mark.parametrize(("interactive", "answers", "message"), [
    (True, ["myeks2"], "did not match"),
    (True, [], "did not match"),
    (False, [], "pass --yes"),
])
def test_delete_is_refused_without_confirmation(interactive: bool, answers: list[str], message: str) -> None:
    with moto_aws() as aws:
        cluster = Cluster(aws)
        with pytest.raises(UserError, match=message):
            delete(_ctx(aws, interactive=interactive, answers=answers), config(), Options())
        assert cluster.status() == "CREATE_COMPLETE"


NG = child_id("NodegroupNgStack")


def test_failed_delete_turns_protection_off_first_and_reports_the_nested_reason() -> None:
    stubs = Stubs()
    cfn = stubs.cfn
    cfn.add_response("describe_stacks", stacks(stack("UPDATE_COMPLETE", protection=True)), {"StackName": STACK})
    cfn.add_response("list_stack_resources", {"StackResourceSummaries": []}, {"StackName": STACK_ID})
    # the deployed root has no cluster with deletion protection: no change set first
    cfn.add_response("get_template", {"TemplateBody": json.dumps(root_template())},
                     {"StackName": STACK_ID, "TemplateStage": "Original"})
    cfn.add_response("update_termination_protection", {"StackId": STACK_ID},
                     {"StackName": STACK_ID, "EnableTerminationProtection": False})
    cfn.add_response("describe_stack_events", events(self_event("UPDATE_COMPLETE", t=-9)))
    cfn.add_response("delete_stack", {}, {"StackName": STACK_ID})
    cfn.add_response("describe_stacks", stacks(stack("DELETE_FAILED")), {"StackName": STACK_ID})
    root_events = events(
        self_event("DELETE_IN_PROGRESS", t=1, reason="User Initiated"),
        event("NodegroupNgStack", "DELETE_FAILED", t=30, rtype=STACK_TYPE, physical=NG,
              reason=f"Embedded stack {NG} was not successfully deleted: The following resource(s) failed to "
                     "delete: [NodeSecurityGroup]."),
        self_event("DELETE_FAILED", t=31))
    cfn.add_response("describe_stack_events", root_events)
    cfn.add_response("describe_stack_events", root_events)
    cfn.add_response("describe_stack_events", events(
        event("NodeSecurityGroup", "DELETE_FAILED", t=29, stack_id=NG, rtype="AWS::EC2::SecurityGroup",
              reason="resource sg-0abc has a dependent object (Service: Ec2, Status Code: 400)")),
        {"StackName": NG})
    ui = make_ui()
    with pytest.raises(DeployFailed) as info:
        delete(stubs.context(ui=ui), config(), Options(yes=True))
    stubs.verify()
    assert info.value.exit_code == 1
    assert info.value.messages[-2] == ("  myeks/NodegroupNgStack: NodeSecurityGroup (AWS::EC2::SecurityGroup) "
                                       "DELETE_FAILED: resource sg-0abc has a dependent object (Service: Ec2, "
                                       "Status Code: 400)")
    assert info.value.messages[-1].endswith(  # what to do next
        "then run `python -m eks_templates delete myeks` again. Everything already deleted stays deleted")
    assert "Termination protection is off for myeks" in output(ui)


def test_running_operation_is_refused_and_a_running_delete_is_resumed() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", stacks(stack("UPDATE_IN_PROGRESS")))
    with pytest.raises(UserError, match="another operation is running"):
        delete(stubs.context(), config(), Options(yes=True))

    stubs = Stubs()
    started = self_event("DELETE_IN_PROGRESS", t=-10, reason="User Initiated")
    stubs.cfn.add_response("describe_stacks", stacks(stack("DELETE_IN_PROGRESS")))
    stubs.cfn.add_response("describe_stack_events", events(started))
    stubs.cfn.add_response("describe_stacks", stacks(stack("DELETE_COMPLETE")), {"StackName": STACK_ID})
    stubs.cfn.add_response("describe_stack_events", events(self_event("DELETE_COMPLETE", t=5), started))
    ui = make_ui()
    assert delete(stubs.context(ui=ui), config(), Options()) == 0  # no confirmation: it was confirmed before
    stubs.verify()
    assert "myeks: deleted" in output(ui)
