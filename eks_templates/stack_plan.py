"""The stack plan: which builders share a child stack of the nested set.

Builders stay one concern each; which of them share a template is the assembly's
decision, made here. Builders in one child are wired as the flat template wires
them (``Ref``/``GetAtt`` inside the template); across children through the child's
parameters and outputs (``Fn::GetAtt [Child, Outputs.X]`` in the root).

Why the plan matters: a nested stack's outputs exist only once the whole child is
complete, and CloudFormation starts a child only when every child it takes a value
from is complete. With one child per builder, the control plane waited for the whole
network (NAT gateway and private routes included) and then the whole security stack.
:data:`CRITICAL_PATH` puts network, security groups and control plane in one child:
the cluster starts as soon as its subnets, its groups and its role exist, and the NAT
gateway, private routes, the management host's rules and the generated node key are
made beside it, as in eksctl's single cluster stack. The Fargate profiles have a child of
their own (``FargateStack``), started with the nodegroups when the cluster is complete:
in ``ControlPlaneStack`` (:data:`FARGATE_IN_CONTROL_PLANE`, the layout before) every
nodegroup waited for them. ``bench/critical_path.py`` models the create of these plans
against the floor EKS imposes.

CloudFormation's quotas per template (500 resources, 200 parameters, 200 outputs,
1 MB from S3; AWS CloudFormation User Guide, "Understand CloudFormation quotas")
hold for the merged child: it has fewer parameters than the three children had (the
values that crossed between them are references now) and its resources are the three
builders' (a VPC with six zones and HA NAT is about 50, the security groups about 15,
the control plane with its add-ons and access entries the rest);
troposphere refuses the 501st resource, and ``render`` reports it as a quota error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from eks_templates.builders.base import Builder
from eks_templates.names import CONTROL_PLANE_STACK, FARGATE_STACK, NETWORK_STACK, SECURITY_STACK
from eks_templates.records import Record

#: no joins (a record's default is shared by every instance, so an immutable one)
_NO_JOINS: Mapping[str, str] = MappingProxyType({})


class StackPlan(Record):
    """A partition of the builders into child stacks.

    ``joins`` maps a builder's own child stack (:attr:`Builder.child_id`) to the child
    it is put in instead; a builder not named keeps a child of its own."""

    name: str
    joins: Mapping[str, str] = _NO_JOINS

    def layout(self, builders: Sequence[Builder]) -> dict[str, str]:
        """Each builder's own child (:attr:`Builder.child_id`) -> the child stack it is
        put in. A join applies only when the child it joins is there (a set without a
        control plane keeps its network in a child of its own); builders that create
        no resources (an existing VPC) have no child."""
        own = {builder.child_id for builder in builders if builder.creates_resources}
        out: dict[str, str] = {}
        for builder in builders:
            if builder.creates_resources:
                into = self.joins.get(builder.child_id, builder.child_id)
                out[builder.child_id] = into if into in own else builder.child_id
        return out

    def groups(self, builders: Sequence[Builder]) -> dict[str, list[Builder]]:
        """Child stack -> its builders, both in the builders' (dependency) order."""
        layout = self.layout(builders)
        out: dict[str, list[Builder]] = {}
        for builder in builders:
            if builder.child_id in layout:
                out.setdefault(layout[builder.child_id], []).append(builder)
        return out

    def merged_away(self) -> frozenset[str]:
        """Child stacks of the one-per-builder layout that this plan does not have."""
        return frozenset(child for child, into in self.joins.items() if child != into)


#: One child per builder of the releases before the stack plan: the layout they made
#: (``NetworkStack``, ``SecurityStack``, ``ControlPlaneStack`` with the Fargate profiles,
#: which were the control plane's then, ...). Kept so a stack deployed with it can be
#: recognised (``deploy`` refuses to move it) and for comparison in
#: ``bench/critical_path.py``.
ONE_PER_BUILDER = StackPlan(
    "one child stack per builder (the Fargate profiles in ControlPlaneStack)",
    MappingProxyType({FARGATE_STACK: CONTROL_PLANE_STACK}),
)

#: The layout of the releases between the stack plan and ``FargateStack``: network,
#: security groups, control plane and the Fargate profiles in ``ControlPlaneStack``.
#: Kept so that a stack deployed with it can be rendered and recognised
#: (``deploy/layout.py``) and for comparison in ``bench/critical_path.py``.
FARGATE_IN_CONTROL_PLANE = StackPlan(
    "network, security groups, control plane and Fargate profiles in one child",
    MappingProxyType({NETWORK_STACK: CONTROL_PLANE_STACK, SECURITY_STACK: CONTROL_PLANE_STACK,
                      FARGATE_STACK: CONTROL_PLANE_STACK}),
)

#: Network, security groups and control plane in ``ControlPlaneStack``; every other
#: builder (Fargate profiles, nodegroups, Pod Identity, add-ons that need compute,
#: management host) in a child of its own, started when what it takes from
#: ``ControlPlaneStack`` exists.
CRITICAL_PATH = StackPlan(
    "network, security groups and control plane in one child",
    MappingProxyType({NETWORK_STACK: CONTROL_PLANE_STACK, SECURITY_STACK: CONTROL_PLANE_STACK}),
)

DEFAULT_PLAN = CRITICAL_PATH
