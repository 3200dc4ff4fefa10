"""The output directory: a render removes or overwrites only what an earlier render
wrote there and nobody changed since (issue 11 item 1). The old ``write_set`` deleted
every ``*.json``/``*.yaml`` in the directory that the new set did not have: the stack
files themselves with ``--out-dir stacks``, and the nested set on ``--flat`` or
``--format yaml``."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from eks_templates.config import load_stack
from eks_templates.diff import load_dir
from eks_templates.errors import UserError
from eks_templates.render import MANIFEST, latest_set, read_manifest, render_set, write_set
from tests.support import REPO, run_cli, stack_with_nodegroups


@pytest.fixture(scope="module")
def myeks():
    return load_stack(str(REPO / "stacks" / "myeks.yaml"), on_warning=None)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_render_into_the_stacks_directory_keeps_the_stack_files(tmp_path: Path) -> None:
    """`render myeks --out-dir stacks`, exactly: the stack files and any other YAML/JSON stay."""
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    (tmp_path / "stacks" / "settings.json").write_text('{"mine": true}\n')
    before = _snapshot(tmp_path / "stacks")
    result = run_cli("render", "myeks", "--out-dir", "stacks", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = _snapshot(tmp_path / "stacks")
    assert {name: after[name] for name in before} == before
    assert "root.json" in after and MANIFEST in after
    again = run_cli("render", "myeks", "--out-dir", "stacks", "--format", "yaml", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert {name: _snapshot(tmp_path / "stacks")[name] for name in before} == before


def test_nested_flat_and_yaml_renders_do_not_erase_each_other(tmp_path: Path, myeks) -> None:
    nested = render_set(myeks)
    write_set(nested, tmp_path)
    first = _snapshot(tmp_path)
    write_set(render_set(myeks, flat=True), tmp_path)
    write_set(render_set(myeks, fmt="yaml"), tmp_path)
    write_set(render_set(myeks, fmt="yaml", flat=True), tmp_path)
    now = _snapshot(tmp_path)
    assert {name: now[name] for name in nested.files} == {name: first[name] for name in nested.files}
    assert {"flat.json", "flat.yaml", "root.yaml", "ControlPlaneStack.yaml"} <= set(now)
    assert sorted(read_manifest(tmp_path)) == ["flat.json", "flat.yaml", "nested.json", "nested.yaml"]
    assert latest_set(tmp_path) == ["flat.yaml"]


def test_a_file_no_render_wrote_is_never_overwritten(tmp_path: Path, myeks) -> None:
    (tmp_path / "root.json").write_text('{"my": "own root.json"}\n')
    with pytest.raises(UserError) as caught:
        write_set(render_set(myeks), tmp_path)
    assert caught.value.messages == [
        f"{tmp_path / 'root.json'}: exists and no render wrote it (not in {MANIFEST}); move it away, "
        "or choose another --out-dir"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root.json"]  # nothing written
    assert (tmp_path / "root.json").read_text() == '{"my": "own root.json"}\n'


def test_an_identical_file_from_an_older_render_is_adopted(tmp_path: Path, myeks) -> None:
    """A build dir from before the manifest (same content) is taken over, not refused."""
    rendered = render_set(myeks)
    for name, text in rendered.files.items():
        (tmp_path / name).write_text(text)
    write_set(rendered, tmp_path)
    assert sorted(read_manifest(tmp_path)["nested.json"]["files"]) == sorted(rendered.files)


def test_an_edited_template_is_not_overwritten(tmp_path: Path, myeks) -> None:
    write_set(render_set(myeks), tmp_path)
    edited = tmp_path / "ControlPlaneStack.json"
    edited.write_text(edited.read_text().replace("VPC", "MyVPC"))
    keep = edited.read_bytes()
    with pytest.raises(UserError, match=r"ControlPlaneStack\.json: changed since a render wrote it"):
        write_set(render_set(myeks), tmp_path)
    assert edited.read_bytes() == keep
    assert not list(tmp_path.glob(".*.tmp"))


def test_stale_children_go_edited_ones_stay_with_a_warning(tmp_path: Path) -> None:
    path = stack_with_nodegroups(3, tmp_path, "c")
    data = yaml.safe_load(path.read_text())
    for group, kind in zip(data["managedNodeGroups"], ("t3.medium", "t3.large", "t3.xlarge"), strict=True):
        group["instanceType"] = kind  # three shapes: three nodegroup templates (one shape would share one)
    path.write_text(yaml.safe_dump(data))
    three = load_stack(str(path), on_warning=None)
    one = load_stack(str(stack_with_nodegroups(1, tmp_path, "c")), on_warning=None)
    out = tmp_path / "out"
    write_set(render_set(three), out)
    names = sorted(set(render_set(three).files) - set(render_set(one).files))
    assert len(names) == 2
    (out / names[1]).write_text("edited by hand\n")
    warnings: list[str] = []
    write_set(render_set(one), out, on_warning=warnings.append)
    assert not (out / names[0]).exists()
    assert (out / names[1]).read_text() == "edited by hand\n"
    assert warnings == [f"warning: {out / names[1]}: an earlier render wrote it and it was edited since; "
                        "left in place (delete it if you do not need it)"]
    # no longer recorded: a later render never removes it
    assert names[1] not in read_manifest(out)["nested.json"]["files"]
    write_set(render_set(one), out)
    assert (out / names[1]).exists()


def test_diff_reads_the_set_the_last_render_wrote(tmp_path: Path, myeks) -> None:
    write_set(render_set(myeks), tmp_path)
    write_set(render_set(myeks, fmt="yaml"), tmp_path)
    assert sorted(load_dir(tmp_path, latest_set(tmp_path))) == sorted(render_set(myeks, fmt="yaml").files)
    write_set(render_set(myeks, flat=True), tmp_path)
    assert sorted(load_dir(tmp_path, latest_set(tmp_path))) == ["flat.json"]


def test_diff_command_after_nested_and_flat_renders(tmp_path: Path) -> None:
    for extra in ([], ["--flat"], ["--format", "yaml"]):
        assert run_cli("render", "myeks", "--out-dir", str(tmp_path), *extra).returncode == 0
        result = run_cli("diff", "myeks", "--against", str(tmp_path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines()[-1] == "no replacements: nothing is deleted or replaced"


def test_a_corrupt_manifest_records_nothing(tmp_path: Path, myeks) -> None:
    write_set(render_set(myeks), tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"tool": "eks-templates", "sets": {"nested.json": 5}}))
    assert read_manifest(tmp_path) == {}
    write_set(render_set(myeks), tmp_path)  # identical content: adopted again
    assert "nested.json" in read_manifest(tmp_path)


def test_a_file_already_there_with_the_same_bytes_is_not_rewritten(tmp_path: Path) -> None:
    """A render of an unchanged stack file leaves its templates as they are (same inode,
    same mtime: no write, no rename over them; on ext4 a rename over a file also starts
    its write-back); a changed template is replaced, and the manifest records both."""
    path = stack_with_nodegroups(1, tmp_path, "same")
    config = load_stack(str(path), on_warning=None)
    out = tmp_path / "out"
    first = render_set(config)
    write_set(first, out)
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir() if p.name != MANIFEST}
    write_set(render_set(config), out)
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir() if p.name != MANIFEST} == before
    data = yaml.safe_load(path.read_text())
    data["managedNodeGroups"][0]["instanceType"] = "t3.large"  # the nodegroup's template changes, not the others
    path.write_text(yaml.safe_dump(data))
    changed = render_set(load_stack(str(path), on_warning=None))
    write_set(changed, out)
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.iterdir() if p.name != MANIFEST}
    differ = sorted(name for name, text in changed.files.items() if first.files.get(name) != text)
    assert differ and len(differ) < len(changed.files)  # the change shows in some templates, not all
    assert sorted(name for name in after if after[name] != before.get(name)) == differ
    assert {n: b for n, b in _snapshot(out).items() if n != MANIFEST} == {
        n: t.encode() for n, t in changed.files.items()}
    assert read_manifest(out)["nested.json"]["files"] == {
        n: hashlib.sha256(t.encode()).hexdigest() for n, t in changed.files.items()}
    assert not list(out.glob(".*.tmp"))


def test_the_message_counts_only_the_templates_written(tmp_path: Path) -> None:
    """It said "wrote 6 template(s)" on a re-render that wrote none."""
    path = stack_with_nodegroups(1, tmp_path, "count")
    out = tmp_path / "out"
    first = run_cli("render", str(path), "--out-dir", str(out))
    total = len(render_set(load_stack(str(path), on_warning=None)).files)
    assert first.stderr.splitlines()[-1] == f"wrote {total} template(s) to {out}/", first.stderr
    again = run_cli("render", str(path), "--out-dir", str(out))
    assert again.stderr.splitlines()[-1] == f"wrote 0 template(s) to {out}/ ({total} unchanged)", again.stderr
    data = yaml.safe_load(path.read_text())
    data["managedNodeGroups"][0]["instanceType"] = "t3.large"
    path.write_text(yaml.safe_dump(data))
    changed = run_cli("render", str(path), "--out-dir", str(out))
    said = re.fullmatch(rf"wrote (\d+) template\(s\) to {re.escape(str(out))}/ \((\d+) unchanged\)",
                        changed.stderr.splitlines()[-1])
    assert said, changed.stderr
    written, unchanged = map(int, said.groups())
    assert 0 < written < total and written + unchanged == total
