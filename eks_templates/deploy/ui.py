"""What a deploy talks to besides AWS: the terminal and the clock.

Both are injected, so tests run without a terminal and without waiting: a
:class:`Ui` over ``io.StringIO`` with ``interactive`` set as needed, and a
:class:`Timing` whose ``sleep`` only advances a fake clock.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from eks_templates.errors import UserError


@dataclass
class Timing:
    """Polling and its bounds (seconds)."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    #: between two polls of a change set or of stack events
    poll: float = 5.0
    #: a change set that is still being computed after this long is given up
    change_set_timeout: float = 15 * 60
    #: a stack operation watched for longer than this is left running (exit 1/2)
    stack_timeout: float = 3 * 60 * 60


@dataclass
class Ui:
    """Where messages go and whether a person is there to answer."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    #: a person can answer questions (stdin is a terminal)
    interactive: bool = False
    #: stdout is a terminal: progress is redrawn in place instead of printed line by line
    live: bool = False
    ask: Callable[[str], str] = input

    @classmethod
    def from_terminal(cls) -> Ui:
        return cls(
            out=sys.stdout,
            err=sys.stderr,
            interactive=_isatty(sys.stdin),
            live=_isatty(sys.stdout) and os.environ.get("TERM", "") != "dumb",
        )

    def say(self, message: str = "") -> None:
        print(message, file=self.out, flush=True)

    def note(self, message: str) -> None:
        print(message, file=self.err, flush=True)

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=self.err, flush=True)

    def confirm(self, question: str, *, yes: bool, refuse_hint: str) -> None:
        """Go on if ``yes`` or the person answers y; raise UserError (exit 2) otherwise."""
        if yes:
            return
        if not self.interactive:
            raise UserError(f"not a terminal, so nobody can confirm; {refuse_hint}")
        try:
            answer = self.ask(f"{question} [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            raise UserError("declined; nothing was changed")

    def confirm_typed(self, expected: str, *, yes: bool, what: str, refuse_hint: str) -> None:
        """Go on if ``yes`` or the person types ``expected`` exactly."""
        if yes:
            return
        if not self.interactive:
            raise UserError(f"not a terminal, so nobody can confirm; {refuse_hint}")
        try:
            answer = self.ask(f"{what}\nType the stack name ({expected}) to confirm: ")
        except EOFError:
            answer = ""
        if answer.strip() != expected:
            raise UserError("the name did not match; nothing was deleted")


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
