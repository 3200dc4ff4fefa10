"""Property-based fuzzing of the loader, the validation rules and the render CLI
(issue 11 item 10).

For any bytes, and any structured or textual mutation of the stack files in
``stacks/`` and ``tests/invalid/``, ``render FILE --out-dir DIR`` (the CLI's
``main()``, in process with captured streams; a few examples through a real
``python -m eks_templates`` under a memory limit) must:

- exit 0 or 2, never raise, never print a traceback;
- on exit 2: print nothing on stdout, write nothing, and print one line per problem in
  the documented format (``<file>: <yaml.path>: <message>``, ``<file>: <message>``,
  ``error: ...`` for a problem that is not the file's, ``warning: ...``), at most
  MAX_PROBLEMS of them plus the "more not shown" line;
- on exit 0: print the root template (JSON) and write the set;
- finish within a per-example deadline and a bounded peak of Python memory.

Profiles (``EKS_TEMPLATES_FUZZ``): ``ci`` (the default, part of ``make test``: a fixed,
derandomized 150 examples per property, ~25 s on the shared 2-core machine, ~9 s of
CPU) and ``fuzz`` (``make fuzz``: 3,000 random examples per property, ~7 min, failures
kept in ``.hypothesis/`` and shrunk).
Whatever a run finds goes into ``tests/invalid/`` as a named case, and gets fixed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")  # the dev extra installs it
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from eks_templates.cli import main  # noqa: E402
from eks_templates.config import ClusterConfig, parse_config  # noqa: E402
from eks_templates.config.loader import MAX_PROBLEMS  # noqa: E402
from eks_templates.config.schema import Model  # noqa: E402
from eks_templates.errors import StackFileError  # noqa: E402
from tests.support import REPO  # noqa: E402

settings.register_profile(
    "ci", max_examples=150, derandomize=True, database=None, print_blob=True,
    deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz", max_examples=3000, derandomize=False, print_blob=True,
    deadline=timedelta(seconds=10), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("EKS_TEMPLATES_FUZZ", "ci"))

#: peak Python allocations one example may make (a render of platform needs ~15 MB)
MAX_PEAK_BYTES = 200 * 1024 * 1024
#: address-space limit of a subprocess example
SUBPROCESS_MEMORY = 1024 * 1024 * 1024

SEED_FILES = sorted((REPO / "stacks").glob("*.yaml")) + sorted((REPO / "tests" / "invalid").glob("*.yaml"))
SEED_TEXTS = [p.read_text("utf-8") for p in SEED_FILES if p.stat().st_size < 20_000]


def _parsed_seeds() -> list[Any]:
    seeds = []
    for text in SEED_TEXTS:
        try:
            data = yaml.safe_load(text)
            yaml.safe_dump(data)
        except Exception:  # unreadable on purpose (tests/invalid), too deep for PyYAML, a number
            continue  # too long to write back: those take part in the text mutations only
        if isinstance(data, dict):
            seeds.append(data)
    return seeds


SEED_DATA = _parsed_seeds()


def _field_names(model: type[Model], seen: set[type[Model]]) -> set[str]:
    import typing

    names: set[str] = set()
    if model in seen:
        return names
    seen.add(model)
    for spec in model.fields():
        names.add(spec.alias)
        stack = [spec.annotation]
        while stack:
            current = stack.pop()
            if isinstance(current, type) and issubclass(current, Model):
                names |= _field_names(current, seen)
            stack.extend(typing.get_args(current))
    return names


FIELD_NAMES = sorted(_field_names(ClusterConfig, set()))

#: values the rules care about, and the shapes that crashed the loader before
INTERESTING = [
    "", " ", "--5", "²", "١٢", "1e300", "0x10", "0o17", "1_000", "+3", "-1", "0", "007", "1.5", "inf", ".nan",
    "~", "null", "yes", "no", "on", "2026-02-30", "2026-11-27", "12:30:00", "1.28", "1.35", "1.30",
    "0.0.0.0/0", "::/0", "10.0.0.0/8", "10.0.0.0/16", "192.168.0.0/33", "203.0.113.0/24", "172.20.0.0/16",
    "ap-northeast-2", "ap-northeast-2a", "us-east-1", "cn-north-1", "us-gov-west-1", "eu-isoe-west-1",
    "t3.medium", "m7g.large", "m5.large", "x1e.32xlarge", "p5.48xlarge", "AmazonLinux2", "Bottlerocket",
    "Ubuntu2204", "NoSchedule", "Single", "HighlyAvailable", "Disable", "API", "CONFIG_MAP",
    "arn:aws:iam::123456789012:role/x", "arn:aws:kms:ap-northeast-2:123456789012:key/abc", "vpc-cni", "coredns",
    "kube-system", "aws:tag", "kubernetes.io/role", "a" * 300, "\x00", "\x07", "\u2028", "\ufeff", "é", "🙂",
    "${AWS::Region}", '{"Ref": "AWS::AccountId"}', "!Ref x", "*", "&", "<<", "?", "#", "'", '"', "\\",
    "1" * 5000,
]

scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-3, max_value=300), st.integers(min_value=-(2**80), max_value=2**80),
    st.integers(min_value=-(2**14000), max_value=2**14000),  # 4,215 digits: what safe_dump can write
    st.floats(), st.text(max_size=20), st.sampled_from(INTERESTING),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8) | st.integers(-2, 9), children, max_size=4),
    max_leaves=12,
)

#: text spliced into a stack file: YAML's syntax characters and shapes that crashed it
SPLICES = [
    ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "?", "? [a, b]\n: 1\n", "&a ", "*a", "*b", "<<: *a\n",
    "<<: 5\n", "!!python/object:os.system\n", "!!binary x", "!!str ", "!!int ", "!!float ", "!!timestamp x",
    "\t", "\n", "\n  ", "  ", "#", "'", '"', "|", ">", "%YAML 1.1\n", "---\n", "...\n", "\x00", "\x01", "\x85",
    "\ufeff", "\r", "\r\n", "[" * 200, "{a: " * 50, "1" * 5000, "0x" + "f" * 4000, "2026-02-30", "--5", "²",
    "~", "null", "1e999", ".inf", "-.nan", "\\", "\\x", "\"\\u12\"",
]


def run_main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def check_result(file: Path, out_dir: Path, code: int, stdout: str, stderr: str) -> None:
    """The documented contract of `render FILE --out-dir DIR` for any file."""
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert code in (0, 2), stderr
    lines = stderr.splitlines()
    assert all(line.strip() for line in lines), stderr
    errors = [line for line in lines if not line.startswith("warning: ")]
    for line in lines:
        if line.startswith("warning: "):
            assert line.startswith(f"warning: {file}: "), line
    if code == 2:
        assert stdout == "", stdout[:500]
        assert not out_dir.exists(), "an error wrote files"
        assert errors, stderr
        assert len(errors) <= MAX_PROBLEMS + 1, len(errors)
        for line in errors:
            # the file's problems name the file; another problem (a quota of the rendered
            # template, say) is an `error:` line
            assert line.startswith((f"{file}: ", "error: ")), line
            assert "\n" not in line
        if errors[-1].endswith(" more problem(s) not shown"):
            assert re.fullmatch(rf"{re.escape(str(file))}: [0-9,]+ more problem\(s\) not shown", errors[-1])
    else:
        root = json.loads(stdout)
        assert "Resources" in root
        assert (out_dir / "root.json").read_text("utf-8") == stdout
        written = [p for p in out_dir.glob("*.json") if not p.name.startswith(".")]
        assert errors == [f"wrote {len(written)} template(s) to {out_dir}/"], stderr


def render_bytes(content: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="eks-fuzz-") as tmp:
        file, out_dir = Path(tmp) / "fuzz.yaml", Path(tmp) / "out"
        file.write_bytes(content)
        tracemalloc.start()
        try:
            start = time.monotonic()
            code, stdout, stderr = run_main("render", str(file), "--out-dir", str(out_dir))
            elapsed = time.monotonic() - start
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        check_result(file, out_dir, code, stdout, stderr)
        assert peak < MAX_PEAK_BYTES, f"peak {peak:,} bytes"
        assert elapsed < 10, f"{elapsed:.1f} s"


@st.composite
def mutated_data(draw: st.DrawFn) -> Any:
    """A seed stack file as data with 1-4 structural mutations at random paths."""
    import copy

    data = copy.deepcopy(draw(st.sampled_from(SEED_DATA)))
    for _ in range(draw(st.integers(1, 4))):
        parent: Any = None
        key: Any = None
        node: Any = data
        while isinstance(node, dict | list) and node and draw(st.integers(0, 3)) > 0:
            parent = node
            key = draw(st.sampled_from(sorted(node, key=repr)) if isinstance(node, dict)
                       else st.integers(0, len(node) - 1))
            node = node[key]
        op = draw(st.sampled_from(["replace", "delete", "add", "duplicate", "wrap"]))
        if op == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(FIELD_NAMES) | st.text(max_size=8))] = draw(values)
        elif op == "add" and isinstance(node, list):
            node.insert(draw(st.integers(0, len(node))), draw(values))
        elif parent is None:
            continue
        elif op == "delete":
            del parent[key]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(node))
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[node], {"x": node}, str(node)[:50]]))
        else:
            parent[key] = draw(values)
    return data


@st.composite
def mutated_text(draw: st.DrawFn) -> bytes:
    """A seed stack file's text with 1-5 splices: YAML syntax, odd characters, raw bytes."""
    text = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "line"]))
        piece = draw(st.sampled_from(SPLICES) | st.text(max_size=6))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif op == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(draw(st.integers(0, len(lines))), lines[i])
                text = "".join(lines)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # now and then a byte that is not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data


