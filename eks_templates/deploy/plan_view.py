"""The plan as a person reads it: per stack, Add / Modify / Remove lines; a
separate REPLACEMENTS block (Replacement True or Conditional); the parameter
diff. Pure functions of the described change set, so they are tested on data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from eks_templates.deploy.changeset import ChangeSetView
from eks_templates.deploy.params import ParamChoice

SYMBOL = {"Add": "+", "Modify": "~", "Remove": "-", "Import": ">", "Dynamic": "*"}


@dataclass(frozen=True)
class Replacement:
    label: str
    logical_id: str
    resource_type: str
    #: "True" or "Conditional"
    replacement: str
    #: the properties that force it (from Details where RequiresRecreation is not Never)
    causes: tuple[str, ...] = ()

    def __str__(self) -> str:
        mark = "!" if self.replacement == "True" else "?"
        why = f"  because of {', '.join(self.causes)}" if self.causes else ""
        return (f"  {mark} {self.label}  {self.logical_id}  {self.resource_type}  "
                f"Replacement: {self.replacement}{why}")


def replacements(view: ChangeSetView) -> list[Replacement]:
    """Every resource, in any nested stack, that would be (or may be) replaced."""
    found = []
    for cs in view.walk():
        for rc in cs.changes:
            if rc.get("Action") != "Modify" or rc.get("Replacement") not in ("True", "Conditional"):
                continue
            causes = []
            for detail in rc.get("Details") or []:
                target = detail.get("Target") or {}
                if target.get("RequiresRecreation") in ("Always", "Conditionally"):
                    name = target.get("Name") or target.get("Attribute") or ""
                    where = f"{target.get('Attribute')}.{name}" if target.get("Attribute") == "Properties" else name
                    if where and where not in causes:
                        causes.append(where)
            found.append(Replacement(cs.label, str(rc.get("LogicalResourceId", "")),
                                     str(rc.get("ResourceType", "")), str(rc["Replacement"]), tuple(causes)))
    return found


def counts(view: ChangeSetView) -> dict[str, int]:
    """Resource changes by action, nested stacks' own entries excluded when they
    have a nested change set (their resources are counted instead)."""
    result: dict[str, int] = {}
    for cs in view.walk():
        for rc in cs.changes:
            if rc.get("ResourceType") == "AWS::CloudFormation::Stack" and rc.get("ChangeSetId"):
                continue
            action = str(rc.get("Action", "?"))
            result[action] = result.get(action, 0) + 1
    return result


def change_lines(view: ChangeSetView) -> list[str]:
    lines = []
    for cs in view.walk():
        lines.append(cs.label)
        if not cs.changes:
            lines.append("    (no changes)")
        width = max((len(str(rc.get("LogicalResourceId", ""))) for rc in cs.changes), default=0)
        for rc in cs.changes:
            action = str(rc.get("Action", "?"))
            lines.append(f"  {SYMBOL.get(action, '?')} {action:<7} {rc.get('LogicalResourceId', ''):<{width}}  "
                         f"{rc.get('ResourceType', '')}")
    return lines


def parameter_lines(choices: Sequence[ParamChoice], live: Mapping[str, str] | None) -> list[str]:
    """The parameter diff: added (+), changed (~), removed (-), and values kept
    although the file says otherwise (=, with the reason)."""
    live = dict(live or {})
    lines = []
    for choice in choices:
        old = live.get(choice.key)
        if choice.use_previous:
            if choice.note and old is not None:
                lines.append(f"  = {choice.key}: {old} kept ({choice.note})")
            continue
        new = choice.value or ""
        if old is None:
            lines.append(f"  + {choice.key}: {new}")
        elif old != new:
            suffix = f" ({choice.note})" if choice.note else ""
            lines.append(f"  ~ {choice.key}: {old} -> {new}{suffix}")
    for key in sorted(set(live) - {c.key for c in choices}):
        lines.append(f"  - {key}: {live[key]}")
    return lines


def format_plan(
    view: ChangeSetView,
    *,
    change_set_type: str,
    choices: Sequence[ParamChoice],
    live: Mapping[str, str] | None,
    extra: Iterable[str] = (),
) -> str:
    """The whole plan, ready to print."""
    out = [f"Change set {view.arn.split('/')[1] if '/' in view.arn else view.arn} "
           f"for stack {view.stack_name} ({change_set_type})", ""]
    out += change_lines(view)
    reps = replacements(view)
    out.append("")
    if reps:
        out.append("REPLACEMENTS (deleted and created again; ! = will be replaced, ? = may be replaced):")
        out += [str(r) for r in reps]
    else:
        out.append("REPLACEMENTS: none")
    params = parameter_lines(choices, live)
    out.append("")
    out.append("Parameters:" if params else "Parameters: no changes")
    out += params
    out += list(extra)
    n = counts(view)
    summary = ", ".join(f"{n[a]} to {a.lower()}" for a in ("Add", "Modify", "Remove", "Import", "Dynamic") if n.get(a))
    out.append("")
    out.append(f"Summary: {summary or 'no resource changes'}; {len(reps)} replacement(s)")
    return "\n".join(out)
