"""`diagram`: the SVG checked structurally against the templates it was drawn from for
every stack file (and the existing-VPC strategy), a new rule in the templates as a new
edge, the command's formats and errors, the README's pictures, and the SVG opened in
headless Chromium. The golden DOT/Mermaid files and docs/*.svg: tests/test_golden.py."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from eks_templates import diagram
from eks_templates.config import load_stack
from eks_templates.diagram.dot import INSTALL_HINT, svg_id
from eks_templates.diagram.resolve import ROOT, TemplateSet
from eks_templates.render import render_set
from tests.support import REPO, STACKS, run_cli

GOLDEN = Path(__file__).parent / "golden_diagram"
EXISTING_VPC = GOLDEN / "_inputs" / "existing-vpc.yaml"
DIAGRAM_STACKS = [*STACKS, EXISTING_VPC]
IDS = [s.stem for s in DIAGRAM_STACKS]
SVG = "{http://www.w3.org/2000/svg}"
DOCS = {"myeks": REPO / "docs" / "myeks.svg", "myeks-private": REPO / "docs" / "myeks-private.svg"}

def _draw(stack: Path) -> tuple[Any, Any]:
    config = load_stack(str(stack), on_warning=None)
    rendered = render_set(config)
    return rendered, diagram.from_rendered(rendered, config)


# --------------------------------------------------------------------------- determinism
# (the golden DOT/Mermaid files and docs/*.svg are checked in tests/test_golden.py, so that
# `pytest tests/test_golden.py --update-golden` rewrites them with the templates)


def test_same_stack_same_bytes():
    """Two independent renders and drawings of the same file: byte-identical DOT and Mermaid."""
    stack = REPO / "stacks" / "platform.yaml"
    first, second = _draw(stack)[1], _draw(stack)[1]
    assert diagram.to_dot(first) == diagram.to_dot(second)
    assert diagram.to_mermaid(first) == diagram.to_mermaid(second)


# --------------------------------------------------------------------------- what the templates say


def _expected_ports(rule: dict[str, Any]) -> str:
    """The label a rule must carry, worked out here independently of the diagram code."""
    proto = {"-1": "all", "6": "tcp", "17": "udp", "1": "icmp"}.get(str(rule["IpProtocol"]), rule["IpProtocol"])
    if proto == "all":
        return "all traffic"
    low, high = rule.get("FromPort"), rule.get("ToPort")
    return f"{proto} {low}" if low == high else f"{proto} {low}-{high}"


def _template_facts(rendered: Any) -> dict[str, Any]:
    """Every security group, rule and subnet in the rendered set, read straight from the JSON."""
    ts = TemplateSet.from_files(rendered.files, rendered.root)
    groups, rules, subnets = [], [], []
    for stack in ts.stacks():
        for logical_id, res in sorted(ts.resources(stack).items()):
            props = res.get("Properties") or {}
            where = f"{stack or 'root'}/{logical_id}"
            if res["Type"] == "AWS::EC2::SecurityGroup":
                groups.append((where, logical_id))
                for i, rule in enumerate(props.get("SecurityGroupIngress") or []):
                    rules.append((f"{where}[in {i}]", _expected_ports(rule)))
                for i, rule in enumerate(props.get("SecurityGroupEgress") or []):
                    rules.append((f"{where}[out {i}]", "out: " + _expected_ports(rule)))
            elif res["Type"] == "AWS::EC2::SecurityGroupIngress":
                rules.append((where, _expected_ports(props)))
            elif res["Type"] == "AWS::EC2::SecurityGroupEgress":
                rules.append((where, "out: " + _expected_ports(props)))
            elif res["Type"] == "AWS::EC2::Subnet":
                subnets.append((where, props["CidrBlock"]))
            elif res["Type"] == "AWS::EKS::Cluster":
                groups.append((f"{where}.ClusterSecurityGroup", "ClusterSecurityGroup"))
    if not any(r["Type"] == "AWS::EC2::VPC" for s in ts.stacks() for r in ts.resources(s).values()):
        outputs = ts.templates[ROOT]["Outputs"]
        for key in ("PublicSubnetIds", "PrivateSubnetIds"):
            subnets += [(f"existing/{sid}", sid) for sid in outputs[key]["Value"].split(",")]
    return {"groups": groups, "rules": rules, "subnets": subnets}


def _svg_index(svg: bytes) -> dict[str, str]:
    """SVG element id -> all text inside it (node and edge groups that Graphviz wrote)."""
    root = ET.fromstring(svg)
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") in ("node", "edge") and g.get("id"):
            out[g.get("id", "")] = " ".join(" ".join(t.itertext()) for t in g.iter(f"{SVG}text"))
    return out


@pytest.mark.parametrize("stack", DIAGRAM_STACKS, ids=IDS)
def test_svg_has_every_security_group_rule_and_subnet(stack: Path):
    rendered, drawn = _draw(stack)
    facts = _template_facts(rendered)
    # the five groups of the notes; Auto Mode (no management host, no nodegroup) has EKS's cluster
    # group and our two only
    assert len(facts["groups"]) >= (3 if stack.stem == "automode" else 5) and facts["rules"] and facts["subnets"]
    index = _svg_index(diagram.output(drawn, "svg"))
    for where, name in facts["groups"]:
        element = svg_id(where, "n-")
        assert element in index, f"security group {where} is not drawn"
        assert name in index[element]
    for where, label in facts["rules"]:
        element = svg_id(f"rule:{where}", "e-")
        assert element in index, f"rule {where} is not drawn as an edge"
        assert index[element] == label, f"rule {where}: label {index[element]!r}, expected {label!r}"
    for where, text in facts["subnets"]:
        element = svg_id(where, "n-")
        assert element in index, f"subnet {where} is not drawn"
        assert text in index[element]


def test_svg_check_would_see_a_missing_rule():
    """The structural check is not blind: an SVG drawn without one rule fails it."""
    rendered, drawn = _draw(REPO / "stacks" / "myeks.yaml")
    drawn.edges = [e for e in drawn.edges if e.id != "rule:ControlPlaneStack/IngressNodeToControlPlaneSG"]
    index = _svg_index(diagram.output(drawn, "svg"))
    missing = [w for w, _ in _template_facts(rendered)["rules"] if svg_id(f"rule:{w}", "e-") not in index]
    assert missing == ["ControlPlaneStack/IngressNodeToControlPlaneSG"]


# --------------------------------------------------------------------------- rules become edges


def test_a_new_rule_in_the_templates_is_a_new_edge():
    rendered, before = _draw(REPO / "stacks" / "myeks.yaml")
    ts = TemplateSet.from_files(rendered.files, rendered.root)
    templates = copy.deepcopy(ts.templates)
    templates["ControlPlaneStack"]["Resources"]["IngressOfficeToControlPlane"] = {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {"GroupId": {"Ref": "ControlPlaneSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 8443,
                       "ToPort": 8443, "CidrIp": "10.1.0.0/16"},
    }
    after = diagram.build(TemplateSet(templates), "myeks")
    added = {e.id for e in after.edges} - {e.id for e in before.edges}
    assert added == {"rule:ControlPlaneStack/IngressOfficeToControlPlane"}
    edge = next(e for e in after.edges if e.id in added)
    assert (edge.src, edge.dst, edge.label, edge.danger) == (
        "cidr:10.1.0.0/16", "ControlPlaneStack/ControlPlaneSecurityGroup", "tcp 8443", False)
    assert after.node("cidr:10.1.0.0/16") is not None


def test_a_rule_from_the_stack_file_crosses_stacks(tmp_path: Path):
    """ssh.sourceSecurityGroupIds in the file: a rule in the nodegroup's stack from a group
    outside the cluster, drawn from that group to the nodegroup's SSH group."""
    text = (REPO / "stacks" / "myeks.yaml").read_text().replace(
        "      allow: true", "      allow: true\n      sourceSecurityGroupIds: [sg-0aaaabbbbccccdddd]", 1)
    path = tmp_path / "extra.yaml"
    path.write_text(text)
    _, drawn = _draw(path)
    edges = [e for e in drawn.edges if e.src == "external:sg-0aaaabbbbccccdddd"]
    assert [(e.dst, e.label) for e in edges] == [("NodegroupMyeksNodegroupStack/SSH", "tcp 22")]


