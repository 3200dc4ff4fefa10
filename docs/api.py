"""The API reference: pdoc over the library's public API, as HTML in ``build/docs/``.

    python docs/api.py [--out DIR]        # make docs

Documents :mod:`eks_templates` (everything in ``eks_templates.__all__``: stack files,
builders, assembly, render) and :mod:`eks_templates.names` (the ports). Before writing
anything it checks that every public name documented there has a docstring: every
class, function, method and property defined in this package (inherited ones count
with the docstring they inherit); plain attributes and model fields are described by
their class's docstring. A missing one is a line ``missing docstring: <name>`` and
exit status 1. The output is generated, not committed (``build/`` is ignored).
"""

from __future__ import annotations

import argparse
import inspect
import sys
import warnings
from pathlib import Path

#: what the reference documents: the package's top level and the ports; not the CLI,
#: deploy or sandbox internals (pdoc's "!" drops the package's other submodules)
SPECS = ["eks_templates", r"!eks_templates\.", "eks_templates.names"]
OUT = Path("build/docs")


def _resolve_lazy_names() -> None:
    """``eks_templates`` imports its names on first use; pdoc reads the module's dict."""
    import eks_templates

    for name in eks_templates.__all__:
        getattr(eks_templates, name)


def modules() -> dict[str, object]:
    """The pdoc ``Module`` of every documented module, by name (new each call: what the
    code says now, not pdoc's cache of an earlier call)."""
    import importlib

    import pdoc.doc
    import pdoc.extract

    _resolve_lazy_names()
    return {name: pdoc.doc.Module(importlib.import_module(name)) for name in pdoc.extract.walk_specs(SPECS)}


def _ours(member: object) -> bool:
    taken_from = getattr(member, "taken_from", ("",))
    return str(taken_from[0]).startswith("eks_templates")


def _is_property(owner: object, name: str) -> bool:
    try:
        return isinstance(inspect.getattr_static(owner, name), property)
    except AttributeError:
        return False


def missing_docstrings(documented: dict[str, object]) -> list[str]:
    """Qualified names of public classes, functions, methods and properties without a docstring."""
    import pdoc.doc

    missing: list[str] = []

    def walk(namespace: pdoc.doc.Namespace, prefix: str) -> None:  # type: ignore[type-arg]
        for name, member in namespace.members.items():
            if name.startswith("_") or not _ours(member):
                continue
            qualified = f"{prefix}.{name}"
            if isinstance(member, pdoc.doc.Class):
                if not member.obj.__doc__:  # its own: pdoc would show a base class's
                    missing.append(qualified)
                walk(member, qualified)
            elif isinstance(member, pdoc.doc.Function):
                if not member.docstring:
                    missing.append(qualified)
            elif (isinstance(member, pdoc.doc.Variable) and isinstance(namespace, pdoc.doc.Class)
                  and _is_property(namespace.obj, name) and not member.docstring):
                missing.append(qualified)

    for name, module in documented.items():
        if not module.docstring:  # type: ignore[attr-defined]
            missing.append(name)
        walk(module, name)  # type: ignore[arg-type]
    return sorted(set(missing))


def write(out: Path, documented: dict[str, object]) -> None:
    """The HTML reference of ``documented`` into ``out`` (``index.html`` and one page per module)."""
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="google", show_source=False, search=True)
    out.mkdir(parents=True, exist_ok=True)
    for module in documented.values():
        page = out / f"{module.fullname.replace('.', '/')}.html"  # type: ignore[attr-defined]
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(pdoc.render.html_module(module, documented), encoding="utf-8")  # type: ignore[arg-type]
    index = pdoc.render.html_index(documented)  # type: ignore[arg-type]
    if index:
        (out / "index.html").write_text(index, encoding="utf-8")
    search = pdoc.render.search_index(documented)  # type: ignore[arg-type]
    if search:
        (out / "search.js").write_text(search, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output directory (default: {OUT}/)")
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a name in __all__ that does not resolve is an error
        documented = modules()
    missing = missing_docstrings(documented)
    for name in missing:
        print(f"missing docstring: {name}", file=sys.stderr)
    if missing:
        return 1
    write(args.out, documented)
    print(f"wrote the API reference of {', '.join(documented)} to {args.out}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
