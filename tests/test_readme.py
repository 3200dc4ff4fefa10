"""The README's claims that code can check: the commands and make targets it names
exist (its library example runs in tests/test_examples.py, from outside the repository)."""

from __future__ import annotations

import re

from eks_templates.cli import COMMANDS
from tests.support import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_in_the_table_exists():
    named = set(re.findall(r"^\| `([a-z]+) ", README, flags=re.M))
    assert named == set(COMMANDS)


def test_every_make_target_named_exists():
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, flags=re.M))
    named = set(re.findall(r"`make ([a-z-]+)", README)) | set(re.findall(r"^make ([a-z-]+)", README, flags=re.M))
    assert named <= targets, named - targets