def test_open_ingress_stands_out():
    rendered, _ = _draw(REPO / "stacks" / "myeks.yaml")
    ts = TemplateSet.from_files(rendered.files, rendered.root)
    templates = copy.deepcopy(ts.templates)
    templates["ControlPlaneStack"]["Resources"]["IngressWorldSSH"] = {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {"GroupId": {"Ref": "ManagementHostSecurityGroup"}, "IpProtocol": "tcp", "FromPort": 22,
                       "ToPort": 22, "CidrIp": "0.0.0.0/0"},
    }
    drawn = diagram.build(TemplateSet(templates), "myeks")
    edge = next(e for e in drawn.edges if e.id == "rule:ControlPlaneStack/IngressWorldSSH")
    assert edge.danger and edge.src == "cidr:0.0.0.0/0"
    dot = diagram.to_dot(drawn)
    line = next(x for x in dot.splitlines() if "e-rule_ControlPlaneStack_IngressWorldSSH" in x)
    assert 'color="#e53e3e"' in line and 'penwidth="3"' in line
    node = drawn.node("cidr:0.0.0.0/0")
    assert node is not None and node.danger


def test_the_picture_of_the_notes_cluster():
    """myeks: what section 5 of the notes lists, with who may reach whom."""
    _, drawn = _draw(REPO / "stacks" / "myeks.yaml")
    sgs = sorted(n.lines[0] for n in drawn.nodes if n.kind == "sg")
    assert sgs == ["ClusterSecurityGroup", "ClusterSharedNodeSecurityGroup", "ControlPlaneSecurityGroup",
                   "ManagementHostSecurityGroup", "SSH"]
    rules = {(e.src.split("/")[-1], e.dst.split("/")[-1], e.label) for e in drawn.edges
             if e.kind in ("ingress", "egress")}
    assert ("ClusterSharedNodeSecurityGroup", "ControlPlaneSecurityGroup", "tcp 443") in rules
    assert ("ManagementHostSecurityGroup", "SSH", "tcp 22") in rules
    assert ("ManagementHostSecurityGroup", "ClusterSharedNodeSecurityGroup", "all traffic") in rules
    assert ("ManagementHostSecurityGroup", "cidr:0.0.0.0", "out: tcp 443") not in rules  # the CIDR keeps its /0
    cluster = drawn.node("ControlPlaneStack/ControlPlane")
    assert cluster is not None and cluster.danger
    assert "API endpoint: public (0.0.0.0/0) + private" in cluster.lines
    ng = drawn.node("NodegroupMyeksNodegroupStack/ManagedNodeGroup")
    assert ng is not None and ng.lines[1:] == ("t3.medium  ON_DEMAND", "AMI AL2023_x86_64_STANDARD",
                                               "2 nodes (min 2, max 2)", "subnets: private 2a, 2c")
    routes = {(e.src.split("/")[-1], e.dst.split("/")[-1]) for e in drawn.edges if e.kind == "route"}
    assert ("SubnetPrivateAPNORTHEAST2A", "NATGateway") in routes
    assert ("SubnetPublicAPNORTHEAST2C", "InternetGateway") in routes
    host = drawn.node("BastionStack/ManagementHost")
    assert host is not None and "subnet: public 2a" in host.lines and "public IP address" in host.lines
    stacks = {g.label for g in drawn.groups if g.kind == "stack"}
    assert stacks == {"myeks (root stack)", "ControlPlaneStack", "BastionStack", "NodegroupMyeksNodegroupStack"}


