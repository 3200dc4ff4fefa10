"""Packaging: content-addressed keys, URLs per partition and endpoint, the root
rewrite, the bucket's settings, and no re-upload of unchanged templates."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from eks_templates.deploy import digest as deploy_digest
from eks_templates.deploy import package
from eks_templates.deploy.session import make_aws
from eks_templates.errors import UserError
from eks_templates.render import RenderedSet

from .fakes import ACCOUNT, REGION, Stubs, moto_aws, rendered_set


def _url(b: str, k: str) -> str:
    return package.object_url(b, k, region=REGION, dns_suffix="amazonaws.com")


@pytest.mark.parametrize(("region", "expected"), [
    ("ap-northeast-2", "https://bkt.s3.ap-northeast-2.amazonaws.com/p/k.json"),
    ("cn-north-1", "https://bkt.s3.cn-north-1.amazonaws.com.cn/p/k.json"),
    ("us-gov-west-1", "https://bkt.s3.us-gov-west-1.amazonaws.com/p/k.json"),
])
def test_urls_are_region_and_partition_correct(region: str, expected: str) -> None:
    from eks_templates.deploy.session import Aws

    aws = Aws(session=None, region=region)
    assert package.object_url("bkt", "p/k.json", region=region, dns_suffix=aws.dns_suffix) == expected


def test_dotted_bucket_uses_path_style() -> None:
    assert _url("my.bucket", "k.json") == "https://s3.ap-northeast-2.amazonaws.com/my.bucket/k.json"


def test_endpoint_override_gives_path_style_urls_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5123/")
    aws = make_aws(REGION)
    assert aws.endpoint_url == "http://localhost:5123"  # moto reads a 127.0.0.1 host as bucket "127"
    endpoint = aws.s3_endpoint_override()
    assert endpoint == "http://localhost:5123"
    assert package.object_url("bkt", "p/k.json", region=REGION, dns_suffix=aws.dns_suffix, endpoint=endpoint) \
        == "http://localhost:5123/bkt/p/k.json"


def test_no_override_for_aws_endpoints() -> None:
    assert make_aws(REGION).s3_endpoint_override() is None
    assert make_aws("cn-north-1").s3_endpoint_override() is None


def test_keys_are_content_addressed_and_root_is_rewritten() -> None:
    rs = rendered_set()
    pkg = package.plan_package(rs, bucket="bkt", prefix="eks-templates/myeks/", url_for=_url)
    child_bytes = rs.files["NetworkStack.json"].encode()
    digest = hashlib.sha256(child_bytes).hexdigest()
    (child,) = pkg.children
    assert child.key == f"eks-templates/myeks/{digest}.json"
    assert child.body == child_bytes
    root = json.loads(pkg.root_text)
    assert root["Resources"]["NetworkStack"]["Properties"]["TemplateURL"] == \
        f"https://bkt.s3.ap-northeast-2.amazonaws.com/eks-templates/myeks/{digest}.json"
    # everything else is unchanged, in the rendered key order, but for the digest output
    original = json.loads(rs.files["root.json"])
    original["Resources"]["NetworkStack"]["Properties"]["TemplateURL"] = child.url
    recorded = root["Outputs"].pop(deploy_digest.OUTPUT)
    assert root == original
    assert list(root) == list(original)
    assert pkg.template_args == {"TemplateBody": pkg.root_text}
    # the digest is the SHA-256 of the packaged root without it
    assert recorded["Value"] == pkg.digest == hashlib.sha256(
        (json.dumps(original, indent=2, ensure_ascii=False) + "\n").encode()).hexdigest()


def test_the_digest_follows_every_child_and_is_recorded_on_the_stack() -> None:
    a = package.plan_package(rendered_set(), bucket="b", prefix="p", url_for=_url)
    same = package.plan_package(rendered_set(), bucket="b", prefix="p", url_for=_url)
    other_child = package.plan_package(rendered_set(cidr="10.9.0.0/16"), bucket="b", prefix="p", url_for=_url)
    other_bucket = package.plan_package(rendered_set(), bucket="c", prefix="p", url_for=_url)
    assert a.root_text == same.root_text and a.digest == same.digest
    assert len({a.digest, other_child.digest, other_bucket.digest}) == 3
    described = {"Outputs": [{"OutputKey": "VpcId", "OutputValue": "vpc-1"},
                             {"OutputKey": deploy_digest.OUTPUT, "OutputValue": a.digest}]}
    assert deploy_digest.recorded(described) == a.digest
    assert deploy_digest.recorded({"Outputs": []}) is None
    assert deploy_digest.OUTPUT not in (deploy_digest.without(json.loads(a.root_text)).get("Outputs") or {})


def test_changed_child_gets_a_new_key_unchanged_keeps_it() -> None:
    a = package.plan_package(rendered_set(), bucket="b", prefix="p", url_for=_url)
    b = package.plan_package(rendered_set(), bucket="b", prefix="p", url_for=_url)
    c = package.plan_package(rendered_set(cidr="10.30.0.0/16"), bucket="b", prefix="p", url_for=_url)
    assert a.children[0].key == b.children[0].key and a.root_text == b.root_text
    assert c.children[0].key != a.children[0].key and c.root_text != a.root_text


def test_large_root_is_uploaded_and_passed_by_url() -> None:
    rs = rendered_set()
    root = json.loads(rs.files["root.json"])
    root["Metadata"] = {"Padding": "x" * 60_000}
    big = RenderedSet(rs.stack_name, rs.root, {**rs.files, "root.json": json.dumps(root, indent=2)})
    pkg = package.plan_package(big, bucket="b", prefix="p", url_for=_url)
    assert pkg.root_artifact is not None
    assert pkg.template_args == {"TemplateURL": pkg.root_artifact.url}
    assert pkg.root_artifact.sha256 == hashlib.sha256(pkg.root_text.encode()).hexdigest()
    assert len(pkg.artifacts) == 2


def test_unknown_relative_template_url_is_refused() -> None:
    rs = rendered_set()
    with pytest.raises(UserError, match=r"Missing\.json"):
        package.rewrite_root(rs.files["root.json"].replace("NetworkStack.json", "Missing.json"), {})


def test_default_bucket_is_created_with_its_safety_settings() -> None:
    with moto_aws() as aws:
        s3 = aws.client("s3")
        said: list[str] = []
        assert package.ensure_bucket(s3, "eks-templates-123456789012-ap-northeast-2", region=REGION,
                                     create=True, owner=ACCOUNT, say=said.append)
        name = "eks-templates-123456789012-ap-northeast-2"
        assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == REGION
        rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                         "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
        assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
        assert said and "Creating S3 bucket" in said[0]
        # a second time: it exists, nothing is created
        assert not package.ensure_bucket(s3, name, region=REGION, create=True, owner=ACCOUNT, say=said.append)


def test_named_bucket_must_exist() -> None:
    with moto_aws() as aws, pytest.raises(UserError, match=r"deploy\.bucket"):
        package.ensure_bucket(aws.client("s3"), "not-there", region=REGION, create=False, owner=ACCOUNT)


def test_bucket_of_another_account_is_refused_and_never_written() -> None:
    """S3's answer to ExpectedBucketOwner naming another account than the bucket's:
    403 AccessDenied. Nothing after head_bucket is called (the Stubber would fail on
    an unexpected call)."""
    stubs = Stubs("s3")
    stubs["s3"].add_client_error("head_bucket", service_error_code="AccessDenied", service_message="Access Denied",
                                 http_status_code=403,
                                 expected_params={"Bucket": "theirs", "ExpectedBucketOwner": ACCOUNT})
    with pytest.raises(UserError, match=r"not a bucket of account 123456789012 .*nothing was written"):
        package.ensure_bucket(stubs.aws.client("s3"), "theirs", region=REGION, create=True, owner=ACCOUNT)
    stubs.verify()


def test_a_name_taken_between_head_and_create_is_refused() -> None:
    stubs = Stubs("s3")
    stubs["s3"].add_client_error("head_bucket", service_error_code="404", http_status_code=404)
    stubs["s3"].add_client_error("create_bucket", service_error_code="BucketAlreadyExists", http_status_code=409)
    with pytest.raises(UserError, match="belongs to another account; nothing was written"):
        package.ensure_bucket(stubs.aws.client("s3"), "taken", region=REGION, create=True, owner=ACCOUNT,
                              say=lambda _: None)
    stubs.verify()


def test_every_s3_call_names_the_expected_owner() -> None:
    """A botocore hook on every S3 call package.py makes (create, settings, head, put):
    each one that can carry ExpectedBucketOwner carries the caller's account."""
    with moto_aws() as aws:
        s3 = aws.client("s3")
        calls: list[tuple[str, Any]] = []

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            calls.append((model.name, params.get("ExpectedBucketOwner")))

        s3.meta.events.register("provide-client-params.s3", record)
        package.ensure_bucket(s3, "bkt", region=REGION, create=True, owner=ACCOUNT, say=lambda _: None)
        pkg = package.plan_package(rendered_set(), bucket="bkt", prefix="p", url_for=_url)
        package.upload(s3, pkg, owner=ACCOUNT, say=lambda _: None)
        package.upload(s3, pkg, owner=ACCOUNT, say=lambda _: None)
    names = [name for name, _ in calls]
    assert names == ["HeadBucket", "CreateBucket", "PutPublicAccessBlock", "PutBucketEncryption",
                     "PutBucketVersioning", "HeadObject", "PutObject", "HeadObject"]
    model = s3.meta.service_model
    for name, owner in calls:
        if "ExpectedBucketOwner" in model.operation_model(name).input_shape.members:
            assert owner == ACCOUNT, name
        else:
            assert name == "CreateBucket"  # S3 has no owner condition on create (BucketAlreadyExists instead)


