"""A local AWS sandbox for rehearsing deploys: moto plus what our templates need.

moto 5.2.5 lacks CloudFormation models for the EKS types, OIDC providers, key pairs and
egress rules, and its nested-stack and delete handling differs from CloudFormation in
ways that break a cluster's lifecycle. This package adds those models and patches moto
(see ``docs/sandbox.md``). Importing it imports nothing heavy; the moto-facing modules
are :mod:`eks_templates.sandbox.server` (``apply``, ``start``, ``reset``,
``serve_forever``), :mod:`.eks`, :mod:`.ec2_iam`, :mod:`.patches` and :mod:`.ssm_public`;
:mod:`.drift` answers CloudFormation's drift detection, :mod:`.revert_drift` its
drift-aware (``REVERT_DRIFT``) change sets, :mod:`.ec2_rules` and
:mod:`.eks_updates` the EC2 and EKS calls the notes make by hand.
"""
