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
it is; only this cluster's entries and ``current-context`` change, the rest of the file
(its comments, the other entries, quoting, order, anchors) stays byte for byte, where the
AWS CLI's ``yaml.safe_dump`` drops the comments (:func:`merge_text`); the old file is
copied to ``<file>.eks-templates.bak`` (mode 0600) before the new one replaces it
(written aside, then renamed into place); a run that changes nothing writes nothing.
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
    read = _read(path)
    return None if read is None else read[1]


def _read(path: Path) -> tuple[str, dict[str, Any]] | None:
    """:func:`load`, with the file's text."""
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
        return text, new_content()
    if not isinstance(content, dict):
        raise UserError(f"{path}: is not a kubeconfig: the top level is a {type(content).__name__}, not a mapping; "
                        "the file was not changed")
    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(content),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        error = errors[0]
        raise UserError(f"{path}: {_yaml_path(error.absolute_path)}: {error.message} (kubeconfig v1, client-go "
                        "clientcmd); the file was not changed")
    return text, content


def dump(content: Mapping[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(dict(content), default_flow_style=False, sort_keys=False))


def merge_text(text: str, new: Entries) -> str:
    """The kubeconfig ``text`` with :func:`merge`'s changes made in place (ruamel.yaml's
    round trip, config/edit.py): an entry of the same name is updated key by key, so its
    own comments and the comments before the next entry stay; a new entry is appended;
    nothing else is touched. Falls back to :func:`dump` of :func:`merge` (comments lost,
    content right) for a file whose round trip would not read back as that merge, such as
    an entry built from ``<<`` merge keys."""
    import yaml

    from eks_templates.config import edit

    plain = yaml.safe_load(text)
    merged = merge(new_content() if plain is None else plain, new)
    rt, data = edit.load(text)
    if data is None:  # empty, or comments only: they stay, above the new content
        head = text if not text.strip() or text.endswith("\n") else text + "\n"
        return (head if head.strip() else "") + dump(merged)
    for key, entry in (("clusters", new.cluster), ("users", new.user), ("contexts", new.context)):
        items = data.get(key)
        if not isinstance(items, list):  # absent or null
            from ruamel.yaml.comments import CommentedSeq

            data[key] = items = CommentedSeq()
        for item in items:
            if isinstance(item, Mapping) and item.get("name") == entry["name"]:
                _update(item, entry)
                break
        else:
            _append(items, entry)
    _set(data, "current-context", new.context["name"])
    out = edit.dump(rt, data)
    if yaml.safe_load(out) != merged:
        return dump(merged)
    return out


def _update(node: Any, new: Mapping[str, Any]) -> None:
    """Make the round-trip mapping ``node`` equal ``new`` in place: equal values are not
    touched (their style stays), changed scalars keep their quoting, keys ``new`` lacks are
    dropped; the full-line comments that followed the mapping's last line stay after it."""
    tail = _tail_comment(node)
    for key in [k for k in node if k not in new]:
        del node[key]
    for key, value in new.items():
        old = node.get(key)
        if key in node and old == value and _same_kind(old, value):
            continue
        if isinstance(old, Mapping) and isinstance(value, Mapping) and not _anchored(old):
            _update(old, value)
        elif isinstance(old, list) and isinstance(value, list) and not _anchored(old):
            _update_list(old, value)
        else:
            _set(node, key, value)
    _restore_tail(node, tail)


def _set(node: Any, key: Any, value: Any) -> None:
    """``node[key] = value`` in the old value's quoting; an end-of-line comment after it
    keeps its distance from the value."""
    from eks_templates.config import edit

    old = node.get(key)
    slots = node.ca.items.get(key) if hasattr(node, "ca") else None
    token = slots[2] if slots and len(slots) > 2 else None
    if token is not None and isinstance(old, str) and isinstance(value, str) \
            and not token.value.startswith("\n") and getattr(token, "start_mark", None) is not None:
        token.column = max(0, token.column + len(value) - len(old))
    node[key] = _commented(edit.like(old, value))


def _update_list(node: Any, new: list[Any]) -> None:
    tail = _tail_comment(node)
    del node[len(new):]
    for i, value in enumerate(new):
        if i >= len(node):
            node.append(_commented(value))
            continue
        old = node[i]
        if old == value and _same_kind(old, value):
            continue
        if isinstance(old, Mapping) and isinstance(value, Mapping) and not _anchored(old):
            _update(old, value)
        else:
            from eks_templates.config import edit

            node[i] = _commented(edit.like(old, value))
    _restore_tail(node, tail)


def _append(items: Any, entry: Mapping[str, Any]) -> None:
    """A new entry after the last one; the comments that followed the last one follow the new one."""
    tail = _tail_comment(items)
    items.append(_commented(entry))
    _restore_tail(items, tail)


def _commented(value: Any) -> Any:
    """``value`` as round-trip nodes, which can hold comments."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        return CommentedMap((k, _commented(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_commented(v) for v in value)
    return value


def _same_kind(old: Any, new: Any) -> bool:
    # 1 == True in Python; YAML keeps them apart
    return isinstance(old, bool) == isinstance(new, bool)


def _anchored(node: Any) -> bool:
    """An anchored node may be aliased elsewhere: changing it in place would change that too."""
    anchor = getattr(node, "anchor", None)
    return anchor is not None and anchor.value is not None


def _last(node: Any) -> tuple[Any, Any] | None:
    """``(collection, key or index)`` of the last line of the block ``node``, where ruamel.yaml
    keeps the comments that follow it."""
    last = None
    while isinstance(node, (Mapping, list)) and len(node) and not getattr(getattr(node, "fa", None),
                                                                          "_flow_style", False):
        key = list(node)[-1] if isinstance(node, Mapping) else len(node) - 1
        last = (node, key)
        node = node[key]
    return last


def _comment_slot(node: Any, key: Any) -> int:
    return 2 if isinstance(node, Mapping) else 0


def _tail_comment(node: Any) -> tuple[Any, str] | None:
    """The comment token after ``node``'s last line and its full-line part (the lines
    after the end-of-line comment), which belongs to what follows the node."""
    last = _last(node)
    if last is None or not hasattr(last[0], "ca"):
        return None
    slots = last[0].ca.items.get(last[1])
    token = slots[_comment_slot(*last)] if slots and len(slots) > 2 else None
    if token is None or "\n" not in token.value:
        return None
    return token, token.value.split("\n", 1)[1]


def _restore_tail(node: Any, tail: tuple[Any, str] | None) -> None:
    """Put the full-line comments back after ``node``'s (new) last line, unless the token
    that held them is still there."""
    if tail is None or not tail[1]:
        return
    token, lines = tail
    last = _last(node)
    if last is None or not hasattr(last[0], "ca"):
        return
    holder, key = last
    slot = _comment_slot(holder, key)
    slots = holder.ca.items.setdefault(key, [None, None, None, None])
    if slots[slot] is token:
        return
    # the token stays with its own line (its end-of-line comment), the lines move on
    token.value = token.value.split("\n", 1)[0] + "\n"
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if slots[slot] is None:
        slots[slot] = CommentToken("\n" + lines, CommentMark(0), None)
    elif tail[1] not in slots[slot].value:
        slots[slot].value = slots[slot].value.rstrip("\n") + "\n" + lines


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
    read = _read(target)
    old = None if read is None else read[1]
    new = entries(cluster, alias=alias, profile=profile)
    context = str(new.context["name"])
    base = new_content() if old is None else old
    merged = merge(base, new)
    text = dump(merged) if read is None else merge_text(read[0], new)
    if old is not None and merged == old:
        return Written(path, context, "unchanged", None)
    updating = any(isinstance(c, dict) and c.get("name") == new.cluster["name"] for c in base.get("clusters") or [])
    from eks_templates import output_file

    backup = None
    if old is not None:
        backup = target.with_name(target.name + BACKUP_SUFFIX)
        try:
            previous = target.read_bytes()
        except OSError as exc:
            raise UserError(f"{path}: cannot read the kubeconfig: {exc.strerror or exc}") from None
        try:
            if backup.is_symlink():  # the backup is a file of its own: a symlink there is replaced, not followed
                backup.unlink()
        except OSError as exc:
            raise UserError(f"{backup}: cannot replace the backup: {exc.strerror or exc}") from None
        output_file.write(backup, previous, "--file", mode=0o600, dir_mode=0o700)
    # written aside (0600 whatever the umask) and renamed into place; ~/.kube made 0700
    output_file.write(target, text.encode("utf-8"), "--file", mode=0o600, dir_mode=0o700)
    return Written(path, context, "updated" if updating else "added", backup)


def aws_cli_present() -> bool:
    """Whether ``aws`` (which the exec plugin runs at kubectl time) is on PATH."""
    return shutil.which("aws") is not None
