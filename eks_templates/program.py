"""The program's name as the user invoked it, for usage lines and for every next-step
hint a command prints ("run `eks-templates drift myeks` to check"): ``eks-templates`` (the
console script, or whatever a symlink calls it) or ``python -m eks_templates``.

``cli.main`` decides it once, from ``sys.argv[0]`` (``cli.program_name``); anything else
(the library, a test calling ``main(argv)``) gets ``python -m eks_templates``. No imports:
the render path loads this module.
"""

from __future__ import annotations

#: the program when run as ``python -m eks_templates`` (or called as a function: ``main(argv)``)
PYTHON_M = "python -m eks_templates"

_invoked = PYTHON_M


def set_invoked(name: str) -> None:
    """Called once by ``cli.main``, before the command runs."""
    global _invoked
    _invoked = name


def invoked() -> str:
    """The program as invoked (``cli.program_name`` of this run), e.g. ``eks-templates``."""
    return _invoked


def command(*words: str) -> str:
    """A command line of this program: ``command("drift", "myeks")`` ->
    ``eks-templates drift myeks`` (words are taken as they are; quote them first)."""
    return " ".join((_invoked, *words))
