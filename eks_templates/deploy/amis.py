"""The newest EKS-optimized AMI release of each nodegroup's family, from AWS's public
SSM parameters (EKS user guide, "Retrieve recommended Amazon Linux AMI IDs" and
"Retrieve recommended Bottlerocket AMI IDs"): ``.../recommended/release_version`` for
Amazon Linux, ``.../latest/image_version`` for Bottlerocket. Ubuntu nodegroups run
Canonical's image as a custom AMI, for which EKS takes no release version: skipped."""

from __future__ import annotations

from typing import Any

from eks_templates.builders.nodegroup import is_arm, is_gpu
from eks_templates.config.model import ManagedNodeGroup


def release_parameter(ng: ManagedNodeGroup, kubernetes: str) -> str | None:
    arm, gpu = is_arm(ng), is_gpu(ng.effective_instance_types[0])
    base = f"/aws/service/eks/optimized-ami/{kubernetes}"
    if ng.ami_family == "AmazonLinux2023":
        kind = "nvidia" if gpu else "standard"
        return f"{base}/amazon-linux-2023/{'arm64' if arm else 'x86_64'}/{kind}/recommended/release_version"
    if ng.ami_family == "AmazonLinux2":
        flavour = "amazon-linux-2-arm64" if arm else ("amazon-linux-2-gpu" if gpu else "amazon-linux-2")
        return f"{base}/{flavour}/recommended/release_version"
    if ng.ami_family == "Bottlerocket":
        variant = f"aws-k8s-{kubernetes}-nvidia" if gpu else f"aws-k8s-{kubernetes}"
        return f"/aws/service/bottlerocket/{variant}/{'arm64' if arm else 'x86_64'}/latest/image_version"
    return None


def newest_releases(ssm: Any, nodegroups: list[ManagedNodeGroup], kubernetes: str) -> dict[int, str]:
    """managedNodeGroups index -> the newest release version for ``kubernetes``."""
    from botocore.exceptions import ClientError

    from eks_templates.errors import UserError

    result = {}
    for i, ng in enumerate(nodegroups):
        name = release_parameter(ng, ng.version or kubernetes)
        if name is None:
            continue
        try:
            result[i] = str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        except ClientError as exc:
            message = exc.response.get("Error", {}).get("Message", str(exc))
            raise UserError(f"managedNodeGroups[{i}].releaseVersion: cannot read {name}: {message}") from None
    return result