def test_upload_skips_what_is_already_there() -> None:
    with moto_aws() as aws:
        s3 = aws.client("s3")
        package.ensure_bucket(s3, "bkt", region=REGION, create=True, owner=ACCOUNT, say=lambda _: None)
        first = package.plan_package(rendered_set(), bucket="bkt", prefix="p", url_for=_url)
        assert [a.key for a in package.upload(s3, first, owner=ACCOUNT, say=lambda _: None)] == [first.children[0].key]
        assert package.upload(s3, first, owner=ACCOUNT, say=lambda _: None) == []  # head_object finds it
        changed = package.plan_package(rendered_set(cidr="10.30.0.0/16"), bucket="bkt", prefix="p", url_for=_url)
        uploaded = package.upload(s3, changed, owner=ACCOUNT, say=lambda _: None)
        assert [a.key for a in uploaded] == [changed.children[0].key]
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="bkt")["Contents"])
        assert keys == sorted([first.children[0].key, changed.children[0].key])
        body = s3.get_object(Bucket="bkt", Key=first.children[0].key)["Body"].read()
        assert body == rendered_set().files["NetworkStack.json"].encode()
        # one version per key: nothing was written twice
        versions = s3.list_object_versions(Bucket="bkt")["Versions"]
        assert len(versions) == 2


def test_the_digest_of_a_root_sent_by_url_is_the_one_recorded_in_it() -> None:
    """A root above the TemplateBody limit is uploaded too; its digest is still the set's
    (the one in the output), not the uploaded object's SHA-256."""
    rs = rendered_set()
    root = json.loads(rs.files["root.json"])
    root["Metadata"] = {"Padding": "x" * package.MAX_TEMPLATE_BODY}
    big = RenderedSet(rs.stack_name, rs.root, {**rs.files, "root.json": json.dumps(root, indent=2) + "\n"})
    pkg = package.plan_package(big, bucket="b", prefix="p", url_for=_url)
    assert pkg.root_artifact is not None
    assert json.loads(pkg.root_text)["Outputs"][deploy_digest.OUTPUT]["Value"] == pkg.digest
    assert pkg.digest != pkg.root_artifact.sha256
