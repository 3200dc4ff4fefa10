"""Deploying the rendered templates with boto3: package to S3, change sets, progress,
failure reasons, scale, outputs, delete.

Layered, one concern per module (lower ones never import higher ones)::

    flow, scale, delete          orchestration (what the commands call)
    watch, plan_view, outputs    events and progress, the plan as text, outputs as text
    changeset, package, policy   change sets, S3 packaging, stack policy / termination protection
    stack_state, params          what state a stack is in; which value each parameter gets
    session, ui                  boto3 session and clients; terminal and clock

Nothing under ``eks_templates.render``/``config``/``builders`` imports this package,
so rendering never loads boto3.
"""
