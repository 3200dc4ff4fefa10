"""A stack deployed with another stack plan is recognised from its root's nested stacks."""

from __future__ import annotations

import json

import pytest

from eks_templates.config import load_stack, parse_config
from eks_templates.deploy.layout import (
    deployed_child_template,
    fargate_may_move,
    held_fargate_profiles,
    live_fargate_profiles,
    moved_children,
    nested_stacks,
    refuse_other_layout,
)
from eks_templates.errors import UserError
from eks_templates.render import render_set
from eks_templates.stack_plan import CRITICAL_PATH, FARGATE_IN_CONTROL_PLANE, ONE_PER_BUILDER
from tests.test_assembly import EXISTING


def _root(config, plan):
    rendered = render_set(config, plan=plan)
    return json.loads(rendered.files[rendered.root])


def test_the_earlier_layout_is_recognised_and_refused_with_the_way_out():
    cfg = load_stack(None, on_warning=None)
    old, new = _root(cfg, ONE_PER_BUILDER), _root(cfg, CRITICAL_PATH)
    assert {"NetworkStack", "SecurityStack", "ControlPlaneStack"} <= nested_stacks(old)
    assert moved_children(old, new) == ["NetworkStack", "SecurityStack"]
    with pytest.raises(UserError) as refused:
        refuse_other_layout("myeks", old, new)
    text = "\n".join(refused.value.messages)
    assert refused.value.messages[0].startswith("myeks was deployed with the earlier layout of child stacks")
    assert "nothing was changed" in refused.value.messages[0]
    assert "NAT gateway" in text
    # stack refactoring is no way out (it refuses a stack with a stack policy): the ways that work
    assert "refactoring cannot move them" in text and "stack policy" in text
    assert "the release that created it" in text and "plan=stack_plan.ONE_PER_BUILDER" in text


def test_the_same_layout_or_a_new_stack_goes_ahead():
    cfg = load_stack(None, on_warning=None)
    new = _root(cfg, CRITICAL_PATH)
    refuse_other_layout("myeks", None, new)  # a create
    refuse_other_layout("myeks", new, new)
    old = _root(cfg, ONE_PER_BUILDER)
    refuse_other_layout("myeks", old, old)  # a library caller that keeps the earlier plan


def test_going_back_to_the_earlier_layout_is_refused_too():
    cfg = load_stack(None, on_warning=None)
    old, new = _root(cfg, ONE_PER_BUILDER), _root(cfg, CRITICAL_PATH)
    assert moved_children(new, old) == ["NetworkStack", "SecurityStack"]
    with pytest.raises(UserError, match="an earlier layout"):
        refuse_other_layout("myeks", new, old)


def test_an_existing_vpc_moves_only_its_security_groups():
    cfg = parse_config(EXISTING, "byo.yaml", on_warning=None)
    old, new = _root(cfg, ONE_PER_BUILDER), _root(cfg, CRITICAL_PATH)
    assert "NetworkStack" not in nested_stacks(old)
    assert moved_children(old, new) == ["SecurityStack"]


def test_a_removed_nodegroup_is_not_a_layout_change():
    cfg = load_stack(None, on_warning=None)
    new = _root(cfg, CRITICAL_PATH)
    fewer = json.loads(json.dumps(new))
    del fewer["Resources"]["NodegroupMyeksNodegroupStack"]
    assert moved_children(new, fewer) == []


# --------------------------------------------------------------------------- the Fargate profiles' move

