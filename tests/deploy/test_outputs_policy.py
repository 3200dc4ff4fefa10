"""outputs formatting, the stack policy document, termination protection on an
endpoint that does not implement it."""

from __future__ import annotations

from typing import Any

import pytest

from eks_templates.deploy import policy
from eks_templates.deploy.outputs import format_outputs, kubeconfig_command, node_key_command, show
from eks_templates.errors import UserError

from .fakes import REGION, STACK, Stubs, make_ui, not_found, stack, stacks


def test_outputs_lead_with_endpoint_security_groups_and_kubeconfig() -> None:
    text = format_outputs(STACK, "UPDATE_COMPLETE", REGION, {
        "ClusterName": STACK,
        "ClusterEndpoint": "https://X.gr7.ap-northeast-2.eks.amazonaws.com",
        "ClusterSecurityGroupId": "sg-1",
        "ControlPlaneSecurityGroupId": "sg-2",
        "VpcId": "vpc-1",
        "KubeconfigCommand": "aws eks update-kubeconfig --name myeks --region ap-northeast-2 --alias myeks",
    })
    assert text.splitlines() == [
        "Stack myeks (UPDATE_COMPLETE) in ap-northeast-2",
        "  Cluster:          myeks",
        "  Endpoint:         https://X.gr7.ap-northeast-2.eks.amazonaws.com",
        "  Security groups:",
        "    ClusterSecurityGroupId       sg-1",
        "    ControlPlaneSecurityGroupId  sg-2",
        "  Kubeconfig:       aws eks update-kubeconfig --name myeks --region ap-northeast-2 --alias myeks",
        "Other outputs:",
        "  VpcId  vpc-1",
    ]


def test_outputs_list_each_security_group_once() -> None:
    """Each output is printed once: the security groups (and the cluster name, endpoint
    and kubeconfig command) in the summary, not again in the list below it."""
    outputs = {
        "ClusterName": STACK, "ClusterEndpoint": "https://X", "VpcId": "vpc-1",
        "ClusterSecurityGroupId": "sg-1", "ControlPlaneSecurityGroupId": "sg-2",
        "ClusterSharedNodeSecurityGroupId": "sg-3", "ManagementHostSecurityGroupId": "sg-4",
        "MyeksNodegroupRemoteAccessSecurityGroupId": "sg-5",
        "KubeconfigCommand": "aws eks update-kubeconfig --name myeks --region ap-northeast-2",
    }
    text = format_outputs(STACK, "CREATE_COMPLETE", REGION, outputs)
    for key, value in outputs.items():
        if key != "ClusterName":  # the stack's name too
            assert sum(value in line for line in text.splitlines()) == 1, (key, text)
    assert text.splitlines()[-2:] == ["Other outputs:", "  VpcId  vpc-1"]


def test_outputs_leave_out_deploys_templates_digest() -> None:
    """``TemplatesDigest`` is deploy's bookkeeping (a redeploy compares it), not something
    to act on: the summary leaves it out, ``--json`` keeps it."""
    digest = {"TemplatesDigest": "sha256:" + "0" * 64}
    text = format_outputs(STACK, "CREATE_COMPLETE", REGION, {"VpcId": "vpc-1", **digest})
    assert "TemplatesDigest" not in text
    assert text.splitlines()[-2:] == ["Other outputs:", "  VpcId  vpc-1"]
    assert format_outputs(STACK, "CREATE_COMPLETE", REGION, digest).splitlines()[-1] == "  (no outputs)"
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", stacks(stack("CREATE_COMPLETE", outputs=digest)))
    assert "TemplatesDigest" in show(stubs.aws.client("cloudformation"), STACK, REGION, as_json=True)


def test_outputs_say_how_to_fetch_the_generated_node_key() -> None:
    outputs = {"ClusterName": STACK, "NodeKeyPairId": "key-0123456789abcdef0"}
    command = ("aws ssm get-parameter --region ap-northeast-2 --name /ec2/keypair/key-0123456789abcdef0 "
               "--with-decryption --query Parameter.Value --output text > key.pem && chmod 0600 key.pem")
    assert node_key_command(outputs, REGION) == command
    lines = format_outputs(STACK, "CREATE_COMPLETE", REGION, outputs).splitlines()
    assert lines[3] == f"  Node SSH key:     {command}"
    assert node_key_command({"ClusterName": STACK}, REGION) is None
    assert "Node SSH key" not in format_outputs(STACK, "CREATE_COMPLETE", REGION, {"ClusterName": STACK})


def test_kubeconfig_command_from_the_cluster_name() -> None:
    expected = "aws eks update-kubeconfig --name c --region eu-west-1"
    assert kubeconfig_command({"ClusterName": "c"}, "eu-west-1") == expected
    assert kubeconfig_command({}, "eu-west-1") is None


def test_show_json_and_missing_stack() -> None:
    stubs = Stubs()
    stubs.cfn.add_response("describe_stacks", stacks(stack("CREATE_COMPLETE", outputs={"VpcId": "vpc-1"})))
    not_found(stubs.cfn, "describe_stacks")
    cfn = stubs.aws.client("cloudformation")
    assert show(cfn, STACK, REGION, as_json=True) == '{\n  "VpcId": "vpc-1"\n}'
    with pytest.raises(UserError, match="does not exist in ap-northeast-2"):
        show(cfn, STACK, REGION)


def test_policy_denies_only_replacing_the_cluster_and_nodegroups() -> None:
    allow, deny = policy.protective_policy()["Statement"]
    assert allow == {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}
    assert deny["Effect"] == "Deny" and deny["Action"] == "Update:Replace"
    assert deny["Condition"] == {"StringEquals": {"ResourceType": ["AWS::EKS::Cluster", "AWS::EKS::Nodegroup"]}}


class _NotImplementedCfn:
    """moto in-process raises NotImplementedError for UpdateTerminationProtection."""

    def update_termination_protection(self, **_: Any) -> None:
        raise NotImplementedError("The update_termination_protection action has not been implemented")


def test_termination_protection_not_implemented_is_a_warning() -> None:
    ui = make_ui()
    assert policy.set_termination_protection(_NotImplementedCfn(), "arn:x", True, ui, label=STACK) is False
    err = ui.err.getvalue()  # type: ignore[attr-defined]
    assert "warning: could not turn termination protection on for myeks (NotImplementedError" in err
    assert "aws cloudformation update-termination-protection --enable-termination-protection --stack-name myeks" in err


def test_termination_protection_server_error_is_a_warning() -> None:
    stubs = Stubs()
    stubs.cfn.add_client_error("update_termination_protection", service_error_code="InternalFailure",
                               http_status_code=500)
    ui = make_ui()
    assert not policy.set_termination_protection(stubs.aws.client("cloudformation"), STACK, False, ui)
    assert "--no-enable-termination-protection" in ui.err.getvalue()  # type: ignore[attr-defined]
