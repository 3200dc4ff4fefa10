"""Hold one CloudFormation API call of the in-process sandbox server until the test
lets it go: a known point in a subprocess's run, without timing luck (a second deploy
while the first waits at ExecuteChangeSet; a Ctrl-C while DescribeChangeSet is pending).

Test-only: it wraps moto's ``CloudFormationResponse.call_action`` of the server
running in the test process (tests/conftest.py's ``sandbox_endpoint``); production code
has no hook.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Gate:
    """The ``nth`` call of ``action`` (counted from the first answered ``following``
    call, if given) waits at the gate, before moto handles it or ``after``, until
    :attr:`release` is set; :attr:`arrived` is set when it gets there."""

    action: str
    nth: int = 1
    after: bool = False
    #: count only the calls made once a call of this action has been answered
    following: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    #: calls of ``action`` counted so far
    seen: int = 0

    def wait_arrived(self, timeout: float = 180) -> None:
        if not self.arrived.wait(timeout):
            raise AssertionError(f"no {self.action} call #{self.nth} within {timeout} s")


@contextmanager
def gated(*gates: Gate, hold: float = 180) -> Iterator[None]:
    from moto.cloudformation.responses import CloudFormationResponse

    lock = threading.Lock()
    answered: set[str] = set()
    had_own = "call_action" in vars(CloudFormationResponse)
    original = CloudFormationResponse.call_action

    def hold_at(gate: Gate) -> None:
        gate.arrived.set()
        gate.release.wait(hold)

    def call_action(self: Any) -> Any:
        action = self._get_action()
        mine = []
        with lock:
            for gate in gates:
                if gate.action == action and (gate.following is None or gate.following in answered):
                    gate.seen += 1
                    if gate.seen == gate.nth:
                        mine.append(gate)
        for gate in mine:
            if not gate.after:
                hold_at(gate)
        result = original(self)
        with lock:
            answered.add(action)
        for gate in mine:
            if gate.after:
                hold_at(gate)
        return result

    CloudFormationResponse.call_action = call_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        for gate in gates:
            gate.release.set()
        if had_own:
            CloudFormationResponse.call_action = original  # type: ignore[method-assign]
        else:
            del CloudFormationResponse.call_action
