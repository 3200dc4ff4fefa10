"""``upgrade`` offline (no ``--amis``, no ``--deploy``: it only edits the file): the file's
own bytes stay, the diff is the real change, and "nothing to do" is success."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support import REPO, run_cli

BASE = ("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nvpc:\n  publicAccessCIDRs: [203.0.113.0/24]\n"
        "metadata:\n  name: a\n  region: ap-northeast-2\n")


def write(tmp_path: Path, text: str | bytes) -> Path:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    path = tmp_path / "stacks" / "a.yaml"
    if isinstance(text, str):
        path.write_bytes(text.encode("utf-8"))
    else:
        path.write_bytes(text)
    return path


def run_bytes(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    import os

    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "eks_templates", *args], cwd=tmp_path, env=env,
                          capture_output=True, timeout=120)


def test_crlf_and_a_byte_order_mark_stay_and_the_diff_shows_the_real_lines(tmp_path: Path):
    old = ("\ufeff" + BASE + '  version: "1.35"   \n# end\n').replace("\n", "\r\n").encode("utf-8")
    path = write(tmp_path, old)
    done = run_bytes(tmp_path, "upgrade", str(path))
    assert done.returncode == 0, done.stderr
    assert path.read_bytes() == old.replace(b'"1.35"', b'"1.36"')
    changed = [line for line in done.stdout.split(b"\n")
               if line.startswith((b"+", b"-")) and line[:3] not in (b"+++", b"---")]
    assert changed == [b'-  version: "1.35"   \r', b'+  version: "1.36"   \r']


def test_a_file_without_a_final_newline_gets_a_diff_that_says_so(tmp_path: Path):
    path = write(tmp_path, BASE + "  version: '1.35'")
    done = run_cli("upgrade", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert path.read_text() == BASE + "  version: '1.36'"
    assert done.stdout.endswith("-  version: '1.35'\n\\ No newline at end of file\n"
                                "+  version: '1.36'\n\\ No newline at end of file\n")


def test_the_newest_version_is_nothing_to_do_and_exit_0(tmp_path: Path):
    path = write(tmp_path, BASE + '  version: "1.35"\n')
    assert run_cli("upgrade", str(path), cwd=tmp_path).returncode == 0
    after = path.read_bytes()
    again = run_cli("upgrade", str(path), cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "")
    assert again.stderr == (f"{path}: metadata.version 1.36 is the newest version in the versions table; "
                            "nothing to do\n")
    assert path.read_bytes() == after


def test_a_file_without_a_version_says_the_default_applies(tmp_path: Path):
    path = write(tmp_path, BASE)
    done = run_cli("upgrade", str(path), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == (f"{path}: metadata.version (not set: the default 1.36 applies) is the newest version "
                           "in the versions table; nothing to do\n")
    assert path.read_text() == BASE
    older = run_cli("upgrade", str(path), "--to", "1.35", cwd=tmp_path)
    assert older.returncode == 2
    assert older.stderr == (f"error: --to: 1.35 is older than {path}'s metadata.version (not set: the default "
                            "1.36 applies); EKS does not downgrade\n")


def test_to_the_same_version_is_nothing_to_do_and_an_older_one_is_refused(tmp_path: Path):
    text = BASE + '  version: "1.35"\n'
    path = write(tmp_path, text)
    same = run_cli("upgrade", str(path), "--to", "1.35", cwd=tmp_path)
    assert (same.returncode, same.stdout) == (0, "")
    assert same.stderr == f"{path}: metadata.version 1.35 is 1.35 already; nothing to do\n"
    older = run_cli("upgrade", str(path), "--to", "1.34", cwd=tmp_path)
    assert older.returncode == 2 and "Traceback" not in older.stderr
    assert older.stderr == (f"error: --to: 1.34 is older than {path}'s metadata.version 1.35; "
                            "EKS does not downgrade\n")
    assert path.read_text() == text


def test_a_version_that_cannot_be_written_is_one_line_and_nothing_is_written(tmp_path: Path):
    text = BASE + "  tags: {k8s: &v '1.35'}\n  version: *v\n"
    path = write(tmp_path, text)
    done = run_cli("upgrade", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{path}: metadata.version: is an alias (*v) of metadata.tags.k8s (line 8)")
    assert path.read_text() == text


def test_amis_alone_on_the_newest_version_writes_the_newest_releases(tmp_path: Path, monkeypatch, capsys):
    """``upgrade --amis`` on a file at the newest version said "nothing to do": there was no
    way to take a newer AMI release without a new Kubernetes version."""
    from eks_templates import cli
    from eks_templates.commands import deploy as deploy_command
    from eks_templates.config import versions
    from eks_templates.deploy import amis

    newest = max(versions.creatable(versions.CHECKED), key=versions.parse)
    path = write(tmp_path, BASE + f'  version: "{newest}"\nmanagedNodeGroups:\n  - name: ng\n')
    asked: list[str] = []

    def releases(ssm, groups, version):  # what the public SSM parameters name (the sandbox's own test: e2e)
        asked.append(version)
        return {0: f"{newest}.0-20261120"}

    monkeypatch.setattr(amis, "newest_releases", releases)
    class Aws:
        def client(self, name: str) -> None:
            assert name == "ssm"

    class Context:
        aws = Aws()

    monkeypatch.setattr(deploy_command, "make_context", lambda args, config: Context())
    assert cli.main(["upgrade", str(path), "--amis"]) == 0
    assert asked == [newest]
    assert f'    releaseVersion: "{newest}.0-20261120"\n' in path.read_text()
    err = capsys.readouterr().err
    assert f"wrote {path}: the nodegroups' newest AMI releases for Kubernetes {newest}" in err
    # again: the release is the newest already
    assert cli.main(["upgrade", str(path), "--amis"]) == 0
    assert "and every nodegroup's releaseVersion are the newest already; nothing to do" in capsys.readouterr().err
