"""Paths and output (issue 11 item 3): every bad stack-file path, output directory and
stdout gives one line on stderr and the documented exit status, no traceback,
nothing on stdout, nothing written. Before, each of these was a traceback, a hang (a
FIFO) or 38 s and 600 MB (a 6 MB file)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eks_templates.cli import EXIT_BROKEN_PIPE, main
from eks_templates.config.files import MAX_STACK_FILE_BYTES
from tests.support import REPO, run_cli

MYEKS = REPO / "stacks" / "myeks.yaml"


def run_main(*argv: str) -> tuple[int, str, str]:
    """``main()`` in this process with captured streams (as the corpus runner does)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def errors_only(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not line.startswith("warning: ")]


def refused(stderr: str, code: int, stdout: str) -> str:
    assert code == 2, stderr
    assert stdout == ""
    assert "Traceback" not in stderr
    [line] = errors_only(stderr)
    return line


# --------------------------------------------------------------------------- the stack file


@pytest.fixture
def place(tmp_path: Path) -> Path:
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "a-dir.yaml").mkdir()
    (tmp_path / "loop-a.yaml").symlink_to(tmp_path / "loop-b.yaml")
    (tmp_path / "loop-b.yaml").symlink_to(tmp_path / "loop-a.yaml")
    return tmp_path


@pytest.mark.parametrize(("name", "reason"), [
    ("n" * 300 + ".yaml", "the name is too long for the file system"),
    ("a-file/c.yaml", "a part of the path is not a directory"),
    ("loop-a.yaml", "too many levels of symbolic links (a symlink loop?)"),
    ("a-dir.yaml", "is a directory, not a regular file"),
])
def test_a_stack_file_path_that_cannot_be_read(place: Path, name: str, reason: str) -> None:
    out = place / "out"
    code, stdout, stderr = run_main("render", str(place / name), "--out-dir", str(out))
    assert refused(stderr, code, stdout) == f"{place / name}: cannot read the stack file: {reason}"
    assert not out.exists()


def test_a_stack_name_too_long_for_the_file_system() -> None:
    code, stdout, stderr = run_main("render", "n" * 300)
    assert refused(stderr, code, stdout).endswith(": cannot read the stack file: the name is too long for "
                                                  "the file system")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """The old loader opened it and waited for a writer forever."""
    fifo = tmp_path / "c.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    result = run_cli("render", str(fifo), "--out-dir", str(tmp_path / "out"), timeout=30)
    assert time.monotonic() - start < 20
    assert refused(result.stderr, result.returncode, result.stdout) == (
        f"{fifo}: cannot read the stack file: is a FIFO (named pipe), not a regular file")


def test_a_device_is_refused() -> None:
    code, stdout, stderr = run_main("render", "/dev/zero")
    assert refused(stderr, code, stdout) == "/dev/zero: cannot read the stack file: is a character device, " \
                                            "not a regular file"


def test_a_file_above_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as f:
        f.write(MYEKS.read_text())
        f.write("# " + "x" * 6_000_000 + "\n")  # 6 MB: the 38 s and 600 MB
    start = time.monotonic()
    code, stdout, stderr = run_main("render", str(big), "--out-dir", str(tmp_path / "out"))
    assert time.monotonic() - start < 5  # refused before reading: milliseconds, on a shared machine
    assert refused(stderr, code, stdout) == (
        f"{big}: cannot read the stack file: is {big.stat().st_size:,} bytes; the largest file read is "
        f"{MAX_STACK_FILE_BYTES:,} bytes")


def test_a_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    text = MYEKS.read_text()
    path = tmp_path / "c.yaml"
    path.write_text(text + "#" * (MAX_STACK_FILE_BYTES - len(text.encode()) - 1) + "\n")
    assert path.stat().st_size == MAX_STACK_FILE_BYTES
    code, _, stderr = run_main("render", str(path), "--out-dir", str(tmp_path / "out"))
    assert code == 0, stderr


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"apiVersion: eksctl.io/v1alpha5\nkind: \xff\n")
    code, stdout, stderr = run_main("render", str(path), "--out-dir", str(tmp_path / "out"))
    assert refused(stderr, code, stdout) == (f"{path}: cannot read the stack file: is not UTF-8 text: byte 0xff "
                                             "at line 2, column 7; save it as UTF-8")


def test_an_ssh_public_key_path_that_is_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "id.pub")
    stack = tmp_path / "c.yaml"
    text = MYEKS.read_text()
    stack.write_text(text.replace("      allow: true ", "      publicKeyPath: id.pub\n      allow: true ", 1))
    assert "publicKeyPath: id.pub" in stack.read_text()
    result = run_cli("render", str(stack), "--out-dir", str(tmp_path / "out"), timeout=30)
    assert refused(result.stderr, result.returncode, result.stdout) == (
        f"{stack}: managedNodeGroups[0].ssh.publicKeyPath: cannot read {str(tmp_path / 'id.pub')!r}: "
        "is a FIFO (named pipe), not a regular file")


