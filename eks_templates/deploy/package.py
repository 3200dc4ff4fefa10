"""Packaging: the child templates go to S3 under content-addressed keys, and the
root's relative ``TemplateURL``s are rewritten to those objects' URLs.

- A key is ``<prefix>/<sha256 of the template's bytes>.json``: an unchanged child
  has the same key, so it is not uploaded again (``head_object`` finds it) and, since
  its URL in the root is unchanged too, CloudFormation does not update its stack.
- The bucket is ``deploy.bucket`` (must exist) or ``eks-templates-<account>-<region>``,
  created on first use with default encryption, the public-access block and
  versioning.
- Every S3 call on the bucket carries ``ExpectedBucketOwner`` (the caller's account,
  from STS), so a bucket of that name in another account is refused by S3 itself
  (403) and never written: bucket names are global, and a name like ours can be taken
  by anyone ("bucket sniping"). CreateBucket is the one call without the parameter;
  S3 refuses it with BucketAlreadyExists when the name is taken.
  (S3 User Guide, "Verifying bucket ownership with bucket owner condition".)
- URLs are partition- and region-correct; with an endpoint override (moto, a local
  endpoint) they are path-style URLs on that endpoint.
- The root is sent as ``TemplateBody`` when it fits (51,200 bytes), else it is
  uploaded as well and passed by ``TemplateURL``.

:func:`plan_package` is pure (no I/O), so a deploy can tell "nothing changed" before
touching S3; :func:`ensure_bucket` and :func:`upload` do the I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eks_templates import interrupts
from eks_templates.deploy.digest import stamp as stamp_digest
from eks_templates.errors import UserError
from eks_templates.render import RenderedSet

#: CloudFormation's limit for TemplateBody in the API call (bytes)
MAX_TEMPLATE_BODY = 51_200
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class Artifact:
    """One template as it is stored in S3."""

    name: str  # file name in the rendered set
    key: str
    url: str
    sha256: str
    body: bytes


@dataclass(frozen=True)
class Package:
    bucket: str
    #: the root template with every child's TemplateURL pointing at S3
    root_text: str
    children: tuple[Artifact, ...]
    #: the root itself, when it is too large for TemplateBody
    root_artifact: Artifact | None = None
    #: the root's digest, recorded in it as an output (deploy/digest.py)
    digest: str = ""

    @property
    def template_args(self) -> dict[str, str]:
        """``TemplateBody`` or ``TemplateURL`` for create_change_set."""
        if self.root_artifact is not None:
            return {"TemplateURL": self.root_artifact.url}
        return {"TemplateBody": self.root_text}

    @property
    def artifacts(self) -> tuple[Artifact, ...]:
        return self.children + ((self.root_artifact,) if self.root_artifact else ())


# --------------------------------------------------------------------------- pure parts


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_key(prefix: str, digest: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/{digest}.json" if prefix else f"{digest}.json"


def object_url(bucket: str, key: str, *, region: str, dns_suffix: str, endpoint: str | None = None) -> str:
    """The HTTPS URL CloudFormation reads a template from.

    With ``endpoint`` (a local or custom S3 endpoint): path style on it. Otherwise the
    regional virtual-hosted URL, or path style when the bucket name has a dot (a
    dotted bucket does not match the wildcard TLS certificate).
    """
    if endpoint:
        return f"{endpoint.rstrip('/')}/{bucket}/{key}"
    if "." in bucket:
        return f"https://s3.{region}.{dns_suffix}/{bucket}/{key}"
    return f"https://{bucket}.s3.{region}.{dns_suffix}/{key}"


def rewrite_root(root_text: str, urls: dict[str, str]) -> str:
    """The root with each child stack's relative ``TemplateURL`` (a file name of the
    set) replaced by ``urls[file name]``; keys keep the rendered order."""
    root = json.loads(root_text)
    for logical_id, resource in (root.get("Resources") or {}).items():
        if not isinstance(resource, dict) or resource.get("Type") != STACK_TYPE:
            continue
        props = resource.get("Properties") or {}
        ref = props.get("TemplateURL")
        if not isinstance(ref, str) or "://" in ref:
            continue
        if ref not in urls:
            raise UserError(f"root template: {logical_id}.TemplateURL {ref!r} is not a file of the rendered set")
        props["TemplateURL"] = urls[ref]
    return json.dumps(root, indent=2, ensure_ascii=False) + "\n"


def plan_package(
    rendered: RenderedSet,
    *,
    bucket: str,
    prefix: str,
    url_for: Callable[[str, str], str],
) -> Package:
    """Keys, URLs and the rewritten root for ``rendered`` (no I/O)."""
    if rendered.fmt != "json":
        raise UserError("deploy packages JSON templates; render the set with fmt='json'")
    children = []
    for name, text in sorted(rendered.children.items()):
        body = text.encode("utf-8")
        digest = sha256(body)
        key = object_key(prefix, digest)
        children.append(Artifact(name, key, url_for(bucket, key), digest, body))
    root_text, set_digest = stamp_digest(rewrite_root(rendered.files[rendered.root], {a.name: a.url for a in children}))
    root_artifact = None
    root_body = root_text.encode("utf-8")
    if len(root_body) > MAX_TEMPLATE_BODY:
        digest = sha256(root_body)
        key = object_key(prefix, digest)
        root_artifact = Artifact(rendered.root, key, url_for(bucket, key), digest, root_body)
    return Package(bucket, root_text, tuple(children), root_artifact, set_digest)


def default_bucket(account: str, region: str) -> str:
    return f"eks-templates-{account}-{region}"


# --------------------------------------------------------------------------- S3


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: Any) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def missing(exc: Any) -> bool:
    """An S3 error that says the bucket or the object is not there."""
    return _code(exc) in ("404", "NoSuchBucket", "NoSuchKey", "NotFound") or _status(exc) == 404


def ensure_bucket(s3: Any, bucket: str, *, region: str, create: bool, owner: str,
                  say: Callable[[str], None] = print) -> bool:
    """Make sure ``bucket`` exists and belongs to the account ``owner``; create it (with
    its safety settings) when ``create``. Returns True if it was created now."""
    from botocore.exceptions import ClientError

    mine = {"Bucket": bucket, "ExpectedBucketOwner": owner}
    try:
        s3.head_bucket(**mine)
        return False
    except ClientError as exc:
        if _status(exc) == 403 or _code(exc) in ("403", "AccessDenied", "Forbidden"):
            raise UserError(
                f"S3 bucket {bucket} is not a bucket of account {owner} that these credentials can use "
                "(S3 refused it with ExpectedBucketOwner: another account owns the name, or access is denied); "
                "nothing was written. Set deploy.bucket to a bucket of yours"
            ) from None
        if not missing(exc):
            raise
    if not create:
        raise UserError(f"S3 bucket {bucket} (deploy.bucket) does not exist; create it or remove deploy.bucket")
    say(f"Creating S3 bucket {bucket} for the templates (encrypted, versioned, no public access)")
    with interrupts.held():  # a Ctrl-C must not leave the bucket without its settings
        _create_bucket(s3, bucket, region=region, mine=mine)
    return True


def _create_bucket(s3: Any, bucket: str, *, region: str, mine: dict[str, str]) -> None:
    from botocore.exceptions import ClientError

    args: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**args)  # the one call without ExpectedBucketOwner
    except ClientError as exc:
        if _code(exc) == "BucketAlreadyExists":  # taken by another account since head_bucket
            raise UserError(f"S3 bucket {bucket} belongs to another account; nothing was written. "
                            "Set deploy.bucket to a bucket of yours") from None
        raise
    s3.put_public_access_block(**mine, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
    })
    s3.put_bucket_encryption(**mine, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}],
    })
    s3.put_bucket_versioning(**mine, VersioningConfiguration={"Status": "Enabled"})


def upload(s3: Any, package: Package, *, owner: str, say: Callable[[str], None] = print) -> list[Artifact]:
    """Upload every artifact whose key is not in the bucket (of the account ``owner``)
    yet; returns those uploaded."""
    from botocore.exceptions import ClientError

    uploaded = []
    for artifact in package.artifacts:
        try:
            s3.head_object(Bucket=package.bucket, Key=artifact.key, ExpectedBucketOwner=owner)
            continue
        except ClientError as exc:
            if not missing(exc):
                raise
        s3.put_object(Bucket=package.bucket, Key=artifact.key, Body=artifact.body,
                      ContentType="application/json", ExpectedBucketOwner=owner)
        say(f"  uploaded {artifact.name} (sha256 {artifact.sha256[:12]}...)")
        uploaded.append(artifact)
    return uploaded
