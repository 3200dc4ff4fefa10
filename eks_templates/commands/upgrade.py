"""``upgrade STACK [--to VERSION] [--amis] [--deploy]``: write the next Kubernetes minor
(or ``--to``) into the stack file, and with ``--amis`` each nodegroup's newest AMI
release (public SSM parameters); only those values' characters change (a splice of the
file's text, :func:`eks_templates.config.edit.set_versions`: comments, layout, quoting,
CRLF and a byte order mark stay); print the file's real diff; with ``--deploy`` run the
deploy, which plans the upgrade's steps (:mod:`eks_templates.deploy.upgrade`). A file at
the newest version, or at ``--to`` already, is nothing to do (exit 0); an older ``--to``
is refused (exit 2). The file stays the truth: nothing is changed live that the file
does not say."""

from __future__ import annotations

import argparse
import difflib
import sys

from eks_templates import program
from eks_templates.commands.deploy import add_stack_arguments, add_watch_arguments

#: what ``--help`` ends with (``%(prog)s``: this command as the user invoked it)
EXAMPLES = """\
Only the version values change in the file (comments, layout, quoting, line ends stay).
A file at the newest version, or at --to already: nothing to do, exit 0.

examples:
  %(prog)s platform                   # write the next Kubernetes minor into stacks/platform.yaml
  %(prog)s platform --to 1.36 --amis  # that version, and each nodegroup's newest AMI release
  %(prog)s platform --deploy          # write the next minor and deploy the upgrade's steps
"""


def configure(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)
    parser.add_argument("--to", default=None, metavar="VERSION",
                        help="Kubernetes version to write (default: the next minor after the file's); "
                             "the file's own: nothing to do (exit 0); an older one: refused (exit 2)")
    parser.add_argument("--amis", action="store_true",
                        help="also write each nodegroup's newest AMI release (releaseVersion) from the public "
                             "SSM parameters")
    parser.add_argument("--deploy", action="store_true",
                        help="deploy the edited file (the upgrade's steps); also a file that needed no edit, "
                             "which resumes a stopped upgrade")
    add_watch_arguments(parser)
    parser.add_argument("--force", dest="force_upgrade", action="store_true",
                        help="with --deploy: go ahead past EKS upgrade insights in ERROR (the cluster's Force)")


def run(args: argparse.Namespace) -> int:
    from eks_templates import output_file
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.config import files, versions
    from eks_templates.config.edit import has, set_versions
    from eks_templates.config.loader import CLI_PROJECT, parse_config, resolve
    from eks_templates.errors import UserError

    if args.stack is None:
        raise UserError("upgrade edits a stack file: name one (stacks/NAME.yaml or a path)")
    path = resolve(args.stack, CLI_PROJECT)
    config = load(args)  # the file as it is must be valid
    # the file's own characters: CRLF line ends and a byte order mark stay, the diff is the real change
    text = files.read_bytes(path, limit=files.MAX_STACK_FILE_BYTES).decode("utf-8")
    current = config.metadata.version
    written = f"metadata.version {current}" if has(text, "metadata", "version") \
        else f"metadata.version (not set: the default {current} applies)"
    target = args.to or versions.next_minor(current)
    if target is None:
        if not args.amis:
            return _nothing_to_do(args, f"{path}: {written} is the newest version in the versions table; "
                                        "nothing to do")
        target = current  # --amis alone on the newest version: the AMI releases of this version
    if target not in versions.BY_VERSION:
        raise UserError(f"--to: {target!r} is not a Kubernetes version EKS offers; choose one of: "
                        + ", ".join(versions.creatable(versions.CHECKED)))
    new_v, cur_v = versions.parse(target), versions.parse(current)
    same = new_v is not None and new_v == cur_v
    if same and not args.amis:
        return _nothing_to_do(args, f"{path}: {written} is {target} already; nothing to do")
    if not same and (new_v is None or cur_v is None or new_v < cur_v):
        raise UserError(f"--to: {target} is older than {path}'s {written}; EKS does not downgrade")
    new_text = text if same else set_versions(text, version=target, source=str(path))
    if args.amis:
        from eks_templates.deploy.amis import newest_releases

        # the nodegroups' families and instance types are the file's; the version is the target
        ssm = make_context(args, config).aws.client("ssm")
        releases = newest_releases(ssm, config.managed_node_groups, target)
        new_text = set_versions(new_text, release_versions=releases, source=str(path))
    if new_text == text:
        return _nothing_to_do(args, f"{path}: {written} and every nodegroup's releaseVersion are the newest "
                                    "already; nothing to do")
    # the edited file must load (e.g. a pinned nodegroup version now too far behind)
    parse_config(new_text.removeprefix("\ufeff"), str(path), base=path.parent, strict=args.strict, on_warning=None)
    diff = difflib.unified_diff(_lines(text), _lines(new_text), fromfile=f"{path} (before)", tofile=str(path))
    for line in diff:
        sys.stdout.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    # through a symlinked stack file to its target, keeping the file's mode (output_file)
    output_file.write(path, new_text.encode("utf-8"), "upgrade")
    print(f"wrote {path}: " + (f"the nodegroups' newest AMI releases for Kubernetes {current}" if same
                               else f"Kubernetes {current} -> {target}"), file=sys.stderr)
    if not args.deploy:
        print(f"Next: `{program.command('plan', args.stack)}` shows the upgrade's steps, "
              f"`{program.command('deploy', args.stack)}` runs them.", file=sys.stderr)
        return 0
    from eks_templates.deploy.flow import deploy

    config = load(args)
    return deploy(make_context(args, config), config, make_options(args, "deploy"))


def _nothing_to_do(args: argparse.Namespace, message: str) -> int:
    """The file says the version already: nothing written, exit 0; ``--deploy`` still deploys
    it (an upgrade stopped part way resumes at the step it reached)."""
    print(message, file=sys.stderr)
    if not args.deploy:
        return 0
    from eks_templates.commands.deploy import load, make_context, make_options
    from eks_templates.deploy.flow import deploy

    config = load(args)
    return deploy(make_context(args, config), config, make_options(args, "deploy"))


def _lines(text: str) -> list[str]:
    """``text``'s lines as the file has them: split after each ``\\n`` only (a CRLF line keeps
    its ``\\r``; ``str.splitlines`` would also split at form feeds and the like)."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