# --------------------------------------------------------------------------- the output directory


def test_out_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("keep")
    code, stdout, stderr = run_main("render", "myeks", "--out-dir", str(tmp_path / "f"))
    assert refused(stderr, code, stdout) == (f"error: {tmp_path / 'f'}: the output directory is not a directory; "
                                             "give --out-dir a directory")
    assert (tmp_path / "f").read_text() == "keep"


def test_out_dir_dev_null() -> None:
    code, stdout, stderr = run_main("render", "myeks", "--out-dir", os.devnull)
    assert refused(stderr, code, stdout) == ("error: /dev/null: the output directory is not a directory; "
                                             "give --out-dir a directory")


def test_out_dir_below_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("keep")
    code, stdout, stderr = run_main("render", "myeks", "--out-dir", str(tmp_path / "f" / "out"))
    assert refused(stderr, code, stdout) == (f"error: {tmp_path / 'f' / 'out'}: cannot create the output "
                                             "directory: a part of the path is not a directory")


def _read_only_dir(tmp_path: Path) -> Path:
    """A directory this process cannot write into (as root, chmod does not stop it: sysfs)."""
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o555)
    if not os.access(directory, os.W_OK):
        return directory
    if Path("/sys/kernel").is_dir() and not os.access("/sys/kernel", os.W_OK):
        return Path("/sys/kernel")
    try:
        (Path("/sys/kernel") / ".probe").write_text("")
    except OSError:
        return Path("/sys/kernel")
    pytest.skip("no directory this process cannot write to")


def test_out_dir_read_only(tmp_path: Path) -> None:
    directory = _read_only_dir(tmp_path)
    before = sorted(p.name for p in directory.iterdir())
    code, stdout, stderr = run_main("render", "myeks", "--out-dir", str(directory))
    line = refused(stderr, code, stdout)
    assert line == f"error: {directory}: cannot write the templates: permission denied"
    assert sorted(p.name for p in directory.iterdir()) == before


# --------------------------------------------------------------------------- stdout


def _render_with_stdout(tmp_path: Path, stdout: int | object) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "eks_templates", "render", "platform", "--out-dir",
                           str(tmp_path / "out")], cwd=REPO, env=env, stdout=stdout, stderr=subprocess.PIPE,
                          timeout=120)


def test_stdout_full(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = _render_with_stdout(tmp_path, full)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == ["error: cannot write to stdout: no space left on device"]
    assert not (tmp_path / "out").exists()


def test_stdout_closed(tmp_path: Path) -> None:
    """`render >&-`: sys.stdout is None; the old code died on None.write."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(f"{sys.executable} -m eks_templates render platform --out-dir {tmp_path / 'out'} >&-",
                          shell=True, cwd=REPO, env=env, stderr=subprocess.PIPE, timeout=120)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "error: stdout is closed; render prints the root template there: redirect it (> cluster.json, or "
        "> /dev/null)"]
    assert not (tmp_path / "out").exists()


def test_a_reader_that_stops_early(tmp_path: Path) -> None:
    """`render | head`, the reader gone before the write: no BrokenPipeError traceback, no
    "Exception ignored" at exit, 141 as for `yes | head`, the directory left as it was."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    read, write = os.pipe()
    os.close(read)  # the reader went away
    try:
        done = subprocess.run([sys.executable, "-m", "eks_templates", "render", "platform", "--out-dir",
                               str(tmp_path / "out")], cwd=REPO, env=env, stdout=write, stderr=subprocess.PIPE,
                              timeout=120)
    finally:
        os.close(write)
    assert done.returncode == EXIT_BROKEN_PIPE == 141
    assert done.stderr.decode() == ""
    assert not (tmp_path / "out").exists()


def test_head_of_lint_and_diff_output(tmp_path: Path) -> None:
    """Other commands printing to a closed pipe: the same status, no traceback."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(f"{sys.executable} -m eks_templates render myeks --out-dir {tmp_path}/a > /dev/null "
                          f"2>&1; {sys.executable} -m eks_templates diff myeks --against {tmp_path}/a | true; "
                          "echo ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    assert done.stdout.strip() in ("0", "141")


# --------------------------------------------------------------------------- sandbox --port


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_sandbox_port_out_of_range(port: str) -> None:
    result = run_cli("sandbox", "--port", port, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("python -m eks_templates sandbox: error: argument --port: ")
    assert "is not a port number; give 0-65535" in result.stderr
