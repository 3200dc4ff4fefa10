"""Every name the builders make fits what AWS accepts, with the longest inputs the stack
file allows and the longest stack names CloudFormation gives.

cfn-lint checks a name's length and characters against the resource schemas only when
the name is a literal; most of ours are ``Fn::Sub`` of ``${AWS::StackName}``. Here the
pseudo parameters are replaced by their longest values and the result is linted again,
and the rules that the schemas do not carry are checked from their API's own limits:

- ``AWS::EC2::SecurityGroup.GroupName``: up to 255 characters, never starting with ``sg-``
  (botocore's ec2 model, CreateSecurityGroup ``GroupName``).
- ``AWS::EC2::LaunchTemplate.LaunchTemplateName``: 3 to 128 of ``[a-zA-Z0-9().\\-/_]``
  (botocore's ec2 model, shape ``LaunchTemplateName``).
- ``AWS::EC2::KeyPair.KeyName``: up to 255 ASCII characters (CreateKeyPair ``KeyName``).
- ``AWS::IAM::Policy.PolicyName``: 1 to 128 of ``[\\w+=,.@-]`` (PutRolePolicy; also in the schema).

A stack name has at most 128 characters; a nested stack is named
``<parent>-<logical ID>-<suffix>`` and can use all of them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eks_templates.lint import cfn_lint_findings
from eks_templates.render import render_set, write_set
from tests.builders.helpers import config

LONGEST_STACK_NAME = "S" * 128
#: EC2 refuses a security group name that starts with "sg-"; a stack name may
SG_STACK_NAME = "sg-" + "s" * 125
#: the longest a flat stack's name may be for its launch template names to fit (see
#: validate.flat_launch_template_names): 128 - len("-") - len(NODEGROUP)
FLAT_STACK_NAME = "sg-" + "s" * 61
CLUSTER = "c" * 100  # EKS: a cluster name has 1 to 100 characters
NODEGROUP = "n" * 62 + "1"  # 1 to 63

#: the longest of everything the file names; every builder that makes a name is in it
LONGEST = f"""
metadata: {{name: {CLUSTER}, region: ap-northeast-2}}
deploy: {{stackName: {"d" * 40}}}
iam: {{withOIDC: true}}
bastion: {{enabled: true}}
addons: [{{name: vpc-cni}}, {{name: coredns}}]
fargateProfiles: [{{name: {"f" * 100}, selectors: [{{namespace: jobs}}]}}]
managedNodeGroups:
  - name: {NODEGROUP}
    amiFamily: Ubuntu2404
    ssh:
      allow: true
      publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFYjaewzpICNUdY/SjyT41lyc/Yw14lNp5Kjcb9XOXqS me@example.com"
    iam:
      withAddonPolicies: {{externalDNS: true, certManager: true, ebs: true, albIngress: true,
                           autoScaler: true, cloudWatch: true}}
