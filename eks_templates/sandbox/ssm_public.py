"""SSM public parameters for EKS node images, which moto does not know.

moto serves ``/aws/service/ami-amazon-linux-latest/...`` (loaded lazily from its data
files the first time such a name is asked for) but not the EKS-optimized, Bottlerocket
or Canonical Ubuntu EKS image paths. A template parameter of type
``AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>`` whose default is one of those paths
makes moto's ``ResourceMap.parse_ssm_parameter`` crash (``get_parameter`` returns None).

:func:`install` wraps ``moto.ssm.models.ParameterDict._check_loading_status`` - the hook
moto itself uses for its lazily loaded public parameters - so that the first lookup of a
name under one of :data:`PREFIXES` also loads the parameters of :func:`public_parameters`
into that region's parameter store. Being lazy and per ``ParameterDict``, it survives
``/moto-api/reset`` (moto builds a new, empty dict and the hook loads again).

The values are AMI ids that exist in moto's EC2 image list for the region (the Amazon
Linux images moto ships), so ``RunInstances`` and ``DescribeImages`` accept them. They
are stand-ins: every Kubernetes version and every family shares a few images.

Next to each EKS-optimized image AWS publishes its release (:func:`release_parameters`,
plain ``text`` parameters): ``.../recommended/release_version`` for Amazon Linux
(``<kubernetes>.<patch>-<yyyymmdd>``, the AMI release naming of awslabs/amazon-eks-ami,
e.g. ``1.31.2-20241121``; EKS user guide, "Retrieve recommended Amazon Linux AMI IDs") and
``.../latest/image_version`` for Bottlerocket (``<bottlerocket version>-<commit>``, e.g.
``1.26.1-8e6c5d33``; "Retrieve recommended Bottlerocket AMI IDs"). ``upgrade --amis``
reads them (:mod:`eks_templates.deploy.amis`). The values are fixed stand-ins
(:data:`RELEASE_DATE`, :data:`BOTTLEROCKET_VERSION`), the same every run.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from moto.ec2.models.amis import AMIS
from moto.ssm.models import Parameter, ParameterDict

#: Kubernetes versions whose image paths are seeded.
KUBERNETES_VERSIONS: tuple[str, ...] = tuple(f"1.{minor}" for minor in range(28, 37))

#: Name prefixes whose first lookup loads the seeded parameters.
PREFIXES: tuple[str, ...] = (
    "/aws/service/eks/",
    "/aws/service/bottlerocket/",
    "/aws/service/canonical/",
    "/aws/service/ami-amazon-linux-latest",
)

AL2023_X86 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
AL2023_ARM = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
AL2_X86 = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
AL2_ARM = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-arm64-gp2"

_LOADED_FLAG = "_eks_templates_sandbox_loaded"

#: the date part of every seeded Amazon Linux release (``<kubernetes>.0-RELEASE_DATE``)
RELEASE_DATE = "20261120"
#: every seeded Bottlerocket ``image_version``
BOTTLEROCKET_VERSION = "1.52.0-4c8e9f1a"


def public_parameters(images: dict[str, str]) -> dict[str, str]:
    """Every seeded name -> AMI id, given the AMI ids of the four Amazon Linux paths above."""
    x86_2023, arm_2023 = images[AL2023_X86], images[AL2023_ARM]
    x86_2, arm_2 = images[AL2_X86], images[AL2_ARM]
    params: dict[str, str] = {}
    for ver in KUBERNETES_VERSIONS:
        eks = f"/aws/service/eks/optimized-ami/{ver}"
        params[f"{eks}/amazon-linux-2023/x86_64/standard/recommended/image_id"] = x86_2023
        params[f"{eks}/amazon-linux-2023/x86_64/nvidia/recommended/image_id"] = x86_2023
        params[f"{eks}/amazon-linux-2023/arm64/standard/recommended/image_id"] = arm_2023
        params[f"{eks}/amazon-linux-2/recommended/image_id"] = x86_2
        params[f"{eks}/amazon-linux-2-gpu/recommended/image_id"] = x86_2
        params[f"{eks}/amazon-linux-2-arm64/recommended/image_id"] = arm_2
        params[f"/aws/service/bottlerocket/aws-k8s-{ver}/x86_64/latest/image_id"] = x86_2023
        params[f"/aws/service/bottlerocket/aws-k8s-{ver}/arm64/latest/image_id"] = arm_2023
        for release in ("20.04", "22.04", "24.04"):
            ubuntu = f"/aws/service/canonical/ubuntu/eks/{release}/{ver}/stable/current"
            for volume in ("ebs-gp2", "ebs-gp3"):  # Canonical publishes 24.04 under ebs-gp3
                params[f"{ubuntu}/amd64/hvm/{volume}/ami-id"] = x86_2023
                params[f"{ubuntu}/arm64/hvm/{volume}/ami-id"] = arm_2023
    return params


def release_parameters() -> dict[str, str]:
    """Every seeded release name -> its release: one for each image family and
    architecture :func:`eks_templates.deploy.amis.release_parameter` asks for."""
    from eks_templates.config.rules.nodegroups import AMI_VERSIONS

    # EKS publishes no Amazon Linux 2 AMIs from 1.33 on (their release names neither)
    al2_last = tuple(int(part) for part in str(AMI_VERSIONS["AmazonLinux2"][1]).split("."))
    params: dict[str, str] = {}
    for ver in KUBERNETES_VERSIONS:
        release = f"{ver}.0-{RELEASE_DATE}"
        eks = f"/aws/service/eks/optimized-ami/{ver}"
        for arch in ("x86_64", "arm64"):
            for kind in ("standard", "nvidia"):
                params[f"{eks}/amazon-linux-2023/{arch}/{kind}/recommended/release_version"] = release
            for variant in (f"aws-k8s-{ver}", f"aws-k8s-{ver}-nvidia"):
                params[f"/aws/service/bottlerocket/{variant}/{arch}/latest/image_version"] = BOTTLEROCKET_VERSION
        if tuple(int(part) for part in ver.split(".")) > al2_last:
            continue
        for flavour in ("amazon-linux-2", "amazon-linux-2-gpu", "amazon-linux-2-arm64"):
            params[f"{eks}/{flavour}/recommended/release_version"] = release
    return params


def _fallback_image(architecture: str) -> str:
    """An AMI from moto's region-independent image list, for regions without data files."""
    for ami in AMIS:
        if ami.get("architecture", "x86_64") == architecture:
            return str(ami["ami_id"])
    return str(AMIS[0]["ami_id"])


