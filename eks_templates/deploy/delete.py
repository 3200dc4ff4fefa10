"""``delete``: the whole cluster stack, after checking for what would make the
delete fail half way.

Kubernetes creates things CloudFormation does not know about: load balancers for
Services and Ingresses (tagged ``kubernetes.io/cluster/<name>`` or
``elbv2.k8s.aws/cluster``), and network interfaces left behind. Those keep the
subnets, security groups and VPC from being deleted, and the stack ends
DELETE_FAILED after a long wait. So they are listed first, and the delete is refused
unless ``--force``. Then: confirm (type the stack name, or ``--yes``), turn the
cluster's deletion protection off through a change set (:mod:`.protection`), turn
termination protection off, delete, watch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eks_templates import interrupts, program
from eks_templates.config.model import ClusterConfig
from eks_templates.deploy import policy, protection
from eks_templates.deploy.flow import Context, Options, report_failure, watch
from eks_templates.deploy.outputs import SECURITY_GROUP_SUFFIX, stack_outputs
from eks_templates.deploy.package import default_bucket
from eks_templates.deploy.paging import items
from eks_templates.deploy.stack_state import describe_stack, in_progress
from eks_templates.deploy.watch import Watcher, clock_text
from eks_templates.errors import DeployFailed, UserError
from eks_templates.names import NETWORK_STACK, OUTPUT_CLUSTER_NAME, VPC_ID

K8S_CLUSTER_TAG = "kubernetes.io/cluster/"
LBC_CLUSTER_TAG = "elbv2.k8s.aws/cluster"
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class Blocker:
    kind: str
    ident: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.ident}: {self.detail}"


@dataclass
class Owned:
    """What the stack tree owns: its stacks' names and every physical resource ID."""

    stack_names: set[str]
    physical_ids: set[str]
    root_logical_ids: set[str]


def owned(cfn: Any, root: str) -> Owned:
    result = Owned(set(), set(), set())

    def walk(stack: str, depth: int) -> None:
        for summary in items(cfn.list_stack_resources, "StackResourceSummaries", StackName=stack):
            physical = str(summary.get("PhysicalResourceId") or "")
            if depth == 0:
                result.root_logical_ids.add(str(summary.get("LogicalResourceId")))
            if physical:
                result.physical_ids.add(physical)
            if summary.get("ResourceType") == STACK_TYPE and physical and depth < 5:
                result.stack_names.add(physical.split("/")[1] if physical.startswith("arn:") else physical)
                walk(physical, depth + 1)

    walk(root, 0)
    return result


def cluster_tagged(tags: dict[str, str], cluster: str) -> bool:
    return f"{K8S_CLUSTER_TAG}{cluster}" in tags or tags.get(LBC_CLUSTER_TAG) == cluster


def _tag_dict(tags: Any) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags or []}


def _tags_in_batches(describe_tags: Any, id_key: str, argument: str, ids: list[str]) -> dict[str, dict[str, str]]:
    """Tags of many load balancers, 20 per call (the limit of both ELB APIs)."""
    tags: dict[str, dict[str, str]] = {}
    for i in range(0, len(ids), 20):
        described = describe_tags(**{argument: ids[i:i + 20]})
        tags.update({d[id_key]: _tag_dict(d.get("Tags")) for d in described.get("TagDescriptions") or []})
    return tags


