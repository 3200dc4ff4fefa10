"""The happy path on moto in-process: create, nothing to do, scale, the scale kept
by a deploy of the unchanged file, an edited file winning, outputs, delete.

moto runs change sets synchronously and has no nested change sets, so this checks
the real API calls end to end; the AWS-only behaviour is covered with Stubber."""

from __future__ import annotations

import json
from typing import Any

from eks_templates.deploy.delete import delete
from eks_templates.deploy.flow import Context, Options, deploy
from eks_templates.deploy.outputs import show
from eks_templates.deploy.params import live_parameters
from eks_templates.deploy.scale import scale
from eks_templates.deploy.ui import Timing
from eks_templates.names import STACK_TAG_CLUSTER

from .fakes import REGION, SCALING, STACK, config, errors, make_ui, moto_aws, output, rendered_set

BUCKET = "eks-templates-123456789012-ap-northeast-2"


def _live(cfn: Any) -> dict[str, str]:
    return live_parameters(cfn.describe_stacks(StackName=STACK)["Stacks"][0])


def _versions(s3: Any) -> int:
    return len(s3.list_object_versions(Bucket=BUCKET).get("Versions") or [])


def test_create_redeploy_scale_edit_outputs_delete() -> None:
    with moto_aws(sandbox=True) as aws:
        ui = make_ui()
        ctx = Context(aws=aws, ui=ui, timing=Timing(poll=0, sleep=lambda _: None))
        cfn, s3 = aws.client("cloudformation"), aws.client("s3")
        cfg = config(tags="  tags: {team: k8s}")

        # 1. create
        assert deploy(ctx, cfg, Options(yes=True), rendered=rendered_set()) == 0
        described = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        assert described["StackStatus"] == "CREATE_COMPLETE"
        assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"team": "k8s", STACK_TAG_CLUSTER: "myeks"}
        assert _live(cfn) == {SCALING: "2,2,4"}
        policy = json.loads(cfn.get_stack_policy(StackName=STACK)["StackPolicyBody"])
        assert policy["Statement"][1]["Action"] == "Update:Replace"
        nested = [r for r in cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
                  if r["ResourceType"] == "AWS::CloudFormation::Stack"]
        assert len(nested) == 1
        assert cfn.get_stack_policy(StackName=nested[0]["PhysicalResourceId"])["StackPolicyBody"]
        # termination protection: on, or (plain moto) a warning that says how
        assert described["EnableTerminationProtection"] or "update-termination-protection" in errors(ui)
        assert _versions(s3) == 1
        template_url = json.loads(json.dumps(cfn.get_template(StackName=STACK)["TemplateBody"]))[
            "Resources"]["NetworkStack"]["Properties"]["TemplateURL"]
        assert template_url.startswith(f"https://{BUCKET}.s3.{REGION}.amazonaws.com/eks-templates/myeks/")

        # 2. the same again: nothing uploaded, no change set
        before = output(ui)
        change_sets = len(cfn.list_change_sets(StackName=STACK)["Summaries"])
        assert deploy(ctx, cfg, Options(yes=True), rendered=rendered_set()) == 0
        assert "No changes: myeks already matches" in output(ui)[len(before):]
        assert _versions(s3) == 1
        assert len(cfn.list_change_sets(StackName=STACK)["Summaries"]) == change_sets

        # 3. scale out: a change set on the previous template, one parameter changed
        assert scale(ctx, cfg, "ng", 3, Options(yes=True), maximum=6) == 0
        assert _live(cfn) == {SCALING: "3,2,6"}
        assert _versions(s3) == 1  # nothing re-uploaded

        # 4. deploy of the unchanged file keeps the scaled size
        assert deploy(ctx, cfg, Options(yes=True), rendered=rendered_set()) == 0
        assert _live(cfn) == {SCALING: "3,2,6"}

        # 5. ... also when something else changes (UsePreviousValue for the scaling)
        assert deploy(ctx, cfg, Options(yes=True), rendered=rendered_set(cidr="10.30.0.0/16")) == 0
        assert _live(cfn) == {SCALING: "3,2,6"}
        assert _versions(s3) == 2

        # 6. editing the file's sizes wins
        assert deploy(ctx, cfg, Options(yes=True), rendered=rendered_set("4,4,8", cidr="10.30.0.0/16")) == 0
        assert _live(cfn) == {SCALING: "4,4,8"}

        # 7. scale in below the minimum needs --min
        assert scale(ctx, cfg, "ng", 1, Options(yes=True), minimum=1) == 0
        assert _live(cfn) == {SCALING: "1,1,8"}

        # 8. outputs
        text = show(cfn, STACK, REGION)
        assert "Endpoint:         https://ABCDEF.gr7.ap-northeast-2.eks.amazonaws.com" in text
        assert "ClusterSharedNodeSecurityGroupId  sg-0123456789abcdef0" in text
        assert f"aws eks update-kubeconfig --name {STACK} --region {REGION}" in text

        # 9. delete
        stack_id = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackId"]
        assert delete(ctx, cfg, Options(yes=True)) == 0
        assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
        assert "myeks: deleted" in output(ui)
        # and again: nothing to delete
        assert delete(ctx, cfg, Options(yes=True)) == 0
        assert "nothing to delete" in output(ui)
