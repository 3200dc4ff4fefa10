"""``addons[].configurationValues`` checked against the add-on's schema before the change set
(deploy/addon_config.py): the key that breaks the schema is named by its YAML path and
nothing is changed; the schema comes from EKS DescribeAddonConfiguration (the sandbox
answers the one a test plants), the version from DescribeAddonVersions when the file names
none; AccessDenied is a warning."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import yaml

from eks_templates.deploy import addon_config
from eks_templates.errors import UserError
from eks_templates.sandbox import addon_config as sandbox_addons
from eks_templates.sandbox import server
from tests.builders.helpers import config
from tests.support import REPO, run_cli

from .fakes import Stubs, errors, make_ui

#: a small schema in the shape of EKS's (draft-07, closed objects)
COREDNS_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "computeType": {"type": "string"},
        "replicaCount": {"type": "integer", "minimum": 1},
        "autoScaling": {"type": "object", "additionalProperties": False,
                        "properties": {"enabled": {"type": "boolean"}, "minReplicas": {"type": "integer"}}},
    },
}


def _cfg(values: str, version: str = "v1.11.4-eksbuild.2") -> object:
    line = f"addons: [{{name: coredns, version: {version}, configurationValues: {values}}}]" if version else \
        f"addons: [{{name: coredns, configurationValues: {values}}}]"
    return config(line + "\nmanagedNodeGroups: [{name: ng}]")


def test_schema_problems_name_the_key() -> None:
    base = "addons[0].configurationValues"
    assert addon_config.schema_problems(base, {"replicas": 3, "autoScaling": {"enabled": "yes"}}, COREDNS_SCHEMA) == [
        "addons[0].configurationValues.replicas: is not a setting of this add-on's schema; allowed here: "
        "autoScaling, computeType, replicaCount",
        "addons[0].configurationValues.autoScaling.enabled: 'yes' is not of type 'boolean'",
    ]
    assert addon_config.schema_problems(base, {"replicaCount": 2}, COREDNS_SCHEMA) == []


def _stub_schema(stubs: Stubs, version: str = "v1.11.4-eksbuild.2") -> None:
    import json

    stubs["eks"].add_response("describe_addon_configuration", {
        "addonName": "coredns", "addonVersion": version, "configurationSchema": json.dumps(COREDNS_SCHEMA)},
        {"addonName": "coredns", "addonVersion": version})


def test_the_files_version_is_asked_for_and_a_bad_key_refused() -> None:
    stubs = Stubs("eks")
    _stub_schema(stubs)
    with pytest.raises(UserError) as info:
        addon_config.check(stubs.aws, _cfg("{replicas: 3}"), ui=make_ui())  # type: ignore[arg-type]
    assert info.value.messages[0].startswith("addons[0].configurationValues.replicas: is not a setting")
    assert "nothing was changed" in info.value.messages[-1]
    stubs.verify()


def test_without_a_version_the_default_for_the_kubernetes_version_is_used() -> None:
    stubs = Stubs("eks")
    cfg = _cfg("{replicaCount: 2}", version="")
    stubs["eks"].add_response("describe_addon_versions", {"addons": [{"addonName": "coredns", "addonVersions": [
        {"addonVersion": "v1.11.3-eksbuild.1", "compatibilities": [{"clusterVersion": cfg.metadata.version,  # type: ignore[attr-defined]
                                                                     "defaultVersion": False}]},
        {"addonVersion": "v1.11.4-eksbuild.2", "compatibilities": [{"clusterVersion": cfg.metadata.version,  # type: ignore[attr-defined]
                                                                     "defaultVersion": True}]}]}]},
        {"addonName": "coredns", "kubernetesVersion": cfg.metadata.version})  # type: ignore[attr-defined]
    _stub_schema(stubs)
    addon_config.check(stubs.aws, cfg, ui=make_ui())  # type: ignore[arg-type]
    stubs.verify()


def test_access_denied_is_a_warning() -> None:
    stubs = Stubs("eks")
    stubs["eks"].add_client_error("describe_addon_configuration", "AccessDeniedException", "not allowed")
    ui = make_ui()
    addon_config.check(stubs.aws, _cfg("{replicas: 3}"), ui=ui)  # type: ignore[arg-type]
    assert "could not read coredns's configuration schema" in errors(ui)


def test_add_ons_without_configuration_are_not_looked_up() -> None:
    stubs = Stubs("eks")  # no response queued: any call would fail
    addon_config.check(stubs.aws, config("addons: [{name: coredns}]\nmanagedNodeGroups: [{name: ng}]"), ui=make_ui())


# --------------------------------------------------------------------------- the real CLI against the sandbox


@pytest.fixture
def sandbox(sandbox_endpoint: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    server.reset(sandbox_endpoint)
    sandbox_addons.plant("coredns", COREDNS_SCHEMA)
    shutil.copytree(REPO / "stacks", tmp_path / "stacks")
    data = yaml.safe_load((tmp_path / "stacks" / "myeks.yaml").read_text())
    data["addons"] = [{"name": "coredns", "configurationValues": {"replicaCount": 2, "autoScaling": {"on": True}}}]
    (tmp_path / "stacks" / "myeks.yaml").write_text(yaml.safe_dump(data))
    yield sandbox_endpoint, tmp_path
    sandbox_addons.clear()
    server.reset(sandbox_endpoint)


def test_plan_and_deploy_refuse_before_the_change_set(sandbox: tuple[str, Path]) -> None:
    url, cwd = sandbox
    env = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "ap-northeast-2"}
    for command in (("plan", "myeks"), ("deploy", "myeks", "--yes")):
        done = run_cli(*command, cwd=cwd, env=env, timeout=300)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert "addons[0].configurationValues.autoScaling.on: is not a setting of this add-on's schema" in done.stderr
        assert "coredns v1.36.0-eksbuild.2" in done.stderr  # the default DescribeAddonVersions named for 1.36
    cfn = boto3.client("cloudformation", region_name="ap-northeast-2", endpoint_url=url)
    assert cfn.describe_stacks()["Stacks"] == []  # no change set, no stack
