"""The sandbox's time-scaled mode: a create takes (simulated) time, as in CloudFormation.

moto creates a whole nested set synchronously inside ``ExecuteChangeSet``: the call
answers with every stack ``CREATE_COMPLETE``. With :func:`enable` (``sandbox --delays
FILE``), a successful CREATE change set is re-timed after moto is done:

- Every resource the create made (its ``CREATE_IN_PROGRESS``/``CREATE_COMPLETE`` events,
  :func:`.rollback.resource_event`; a resource whose ``Condition`` is false has none and
  does not count) is scheduled as CloudFormation schedules it: it starts when every
  resource of the same template it waits for (``DependsOn``, ``Ref``, ``Fn::GetAtt``,
  ``Fn::Sub``: :func:`.patches._references`) is complete, and takes the seconds of its
  type (:class:`Delays`); a nested stack's resource takes its child's whole create. A
  stack takes :attr:`Delays.stack_overhead` plus its resources' schedule (half the
  overhead before its first resource starts, half after its last one completes). This
  is the model of ``bench/critical_path.py``, run on what moto created.
- Every event the execute appended gets the timestamp ``t0 + simulated seconds /
  factor``, ``t0`` being when moto finished (moto's own work is not scaled); each
  stack's events stay ordered by timestamp.
- Reads follow the clock: until a stack's simulated ``CREATE_COMPLETE``,
  DescribeStacks/ListStacks say ``CREATE_IN_PROGRESS`` with no Outputs (a data
  descriptor over moto's ``Stack.status`` and ``Stack.outputs``), DescribeStackEvents
  lists the events whose time has come, DescribeStackResource(s)/ListStackResources
  show a resource not complete yet as ``CREATE_IN_PROGRESS`` and omit one not started.
- While a stack is in progress on the clock, UpdateStack and an UPDATE CreateChangeSet
  are refused as CloudFormation refuses them; ExecuteChangeSet already is
  (:mod:`.change_sets` reads the status). DeleteStack is accepted, as CloudFormation
  accepts it during a create: the create is cut short where the clock is (the events
  still to come are dropped, resources in progress get ``CREATE_FAILED`` "Resource
  creation cancelled"), then the stack is deleted (instantly).

Failed creates (rolled back) and updates stay instant: only a CREATE that ends
``CREATE_COMPLETE`` is re-timed. The EKS and EC2 APIs are not slowed down either
(``DescribeCluster`` says ``ACTIVE`` as soon as moto made it).

:func:`load_delays` reads the table (JSON or YAML) without importing moto, so the
command line checks the file before it starts the server. :func:`disable` restores
instant behaviour (the patches are class-level: tests enable and disable around
themselves).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eks_templates.errors import UserError
from eks_templates.schedule import earliest

STACK_TYPE = "AWS::CloudFormation::Stack"
#: the keys of a delays file (camelCase, as the rest of the stack file world)
KEYS = ("factor", "stackOverhead", "default", "seconds")
#: CloudFormation's resource type names: ``Service::Product::Type`` (``AWS::EKS::Cluster``)
_TYPE_NAME = re.compile(r"^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$")
_CLOCK = "_eks_templates_sandbox_clock"
_SIMULATED = "_eks_templates_sandbox_simulated"
_CUT = "_eks_templates_sandbox_cut_short"


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Delays:
    """Creation seconds per resource type, all divided by ``factor``."""

    factor: float = 1.0
    #: seconds CloudFormation adds per stack
    stack_overhead: float = 0.0
    #: seconds of a type not in ``seconds``
    default: float = 0.0
    seconds: Mapping[str, float] = field(default_factory=dict)

    def duration(self, resource_type: str) -> float:
        """Simulated (unscaled) seconds of one resource of ``resource_type``."""
        return float(self.seconds.get(resource_type, self.default))

    def with_factor(self, factor: float | None) -> Delays:
        if factor is None:
            return self
        return Delays(factor=factor, stack_overhead=self.stack_overhead, default=self.default,
                      seconds=dict(self.seconds))

    def to_json(self) -> dict[str, Any]:
        """The file form :func:`load_delays` reads."""
        return {"factor": self.factor, "stackOverhead": self.stack_overhead, "default": self.default,
                "seconds": dict(sorted(self.seconds.items()))}


def _seconds(value: Any, where: str, *, positive: bool = False) -> float:
    # bool is an int in Python; ``true`` is not a number of seconds
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserError(f"{where}: not a number of seconds")
    if positive and value <= 0:
        raise UserError(f"{where}: must be greater than 0")
    if value < 0:
        raise UserError(f"{where}: must not be negative")
    return float(value)


def parse_delays(data: Any, source: str) -> Delays:
    """A delays table from parsed JSON/YAML; a problem is a one-line :class:`UserError`
    naming ``source`` and the key path."""
    if not isinstance(data, dict):
        raise UserError(f"{source}: expected a mapping with the keys {', '.join(KEYS)}")
    for key in data:
        if key not in KEYS:
            raise UserError(f"{source}: {key}: unknown key (allowed: {', '.join(KEYS)})")
    factor = _seconds(data.get("factor", 1), f"{source}: factor", positive=True) if "factor" in data else 1.0
    overhead = _seconds(data["stackOverhead"], f"{source}: stackOverhead") if "stackOverhead" in data else 0.0
    default = _seconds(data["default"], f"{source}: default") if "default" in data else 0.0
    table = data.get("seconds", {})
    if not isinstance(table, dict):
        raise UserError(f"{source}: seconds: expected a mapping of resource type to seconds")
    seconds: dict[str, float] = {}
    for resource_type, value in table.items():
        name = str(resource_type)
        if not _TYPE_NAME.match(name):
            raise UserError(f"{source}: seconds.{name}: not a resource type (Service::Product::Type, "
                            f"e.g. AWS::EKS::Cluster)")
        seconds[name] = _seconds(value, f"{source}: seconds.{name}")
    return Delays(factor=factor, stack_overhead=overhead, default=default, seconds=seconds)


def load_delays(path: str | Path) -> Delays:
    """Read a delays file: ``{"factor": 20, "stackOverhead": 15, "default": 10,
    "seconds": {"AWS::EKS::Cluster": 750, ...}}`` (JSON, or YAML of the same shape)."""
    import errno

    from eks_templates.config import files  # a regular file only, bounded, one-line reasons

    source = str(path)
    try:
        text = files.read_text(Path(path), limit=files.MAX_STACK_FILE_BYTES)
    except files.UnreadableFile as exc:
        if exc.errno == errno.ENOENT:
            raise UserError(f"{source}: no such delays file") from None
        raise UserError(f"{source}: cannot read the delays file: {exc}") from None
    if Path(path).suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{source}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise UserError(f"{source}: {where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    return parse_delays(data, source)


# --------------------------------------------------------------------------- the schedule


@dataclass
class Clock:
    """When a re-timed stack and its resources start and finish (moto's naive UTC)."""

    complete_at: _dt.datetime
    #: logical id -> (start, finish)
    resources: dict[str, tuple[_dt.datetime, _dt.datetime]]

    def running(self, now: _dt.datetime) -> bool:
        return now < self.complete_at


def _now() -> _dt.datetime:
    from moto.core.utils import utcnow

    return utcnow()


def _is_self(stack: Any, event: Any) -> bool:
    return bool(event.resource_type == STACK_TYPE and event.physical_resource_id == stack.stack_id)


@dataclass
class _Planned:
    stack: Any
    #: the events the execute appended to it
    events: list[Any]
    #: seconds the stack's create takes (overhead included)
    took: float = 0.0
    #: logical id -> (start, finish) seconds from the stack's start
    times: dict[str, tuple[float, float]] = field(default_factory=dict)
    children: dict[str, _Planned] = field(default_factory=dict)


def _plan(backend: Any, stack: Any, new_events: list[Any], delays: Delays, stacks_seen: set[str]) -> _Planned:
    """The schedule of one stack (and, recursively, of the stacks it created)."""
    from eks_templates.sandbox.patches import _references

    planned = _Planned(stack, new_events)
    stacks_seen.add(stack.stack_id)
    resources = (stack.template_dict or {}).get("Resources") or {}
    created: dict[str, str] = {}  # logical id -> type, in the order they started
    for event in new_events:
        if not _is_self(stack, event) and event.resource_status == "CREATE_IN_PROGRESS":
            created.setdefault(event.logical_resource_id, event.resource_type)
        child_arn = str(event.physical_resource_id or "")
        if (event.resource_type == STACK_TYPE and not _is_self(stack, event) and child_arn in backend.stacks
                and child_arn not in stacks_seen and event.resource_status == "CREATE_COMPLETE"):
            child = backend.stacks[child_arn]
            planned.children[event.logical_resource_id] = _plan(backend, child, list(child.events), delays,
                                                                stacks_seen)
    deps = {lid: (_references(resources.get(lid) or {}) & set(created)) - {lid} for lid in created}

    def duration(lid: str) -> float:
        if lid in planned.children:
            return planned.children[lid].took
        return delays.duration(created[lid])

    # moto created them, so a cycle is not one CloudFormation ran: do not loop on it
    planned.times = {lid: (start, finish) for lid, (start, finish, _) in
                     earliest(deps, duration, break_cycles=True).items()}
    planned.took = delays.stack_overhead + max((finish for _, finish in planned.times.values()), default=0.0)
    return planned


def _retime(planned: _Planned, start: float, t0: _dt.datetime, delays: Delays) -> None:
    """Timestamps for ``planned``'s new events, the stack starting ``start`` simulated
    seconds after ``t0``; attaches its :class:`Clock`."""

    def at(seconds: float) -> _dt.datetime:
        return t0 + _dt.timedelta(seconds=seconds / delays.factor)

    stack = planned.stack
    first = start + delays.stack_overhead / 2  # CloudFormation accepting the create, starting the first resource
    end = start + planned.took
    last = start
    for event in planned.events:
        lid = event.logical_resource_id
        if _is_self(stack, event):
            seconds = end if event.resource_status == "CREATE_COMPLETE" else start
        elif lid in planned.times:
            begin, finish = planned.times[lid]
            seconds = first + (begin if event.resource_status == "CREATE_IN_PROGRESS" else finish)
        else:  # an event of no created resource: where the previous one was
            seconds = last
        event.timestamp = at(seconds)
        last = seconds
    stack.events.sort(key=lambda ev: ev.timestamp)  # stable: same-time events keep their order
    vars(stack)[_CLOCK] = Clock(
        complete_at=at(end),
        resources={lid: (at(first + b), at(first + f)) for lid, (b, f) in planned.times.items()},
    )
    for lid, child in planned.children.items():
        _retime(child, first + planned.times[lid][0], t0, delays)


def clock_of(stack: Any) -> Clock | None:
    """The stack's clock while its simulated create is running, else None."""
    clock: Clock | None = vars(stack).get(_CLOCK)
    if clock is None or vars(stack).get("status") != "CREATE_COMPLETE" or not clock.running(_now()):
        return None
    return clock


def simulated_seconds(stack: Any) -> float | None:
    """Simulated (unscaled) seconds of the re-timed create of the root ``stack``, or None."""
    seconds: float | None = vars(stack).get(_SIMULATED)
    return seconds


# --------------------------------------------------------------------------- the patches


_lock = threading.Lock()
_delays: Delays | None = None
#: (owner, attribute, original) of every patch, to undo in :func:`disable`
_saved: list[tuple[Any, str, Any]] = []


def enabled() -> Delays | None:
    """The delays in force, or None (instant creates)."""
    return _delays


def _patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
    original = owner.__dict__[name]
    _saved.append((owner, name, original))
    setattr(owner, name, make(original))


def _execute_change_set(original: Callable[..., None]) -> Callable[..., None]:
    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        from eks_templates.sandbox.change_sets import _find

        change_set = _find(self, change_set_name, stack_name)
        root = self.stacks.get(change_set.stack_id) if change_set is not None else None
        before = len(root.events) if root is not None else 0
        original(self, change_set_name, stack_name)
        delays = _delays
        if (delays is None or change_set is None or root is None or change_set.change_set_type != "CREATE"
                or vars(root).get("status") != "CREATE_COMPLETE"):
            return  # failed creates (rolled back) and updates stay instant
        t0 = _now()  # moto is done: its own processing time is not scaled
        planned = _plan(self, root, root.events[before:], delays, set())
        _settle_outputs(planned)
        _retime(planned, 0.0, t0, delays)
        vars(root)[_SIMULATED] = planned.took

    return execute_change_set


def _settle_outputs(planned: _Planned) -> None:
    """Resolve every planned stack's outputs now, while moto still has their resources.

    moto resolves an output on its first read, against the stack's resources, and keeps
    it. Without this mode something reads them during the create (the parent's
    ``Fn::GetAtt`` of ``Outputs.X``, a DescribeStacks); with it, reads during the clock
    see none, so the first read could come after a delete has removed the resources
    (moto: ``KeyError`` on the ``Ref``, a 500). CloudFormation fixes a stack's outputs at
    CREATE_COMPLETE, and DescribeStacks answers for a deleted stack given its ARN (API
    reference, DescribeStacks ``StackName``): resolved here, the deleted stack answers as
    it does without the mode."""
    from moto.cloudformation.models import Stack

    moto_outputs = next(original for owner, name, original in _saved if owner is Stack and name == "outputs")
    moto_outputs.fget(planned.stack)
    for child in planned.children.values():
        _settle_outputs(child)


def _status() -> property:
    def get(self: Any) -> Any:
        real = vars(self).get("status")
        if real == "CREATE_COMPLETE" and clock_of(self) is not None:
            return "CREATE_IN_PROGRESS"
        return real

    def set_(self: Any, value: Any) -> None:
        vars(self)["status"] = value

    return property(get, set_, doc="moto's status, CREATE_IN_PROGRESS until the simulated create completes")


def _outputs(original: property) -> property:
    def get(self: Any) -> Any:
        if clock_of(self) is not None or vars(self).get(_CUT):
            return None  # CloudFormation has no outputs before CREATE_COMPLETE (nor after a create cut short)
        return original.fget(self) if original.fget else None

    return property(get, doc=original.__doc__)


def _describe_stack_events(original: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    def describe_stack_events(self: Any, stack_name: str) -> list[Any]:
        now = _now()
        return [event for event in original(self, stack_name) if event.timestamp <= now]

    return describe_stack_events


def _in_progress_refusal(stack: Any) -> None:
    # CloudFormation refuses to update a stack with an operation in progress: ValidationError
    # "Stack:arn:aws:cloudformation:...:stack/<name>/<id> is in CREATE_IN_PROGRESS state and can
    # not be updated." (the error UpdateStack and CreateChangeSet answer; e.g. keikoproj/addon-manager#125,
    # seed.run "Stack is in state and can not be updated"; User Guide, "Stack status codes":
    # CREATE_IN_PROGRESS "Ongoing creation of one or more stacks").
    from moto.cloudformation.exceptions import ValidationError

    if clock_of(stack) is not None:
        raise ValidationError(stack.stack_id, message=f"Stack:{stack.stack_id} is in CREATE_IN_PROGRESS state "
                                                      "and can not be updated.")


def _find_stack(backend: Any, name: str | None) -> Any:
    if not name:
        return None
    stack = backend.stacks.get(name)
    if stack is not None:
        return stack
    return next((s for s in backend.stacks.values() if s.name == name), None)


def _refuse_update(original: Callable[[Any], Any], *, updates: Callable[[Any], bool]) -> Callable[[Any], Any]:
    def action(self: Any) -> Any:
        if updates(self):
            stack = _find_stack(self.cloudformation_backend, self._get_param("StackName"))
            if stack is not None:
                _in_progress_refusal(stack)
        return original(self)

    return action


def _delete_stack(original: Callable[..., None]) -> Callable[..., None]:
    # Not refused: the DeleteStack API reference names no stack status it refuses, and a
    # stack in CREATE_IN_PROGRESS can be deleted (CloudFormation cancels the resources in
    # progress, "Resource creation cancelled", then deletes; stacker#422 asks its tool to
    # stop waiting for the create before deleting).
    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stack = _find_stack(self, name_or_stack_id)
        if stack is not None and clock_of(stack) is not None:
            cut_short(self, stack)
        original(self, name_or_stack_id)

    return delete_stack


def cut_short(backend: Any, stack: Any) -> None:
    """A delete during the simulated create: the create ends where the clock is. Events
    still to come are dropped; resources in progress are ``CREATE_FAILED`` ("Resource
    creation cancelled", as CloudFormation reports a create it stops)."""
    from eks_templates.sandbox.rollback import resource_event

    now = _now()
    tree = [stack, *(s for s in backend.stacks.values() if getattr(s, "root_id", None) == stack.stack_id
                     or getattr(s, "parent_id", None) == stack.stack_id)]
    for member in tree:
        clock: Clock | None = vars(member).pop(_CLOCK, None)
        if clock is None:
            continue
        vars(member)[_CUT] = True
        member.events[:] = [ev for ev in member.events if ev.timestamp <= now]
        types = {ev.logical_resource_id: ev.resource_type for ev in member.events}
        for lid, (begin, finish) in sorted(clock.resources.items()):
            if begin <= now < finish:
                resource_event(member, lid, types.get(lid, ""), "CREATE_FAILED", reason="Resource creation cancelled")


def _resource_item_status(clock: Clock, logical_id: str, now: _dt.datetime) -> str | None:
    """What a resource of a stack on the clock shows: None while it has not started."""
    times = clock.resources.get(logical_id)
    if times is None:
        return "CREATE_COMPLETE"  # not re-timed (no create event): as moto says
    begin, finish = times
    if now < begin:
        return None
    return "CREATE_IN_PROGRESS" if now < finish else "CREATE_COMPLETE"


def _resources_on_the_clock(original: Callable[[Any], Any], key: str) -> Callable[[Any], Any]:
    def action(self: Any) -> Any:
        from moto.cloudformation.exceptions import ValidationError

        result = original(self)
        body = getattr(result, "result", None) or {}
        items = body.get(key)
        if items is None:
            return result
        stack = _find_stack(self.cloudformation_backend, self._get_param("StackName"))
        clock = clock_of(stack) if stack is not None else None
        if clock is None:
            return result
        now = _now()
        kept = []
        for item in items if isinstance(items, list) else [items]:
            logical_id = item["LogicalResourceId"] if isinstance(item, dict) else item.logical_resource_id
            status = _resource_item_status(clock, str(logical_id), now)
            if status is None:
                continue  # not started: CloudFormation does not list it yet
            if isinstance(item, dict):
                item["ResourceStatus"] = status
            else:
                item.resource_status = status
            kept.append(item)
        if isinstance(items, list):
            body[key] = kept
        elif not kept:
            raise ValidationError(stack.name, message=f"Resource {self._get_param('LogicalResourceId')} does not "
                                                      f"exist for stack {self._get_param('StackName')}")
        return result

    return action


def enable(delays: Delays) -> None:
    """Re-time successful creates with ``delays`` from now on (applies the sandbox first;
    enabling again only changes the table)."""
    global _delays
    from eks_templates.sandbox import server

    server.apply()
    with _lock:
        if _delays is not None:
            _delays = delays
            return
        from moto.cloudformation.models import CloudFormationBackend, Stack
        from moto.cloudformation.responses import CloudFormationResponse

        # outermost: wraps stack_identity's ExecuteChangeSet, which wraps rollback's
        _patch(CloudFormationBackend, "execute_change_set", _execute_change_set)
        _patch(CloudFormationBackend, "describe_stack_events", _describe_stack_events)
        _patch(CloudFormationBackend, "delete_stack", _delete_stack)
        _saved.append((Stack, "status", None))  # moto keeps status in the instance dict: nothing to restore
        Stack.status = _status()  # type: ignore[assignment]
        _patch(Stack, "outputs", _outputs)
        _patch(CloudFormationResponse, "update_stack", lambda o: _refuse_update(o, updates=lambda r: True))
        _patch(CloudFormationResponse, "create_change_set", lambda o: _refuse_update(
            o, updates=lambda r: r._get_param("ChangeSetType", "CREATE") == "UPDATE"))
        for name, key in (("describe_stack_resources", "StackResources"),
                          ("describe_stack_resource", "StackResourceDetail"),
                          ("list_stack_resources", "StackResourceSummaries")):
            _patch(CloudFormationResponse, name, functools.partial(_resources_on_the_clock, key=key))
        _delays = delays


def disable() -> None:
    """Instant creates again: every patch undone (stacks already re-timed keep their
    event timestamps, and read as moto left them)."""
    global _delays
    with _lock:
        for owner, name, original in reversed(_saved):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        _saved.clear()
        _delays = None
