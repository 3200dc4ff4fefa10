"""``get clusters [--region R]`` and ``get nodegroups STACK``: what this tool deployed,
as eksctl's ``get cluster`` / ``get nodegroup`` list it (deploy/listing.py reads it)."""

from __future__ import annotations

import argparse
import os
from typing import Any

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s clusters
  %(prog)s clusters --region ap-northeast-2 --output json
  %(prog)s nodegroups myeks
  %(prog)s nodegroups stacks/platform.yaml --output yaml
"""

FORMATS = ("table", "json", "yaml")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", choices=FORMATS, default="table", help="table (default), json or yaml")
    parser.add_argument("--profile", default=None, help="AWS profile (default: AWS_PROFILE)")
    parser.add_argument("--endpoint-url", default=None,
                        help="AWS endpoint override, e.g. a local sandbox (default: AWS_ENDPOINT_URL)")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", metavar="WHAT")
    sub.required = True
    clusters = sub.add_parser(
        "clusters", aliases=["cluster"], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="the cluster stacks deployed in a region",
        description="The root stacks deploy made in the region (found by their eks-templates:cluster-name tag): "
                    "stack status, and the cluster's status, Kubernetes version and endpoint access from EKS.")
    clusters.add_argument("--region", default=None,
                          help="the region to list (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)")
    _common(clusters)
    clusters.set_defaults(_get=_clusters)
    nodegroups = sub.add_parser(
        "nodegroups", aliases=["nodegroup"], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="the nodegroups of a deployed stack",
        description="Each nodegroup of the stack's cluster, from EKS (DescribeNodegroup: instance types, sizes, "
                    "version, AMI release, status) and the stack (the nested stack that manages it).")
    nodegroups.add_argument("stack", help="stack name (stacks/NAME.yaml) or path to a stack file")
    nodegroups.add_argument("--strict", action="store_true", help="treat warnings in the stack file as errors")
    _common(nodegroups)
    nodegroups.set_defaults(_get=_nodegroups)


def run(args: argparse.Namespace) -> int:
    return int(args._get(args))


def _say(text: str) -> None:
    print(text, flush=True)


def _clusters(args: argparse.Namespace) -> int:
    from eks_templates.deploy import listing
    from eks_templates.deploy.session import make_aws

    region = _region(args)
    env = {k: v for k, v in os.environ.items() if k != "AWS_REGION"}  # --region (or AWS_REGION itself) decides
    aws = make_aws(region, profile=args.profile, endpoint_url=args.endpoint_url, env=env)
    rows = listing.list_clusters(aws.client("cloudformation"), aws.client("eks"))
    _say(listing.render(rows, args.output, empty=f"No clusters deployed by eks-templates in {region}."))
    return 0


def _nodegroups(args: argparse.Namespace) -> int:
    from eks_templates.commands.deploy import load
    from eks_templates.deploy import listing
    from eks_templates.deploy.session import make_aws

    config = load(args, warnings=False)
    aws = make_aws(config.metadata.region, profile=args.profile, endpoint_url=args.endpoint_url)
    rows = listing.list_nodegroups(aws.client("cloudformation"), aws.client("eks"), config.stack_name, aws.region,
                                   file_nodegroups=[ng.name for ng in config.managed_node_groups])
    _say(listing.render(rows, args.output, empty=f"Stack {config.stack_name} has no nodegroups."))
    return 0


def _region(args: argparse.Namespace) -> str:
    """``--region``, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's; one this
    tool knows (config/regions.py), or one line naming the closest."""
    from eks_templates.config import regions
    from eks_templates.config.problems import suggest
    from eks_templates.errors import UserError

    name = args.region or os.environ.get("AWS_REGION", "").strip() or os.environ.get("AWS_DEFAULT_REGION", "").strip()
    if not name:
        name = _profile_region(args.profile or os.environ.get("AWS_PROFILE") or None) or ""
    if not name:
        raise UserError("no region: pass --region, or set AWS_REGION (or a region in your AWS profile)")
    if regions.region(name) is None:
        close = suggest(name, regions.REGIONS)
        raise UserError(f"--region: {name!r} is not an AWS region" + (f"; did you mean {close!r}?" if close else ""))
    return str(name)


def _profile_region(profile: str | None) -> Any:
    import boto3
    from botocore.exceptions import ProfileNotFound

    from eks_templates.errors import UserError

    try:
        return boto3.Session(profile_name=profile).region_name
    except ProfileNotFound as exc:
        raise UserError(str(exc)) from None
