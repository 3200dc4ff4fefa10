"""The picture as data: groups (nested stacks, the VPC, its zones), nodes and edges,
read from the rendered templates by :func:`build`.

Pure functions of the templates (plus, for an existing VPC, the zones and CIDRs the
stack file gives its subnets, which no template holds): same templates, same
diagram, in a fixed order. What is drawn:

- the VPC, a group per zone with its public and private subnet (CIDR), the internet
  gateway and the NAT gateways, and the default route of every subnet;
- the EKS control plane (version, endpoint access), each managed nodegroup
  (instance types, capacity type, AMI type, sizes, subnets), the Fargate profiles and
  the management host, each tied to the security groups it wears;
- every security group, and every rule (inline or its own resource) as an edge from
  who may send to who may receive, labelled with protocol and ports; CIDR sources
  and destinations are nodes of their own, ``0.0.0.0/0`` flagged as open;
- the API endpoint's public CIDRs as edges into the control plane.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from eks_templates.diagram.resolve import ROOT, Att, Res, TemplateSet

#: a resource in the set: (child stack logical ID or ROOT, resource logical ID)
Source = tuple[str, str]

OPEN_CIDRS = ("0.0.0.0/0", "::/0")
PROTOCOLS = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
CLUSTER_SG_ATTR = "ClusterSecurityGroupId"


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    #: stack | vpc | zone
    kind: str
    parent: str | None = None


@dataclass(frozen=True)
class Node:
    id: str
    #: vpc | subnet | igw | nat | cidr | sg | cluster | nodegroup | fargate | addons | host | external | removed
    kind: str
    #: first line is the title
    lines: tuple[str, ...]
    group: str | None = None
    sources: tuple[Source, ...] = ()
    danger: bool = False
    #: added | removed | replaced | maybe-replaced | modified | "" (see diagram.changes)
    change: str = ""


@dataclass(frozen=True)
class Edge:
    id: str
    src: str
    dst: str
    #: ingress | egress | default | route | endpoint | wears
    kind: str
    label: str
    sources: tuple[Source, ...] = ()
    danger: bool = False
    change: str = ""


@dataclass
class Diagram:
    title: str
    groups: list[Group] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def add_node(self, node: Node) -> str:
        if self.node(node.id) is None:
            self.nodes.append(node)
        return node.id

    def add_edge(self, edge: Edge) -> None:
        if all(e.id != edge.id for e in self.edges):
            self.edges.append(edge)

    def sorted(self) -> Diagram:
        """Groups, nodes and edges in a fixed order (ids), for byte-identical output."""
        return Diagram(self.title, sorted(self.groups, key=lambda g: g.id),
                       sorted(self.nodes, key=lambda n: n.id), sorted(self.edges, key=lambda e: e.id))

    def restyle(self, node_change: Mapping[str, str], edge_change: Mapping[str, str]) -> Diagram:
        return Diagram(
            self.title, list(self.groups),
            [replace(n, change=node_change.get(n.id, n.change)) for n in self.nodes],
            [replace(e, change=edge_change.get(e.id, e.change)) for e in self.edges],
        )


# --------------------------------------------------------------------------- helpers


def stack_group(stack: str) -> str:
    return "stack:" + (stack or "root")


def rid(stack: str, logical_id: str) -> str:
    return f"{stack or 'root'}/{logical_id}"


def ports(protocol: Any, from_port: Any, to_port: Any) -> str:
    """``tcp 443``, ``tcp 1025-65535``, ``all traffic``, ``icmp all``, ``udp 53``."""
    proto = PROTOCOLS.get(str(protocol), str(protocol).lower())
    if proto == "all":
        return "all traffic"
    if proto in ("icmp", "icmpv6"):
        if from_port in (None, -1, "-1"):
            return f"{proto} all"
        code = "" if to_port in (None, -1, "-1") else f" code {to_port}"
        return f"{proto} type {from_port}{code}"
    if from_port in (None, -1, "-1") and to_port in (None, -1, "-1"):
        return f"{proto} all ports"
    if to_port is None or str(from_port) == str(to_port):
        return f"{proto} {from_port}"
    if str(from_port) == "0" and str(to_port) == "65535":
        return f"{proto} all ports"
    return f"{proto} {from_port}-{to_port}"


def is_open(cidr: str) -> bool:
    return cidr in OPEN_CIDRS


def _zone_short(zone: Any, index: int) -> str:
    if isinstance(zone, str) and zone and zone != "?":
        return zone
    return f"zone {index + 1}"


def _short_zone(zone: str) -> str:
    """``ap-northeast-2a`` -> ``2a`` (the zone group around the subnet names the region)."""
    return zone.rsplit("-", 1)[1] if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", zone) else zone


def _natural(text: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


# --------------------------------------------------------------------------- builder


class _Builder:
    def __init__(self, ts: TemplateSet, title: str, existing_subnets: Mapping[str, tuple[str | None, str | None]]):
        self.ts = ts
        self.d = Diagram(title)
        self.existing = dict(existing_subnets)
        #: Res/str (a subnet id) -> node id
        self.subnet_nodes: dict[Any, str] = {}
        #: subnet node id -> short text ("private ap-northeast-2a")
        self.subnet_text: dict[str, str] = {}
        self.groups_made: set[str] = set()

    # ------------------------------------------------------------------- groups

    def group(self, group: Group) -> str:
        if group.id not in self.groups_made:
            self.groups_made.add(group.id)
            self.d.groups.append(group)
        return group.id

    def stack(self, stack: str) -> str:
        if stack == ROOT:
            return self.group(Group("stack:root", f"{self.d.title} (root stack)", "stack"))
        self.stack(ROOT)
        return self.group(Group(stack_group(stack), stack, "stack", "stack:root"))

    # ------------------------------------------------------------------- network

    def network(self) -> None:
        ts = self.ts
        vpcs = list(ts.of_type("AWS::EC2::VPC"))
        vpc_group = None
        for stack, logical_id, props in vpcs:
            vpc_group = self.group(Group(f"vpc:{rid(stack, logical_id)}",
                                         f"VPC {props.get('CidrBlock', '')}".rstrip(), "vpc",
                                         self.stack(stack)))
        igws: dict[Res, str] = {}
        for stack, logical_id, _props in ts.of_type("AWS::EC2::InternetGateway"):
            igws[Res(stack, logical_id)] = self.d.add_node(Node(
                rid(stack, logical_id), "igw", ("Internet gateway", logical_id),
                vpc_group or self.stack(stack), ((stack, logical_id),)))
        # route tables: table -> [(destination, target node, route source)]
        tables: dict[Res, list[tuple[str, Any, Source]]] = {}
        for stack, logical_id, props in ts.of_type("AWS::EC2::Route"):
            table = ts.value(stack, props.get("RouteTableId"))
            dest = str(ts.value(stack, props.get("DestinationCidrBlock") or props.get("DestinationIpv6CidrBlock")
                                or "?"))
            target = next((ts.value(stack, props[k]) for k in ("GatewayId", "NatGatewayId", "TransitGatewayId",
                                                               "VpcPeeringConnectionId", "NetworkInterfaceId",
                                                               "InstanceId", "VpcEndpointId") if k in props), "?")
            tables.setdefault(table, []).append((dest, target, (stack, logical_id)))
        assoc: dict[Res, list[Res]] = {}
        for stack, _logical_id, props in ts.of_type("AWS::EC2::SubnetRouteTableAssociation"):
            subnet = ts.value(stack, props.get("SubnetId"))
            assoc.setdefault(subnet, []).append(ts.value(stack, props.get("RouteTableId")))

        subnets = list(ts.of_type("AWS::EC2::Subnet"))
        zone_index: dict[str, int] = {}
        for stack, logical_id, props in subnets:
            zone = ts.value(stack, props.get("AvailabilityZone"))
            sres = Res(stack, logical_id)
            routes = [r for t in assoc.get(sres, []) for r in tables.get(t, [])]
            public = any(isinstance(target, Res) and target in igws for _d, target, _s in routes) or \
                bool(props.get("MapPublicIpOnLaunch"))
            kind = "public" if public else "private"
            zone_text = _zone_short(zone, len(zone_index))
            zone_index.setdefault(zone_text, len(zone_index))
            zgroup = self.group(Group(f"zone:{rid(stack, zone_text)}", zone_text, "zone",
                                      vpc_group or self.stack(stack)))
            node_id = rid(stack, logical_id)
            lines = [f"{kind} subnet", str(props.get("CidrBlock") or props.get("Ipv6CidrBlock") or "")]
            if not routes:
                lines.append("no default route")
            self.d.add_node(Node(node_id, "subnet", tuple(x for x in lines if x), zgroup, ((stack, logical_id),)))
            self.subnet_nodes[sres] = node_id
            self.subnet_text[node_id] = f"{kind} {zone_text}"
            for dest, target, source in sorted(routes, key=lambda r: (r[0], r[2])):
                target_id = self._route_target(target, zgroup)
                self.d.add_edge(Edge(f"route:{node_id}:{rid(*source)}", node_id, target_id, "route", dest, (source,)))
        # NAT gateways sit in a public subnet's zone
        for stack, logical_id, props in ts.of_type("AWS::EC2::NatGateway"):
            subnet = ts.value(stack, props.get("SubnetId"))
            node_id = rid(stack, logical_id)
            where = self.subnet_nodes.get(subnet)
            subnet_node = self.d.node(where) if where else None
            group = subnet_node.group if subnet_node else (vpc_group or self.stack(stack))
            kind = str(props.get("ConnectivityType", "public"))
            self.d.add_node(Node(node_id, "nat", ("NAT gateway", f"in {self.subnet_text.get(where or '', '?')}",
                                                  "" if kind == "public" else kind), group, ((stack, logical_id),)))
            self.d.nodes = [replace(n, lines=tuple(x for x in n.lines if x)) if n.id == node_id else n
                            for n in self.d.nodes]
        for res, igw in sorted(igws.items()):
            self.d.add_edge(Edge(f"route:{igw}:internet", igw, self.cidr("0.0.0.0/0"), "route", "to the internet",
                                 ((res.stack, res.logical_id),)))
        if not vpcs:
            self._existing_network()

    def _route_target(self, target: Any, zgroup: str) -> str:
        if isinstance(target, Res):
            return rid(target.stack, target.logical_id)
        node_id = f"external:{target}"
        return self.d.add_node(Node(node_id, "external", (str(target),), None))

    def _existing_network(self) -> None:
        """No VPC in the templates (``vpc.id``): the ids the root passes in, grouped by the
        root's PublicSubnetIds / PrivateSubnetIds outputs; zones and CIDRs as the stack file says."""
        root = self.ts.templates.get(ROOT, {})
        outputs = root.get("Outputs") or {}
        vpc_id = self.ts.value(ROOT, (outputs.get("VpcId") or {}).get("Value", "?"))
        vpc_group = self.group(Group(f"vpc:{vpc_id}", f"existing VPC {vpc_id} (not managed by this stack)", "vpc",
                                     self.stack(ROOT)))
        for kind in ("public", "private"):
            ids = self.ts.value(ROOT, (outputs.get(f"{kind.capitalize()}SubnetIds") or {}).get("Value", ""))
            ids = ids.split(",") if isinstance(ids, str) else list(ids or [])
            for i, subnet_id in enumerate(x for x in ids if x):
                zone, cidr = self.existing.get(subnet_id, (None, None))
                zone_text = zone or f"zone {i + 1}"
                zgroup = self.group(Group(f"zone:existing/{zone_text}", zone_text, "zone", vpc_group))
                node_id = f"existing/{subnet_id}"
                lines = (f"{kind} subnet", subnet_id, *((cidr,) if cidr else ()))
                self.d.add_node(Node(node_id, "subnet", lines, zgroup))
                self.subnet_nodes[subnet_id] = node_id
                self.subnet_text[node_id] = f"{kind} {zone_text}"

    def subnets_text(self, values: Any) -> str:
        items = values if isinstance(values, list) else [values]
        texts = sorted({self.subnet_text.get(self.subnet_nodes.get(v, ""), str(v)) for v in items}, key=_natural)
        by_kind: dict[str, list[str]] = {}
        for t in texts:
            kind, _, zone = t.partition(" ")
            by_kind.setdefault(kind, []).append(_short_zone(zone))
        return "; ".join(f"{k} {', '.join(z)}" if z and z != [""] else k for k, z in sorted(by_kind.items()))

    # ------------------------------------------------------------------- CIDRs, security groups

    def cidr(self, cidr: str) -> str:
        node_id = f"cidr:{cidr}"
        if self.d.node(node_id) is None:
            if is_open(cidr):
                lines: tuple[str, ...] = (cidr, "anyone on the internet")
            else:
                try:
                    net = ipaddress.ip_network(cidr, strict=False)
                    rfc1918 = isinstance(net, ipaddress.IPv4Network) and any(
                        net.subnet_of(ipaddress.IPv4Network(p)) for p in RFC1918)
                    where = "private addresses (RFC 1918)" if rfc1918 else f"{net.num_addresses} addresses"
                except (ValueError, TypeError):
                    where = ""
                lines = (cidr, where) if where else (cidr,)
            self.d.add_node(Node(node_id, "cidr", lines, None, (), is_open(cidr)))
        return node_id

    def sg_node(self, stack: str, value: Any) -> str:
        """The node of the security group ``value`` (resolved in ``stack``)."""
        value = self.ts.value(stack, value) if not isinstance(value, (Res, Att, str)) else value
        if isinstance(value, Res):
            return rid(value.stack, value.logical_id)
        if isinstance(value, Att) and value.attribute == CLUSTER_SG_ATTR:
            node_id = rid(value.stack, value.logical_id) + ".ClusterSecurityGroup"
            if self.d.node(node_id) is None:
                self.d.add_node(Node(
                    node_id, "sg", ("ClusterSecurityGroup", "created by EKS: eks-cluster-sg-*",
                                    "on the control-plane ENIs and every managed node"),
                    self.stack(value.stack), ((value.stack, value.logical_id),)))
                # EKS creates it allowing all traffic from itself (EKS user guide, "View Amazon EKS
                # security group requirements for clusters": default inbound rule)
                self.d.add_edge(Edge(f"default:{node_id}", node_id, node_id, "default",
                                     "all traffic (EKS default)", ((value.stack, value.logical_id),)))
            return node_id
        node_id = f"external:{value}"
        return self.d.add_node(Node(node_id, "external", (str(value), "security group outside this stack"), None))

    def security_groups(self) -> None:
        ts = self.ts
        for stack, logical_id, props in ts.of_type("AWS::EC2::SecurityGroup"):
            node_id = rid(stack, logical_id)
            lines = [logical_id]
            desc = str(ts.value(stack, props.get("GroupDescription")) or "")  # an Fn::Sub of the nodegroup's name
            if desc:
                lines.append(_wrap(desc, 44))
            # AWS::EC2::SecurityGroup: "the default rule is removed only when you specify one or
            # more egress rules in the SecurityGroupEgress property" (CloudFormation user guide)
            if "SecurityGroupEgress" not in props:
                lines.append("outbound: all traffic (EC2 default)")
            self.d.add_node(Node(node_id, "sg", tuple(lines), self.stack(stack), ((stack, logical_id),)))
        for stack, logical_id, props in ts.of_type("AWS::EC2::SecurityGroup"):
            group = rid(stack, logical_id)
            for i, rule in enumerate(props.get("SecurityGroupIngress") or []):
                self.rule(stack, f"{logical_id}[in {i}]", (stack, logical_id), group, rule, "ingress")
            for i, rule in enumerate(props.get("SecurityGroupEgress") or []):
                self.rule(stack, f"{logical_id}[out {i}]", (stack, logical_id), group, rule, "egress")
        for stack, logical_id, props in ts.of_type("AWS::EC2::SecurityGroupIngress"):
            self.rule(stack, logical_id, (stack, logical_id), self.sg_node(stack, props.get("GroupId")), props,
                      "ingress")
        for stack, logical_id, props in ts.of_type("AWS::EC2::SecurityGroupEgress"):
            self.rule(stack, logical_id, (stack, logical_id), self.sg_node(stack, props.get("GroupId")), props,
                      "egress")

    def rule(self, stack: str, name: str, source: Source, group: str, rule: Mapping[str, Any], kind: str) -> None:
        ts = self.ts
        label = ports(ts.value(stack, rule.get("IpProtocol")), ts.value(stack, rule.get("FromPort")),
                      ts.value(stack, rule.get("ToPort")))
        if kind == "ingress":
            peer_keys = ("SourceSecurityGroupId", "CidrIp", "CidrIpv6", "SourcePrefixListId")
        else:
            peer_keys = ("DestinationSecurityGroupId", "CidrIp", "CidrIpv6", "DestinationPrefixListId")
        peer_key = next((k for k in peer_keys if k in rule), None)
        if peer_key is None:
            peer = self.d.add_node(Node("external:?", "external", ("unknown peer",), None))
            danger = False
        elif peer_key.endswith("SecurityGroupId"):
            peer = self.sg_node(stack, rule[peer_key])
            danger = False
        elif peer_key.startswith("Cidr"):
            cidr = str(ts.value(stack, rule[peer_key]))
            peer = self.cidr(cidr)
            danger = is_open(cidr) and kind == "ingress"
        else:
            pl = str(ts.value(stack, rule[peer_key]))
            peer = self.d.add_node(Node(f"external:{pl}", "external", (pl, "prefix list"), None))
            danger = False
        src, dst = (peer, group) if kind == "ingress" else (group, peer)
        text = label if kind == "ingress" else f"out: {label}"
        self.d.add_edge(Edge(f"rule:{rid(stack, name)}", src, dst, kind, text, (source,), danger))

    # ------------------------------------------------------------------- compute

    def wears(self, node_id: str, groups: list[Any], stack: str, source: Source) -> None:
        for value in groups:
            sg = self.sg_node(stack, value)
            self.d.add_edge(Edge(f"wears:{node_id}:{sg}", node_id, sg, "wears", "", (source,)))

    def control_plane(self) -> None:
        ts = self.ts
        for stack, logical_id, props in ts.of_type("AWS::EKS::Cluster"):
            node_id = rid(stack, logical_id)
            vpc = props.get("ResourcesVpcConfig") or {}
            public = ts.value(stack, vpc.get("EndpointPublicAccess", True)) in (True, "true")
            private = ts.value(stack, vpc.get("EndpointPrivateAccess", False)) in (True, "true")
            cidrs = [str(c) for c in ts.value(stack, vpc.get("PublicAccessCidrs") or ["0.0.0.0/0"])] if public else []
            name = ts.value(stack, props.get("Name", logical_id))
            access = " + ".join(x for x in (f"public ({', '.join(cidrs)})" if public else "", "private" if private
                                             else "") if x)
            lines = [f"EKS control plane {name}",
                     f"Kubernetes {ts.value(stack, props.get('Version', ''))}".strip(),
                     f"API endpoint: {access or 'none'}",
                     f"ENIs in: {self.subnets_text(ts.value(stack, vpc.get('SubnetIds') or []))}"]
            if "ComputeConfig" in props:
                lines.append("Auto Mode compute")
            self.d.add_node(Node(node_id, "cluster", tuple(lines), self.stack(stack), ((stack, logical_id),),
                                 any(is_open(c) for c in cidrs)))
            for cidr in cidrs:
                self.d.add_edge(Edge(f"endpoint:{node_id}:{cidr}", self.cidr(cidr), node_id, "endpoint",
                                     "tcp 443 public API", ((stack, logical_id),), is_open(cidr)))
            groups = ts.value(stack, vpc.get("SecurityGroupIds") or [])
            self.wears(node_id, [*groups, Att(stack, logical_id, CLUSTER_SG_ATTR)], stack, (stack, logical_id))

    def nodegroups(self) -> None:
        ts = self.ts
        for stack, logical_id, props in ts.of_type("AWS::EKS::Nodegroup"):
            node_id = rid(stack, logical_id)
            scaling = props.get("ScalingConfig") or {}
            size = {k: ts.value(stack, scaling.get(k, "?")) for k in ("DesiredSize", "MinSize", "MaxSize")}
            types = ts.value(stack, props.get("InstanceTypes") or [])
            capacity = ts.value(stack, props.get("CapacityType", "ON_DEMAND"))
            lines = [f"nodegroup {ts.value(stack, props.get('NodegroupName', logical_id))}",
                     f"{', '.join(map(str, types)) or 'default type'}  {capacity}",
                     f"AMI {ts.value(stack, props['AmiType'])}" if "AmiType" in props else "AMI: launch template's",
                     f"{size['DesiredSize']} nodes (min {size['MinSize']}, max {size['MaxSize']})",
                     f"subnets: {self.subnets_text(ts.value(stack, props.get('Subnets') or []))}"]
            sources: list[Source] = [(stack, logical_id)]
            groups: list[Any] = []
            template = ts.value(stack, (props.get("LaunchTemplate") or {}).get("Id"))
            if isinstance(template, Res):
                sources.append((template.stack, template.logical_id))
                lt = ts.resources(template.stack).get(template.logical_id, {})
                data = (lt.get("Properties") or {}).get("LaunchTemplateData") or {}
                groups = list(ts.value(template.stack, data.get("SecurityGroupIds") or []))
                if "AmiType" not in props and "ImageId" in data:
                    image = str(ts.value(template.stack, data["ImageId"]))
                    lines[2] = "AMI " + image.removeprefix("/aws/service/").removesuffix("/ami-id")
            remote = props.get("RemoteAccess") or {}
            groups += list(ts.value(stack, remote.get("SourceSecurityGroups") or []))
            self.d.add_node(Node(node_id, "nodegroup", tuple(lines), self.stack(stack), tuple(sources)))
            self.wears(node_id, groups, stack, (stack, logical_id))

    def fargate(self) -> None:
        ts = self.ts
        cluster_sg: dict[str, str] = {}
        for stack, logical_id, _props in ts.of_type("AWS::EKS::Cluster"):
            cluster_sg[logical_id] = self.sg_node(stack, Att(stack, logical_id, CLUSTER_SG_ATTR))
        for stack, logical_id, props in ts.of_type("AWS::EKS::FargateProfile"):
            node_id = rid(stack, logical_id)
            selectors = []
            for sel in props.get("Selectors") or []:
                labels = ",".join(f"{lb['Key']}={lb['Value']}" for lb in sel.get("Labels") or [])
                selectors.append(f"{sel.get('Namespace', '?')}" + (f" [{labels}]" if labels else ""))
            lines = (f"Fargate profile {ts.value(stack, props.get('FargateProfileName', logical_id))}",
                     f"pods in: {', '.join(selectors)}",
                     f"subnets: {self.subnets_text(ts.value(stack, props.get('Subnets') or []))}")
            self.d.add_node(Node(node_id, "fargate", lines, self.stack(stack), ((stack, logical_id),)))
            # Fargate pods get the cluster security group (EKS user guide, "Get started with
            # AWS Fargate": "the cluster security group ... is applied to Fargate Pods")
            cluster = ts.value(stack, props.get("ClusterName"))
            sg = cluster_sg.get(cluster.logical_id) if isinstance(cluster, Res) else None
            if sg:
                self.d.add_edge(Edge(f"wears:{node_id}:{sg}", node_id, sg, "wears", "", ((stack, logical_id),)))

    def addons(self) -> None:
        """One node per stack listing its EKS add-ons (they hold no network rules)."""
        by_stack: dict[str, list[tuple[str, str]]] = {}
        for stack, logical_id, props in self.ts.of_type("AWS::EKS::Addon"):
            by_stack.setdefault(stack, []).append((str(self.ts.value(stack, props.get("AddonName", logical_id))),
                                                   logical_id))
        for stack, items in sorted(by_stack.items()):
            names = sorted(name for name, _ in items)
            self.d.add_node(Node(rid(stack, "Addons"), "addons", ("EKS add-ons", _wrap(", ".join(names), 44)),
                                 self.stack(stack), tuple((stack, lid) for _, lid in sorted(items))))

    def hosts(self) -> None:
        ts = self.ts
        for stack, logical_id, props in ts.of_type("AWS::EC2::Instance"):
            node_id = rid(stack, logical_id)
            nics = props.get("NetworkInterfaces") or []
            nic = nics[0] if nics else {}
            subnet = ts.value(stack, nic.get("SubnetId") or props.get("SubnetId"))
            groups = list(ts.value(stack, nic.get("GroupSet") or props.get("SecurityGroupIds") or []))
            public_ip = ts.value(stack, nic.get("AssociatePublicIpAddress", False)) in (True, "true")
            tags = {t.get("Key"): t.get("Value") for t in props.get("Tags") or [] if isinstance(t, dict)}
            lines = (str(tags.get("Name") or logical_id), f"{ts.value(stack, props.get('InstanceType', ''))}",
                     f"subnet: {self.subnets_text(subnet)}",
                     "public IP address" if public_ip else "no public IP (Session Manager)")
            self.d.add_node(Node(node_id, "host", lines, self.stack(stack), ((stack, logical_id),)))
            self.wears(node_id, groups, stack, (stack, logical_id))


