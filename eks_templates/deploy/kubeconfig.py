"""``kubeconfig STACK``: the cluster's entry in a kubeconfig, as ``aws eks
update-kubeconfig`` writes it, without the AWS CLI to write it.

What the entries look like follows the AWS CLI's ``awscli/customizations/eks/
update_kubeconfig.py`` and ``kubeconfig.py`` (aws/aws-cli, develop, commit
07c4fe366b49c4dde816d674f4941134fc432673):

- the cluster entry is named after the cluster's ARN: ``certificate-authority-data``
  (DescribeCluster ``certificateAuthority.data``) and ``server`` (``endpoint``);
- the user entry (also named after the ARN) runs the ``exec`` credential plugin
  ``client.authentication.k8s.io/v1beta1``: ``aws --region <region> eks get-token
  --cluster-name <name> --output json``, with ``env: [{name: AWS_PROFILE, value: ...}]``
  when a profile is in use;
- the context (named ``--alias`` or the ARN) ties the two and becomes
  ``current-context``; an entry of the same name is replaced, every other entry is kept
  (``KubeconfigAppender.insert_entry``);
- a cluster that is not ACTIVE or UPDATING is refused, as the AWS CLI refuses it;
- the file is the first entry of ``$KUBECONFIG`` or ``~/.kube/config`` (``--file``
  overrides), written with mode 0600.

Beyond the AWS CLI: a file that is not a kubeconfig (not YAML, or not of the types of
client-go's clientcmd v1, see kubeconfig_schema.py) is refused with one line and left as
it is; the old file is copied to ``<file>.eks-templates.bak`` (mode 0600) before the new one
replaces it (written aside, then renamed into place); a run that changes nothing writes
nothing.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eks_templates.errors import UserError

#: the AWS CLI's update_kubeconfig.API_VERSION
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
#: kubeconfigs are kilobytes; refuse to read a file this large as one
MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024
BACKUP_SUFFIX = ".eks-templates.bak"


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """The first entry of ``$KUBECONFIG`` (entries split by ``os.pathsep``), else
    ``~/.kube/config``, as the AWS CLI and kubectl pick the file to write."""
    env = os.environ if env is None else env
    for entry in env.get("KUBECONFIG", "").split(os.pathsep):
        if entry.strip():
            return Path(entry).expanduser()
    return Path("~/.kube/config").expanduser()


def new_content() -> dict[str, Any]:
    """An empty kubeconfig, keys in the AWS CLI's order (``_get_new_kubeconfig_content``)."""
    return {"apiVersion": "v1", "clusters": [], "contexts": [], "current-context": "", "kind": "Config",
            "preferences": {}, "users": []}


@dataclass(frozen=True)
class Entries:
    cluster: dict[str, Any]
    user: dict[str, Any]
    context: dict[str, Any]


def entries(cluster: Mapping[str, Any], *, alias: str | None = None, profile: str | None = None) -> Entries:
    """The three entries for an EKS DescribeCluster ``cluster``."""
    status = cluster.get("status")
    if status not in ("ACTIVE", "UPDATING"):
        raise UserError(f"cluster {cluster.get('name')} is {status}; a kubeconfig needs an ACTIVE (or UPDATING) "
                        "cluster")
    arn = str(cluster["arn"])
    region = arn.split(":")[3]
    outpost = cluster.get("outpostConfig")
    if outpost is None or outpost.get("etcdInstanceType") is not None:
        ident = ["--cluster-name", str(cluster["name"])]
    else:  # a local cluster on Outposts is named by its id, as the AWS CLI does
        ident = ["--cluster-id", str(cluster["id"])]
    exec_config: dict[str, Any] = {
        "apiVersion": EXEC_API_VERSION,
        "args": ["--region", region, "eks", "get-token", *ident, "--output", "json"],
        "command": "aws",
    }
    if profile:
        exec_config["env"] = [{"name": "AWS_PROFILE", "value": profile}]
    named_cluster = {"cluster": {"certificate-authority-data": str((cluster.get("certificateAuthority") or {})
                                                                   .get("data", "")),
                                 "server": str(cluster.get("endpoint") or "")},
                     "name": arn}
    user = {"name": arn, "user": {"exec": exec_config}}
    context = {"context": {"cluster": arn, "user": arn}, "name": alias or arn}
    return Entries(named_cluster, user, context)


