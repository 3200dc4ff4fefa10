"""Exceptions that the command line turns into exit codes.

Every error a user can cause is an :class:`EksTemplatesError`; the CLI prints its
message (one line per problem, no traceback) and exits with ``exit_code``.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """``text`` with every non-printable character (a line break, a tab, a control
    character from the stack file) written as its escape: one problem, one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class EksTemplatesError(Exception):
    """Base class: a problem to report to the user, not a bug."""

    exit_code = 2

    def __init__(self, message: str, *, messages: list[str] | None = None) -> None:
        super().__init__(message)
        self.messages: list[str] = [one_line(m) for m in (messages if messages is not None else [message])]

    def lines(self) -> list[str]:
        """What the CLI prints on stderr, one problem per line."""
        return [f"error: {m}" for m in self.messages]


class UserError(EksTemplatesError):
    """Bad input, a declined confirmation or a refused operation (exit 2)."""

    exit_code = 2


class StdoutError(UserError):
    """Writing the command's output to stdout failed (a full disk, ``> /dev/full``)."""

    @classmethod
    def about(cls, exc: OSError) -> StdoutError:
        return cls(f"cannot write to stdout: {(exc.strerror or str(exc)).lower()}")


class StackFileError(UserError):
    """One or more problems in a stack file; ``messages`` holds one line each.

    Each line reads ``<file>: <yaml.path>: <what is wrong>[; <what is allowed>]``.
    """

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages), messages=list(messages))

    def lines(self) -> list[str]:
        return list(self.messages)  # each already starts with the file it is about


class DeployFailed(EksTemplatesError):
    """The deploy ran and failed in AWS (exit 1)."""

    exit_code = 1
