"""The cluster's deletion protection, turned off through a change set before ``delete``.

EKS refuses ``DeleteCluster`` while ``DeletionProtection`` is on (the default here:
``deploy.deletionProtection``), and so would CloudFormation's delete of the stack.
``delete`` therefore first runs one UPDATE change set on the *deployed* templates
with only the cluster's ``DeletionProtection`` set to false: the control-plane
child's template as deployed, that one property changed, uploaded under its
content-addressed key; the deployed root with that child's ``TemplateURL`` pointed at
it; every parameter ``UsePreviousValue``. Nothing the stack file changed since the
last deploy goes with it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from eks_templates.config.model import ClusterConfig
from eks_templates.deploy import digest as deploy_digest
from eks_templates.deploy import package
from eks_templates.deploy.flow import Context, Options, Request, deployed_template, run_change_set
from eks_templates.deploy.params import ParamChoice, live_parameters, template_dict
from eks_templates.names import CONTROL_PLANE_STACK

CLUSTER_TYPE = "AWS::EKS::Cluster"
STACK_TYPE = "AWS::CloudFormation::Stack"


def _protected_clusters(template: dict[str, Any]) -> list[str]:
    return [lid for lid, res in (template.get("Resources") or {}).items()
            if isinstance(res, dict) and res.get("Type") == CLUSTER_TYPE
            and (res.get("Properties") or {}).get("DeletionProtection") in (True, "true", "True")]


def _unprotected(template: dict[str, Any], logical_ids: list[str]) -> dict[str, Any]:
    copy = json.loads(json.dumps(template))
    for lid in logical_ids:
        copy["Resources"][lid]["Properties"]["DeletionProtection"] = False
    return copy


def _child_stack_id(cfn: Any, root: str, logical_id: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        detail = cfn.describe_stack_resource(StackName=root, LogicalResourceId=logical_id)
    except ClientError:  # no such resource: nothing to change there
        return None
    return str(detail["StackResourceDetail"].get("PhysicalResourceId") or "") or None


def turn_off(ctx: Context, cfg: ClusterConfig, stack: dict[str, Any], opts: Options) -> bool:
    """Run the change set that turns the cluster's deletion protection off, if the
    deployed templates have it on. Returns True if it ran."""
    cfn = ctx.cfn
    stack_id = str(stack["StackId"])
    root = deployed_template(cfn, stack_id)
    if root is None:
        return False
    live = live_parameters(stack)
    choices = [ParamChoice(k, use_previous=True) for k in sorted(live)]
    aws = ctx.aws
    bucket = cfg.deploy.bucket or package.default_bucket(aws.account_id(), aws.region)
    in_root = _protected_clusters(root)
    # not the rendered set any more: the next deploy must not take it for one (deploy/digest.py)
    root = deploy_digest.without(root)
    if in_root:  # a flat stack: the cluster is in the root itself
        new_root = _unprotected(root, in_root)
    else:
        child_resource = (root.get("Resources") or {}).get(CONTROL_PLANE_STACK)
        if not isinstance(child_resource, dict) or child_resource.get("Type") != STACK_TYPE:
            return False
        child_id = _child_stack_id(cfn, stack_id, CONTROL_PLANE_STACK)
        if child_id is None:
            return False
        child = template_dict(cfn.get_template(StackName=child_id, TemplateStage="Original").get("TemplateBody"))
        protected = _protected_clusters(child or {})
        if child is None or not protected:
            return False
        body = (json.dumps(_unprotected(child, protected), indent=2, sort_keys=True, ensure_ascii=False)
                + "\n").encode("utf-8")
        digest = package.sha256(body)
        key = package.object_key(cfg.template_prefix, digest)
        url = package.object_url(bucket, key, region=aws.region, dns_suffix=aws.dns_suffix,
                                 endpoint=aws.s3_endpoint_override())
        s3 = aws.client("s3")
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
        new_root = json.loads(json.dumps(root))
        new_root["Resources"][CONTROL_PLANE_STACK]["Properties"]["TemplateURL"] = url
    root_text = json.dumps(new_root, indent=2, ensure_ascii=False) + "\n"
    template_args: dict[str, Any] = {"TemplateBody": root_text}
    if len(root_text.encode("utf-8")) > package.MAX_TEMPLATE_BODY:
        root_body = root_text.encode("utf-8")
        key = package.object_key(cfg.template_prefix, package.sha256(root_body))
        aws.client("s3").put_object(Bucket=bucket, Key=key, Body=root_body, ContentType="application/json")
        template_args = {"TemplateURL": package.object_url(bucket, key, region=aws.region,
                                                           dns_suffix=aws.dns_suffix,
                                                           endpoint=aws.s3_endpoint_override())}
    ctx.ui.say(f"Turning off the cluster's deletion protection on {cfg.stack_name} first (EKS refuses to delete "
               "a cluster while it is on) ...")
    req = Request(
        stack_name=str(stack["StackName"]),
        change_set_type="UPDATE",
        template_args=template_args,
        choices=choices,
        live=live,
        tags=None,
        description=f"eks_templates delete of {cfg.stack_name}: DeletionProtection off",
    )
    # the delete was confirmed already: this change set is part of it
    run_change_set(ctx, req, dataclasses.replace(opts, yes=True, no_execute=False, allow_replacement=False))
    return True


#: stack statuses in which CloudFormation updates no stack, so no change set can turn the
#: protection off: the stack can only be deleted (User Guide, "Stack status codes":
#: ROLLBACK_FAILED "delete the stack"; DELETE_FAILED "retry the delete").
NOT_UPDATABLE = frozenset({"ROLLBACK_FAILED", "DELETE_FAILED"})
#: how long EKS may take to apply UpdateClusterConfig(deletionProtection) (seconds)
UPDATE_LIMIT = 15 * 60


def turn_off_directly(ctx: Context, name: str, stack: dict[str, Any]) -> bool:
    """The stack's own live cluster's deletion protection off through EKS itself
    (``UpdateClusterConfig``), for a stack CloudFormation will not update (a first create
    whose rollback could not delete the protected cluster: ROLLBACK_FAILED). The stack is
    being deleted, so nothing is left drifted. Returns True if it turned it off."""
    from botocore.exceptions import ClientError

    from eks_templates.deploy import cluster_owner
    from eks_templates.errors import DeployFailed

    eks = ctx.aws.client("eks")
    try:
        cluster = eks.describe_cluster(name=name)["cluster"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return False
        raise
    if not cluster.get("deletionProtection") or cluster.get("status") != "ACTIVE":
        return False
    if not cluster_owner.is_stacks(ctx.cfn, cluster, str(stack["StackId"])):
        return False  # another stack's cluster of that name: not ours to unprotect
    ctx.ui.say(f"Turning off the deletion protection of cluster {name} through EKS first ({stack['StackName']} is "
               f"{stack.get('StackStatus')}: CloudFormation updates no stack in that state, and EKS refuses to "
               "delete a protected cluster) ...")
    update_id = str(eks.update_cluster_config(name=name, deletionProtection=False)["update"]["id"])
    started = ctx.timing.clock()
    while True:
        update = eks.describe_update(name=name, updateId=update_id)["update"]
        status = str(update.get("status"))
        if status == "Successful":
            return True
        if status in ("Failed", "Cancelled"):
            reasons = "; ".join(str(e.get("errorMessage") or e.get("errorCode")) for e in update.get("errors") or [])
            raise DeployFailed(f"EKS could not turn off the deletion protection of cluster {name} ({status}): "
                               f"{reasons or 'no reason given'}")
        if ctx.timing.clock() - started > UPDATE_LIMIT:
            raise DeployFailed(f"EKS is still turning off the deletion protection of cluster {name} after "
                               f"{UPDATE_LIMIT // 60} minutes; run the command again when it is done")
        ctx.timing.sleep(ctx.timing.poll)
