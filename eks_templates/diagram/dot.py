"""A :class:`~eks_templates.diagram.model.Diagram` as Graphviz DOT text (written here,
byte for byte the same for the same diagram), and DOT -> SVG/PNG through the ``dot``
binary of the system's Graphviz package.

Every node and edge carries an ``id`` (:func:`svg_id` of its diagram id), which
Graphviz keeps on the SVG element, so the picture can be checked structurally.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable

from eks_templates.diagram.model import Diagram, Edge, Group, Node
from eks_templates.errors import UserError

INSTALL_HINT = ("the Graphviz `dot` program is needed for svg/png: install it with `sudo apt-get install graphviz` "
                "(macOS: `brew install graphviz`), or use --format dot or --format mermaid, which need no program")

FONT = "Helvetica"

#: kind -> node attributes
NODE_STYLE: dict[str, dict[str, str]] = {
    "sg": {"shape": "box", "style": "filled,bold", "fillcolor": "#fff4cc", "color": "#b7791f"},
    "subnet-public": {"shape": "box", "style": "filled", "fillcolor": "#dff3e3", "color": "#2f855a"},
    "subnet-private": {"shape": "box", "style": "filled", "fillcolor": "#e3ecfa", "color": "#2b6cb0"},
    "igw": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#2f855a"},
    "nat": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#2b6cb0"},
    "cidr": {"shape": "ellipse", "style": "filled", "fillcolor": "#f7fafc", "color": "#4a5568"},
    "cluster": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#ece4f7", "color": "#6b46c1"},
    "nodegroup": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e0f2f1", "color": "#00796b"},
    "fargate": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#e0f2f1", "color": "#00796b"},
    "host": {"shape": "box", "style": "rounded,filled", "fillcolor": "#edf2f7", "color": "#2d3748"},
    "addons": {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#a0aec0"},
    "external": {"shape": "note", "style": "filled", "fillcolor": "#f7fafc", "color": "#718096"},
    "removed": {"shape": "box", "style": "dashed", "color": "#c53030"},
}
DANGER = {"fillcolor": "#fde2e2", "color": "#c53030", "fontcolor": "#9b2c2c", "penwidth": "2.5"}

EDGE_STYLE: dict[str, dict[str, str]] = {
    "ingress": {"color": "#b7791f", "fontcolor": "#744210", "penwidth": "1.6"},
    "egress": {"color": "#b7791f", "fontcolor": "#744210", "style": "dashed", "penwidth": "1.2"},
    "default": {"color": "#a0aec0", "fontcolor": "#4a5568", "style": "dashed"},
    "route": {"color": "#718096", "fontcolor": "#4a5568", "arrowhead": "vee"},
    "endpoint": {"color": "#6b46c1", "fontcolor": "#553c9a", "penwidth": "1.6"},
    "wears": {"color": "#a0aec0", "style": "dotted", "arrowhead": "none", "penwidth": "1.2"},
}
EDGE_DANGER = {"color": "#e53e3e", "fontcolor": "#c53030", "penwidth": "3"}

#: change -> (mark in front of the label, attributes)
CHANGE_STYLE: dict[str, tuple[str, dict[str, str]]] = {
    "added": ("+ added", {"color": "#2f855a", "penwidth": "3.5", "fontcolor": "#22543d"}),
    "removed": ("- removed", {"color": "#c53030", "style": "dashed", "penwidth": "2.5", "fontcolor": "#9b2c2c"}),
    "replaced": ("! REPLACED", {"color": "#dd6b20", "penwidth": "3.5", "fontcolor": "#9c4221"}),
    "maybe-replaced": ("? may be replaced", {"color": "#dd6b20", "penwidth": "2.5", "fontcolor": "#9c4221"}),
    "modified": ("~ modified", {"color": "#3182ce", "penwidth": "2.5", "fontcolor": "#2a4365"}),
}

GROUP_STYLE: dict[str, dict[str, str]] = {
    "stack": {"style": "rounded,dashed", "color": "#718096", "fontcolor": "#2d3748"},
    "vpc": {"style": "rounded,filled", "color": "#3182ce", "fillcolor": "#f5f9ff", "fontcolor": "#2a4365"},
    "zone": {"style": "rounded,filled", "color": "#a0aec0", "fillcolor": "#ffffff", "fontcolor": "#4a5568"},
}


#: the key to the picture, one row under the title
LEGEND_CELLS = (
    ('<FONT COLOR="#b7791f"><B>A ──&gt; B</B></FONT>', "inbound rule of B: A may reach B (protocol, ports)"),
    ('<FONT COLOR="#b7791f"><B>A - - &gt; B</B></FONT>', "outbound rule of A: A may send to B"),
    ('<FONT COLOR="#718096"><B>X · · · G</B></FONT>', "X wears security group G"),
    ('<FONT COLOR="#718096"><B>subnet ──&gt; gateway</B></FONT>', "route"),
    ('<FONT COLOR="#c53030"><B>red</B></FONT>', "open to 0.0.0.0/0"),
)


def title_label(title: str) -> str:
    cells = "".join(f'<TD>{mark}</TD><TD ALIGN="LEFT">{html(text)}    </TD>' for mark, text in LEGEND_CELLS)
    return (f'<<TABLE BORDER="0" CELLSPACING="2"><TR><TD COLSPAN="{2 * len(LEGEND_CELLS)}">'
            f'<FONT POINT-SIZE="20"><B>{html(title)}</B></FONT></TD></TR>'
            f'<TR>{cells}</TR></TABLE>>')


def svg_id(diagram_id: str, prefix: str = "") -> str:
    """The SVG element id of a node (``prefix`` ``n-``), edge (``e-``) or group (``g-``)."""
    return prefix + re.sub(r"[^A-Za-z0-9_.-]", "_", diagram_id)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _attrs(attrs: dict[str, str]) -> str:
    parts = []
    for key in sorted(attrs):
        value = attrs[key]
        parts.append(f"{key}={value}" if value.startswith("<") and value.endswith(">") else f"{key}={quote(value)}")
    return "[" + ", ".join(parts) + "]"


def _node_label(node: Node) -> str:
    lines = [line for text in node.lines for line in text.split("\n")]
    mark = CHANGE_STYLE.get(node.change, ("", {}))[0]
    rows = [f"<B>{html(lines[0])}</B>", *(f'<FONT POINT-SIZE="10">{html(x)}</FONT>' for x in lines[1:])]
    if node.change == "removed":
        rows = [f"<S>{r}</S>" for r in rows]
    if mark:
        rows.insert(0, f"<B>{html(mark)}</B>")
    return "<" + "<BR/>".join(rows) + ">"


def _edge_label(edge: Edge) -> str:
    mark = CHANGE_STYLE.get(edge.change, ("", {}))[0]
    if not edge.label and not mark:
        return ""
    text = html(edge.label)
    if edge.change == "removed":
        text = f"<S>{text}</S>"
    if mark:
        text = f"<B>{html(mark)}</B>" + ("<BR/>" + text if edge.label else "")
    return "<" + text + ">"


def node_attrs(node: Node) -> dict[str, str]:
    kind = node.kind
    if kind == "subnet":
        kind = "subnet-public" if node.lines[0].startswith("public") else "subnet-private"
    attrs = dict(NODE_STYLE.get(kind, NODE_STYLE["external"]))
    if node.danger:
        attrs.update(DANGER)
    if node.change:
        attrs.update(CHANGE_STYLE[node.change][1])
        if node.change == "removed":
            attrs["style"] = ",".join(s for s in (*attrs.get("style", "").split(","), "dashed")
                                      if s and s != "filled" and s != "bold")
    attrs["label"] = _node_label(node)
    attrs["id"] = svg_id(node.id, "n-")
    return attrs


def edge_attrs(edge: Edge) -> dict[str, str]:
    attrs = dict(EDGE_STYLE.get(edge.kind, {}))
    if edge.danger:
        attrs.update(EDGE_DANGER)
    if edge.change:
        extra = dict(CHANGE_STYLE[edge.change][1])
        if edge.kind in ("egress", "default", "wears") and edge.change != "removed":
            extra.pop("style", None)
        attrs.update(extra)
    label = _edge_label(edge)
    if label:
        attrs["label"] = label
    attrs["id"] = svg_id(edge.id, "e-")
    if edge.kind == "wears":
        attrs["tooltip"] = "wears this security group"
    return attrs


def to_dot(diagram: Diagram) -> str:
    d = diagram.sorted()
    children: dict[str | None, list[Group]] = {}
    for g in d.groups:
        children.setdefault(g.parent, []).append(g)
    members: dict[str | None, list[Node]] = {}
    for n in d.nodes:
        members.setdefault(n.group, []).append(n)
    out = [f"digraph {quote(d.title)} {{"]
    out.append(f"  graph {_attrs({'rankdir': 'TB', 'fontname': FONT, 'fontsize': '16', 'labelloc': 't', 'label': title_label(d.title), 'nodesep': '0.35', 'ranksep': '0.9', 'newrank': 'true', 'compound': 'true', 'pad': '0.3', 'id': 'diagram'})};")  # noqa: E501
    out.append(f"  node {_attrs({'fontname': FONT, 'fontsize': '12', 'margin': '0.15,0.06'})};")
    out.append(f"  edge {_attrs({'fontname': FONT, 'fontsize': '11'})};")
    counter = [0]

    def emit_group(group: Group, indent: str) -> None:
        counter[0] += 1
        out.append(f"{indent}subgraph {quote('cluster_' + svg_id(group.id))} {{")
        attrs = dict(GROUP_STYLE.get(group.kind, {}))
        label = group.label + (" (nested stack)" if group.kind == "stack" and group.parent else "")
        attrs.update({"label": label, "id": svg_id(group.id, "g-"), "fontname": FONT, "labeljust": "l"})
        out.append(f"{indent}  graph {_attrs(attrs)};")
        for node in members.get(group.id, []):
            out.append(f"{indent}  {quote(node.id)} {_attrs(node_attrs(node))};")
        for child in children.get(group.id, []):
            emit_group(child, indent + "  ")
        out.append(f"{indent}}}")

    for node in members.get(None, []):
        out.append(f"  {quote(node.id)} {_attrs(node_attrs(node))};")
    for group in children.get(None, []):
        emit_group(group, "  ")
    for edge in d.edges:
        out.append(f"  {quote(edge.src)} -> {quote(edge.dst)} {_attrs(edge_attrs(edge))};")
    out.append("}")
    return "\n".join(out) + "\n"


def dot_program() -> str | None:
    return shutil.which("dot")


def layout(dot_text: str, fmt: str, program: str | None = None) -> bytes:
    """Run Graphviz' ``dot`` on the text: SVG or PNG bytes. No ``dot``: a UserError with how to install it."""
    program = program or dot_program()
    if program is None:
        raise UserError(INSTALL_HINT)
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=120,
                              check=False)
    except OSError as exc:
        raise UserError(f"could not run {program}: {exc}; {INSTALL_HINT}") from None
    if done.returncode != 0:
        raise UserError(f"{program} -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def ids(items: Iterable[Node | Edge]) -> list[str]:
    return [i.id for i in items]
