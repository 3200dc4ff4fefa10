"""The AWS regions this tool knows: region -> partition and availability-zone letters,
and per partition the DNS suffix of its endpoints. One table for validation (is
``metadata.region`` a region, do ARNs name its partition, are the zones its zones) and
for deploy (endpoint and template-URL suffixes).

Sources, and how the table is kept honest:

- Regions and partitions: botocore's endpoint data (``botocore/data/endpoints.json``,
  ``partitions.json``; botocore 1.44). ``tests/config/test_regions.py`` compares the
  table with the installed botocore: a region botocore has and this table lacks (or
  the other way round), or a different partition, fails the test. The render path
  never imports botocore; this module is plain data.
- Zone letters: cfn-lint's ``cfnlint.helpers.AVAILABILITY_ZONES`` (cfn-lint 1.58), which
  the same test compares. Zone *names* are mapped to physical zones per account (the
  zone IDs, ``apne2-az1``, ... are the same for everyone), and an account may see fewer
  names than a region has: ``us-west-1`` has three names of which each account sees
  two. A letter outside the table is therefore a warning, not an error.
"""

from __future__ import annotations

import re

from eks_templates.records import Record


class Region(Record):
    name: str
    partition: str
    #: the letters of its zone names: "abcd" -> ap-northeast-2a ... ap-northeast-2d
    zone_letters: str

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(self.name + letter for letter in self.zone_letters)


#: partition -> (botocore's regionRegex, DNS suffix of its service endpoints)
PARTITIONS: dict[str, tuple[str, str]] = {
    "aws": (r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$", "amazonaws.com"),
    "aws-cn": (r"^cn\-\w+\-\d+$", "amazonaws.com.cn"),
    "aws-us-gov": (r"^us\-gov\-\w+\-\d+$", "amazonaws.com"),
    "aws-iso": (r"^us\-iso\-\w+\-\d+$", "c2s.ic.gov"),
    "aws-iso-b": (r"^us\-isob\-\w+\-\d+$", "sc2s.sgov.gov"),
    "aws-iso-e": (r"^eu\-isoe\-\w+\-\d+$", "cloud.adc-e.uk"),
    "aws-iso-f": (r"^us\-isof\-\w+\-\d+$", "csp.hci.ic.gov"),
    "aws-eusc": (r"^eusc\-(de)\-\w+\-\d+$", "amazonaws.eu"),
}

_ROWS: dict[str, tuple[str, str]] = {
    "af-south-1": ("aws", "abc"),
    "ap-east-1": ("aws", "abc"),
    "ap-east-2": ("aws", "abc"),
    "ap-northeast-1": ("aws", "abcd"),
    "ap-northeast-2": ("aws", "abcd"),
    "ap-northeast-3": ("aws", "abc"),
    "ap-south-1": ("aws", "abc"),
    "ap-south-2": ("aws", "abc"),
    "ap-southeast-1": ("aws", "abc"),
    "ap-southeast-2": ("aws", "abc"),
    "ap-southeast-3": ("aws", "abc"),
    "ap-southeast-4": ("aws", "abc"),
    "ap-southeast-5": ("aws", "abc"),
    "ap-southeast-6": ("aws", "abc"),
    "ap-southeast-7": ("aws", "abc"),
    "ca-central-1": ("aws", "abcd"),
    "ca-west-1": ("aws", "abc"),
    "eu-central-1": ("aws", "abc"),
    "eu-central-2": ("aws", "abc"),
    "eu-north-1": ("aws", "abc"),
    "eu-south-1": ("aws", "abc"),
    "eu-south-2": ("aws", "abc"),
    "eu-west-1": ("aws", "abc"),
    "eu-west-2": ("aws", "abc"),
    "eu-west-3": ("aws", "abc"),
    "il-central-1": ("aws", "abc"),
    "me-central-1": ("aws", "abc"),
    "me-south-1": ("aws", "abc"),
    "mx-central-1": ("aws", "abc"),
    "sa-east-1": ("aws", "abc"),
    "us-east-1": ("aws", "abcdef"),
    "us-east-2": ("aws", "abc"),
    "us-west-1": ("aws", "abc"),
    "us-west-2": ("aws", "abcd"),
    "cn-north-1": ("aws-cn", "abc"),
    "cn-northwest-1": ("aws-cn", "abc"),
    "eusc-de-east-1": ("aws-eusc", "abc"),
    "us-iso-east-1": ("aws-iso", "abc"),
    "us-iso-west-1": ("aws-iso", "abc"),
    "us-isob-east-1": ("aws-iso-b", "abc"),
    "us-isob-west-1": ("aws-iso-b", "abc"),
    "eu-isoe-west-1": ("aws-iso-e", "abc"),
    "us-isof-east-1": ("aws-iso-f", "abc"),
    "us-isof-south-1": ("aws-iso-f", "abc"),
    "us-gov-east-1": ("aws-us-gov", "abc"),
    "us-gov-west-1": ("aws-us-gov", "abc"),
}

REGIONS: dict[str, Region] = {name: Region(name, partition, letters) for name, (partition, letters) in _ROWS.items()}


def region(name: str) -> Region | None:
    """The region called ``name``, or ``None`` when this tool does not know it."""
    return REGIONS.get(name)


def partition_of(region_name: str) -> str:
    """The ARN partition of a region: ``cn-north-1`` -> ``aws-cn``. A region the table
    lacks is matched by the partitions' name patterns (the most specific first), and
    ``aws`` is the last resort."""
    known = REGIONS.get(region_name)
    if known is not None:
        return known.partition
    for partition, (pattern, _) in sorted(PARTITIONS.items(), key=lambda p: p[0] == "aws"):
        if re.match(pattern, region_name):
            return partition
    return "aws"


def dns_suffix(partition: str) -> str:
    """``amazonaws.com``, ``amazonaws.com.cn``, ... for a partition."""
    return PARTITIONS.get(partition, PARTITIONS["aws"])[1]
