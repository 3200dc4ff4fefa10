"""Lint a rendered set: cfn-lint over every template in one process (the root-to-child
parameter contract included, since cfn-lint follows relative ``TemplateURL``s), our
CloudFormation quota checks, and the rule that every suppression carries its reason.

Each distinct template is linted once: nodegroups of the same shape share one child
template, and cfn-lint reads the root with one stack per shared template where the
stacks are alike (:mod:`eks_templates.lint_root`); the quota and suppression checks read
every template as rendered, the whole root included.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eks_templates import interrupts
from eks_templates.render import RenderedSet, write_set

#: CloudFormation quotas (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html)
MAX_BODY_BYTES = 51_200  # TemplateBody in the API call
MAX_S3_BYTES = 1_000_000  # TemplateURL (S3 object)
MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.rule} {self.message}"


# --------------------------------------------------------------------------- our own checks


def quota_findings(name: str, text: str) -> list[Finding]:
    """Quota checks of one template. The root is sent as TemplateBody when it fits
    (deploy uploads it otherwise); every template must fit the S3 limit."""
    findings = []
    size = len(text.encode("utf-8"))
    if size > MAX_S3_BYTES:
        findings.append(Finding(name, 0, "Q1001",
                                f"template is {size:,} bytes; CloudFormation accepts at most {MAX_S3_BYTES:,}"))
    data = json_or_yaml(text)
    for section, limit, rule in (("Resources", MAX_RESOURCES, "Q1002"),
                                 ("Parameters", MAX_PARAMETERS, "Q1003"),
                                 ("Outputs", MAX_OUTPUTS, "Q1004")):
        count = len(data.get(section) or {})
        if count > limit:
            findings.append(Finding(name, 0, rule, f"{count} {section.lower()}; CloudFormation allows {limit}"))
    return findings


def suppression_findings(name: str, text: str) -> list[Finding]:
    """Every cfn-lint ``ignore_checks`` entry needs ``EksTemplates.Suppressions.<rule>``."""
    data = json_or_yaml(text)
    holders: list[tuple[str, Any]] = [("Metadata", data.get("Metadata") or {})]
    holders += [(f"Resources.{lid}.Metadata", (res or {}).get("Metadata") or {})
                for lid, res in (data.get("Resources") or {}).items()]
    findings = []
    for where, metadata in holders:
        ignored = ((metadata.get("cfn-lint") or {}).get("config") or {}).get("ignore_checks") or []
        reasons = (metadata.get("EksTemplates") or {}).get("Suppressions") or {}
        for rule in ignored:
            if not str(reasons.get(rule, "")).strip():
                findings.append(Finding(name, 0, "S1001",
                                        f"{where} suppresses {rule} without a reason in "
                                        f"EksTemplates.Suppressions.{rule}"))
    return findings


def json_or_yaml(text: str) -> dict[str, Any]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return dict(json.loads(text))
    import yaml

    return dict(yaml.safe_load(text) or {})


# --------------------------------------------------------------------------- cfn-lint


def cfn_lint_findings(directory: Path, files: list[str], region: str) -> list[Finding]:
    from cfnlint.api import ManualArgs, lint_by_config

    matches = lint_by_config(ManualArgs(templates=[str(directory / f) for f in files], regions=[region]))
    findings = []
    for match in matches:
        try:
            name = str(Path(match.filename).relative_to(directory)) if match.filename else "?"
        except ValueError:
            name = str(match.filename)
        findings.append(Finding(name, int(match.linenumber or 0), match.rule.id, match.message))
    return findings


def for_cfn_lint(rendered: RenderedSet) -> RenderedSet:
    """The set as cfn-lint reads it: the root with one stack per shared child template
    where the stacks sharing it are alike (:func:`eks_templates.lint_root.collapse`)."""
    from eks_templates.lint_root import collapse
    from eks_templates.render import FLAT, dumps

    if rendered.root == f"{FLAT}.{rendered.fmt}":
        return rendered
    root, moved = collapse(json_or_yaml(rendered.files[rendered.root]))
    if not moved:
        return rendered
    return RenderedSet(rendered.stack_name, rendered.root,
                       {**rendered.files, rendered.root: dumps(root, rendered.fmt)}, rendered.fmt)


def lint_set(rendered: RenderedSet, *, region: str = "us-east-1", directory: Path | None = None) -> list[Finding]:
    """All findings for a rendered set, sorted; an empty list means it is clean.

    ``directory``: where the set cfn-lint reads is written (:func:`for_cfn_lint`: its
    root may leave out stacks alike to another), else a temporary directory. A cfn-lint
    finding's line in the root is a line of that root.

    ``region`` must be one the region table knows (cfn-lint raises for any other):
    a stack file's region is checked when it is loaded, a library caller's here."""
    from eks_templates.config import regions
    from eks_templates.config.problems import suggest
    from eks_templates.errors import UserError

    if regions.region(region) is None:
        close = suggest(region, regions.REGIONS)
        raise UserError(f"cannot lint for region {region!r}: not an AWS region"
                        + (f"; did you mean {close!r}?" if close else ""))
    findings: list[Finding] = []
    for name, text in rendered.files.items():
        findings += quota_findings(name, text)
        findings += suppression_findings(name, text)
    linted = for_cfn_lint(rendered)
    if directory is not None:
        write_set(linted, directory)
        findings += cfn_lint_findings(directory, sorted(linted.files), region)
    else:
        with tempfile.TemporaryDirectory(prefix="eks-templates-lint-") as tmp:
            write_set(linted, Path(tmp))
            findings += cfn_lint_findings(Path(tmp), sorted(linted.files), region)
    interrupts.checkpoint()  # a Ctrl-C that cfn-lint's regex finalizers swallowed (interrupts.py)
    return sorted(set(findings))
