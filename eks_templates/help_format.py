"""argparse's help formatter without ``import shutil`` on every start.

argparse's ``HelpFormatter.__init__`` imports shutil for ``get_terminal_size``, and
argparse makes a formatter for every ``add_argument``: so every command, ``render``
included, imported shutil and with it bz2, lzma and their compression modules (a few
milliseconds of a ~100 ms render, issue 17 item 5). :class:`HelpFormatter` takes the
width the way ``shutil.get_terminal_size`` does (``COLUMNS``, then the terminal, then
80), so help looks the same.
"""

from __future__ import annotations

import argparse
import os
import sys


def terminal_columns(fallback: int = 80) -> int:
    """``shutil.get_terminal_size((fallback, 24)).columns``, without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else fallback


class HelpFormatter(argparse.HelpFormatter):
    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         terminal_columns() - 2 if width is None else width)


class RawDescriptionHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """:class:`HelpFormatter` that keeps the description's and epilog's line breaks (the
    ``examples:`` that every command's ``--help`` ends with)."""
