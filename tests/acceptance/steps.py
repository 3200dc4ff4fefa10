"""The notes end to end, as steps that run against a real account or the sandbox.

:func:`notes` is the whole scenario (seed notes: create the cluster, kubectl on the
management host, SSH to the nodes, the API endpoint, scale 2 -> 3 -> 2, the private
end state of 4.2-4.3, delete, nothing left). Every step is an ordinary function of a
:class:`Target`; the commands are the real CLI in a subprocess, what they did is
checked through the AWS APIs. Steps that need real compute (Run Command on the
management host, SSH, an answering API server) run only where ``target.compute`` is
true; the sandbox has no instances' software, so there they are recorded as skipped,
and the sandbox test checks that nothing else was.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
STACK = "myeks"
CLUSTER = "myeks"
NODEGROUP = "myeks-nodegroup"
PRIVATE_STACK_FILE = "myeks-private"
#: the CIDR that stacks/myeks-private.yaml leaves the public endpoint open to
PRIVATE_PUBLIC_CIDRS = ["203.0.113.0/24"]


class StepFailed(AssertionError):
    """A step found the account not as the notes say it should be."""


@dataclass
class Target:
    """Where the scenario runs: ``env`` is the whole environment of every CLI call
    (nothing is inherited from the test process, whose AWS variables are faked)."""

    name: str
    env: dict[str, str]
    region: str
    workdir: Path
    endpoint_url: str | None = None
    #: real instances that run their software (Run Command, SSH, the API server)
    compute: bool = False
    #: how long a deploy / delete may take (a real EKS create is ~15 min)
    command_timeout: float = 120.0
    #: how long to wait for nodes, SSM registration, ...
    settle_timeout: float = 0.0
    poll: float = 10.0
    log: Callable[[str], None] = print
    skipped: list[str] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """One client per service (a test may put a botocore Stubber on it)."""
        if service not in self._clients:
            self._clients[service] = self._make_client(service)
        return self._clients[service]

    def _make_client(self, service: str) -> Any:
        creds = {k: self.env[v] for k, v in (("aws_access_key_id", "AWS_ACCESS_KEY_ID"),
                                              ("aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"),
                                              ("aws_session_token", "AWS_SESSION_TOKEN")) if self.env.get(v)}
        session = boto3.Session(profile_name=self.env.get("AWS_PROFILE") or None, region_name=self.region,
                                **creds)
        return session.client(service, endpoint_url=self.endpoint_url)

    def cli(self, *args: str, timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``python -m eks_templates ARGS`` from the copy of stacks/, as a user runs it."""
        env = dict(self.env)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        self.log(f"[{self.name}] $ python -m eks_templates {' '.join(args)}")
        done = subprocess.run([sys.executable, "-m", "eks_templates", *args], cwd=self.workdir, env=env,
                              capture_output=True, text=True, timeout=timeout or self.command_timeout)
        if check and (done.returncode != 0 or "Traceback" in done.stderr):
            raise StepFailed(f"{' '.join(args)}: exit {done.returncode}\n--- stdout\n{done.stdout}\n"
                             f"--- stderr\n{done.stderr}")
        return done

    def skip(self, step: str, why: str) -> None:
        self.skipped.append(step)
        self.log(f"[{self.name}] skipped {step}: {why}")


def make_workdir(base: Path) -> Path:
    """A copy of stacks/: the scenario never writes into the repository."""
    shutil.copytree(REPO / "stacks", base / "stacks")
    return base


# --------------------------------------------------------------------------- small helpers


def wait_for(what: str, check: Callable[[], Any], *, timeout: float, poll: float) -> Any:
    """``check()`` until it returns something true; StepFailed after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise StepFailed(f"{what}: not so after {timeout:.0f} s (last: {last!r})")
        time.sleep(poll)


def outputs(target: Target, stack_file: str = STACK) -> dict[str, str]:
    return dict(json.loads(target.cli("outputs", stack_file, "--json").stdout))


def cluster_description(target: Target) -> dict[str, Any]:
    return dict(target.client("eks").describe_cluster(name=CLUSTER)["cluster"])


# --------------------------------------------------------------------------- the steps


def deploy(target: Target, stack_file: str = STACK) -> dict[str, str]:
    """``deploy STACK --yes`` to CREATE/UPDATE_COMPLETE; returns the stack's outputs."""
    target.cli("deploy", stack_file, "--yes")
    status = target.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise StepFailed(f"{STACK} is {status} after deploy {stack_file}")
    return outputs(target, stack_file)


