"""Edits of a YAML file the user keeps by hand. Pure: text in, text out.

- a stack file, for ``upgrade`` (:func:`set_versions`): a splice of the original text.
  The YAML composer only *locates* the scalars to change (its nodes' start and end marks
  are character offsets into the text); exactly those characters are replaced, or one
  line is inserted, and every other character stays: indentation, flow style, ``---``
  and ``...``, comments, CRLF line ends, a byte order mark, trailing spaces. The new text
  is parsed again and must mean the old data with just those values changed.
- a kubeconfig, for ``kubeconfig`` (:func:`load`/:func:`dump`, used by
  ``deploy/kubeconfig.py``): ruamel.yaml's round trip of the whole document.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from eks_templates.config.problems import yaml_path
from eks_templates.errors import StackFileError, UserError


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line
    return yaml


def like(old: Any, value: Any, *, default: Any = None) -> Any:
    """The string ``value`` in the style ``old`` was written in (quoted, literal block, ...),
    else ``default(value)`` (plain ``value`` when no default)."""
    from ruamel.yaml.scalarstring import ScalarString

    if isinstance(value, str) and isinstance(old, ScalarString):
        return type(old)(value)
    return default(value) if isinstance(value, str) and default is not None else value


def _dash_offset(text: str) -> int:
    """How far the file indents a block list's dash under its key (0 or 2, usually)."""
    previous = None
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("- ") and previous is not None and previous.rstrip().endswith(":"):
            return max(0, (len(line) - len(stripped)) - (len(previous) - len(previous.lstrip(" "))))
        previous = line
    return 2


