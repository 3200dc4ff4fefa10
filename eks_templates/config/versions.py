"""Kubernetes versions that Amazon EKS supports, with their support windows.

Source: the Amazon EKS User Guide, "Understand the Kubernetes version lifecycle on
EKS", section "Amazon EKS Kubernetes release calendar"
(https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html). Standard
support lasts 14 months after the EKS release, extended support 12 more. Update this
table when EKS releases a version (and :data:`CHECKED` with it); the default version
is the newest row. ``render`` warns once when :data:`CHECKED` is more than six months
old, since newer versions may exist by then (:func:`table_is_stale`).

Also here: Kubernetes' version-skew rule for nodes (:func:`skew_problem`) and EKS's
prices per cluster hour in each support period (:data:`PRICE_PER_HOUR`).
"""

from __future__ import annotations

import datetime as _dt

from eks_templates.records import Record


class KubernetesVersion(Record):
    version: str
    end_of_standard_support: _dt.date
    end_of_extended_support: _dt.date

    def status(self, today: _dt.date) -> str:
        """``standard``, ``extended`` or ``ended`` on ``today``."""
        if today <= self.end_of_standard_support:
            return "standard"
        if today <= self.end_of_extended_support:
            return "extended"
        return "ended"


_D = _dt.date

#: Where the table was read, and when. 1.29-1.34: the user guide's calendar
#: (awsdocs/amazon-eks-user-guide, latest/ug/versioning/kubernetes-versions.adoc);
#: 1.35: the same calendar as reported by endoflife.date/amazon-eks; 1.36: the user
#: guide's "Kubernetes versions on standard support" page lists 1.36 as available, with
#: the EKS release of 2026-06-02 (end of standard support 2027-08-02 = release + 14
#: months, end of extended 12 months later). No 1.37 was announced on the date checked.
SOURCE = "Amazon EKS User Guide, Kubernetes version lifecycle: release calendar"
CHECKED = _D(2026, 12, 1)

VERSIONS: tuple[KubernetesVersion, ...] = (
    KubernetesVersion("1.28", _D(2024, 11, 26), _D(2025, 11, 26)),
    KubernetesVersion("1.29", _D(2025, 3, 23), _D(2026, 3, 23)),
    KubernetesVersion("1.30", _D(2025, 7, 23), _D(2026, 7, 23)),
    KubernetesVersion("1.31", _D(2025, 11, 26), _D(2026, 11, 26)),
    KubernetesVersion("1.32", _D(2026, 3, 23), _D(2027, 3, 23)),
    KubernetesVersion("1.33", _D(2026, 7, 29), _D(2027, 7, 29)),
    KubernetesVersion("1.34", _D(2026, 12, 2), _D(2027, 12, 2)),
    KubernetesVersion("1.35", _D(2027, 3, 27), _D(2028, 3, 27)),
    KubernetesVersion("1.36", _D(2027, 8, 2), _D(2028, 8, 2)),
)

BY_VERSION: dict[str, KubernetesVersion] = {v.version: v for v in VERSIONS}

#: The version used when ``metadata.version`` is not given: the newest in the table.
DEFAULT_VERSION: str = VERSIONS[-1].version

#: EKS's price per cluster hour (USD): $0.10 in standard support, $0.60 in extended
#: support (Amazon EKS pricing, https://aws.amazon.com/eks/pricing/; the user guide's
#: "EKS extended support" pages). EKS's own default upgrade policy is EXTENDED.
PRICE_PER_HOUR: dict[str, float] = {"STANDARD": 0.10, "EXTENDED": 0.60}

#: How old :data:`CHECKED` may be before ``render`` says the table may be out of date.
STALE_AFTER_DAYS = 183

#: Kubernetes' version-skew policy (https://kubernetes.io/releases/version-skew-policy/):
#: "kubelet must not be newer than kube-apiserver, and may be up to three minor
#: versions older (kubelet < 1.25 may only be up to two minor versions older)".
MAX_KUBELET_SKEW = 3


def creatable(today: _dt.date) -> list[str]:
    """Versions a new cluster can be created with on ``today`` (not past extended support)."""
    return [v.version for v in VERSIONS if v.status(today) != "ended"]


def parse(version: str) -> tuple[int, int] | None:
    """``"1.33"`` -> ``(1, 33)``; ``None`` for anything that is not MAJOR.MINOR."""
    parts = version.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def next_minor(version: str) -> str | None:
    """The next minor version in the table after ``version``, if any."""
    names = [v.version for v in VERSIONS]
    if version not in names:
        return None
    i = names.index(version)
    return names[i + 1] if i + 1 < len(names) else None


def steps(current: str, target: str) -> list[str]:
    """The control-plane versions to pass through, one minor at a time (EKS updates a
    cluster one minor version per update): ``steps("1.33", "1.35") == ["1.34", "1.35"]``.
    Empty when ``target`` is not newer."""
    a, b = parse(current), parse(target)
    if a is None or b is None or a[0] != b[0] or b <= a:
        return []
    return [text((a[0], minor)) for minor in range(a[1] + 1, b[1] + 1)]


def skew_problem(node: str, control_plane: str) -> str | None:
    """Why a kubelet of ``node`` cannot run against ``control_plane``, or None."""
    n, c = parse(node), parse(control_plane)
    if n is None or c is None:
        return None
    if n[0] != c[0] or n > c:
        return f"{node} is newer than the control plane's {control_plane}; a kubelet may never be newer"
    allowed = MAX_KUBELET_SKEW if n[1] >= 25 else 2
    if c[1] - n[1] > allowed:
        return (f"{node} is {c[1] - n[1]} minor versions behind the control plane's {control_plane}; "
                f"Kubernetes' version-skew policy allows at most {allowed}")
    return None


def table_is_stale(today: _dt.date) -> bool:
    return (today - CHECKED).days > STALE_AFTER_DAYS


def stale_warning(today: _dt.date) -> str | None:
    """The one-line warning ``render`` prints when the table may be out of date."""
    if not table_is_stale(today):
        return None
    return (f"warning: the Kubernetes versions table (eks_templates/config/versions.py) was last checked "
            f"against the EKS release calendar on {CHECKED.isoformat()}; EKS may offer versions newer than "
            f"{DEFAULT_VERSION} (see {SOURCE})")