def _eks_stub():
    import boto3
    from botocore.stub import Stubber

    eks = boto3.client("eks", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    return eks, Stubber(eks)


def _platform():
    from tests.support import REPO

    return load_stack(str(REPO / "stacks" / "platform.yaml"), on_warning=None)


def _reader(eks, cluster="platform"):
    return lambda: live_fargate_profiles(eks, cluster)


def test_profiles_in_control_plane_stack_are_recognised_with_one_read_and_refused():
    cfg = _platform()
    old, new = _root(cfg, FARGATE_IN_CONTROL_PLANE), _root(cfg, CRITICAL_PATH)
    assert "FargateStack" not in nested_stacks(old) and "FargateStack" in nested_stacks(new)
    assert moved_children(old, new) == []  # the root alone does not tell
    assert fargate_may_move(old, new)
    eks, stub = _eks_stub()
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": ["serverless"]}, {"clusterName": "platform"})
    with stub, pytest.raises(UserError) as refused:
        refuse_other_layout("platform", old, new, fargate_profiles=["serverless"], live_profiles=_reader(eks))
    stub.assert_no_pending_responses()  # exactly one ListFargateProfiles
    first, why, way_out = refused.value.messages
    assert first == ("platform was deployed with the earlier layout of child stacks (the Fargate profiles in "
                     "ControlPlaneStack: serverless); these templates put them in FargateStack; nothing was changed")
    assert "ResourceInUseException" in why and "A Fargate Profile already exists with this name" in why
    assert "fargateProfiles[].name" in way_out and "the release that created it" in way_out


def test_no_read_unless_the_new_root_adds_fargate_stack():
    cfg = _platform()
    old, new = _root(cfg, FARGATE_IN_CONTROL_PLANE), _root(cfg, CRITICAL_PATH)
    eks, stub = _eks_stub()  # no response queued: any call fails the test
    with stub:
        for deployed, wanted in ((None, new), (new, new), (old, old), (new, old)):
            refuse_other_layout("platform", deployed, wanted, fargate_profiles=["serverless"],
                                live_profiles=_reader(eks))
        mine = load_stack(None, on_warning=None)  # no Fargate profiles: no FargateStack at all
        refuse_other_layout("myeks", _root(mine, CRITICAL_PATH), _root(mine, CRITICAL_PATH),
                            live_profiles=_reader(eks, "myeks"))
    stub.assert_no_pending_responses()


def test_a_cluster_that_had_no_profiles_may_add_some():
    mine = load_stack(None, on_warning=None)
    deployed = _root(mine, CRITICAL_PATH)
    text = json.dumps(_root(mine, CRITICAL_PATH))
    with_profiles = json.loads(text)
    with_profiles["Resources"]["FargateStack"] = {"Type": "AWS::CloudFormation::Stack", "Properties": {}}
    eks, stub = _eks_stub()
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": []}, {"clusterName": "myeks"})
    # a profile of another name (made by hand) does not clash either
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": ["by-hand"]}, {"clusterName": "myeks"})
    with stub:
        for _ in range(2):
            refuse_other_layout("myeks", deployed, with_profiles, fargate_profiles=["serverless"],
                                live_profiles=_reader(eks, "myeks"))
    stub.assert_no_pending_responses()


def test_a_cluster_that_is_not_there_has_no_profiles():
    eks, stub = _eks_stub()
    stub.add_client_error("list_fargate_profiles", "ResourceNotFoundException", "No cluster found for name: gone.",
                          404, expected_params={"clusterName": "gone"})
    stub.add_client_error("list_fargate_profiles", "AccessDeniedException", "not authorized", 403,
                          expected_params={"clusterName": "gone"})
    with stub:
        assert live_fargate_profiles(eks, "gone") == []
        from botocore.exceptions import ClientError

        with pytest.raises(ClientError):  # deploy's AWS error handling reports it (deploy/aws_errors.py)
            live_fargate_profiles(eks, "gone")
    stub.assert_no_pending_responses()


def test_the_deployed_control_plane_template_is_read_once_from_its_template_url():
    """One GetObject of the key the deployed root's TemplateURL names (the template's sha256):
    its Fargate profiles are what ControlPlaneStack holds; a profile made by hand is not."""
    import hashlib
    import io

    import boto3
    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    cfg = _platform()
    old = _root(cfg, FARGATE_IN_CONTROL_PLANE)
    body = render_set(cfg, plan=FARGATE_IN_CONTROL_PLANE).files["ControlPlaneStack.json"].encode()
    digest = hashlib.sha256(body).hexdigest()
    old["Resources"]["ControlPlaneStack"]["Properties"]["TemplateURL"] = (
        f"https://b.s3.eu-west-1.amazonaws.com/eks-templates/platform/{digest}.json")
    s3 = boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(s3)
    params = {"Bucket": "b", "Key": f"eks-templates/platform/{digest}.json"}
    stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(body), len(body))}, params)
    stub.add_client_error("get_object", "NoSuchKey", "gone", 404, expected_params=params)
    stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(b"{}"), 2)}, params)  # not that template
    with stub:
        child = deployed_child_template(s3, "b", "eks-templates/platform", old, "ControlPlaneStack")
        assert held_fargate_profiles(child) == ["serverless"]
        assert deployed_child_template(s3, "b", "eks-templates/platform/", old, "ControlPlaneStack") is None
        assert deployed_child_template(s3, "b", "eks-templates/platform", old, "ControlPlaneStack") is None
    stub.assert_no_pending_responses()
    assert held_fargate_profiles(_root(cfg, CRITICAL_PATH)) == []
