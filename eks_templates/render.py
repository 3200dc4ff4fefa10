"""Templates -> deterministic text, and the rendered set on disk.

The same stack file always gives byte-identical files: keys are sorted, lists keep
the builders' order, nothing reads the clock. Imports stay light (no boto3,
cfn-lint or rich): this is the path of ``python -m eks_templates render``.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from json.encoder import encode_basestring as encode_string  # the C one when there is one
from pathlib import Path
from typing import Any, Literal

from troposphere import Template

from eks_templates import assembly
from eks_templates.config.files import reason
from eks_templates.config.model import ClusterConfig
from eks_templates.errors import UserError
from eks_templates.output_file import make_dirs, remove_dirs
from eks_templates.records import Record
from eks_templates.stack_plan import DEFAULT_PLAN, StackPlan

Format = Literal["json", "yaml"]
ROOT = "root"
FLAT = "flat"


class RenderedSet(Record):
    """A rendered cluster: the root template and its children, as text."""

    stack_name: str
    #: file name of the root (or flat) template within ``files``
    root: str
    #: file name -> template text; the root references children by these names
    files: dict[str, str]
    fmt: Format = "json"

    @property
    def children(self) -> dict[str, str]:
        """Every file but the root: child template file name -> text."""
        return {name: text for name, text in self.files.items() if name != self.root}


class _Unusual(Exception):
    """A value :func:`json_text` leaves to ``json.dumps`` (a float, a non-string key, ...)."""


def json_text(data: Any) -> str:
    """``json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)``, byte for byte,
    at about half its cost: with ``indent`` the json module encodes in pure Python through
    nested generators (its C encoder takes no indent), and the templates of a render are
    all dicts, lists, strings, integers, booleans and nulls. Anything else goes to
    ``json.dumps`` itself. tests/test_render.py compares the two on every golden file."""
    parts: list[str] = []
    append = parts.append

    def encode(value: Any, pad: str) -> None:
        if isinstance(value, str):
            append(encode_string(value))
        elif isinstance(value, dict):
            if not value:
                append("{}")
                return
            inner = pad + "  "
            separator = "{\n" + inner
            for key in sorted(value):
                if not isinstance(key, str):
                    raise _Unusual
                append(separator)
                append(encode_string(key))
                append(": ")
                encode(value[key], inner)
                separator = ",\n" + inner
            append("\n" + pad + "}")
        elif isinstance(value, list):
            if not value:
                append("[]")
                return
            inner = pad + "  "
            separator = "[\n" + inner
            for item in value:
                append(separator)
                encode(item, inner)
                separator = ",\n" + inner
            append("\n" + pad + "]")
        elif value is None:
            append("null")
        elif value is True:
            append("true")
        elif value is False:
            append("false")
        elif type(value) is int:
            append(int.__repr__(value))
        else:
            raise _Unusual

    try:
        encode(data, "")
    except _Unusual:
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return "".join(parts)


def dumps(template: Template | dict[str, Any], fmt: Format = "json") -> str:
    """A template as deterministic JSON (2-space indent) or YAML (long-form intrinsics)."""
    data = template.to_dict() if isinstance(template, Template) else template
    if fmt == "json":
        return json_text(data) + "\n"
    import yaml

    return str(yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=120, allow_unicode=True))


def render_set(config: ClusterConfig, *, fmt: Format = "json", flat: bool = False,
               plan: StackPlan | None = None) -> RenderedSet:
    """Render the cluster: nested (root + one file per distinct child template: nodegroups
    of the same shape share one) or one flat template. ``plan`` chooses which builders
    share a child (default: :data:`~eks_templates.stack_plan.DEFAULT_PLAN`).

    A template that would pass a CloudFormation quota (troposphere stops at 500
    resources, 200 parameters, 200 outputs) is a :class:`UserError`, not a crash.
    """
    try:
        return _render_set(config, fmt=fmt, flat=flat, plan=plan or DEFAULT_PLAN)
    except ValueError as exc:
        if not str(exc).startswith("Maximum"):
            raise
        hint = ("; render it as nested stacks (without --flat), which split the cluster per concern"
                if flat else "")
        raise UserError(f"{config.stack_name}: {exc} in one template, CloudFormation's quota{hint}") from None


def _render_set(config: ClusterConfig, *, fmt: Format, flat: bool, plan: StackPlan) -> RenderedSet:
    if flat:
        name = f"{FLAT}.{fmt}"
        return RenderedSet(config.stack_name, name, {name: dumps(assembly.flat(config), fmt)}, fmt)
    result = assembly.nested(config, template_url=lambda stack_id: assembly.child_file_name(stack_id, fmt),
                             plan=plan)
    root_name = f"{ROOT}.{fmt}"
    files = {root_name: dumps(result.root, fmt)}
    for stack_id, child in result.files().items():  # one file per distinct child template
        files[assembly.child_file_name(stack_id, fmt)] = dumps(child, fmt)
    return RenderedSet(config.stack_name, root_name, files, fmt)


def default_out_dir(rendered: RenderedSet) -> Path:
    return Path("build") / rendered.stack_name


# --------------------------------------------------------------------------- the set on disk
#
# An output directory can be anything the user names (``--out-dir stacks``), so a render
# removes or overwrites only what an earlier render wrote there and nobody changed since.
# The record is a manifest beside the templates: per set (layout and format, so a nested,
# a flat, a JSON and a YAML render live side by side) the files it wrote and their sha256.

#: the manifest a render writes into its output directory
MANIFEST = ".eks-templates-manifest.json"
_MANIFEST_TOOL = "eks-templates"
#: the order ``diff`` prefers sets in when two were written equally recently (never, in practice)
SET_KINDS = ("nested.json", "nested.yaml", "flat.json", "flat.yaml")

Warn = Callable[[str], None]


def set_kind(rendered: RenderedSet) -> str:
    """``nested.json``, ``flat.yaml``, ...: one manifest entry per kind of set."""
    layout = FLAT if rendered.root == f"{FLAT}.{rendered.fmt}" else "nested"
    return f"{layout}.{rendered.fmt}"


def _sha256(data: bytes) -> str:
    try:  # the built-in module alone: hashlib loads OpenSSL and blake2 (~5 ms of a render)
        from _sha256 import sha256  # CPython 3.11
    except ImportError:  # pragma: no cover - 3.12+ (_sha2), other interpreters
        from hashlib import sha256
    return sha256(data).hexdigest()


def _why(exc: OSError) -> str:
    return reason(exc)


def read_manifest(out_dir: Path) -> dict[str, dict[str, Any]]:
    """The sets recorded in ``out_dir``'s manifest: kind -> {"stack", "serial", "files": {name: sha256}}.

    A missing, unreadable or malformed manifest records nothing (so nothing there is
    taken for a render's own file)."""
    try:
        data = json.loads((out_dir / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    sets = data.get("sets") if isinstance(data, dict) and data.get("tool") == _MANIFEST_TOOL else None
    if not isinstance(sets, dict):
        return {}
    valid: dict[str, dict[str, Any]] = {}
    for kind, entry in sets.items():
        files = entry.get("files") if isinstance(entry, dict) else None
        if kind in SET_KINDS and isinstance(files, dict) and all(
            isinstance(n, str) and "/" not in n and not n.startswith(".") and isinstance(h, str)
            for n, h in files.items()
        ):
            serial = entry.get("serial")
            valid[kind] = {"stack": str(entry.get("stack", "")),
                           "serial": serial if isinstance(serial, int) and not isinstance(serial, bool) else 0,
                           "files": dict(files)}
    return valid


def latest_set(out_dir: Path) -> list[str] | None:
    """File names of the set the last render into ``out_dir`` wrote (None without a manifest)."""
    sets = read_manifest(out_dir)
    if not sets:
        return None
    kind = max(sets, key=lambda k: (sets[k]["serial"], -SET_KINDS.index(k)))
    return sorted(sets[kind]["files"])


def _current_hash(path: Path) -> str | None:
    """sha256 of a regular file at ``path``; None when there is none; "" for anything else."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return ""
    return _sha256(path.read_bytes())


def _prepare_dir(out_dir: Path) -> list[Path]:
    """Create ``out_dir`` (and its parents); the directories created, outermost first."""
    not_a_dir = f"{out_dir}: the output directory is not a directory; give --out-dir a directory"
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(not_a_dir)
    try:
        return make_dirs(out_dir)
    except FileExistsError:
        raise UserError(not_a_dir) from None
    except OSError as exc:
        raise UserError(f"{out_dir}: cannot create the output directory: {_why(exc)}") from None


class StagedSet:
    """A set written to temporary files in its output directory, not yet in place:
    :meth:`commit` renames them into place and records them; :meth:`abort` leaves the
    directory as it was (the render wrote its templates to stdout first and that failed).
    A file already there with the same bytes is neither written nor renamed (``tmps``
    has no entry for it): a render of an unchanged stack file writes the manifest only."""

    def __init__(self, rendered: RenderedSet, out_dir: Path, created_dirs: list[Path],
                 sets: dict[str, dict[str, Any]], encoded: dict[str, bytes], tmps: dict[str, Path],
                 on_warning: Warn | None = None) -> None:
        self.rendered = rendered
        self.out_dir = out_dir
        self.created_dirs = created_dirs
        self.sets = sets
        self.encoded = encoded
        self.tmps = tmps
        self.on_warning = on_warning
        #: file name -> sha256 of its new bytes, computed once
        self.digests = {name: _sha256(data) for name, data in encoded.items()}

    def abort(self) -> None:
        for tmp in self.tmps.values():
            tmp.unlink(missing_ok=True)
        remove_dirs(self.created_dirs)

    def commit(self) -> list[Path]:
        out_dir, encoded, sets = self.out_dir, self.encoded, self.sets
        try:
            for name, tmp in self.tmps.items():
                os.replace(tmp, out_dir / name)
        except OSError as exc:
            self.abort()
            raise UserError(f"{out_dir}: cannot write the templates: {_why(exc)}") from None
        kind = set_kind(self.rendered)
        previous = sets.get(kind, {"files": {}})["files"]
        for name in sorted(set(previous) - set(encoded)):
            stale = out_dir / name
            current = _current_hash(stale)
            if current == previous[name]:
                stale.unlink()
            elif current is not None and self.on_warning is not None:
                self.on_warning(f"warning: {stale}: an earlier render wrote it and it was edited since; "
                                "left in place (delete it if you do not need it)")
        for entry in sets.values():  # a file now written by this set belongs to it alone
            entry["files"] = {n: h for n, h in entry["files"].items() if n not in encoded}
        serial = max((entry["serial"] for entry in sets.values()), default=0) + 1
        sets[kind] = {"stack": self.rendered.stack_name, "serial": serial,
                      "files": {name: self.digests[name] for name in sorted(encoded)}}
        manifest = {"tool": _MANIFEST_TOOL, "version": 1,
                    "sets": {k: v for k, v in sorted(sets.items()) if v["files"]}}
        tmp = out_dir / f"{MANIFEST}.{os.getpid()}.tmp"
        try:
            tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, out_dir / MANIFEST)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise UserError(f"{out_dir / MANIFEST}: cannot write the manifest: {_why(exc)}") from None
        return [out_dir / name for name in encoded]


def stage_set(rendered: RenderedSet, out_dir: Path, *, on_warning: Warn | None = None) -> StagedSet:
    """Check ``out_dir`` and write the set there under temporary names (see :func:`write_set`)."""
    created = _prepare_dir(out_dir)
    staged = StagedSet(rendered, out_dir, created, read_manifest(out_dir),
                       {name: text.encode("utf-8") for name, text in rendered.files.items()}, {}, on_warning)
    try:
        unchanged = _refuse_conflicts(staged)
        for name, data in staged.encoded.items():
            if name in unchanged:  # the same bytes are there: rewriting them would change nothing
                continue
            tmp = out_dir / f".{name}.{os.getpid()}.tmp"
            staged.tmps[name] = tmp
            tmp.write_bytes(data)
    except OSError as exc:
        staged.abort()
        raise UserError(f"{out_dir}: cannot write the templates: {_why(exc)}") from None
    except UserError:
        staged.abort()
        raise
    return staged


def _refuse_conflicts(staged: StagedSet) -> set[str]:
    """A file in the way that no render wrote, or that was edited since: refuse them all.
    Returns the names whose file is there already with the new bytes."""
    out_dir = staged.out_dir
    recorded = {name: digest for entry in staged.sets.values() for name, digest in entry["files"].items()}
    conflicts = []
    unchanged = set()
    for name in staged.encoded:
        try:
            current = _current_hash(out_dir / name)
        except OSError as exc:
            raise UserError(f"{out_dir / name}: cannot read the file there: {_why(exc)}") from None
        if current == staged.digests[name]:
            unchanged.add(name)
            continue
        if current is None or (current and recorded.get(name) == current):
            continue
        if current == "":
            conflicts.append(f"{out_dir / name}: is in the way and is not a file; move it, or choose another "
                             "--out-dir")
        elif name in recorded:
            conflicts.append(f"{out_dir / name}: changed since a render wrote it; move your edits away (or "
                             "delete the file), or choose another --out-dir")
        else:
            conflicts.append(f"{out_dir / name}: exists and no render wrote it (not in {MANIFEST}); move it "
                             "away, or choose another --out-dir")
    if conflicts:
        raise UserError(conflicts[0], messages=conflicts)
    return unchanged


def write_set(rendered: RenderedSet, out_dir: Path, *, on_warning: Warn | None = None) -> list[Path]:
    """Write every file of the set into ``out_dir`` and record it in the manifest.

    Never loses a file it did not write: a file of the same name that no earlier
    render recorded (or that was edited since) is an error and nothing is written. A
    file the previous render of the same kind wrote and the new set no longer has is
    removed if unchanged, kept with a warning if edited. Files are written to
    temporary names first and renamed into place once all are written; a file that is
    there already with the same bytes is left as it is (a render of an unchanged stack
    file writes only the manifest)."""
    return stage_set(rendered, out_dir, on_warning=on_warning).commit()
