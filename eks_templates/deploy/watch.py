"""Watching a stack operation: events of the root and every nested stack until the
root settles, shown as a live display on a terminal or as plain lines (CI logs),
and the real reasons when it fails.

- Nested stacks are found from the events themselves (a resource of type
  ``AWS::CloudFormation::Stack`` whose physical ID is a stack ARN), at any depth.
- Only the current operation's events count: those after the root's newest event
  when the watch began (:meth:`Watcher.mark_existing`, before executing), or, when
  resuming, those since the root's last "User Initiated" event (:meth:`Watcher.resume`).
- :func:`failure_reasons` walks the failed nested stacks' own events (by ARN, so a
  rolled-back, deleted child still answers) and puts the specific reasons first,
  instead of "Embedded stack ... was not successfully created".
- Polling goes through :class:`~eks_templates.deploy.ui.Timing`; throttling that
  outlasts botocore's retries slows the loop down instead of ending it.
- The calls per poll are bounded, however many nodegroups: ``DescribeStacks`` and the
  root's events, and the events of at most :data:`CHILDREN_PER_POLL` nested stacks,
  only of those with an operation running (or just ended), the least recently read
  first. A nested stack's status comes from its parent's events, which are read on
  every poll, so no stack's progress is missed; only its own resources' events may
  show a few polls later. Each read pages ``DescribeStackEvents`` (newest first) only
  back to the last event already seen.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
import shutil
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from eks_templates import interrupts
from eks_templates.deploy.paging import pages
from eks_templates.deploy.stack_state import SUCCESS_STATES, in_progress
from eks_templates.deploy.ui import Timing, Ui

STACK_TYPE = "AWS::CloudFormation::Stack"
THROTTLING = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"})
#: the least pause after a throttled poll, whatever ``--poll`` says (``--poll 0``, for the
#: sandbox, would otherwise retry a throttled call at once, again and again)
THROTTLED_PAUSE = 2.0
#: paging back through a stack's history stops here (100 events a page)
MAX_PAGES = 20
#: REVIEW_IN_PROGRESS right after execute_change_set is the operation not started yet
REVIEW_GRACE = 120.0
#: a plain-lines watch prints "still ..." after this long without events
HEARTBEAT = 60.0
#: nested stacks whose own events one poll reads (the root's are read on every poll):
#: 2 + 5 DescribeStack* calls a poll at most, at a 5 s poll well within
#: CloudFormation's API rate (throttling is handled, not expected)
CHILDREN_PER_POLL = 5

GENERIC = [
    re.compile(r"^Embedded stack .* was not successfully (created|updated|deleted)", re.S),
    re.compile(r"^The following resource\(s\) failed to (create|update|delete)", re.S),
    re.compile(r"^Resource (creation|update|deletion) cancell?ed", re.S),
    re.compile(r"^Stack (creation|update|deletion) cancell?ed", re.S),
]


def is_generic(reason: str) -> bool:
    return any(p.search(reason) for p in GENERIC)


def clock_text(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _is_self(ev: dict[str, Any]) -> bool:
    return ev.get("PhysicalResourceId") == ev.get("StackId") and ev.get("ResourceType") == STACK_TYPE


def _child_arn(ev: dict[str, Any]) -> str | None:
    physical = str(ev.get("PhysicalResourceId") or "")
    if ev.get("ResourceType") == STACK_TYPE and physical.startswith("arn:") and not _is_self(ev):
        return physical
    return None


def _throttled(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    return isinstance(response, dict) and response.get("Error", {}).get("Code") in THROTTLING


# --------------------------------------------------------------------------- events


def stack_events(cfn: Any, stack_id: str, *, since: _dt.datetime | None = None,
                 stop_at: set[str] | None = None, boundary: str | None = None) -> list[dict[str, Any]]:
    """A stack's events, oldest first, back to ``since`` / a seen or boundary event
    (at most :data:`MAX_PAGES` pages)."""
    collected: list[dict[str, Any]] = []
    for page in itertools.islice(pages(cfn.describe_stack_events, StackName=stack_id), MAX_PAGES):
        stop = False
        for ev in page.get("StackEvents") or []:
            event_id = str(ev.get("EventId", ""))
            if (stop_at and event_id in stop_at) or (boundary and event_id == boundary):
                stop = True
                break
            if since is not None and ev["Timestamp"] < since:
                stop = True
                break
            collected.append(ev)
        if stop:
            break
    collected.reverse()
    return collected


# --------------------------------------------------------------------------- failure reasons


@dataclass(frozen=True)
class Reason:
    label: str
    logical_id: str
    resource_type: str
    status: str
    reason: str

    def __str__(self) -> str:
        return f"{self.label}: {self.logical_id} ({self.resource_type}) {self.status}: {self.reason}"


def failure_reasons(cfn: Any, stack_id: str, label: str, *, since: _dt.datetime | None,
                    _depth: int = 0) -> list[Reason]:
    """Why the operation failed: the specific reasons from every failed resource in
    the stack and (recursively) its nested stacks; the generic ones only when there
    is nothing more specific."""
    found = _failures(cfn, stack_id, label, since, _depth)
    specific = [r for r in found if not is_generic(r.reason)]
    unique: list[Reason] = []
    for r in specific or found:
        if r not in unique:
            unique.append(r)
    return unique


def _failures(cfn: Any, stack_id: str, label: str, since: _dt.datetime | None, depth: int) -> list[Reason]:
    found: list[Reason] = []
    walked: set[str] = set()
    for ev in stack_events(cfn, stack_id, since=since):
        status = str(ev.get("ResourceStatus", ""))
        failed = status.endswith("_FAILED")
        if not failed and not (_is_self(ev) and "ROLLBACK_IN_PROGRESS" in status):
            continue
        child = _child_arn(ev)
        if child and failed and child not in walked and depth < 5:
            walked.add(child)
            found += _failures(cfn, child, f"{label}/{ev.get('LogicalResourceId')}", since, depth + 1)
        reason = str(ev.get("ResourceStatusReason") or "").strip()
        if reason:
            found.append(Reason(label, str(ev.get("LogicalResourceId", "")), str(ev.get("ResourceType", "")),
                                status, reason))
    return found


# --------------------------------------------------------------------------- the watcher


@dataclass
class Tracked:
    stack_id: str
    label: str
    status: str = ""
    seen: set[str] = field(default_factory=set)
    boundary: str | None = None
    #: poll its events (an operation on it is running, or just finished)
    active: bool = True
    #: the poll that last read its events (0: never): the least recent is read first
    read_at: int = 0


@dataclass(frozen=True)
class WatchResult:
    status: str
    elapsed: float
    timed_out: bool = False
    #: when the operation began (AWS's clock), for :func:`failure_reasons`
    since: _dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.status in SUCCESS_STATES


class Display(Protocol):
    def event(self, label: str, ev: dict[str, Any], elapsed: float) -> None: ...
    def tick(self, watcher: Watcher, elapsed: float) -> None: ...
    def close(self, watcher: Watcher, elapsed: float) -> None: ...


class Watcher:
    """Follows one operation of the stack ``stack_id`` (use the ARN: it still answers
    after a delete) and its nested stacks."""

    def __init__(self, cfn: Any, stack_id: str, label: str, *, ui: Ui, timing: Timing,
                 display: Display | None = None) -> None:
        self.cfn = cfn
        self.root = Tracked(stack_id, label)
        self.tracked: dict[str, Tracked] = {stack_id: self.root}
        self.ui = ui
        self.timing = timing
        self.display = display or (LiveDisplay(ui) if ui.live else PlainDisplay(ui))
        self.since: _dt.datetime | None = None
        #: (stack label, logical ID) -> last status
        self.resources: dict[tuple[str, str], str] = {}
        self._throttle_noted = False
        self._polls = 0

    # -- where the operation starts ----------------------------------------------

    def mark_existing(self) -> None:
        """Call before executing: every event so far belongs to earlier operations."""
        page = self.cfn.describe_stack_events(StackName=self.root.stack_id)
        events = page.get("StackEvents") or []
        if events:
            self.root.boundary = str(events[0]["EventId"])

    def resume(self) -> None:
        """Call when an operation is already running: find where it began and take in
        its events so far (nested stacks included) without printing each one."""
        history = stack_events(self.cfn, self.root.stack_id)
        start = None
        for ev in history:
            if _is_self(ev) and in_progress(str(ev.get("ResourceStatus", ""))) \
                    and ev.get("ResourceStatusReason") == "User Initiated":
                start = ev["Timestamp"]
        if start is None and history:
            start = history[0]["Timestamp"]
        self.since = start
        current = [ev for ev in history if start is None or ev["Timestamp"] >= start]
        for ev in history:
            self.root.seen.add(str(ev["EventId"]))
        for ev in current:
            self._take(self.root, ev, show=False)
        for tracked in list(self.tracked.values()):
            if tracked is not self.root:
                for ev in self._new_events(tracked):
                    self._take(tracked, ev, show=False)
        self.ui.say(f"{self.root.label}: an operation is running since "
                    f"{start:%H:%M:%S} UTC ({len(current)} stack events so far); watching it to the end"
                    if start else f"{self.root.label}: an operation is running; watching it to the end")

    # -- the loop ------------------------------------------------------------------

    def run(self, *, timeout: float | None = None) -> WatchResult:
        timeout = self.timing.stack_timeout if timeout is None else timeout
        started = self.timing.clock()
        status = ""
        try:
            while True:
                interrupts.checkpoint()  # a Ctrl-C held over the execute call, or swallowed by a finalizer
                elapsed = self.timing.clock() - started
                try:
                    status = self._poll(elapsed)
                except Exception as exc:
                    if not _throttled(exc):
                        raise
                    if not self._throttle_noted:
                        self.ui.note("AWS is throttling the event polling; slowing down")
                        self._throttle_noted = True
                    self.timing.sleep(max(self.timing.poll * 2, THROTTLED_PAUSE))
                    continue
                elapsed = self.timing.clock() - started
                settled = not status.endswith("_IN_PROGRESS") or (
                    status == "REVIEW_IN_PROGRESS" and elapsed >= REVIEW_GRACE)
                if settled:
                    return WatchResult(status, elapsed, since=self.since)
                if elapsed >= timeout:
                    return WatchResult(status, elapsed, timed_out=True, since=self.since)
                self.display.tick(self, elapsed)
                self.timing.sleep(self.timing.poll)
        finally:
            self.display.close(self, self.timing.clock() - started)

    def _poll(self, elapsed: float) -> str:
        stacks = self.cfn.describe_stacks(StackName=self.root.stack_id)["Stacks"]
        status = str(stacks[0]["StackStatus"]) if stacks else "DELETE_COMPLETE"
        self.root.status = status
        self._polls += 1
        due = self.due()  # chosen before the root's new events: a stack they start is read next time
        for tracked in [self.root, *due]:
            for ev in self._new_events(tracked):
                self._take(tracked, ev, show=True, elapsed=elapsed)
            tracked.read_at = self._polls
            if tracked is not self.root and not in_progress(tracked.status or "X_IN_PROGRESS"):
                tracked.active = False  # its last events are in; a later event re-activates it
        return status

    def due(self) -> list[Tracked]:
        """The nested stacks whose events the next poll reads: active ones, the least
        recently read first (in the order they were found), at most :data:`CHILDREN_PER_POLL`."""
        active = [t for t in self.tracked.values() if t is not self.root and t.active]
        return sorted(active, key=lambda t: t.read_at)[:CHILDREN_PER_POLL]

    def _new_events(self, tracked: Tracked) -> list[dict[str, Any]]:
        events = stack_events(self.cfn, tracked.stack_id, since=self.since, stop_at=tracked.seen,
                              boundary=tracked.boundary)
        tracked.seen.update(str(ev["EventId"]) for ev in events)
        return events

    def _take(self, tracked: Tracked, ev: dict[str, Any], *, show: bool, elapsed: float = 0.0) -> None:
        status = str(ev.get("ResourceStatus", ""))
        logical_id = str(ev.get("LogicalResourceId", ""))
        if _is_self(ev):
            if tracked is self.root and in_progress(status) and ev.get("ResourceStatusReason") == "User Initiated":
                self.since = ev["Timestamp"]
            if tracked is not self.root:
                tracked.status = status
                return  # the parent's event about this stack already says it
        else:
            self.resources[(tracked.label, logical_id)] = status
        if self.since is None:
            self.since = ev["Timestamp"]
        child_arn = _child_arn(ev)
        if child_arn:
            child = self.tracked.get(child_arn)
            if child is None:
                child = self.tracked[child_arn] = Tracked(child_arn, f"{tracked.label}/{logical_id}")
            child.status = status
            child.active = True
        if show:
            self.display.event(tracked.label, ev, elapsed)

    # -- for displays --------------------------------------------------------------

    def stacks(self) -> Iterator[Tracked]:
        yield from self.tracked.values()

    def busy(self, label: str) -> list[str]:
        """Resources of the stack ``label`` with an operation running (not nested stacks)."""
        stacks = {t.label for t in self.tracked.values()}
        return [lid for (stack, lid), status in self.resources.items()
                if stack == label and in_progress(status) and f"{label}/{lid}" not in stacks]


# --------------------------------------------------------------------------- displays


def event_line(label: str, ev: dict[str, Any], elapsed: float) -> str:
    reason = str(ev.get("ResourceStatusReason") or "")
    reason = f"  {reason}" if reason and reason != "User Initiated" else ""
    return (f"[{clock_text(elapsed)}] {label}  {ev.get('LogicalResourceId', '')}  "
            f"{ev.get('ResourceType', '')}  {ev.get('ResourceStatus', '')}{reason}")


class PlainDisplay:
    """One line per event (CI logs), and a "still ..." line when nothing happened for a minute."""

    def __init__(self, ui: Ui) -> None:
        self.ui = ui
        self.last = 0.0

    def event(self, label: str, ev: dict[str, Any], elapsed: float) -> None:
        self.ui.say(event_line(label, ev, elapsed))
        self.last = elapsed

    def tick(self, watcher: Watcher, elapsed: float) -> None:
        if elapsed - self.last < HEARTBEAT:
            return
        busy = [f"{t.label}/{lid}" if t is not watcher.root else lid
                for t in watcher.stacks() for lid in watcher.busy(t.label)]
        what = f"; in progress: {', '.join(busy[:5])}" if busy else ""
        self.ui.say(f"[{clock_text(elapsed)}] {watcher.root.label} still {watcher.root.status}{what}")
        self.last = elapsed

    def close(self, watcher: Watcher, elapsed: float) -> None:
        self.ui.say(f"[{clock_text(elapsed)}] {watcher.root.label} {watcher.root.status}")


class LiveDisplay:
    """A block redrawn in place with plain ANSI escapes: one line per stack with its
    status and running resources, and the latest events. Failures are printed above
    the block, so they stay on screen."""

    RECENT = 6

    def __init__(self, ui: Ui) -> None:
        self.ui = ui
        self.drawn = 0
        self.recent: deque[str] = deque(maxlen=self.RECENT)
        encoding = getattr(ui.out, "encoding", None) or "utf-8"
        try:
            "✓✗…".encode(encoding)
            self.marks = ("✓", "✗", "…")
        except (UnicodeEncodeError, LookupError):
            self.marks = ("+", "x", ".")

    def _width(self) -> int:
        return max(shutil.get_terminal_size((100, 24)).columns - 1, 40)

    def _erase(self) -> None:
        if self.drawn:
            self.ui.out.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def _draw(self, watcher: Watcher, elapsed: float) -> None:
        width = self._width()
        lines = [f"{watcher.root.label}  {watcher.root.status or '...'}  {clock_text(elapsed)}"]
        for tracked in watcher.stacks():
            status = tracked.status or "..."
            done, failed, running = self.marks
            mark = done if status.endswith("_COMPLETE") and "ROLLBACK" not in status else (
                failed if "FAILED" in status or "ROLLBACK" in status else running)
            busy = watcher.busy(tracked.label)
            more = f"  ({', '.join(busy[:3])}{', ...' if len(busy) > 3 else ''})" if busy else ""
            lines.append(f"  {mark} {tracked.label:<40} {status}{more}")
        if self.recent:
            lines.append("  latest:")
            lines += [f"    {line}" for line in self.recent]
        self._erase()
        self.ui.out.write("".join(line[:width] + "\n" for line in lines))
        self.ui.out.flush()
        self.drawn = len(lines)

    def event(self, label: str, ev: dict[str, Any], elapsed: float) -> None:
        line = event_line(label, ev, elapsed)
        if str(ev.get("ResourceStatus", "")).endswith("_FAILED"):
            self._erase()
            self.ui.out.write(line + "\n")
        self.recent.append(line)

    def tick(self, watcher: Watcher, elapsed: float) -> None:
        self._draw(watcher, elapsed)

    def close(self, watcher: Watcher, elapsed: float) -> None:
        self._draw(watcher, elapsed)