"""

PSEUDO = {"${AWS::Partition}": "aws", "${AWS::Region}": "ap-northeast-2",
          "${AWS::AccountId}": "111122223333", "${AWS::URLSuffix}": "amazonaws.com"}

#: (resource type, property) -> why the value is refused, or None; the rules the schemas lack
_LAUNCH_TEMPLATE_NAME = re.compile(r"[a-zA-Z0-9().\-/_]{3,128}")
API_RULES = {
    ("AWS::EC2::SecurityGroup", "GroupName"): lambda v: (
        "longer than 255" if len(v) > 255 else "starts with sg-" if v.lower().startswith("sg-") else None),
    ("AWS::EC2::LaunchTemplate", "LaunchTemplateName"): lambda v: (
        None if _LAUNCH_TEMPLATE_NAME.fullmatch(v) else f"{len(v)} characters, not 3 to 128 of [a-zA-Z0-9().-/_]"),
    ("AWS::EC2::KeyPair", "KeyName"): lambda v: (
        None if len(v) <= 255 and v.isascii() else f"{len(v)} characters, not up to 255 ASCII"),
    ("AWS::IAM::Policy", "PolicyName"): lambda v: (
        None if re.fullmatch(r"[\w+=,.@-]{1,128}", v) else f"{len(v)} characters, not 1 to 128 of [\\w+=,.@-]"),
}


def resolve(value: Any, stack_name: str, given: dict[str, str] | None = None) -> Any:
    """``Fn::Sub`` strings with only pseudo parameters in them, as the literal they become;
    ``given``: the literal parameters the root passes the stack (a nodegroup's name), put
    in for their ``Ref`` and ``${...}`` as well."""
    given = given or {}
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in given:
            return given[value["Ref"]]
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"].replace("${AWS::StackName}", stack_name)
            for name, literal in {**PSEUDO, **{"${" + k + "}": v for k, v in given.items()}}.items():
                text = text.replace(name, literal)
            return text if "${" not in text else {"Fn::Sub": text}
        return {k: resolve(v, stack_name, given) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, stack_name, given) for v in value]
    return value


def _literal_parameters(root: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Child file -> the name its (first) stack gets from the root (``NodegroupName``)."""
    from eks_templates.names import NODEGROUP_NAME
    from eks_templates.nesting import child_files

    out: dict[str, dict[str, str]] = {}
    for stack_id, file in child_files(root).items():
        given = root["Resources"][stack_id]["Properties"].get("Parameters") or {}
        out.setdefault(file, {k: v for k, v in given.items() if k == NODEGROUP_NAME.name})
    return out


def _drop_unused(templates: dict[str, dict[str, Any]], root_name: str) -> None:
    """A parameter the resolving left unused: out of the child and of what the root passes it."""
    root = templates[root_name]
    for file, template in templates.items():
        if file == root_name:
            continue
        text = json.dumps({k: v for k, v in template.items() if k != "Parameters"})
        unused = [p for p in template.get("Parameters") or {}
                  if f'{{"Ref": "{p}"}}' not in text and "${" + p + "}" not in text]
        for name in unused:
            del template["Parameters"][name]
        for resource in root["Resources"].values():
            if (resource.get("Properties") or {}).get("TemplateURL") == file:
                for name in unused:
                    resource["Properties"]["Parameters"].pop(name, None)


def resolved_sets(tmp: Path, flat: bool, stack_name: str = LONGEST_STACK_NAME) -> dict[str, dict[str, Any]]:
    """The longest cluster rendered, each template with ``stack_name`` for its stack's name
    (in ``--flat``, :data:`FLAT_STACK_NAME`), and a nodegroup's name (its stack's parameter)
    put in."""
    cfg = config(LONGEST)
    rendered = render_set(cfg, flat=flat)
    given = {} if flat else _literal_parameters(json.loads(rendered.files[rendered.root]))
    out: dict[str, dict[str, Any]] = {}
    for name, text in rendered.files.items():
        out[name] = resolve(json.loads(text), FLAT_STACK_NAME if flat else stack_name, given.get(name))
    if not flat:
        _drop_unused(out, rendered.root)
    write_set(rendered, tmp)
    for name, template in out.items():
        (tmp / name).write_text(json.dumps(template, indent=1))
    return out


@pytest.mark.parametrize(("flat", "stack_name"), [(False, LONGEST_STACK_NAME), (False, SG_STACK_NAME),
                                                  (True, FLAT_STACK_NAME)], ids=["nested", "nested-sg", "flat"])
def test_every_name_fits_what_aws_accepts(tmp_path: Path, flat: bool, stack_name: str):
    templates = resolved_sets(tmp_path, flat, stack_name)
    refused = []
    for file, template in templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            for (kind, prop), rule in API_RULES.items():
                value = resource.get("Properties", {}).get(prop)
                if resource["Type"] == kind and isinstance(value, str) and (why := rule(value)):
                    refused.append(f"{file} {logical_id}.{prop}: {why}")
    assert refused == []
    # the schemas' lengths and patterns (cfn-lint E3031/E3033, E1153 ...) on the resolved names
    findings = cfn_lint_findings(tmp_path, sorted(templates), "ap-northeast-2")
    assert [str(f) for f in findings] == []


def test_the_longest_inputs_really_reach_the_limits(tmp_path: Path):
    """The check above is only worth something if the names really are long."""
    templates = resolved_sets(tmp_path, flat=False)
    child = next(t for name, t in templates.items() if name.startswith("Nodegroup"))
    launch_template = next(r for r in child["Resources"].values() if r["Type"] == "AWS::EC2::LaunchTemplate")
    assert launch_template["Properties"]["LaunchTemplateName"] == LONGEST_STACK_NAME
    key = next(r for r in child["Resources"].values() if r["Type"] == "AWS::EC2::KeyPair")
    assert len(key["Properties"]["KeyName"]) == 128 + 1 + 63
    cluster = next(r for t in templates.values() for r in t.get("Resources", {}).values()
                   if r["Type"] == "AWS::EKS::Cluster")
    assert cluster["Properties"]["Name"] == CLUSTER
    rule = API_RULES[("AWS::EC2::SecurityGroup", "GroupName")]
    assert rule("sg-nodes") and rule("x" * 256) and rule("remoteAccess") is None
