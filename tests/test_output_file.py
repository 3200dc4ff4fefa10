"""Files the user names (``diagram --out``, ``plan --diagram``, the stack file ``upgrade``
edits, ``render --out-dir``, ``kubeconfig --file``): eks_templates/output_file.py.

The old ``diagram`` did ``mkdir``/``write_bytes``/``replace`` bare: tracebacks for a
directory, a path below a file or ``/proc``; a FIFO, a device (as root), a symlink
and the stack file itself silently replaced by a regular file. ``upgrade`` turned a
symlinked stack file into a regular file and reset its mode; ``--out-dir ''`` wrote
into the current directory.

Devices: the old code, run as root, REPLACES a device node, so no test here runs a
command against ``/dev/null``; the refusal is tested with a FIFO from ``os.mkfifo``,
and ``/dev/null`` only against the new module with every write call made to fail.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

from eks_templates import cli, output_file
from eks_templates.errors import UserError
from tests.support import REPO


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory (stacks/ copied) as the working directory."""
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _tree(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Every path under ``root``: its mode and contents (a link: its target), to show nothing changed."""
    out: dict[str, tuple[int, bytes | str | None]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            out[str(path.relative_to(root))] = (st.st_mode, os.readlink(path))
        elif stat.S_ISREG(st.st_mode):
            out[str(path.relative_to(root))] = (st.st_mode, path.read_bytes())
        else:
            out[str(path.relative_to(root))] = (st.st_mode, None)
    return out


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """``cli.main(argv)`` exits 2 with one ``error:`` line (warnings aside) and no traceback; the line."""
    assert cli.main(list(argv)) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def _no_temp_files(root: Path) -> None:
    assert not [p for p in root.rglob("*.tmp")], sorted(root.rglob("*.tmp"))


# --------------------------------------------------------------------------- diagram --out


def test_diagram_refuses_a_directory(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "adir").mkdir()
    before = _tree(project)
    line = refused(capsys, "diagram", "myeks", "--format", "dot", "--out", "adir")
    assert line == "error: adir: is a directory, not a regular file; name a file for --out"
    assert _tree(project) == before  # no .adir.tmp left behind


def test_diagram_refuses_a_path_below_a_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(project)
    line = refused(capsys, "diagram", "myeks", "--format", "dot", "--out", "stacks/myeks.yaml/x.dot")
    assert line == "error: stacks/myeks.yaml/x.dot: stacks/myeks.yaml is a file, not a directory"
    assert _tree(project) == before


def test_diagram_refuses_a_directory_that_takes_no_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """/proc takes no new files, even for root (root ignores chmod, so no read-only directory here)."""
    line = refused(capsys, "diagram", "myeks", "--format", "dot", "--out", "/proc/x.dot")
    assert line.startswith("error: /proc/x.dot: cannot create a file in /proc: "), line
    line = refused(capsys, "diagram", "myeks", "--format", "dot", "--out", "/proc/eks-templates-test/x.dot")
    assert line.startswith("error: /proc/eks-templates-test/x.dot: cannot create a file in /proc: "), line


def test_diagram_refuses_a_fifo_and_leaves_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = project / "pipe.dot"
    os.mkfifo(fifo)
    line = refused(capsys, "diagram", "myeks", "--out", "pipe.dot")
    assert line == "error: pipe.dot: is a FIFO (named pipe), not a regular file; name a file for --out"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # the old code put a regular file in its place
    _no_temp_files(project)


def test_diagram_writes_through_a_symlink(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = project / "target.dot"
    target.write_text("old\n")
    (project / "link.dot").symlink_to("target.dot")
    assert cli.main(["diagram", "myeks", "--out", "link.dot"]) == 0
    assert os.readlink(project / "link.dot") == "target.dot"  # still the link
    assert target.read_text().startswith('digraph "myeks"')  # the target got the picture
    _no_temp_files(project)


@pytest.mark.parametrize("mode", [0o600, 0o444, 0o640])
def test_diagram_keeps_the_mode_of_the_file_it_replaces(project: Path, mode: int) -> None:
    out = project / "pic.dot"
    out.write_text("old\n")
    out.chmod(mode)
    assert cli.main(["diagram", "myeks", "--out", "pic.dot"]) == 0
    assert out.read_text().startswith("digraph")
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_a_new_file_gets_the_umasks_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        output_file.write(tmp_path / "new" / "x.dot", b"x", "--out")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "x.dot").stat().st_mode) == 0o640


@pytest.mark.parametrize("out", ["stacks/myeks.yaml", "stacks/../stacks/myeks.yaml", "same.yaml"])
def test_diagram_refuses_to_write_over_the_stack_file_it_draws(project: Path, capsys: pytest.CaptureFixture[str],
                                                                out: str) -> None:
    (project / "same.yaml").symlink_to("stacks/myeks.yaml")
    before = _tree(project)
    line = refused(capsys, "diagram", "myeks", "--format", "dot", "--out", out)
    assert line == f"error: {out}: is the stack file being drawn; --out would overwrite it: name another file"
    assert _tree(project) == before
    # named by its path, and through a hard link: the same file
    os.link(project / "stacks" / "myeks.yaml", project / "hard.yaml")
    refused(capsys, "diagram", "stacks/myeks.yaml", "--format", "dot", "--out", "hard.yaml")
    assert (project / "hard.yaml").read_bytes() == (REPO / "stacks" / "myeks.yaml").read_bytes()


# --------------------------------------------------------------------------- empty paths


@pytest.mark.parametrize(("argv", "line"), [
    (["diagram", "myeks", "--out", ""], "error: --out: the path is empty; name a file"),
    (["render", "myeks", "--out-dir", ""], "error: --out-dir: the path is empty; name a directory"),
    (["plan", "myeks", "--diagram", ""], "error: --diagram: the path is empty; name a file"),
    (["kubeconfig", "myeks", "--file", ""], "error: --file: the path is empty; name a file"),
])
def test_an_empty_path_is_refused_and_nothing_is_written(project: Path, capsys: pytest.CaptureFixture[str],
                                                         argv: list[str], line: str) -> None:
    before = _tree(project)
    assert refused(capsys, *argv) == line
    assert _tree(project) == before  # render wrote 4 templates into ./ before


# --------------------------------------------------------------------------- plan --diagram


def test_plan_refuses_its_diagram_file_before_any_aws_call(project: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from eks_templates.commands import deploy

    def no_aws(*args: object, **kwargs: object) -> None:
        raise AssertionError("plan went to AWS with a diagram file it cannot write")

    monkeypatch.setattr(deploy, "make_context", no_aws)
    (project / "adir").mkdir()
    os.mkfifo(project / "pipe.svg")
    assert refused(capsys, "plan", "myeks", "--diagram", "adir") == \
        "error: adir: is a directory, not a regular file; name a file for --diagram"
    assert refused(capsys, "plan", "myeks", "--diagram", "pipe.svg") == \
        "error: pipe.svg: is a FIFO (named pipe), not a regular file; name a file for --diagram"
    assert refused(capsys, "plan", "myeks", "--diagram", "stacks/myeks.yaml") == \
        "error: stacks/myeks.yaml: is the stack file being planned; --diagram would overwrite it: name another file"
    assert refused(capsys, "plan", "myeks", "--diagram", "/proc/plan.svg").startswith(
        "error: /proc/plan.svg: cannot create a file in /proc: ")
    _no_temp_files(project)


# --------------------------------------------------------------------------- upgrade


@pytest.mark.parametrize("mode", [0o600, 0o444])
def test_upgrade_writes_through_a_symlinked_stack_file_and_keeps_its_mode(project: Path, mode: int,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    real = project / "real" / "myeks.yaml"
    real.parent.mkdir()
    text = (project / "stacks" / "myeks.yaml").read_text()
    real.write_text(text.replace("  region: ap-northeast-2\n", "  region: ap-northeast-2\n  version: \"1.35\"\n", 1))
    (project / "stacks" / "myeks.yaml").unlink()
    real.chmod(mode)
    (project / "stacks" / "myeks.yaml").symlink_to(real)
    before = real.read_text()
    assert cli.main(["upgrade", "myeks"]) == 0, capsys.readouterr().err
    assert (project / "stacks" / "myeks.yaml").is_symlink()
    assert 'version: "1.36"' in real.read_text() and before != real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == mode  # the old code: 0644
    _no_temp_files(project)


# --------------------------------------------------------------------------- the module


def test_dev_null_is_refused_before_anything_touches_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the new code meets /dev/null: every call that could change it fails the test."""
    def touched(*args: object, **kwargs: object) -> None:
        raise AssertionError("output_file touched /dev/null")

    before = os.lstat("/dev/null")
    with monkeypatch.context() as patch:
        for name in ("open", "replace", "rename", "unlink", "mkdir", "chmod", "fchmod"):
            patch.setattr(output_file.os, name, touched)
        with pytest.raises(UserError, match=r"^/dev/null: is a character device, not a regular file; "):
            output_file.write(Path("/dev/null"), b"x", "--out")
        with pytest.raises(UserError, match="is a character device"):
            output_file.check(Path("/dev/null"), "--out")
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


def test_a_socket_is_named(tmp_path: Path) -> None:
    import socket

    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "s.dot"))
        with pytest.raises(UserError, match=r"s\.dot: is a socket, not a regular file"):
            output_file.write(tmp_path / "s.dot", b"x", "--out")
    finally:
        sock.close()


