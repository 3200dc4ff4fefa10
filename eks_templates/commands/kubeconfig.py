"""``kubeconfig STACK [--file PATH] [--alias NAME]``: write or merge the cluster into
a kubeconfig, with the ``aws eks get-token`` exec plugin (deploy/kubeconfig.py)."""

from __future__ import annotations

import argparse
import os
import sys

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s myeks
  %(prog)s myeks --alias myeks
  %(prog)s stacks/platform.yaml --file ./platform.kubeconfig
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack", help="stack name (stacks/NAME.yaml) or path to a stack file")
    parser.add_argument("--file", default=None, metavar="PATH",  # str: type=Path makes '' the current directory
                        help="the kubeconfig to write (default: the first entry of KUBECONFIG, else ~/.kube/config)")
    parser.add_argument("--alias", default=None, metavar="NAME",
                        help="the context's name (default: the cluster's ARN, as aws eks update-kubeconfig names it)")
    parser.add_argument("--strict", action="store_true", help="treat warnings in the stack file as errors")
    parser.add_argument("--profile", default=None,
                        help="AWS profile (default: AWS_PROFILE); also the profile `aws eks get-token` uses")
    parser.add_argument("--endpoint-url", default=None,
                        help="AWS endpoint override, e.g. a local sandbox (default: AWS_ENDPOINT_URL)")


def run(args: argparse.Namespace) -> int:
    from eks_templates import output_file
    from eks_templates.commands.deploy import load
    from eks_templates.deploy import kubeconfig
    from eks_templates.deploy.outputs import stack_outputs
    from eks_templates.deploy.session import make_aws
    from eks_templates.deploy.stack_state import describe_stack
    from eks_templates.errors import UserError
    from eks_templates.names import OUTPUT_CLUSTER_NAME

    given = output_file.option_path(args.file, "--file")
    config = load(args, warnings=False)
    aws = make_aws(config.metadata.region, profile=args.profile, endpoint_url=args.endpoint_url)
    stack = describe_stack(aws.client("cloudformation"), config.stack_name)
    if stack is None or stack.get("StackStatus") == "DELETE_COMPLETE":
        raise UserError(f"stack {config.stack_name} does not exist in {aws.region}")
    name = stack_outputs(stack).get(OUTPUT_CLUSTER_NAME) or config.metadata.name
    path = given.expanduser() if given is not None else kubeconfig.default_path()
    # read the file first: a malformed one is refused before any AWS call
    kubeconfig.load(path.resolve() if path.is_symlink() else path)
    cluster = _describe_cluster(aws, name)
    from eks_templates.deploy import cluster_owner

    cfn = aws.client("cloudformation")
    if not cluster_owner.is_stacks(cfn, cluster, str(stack["StackId"])):
        # cluster names are unique in a region: a stack that failed with "already exists"
        # names another stack's cluster (deploy/cluster_owner.py)
        raise UserError(f"stack {config.stack_name} has no cluster of its own in {aws.region}: the cluster {name} "
                        f"was made {cluster_owner.whose(cfn, cluster)}; nothing was written")
    profile = args.profile or os.environ.get("AWS_PROFILE") or None
    written = kubeconfig.write(path, cluster, alias=args.alias, profile=profile)
    if written.what == "unchanged":
        print(f"Context {written.context} in {written.path} is up to date; the file was not changed.")
    else:
        verb = "Updated context" if written.what == "updated" else "Added new context"
        where = "in" if written.what == "updated" else "to"
        print(f"{verb} {written.context} {where} {written.path}"
              + (f" (the old file is {written.backup})" if written.backup else ""))
    if not kubeconfig.aws_cli_present():
        print("note: kubectl runs `aws eks get-token` for the credentials; the AWS CLI is not on PATH here "
              "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)", file=sys.stderr)
    return 0


def _describe_cluster(aws: object, name: str) -> dict[str, object]:
    from botocore.exceptions import ClientError

    from eks_templates.errors import UserError

    try:
        return dict(aws.client("eks").describe_cluster(name=name)["cluster"])  # type: ignore[attr-defined]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise UserError(f"cluster {name} does not exist in {aws.region} (its stack does)") from None  # type: ignore[attr-defined]
        raise