def load_balancers(aws: Any, *, vpc_id: str, cluster: str, vpc_owned: bool) -> list[Blocker]:
    """Load balancers in the VPC: Kubernetes-created ones always (they would leak and
    hold our security groups), any other only when the stack owns the VPC."""
    found = []

    def check(kind: str, name: str, tags: dict[str, str], remedy: str) -> None:
        k8s = cluster_tagged(tags, cluster)
        if k8s or vpc_owned:
            what = "created by Kubernetes for this cluster" if k8s else "in the cluster's VPC"
            found.append(Blocker(f"load balancer ({kind})", name, f"{what}; {remedy}"))

    elbv2 = aws.client("elbv2")
    current = [lb for lb in items(elbv2.describe_load_balancers, "LoadBalancers", token_in="Marker",
                                  token_out="NextMarker") if lb.get("VpcId") == vpc_id]
    tags = _tags_in_batches(elbv2.describe_tags, "ResourceArn", "ResourceArns",
                            [lb["LoadBalancerArn"] for lb in current])
    for lb in current:
        check(lb.get("Type", "elbv2"), str(lb["LoadBalancerName"]), tags.get(lb["LoadBalancerArn"], {}),
              "delete the Service/Ingress that made it (kubectl delete ...) or the load balancer")
    elb = aws.client("elb")
    classic = [lb for lb in items(elb.describe_load_balancers, "LoadBalancerDescriptions", token_in="Marker",
                                  token_out="NextMarker") if lb.get("VPCId") == vpc_id]
    tags = _tags_in_batches(elb.describe_tags, "LoadBalancerName", "LoadBalancerNames",
                            [lb["LoadBalancerName"] for lb in classic])
    for lb in classic:
        check("classic", str(lb["LoadBalancerName"]), tags.get(lb["LoadBalancerName"], {}),
              "delete the Service of type LoadBalancer or the load balancer")
    return found


def network_interfaces(aws: Any, *, vpc_id: str | None, vpc_owned: bool, group_ids: list[str],
                       cluster: str, own: Owned) -> list[Blocker]:
    """Available or in-use network interfaces that the stack does not own and that
    would block deleting its subnets (owned VPC) or security groups."""
    ec2 = aws.client("ec2")
    status = {"Name": "status", "Values": ["available", "in-use"]}
    if vpc_owned and vpc_id:
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}, status]
    elif group_ids:
        filters = [{"Name": "group-id", "Values": group_ids}, status]
    else:
        return []
    interfaces = list(items(ec2.describe_network_interfaces, "NetworkInterfaces", Filters=filters))
    instance_ids = sorted({str(eni["Attachment"]["InstanceId"]) for eni in interfaces
                           if (eni.get("Attachment") or {}).get("InstanceId")} - own.physical_ids)
    ours = set(own.physical_ids)
    nat_ids = sorted(i for i in own.physical_ids if i.startswith("nat-"))
    if nat_ids:
        for nat in items(ec2.describe_nat_gateways, "NatGateways", NatGatewayIds=nat_ids):
            ours.update(str(a["NetworkInterfaceId"]) for a in nat.get("NatGatewayAddresses") or []
                        if a.get("NetworkInterfaceId"))
    if instance_ids:
        for reservation in items(ec2.describe_instances, "Reservations", InstanceIds=instance_ids):
            for instance in reservation.get("Instances") or []:
                tags = _tag_dict(instance.get("Tags"))
                if tags.get("eks:cluster-name") == cluster or \
                        tags.get("aws:cloudformation:stack-name") in own.stack_names:
                    ours.add(str(instance["InstanceId"]))
    found = []
    for eni in interfaces:
        description = str(eni.get("Description") or "")
        attached = str((eni.get("Attachment") or {}).get("InstanceId") or "")
        words = set(description.replace(",", " ").split())
        if eni["NetworkInterfaceId"] in ours or (attached and attached in ours) or words & ours:
            continue  # the stack's own (a NAT gateway's, a node's, the bastion's)
        if description == f"Amazon EKS {cluster}" or description.startswith("ELB "):
            continue  # the cluster's (goes with it) or a load balancer's (listed above)
        state = str(eni.get("Status", ""))
        detail = f"{state}, {eni.get('InterfaceType', 'interface')}"
        detail += f", '{description}'" if description else ""
        detail += f", attached to {attached}" if attached else ""
        hint = (f"aws ec2 delete-network-interface --network-interface-id {eni['NetworkInterfaceId']}"
                if state == "available" else "detach or delete what uses it")
        found.append(Blocker("network interface", str(eni["NetworkInterfaceId"]), f"{detail}; {hint}"))
    return found


