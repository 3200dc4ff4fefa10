"""A :class:`~eks_templates.diagram.model.Diagram` as a Mermaid flowchart (for
pull-request descriptions: GitHub draws ```mermaid blocks). Deterministic text."""

from __future__ import annotations

import re

from eks_templates.diagram.model import Diagram, Edge, Group, Node

CLASSES = {
    "sg": "fill:#fff4cc,stroke:#b7791f,stroke-width:2px",
    "subnetpublic": "fill:#dff3e3,stroke:#2f855a",
    "subnetprivate": "fill:#e3ecfa,stroke:#2b6cb0",
    "gateway": "fill:#ffffff,stroke:#2b6cb0",
    "cidr": "fill:#f7fafc,stroke:#4a5568",
    "cluster": "fill:#ece4f7,stroke:#6b46c1,stroke-width:2px",
    "compute": "fill:#e0f2f1,stroke:#00796b",
    "host": "fill:#edf2f7,stroke:#2d3748",
    "external": "fill:#f7fafc,stroke:#718096,stroke-dasharray:4",
    "danger": "fill:#fde2e2,stroke:#c53030,stroke-width:3px,color:#9b2c2c",
    "added": "stroke:#2f855a,stroke-width:4px",
    "removed": "stroke:#c53030,stroke-width:3px,stroke-dasharray:6,text-decoration:line-through",
    "replaced": "stroke:#dd6b20,stroke-width:4px",
    "modified": "stroke:#3182ce,stroke-width:3px",
}
KIND_CLASS = {"igw": "gateway", "nat": "gateway", "addons": "external",
              "nodegroup": "compute", "fargate": "compute", "removed": "removed"}
MARK = {"added": "+ added", "removed": "- removed", "replaced": "! REPLACED", "maybe-replaced": "? may be replaced",
        "modified": "~ modified"}


def mid(diagram_id: str) -> str:
    """A Mermaid node id: letters, digits and underscores only."""
    return "n_" + re.sub(r"[^A-Za-z0-9]", "_", diagram_id)


def text(value: str) -> str:
    """A label in double quotes: Mermaid's entity codes for what would end or break it."""
    return value.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _node(node: Node) -> str:
    lines = [line for t in node.lines for line in t.split("\n")]
    if node.change:
        lines.insert(0, MARK[node.change])
    label = "<br/>".join(text(x) for x in lines)
    shape = ('(["', '"])') if node.kind == "cidr" else ('["', '"]')
    return f"{mid(node.id)}{shape[0]}{label}{shape[1]}"


def _node_class(node: Node) -> str:
    if node.change:
        return "replaced" if node.change == "maybe-replaced" else node.change
    if node.danger:
        return "danger"
    if node.kind == "subnet":
        return "subnetpublic" if node.lines[0].startswith("public") else "subnetprivate"
    return KIND_CLASS.get(node.kind, node.kind if node.kind in CLASSES else "external")


def _arrow(edge: Edge) -> str:
    if edge.kind == "wears":
        return "-.-"
    if edge.danger or edge.change in ("added", "replaced"):
        return "==>"
    if edge.kind in ("egress", "default") or edge.change == "removed":
        return "-.->"
    return "-->"


def to_mermaid(diagram: Diagram) -> str:
    d = diagram.sorted()
    children: dict[str | None, list[Group]] = {}
    for g in d.groups:
        children.setdefault(g.parent, []).append(g)
    members: dict[str | None, list[Node]] = {}
    for n in d.nodes:
        members.setdefault(n.group, []).append(n)
    out = ["---", f"title: {d.title}", "---", "flowchart TB"]

    def emit(group: Group, indent: str) -> None:
        label = group.label + (" (nested stack)" if group.kind == "stack" and group.parent else "")
        out.append(f'{indent}subgraph {mid("group:" + group.id)}["{text(label)}"]')
        for node in members.get(group.id, []):
            out.append(f"{indent}  {_node(node)}")
        for child in children.get(group.id, []):
            emit(child, indent + "  ")
        out.append(f"{indent}end")

    for node in members.get(None, []):
        out.append(f"  {_node(node)}")
    for group in children.get(None, []):
        emit(group, "  ")
    link_styles: dict[str, list[int]] = {}
    for i, edge in enumerate(d.edges):
        label = edge.label
        if edge.change:
            label = f"{MARK[edge.change]}: {label}" if label else MARK[edge.change]
        arrow = _arrow(edge)
        middle = f'|"{text(label)}"|' if label else ""
        out.append(f"  {mid(edge.src)} {arrow}{middle} {mid(edge.dst)}")
        style = "danger" if edge.danger else ("removed" if edge.change == "removed" else
                                              "added" if edge.change == "added" else "")
        if style:
            link_styles.setdefault(style, []).append(i)
    for name in sorted(CLASSES):
        out.append(f"  classDef {name} {CLASSES[name]}")
    by_class: dict[str, list[str]] = {}
    for node in d.nodes:
        by_class.setdefault(_node_class(node), []).append(mid(node.id))
    for name in sorted(by_class):
        out.append(f"  class {','.join(by_class[name])} {name}")
    colours = {"danger": "stroke:#e53e3e,stroke-width:3px", "removed": "stroke:#c53030,stroke-dasharray:6",
               "added": "stroke:#2f855a,stroke-width:4px"}
    for style in sorted(link_styles):
        out.append(f"  linkStyle {','.join(map(str, link_styles[style]))} {colours[style]}")
    return "\n".join(out) + "\n"
