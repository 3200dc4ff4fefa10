"""``upgrade STACK [--to VERSION] [--amis] [--deploy]``: write the next Kubernetes minor
(or ``--to``) into the stack file, and with ``--amis`` each nodegroup's newest AMI
release (public SSM parameters), keeping the file's comments and layout; print the
file's diff; with ``--deploy`` run the deploy, which plans the upgrade's steps
(:mod:`eks_templates.deploy.upgrade`). The file stays the truth: nothing is changed
live that the file does not say."""

from __future__ import annotations

import argparse
import difflib
import sys

from eks_templates import program
from eks_templates.commands.deploy import add_stack_arguments, add_watch_arguments

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
examples:
  %(prog)s platform                   # write the next Kubernetes minor into stacks/platform.yaml
  %(prog)s platform --to 1.36 --amis  # that version, and each nodegroup's newest AMI release
  %(prog)s platform --deploy          # write the next minor and deploy the upgrade's steps
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    parser.add_argument("--to", default=None, metavar="VERSION",
                        help="Kubernetes version to write (default: the next minor after the file's)")
    parser.add_argument("--amis", action="store_true",
                        help="also write each nodegroup's newest AMI release (releaseVersion) from the public "
                             "SSM parameters")
    parser.add_argument("--deploy", action="store_true", help="deploy the edited file (the upgrade's steps)")
    add_watch_arguments(parser)
    parser.add_argument("--force", dest="force_upgrade", action="store_true",
                        help="with --deploy: go ahead past EKS upgrade insights in ERROR (the cluster's Force)")


def run(args: argparse.Namespace) -> int:
    from eks_templates import output_file
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.config import versions
    from eks_templates.config.edit import set_versions
    from eks_templates.config.loader import CLI_PROJECT, parse_config, resolve
    from eks_templates.errors import UserError

    if args.stack is None:
        raise UserError("upgrade edits a stack file: name one (stacks/NAME.yaml or a path)")
    path = resolve(args.stack, CLI_PROJECT)
    config = load(args)  # the file as it is must be valid
    current = config.metadata.version
    target = args.to or versions.next_minor(current)
    if target is None:
        raise UserError(f"metadata.version: {current} is the newest version in the versions table; nothing to do")
    if target not in versions.BY_VERSION:
        raise UserError(f"--to: {target!r} is not a Kubernetes version EKS offers; choose one of: "
                        + ", ".join(versions.creatable(versions.CHECKED)))
    new_v, cur_v = versions.parse(target), versions.parse(current)
    if new_v is None or cur_v is None or new_v <= cur_v:
        raise UserError(f"--to: {target} is not newer than the file's {current}; EKS does not downgrade")
    text = path.read_text("utf-8")
    new_text = set_versions(text, version=target)
    if args.amis:
        from eks_templates.deploy.amis import newest_releases

        # the nodegroups' families and instance types are the file's; the version is the target
        ssm = make_context(args, config).aws.client("ssm")
        releases = newest_releases(ssm, config.managed_node_groups, target)
        new_text = set_versions(new_text, release_versions=releases)
    # the edited file must load (e.g. a pinned nodegroup version now too far behind)
    parse_config(new_text, str(path), base=path.parent, strict=args.strict, on_warning=None)
    diff = difflib.unified_diff(text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                                fromfile=f"{path} (before)", tofile=str(path))
    sys.stdout.writelines(diff)
    # through a symlinked stack file to its target, keeping the file's mode (output_file)
    output_file.write(path, new_text.encode("utf-8"), "upgrade")
    print(f"wrote {path}: Kubernetes {current} -> {target}", file=sys.stderr)
    if not args.deploy:
        print(f"Next: `{program.command('plan', args.stack)}` shows the upgrade's steps, "
              f"`{program.command('deploy', args.stack)}` runs them.", file=sys.stderr)
        return 0
    from eks_templates.deploy.flow import deploy

    config = load(args)
    return deploy(make_context(args, config), config, make_options(args, "deploy"))
