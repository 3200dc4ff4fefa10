"""The package as people install it: ``python -m build`` makes an sdist and, from that
sdist, a wheel; the wheel goes into a fresh virtual environment (its dependencies from
the package index or pip's cache; no ``-e``, no repository on ``sys.path``, the working
directory outside the repository) and runs there: ``render`` of the built-in cluster
(byte-identical to the source tree's), ``lint``, ``diagram``, ``--version``, ``--help``,
and ``sandbox`` without and then with the ``sandbox`` extra.

Also, without a build: ``--version`` and the program's name in ``--help``, the
examples every command's ``--help`` ends with (each one parses), and the hint of
``sandbox`` when moto's server cannot be imported.

The wheel test is skipped only when pip cannot reach the index and its cache cannot
supply the dependencies (never when ``CI`` is set: CI has the registries)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eks_templates import cli
from tests.support import REPO, run_cli

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
VERSION = PYPROJECT["project"]["version"]
HINT = "pip install 'eks-templates[sandbox]'"

#: what pip prints when it cannot reach the index (then the cache was all it had)
_NO_NETWORK = re.compile(r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
                         r"resolution|Name or service not known|Network is unreachable|No route to host|"
                         r"ProxyError|ConnectTimeoutError|Read timed out|Connection refused")
_NOT_FOUND = re.compile(r"Could not find a version that satisfies|No matching distribution found")


# --------------------------------------------------------------------------- build and install


def _package_files() -> set[str]:
    """The package's files as git knows them (tracked, or new and not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "eks_templates"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    return {p for p in listed.split("\0") if p and (REPO / p).is_file() and "__pycache__" not in p}


def _copy_source(dest: Path) -> None:
    """The files of the repository a fresh clone would have (plus new, unignored ones):
    the build must not see .venv, build/ or an old egg-info."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if src.is_symlink() or not src.is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)


def _clean_env(venv: Path) -> dict[str, str]:
    """The environment of a user's shell with only ``venv`` activated."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")}
    env["PATH"] = str(_bin(venv)) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def _pip_install(venv: Path, requirement: str, cwd: Path) -> None:
    """pip install into ``venv``; skip (outside CI) only when the index is unreachable
    and the cache lacked something, fail on every other error."""
    # This process's pip installs into the venv's interpreter (--python): what `venv/bin/pip install`
    # would do, without ensurepip's half a minute; --no-compile: Python compiles what it imports.
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(_bin(venv) / "python"), "install",
                           "--no-compile", "--retries", "2", requirement],
                          cwd=cwd, env=_clean_env(venv), capture_output=True, text=True, timeout=1200)
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    if _NOT_FOUND.search(output) and _NO_NETWORK.search(output) and not os.environ.get("CI"):
        last = output.strip().splitlines()[-1]
        pytest.skip(f"no network to the package index and pip's cache cannot supply the dependencies ({last})")
    pytest.fail(f"pip install {requirement} failed:\n{output[-4000:]}")


@dataclass(frozen=True)
class Installed:
    venv: Path
    work: Path  # a directory outside the repository: the user's
    wheel: Path
    sdist: Path

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """A program of the venv (``eks-templates``, ``python``) as the user runs it."""
        program = str(_bin(self.venv) / args[0])
        return subprocess.run([program, *args[1:]], cwd=self.work, env=_clean_env(self.venv),
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("packaging")
    src, dist, venv, work = base / "src", base / "dist", base / "venv", base / "work"
    work.mkdir()
    _copy_source(src)
    # No --sdist/--wheel: build makes the sdist, then the wheel from the unpacked sdist,
    # so a file the sdist lacks is missing from the wheel too.
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(src)],
                           cwd=base, capture_output=True, text=True, timeout=900)
    output = built.stdout + built.stderr
    if built.returncode != 0:
        if _NO_NETWORK.search(output) and not os.environ.get("CI"):
            pytest.skip("no network to the package index for the build's own requirements (setuptools): "
                        + output.strip().splitlines()[-1])
        pytest.fail(f"python -m build failed:\n{output[-4000:]}")
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    _pip_install(venv, str(wheel), cwd=work)
    yield Installed(venv, work, wheel, sdist)


