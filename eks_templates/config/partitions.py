"""Which AWS partition a region belongs to (``aws``, ``aws-cn``, ``aws-us-gov``, ...).

Shared by the validation rules (ARN partitions must match the region) and by deploy
(template URLs and endpoints)."""

from __future__ import annotations

_PARTITIONS = (
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
)


def partition_of(region: str) -> str:
    """The ARN partition of a region: ``cn-north-1`` -> ``aws-cn``, else ``aws``, ..."""
    for prefix, partition in _PARTITIONS:
        if region.startswith(prefix):
            return partition
    return "aws"