def _load(store: ParameterDict) -> None:
    base = dict.__getitem__  # read without re-entering the loading hook
    images: dict[str, str] = {}
    for name, arch in ((AL2023_X86, "x86_64"), (AL2023_ARM, "arm64"), (AL2_X86, "x86_64"), (AL2_ARM, "arm64")):
        versions = base(store, name) if dict.__contains__(store, name) else []
        images[name] = versions[-1].value if versions else _fallback_image(arch)
    now = _dt.datetime.now(_dt.UTC)
    typed = {name: (value, "aws:ec2:image")
             for name, value in {AL2023_X86: images[AL2023_X86], **public_parameters(images)}.items()}
    typed.update({name: (value, "text") for name, value in release_parameters().items()})
    for name, (value, data_type) in typed.items():
        if dict.__contains__(store, name) and base(store, name):
            continue  # moto's own value wins
        dict.__setitem__(
            store,
            name,
            [
                Parameter(  # type: ignore[abstract]
                    account_id=store.account_id,
                    name=name,
                    value=value,
                    parameter_type="String",
                    description=None,
                    allowed_pattern=None,
                    keyid=None,
                    last_modified_date=now,
                    version=1,
                    data_type=data_type,
                )
            ],
        )


_original_check_loading_status: Any = None


def install() -> None:
    """Wrap moto's lazy loader of public parameters (idempotent)."""
    global _original_check_loading_status
    if _original_check_loading_status is not None:
        return
    original = ParameterDict._check_loading_status
    _original_check_loading_status = original

    # Replaces moto's ParameterDict._check_loading_status: after moto's own lazy loading,
    # also load the EKS/Bottlerocket/Ubuntu image paths moto does not have.
    def _check_loading_status(self: ParameterDict, key: str) -> None:
        original(self, key)
        key = str(key or "")
        if key.startswith(PREFIXES) and not getattr(self, _LOADED_FLAG, False):
            setattr(self, _LOADED_FLAG, True)
            original(self, "/aws/service/ami-amazon-linux-latest")
            _load(self)

    ParameterDict._check_loading_status = _check_loading_status  # type: ignore[method-assign]
