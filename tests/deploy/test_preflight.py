"""The control-plane log group checked before the change set (deploy/preflight.py):
a group left by an earlier cluster is refused with the two ways out, a group the
stack owns is fine, ``logGroup: existing`` creates none.

AWS-shaped responses on botocore's Stubber for the ownership walk and AccessDenied;
the real CLI against the sandbox (moto has the CloudWatch Logs API) end to end."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from eks_templates.config import load_stack
from eks_templates.deploy import preflight
from eks_templates.errors import UserError
from eks_templates.render import render_set
from eks_templates.sandbox import server
from tests.support import REPO, run_cli

from .fakes import REGION, STACK_ID, STACK_TYPE, Stubs, errors, make_ui, stack

NAME = "/aws/eks/myeks/cluster"
CONTROL_PLANE = (f"arn:aws:cloudformation:{REGION}:123456789012:stack/myeks-ControlPlaneStack-X1/"
                 "0f6a1f00-0000-4000-8000-000000000101")


def myeks():  # type: ignore[no-untyped-def]
    cfg = load_stack(str(REPO / "stacks" / "myeks.yaml"), on_warning=None)
    return cfg, render_set(cfg)


def test_the_set_creates_the_control_plane_log_group_under_its_name() -> None:
    _, rendered = myeks()
    assert preflight.planned_log_groups(rendered) == [
        preflight.PlannedLogGroup(NAME, "ControlPlaneStack", "ControlPlaneLogGroup")]


def _group(stubs: Stubs, *groups: dict[str, object]) -> None:
    stubs["logs"].add_response("describe_log_groups", {"logGroups": list(groups)}, {"logGroupNamePrefix": NAME})


def _resources(stubs: Stubs, stack_id: str, *rows: tuple[str, str, str]) -> None:
    stubs.cfn.add_response("list_stack_resources", {"StackResourceSummaries": [
        {"LogicalResourceId": lid, "ResourceType": rtype, "PhysicalResourceId": physical,
         "LastUpdatedTimestamp": stack("X")["CreationTime"], "ResourceStatus": "UPDATE_COMPLETE"}
        for lid, rtype, physical in rows]}, {"StackName": stack_id})


def test_a_leftover_group_refuses_a_create_with_both_ways_out() -> None:
    stubs = Stubs("cloudformation", "logs")
    _group(stubs, {"logGroupName": NAME + "-old"},  # a prefix match is not the group
           {"logGroupName": NAME, "retentionInDays": 90, "storedBytes": 123456,
            "kmsKeyId": "arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"})
    cfg, rendered = myeks()
    with pytest.raises(UserError) as info:
        preflight.check_log_groups(stubs.aws, cfg, rendered, stack_id=None, ui=make_ui())
    stubs.verify()
    assert info.value.messages == [
        f"the log group {NAME} already exists and the stack would create it: CloudFormation would fail with "
        "'already exists' after creating the network (EKS keeps this group when a cluster is deleted)",
        f"  {NAME}: its logs 90 days, 123,456 bytes stored, encrypted with arn:aws:kms:ap-northeast-2:"
        "123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (keep it only if that key is still enabled)",
        f"  either delete it: aws logs delete-log-group --region ap-northeast-2 --log-group-name {NAME}",
        "  or keep it: set cloudWatch.clusterLogging.logGroup: existing in the stack file; the stack then "
        "creates no log group and EKS writes to this one as it is",
        "nothing was changed",
    ]


def test_a_group_the_stack_owns_is_fine_on_an_update() -> None:
    stubs = Stubs("cloudformation", "logs")
    _group(stubs, {"logGroupName": NAME})
    _resources(stubs, STACK_ID, ("NetworkStack", STACK_TYPE, "arn:net"), ("ControlPlaneStack", STACK_TYPE,
                                                                        CONTROL_PLANE))
    _resources(stubs, CONTROL_PLANE, ("ClusterKey", "AWS::KMS::Key", "k-1"),
               ("ControlPlaneLogGroup", "AWS::Logs::LogGroup", NAME))
    cfg, rendered = myeks()
    preflight.check_log_groups(stubs.aws, cfg, rendered, stack_id=STACK_ID, ui=make_ui())
    stubs.verify()


def test_an_update_that_starts_creating_the_group_is_refused_when_it_exists() -> None:
    """Deployed with logGroup: existing (no group in the stack), now back to create."""
    stubs = Stubs("cloudformation", "logs")
    _group(stubs, {"logGroupName": NAME})
    _resources(stubs, STACK_ID, ("ControlPlaneStack", STACK_TYPE, CONTROL_PLANE))
    _resources(stubs, CONTROL_PLANE, ("ClusterKey", "AWS::KMS::Key", "k-1"))
    cfg, rendered = myeks()
    with pytest.raises(UserError, match="already exists and the stack would create it"):
        preflight.check_log_groups(stubs.aws, cfg, rendered, stack_id=STACK_ID, ui=make_ui())
    stubs.verify()


def test_without_describe_permission_it_warns_and_goes_on() -> None:
    stubs = Stubs("cloudformation", "logs")
    stubs["logs"].add_client_error("describe_log_groups", service_error_code="AccessDeniedException",
                                   service_message="not authorized to perform: logs:DescribeLogGroups",
                                   http_status_code=400)
    cfg, rendered = myeks()
    ui = make_ui()
    preflight.check_log_groups(stubs.aws, cfg, rendered, stack_id=None, ui=ui)
    assert "could not check for an existing control-plane log group (AccessDeniedException" in errors(ui)


# --------------------------------------------------------------------------- the real CLI on the sandbox


@pytest.fixture()
def sandbox(sandbox_endpoint: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    server.reset(sandbox_endpoint)
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    yield sandbox_endpoint, tmp_path
    server.reset(sandbox_endpoint)


def _cli(url: str, cwd: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(*args, cwd=cwd, env={"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
                                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION})


def test_plan_and_deploy_on_the_sandbox(sandbox: tuple[str, Path]) -> None:
    url, cwd = sandbox
    logs = boto3.client("logs", region_name=REGION, endpoint_url=url)
    cfn = boto3.client("cloudformation", region_name=REGION, endpoint_url=url)
    logs.create_log_group(logGroupName=NAME)  # left by an earlier myeks

    for command in ("plan", "deploy"):
        done = _cli(url, cwd, command, "myeks", "--yes") if command == "deploy" else _cli(url, cwd, command, "myeks")
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert f"error: the log group {NAME} already exists and the stack would create it" in done.stderr
        assert "logGroup: existing" in done.stderr
        assert cfn.describe_stacks()["Stacks"] == []  # no change set, no stack

    # keep it: the stack creates none and leaves it alone
    stack_file = cwd / "stacks" / "myeks.yaml"
    stack_file.write_text(stack_file.read_text().replace(
        "accessConfig:", "cloudWatch:\n  clusterLogging:\n    logGroup: existing\n\naccessConfig:"))
    done = _cli(url, cwd, "deploy", "myeks", "--yes")
    assert done.returncode == 0, done.stderr
    types = set()
    for summary in cfn.describe_stacks()["Stacks"]:
        types |= {r["ResourceType"] for r in
                  cfn.list_stack_resources(StackName=summary["StackId"])["StackResourceSummaries"]}
    assert "AWS::EKS::Cluster" in types and "AWS::Logs::LogGroup" not in types
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=NAME)["logGroups"]] == [NAME]


def test_a_group_the_stack_made_does_not_stop_its_next_update(sandbox: tuple[str, Path]) -> None:
    url, cwd = sandbox
    logs = boto3.client("logs", region_name=REGION, endpoint_url=url)
    assert _cli(url, cwd, "deploy", "myeks", "--yes").returncode == 0
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=NAME)["logGroups"]] == [NAME]
    done = _cli(url, cwd, "deploy", "myeks-private", "--yes")  # an update of the same stack
    assert done.returncode == 0, done.stderr
    assert "already exists" not in done.stderr


# --------------------------------------------------------------------------- the cluster name


OTHER_ROOT = f"arn:aws:cloudformation:{REGION}:123456789012:stack/other/0f6a1f00-0000-4000-8000-000000000201"
OTHER_CHILD = (f"arn:aws:cloudformation:{REGION}:123456789012:stack/other-ControlPlaneStack-Y1/"
               "0f6a1f00-0000-4000-8000-000000000202")


def _cluster(stubs: Stubs, tags: dict[str, str] | None) -> None:
    body: dict[str, object] = {"name": "myeks", "status": "ACTIVE"}
    if tags is not None:
        body["tags"] = tags
    stubs["eks"].add_response("describe_cluster", {"cluster": body}, {"name": "myeks"})


def _cfn_tags(stack_id: str) -> dict[str, str]:
    name = stack_id.split(":stack/")[1].split("/")[0]
    return {"aws:cloudformation:stack-id": stack_id, "aws:cloudformation:stack-name": name,
            "aws:cloudformation:logical-id": "ControlPlane", "team": "x"}


def test_a_free_cluster_name_goes_on() -> None:
    stubs = Stubs("cloudformation", "eks")
    stubs["eks"].add_client_error("describe_cluster", service_error_code="ResourceNotFoundException",
                                  service_message="No cluster found for name: myeks.", http_status_code=404)
    cfg, _ = myeks()
    assert preflight.check_cluster_name(stubs.aws, cfg, stack_id=None, ui=make_ui()) is False
    stubs.verify()


def test_a_name_another_stack_holds_is_refused_naming_that_stack() -> None:
    """The cluster's aws:cloudformation:stack-id is another root's ControlPlaneStack: named by its root."""
    stubs = Stubs("cloudformation", "eks")
    _cluster(stubs, _cfn_tags(OTHER_CHILD))
    child = {**stack("CREATE_COMPLETE", stack_id=OTHER_CHILD, name="other-ControlPlaneStack-Y1"),
             "RootId": OTHER_ROOT, "ParentId": OTHER_ROOT}
    stubs.cfn.add_response("describe_stacks", {"Stacks": [child]}, {"StackName": OTHER_CHILD})
    cfg, _ = myeks()
    with pytest.raises(UserError) as info:
        preflight.check_cluster_name(stubs.aws, cfg, stack_id=None, ui=make_ui())
    stubs.verify()
    assert info.value.messages == [
        "the cluster name myeks (metadata.name) is taken in ap-northeast-2: its cluster was made by stack other; "
        "EKS cluster names are unique in a region, and CloudFormation would fail with 'Cluster already exists' "
        "after creating the network",
        "  choose another metadata.name in the stack file for stack myeks",
        "nothing was changed",
    ]


def test_on_an_update_the_stacks_own_cluster_is_fine_and_another_is_not() -> None:
    stubs = Stubs("cloudformation", "eks")
    _cluster(stubs, _cfn_tags(CONTROL_PLANE))
    _resources(stubs, STACK_ID, ("NetworkStack", STACK_TYPE, "arn:net"), ("ControlPlaneStack", STACK_TYPE,
                                                                        CONTROL_PLANE))
    cfg, _ = myeks()
    assert preflight.check_cluster_name(stubs.aws, cfg, stack_id=STACK_ID, ui=make_ui()) is True
    stubs.verify()
    # a cluster made outside CloudFormation (no aws: tags) is no stack's
    stubs = Stubs("cloudformation", "eks")
    _cluster(stubs, {"team": "x"})
    _resources(stubs, STACK_ID, ("ControlPlaneStack", STACK_TYPE, CONTROL_PLANE))
    with pytest.raises(UserError, match=r"taken in ap-northeast-2: its cluster was made outside CloudFormation"):
        preflight.check_cluster_name(stubs.aws, cfg, stack_id=STACK_ID, ui=make_ui())
    stubs.verify()


def test_without_describe_cluster_permission_it_warns_and_goes_on() -> None:
    stubs = Stubs("cloudformation", "eks")
    stubs["eks"].add_client_error("describe_cluster", service_error_code="AccessDeniedException",
                                  service_message="not authorized to perform: eks:DescribeCluster",
                                  http_status_code=403)
    cfg, _ = myeks()
    ui = make_ui()
    assert preflight.check_cluster_name(stubs.aws, cfg, stack_id=None, ui=ui) is False
    assert "could not check whether the cluster name myeks is taken (AccessDeniedException" in errors(ui)


def test_a_group_another_live_stack_holds_is_never_to_be_deleted() -> None:
    stubs = Stubs("cloudformation", "logs")
    arn = f"arn:aws:logs:{REGION}:123456789012:log-group:{NAME}"
    _group(stubs, {"logGroupName": NAME, "arn": arn + ":*"})
    stubs["logs"].add_response("list_tags_for_resource", {"tags": _cfn_tags(OTHER_CHILD)}, {"resourceArn": arn})
    child = {**stack("CREATE_COMPLETE", stack_id=OTHER_CHILD, name="other-ControlPlaneStack-Y1"),
             "RootId": OTHER_ROOT, "ParentId": OTHER_ROOT}
    stubs.cfn.add_response("describe_stacks", {"Stacks": [child]}, {"StackName": OTHER_CHILD})
    cfg, rendered = myeks()
    with pytest.raises(UserError) as info:
        preflight.check_log_groups(stubs.aws, cfg, rendered, stack_id=None, ui=make_ui())
    stubs.verify()
    text = "\n".join(info.value.messages)
    assert "delete-log-group" not in text and "EKS keeps this group" not in text
    assert ("  it belongs to stack other (its aws:cloudformation:stack-id tag): do not delete it; set "
            "cloudWatch.clusterLogging.logGroup: existing") in text


def test_a_group_the_stacks_running_cluster_writes_to_is_never_to_be_deleted() -> None:
    stubs = Stubs("cloudformation", "logs")
    _group(stubs, {"logGroupName": NAME})
    _resources(stubs, STACK_ID, ("ControlPlaneStack", STACK_TYPE, CONTROL_PLANE))
    _resources(stubs, CONTROL_PLANE, ("ClusterKey", "AWS::KMS::Key", "k-1"))
    cfg, rendered = myeks()
    with pytest.raises(UserError) as info:
        preflight.check_log_groups(stubs.aws, cfg, rendered, stack_id=STACK_ID, ui=make_ui(), live_cluster=True)
    text = "\n".join(info.value.messages)
    assert "delete-log-group" not in text
    assert "  it holds the logs of the running cluster myeks: do not delete it" in text