def test_wheel_holds_every_package_file_and_the_sandbox_extra(installed: Installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    package = {n for n in names if not n.startswith("eks_templates-")}
    assert package == _package_files()  # every module and data file (config/*.yaml, py.typed), nothing else
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    metadata = zipfile.ZipFile(installed.wheel).read(meta).decode()
    requires = re.findall(r"^Requires-Dist: (.*)$", metadata, flags=re.M)
    assert "Provides-Extra: sandbox" in metadata.splitlines()
    assert any(r.startswith("moto[server]") and 'extra == "sandbox"' in r for r in requires), requires
    base = [r for r in requires if "extra ==" not in r]
    assert base and not [r for r in base if r.lower().startswith(("moto", "flask", "pytest"))], base
    (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "eks-templates = eks_templates.cli:main" in zipfile.ZipFile(installed.wheel).read(entry).decode()
    # the licence the metadata names travels with the wheel (PEP 639: License-Expression, License-File)
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    (licence,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert "Apache License" in zipfile.ZipFile(installed.wheel).read(licence).decode()


def test_sdist_holds_what_a_wheel_needs_and_no_half_test_suite(installed: Installed):
    with tarfile.open(installed.sdist) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"pyproject.toml", "README.md", "LICENSE"} <= names  # the README is the wheel's long description
    assert _package_files() <= names
    assert not [n for n in names if n.startswith("tests/")]  # tests need the repository (stacks/, golden/)


def test_installed_package_is_the_wheel_not_the_repository(installed: Installed):
    done = installed.run("python", "-c", "import eks_templates; print(eks_templates.__file__)")
    assert done.returncode == 0, done.stderr
    location = Path(done.stdout.splitlines()[0]).resolve()
    assert installed.venv.resolve() in location.parents, location
    assert REPO not in location.parents


def test_installed_render_matches_the_source_tree(installed: Installed, tmp_path: Path):
    done = installed.run("eks-templates", "render")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "ControlPlaneStack" in json.loads(done.stdout)["Resources"]
    ours = run_cli("render", "--out-dir", str(tmp_path))
    assert ours.returncode == 0, ours.stderr
    theirs = installed.work / "build" / "myeks"
    assert sorted(p.name for p in theirs.iterdir()) == sorted(p.name for p in tmp_path.iterdir())
    for path in tmp_path.iterdir():
        assert (theirs / path.name).read_bytes() == path.read_bytes(), path.name


def test_installed_lint_and_diagram_run(installed: Installed):
    linted = installed.run("eks-templates", "lint")
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "no findings" in linted.stderr
    drawn = installed.run("python", "-m", "eks_templates", "diagram", "--format", "mermaid", "--out", "-")
    assert drawn.returncode == 0, drawn.stderr
    assert "\nflowchart TB\n" in drawn.stdout, drawn.stdout[:200]


def test_installed_version_and_program_names(installed: Installed):
    for program in (("eks-templates",), ("python", "-m", "eks_templates")):
        done = installed.run(*program, "--version")
        assert (done.returncode, done.stdout, done.stderr) == (0, f"eks-templates {VERSION}\n", "")
    script = installed.run("eks-templates", "render", "--help")
    assert script.stdout.startswith("usage: eks-templates render ")
    assert "\nexamples:\n  eks-templates render" in script.stdout
    module = installed.run("python", "-m", "eks_templates", "--help")
    assert module.stdout.startswith("usage: python -m eks_templates ")


def test_sandbox_without_the_extra_says_how_to_get_it_and_with_it_serves(installed: Installed):
    for program in (("eks-templates", "sandbox"), ("python", "-m", "eks_templates.sandbox")):
        done = installed.run(*program, "--port", "0", timeout=120)
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stdout == ""
        (line,) = done.stderr.splitlines()
        assert line.startswith("error: the sandbox needs moto's server, and 'moto' is not installed")
        assert line.endswith(HINT)

    _pip_install(installed.venv, f"{installed.wheel}[sandbox]", cwd=installed.work)
    server = subprocess.Popen([str(_bin(installed.venv) / "eks-templates"), "sandbox", "--port", "0"],
                              cwd=installed.work, env=_clean_env(installed.venv), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(server.stdout.readline() if server.stdout else ""), daemon=True).start()
    try:
        try:
            first = lines.get(timeout=300)
        except queue.Empty:
            pytest.fail("the sandbox printed nothing in 300 s")
        assert "listening on http://localhost:" in first, first + (server.stderr.read() if server.poll() else "")
        endpoint = first.split("listening on ", 1)[1].split()[0]
        listed = installed.run("python", "-c", "import boto3; print(boto3.client('cloudformation', endpoint_url="
                               f"{endpoint!r}, region_name='ap-northeast-2', aws_access_key_id='testing', "
                               "aws_secret_access_key='testing').list_stacks()['StackSummaries'])")
        assert (listed.returncode, listed.stdout) == (0, "[]\n"), listed.stderr
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode == 0


# --------------------------------------------------------------------------- without a build


def test_version_is_the_projects_and_loaded_only_when_asked(tmp_path: Path):
    import eks_templates

    assert eks_templates.__version__ == VERSION  # the module's constant and pyproject.toml agree
    done = run_cli("--version")
    assert (done.returncode, done.stdout) == (0, f"eks-templates {VERSION}\n")
    probe = ("import contextlib, io, sys\nfrom eks_templates.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
             "    main(sys.argv[1:])\n"
             "print('importlib.metadata' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for args, loaded in ((["render", "--out-dir", str(tmp_path)], "False"), (["--version"], "True")):
        done = subprocess.run([sys.executable, "-c", probe, *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.stdout.split() == [loaded], (args, done.stderr)


@pytest.mark.parametrize(("argv0", "prog"), [
    ("/home/me/.venv/bin/eks-templates", "eks-templates"),
    ("eks-templates.exe", "eks-templates"),  # a console script on Windows
    ("/usr/local/bin/ekst", "ekst"),  # a symlink's own name
    ("/site-packages/eks_templates/__main__.py", "python -m eks_templates"),
    ("-c", "python -m eks_templates"),
    ("", "python -m eks_templates"),
])
def test_program_name(argv0: str, prog: str):
    assert cli.program_name(argv0) == prog


def test_console_script_name_shows_in_usage(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(sys, "argv", ["/opt/venv/bin/eks-templates", "lint", "--help"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: eks-templates lint ")
    assert "\n  eks-templates lint platform" in out
    assert run_cli("--help").stdout.startswith("usage: python -m eks_templates ")


def _examples(help_text: str) -> list[str]:
    """The lines of the ``examples:`` section that ``help_text`` ends with."""
    _head, sep, tail = help_text.rpartition("\nexamples:\n")
    assert sep, "no examples: section"
    lines = tail.rstrip("\n").splitlines()
    assert all(line.startswith("  ") for line in lines), lines  # nothing after the section
    return lines


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_command_help_ends_with_examples_that_parse(command: str):
    prog = "eks-templates"
    parser = cli.build_parser(prog=prog)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    help_text = sub.choices[command].format_help()
    examples = [line for line in _examples(help_text) if line.startswith(f"  {prog} {command}")]
    assert examples, f"{command} --help shows no example of itself"
    for line in examples:
        words = shlex.split(line.split(" #", 1)[0], comments=False)
        words = words[: next((i for i, w in enumerate(words) if w in (">", "|")), len(words))]
        with contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                parsed = parser.parse_args(words[1:])
            except SystemExit:
                pytest.fail(f"{command} --help example does not parse: {line.strip()}: {err.getvalue()}")
        assert parsed.command == command


def test_top_level_help_ends_with_examples():
    lines = _examples(cli.build_parser(prog="eks-templates").format_help())
    assert [line for line in lines if line.startswith("  eks-templates render")]


# --------------------------------------------------------------------------- sandbox without moto

_BLOCKED = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # `import name` raises ModuleNotFoundError, as when it is not installed
from eks_templates.cli import main
sys.exit(main(["sandbox", "--port", "0"]))
"""


@pytest.mark.parametrize(("blocked", "named"), [("moto", "moto"), ("flask", "flask"), ("werkzeug", "werkzeug")])
def test_sandbox_without_its_dependencies_is_one_line_and_exit_2(blocked: str, named: str):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", _BLOCKED, blocked], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line == (f"error: the sandbox needs moto's server, and {named!r} is not installed; "
                    f"install the sandbox's dependencies with: {HINT}")


def test_sandbox_dependency_hint_does_not_hide_our_own_missing_module(monkeypatch: pytest.MonkeyPatch):
    from eks_templates.sandbox import server

    def missing(name: str) -> None:
        raise ModuleNotFoundError(f"No module named {name!r}", name="eks_templates.sandbox.gone")

    monkeypatch.setattr(server.importlib, "import_module", missing)
    with pytest.raises(ModuleNotFoundError):
        server.require_server()
