"""Ctrl-C that is never lost.

CPython turns SIGINT into a KeyboardInterrupt raised in whatever Python code the main
thread runs next. When that code is a finalizer (a ``__del__``, a weakref callback, a
generator closed by the garbage collector), the exception cannot propagate: CPython
prints ``Exception ignored in: <function Group.__del__ ...> ... KeyboardInterrupt`` and
carries on as if nothing happened. cfn-lint compiles its schemas' patterns with the
``regex`` package, whose parse-tree classes have a ``__del__`` (``regex/_regex_core.py``,
``Group.__del__`` and others) that runs thousands of times a second while linting; a
Ctrl-C during lint landed there in 3 of 12 tries, and ``deploy`` went on to execute.

So the commands run under :func:`sticky`: its SIGINT handler *records* the interrupt
before raising it, and :func:`checkpoint` raises a recorded one again at the points
where going on would change something (after lint, before the change set, before
executing, every watch poll). :func:`held` keeps an interrupt from cutting a few calls
in half (a bucket and its safety settings; the execute call, whose effect is unknown
if its answer is lost); the interrupt is then raised by the next checkpoint.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_pending = False
_holding = 0


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _pending
    _pending = True
    if not _holding:
        raise KeyboardInterrupt


@contextmanager
def sticky() -> Iterator[None]:
    """Record every Ctrl-C while the block runs (main thread, and only where Python's
    own handler is in place: an ignored SIGINT stays ignored)."""
    global _pending
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    _pending = False
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def pending() -> bool:
    """A Ctrl-C was recorded (it may have been swallowed by a finalizer)."""
    return _pending


def checkpoint() -> None:
    """Raise KeyboardInterrupt if a Ctrl-C was recorded and not yet acted on."""
    if _pending and not _holding:
        raise KeyboardInterrupt


@contextmanager
def held() -> Iterator[None]:
    """A Ctrl-C during the block is recorded, not raised; the next :func:`checkpoint`
    raises it."""
    global _holding
    _holding += 1
    try:
        yield
    finally:
        _holding -= 1
