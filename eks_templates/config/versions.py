"""Kubernetes versions that Amazon EKS supports, with their support windows.

Source: the Amazon EKS User Guide, "Understand the Kubernetes version lifecycle on
EKS" (release calendar). Standard support lasts 14 months after the EKS release,
extended support 12 more. Update this table when EKS releases a version; the
default version is the newest row.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass


@dataclass(frozen=True)
class KubernetesVersion:
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

VERSIONS: tuple[KubernetesVersion, ...] = (
    KubernetesVersion("1.28", _D(2024, 11, 26), _D(2025, 11, 26)),
    KubernetesVersion("1.29", _D(2025, 3, 23), _D(2026, 3, 23)),
    KubernetesVersion("1.30", _D(2025, 7, 23), _D(2026, 7, 23)),
    KubernetesVersion("1.31", _D(2025, 11, 26), _D(2026, 11, 26)),
    KubernetesVersion("1.32", _D(2026, 3, 23), _D(2027, 3, 23)),
    KubernetesVersion("1.33", _D(2026, 7, 29), _D(2027, 7, 29)),
    KubernetesVersion("1.34", _D(2026, 12, 2), _D(2027, 12, 2)),
    KubernetesVersion("1.35", _D(2027, 3, 27), _D(2028, 3, 27)),
)

BY_VERSION: dict[str, KubernetesVersion] = {v.version: v for v in VERSIONS}

#: The version used when ``metadata.version`` is not given: the newest in the table.
DEFAULT_VERSION: str = VERSIONS[-1].version


def creatable(today: _dt.date) -> list[str]:
    """Versions a new cluster can be created with on ``today`` (not past extended support)."""
    return [v.version for v in VERSIONS if v.status(today) != "ended"]
