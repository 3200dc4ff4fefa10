"""What EKS Auto Mode cannot be combined with, and what it makes unnecessary."""

from __future__ import annotations

import pytest

from tests.config.cases import SOURCE, outcome

API = {"accessConfig": {"authenticationMode": "API"}}


def auto(**fields: object) -> dict[str, object]:
    return {"enabled": True, **fields}


@pytest.mark.parametrize(("changes", "path", "fragment"), [
    ({**API, "autoModeConfig": {"enabled": False, "nodePools": ["system"]}}, "autoModeConfig.nodePools",
     "enabled is false"),
    ({**API, "autoModeConfig": auto(nodePools=["system", "system"])}, "autoModeConfig.nodePools[1]", "listed twice"),
    ({**API, "autoModeConfig": auto(nodePools=[], nodeRoleARN="arn:aws:iam::111122223333:role/n")},
     "autoModeConfig.nodeRoleARN", "nodePools is empty"),
    ({**API, "autoModeConfig": auto(nodeRoleARN="arn:aws:iam::111122223333:role/n",
                                    permissionsBoundaryARN="arn:aws:iam::111122223333:policy/b")},
     "autoModeConfig.permissionsBoundaryARN", "remove one of them"),
    ({**API, "autoModeConfig": auto(nodeRoleARN="nodes")}, "autoModeConfig.nodeRoleARN", "is not an IAM role ARN"),
    ({"accessConfig": {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True},
      "autoModeConfig": auto()}, "accessConfig.authenticationMode", "cannot be used with EKS Auto Mode"),
], ids=["disabled-with-pools", "duplicate-pool", "role-without-pools", "role-and-boundary", "role-arn", "config-map"])
def test_auto_mode_refusals(changes: dict, path: str, fragment: str) -> None:
    errors, _ = outcome(changes)
    mine = [e for e in errors if e.startswith(f"{SOURCE}: {path}: ")]
    assert mine and fragment in mine[0], errors


def test_core_addons_are_unnecessary_without_other_nodes() -> None:
    _, warnings = outcome({**API, "autoModeConfig": auto(), "managedNodeGroups": [],
                           "addons": [{"name": "vpc-cni"}, {"name": "coredns"}, {"name": "metrics-server"}]})
    assert [w.split(": ")[2] for w in warnings if "EKS Auto Mode runs" in w] == ["addons[0].name", "addons[1].name"]


def test_core_addons_serve_managed_nodegroups_next_to_auto_mode() -> None:
    _, warnings = outcome({**API, "autoModeConfig": auto(), "addons": [{"name": "vpc-cni"}]})
    assert not [w for w in warnings if "EKS Auto Mode runs" in w]


def test_node_addon_policies_are_unnecessary() -> None:
    _, warnings = outcome({**API, "autoModeConfig": auto(), "managedNodeGroups": [
        {"name": "ng", "iam": {"withAddonPolicies": {"ebs": True}}}]})
    assert any("managedNodeGroups[0].iam.withAddonPolicies.ebs: is not needed" in w for w in warnings)


def test_an_auto_mode_file_loads_clean() -> None:
    assert outcome({**API, "autoModeConfig": auto(), "zonalShiftConfig": {"enabled": True}}) == ([], [])