def test_existing_vpc_draws_the_given_subnets():
    _, drawn = _draw(EXISTING_VPC)
    assert not any(g.label == "NetworkStack" for g in drawn.groups)
    vpc = next(g for g in drawn.groups if g.kind == "vpc")
    assert vpc.label == "existing VPC vpc-0abc1234 (not managed by this stack)"
    subnet = drawn.node("existing/subnet-0b000001")
    assert subnet is not None and subnet.lines == ("private subnet", "subnet-0b000001", "10.0.64.0/19")
    ng = drawn.node("NodegroupNgStack/ManagedNodeGroup")
    assert ng is not None and "subnets: private 2a, 2c" in ng.lines
    assert any(e.src == "cidr:198.51.100.7/32" and e.label == "tcp 22" for e in drawn.edges)


def test_fargate_profiles_and_several_nodegroups():
    _, drawn = _draw(REPO / "stacks" / "platform.yaml")
    fargate = drawn.node("FargateStack/FargateProfileServerless")  # its own child, beside the nodegroups
    assert fargate is not None
    assert fargate.lines[1] == "pods in: serverless, jobs [compute=fargate]"
    assert any(e.src == fargate.id and e.dst.endswith("ClusterSecurityGroup") for e in drawn.edges)
    spot = drawn.node("NodegroupBatchSpotStack/ManagedNodeGroup")
    assert spot is not None and spot.lines[1] == "m7g.large, m6g.large, c7g.xlarge  SPOT"
    assert "2 nodes (min 0, max 20)" in spot.lines
    ubuntu = drawn.node("NodegroupLegacyUbuntuStack/ManagedNodeGroup")  # no AmiType: the launch template's image
    assert ubuntu is not None
    assert ubuntu.lines[2] == "AMI canonical/ubuntu/eks/24.04/1.35/stable/current/amd64/hvm/ebs-gp3"
    addons = drawn.node("AddonsStack/Addons")
    assert addons is not None and addons.lines == ("EKS add-ons",
                                                   "amazon-cloudwatch-observability,\naws-ebs-csi-driver, coredns")
    assert drawn.node("ControlPlaneStack/Addons") is not None
    nats = [n for n in drawn.nodes if n.kind == "nat"]
    assert len(nats) == 3