def preflight(ctx: Context, cfg: ClusterConfig, stack: dict[str, Any]) -> list[Blocker]:
    outputs = stack_outputs(stack)
    own = owned(ctx.cfn, str(stack["StackId"]))
    cluster = outputs.get(OUTPUT_CLUSTER_NAME) or cfg.metadata.name
    vpc_id = outputs.get(VPC_ID.name) or cfg.vpc.id
    # the stack made the VPC: its network child, or a VPC among its resources
    vpc_owned = NETWORK_STACK in own.root_logical_ids or (vpc_id is not None and vpc_id in own.physical_ids)
    group_ids = sorted(v for k, v in outputs.items() if k.endswith(SECURITY_GROUP_SUFFIX) and v)
    blockers = []
    if vpc_id:
        blockers += load_balancers(ctx.aws, vpc_id=vpc_id, cluster=cluster, vpc_owned=vpc_owned)
    blockers += network_interfaces(ctx.aws, vpc_id=vpc_id, vpc_owned=vpc_owned, group_ids=group_ids,
                                   cluster=cluster, own=own)
    return blockers


def delete(ctx: Context, cfg: ClusterConfig, opts: Options, *, force: bool = False) -> int:
    ui = ctx.ui
    cfn = ctx.cfn
    name = cfg.stack_name
    stack = describe_stack(cfn, name)
    if stack is None:
        ui.say(f"No stack {name} in {ctx.aws.region}; nothing to delete.")
        return 0
    stack_id = str(stack["StackId"])
    status = str(stack["StackStatus"])
    if status == "DELETE_IN_PROGRESS":
        if not opts.wait:
            raise UserError(f"stack {name} is already being deleted")
        watcher = Watcher(cfn, stack_id, name, ui=ui, timing=ctx.timing)
        watcher.resume()
    else:
        if in_progress(status):
            raise UserError(f"stack {name} is {status}: another operation is running; "
                            f"delete it when that is done (`{program.command('deploy', name)}` watches it to the end)")
        blockers = preflight(ctx, cfg, stack)
        if blockers:
            lines = [f"these would make deleting {name} fail (CloudFormation does not own them):"]
            lines += [f"  {b}" for b in blockers]
            if not force:
                raise UserError(lines[0], messages=[*lines, "delete them first, or pass --force to try anyway"])
            for line in lines:
                ui.warn(line)
        ui.confirm_typed(name, yes=opts.yes,
                         what=f"This deletes stack {name} in {ctx.aws.region} and everything it created "
                              "(the cluster, its nodegroups and, if the stack made it, the VPC).",
                         refuse_hint="pass --yes to delete without a prompt")
        interrupts.checkpoint()  # the last moment a Ctrl-C stops it with nothing deleted
        # the cluster's DeletionProtection goes off through a change set on the deployed templates first
        if stack.get("StackStatus") in protection.NOT_UPDATABLE:
            protection.turn_off_directly(ctx, cfg.metadata.name, stack)
        elif protection.turn_off(ctx, cfg, stack, opts):
            stack = describe_stack(cfn, stack_id) or stack
        watcher = Watcher(cfn, stack_id, name, ui=ui, timing=ctx.timing)
        with interrupts.held():  # protection off and the delete go together; then the watch says how to resume
            if stack.get("EnableTerminationProtection"):
                policy.set_termination_protection(cfn, stack_id, False, ui, label=name)
            watcher.mark_existing()
            cfn.delete_stack(StackName=stack_id)
        ui.say(f"Deleting {name} ...")
    result = watch(ctx, watcher, opts)
    if not result.ok:
        failure = report_failure(ctx, result, stack_id, name, "delete")
        if result.timed_out:
            raise failure
        hint = (f"the reasons above name what CloudFormation could not delete; remove what holds it "
                f"(often something made in the VPC outside the stack), then run "
                f"`{program.command('delete', name)}` again. Everything already deleted stays deleted")
        raise DeployFailed(failure.messages[0], messages=[*failure.messages, hint])
    bucket = cfg.deploy.bucket or default_bucket(ctx.aws.account_id(), ctx.aws.region)
    ui.say(f"{name}: deleted in {clock_text(result.elapsed)}. The packaged templates stay in "
           f"s3://{bucket}/{cfg.template_prefix}/ (delete them with `aws s3 rm --recursive` if you want).")
    return 0