def _wrap(text: str, width: int) -> str:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return "\n".join(lines)


def build(ts: TemplateSet, title: str,
          existing_subnets: Mapping[str, tuple[str | None, str | None]] | None = None) -> Diagram:
    """The diagram of the nested set ``ts``; ``existing_subnets`` maps a subnet id the
    stack file names (``vpc.subnets``) to its (zone, CIDR) as the file gives them."""
    b = _Builder(ts, title, existing_subnets or {})
    for stack in ts.stacks():
        if stack != ROOT:
            b.stack(stack)
    b.network()
    b.security_groups()
    b.control_plane()
    b.nodegroups()
    b.fargate()
    b.addons()
    b.hosts()
    return b.d.sorted()


def existing_subnets(config: Any) -> dict[str, tuple[str | None, str | None]]:
    """Subnet id -> (zone, CIDR) from ``vpc.subnets`` of a stack file with ``vpc.id``."""
    out: dict[str, tuple[str | None, str | None]] = {}
    subnets = getattr(getattr(config, "vpc", None), "subnets", None)
    for kind in ("public", "private"):
        for name, spec in sorted((getattr(subnets, kind, None) or {}).items()):
            if spec.id:
                zone = spec.az or (name if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", name) else None)
                out[spec.id] = (zone, spec.cidr)
    return out
