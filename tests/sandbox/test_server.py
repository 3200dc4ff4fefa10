"""The sandbox as a server: a cluster's whole lifecycle over HTTP, reset, and the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from eks_templates.sandbox import __main__ as sandbox_main
from eks_templates.sandbox import server as sandbox_server

from . import templates as t
from .cfn import deploy, live_stacks, outputs
from .conftest import Clients

REPO = Path(__file__).resolve().parents[2]


def _upload_children(clients: Clients) -> dict[str, str]:
    return {
        "network": t.upload(clients.s3, "children/network.json", t.network(nat=True)),
        "control_plane": t.upload(clients.s3, "children/control-plane.json", t.control_plane()),
        "nodegroup": t.upload(clients.s3, "children/nodegroup-ng-1.json", t.nodegroup()),
    }


def test_cluster_lifecycle_through_the_server(remote: Clients) -> None:
    root = t.root(_upload_children(remote))

    assert deploy(remote.cloudformation, "myeks", root) == "CREATE"
    out = outputs(remote.cloudformation, "myeks")
    assert out["ClusterName"] == "myeks"
    assert len(live_stacks(remote.cloudformation)) == 4  # root + 3 children
    nodegroup = remote.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]
    assert nodegroup["nodegroupArn"] == out["NodegroupArn"]
    assert nodegroup["scalingConfig"]["desiredSize"] == 2
    cluster = remote.eks.describe_cluster(name="myeks")["cluster"]
    assert cluster["resourcesVpcConfig"]["vpcId"] == out["VpcId"]

    # scale: a template update through a change set, applied in place
    deploy(remote.cloudformation, "myeks", root, {"DesiredSize": "3"})
    scaled = remote.eks.describe_nodegroup(clusterName="myeks", nodegroupName="ng-1")["nodegroup"]
    assert scaled["scalingConfig"]["desiredSize"] == 3
    assert scaled["nodegroupArn"] == nodegroup["nodegroupArn"]

    # endpoint to private, in place
    deploy(
        remote.cloudformation,
        "myeks",
        root,
        {"DesiredSize": "3", "EndpointPublicAccess": "false", "EndpointPrivateAccess": "true"},
    )
    private = remote.eks.describe_cluster(name="myeks")["cluster"]
    assert private["resourcesVpcConfig"]["endpointPublicAccess"] is False
    assert private["resourcesVpcConfig"]["endpointPrivateAccess"] is True
    assert private["arn"] == cluster["arn"] and private["createdAt"] == cluster["createdAt"]
    assert len(live_stacks(remote.cloudformation)) == 4
    assert [v["VpcId"] for v in remote.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == [out["VpcId"]]

    remote.cloudformation.delete_stack(StackName="myeks")

    assert live_stacks(remote.cloudformation) == []
    assert [v for v in remote.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert [g["GroupName"] for g in remote.ec2.describe_security_groups()["SecurityGroups"]] == ["default"]
    assert remote.eks.list_clusters()["clusters"] == []
    assert remote.iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_reset_empties_the_server_and_the_models_still_work(remote: Clients) -> None:
    deploy(remote.cloudformation, "net", t.network(nat=False))
    assert live_stacks(remote.cloudformation) == ["net"]

    sandbox_server.reset(remote.endpoint_url or "")

    assert live_stacks(remote.cloudformation) == []
    assert remote.s3.list_buckets()["Buckets"] == []
    image = remote.ssm.get_parameter(Name=t.AMI_PATH.format(version="1.33"))["Parameter"]["Value"]
    assert image.startswith("ami-")
    deploy(remote.cloudformation, "net", t.network(nat=False))
    net = outputs(remote.cloudformation, "net")
    deploy(remote.cloudformation, "cp", t.control_plane(), {**net, "ClusterName": "again"})
    assert remote.eks.list_clusters()["clusters"] == ["again"]


def test_start_returns_a_localhost_url_on_a_free_port(sandbox_endpoint: str) -> None:
    server, endpoint_url = sandbox_server.start(0)
    try:
        assert endpoint_url.startswith("http://localhost:") and endpoint_url != sandbox_endpoint
        s3 = boto3.client("s3", region_name=t.REGION, endpoint_url=endpoint_url)
        s3.create_bucket(Bucket="probe-bucket", CreateBucketConfiguration={"LocationConstraint": t.REGION})
        # Servers in one process share moto's backends: the session's server sees it too.
        shared = boto3.client("s3", region_name=t.REGION, endpoint_url=sandbox_endpoint)
        assert "probe-bucket" in [b["Name"] for b in shared.list_buckets()["Buckets"]]
    finally:
        server.stop()
        sandbox_server.reset(sandbox_endpoint)


def test_a_busy_port_is_reported_not_hung_on(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert sandbox_main.main(["--port", str(port)]) == 2
    assert f"error: port {port} is in use" in capsys.readouterr().err


def test_command_line_prints_the_environment_and_stops_cleanly_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "eks_templates.sandbox", "--port", "0"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while "Press Ctrl-C to stop." not in lines:
            assert time.monotonic() < deadline, lines
            line = process.stdout.readline()
            assert line, f"sandbox exited early: {process.poll()} {process.stderr.read() if process.stderr else ''}"
            lines.append(line.strip())
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
        assert exports["AWS_ACCESS_KEY_ID"] == "testing" and exports["AWS_DEFAULT_REGION"] == t.REGION
        endpoint_url = exports["AWS_ENDPOINT_URL"]
        assert endpoint_url.startswith("http://localhost:")

        cf = boto3.client("cloudformation", region_name=t.REGION, endpoint_url=endpoint_url)
        cf.create_stack(StackName="probe", TemplateBody=t.json_body(t.network(nat=False)))
        assert [s["StackName"] for s in cf.describe_stacks()["Stacks"]] == ["probe"]

        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "sandbox stopped" in stderr
