"""``stacks/platform.yaml`` (its controllers on EKS Pod Identity) deployed with the real CLI
against the local sandbox, and read back through EKS ``ListPodIdentityAssociations`` /
``DescribePodIdentityAssociation`` and IAM: every controller's service account has its own
role trusting ``pods.eks.amazonaws.com`` with exactly the asked permissions, the add-ons own
their associations, the agent add-on is there, and the node roles carry nothing a pod could
use (no controller policy, no ``AmazonEKS_CNI_Policy``). Then delete: nothing left."""

from __future__ import annotations

import json
import shutil
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from eks_templates.sandbox import server
from tests.e2e.user import SandboxUser
from tests.support import REPO

STACK = "platform"
REGION = "eu-west-1"
TRUST = [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
          "Principal": {"Service": ["pods.eks.amazonaws.com"]}}]
#: (namespace, service account) -> (managed policy names, inline policy names), as platform.yaml asks
EXPECTED = {
    ("kube-system", "external-dns"): ([], ["PolicyExternalDNSChangeSet", "PolicyExternalDNSHostedZones"]),
    ("cert-manager", "cert-manager"): ([], ["PolicyCertManagerChangeSet", "PolicyCertManagerGetChange",
                                            "PolicyCertManagerHostedZones"]),
    ("kube-system", "cluster-autoscaler"): ([], ["PolicyAutoScaling"]),
    ("kube-system", "aws-load-balancer-controller"): ([], ["PolicyAWSLoadBalancerController"]),
    ("kube-system", "aws-node"): (["AmazonEKS_CNI_Policy"], []),
    ("kube-system", "ebs-csi-controller-sa"): (["AmazonEBSCSIDriverPolicy"], []),
    ("amazon-cloudwatch", "cloudwatch-agent"): (["CloudWatchAgentServerPolicy"], []),
}
OWNED_BY_ADDONS = {"aws-node": "vpc-cni", "ebs-csi-controller-sa": "aws-ebs-csi-driver",
                   "cloudwatch-agent": "amazon-cloudwatch-observability"}


class Sandbox(SandboxUser):
    def ok(self, *args: str) -> str:
        """stdout of a command that must succeed."""
        done = self.cli(*args)
        assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, sandbox_endpoint: str) -> Iterator[Sandbox]:
    server.reset(sandbox_endpoint)
    workdir = tmp_path_factory.mktemp("pod-identity")
    shutil.copytree(REPO / "stacks", workdir / "stacks")
    sandbox = Sandbox(sandbox_endpoint, workdir, region=REGION)
    sandbox.ok("deploy", STACK, "--yes")
    yield sandbox
    server.reset(sandbox_endpoint)


def _role(iam: Any, arn: str) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    role = iam.get_role(RoleName=name)["Role"]
    document = role["AssumeRolePolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    attached = [p["PolicyArn"].rsplit("/", 1)[-1]
                for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
    return {"trust": document["Statement"], "managed": sorted(attached), "inline": sorted(inline)}


def test_every_controller_has_its_association_and_role(deployed: Sandbox) -> None:
    eks, iam = deployed.client("eks"), deployed.client("iam")
    summaries = eks.list_pod_identity_associations(clusterName=STACK)["associations"]
    assert {(a["namespace"], a["serviceAccount"]) for a in summaries} == set(EXPECTED)
    for summary in summaries:
        association = eks.describe_pod_identity_association(
            clusterName=STACK, associationId=summary["associationId"])["association"]
        key = (association["namespace"], association["serviceAccount"])
        role = _role(iam, association["roleArn"])
        assert role["trust"] == TRUST, key
        managed, inline = EXPECTED[key]
        assert (role["managed"], role["inline"]) == (sorted(managed), sorted(inline)), key
        owner = OWNED_BY_ADDONS.get(key[1])
        if owner:
            assert f":addon/{STACK}/{owner}/" in association["ownerArn"], key
        else:
            assert "ownerArn" not in association, key


def test_the_agent_is_installed(deployed: Sandbox) -> None:
    cfn = deployed.client("cloudformation")
    control_plane = next(s for s in cfn.describe_stacks()["Stacks"] if "-ControlPlaneStack-" in s["StackName"])
    resources = cfn.list_stack_resources(StackName=control_plane["StackId"])["StackResourceSummaries"]
    assert "AddonEksPodIdentityAgent" in {r["LogicalResourceId"] for r in resources}


def test_no_node_role_carries_what_a_pod_could_use(deployed: Sandbox) -> None:
    eks, iam = deployed.client("eks"), deployed.client("iam")
    for name in eks.list_nodegroups(clusterName=STACK)["nodegroups"]:
        role = _role(iam, eks.describe_nodegroup(clusterName=STACK, nodegroupName=name)["nodegroup"]["nodeRole"])
        assert role["inline"] == [], name
        assert role["managed"] == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy",
                                   "AmazonSSMManagedInstanceCore"], name


def test_delete_leaves_no_association(deployed: Sandbox) -> None:
    deployed.ok("delete", STACK, "--yes", "--force")
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        deployed.client("eks").list_pod_identity_associations(clusterName=STACK)