# --------------------------------------------------------------------------- the command


def test_cli_formats(tmp_path: Path):
    for fmt, suffix in (("dot", ".dot"), ("mermaid", ".mmd")):
        out = tmp_path / f"d{suffix}"
        done = run_cli("diagram", "myeks", "--format", fmt, "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert out.read_text() == (GOLDEN / "myeks" / f"diagram{suffix}").read_text()
    done = run_cli("diagram", "myeks-private", "--out", str(tmp_path / "p.png"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    done = run_cli("diagram", "myeks-private", "--out", str(tmp_path / "p.svg"))
    assert done.returncode == 0 and ET.fromstring((tmp_path / "p.svg").read_bytes()).tag == f"{SVG}svg"
    done = run_cli("diagram", "myeks", "--format", "mermaid", "--out", "-")
    assert done.stdout.startswith("---\ntitle: myeks\n---\nflowchart TB\n")


def test_svg_without_dot_is_one_line_with_how_to_install(tmp_path: Path):
    empty = tmp_path / "bin"
    empty.mkdir()
    for fmt in ("svg", "png"):
        done = run_cli("diagram", "myeks", "--format", fmt, "--out", str(tmp_path / f"x.{fmt}"),
                       env={"PATH": str(empty)})
        assert done.returncode == 2
        lines = [x for x in done.stderr.splitlines() if not x.startswith("warning:")]
        assert lines == [f"error: {INSTALL_HINT}"]
        assert "apt-get install graphviz" in lines[0] and "Traceback" not in done.stderr
        assert not (tmp_path / f"x.{fmt}").exists()
    done = run_cli("diagram", "myeks", "--format", "dot", "--out", str(tmp_path / "x.dot"), env={"PATH": str(empty)})
    assert done.returncode == 0


def test_bad_stack_file_is_exit_2_and_nothing_written(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "stacks" / "myeks.yaml").read_text().replace("desiredCapacity: 2", "desiredCapacity: 9"))
    done = run_cli("diagram", str(bad), "--out", str(tmp_path / "x.dot"))
    assert done.returncode == 2 and "managedNodeGroups[0].desiredCapacity" in done.stderr
    assert not (tmp_path / "x.dot").exists()


PROBE = """
import contextlib, io, json, sys
from eks_templates.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True, text=True,
                          check=True)
    data = json.loads(done.stdout)
    assert data["code"] == 0
    return set(data["modules"])


def test_render_does_not_import_the_diagram_and_diagram_stays_light(tmp_path: Path):
    assert not any(m.startswith("eks_templates.diagram") for m in
                   _modules("render", "--out-dir", str(tmp_path / "r")))
    drawn = _modules("diagram", "--format", "dot", "--out", str(tmp_path / "d.dot"))
    assert "eks_templates.diagram" in drawn  # the probe sees the import when there is one
    assert not {m.split(".")[0] for m in drawn} & {"boto3", "botocore", "cfnlint", "rich", "moto"}


def test_format_from_the_file_name():
    assert diagram.format_for(Path("a.mmd"), None) == "mermaid"
    assert diagram.format_for(Path("a.gv"), None) == "dot"
    assert diagram.format_for(Path("a.png"), None) == "png"
    assert diagram.format_for(Path("a"), None) == "svg"
    assert diagram.format_for(Path("a.png"), "dot") == "dot"


def test_mermaid_labels_are_escaped():
    drawn = diagram.Diagram("t")
    from eks_templates.diagram.model import Node

    drawn.add_node(Node("a/b", "host", ('say "hi" <now> & go',)))
    text = diagram.to_mermaid(drawn)
    assert 'n_a_b["say #quot;hi#quot; #lt;now#gt; #amp; go"]' in text


# --------------------------------------------------------------------------- the README's pictures


def test_readme_shows_the_pictures_next_to_the_section_5_table():
    readme = (REPO / "README.md").read_text()
    assert "![" in readme and "(docs/myeks.svg)" in readme and "(docs/myeks-private.svg)" in readme
    section = readme[readme.index("(docs/myeks.svg)") - 3000: readme.index("(docs/myeks.svg)") + 3000]
    for group in ("ControlPlaneSecurityGroup", "ClusterSharedNodeSecurityGroup", "eks-cluster-sg-myeks",
                  "remoteAccess", "ManagementHostSecurityGroup"):
        assert group in section


# --------------------------------------------------------------------------- in a browser


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (Debian: apt-get install "
                    "chromium; .ci/run installs it): the browser check of the SVG cannot run here")
def test_svg_opens_in_headless_chromium(tmp_path: Path):
    browser = _chromium()
    assert browser is not None
    svg = tmp_path / "myeks.svg"
    svg.write_bytes(DOCS["myeks"].read_bytes())
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              f"--user-data-dir={tmp_path / 'profile'}"]
    env = dict(os.environ, HOME=str(tmp_path))
    dom = subprocess.run([*common, "--dump-dom", svg.as_uri()], capture_output=True, text=True, timeout=120,
                         env=env)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # an SVG the XML parser refuses is shown as a page with a <parsererror> element
    assert "parsererror" not in dom.stdout and "<svg" in dom.stdout
    assert "ControlPlaneSecurityGroup" in dom.stdout
    shot = tmp_path / "shot.png"
    done = subprocess.run([*common, f"--screenshot={shot}", "--window-size=2900,1600", svg.as_uri()],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000, "the screenshot is (nearly) blank"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (2900, 1600)


def test_dot_text_is_valid_for_graphviz():
    """dot parses every golden DOT file (a syntax slip would only show in svg/png)."""
    for path in sorted(GOLDEN.glob("*/diagram.dot")):
        done = subprocess.run(["dot", "-Tcanon"], input=path.read_bytes(), capture_output=True, timeout=120)
        assert done.returncode == 0, f"{path}: {done.stderr.decode()}"

