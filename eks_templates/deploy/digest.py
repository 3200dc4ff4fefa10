"""The deployed set's digest, recorded on the root stack, so that a redeploy of an
unchanged stack file knows it has nothing to do from one ``DescribeStacks``.

The digest is the SHA-256 of the packaged root template (every child's
``TemplateURL`` in it names the child's own SHA-256, so it covers the whole set, the
bucket and the prefix). :func:`stamp` adds it to the root as the output
``TemplatesDigest``; CloudFormation returns it with the stack's other outputs.

Why an output: it is part of the template, so when an update fails and
CloudFormation rolls the stack back to its previous template, the previous digest
comes back with it, and the next deploy sees that the set differs. A stack tag would
be propagated to every taggable resource of every nested stack (a tag change touches
them all), and a root parameter would not fit: the root holds up to 200 parameters,
CloudFormation's quota. Outputs: the root has at most 199 of its own
(names.MAX_REMOTE_ACCESS_ROOT_OUTPUTS), this is the 200th (CloudFormation allows 200,
"CloudFormation template Outputs syntax", User Guide).

A stack without the output (deployed before it existed, or by other means) is
compared the slow way (``GetTemplate``). An update that changes outputs only may not
be applied (the Outputs section's documentation said "you cannot update outputs by
themselves"): the digest is then recorded by the next deploy that changes a resource.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: the root output that holds the digest
OUTPUT = "TemplatesDigest"
DESCRIPTION = "SHA-256 of the deployed root template (eks_templates deploy: nothing to do when it matches)"


def of(root_text: str) -> str:
    return hashlib.sha256(root_text.encode("utf-8")).hexdigest()


def stamp(root_text: str) -> tuple[str, str]:
    """The packaged root with the ``TemplatesDigest`` output added, and the digest
    (of the root without it). Deterministic: same root, same text."""
    digest = of(root_text)
    root = json.loads(root_text)
    outputs = root.setdefault("Outputs", {})
    outputs[OUTPUT] = {"Description": DESCRIPTION, "Value": digest}
    return json.dumps(root, indent=2, ensure_ascii=False) + "\n", digest


def recorded(stack: Mapping[str, Any] | None) -> str | None:
    """The digest a described stack carries, or None."""
    for output in (stack or {}).get("Outputs") or []:
        if output.get("OutputKey") == OUTPUT:
            return str(output.get("OutputValue") or "") or None
    return None


def without(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` (a deployed root) without the digest output: for a change made from
    the deployed templates (delete's DeletionProtection off), whose result is not the
    rendered set, so the next deploy must not take it for one."""
    copy = json.loads(json.dumps(template))
    outputs = copy.get("Outputs")
    if isinstance(outputs, dict):
        outputs.pop(OUTPUT, None)
        if not outputs:
            copy.pop("Outputs")
    return copy