def _dump(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=200).encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------- the properties


@given(st.binary(max_size=3000))
def test_any_bytes(content: bytes) -> None:
    render_bytes(content)


@given(mutated_data())
def test_structured_mutations_of_the_stack_files(data: Any) -> None:
    render_bytes(_dump(data))


@given(mutated_text())
def test_textual_mutations_of_the_stack_files(content: bytes) -> None:
    render_bytes(content)


@given(st.text(max_size=2000))
def test_parse_config_raises_only_stack_file_errors(text: str) -> None:
    """The library entry point: a checked config or StackFileError, nothing else."""
    try:
        config = parse_config(text, "t.yaml", on_warning=None)
    except StackFileError as exc:
        assert exc.messages and all(m.startswith("t.yaml: ") for m in exc.messages)
    else:
        assert isinstance(config, ClusterConfig)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_MEMORY, SUBPROCESS_MEMORY))


@settings(max_examples=4, deadline=None)
@given(st.one_of(mutated_data().map(_dump), mutated_text()))
def test_through_a_real_process_under_a_memory_limit(content: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="eks-fuzz-") as tmp:
        file, out_dir = Path(tmp) / "fuzz.yaml", Path(tmp) / "out"
        file.write_bytes(content)
        env = dict(os.environ, PYTHONPATH=str(REPO))
        done = subprocess.run([sys.executable, "-m", "eks_templates", "render", str(file), "--out-dir", str(out_dir)],
                              cwd=REPO, env=env, capture_output=True, timeout=60, preexec_fn=_limit_memory)
        check_result(file, out_dir, done.returncode, done.stdout.decode(), done.stderr.decode())


def test_the_memory_limit_leaves_room_for_a_normal_render(tmp_path: Path) -> None:
    """The subprocess limit is not what fails an example: a real render fits in it."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "eks_templates", "render", "platform", "--out-dir",
                           str(tmp_path / "out")], cwd=REPO, env=env, capture_output=True, timeout=60,
                          preexec_fn=_limit_memory)
    assert done.returncode == 0, done.stderr.decode()