def run_on_host(target: Target, instance_id: str, script: str, *, timeout: float = 600) -> str:
    """``script`` as root on the management host through SSM Run Command
    (``AWS-RunShellScript``); its stdout, or StepFailed with its stderr."""
    ssm = target.client("ssm")

    def online() -> bool:
        found = ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceInformationList"]
        return bool(found) and found[0].get("PingStatus") == "Online"

    wait_for(f"{instance_id} registered with Systems Manager", online, timeout=target.settle_timeout or 600,
             poll=target.poll)
    command = ssm.send_command(InstanceIds=[instance_id], DocumentName="AWS-RunShellScript",
                               Parameters={"commands": [script], "executionTimeout": [str(int(timeout))]},
                               Comment="eks_templates acceptance")["Command"]["CommandId"]

    def finished() -> dict[str, Any] | None:
        try:
            result = ssm.get_command_invocation(CommandId=command, InstanceId=instance_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvocationDoesNotExist":
                return None
            raise
        return dict(result) if result["Status"] not in ("Pending", "InProgress", "Delayed") else None

    result = wait_for(f"Run Command {command} on {instance_id}", finished, timeout=timeout + 60,
                      poll=min(target.poll, 5.0))
    if result["Status"] != "Success":
        raise StepFailed(f"on {instance_id}: {script!r} ended {result['Status']}:\n"
                         f"{result.get('StandardErrorContent', '')}\n{result.get('StandardOutputContent', '')}")
    return str(result.get("StandardOutputContent", ""))


#: user data must have finished (kubectl installed, kubeconfig written) first
_ON_HOST = "cloud-init status --wait >/dev/null; export HOME=/root KUBECONFIG=/root/.kube/config; "


def ready_nodes(target: Target, host: str) -> list[dict[str, str]]:
    """``kubectl get nodes`` on the management host: the Ready nodes' name and address."""
    listing = json.loads(run_on_host(target, host, _ON_HOST + "kubectl get nodes -o json"))
    nodes = []
    for item in listing.get("items", []):
        status = item.get("status", {})
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", []))
        address = next((a["address"] for a in status.get("addresses", []) if a.get("type") == "InternalIP"), "")
        if ready:
            nodes.append({"name": item["metadata"]["name"], "address": address})
    return nodes


def kubectl_get_nodes(target: Target, host: str, count: int) -> list[dict[str, str]]:
    """Notes 2.4: ``kubectl get nodes`` from the management host shows ``count`` Ready
    nodes (waits for them: a nodegroup's nodes join a minute or two after CREATE)."""
    return list(wait_for(f"{count} Ready node(s) in kubectl get nodes on the management host",
                         lambda: (lambda n: n if len(n) == count else None)(ready_nodes(target, host)),
                         timeout=target.settle_timeout, poll=target.poll))


def ssh_hostname(target: Target, host: str, node: Mapping[str, str]) -> str:
    """Notes 3.1-3.5: ``ssh ec2-user@<node> hostname`` from the management host, as
    ec2-user with the key the host installed."""
    out = run_on_host(target, host, (
        f"sudo -iu ec2-user ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=20 "
        f"ec2-user@{node['address']} hostname"))
    name = out.strip().splitlines()[-1] if out.strip() else ""
    if not name:
        raise StepFailed(f"ssh ec2-user@{node['address']} hostname printed nothing")
    return name


def version_from_here(endpoint: str, ca_data: str, *, timeout: float = 20) -> dict[str, Any]:
    """GET <endpoint>/version from this machine, verifying the cluster's CA (``/version``
    is readable without credentials: Kubernetes' system:public-info-viewer)."""
    with tempfile.NamedTemporaryFile("wb", suffix=".crt", delete=False) as ca:
        ca.write(base64.b64decode(ca_data))
    try:
        context = ssl.create_default_context(cafile=ca.name)
        with urllib.request.urlopen(f"{endpoint}/version", context=context, timeout=timeout) as answer:
            return dict(json.loads(answer.read()))
    finally:
        os.unlink(ca.name)


def version_from_host(target: Target, host: str) -> dict[str, Any]:
    """The same through the private endpoint, from inside the VPC (after 4.2 the public
    one answers only 203.0.113.0/24)."""
    script = _ON_HOST + (
        "server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}'); "
        "kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' "
        "| base64 -d > /tmp/ca.crt; curl -fsS --cacert /tmp/ca.crt \"$server/version\"")
    return dict(json.loads(run_on_host(target, host, script)))


def nodegroup_size(target: Target) -> tuple[int, int, int]:
    config = target.client("eks").describe_nodegroup(clusterName=CLUSTER, nodegroupName=NODEGROUP)[
        "nodegroup"]["scalingConfig"]
    return int(config["desiredSize"]), int(config["minSize"]), int(config["maxSize"])


def scale(target: Target, nodes: int, stack_file: str = STACK) -> None:
    """Notes 6: ``scale STACK NODEGROUP --nodes N --max N``; EKS reports N."""
    target.cli("scale", stack_file, NODEGROUP, "--nodes", str(nodes), "--max", str(nodes), "--yes")
    desired, _, maximum = nodegroup_size(target)
    if (desired, maximum) != (nodes, nodes):
        raise StepFailed(f"after scale --nodes {nodes}: EKS reports desired {desired}, max {maximum}")


def delete(target: Target, stack_file: str = STACK) -> None:
    target.cli("delete", stack_file, "--yes")


def leftovers(target: Target) -> list[str]:
    """Everything the scenario could have left behind: stacks, the cluster, VPCs,
    instances, NAT gateways, addresses, security groups, key pairs, the log group."""
    left: list[str] = []
    cfn, ec2, eks, logs = (target.client(s) for s in ("cloudformation", "ec2", "eks", "logs"))
    alive = [s["StackName"] for page in cfn.get_paginator("list_stacks").paginate()
             for s in page["StackSummaries"]
             if s["StackStatus"] != "DELETE_COMPLETE" and (s["StackName"] == STACK or
                                                          s["StackName"].startswith(f"{STACK}-"))]
    left += [f"stack {name}" for name in alive]
    try:
        eks.describe_cluster(name=CLUSTER)
        left.append(f"EKS cluster {CLUSTER}")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
    ours = [{"Name": "tag:aws:cloudformation:stack-name", "Values": [STACK, f"{STACK}-*"]}]
    left += [f"VPC {v['VpcId']}" for v in ec2.describe_vpcs(Filters=ours)["Vpcs"]]
    not_gone = {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}
    for filters in (ours, [{"Name": "tag:eks:cluster-name", "Values": [CLUSTER]}]):
        for reservation in ec2.describe_instances(Filters=[*filters, not_gone])["Reservations"]:
            left += [f"instance {i['InstanceId']}" for i in reservation["Instances"]]
    left += [f"NAT gateway {n['NatGatewayId']}" for n in ec2.describe_nat_gateways(Filters=ours)["NatGateways"]
             if n.get("State") not in ("deleted", "deleting")]
    left += [f"address {a.get('PublicIp')}" for a in ec2.describe_addresses(Filters=ours)["Addresses"]]
    left += [f"security group {g['GroupId']}" for g in ec2.describe_security_groups(Filters=ours)["SecurityGroups"]]
    left += [f"key pair {k['KeyName']}" for k in ec2.describe_key_pairs(Filters=ours)["KeyPairs"]]
    name = f"/aws/eks/{CLUSTER}/cluster"
    left += [f"log group {g['logGroupName']}" for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
             if g["logGroupName"] == name]
    return sorted(set(left))


# --------------------------------------------------------------------------- the scenario


def notes(target: Target) -> dict[str, Any]:
    """The notes, start to end. Returns what was seen (for the test to report);
    raises StepFailed at the first step that does not hold."""
    seen: dict[str, Any] = {}
    if leftovers(target):
        raise StepFailed(f"the account already holds parts of {STACK}: {leftovers(target)}; delete them first")

    # 1. create the notes' cluster (2 nodes, public management host)
    out = deploy(target, STACK)
    seen["endpoint"] = out["ClusterEndpoint"]
    if nodegroup_size(target) != (2, 2, 2):
        raise StepFailed(f"the nodegroup is {nodegroup_size(target)}, the notes' is 2/2/2")
    host = out["ManagementHostInstanceId"]

    # 2. kubectl get nodes on the management host; 3. ssh to each node from there
    if target.compute:
        nodes = kubectl_get_nodes(target, host, 2)
        seen["nodes"] = [n["name"] for n in nodes]
        seen["ssh"] = [ssh_hostname(target, host, node) for node in nodes]
    else:
        target.skip("kubectl", "no instance runs the SSM agent or kubectl here")
        target.skip("ssh", "no instance runs sshd here")

    # 4. the endpoint answers /version
    if target.compute:
        seen["version"] = version_from_here(out["ClusterEndpoint"], out["CertificateAuthorityData"])["gitVersion"]
    else:
        target.skip("version", "no API server behind the endpoint here")

    # 5. scale 2 -> 3 -> 2 (notes section 6)
    scale(target, 3)
    if target.compute:
        kubectl_get_nodes(target, host, 3)
    scale(target, 2)
    if target.compute:
        kubectl_get_nodes(target, host, 2)

    # 6. the notes' end state (4.2, 4.3): public endpoint limited, management host private
    out = deploy(target, PRIVATE_STACK_FILE)
    vpc = cluster_description(target)["resourcesVpcConfig"]
    if vpc.get("publicAccessCidrs") != PRIVATE_PUBLIC_CIDRS or not vpc.get("endpointPrivateAccess"):
        raise StepFailed(f"after {PRIVATE_STACK_FILE}: endpoint access is {vpc}")
    host = out["ManagementHostInstanceId"]
    if "ManagementHostPublicIp" in out:
        raise StepFailed("after 4.3 the management host still has a public address")
    if target.compute:
        seen["private_version"] = version_from_host(target, host)["gitVersion"]
        kubectl_get_nodes(target, host, 2)

    # 7. delete; nothing left
    delete(target, PRIVATE_STACK_FILE)
    left = leftovers(target)
    if left:
        raise StepFailed(f"left after delete: {', '.join(left)}")
    return seen