def test_a_failed_write_leaves_no_temp_file_no_new_directory_and_the_old_file(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    old = tmp_path / "old.dot"
    old.write_text("old\n")
    monkeypatch.setattr(output_file.os, "fsync", full)
    with pytest.raises(UserError, match=r"old\.dot: cannot write the file: no space left on device$"):
        output_file.write(old, b"new", "--out")
    with pytest.raises(UserError, match="no space left on device"):
        output_file.write(tmp_path / "a" / "b" / "new.dot", b"new", "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.dot"]  # no a/b/, no .old.dot.*.tmp
    assert old.read_text() == "old\n"


def test_a_symlink_loop_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.dot").symlink_to("b.dot")
    (tmp_path / "b.dot").symlink_to("a.dot")
    with pytest.raises(UserError, match="symlink loop"):
        output_file.write(tmp_path / "a.dot", b"x", "--out")
    assert (tmp_path / "a.dot").is_symlink() and (tmp_path / "b.dot").is_symlink()


def test_a_forced_mode_whatever_the_file_had_and_the_umask(tmp_path: Path) -> None:
    """kubeconfig.write's rule: the file 0600, a directory it makes 0700 (less the umask)."""
    old = tmp_path / "config"
    old.write_text("old\n")
    old.chmod(0o644)
    previous = os.umask(0)
    try:
        output_file.write(old, b"new\n", "--file", mode=0o600, dir_mode=0o700)
        output_file.write(tmp_path / ".kube" / "config", b"new\n", "--file", mode=0o600, dir_mode=0o700)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600 and old.read_text() == "new\n"
    assert stat.S_IMODE((tmp_path / ".kube" / "config").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / ".kube").stat().st_mode) == 0o700


def test_a_nul_in_the_name_is_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(capsys, "diagram", "myeks", "--out", "a\0b.dot") == \
        "error: 'a\\x00b.dot': the name contains a NUL character"