def load(text: str) -> tuple[Any, Any]:
    """``(yaml, data)``: ``text`` loaded in round-trip mode, and the ruamel.yaml instance
    that dumps ``data`` back in the file's own list indentation (:func:`dump`)."""
    yaml = _yaml()
    data = yaml.load(text)
    # the file's own indentation: a "  - item" list under its key stays one
    offset = _dash_offset(text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml, data


def dump(yaml: Any, data: Any) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


# --------------------------------------------------------------------------- stack file splices

#: a path in the document: mapping keys and sequence indexes
Loc = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"


class _Doc:
    """``text`` composed (PyYAML's safe composer: the loader's own reading of a stack file,
    YAML 1.1), with where each node was first met: an alias is the same node object
    as its anchor, met again at another path."""

    def __init__(self, text: str, source: str) -> None:
        import yaml

        self.text, self.source = text, source
        self.loader = yaml.SafeLoader(text)
        try:
            self.root = self.loader.get_single_node()
        except yaml.YAMLError as exc:
            raise StackFileError([f"{source}: YAML syntax error: {' '.join(str(exc).split())}"]) from None
        self.first: dict[int, Loc] = {}
        if self.root is not None:
            self._visit(self.root, ())

    def _visit(self, node: Any, loc: Loc) -> None:
        import yaml

        if id(node) in self.first:
            return  # an alias: met before (and YAML puts an anchor before its aliases)
        self.first[id(node)] = loc
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self._visit(key, (*loc, "<key>"))
                self._visit(value, (*loc, key.value if isinstance(key, yaml.ScalarNode) else "<key>"))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._visit(item, (*loc, i))

    def aliased(self, node: Any, loc: Loc) -> bool:
        """Whether ``node`` at ``loc`` is written there as an alias (``*name``)."""
        return self.first.get(id(node)) != loc

    def entry(self, mapping: Any, key: str) -> tuple[Any, Any] | None:
        """The ``(key node, value node)`` of ``key`` in ``mapping`` (the last, as the loader reads duplicates)."""
        import yaml

        found = None
        for k, v in mapping.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and k.tag != "tag:yaml.org,2002:merge":
                found = (k, v)
        return found

    def fail(self, loc: Loc, message: str) -> StackFileError:
        return StackFileError([f"{self.source}: {yaml_path(loc)}: {message}"])


def _scalar_start(text: str, node: Any) -> int:
    """Where the scalar itself starts: a node's start mark is at its anchor or tag (``&ver "1.34"``)."""
    at, end = node.start_mark.index, node.end_mark.index
    while at < end and text[at] in "&!":
        while at < end and text[at] not in " \t\r\n":
            at += 1
        while at < end and text[at] in " \t\r\n":
            at += 1
    return at


def _written(value: str, style: str | None) -> str:
    """``value`` as YAML in ``style``: a plain value stays plain unless the loader would read it
    as something else than this string (``1.30``, a float), then it is double-quoted."""
    import yaml

    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and value and not any(c in value for c in ",[]{}#&*!|>'\"%@`") \
            and value.isprintable() and value.strip() == value:
        try:
            if yaml.safe_load(f"k: {value}\n") == {"k": value}:
                return value
        except yaml.YAMLError:
            pass
    if not value.isprintable():
        raise UserError(f"cannot write {value!r} into the stack file: it has non-printable characters")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _line_end(text: str, at: int) -> tuple[int, str]:
    """The offset after the line break of the line ``at`` is on, and that break (the file's
    first line break when the line is the last and has none)."""
    nl = text.find("\n", at)
    if nl < 0:
        first = text.find("\n")
        return len(text), "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"
    return nl + 1, "\r\n" if nl > 0 and text[nl - 1] == "\r" else "\n"


class _Edits:
    """The splices to make, checked against each other, and the node graph changed the same
    way (what the new text must read back as)."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.splices: list[tuple[int, int, str]] = []
        self.wanted: dict[int, tuple[Loc, str]] = {}  # node id -> (where it is defined, value)

    def set(self, mapping: Any, loc: Loc, key: str, value: str, *, after: str | None = None) -> None:
        import yaml

        doc, where = self.doc, (*loc, key)
        found = doc.entry(mapping, key)
        if found is None:
            self._insert(mapping, loc, key, value, after)
            return
        node = found[1]
        if not isinstance(node, yaml.ScalarNode):
            raise doc.fail(where, f"expected a version string here, found a {node.id}")
        defined = doc.first[id(node)]
        if id(node) in self.wanted:
            if self.wanted[id(node)][1] != value:
                raise doc.fail(where, f"is an alias of {yaml_path(defined)}, which gets {self.wanted[id(node)][1]!r}; "
                                      f"this one needs {value!r}: write the value here instead of the alias")
            return
        if node.value == value and node.tag == _STR:
            return  # already so
        if doc.aliased(node, where):
            raise doc.fail(where, f"is an alias (*{_anchor(doc.text, node)}) of {yaml_path(defined)} "
                                  f"(line {node.start_mark.line + 1}); writing {value!r} would change that "
                                  "value and every other alias of it: write the value here instead of the alias")
        if node.style not in (None, "'", '"'):
            raise doc.fail(where, f"is a block scalar ({node.style}); write it as a one-line value "
                                  "for upgrade to edit it")
        start, end = _scalar_start(doc.text, node), node.end_mark.index
        # an empty value (``version:``, ``version: &v``): the new one goes after a space
        space = " " if start == end else ""
        colon = found[0].end_mark.index
        if start == end == node.start_mark.index and doc.text[colon:colon + 1] == ":":
            start = end = colon + 1  # right after the key's colon
        self.splices.append((start, end, space + _written(value, node.style)))
        self.wanted[id(node)] = (defined, value)
        node.value, node.tag = value, _STR

    def _insert(self, mapping: Any, loc: Loc, key: str, value: str, after: str | None) -> None:
        """``key: value`` as a new line of the block ``mapping``, in its indentation, after
        the entry ``after`` (else its last one-line entry)."""
        import yaml

        doc, where = self.doc, (*loc, key)
        if doc.aliased(mapping, loc):
            raise doc.fail(where, f"is not set, and {yaml_path(loc)} is an alias of "
                                  f"{yaml_path(doc.first[id(mapping)])}: a line added there would change both; "
                                  "write the mapping out here instead")
        if mapping.flow_style:
            raise doc.fail(where, f"is not set and {yaml_path(loc)} is a flow mapping ({{...}}); "
                                  f'write {key}: "{value}" into it by hand or make it a block mapping')
        lines = []
        for k, v in mapping.value:
            one_line = isinstance(k, yaml.ScalarNode) and k.style is None and not doc.aliased(v, (*loc, k.value)) \
                and k.start_mark.line == v.end_mark.line \
                and (v.style in (None, "'", '"') if isinstance(v, yaml.ScalarNode) else bool(v.flow_style))
            if one_line:
                lines.append((k, v))
        chosen = next((kv for kv in lines if kv[0].value == after), lines[-1] if lines else None)
        if chosen is None:
            raise doc.fail(where, f"is not set, and {yaml_path(loc)} has no one-line entry to add it after; "
                                  f'write {key}: "{value}" into it by hand')
        k, v = chosen
        at, nl = _line_end(doc.text, v.end_mark.index)
        quoted = _written(value, '"')  # a new value is quoted, as a version must stay a string
        line = " " * k.start_mark.column + f"{key}: {quoted}"
        self.splices.append((at, at, line + nl if at < len(doc.text) or doc.text.endswith("\n") else nl + line))
        # the graph as the new text will read
        new_value = yaml.ScalarNode(_STR, value)
        mapping.value.append((yaml.ScalarNode(_STR, key), new_value))
        self.doc.first[id(new_value)] = where
        self.wanted[id(new_value)] = (where, value)

    def apply(self) -> str:
        text = self.doc.text
        for start, end, new in sorted(self.splices, reverse=True):
            text = text[:start] + new + text[end:]
        return text


def _anchor(text: str, node: Any) -> str:
    at = node.start_mark.index
    name = text[at + 1:].split(None, 1)[0] if text[at] == "&" else "?"
    return name


def has(text: str, *loc: str) -> bool:
    """Whether the YAML ``text`` sets the mapping key path ``loc`` (``"metadata", "version"``;
    a ``<<`` merge key counts, as the loader reads it)."""
    import yaml

    data = yaml.safe_load(text)
    for key in loc:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def set_versions(text: str, *, version: str | None = None,
                 release_versions: Mapping[int, str] | None = None, source: str = "the stack file") -> str:
    """The stack file ``text`` with ``metadata.version`` set to ``version`` and each
    ``managedNodeGroups[i].releaseVersion`` of ``release_versions`` set, every other
    character as it was (a value keeps its quoting; a missing key is a new line in its
    mapping's indentation and line ending, ``metadata.version`` after ``region``). A value
    written as an alias is refused unless its anchor gets the same value; an anchored value
    changes with its aliases (what YAML means). ``source`` names the file in errors."""
    import yaml

    doc = _Doc(text, source)
    root = doc.root
    metadata = doc.entry(root, "metadata") if isinstance(root, yaml.MappingNode) else None
    if metadata is None or not isinstance(metadata[1], yaml.MappingNode):
        raise StackFileError([f"{source}: metadata: not a mapping; nothing to write the version into"])
    edits = _Edits(doc)
    if version is not None:
        edits.set(metadata[1], ("metadata",), "version", version, after="region")
    if release_versions:
        groups = doc.entry(root, "managedNodeGroups")
        for index, release in sorted(release_versions.items()):
            group = groups[1].value[index] if groups is not None and isinstance(groups[1], yaml.SequenceNode) \
                and index < len(groups[1].value) else None
            if not isinstance(group, yaml.MappingNode):
                raise doc.fail(("managedNodeGroups", index), "not a nodegroup mapping")
            edits.set(group, ("managedNodeGroups", index), "releaseVersion", release)
    new_text = edits.apply()
    # the new text must mean the old data with those values changed, nothing else
    expected = doc.loader.construct_document(root) if root is not None else None
    try:
        actual = yaml.safe_load(new_text)
    except yaml.YAMLError as exc:
        actual = exc
    if actual != expected:
        raise UserError(f"{source}: the edit did not read back as the intended change (a bug; please report it); "
                        "nothing was written")
    return new_text