def merge(content: dict[str, Any], new: Entries) -> dict[str, Any]:
    """``content`` with the entries put in (replacing those of the same name, the
    others kept in their order) and the context made current. Returns a new dict."""
    merged = dict(content)
    for key, entry in (("clusters", new.cluster), ("users", new.user), ("contexts", new.context)):
        existing = list(merged.get(key) or [])
        for i, item in enumerate(existing):
            if isinstance(item, dict) and item.get("name") == entry["name"]:
                existing[i] = entry
                break
        else:
            existing.append(entry)
        merged[key] = existing
    merged["current-context"] = new.context["name"]
    return merged


# --------------------------------------------------------------------------- the file


def _yaml_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def load(path: Path) -> dict[str, Any] | None:
    """The kubeconfig at ``path`` (``None`` when there is none), or UserError naming the
    first problem by its YAML path: the file is not touched."""
    import jsonschema
    import yaml

    from eks_templates.config import files
    from eks_templates.deploy.kubeconfig_schema import schema

    try:
        text = files.read_text(path, limit=MAX_KUBECONFIG_BYTES)
    except files.UnreadableFile as exc:
        if exc.errno == errno.ENOENT:  # a new file
            return None
        raise UserError(f"{path}: cannot read the kubeconfig: {exc}") from None
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{path}: is not a kubeconfig: not YAML{where} ({problem}); the file was not changed") \
            from None
    if content is None:  # empty, or comments only: kubectl reads it as an empty config
        return new_content()
    if not isinstance(content, dict):
        raise UserError(f"{path}: is not a kubeconfig: the top level is a {type(content).__name__}, not a mapping; "
                        "the file was not changed")
    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(content),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        raise UserError(f"{path}: {_yaml_path(error.absolute_path)}: {error.message} (kubeconfig v1, client-go "
                        "clientcmd); the file was not changed")
    return content


def dump(content: Mapping[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(dict(content), default_flow_style=False, sort_keys=False))


@dataclass(frozen=True)
class Written:
    path: Path
    context: str
    #: "added", "updated" or "unchanged"
    what: str
    backup: Path | None


def write(path: Path, cluster: Mapping[str, Any], *, alias: str | None = None,
          profile: str | None = None) -> Written:
    """Merge the cluster into the kubeconfig at ``path``: a backup of the old file
    first, then the new one written aside (0600) and renamed into place."""
    target = path.resolve() if path.is_symlink() else path  # write through a symlinked ~/.kube/config
    old = load(target)
    new = entries(cluster, alias=alias, profile=profile)
    context = str(new.context["name"])
    base = new_content() if old is None else old
    merged = merge(base, new)
    text = dump(merged)
    if old is not None and merged == old:
        return Written(path, context, "unchanged", None)
    updating = any(isinstance(c, dict) and c.get("name") == new.cluster["name"] for c in base.get("clusters") or [])
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        backup = None
        if old is not None:
            backup = target.with_name(target.name + BACKUP_SUFFIX)
            _write_private(backup, target.read_bytes())
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        _write_private(tmp, text.encode("utf-8"))
        os.replace(tmp, target)
    except OSError as exc:
        raise UserError(f"{path}: cannot write the kubeconfig: {exc.strerror or exc}") from None
    return Written(path, context, "updated" if updating else "added", backup)


def _write_private(path: Path, data: bytes) -> None:
    """``data`` into ``path``, mode 0600 whatever the umask (an existing file is replaced)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def aws_cli_present() -> bool:
    """Whether ``aws`` (which the exec plugin runs at kubectl time) is on PATH."""
    return shutil.which("aws") is not None
