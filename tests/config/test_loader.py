"""File-level problems: finding, reading and parsing a stack file, and pydantic's
type errors turned into ``<file>: <yaml.path>: <what is wrong>`` lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from eks_templates.config import load_stack, parse_config, resolve
from eks_templates.errors import StackFileError
from tests.config.cases import SOURCE, TODAY, ng, outcome, stack_text


def load_error(text: str) -> list[str]:
    with pytest.raises(StackFileError) as caught:
        parse_config(text, SOURCE, today=TODAY, on_warning=None)
    return caught.value.messages


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StackFileError) as caught:
        load_stack(str(tmp_path / "nope.yaml"), today=TODAY)
    assert caught.value.messages == [f"{tmp_path / 'nope.yaml'}: no such stack file"]


def test_missing_stack_name_lists_the_stacks(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "prod.yaml").write_text(stack_text())
    with pytest.raises(StackFileError) as caught:
        load_stack("prd", project_dir=tmp_path, today=TODAY)
    assert caught.value.messages == [f"{tmp_path}/stacks/prd.yaml: no such stack file; stacks here: prod"]


def test_a_stack_name_loads_stacks_name_yaml_of_the_project_named(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "prod.yaml").write_text(stack_text({"metadata": {"name": "prod"}}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the current directory plays no part
    assert load_stack("prod", project_dir=tmp_path, today=TODAY).metadata.name == "prod"
    assert load_stack("prod", project_dir=str(tmp_path), today=TODAY).metadata.name == "prod"


def test_a_stack_name_without_a_project_is_an_error_even_where_stacks_exist(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old loader read ``stacks/<name>.yaml`` of whatever directory the caller ran in."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "prod.yaml").write_text(stack_text({"metadata": {"name": "prod"}}))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StackFileError) as caught:
        load_stack("prod", today=TODAY)
    assert caught.value.messages == [
        "prod: a stack name needs the project whose stacks/ holds it: load_stack('prod', project_dir=...) "
        "reads <project_dir>/stacks/prod.yaml; or give the file's path"]


def test_a_path_resolves_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "prod.yaml").write_text(stack_text({"metadata": {"name": "prod"}}))
    (tmp_path / "prod").write_text(stack_text({"metadata": {"name": "bare"}}))  # a file without a suffix
    monkeypatch.chdir(tmp_path)
    assert load_stack("clusters/prod.yaml", today=TODAY).metadata.name == "prod"  # relative: from here
    assert load_stack(tmp_path / "clusters" / "prod.yaml", today=TODAY).metadata.name == "prod"  # a Path
    assert load_stack(Path("prod"), today=TODAY).metadata.name == "bare"  # a Path is never a name
    assert resolve("prod.yaml") == Path("prod.yaml")
    assert resolve("prod", project_dir=tmp_path) == tmp_path / "prod"  # the CLI's `render FILE` in the project
    assert resolve("staging", project_dir=tmp_path) == tmp_path / "stacks" / "staging.yaml"


def test_the_cli_names_its_working_directory_as_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from eks_templates.cli import main

    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "prod.yaml").write_text(stack_text({"metadata": {"name": "prod"}}))
    monkeypatch.chdir(tmp_path)
    assert main(["render", "prd"]) == 2
    assert capsys.readouterr().err == "stacks/prd.yaml: no such stack file; stacks here: prod\n"
    assert main(["render", "prod", "--out-dir", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "root.json").is_file()


def test_empty_file() -> None:
    assert load_error("\n  \n") == [f"{SOURCE}: the file is empty; expected a ClusterConfig mapping"]


def test_comments_only() -> None:
    assert load_error("# nothing yet\n") == [f"{SOURCE}: the file has only comments; expected a ClusterConfig mapping"]


def test_a_null_document_is_not_called_comments() -> None:
    assert load_error("~\n") == [f"{SOURCE}: the file has only a null value; expected a ClusterConfig mapping"]
    assert load_error("# c\n---\nnull\n...\n") == [
        f"{SOURCE}: the file has only a null value; expected a ClusterConfig mapping"]


def test_values_are_shown_as_yaml_spells_them_not_as_python_reprs() -> None:
    text = ("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\n"
            "metadata: {name: t, region: ap-northeast-2, tags: {since: 2024-01-01}}\n"
            "managedNodeGroups:\n  - name: a\n    desiredCapacity: yes\n"
            "    labels: {? !!binary aGk= : !!binary aGk=}\n")
    errors = load_error(text)
    assert f"{SOURCE}: metadata.tags.since: 2024-01-01 (YAML read it as a date) is not a string; write it in quotes" \
        in errors
    assert f"{SOURCE}: managedNodeGroups[0].desiredCapacity: true is not a whole number" in errors
    assert f"{SOURCE}: managedNodeGroups[0].labels.<binary key of 2 bytes>: binary data (2 bytes) is not a string" \
        in errors
    assert not [line for line in errors if "True" in line or "b'" in line or "datetime" in line]


def test_a_mapping_with_no_cluster_config_key_is_one_line_without_its_content() -> None:
    """A file of another kind that YAML reads as a mapping (here ``/etc/shadow``'s shape:
    each line one key) is one problem, not an "unknown field" per key, and its keys (a
    password hash) are not echoed."""
    text = "root:$6$salt$hash:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n"
    assert load_error(text) == [
        f"{SOURCE}: not an eksctl ClusterConfig: none of its 2 top-level key(s) is a ClusterConfig field; "
        "a stack file starts with apiVersion: eksctl.io/v1alpha5, kind: ClusterConfig, metadata: {name, region}"]
    # one known key is enough to be a stack file with mistakes, each named
    lines = load_error("kind: ClusterConfig\nservices: {}\n")
    assert f"{SOURCE}: services: unknown field" in "\n".join(lines)


def test_yaml_syntax_error_names_the_line() -> None:
    [line] = load_error("apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata:\n  name: [a\n")
    assert line.startswith(f"{SOURCE}: YAML syntax error at line 5, column 1")


def test_bad_indentation_names_the_line() -> None:
    [line] = load_error("metadata:\n  name: a\n region: b\n")
    assert line.startswith(f"{SOURCE}: YAML syntax error at line 3")


def test_duplicate_key() -> None:
    [line] = load_error("kind: ClusterConfig\nkind: ClusterConfig\n")
    assert line == f"{SOURCE}: YAML syntax error at line 2, column 1: duplicate key 'kind' (first on line 1)"


def test_top_level_must_be_a_mapping() -> None:
    assert load_error("- a\n- b\n") == [
        f"{SOURCE}: the top level must be a mapping (apiVersion, kind, metadata, ...), not a list"
    ]


def test_wrong_api_version_and_kind_reported_together() -> None:
    text = stack_text().replace("eksctl.io/v1alpha5", "eksctl.io/v1alpha4").replace("ClusterConfig", "Cluster")
    assert load_error(text) == [
        f"{SOURCE}: apiVersion: 'eksctl.io/v1alpha4' is not allowed; expected 'eksctl.io/v1alpha5'",
        f"{SOURCE}: kind: 'Cluster' is not allowed; expected 'ClusterConfig'",
    ]


def test_unknown_key_with_a_suggestion() -> None:
    errors, _ = outcome({"managedNodeGroups": [ng(desiredCapcity=3)]})
    assert errors == [f"{SOURCE}: managedNodeGroups[0].desiredCapcity: unknown field; did you mean 'desiredCapacity'?"]


def test_unknown_key_without_a_close_match_lists_the_allowed_ones() -> None:
    errors, _ = outcome({"bastion": {"zzz": 1}})
    assert errors == [f"{SOURCE}: bastion.zzz: unknown field; allowed here: enabled, instanceType, subnet, "
                      "allowedCIDRs, keyName, accessPolicies, kubernetesGroups, privateAccessVia"]


def test_eksctl_keys_we_do_not_take_say_what_to_use() -> None:
    errors, _ = outcome({"nodeGroups": [{"name": "x"}], "iamIdentityMappings": []})
    assert errors == [
        f"{SOURCE}: nodeGroups: is an eksctl key that eks-templates does not take: self-managed nodegroups "
        "are not built; use managedNodeGroups",
        f"{SOURCE}: iamIdentityMappings: is an eksctl key that eks-templates does not take: the aws-auth "
        "ConfigMap is not written; use accessConfig.accessEntries",
    ]


def test_version_read_as_a_number() -> None:
    text = stack_text().replace("version: '1.34'", "version: 1.30")
    assert load_error(text) == [
        f"{SOURCE}: metadata.version: 1.3 is not a string; YAML read it as a number: write it in quotes "
        "(YAML reads 1.30 as 1.3)"
    ]


def test_tag_value_read_as_a_number_or_boolean() -> None:
    errors, _ = outcome({"metadata": {"tags": {"cost-center": 1234, "public": True}}})
    assert errors == [
        f"{SOURCE}: metadata.tags.cost-center: 1234 is not a string; YAML read it as a number: write it in quotes",
        f"{SOURCE}: metadata.tags.public: true is not a string; YAML read it as true/false: write it in quotes",
    ]


def test_type_errors_name_the_path() -> None:
    errors, _ = outcome({"managedNodeGroups": [ng(desiredCapacity="two", spot="maybe")],
                         "availabilityZones": "ap-northeast-2a"})
    assert f"{SOURCE}: managedNodeGroups[0].desiredCapacity: 'two' is not a whole number" in errors
    assert f"{SOURCE}: managedNodeGroups[0].spot: 'maybe' is not true or false" in errors
    assert f"{SOURCE}: availabilityZones: must be a list, not 'ap-northeast-2a'" in errors


def test_missing_and_empty_required_fields() -> None:
    errors, _ = outcome({"metadata": {"name": None, "region": None}})
    assert errors == [f"{SOURCE}: metadata.name: is empty; give it a value",
                      f"{SOURCE}: metadata.region: is empty; give it a value"]
    text = stack_text().replace("  region: ap-northeast-2\n", "")
    assert load_error(text) == [f"{SOURCE}: metadata.region: is required"]


def test_a_section_that_is_not_a_mapping() -> None:
    errors, _ = outcome({"vpc": ["10.0.0.0/16"]})
    assert errors == [f"{SOURCE}: vpc: must be a mapping, not a list"]


def test_public_key_path_is_read_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "id.pub").write_text("ssh-ed25519 AAAAC3Nz me@host\n")
    path = tmp_path / "c.yaml"
    path.write_text(stack_text({"managedNodeGroups": [ng(ssh={"allow": True, "publicKeyPath": "id.pub"})]}))
    config = load_stack(str(path), today=TODAY)
    assert config.managed_node_groups[0].ssh.public_key == "ssh-ed25519 AAAAC3Nz me@host"


def test_public_key_path_problems(tmp_path: Path) -> None:
    (tmp_path / "not-a-key").write_text("hello\n")
    (tmp_path / "id.pub").write_text("ssh-rsa AAAA me\n")
    path = tmp_path / "c.yaml"
    path.write_text(stack_text({"managedNodeGroups": [
        ng(name="a", ssh={"allow": True, "publicKeyPath": "missing.pub"}),
        ng(name="b", ssh={"allow": True, "publicKeyPath": "not-a-key"}),
        ng(name="c", ssh={"allow": True, "publicKeyPath": "id.pub", "publicKey": "ssh-rsa BBBB"}),
    ]}))
    with pytest.raises(StackFileError) as caught:
        load_stack(str(path), today=TODAY)
    lines = caught.value.messages
    assert lines[0].startswith(f"{path}: managedNodeGroups[0].ssh.publicKeyPath: cannot read ")
    assert lines[1] == f"{path}: managedNodeGroups[1].ssh.publicKeyPath: {str(tmp_path / 'not-a-key')!r} is not " \
                       "an OpenSSH public key"
    assert lines[2] == f"{path}: managedNodeGroups[2].ssh.publicKeyPath: cannot be given together with " \
                       "publicKey; use one of them"


def test_public_key_name_and_path_together(tmp_path: Path) -> None:
    (tmp_path / "id.pub").write_text("ssh-rsa AAAA me\n")
    path = tmp_path / "c.yaml"
    path.write_text(stack_text({"managedNodeGroups": [
        ng(ssh={"allow": True, "publicKeyPath": "id.pub", "publicKeyName": "mykey"})]}))
    with pytest.raises(StackFileError) as caught:
        load_stack(str(path), today=TODAY)
    assert caught.value.messages == [
        f"{path}: managedNodeGroups[0].ssh.publicKeyName: cannot be given together with publicKeyPath; use an "
        "EC2 key pair name or a public key, not both"
    ]


def test_warnings_go_to_the_sink_and_the_config_loads() -> None:
    seen: list[str] = []
    config = parse_config(stack_text({"vpc": {"publicAccessCIDRs": ["0.0.0.0/0"]}}), SOURCE, today=TODAY,
                          on_warning=seen.append)
    assert config.metadata.name == "test"
    assert seen == [f"warning: {SOURCE}: vpc.publicAccessCIDRs[0]: 0.0.0.0/0 opens the Kubernetes API endpoint "
                    "to the whole internet; list your own CIDRs to narrow it"]


def test_the_built_in_default_and_the_stacks_load_without_errors() -> None:
    from tests.support import STACKS

    assert load_stack(None, today=TODAY, on_warning=None).metadata.name == "myeks"
    for path in STACKS:
        load_stack(str(path), today=TODAY, on_warning=None)


@pytest.mark.parametrize(("text", "shown"), [
    ("1.0e+300", "1e+300 is a decimal number, not a whole number"),
    ("3.0", "3.0 is a decimal number, not a whole number; write it without a point or exponent (3)"),
    (".inf", "inf is a decimal number"),
])
def test_a_decimal_in_an_integer_field_is_refused(text: str, shown: str) -> None:
    """int(1e300) rendered a 301-digit maxSize before; YAML decimals are never integers."""
    body = stack_text().replace("instanceType: t3.medium", f"instanceType: t3.medium\n  maxSize: {text}")
    assert f"maxSize: {text}" in body
    with pytest.raises(StackFileError) as caught:
        parse_config(body, SOURCE, on_warning=None)
    assert caught.value.messages[0].startswith(f"{SOURCE}: managedNodeGroups[0].maxSize: {shown}")
