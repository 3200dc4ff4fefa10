"""Rules for managed nodegroups: sizes, instance types, AMI family, versions, labels,
taints, SSH and update config. (Their launch-template and bootstrap options:
:mod:`~eks_templates.config.rules.nodegroup_options`.)"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from eks_templates.config import versions
from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem
from eks_templates.config.rules._base import _did_you_mean, _lazy, _ng, _warn, rule
from eks_templates.config.rules.metadata import _SG_ID_RE

# =========================================================================== nodegroups: sizes and types

#: EBS volume sizes by type, GiB (Amazon EBS volume types). io2 volumes are all
#: Block Express now: up to 64 TiB.
VOLUME_BOUNDS = {"gp2": (1, 16384), "gp3": (1, 16384), "io1": (4, 16384), "io2": (4, 65536)}
#: The smallest node volume an AMI family boots from: EC2 refuses a volume smaller
#: than the AMI's snapshot. The EKS-optimized Amazon Linux and Ubuntu AMIs have 20 GiB
#: root snapshots; for Bottlerocket, volumeSize is the data volume (as in eksctl),
#: whose snapshot is 20 GiB too.
AMI_MIN_VOLUME = 20


@rule
def nodegroup_sizes(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        desired, low, high = ng.desired_capacity, ng.min_size, ng.max_size
        allowed = "allowed: 0 <= minSize <= desiredCapacity <= maxSize, maxSize >= 1"
        if low < 0:
            yield Problem(_ng(i, "minSize"), f"{low} is negative; {allowed}")
        if high < 1:
            yield Problem(_ng(i, "maxSize"), f"{high} is below 1; {allowed}")
        if desired < 0:
            yield Problem(_ng(i, "desiredCapacity"), f"{desired} is negative; {allowed}")
        if low > high >= 1 and desired <= high:
            yield Problem(_ng(i, "minSize"), f"{low} is above maxSize {high}; {allowed}")
        elif desired > high >= 1:
            yield Problem(_ng(i, "desiredCapacity"), f"{desired} is above maxSize {high}; {allowed}")
        elif desired < low and desired >= 0:
            yield Problem(_ng(i, "desiredCapacity"), f"{desired} is below minSize {low}; {allowed}")


@rule
def volume_size(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        low, high = VOLUME_BOUNDS[ng.volume_type]
        size = ng.volume_size
        if not low <= size <= high:
            yield Problem(
                _ng(i, "volumeSize"),
                f"{size} GiB is outside what {ng.volume_type} allows: {low} to {high} GiB",
            )
        elif size < AMI_MIN_VOLUME:
            yield Problem(
                _ng(i, "volumeSize"),
                f"{size} GiB is smaller than the {ng.ami_family} AMI's "
                f"{AMI_MIN_VOLUME} GiB snapshot; use at least {AMI_MIN_VOLUME}",
            )


_SIZES = r"(nano|micro|small|medium|large|xlarge|[1-9]\d*xlarge|metal(-\d+xl)?)"
_INSTANCE_RE = _lazy(rf"^(?P<family>[a-z][a-z0-9-]*\d[a-z0-9-]*)\.(?P<size>{_SIZES})$")
_FAMILY_RE = _lazy(r"^(?P<series>[a-z]+)(?P<generation>\d+)(?P<options>[a-z0-9-]*)$")


def instance_type_problem(value: str) -> str | None:
    if _INSTANCE_RE.match(value):
        return None
    guess = value.strip().lower().replace("-", ".", 1) if "." not in value else value.strip().lower()
    hint = f"; did you mean {guess!r}?" if guess != value and _INSTANCE_RE.match(guess) else ""
    return f"{value!r} is not an EC2 instance type; expected family.size such as t3.medium or m7g.large{hint}"


def architecture(instance_type: str) -> str | None:
    """``arm64`` for Graviton families (a1, and a ``g`` after the generation: m7g, c6gn,
    im4gn), ``x86_64`` for the rest, ``None`` when the name is not understood."""
    match = _INSTANCE_RE.match(instance_type)
    family = _FAMILY_RE.match(match["family"]) if match else None
    if family is None:
        return None
    if family["series"] == "a" or "g" in family["options"].split("-", 1)[0]:
        return "arm64"
    return "x86_64"


@rule
def instance_types(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        if ng.instance_type is not None and ng.instance_types:
            yield Problem(
                _ng(i, "instanceTypes"), "cannot be given together with instanceType; use one of them"
            )
        typed = [(_ng(i, "instanceType"), ng.instance_type)] if ng.instance_type else []
        typed += [(_ng(i, f"instanceTypes[{j}]"), t) for j, t in enumerate(ng.instance_types)]
        seen: set[str] = set()
        arches: dict[str, str] = {}
        for path, value in typed:
            problem = instance_type_problem(value)
            if problem:
                yield Problem(path, problem)
                continue
            if value in seen:
                yield Problem(path, f"{value!r} is listed twice")
            seen.add(value)
            arch = architecture(value)
            if arch is not None:
                arches.setdefault(arch, value)
        if len(arches) > 1:
            yield Problem(
                _ng(i, "instanceTypes"),
                f"mixes CPU architectures ({arches['arm64']} is arm64/Graviton, {arches['x86_64']} is "
                "x86_64); one nodegroup runs one AMI: split them into two nodegroups",
            )
    if config.bastion.enabled:
        problem = instance_type_problem(config.bastion.instance_type)
        if problem:
            yield Problem("bastion.instanceType", problem)


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


#: Kubernetes versions for which each AMI family is published: (first, last), None = open.
#: AL2: EKS publishes no Amazon Linux 2 AMIs from 1.33 on. Ubuntu (Canonical's EKS
#: images): 20.04 up to 1.29, 22.04 from 1.29 until 1.33, 24.04 from 1.31.
AMI_VERSIONS: dict[str, tuple[str | None, str | None]] = {
    "AmazonLinux2": (None, "1.32"),
    "Ubuntu2004": (None, "1.29"),
    "Ubuntu2204": ("1.29", "1.33"),
    "Ubuntu2404": ("1.31", None),
}


@rule
def ami_family(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        wanted = ng.effective_version(config.metadata.version)
        version = _version_key(wanted)
        if not version:
            continue
        first, last = AMI_VERSIONS.get(ng.ami_family, (None, None))
        if last is not None and version > _version_key(last):
            yield Problem(
                _ng(i, "amiFamily"),
                f"{ng.ami_family} AMIs are not published for Kubernetes "
                f"{wanted} (last: {last}); use AmazonLinux2023 "
                "or Bottlerocket",
            )
        elif first is not None and version < _version_key(first):
            yield Problem(
                _ng(i, "amiFamily"),
                f"{ng.ami_family} AMIs start at Kubernetes {first}, not "
                f"{wanted}; use AmazonLinux2023 or Bottlerocket",
            )


@rule
def nodegroup_versions(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    """A pinned ``version`` within Kubernetes' version-skew policy of the control plane.

    EKS creates a nodegroup only at the cluster's version ("By default, the Kubernetes
    version of the cluster is used, and this is the only accepted specified value",
    CreateNodegroup, EKS API reference), so an older pin only suits a nodegroup that
    exists already: a warning, since the file cannot say which is the case."""
    cluster = config.metadata.version
    if versions.parse(cluster) is None:
        return
    for i, ng in enumerate(config.managed_node_groups):
        if ng.version is None:
            continue
        path = _ng(i, "version")
        if ng.version not in versions.BY_VERSION:
            yield Problem(path, f"{ng.version!r} is not a Kubernetes version EKS offers; choose one of: "
                          + ", ".join(versions.creatable(today)))
            continue
        problem = versions.skew_problem(ng.version, cluster)
        if problem:
            yield Problem(path, f"{problem}; leave version out to follow metadata.version")
        elif ng.version != cluster:
            yield _warn(path, f"{ng.version} is older than the cluster's {cluster}: EKS creates a nodegroup "
                        "only at the cluster's version, so this suits a nodegroup that already runs "
                        f"{ng.version}; the next upgrade leaves it there until you change it")


#: AMI families this tool runs as a custom AMI (ImageId in the launch template, no AmiType).
_CUSTOM_AMI_FAMILIES = ("Ubuntu2404", "Ubuntu2204", "Ubuntu2004")


@rule
def release_versions(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        if ng.release_version is None:
            continue
        path = _ng(i, "releaseVersion")
        if ng.ami_family in _CUSTOM_AMI_FAMILIES:
            # CreateNodegroup: "If you specify launchTemplate, and your launch template uses a
            # custom AMI, then don't specify releaseVersion, or the node group deployment
            # will fail" (EKS API reference).
            yield Problem(path, f"{ng.ami_family} nodes run Canonical's image as a custom AMI, for which EKS "
                          "takes no releaseVersion; the image follows the Kubernetes version "
                          "(Canonical's public SSM parameter): leave releaseVersion out")
            continue
        version = ng.effective_version(config.metadata.version)
        if ng.ami_family in ("AmazonLinux2023", "AmazonLinux2") and \
                not _AMI_RELEASE_RE.match(ng.release_version):
            yield Problem(path, f"{ng.release_version!r} is not an EKS-optimized AMI release; expected "
                          f"<kubernetes>.<patch>-<yyyymmdd> such as {version}.0-20261120")
        elif ng.ami_family in ("AmazonLinux2023", "AmazonLinux2") and \
                not ng.release_version.startswith(f"{version}."):
            yield Problem(path, f"{ng.release_version} is an AMI release of another Kubernetes version than the "
                          f"nodegroup's {version}; use a {version}.x release, or leave releaseVersion out "
                          "for the newest")


_AMI_RELEASE_RE = _lazy(r"^\d+\.\d+\.\d+-\d{8}$")


@rule
def support_policy(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    if config.upgrade_policy.support_type != "EXTENDED":
        return
    known = versions.BY_VERSION.get(config.metadata.version)
    when = (f"standard support of {known.version} ends on {known.end_of_standard_support.isoformat()}; "
            if known else "")
    standard, extended = versions.PRICE_PER_HOUR["STANDARD"], versions.PRICE_PER_HOUR["EXTENDED"]
    monthly = (extended - standard) * 730
    yield _warn(
        "upgradePolicy.supportType",
        f"EXTENDED: {when}after that EKS keeps the cluster on it in extended support at ${extended:.2f} "
        f"per cluster hour instead of ${standard:.2f} (about ${monthly:.0f} a month more); STANDARD (the "
        "default here) has EKS upgrade it instead",
    )


# =========================================================================== nodegroups: labels, taints, ssh

# Kubernetes' label syntax ("Labels and Selectors: Syntax and character set",
# https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set):
# an optional prefix that is a DNS subdomain of at most 253 characters, '/', and a name of at
# most 63; values at most 63. Taint keys and values follow the same rules. EKS is tighter
# still: eks_label_limits.
_DNS_SUBDOMAIN_RE = _lazy(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME_RE = _lazy(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE_RE = _lazy(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED = (
    "an optional DNS prefix (at most 253) and '/', then at most 63 letters, digits, '-', '_' "
    "and '.', starting and ending with a letter or digit"
)
_LABEL_VALUE = "at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"

#: Labels a kubelet may set on its own Node under kubernetes.io/k8s.io (Kubernetes'
#: NodeRestriction admission); any other key there is refused.
KUBELET_LABELS = frozenset(
    {
        "kubernetes.io/hostname",
        "kubernetes.io/arch",
        "kubernetes.io/os",
        "beta.kubernetes.io/instance-type",
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "node.kubernetes.io/instance-type",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    }
)
KUBELET_PREFIXES = ("kubelet.kubernetes.io", "node.kubernetes.io")


def qualified_name_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if "/" in key and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN_RE.match(prefix)):
        return f"{key!r} has an invalid prefix; expected {_QUALIFIED}"
    if not name or len(name) > 63 or not _QUALIFIED_NAME_RE.match(name):
        return f"{key!r} is not a valid key; expected {_QUALIFIED}"
    return None


def _reserved_label(key: str) -> bool:
    prefix = key.rpartition("/")[0]
    if not any(prefix == d or prefix.endswith("." + d) for d in ("kubernetes.io", "k8s.io")):
        return False
    if key in KUBELET_LABELS:
        return False
    return not any(prefix == p or prefix.endswith("." + p) for p in KUBELET_PREFIXES)


@rule
def labels(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        for key, value in ng.labels.items():
            path = _ng(i, f"labels.{key}")
            problem = qualified_name_problem(key)
            if problem:
                yield Problem(path, f"label {problem}")
            elif _reserved_label(key):
                yield Problem(
                    path,
                    "is under kubernetes.io/k8s.io, where a node may only set its own "
                    "kubelet labels (node.kubernetes.io/..., kubelet.kubernetes.io/...); use "
                    "your own prefix, e.g. example.com/role",
                )
            if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE_RE.match(value):
                yield Problem(path, f"label value {value!r} is not valid; expected {_LABEL_VALUE}")


TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
#: Amazon EKS quota: taints per managed nodegroup.
MAX_TAINTS = 50


@rule
def taints(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        if len(ng.taints) > MAX_TAINTS:
            yield Problem(
                _ng(i, "taints"), f"has {len(ng.taints)} taints; EKS allows {MAX_TAINTS} per nodegroup"
            )
        seen: dict[tuple[str, str], int] = {}
        for j, taint in enumerate(ng.taints):
            base = _ng(i, f"taints[{j}]")
            problem = qualified_name_problem(taint.key)
            if problem:
                yield Problem(f"{base}.key", f"taint {problem}")
            if taint.value is not None and (len(taint.value) > 63 or not _LABEL_VALUE_RE.match(taint.value)):
                yield Problem(f"{base}.value", f"{taint.value!r} is not valid; expected {_LABEL_VALUE}")
            if taint.effect not in TAINT_EFFECTS:
                by_api = {
                    "NO_SCHEDULE": "NoSchedule",
                    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
                    "NO_EXECUTE": "NoExecute",
                }
                hint = (
                    f"; did you mean {by_api[taint.effect]!r}?"
                    if taint.effect in by_api
                    else _did_you_mean(taint.effect, TAINT_EFFECTS)
                )
                yield Problem(
                    f"{base}.effect",
                    f"{taint.effect!r} is not a taint effect; allowed: {', '.join(TAINT_EFFECTS)}{hint}",
                )
            pair = (taint.key, taint.effect)
            if pair in seen:
                yield Problem(base, f"repeats taints[{seen[pair]}] (same key and effect)")
            seen.setdefault(pair, j)


@rule
def node_ssh(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        ssh = ng.ssh
        base = _ng(i, "ssh")
        if ssh.public_key_name and (ssh.public_key_path or ssh.public_key):
            other = "publicKeyPath" if ssh.public_key_path else "publicKey"
            yield Problem(
                f"{base}.publicKeyName",
                f"cannot be given together with {other}; use an EC2 key pair name or a public key, not both",
            )
        for j, group in enumerate(ssh.source_security_group_ids):
            if not _SG_ID_RE.match(group):
                yield Problem(
                    f"{base}.sourceSecurityGroupIds[{j}]",
                    f"{group!r} is not a security group id; expected sg- and hex digits",
                )
        if ssh.allow and not config.bastion.enabled and not ssh.source_security_group_ids:
            yield _warn(
                f"{base}.allow",
                "opens port 22 only to the management host and sourceSecurityGroupIds, and there is "
                "neither: enable bastion or list sourceSecurityGroupIds, or nothing can reach the nodes",
            )
        if not ssh.allow:
            given = [
                name
                for name, value in (
                    ("publicKeyName", ssh.public_key_name),
                    ("publicKeyPath", ssh.public_key_path),
                    ("publicKey", ssh.public_key and not ssh.public_key_path),
                    ("sourceSecurityGroupIds", ssh.source_security_group_ids),
                )
                if value
            ]
            if given:
                yield _warn(
                    f"{base}.allow",
                    f"is false, so {', '.join(given)} is ignored; set allow: true to open SSH to the nodes",
                )


@rule
def update_config(config: ClusterConfig, today: _dt.date) -> Iterator[Problem]:
    for i, ng in enumerate(config.managed_node_groups):
        update = ng.update_config
        if update is None:
            continue
        base = _ng(i, "updateConfig")
        count, percent = update.max_unavailable, update.max_unavailable_percentage
        if count is not None and percent is not None:
            yield Problem(base, "gives both maxUnavailable and maxUnavailablePercentage; use one of them")
        elif count is None and percent is None:
            yield Problem(base, "needs maxUnavailable (nodes) or maxUnavailablePercentage (1 to 100)")
        if count is not None and not 1 <= count <= 100:
            yield Problem(f"{base}.maxUnavailable", f"{count} is outside 1 to 100")
        if percent is not None and not 1 <= percent <= 100:
            yield Problem(f"{base}.maxUnavailablePercentage", f"{percent} is outside 1 to 100")
