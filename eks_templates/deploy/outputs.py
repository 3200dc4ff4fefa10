"""A deployed stack's outputs: the endpoint, the security groups, the kubeconfig
command and (with a generated node key) the command that fetches the nodes' SSH key
first (what the notes read off the console), then all of them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eks_templates.deploy.digest import OUTPUT as DIGEST_OUTPUT
from eks_templates.deploy.stack_state import describe_stack
from eks_templates.errors import UserError
from eks_templates.names import (
    KEY_PARAMETER_PREFIX,
    NODE_KEY_PAIR_ID,
    OUTPUT_CLUSTER_NAME,
    OUTPUT_ENDPOINT,
    OUTPUT_KUBECONFIG,
)

SECURITY_GROUP_SUFFIX = "SecurityGroupId"


def stack_outputs(stack: Mapping[str, Any]) -> dict[str, str]:
    return {str(o["OutputKey"]): str(o.get("OutputValue", "")) for o in stack.get("Outputs") or []}


def kubeconfig_command(outputs: Mapping[str, str], region: str) -> str | None:
    if outputs.get(OUTPUT_KUBECONFIG):
        return outputs[OUTPUT_KUBECONFIG]
    if outputs.get(OUTPUT_CLUSTER_NAME):
        return f"aws eks update-kubeconfig --name {outputs[OUTPUT_CLUSTER_NAME]} --region {region}"
    return None


def node_key_command(outputs: Mapping[str, str], region: str) -> str | None:
    """The command that writes the nodes' generated SSH key to ``key.pem`` (for SSH from a
    machine other than the management host, which installs it itself), or ``None``."""
    key_pair_id = outputs.get(NODE_KEY_PAIR_ID.name)
    if not key_pair_id:
        return None
    return (f"aws ssm get-parameter --region {region} --name {KEY_PARAMETER_PREFIX}{key_pair_id} "
            "--with-decryption --query Parameter.Value --output text > key.pem && chmod 0600 key.pem")


def format_outputs(stack_name: str, status: str, region: str, outputs: Mapping[str, str]) -> str:
    """The summary (cluster, endpoint, security groups, kubeconfig, node key), then every
    other output; each output is printed once, and ``deploy``'s own ``TemplatesDigest``
    (what tells a redeploy nothing changed) not at all (``--json`` has them all)."""
    lines = [f"Stack {stack_name} ({status}) in {region}"]
    shown: set[str] = {DIGEST_OUTPUT}
    if outputs.get(OUTPUT_CLUSTER_NAME):
        lines.append(f"  Cluster:          {outputs[OUTPUT_CLUSTER_NAME]}")
        shown.add(OUTPUT_CLUSTER_NAME)
    if outputs.get(OUTPUT_ENDPOINT):
        lines.append(f"  Endpoint:         {outputs[OUTPUT_ENDPOINT]}")
        shown.add(OUTPUT_ENDPOINT)
    groups = {k: v for k, v in sorted(outputs.items()) if k.endswith(SECURITY_GROUP_SUFFIX)}
    if groups:
        lines.append("  Security groups:")
        width = max(len(k) for k in groups)
        lines += [f"    {k:<{width}}  {v}" for k, v in groups.items()]
        shown |= set(groups)
    command = kubeconfig_command(outputs, region)
    if command:
        lines.append(f"  Kubeconfig:       {command}")
        shown.add(OUTPUT_KUBECONFIG)
    key_command = node_key_command(outputs, region)
    if key_command:
        lines.append(f"  Node SSH key:     {key_command}")
    rest = {k: v for k, v in sorted(outputs.items()) if k not in shown}
    if rest:
        lines.append("Other outputs:")
        width = max(len(k) for k in rest)
        lines += [f"  {k:<{width}}  {v}" for k, v in rest.items()]
    elif not set(outputs) - {DIGEST_OUTPUT}:
        lines.append("  (no outputs)")
    return "\n".join(lines)


def show(cfn: Any, stack_name: str, region: str, *, as_json: bool = False) -> str:
    stack = describe_stack(cfn, stack_name)
    if stack is None or stack.get("StackStatus") == "DELETE_COMPLETE":
        raise UserError(f"stack {stack_name} does not exist in {region}")
    outputs = stack_outputs(stack)
    if as_json:
        return json.dumps(outputs, indent=2, sort_keys=True)
    return format_outputs(stack_name, str(stack["StackStatus"]), region, outputs)
