"""The semantic rules, one module per section of the stack file (cfn-lint's one rule per
file and registry, at module granularity). Each rule registers itself into
:data:`~eks_templates.config.rules._base.RULES` with :func:`~eks_templates.config.rules._base.rule`
when its module is imported. The modules are imported here in a FIXED order,
:data:`ORDER`, which is the order the rules run and their problems are reported in,
whichever module a caller imports first. A new module goes into :data:`ORDER`.
"""

from __future__ import annotations

import importlib

from eks_templates.config.rules._base import RULES, Rule, rule

#: The rule modules, in the order their rules run (the order of the sections of the single
#: validate.py they were split from).
ORDER = ("metadata", "network", "access", "nodegroups", "addons", "quotas", "pod_identity", "auto_mode",
         "nodegroup_options")
MODULES = tuple(importlib.import_module(f"{__name__}.{name}") for name in ORDER)

__all__ = ["MODULES", "ORDER", "RULES", "Rule", "rule"]
