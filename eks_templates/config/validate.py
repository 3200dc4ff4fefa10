"""Semantic checks of a loaded stack file: what pydantic's types cannot say.

The public entry point: :func:`check` runs every rule. The rules live in
:mod:`eks_templates.config.rules`, one module per section of the stack file, one function
per rule, registered with :func:`~eks_templates.config.rules.rule`; each yields
:class:`~eks_templates.config.problems.Problem` objects naming the YAML path, saying
what is wrong and what is allowed. Rules read the config only (no AWS, no files);
``today`` is passed in so the version-support rule is testable.

The aim: every mistake that would otherwise surface as a CloudFormation rollback
twenty minutes into a deploy is caught here, offline, with one clear line.

Decisions worth knowing (the README repeats them):

- ``cloudWatch.clusterLogging.enableTypes``: eksctl's ``all`` and ``*`` are refused
  with a hint; the default already enables every type, and the template needs the
  real names.
- A private-only API endpoint in a VPC this stack creates needs ``bastion.enabled``:
  nothing else can reach inside a new VPC. In an existing VPC (``vpc.id``) a VPN or
  peering may exist, so there it is a warning.
- Label keys under ``kubernetes.io``/``k8s.io`` are refused except the ones the
  kubelet may set on its own node (Kubernetes' NodeRestriction admission).
"""

from __future__ import annotations

import datetime as _dt

from eks_templates.config.model import ClusterConfig
from eks_templates.config.problems import Problem
from eks_templates.config.rules import RULES, Rule, rule

__all__ = ["RULES", "Rule", "check", "rule"]


def check(config: ClusterConfig, *, today: _dt.date) -> list[Problem]:
    """Every problem that every rule finds, in rule order."""
    return [problem for fn in RULES for problem in fn(config, today)]
