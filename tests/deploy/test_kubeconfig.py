"""The kubeconfig entries (as the AWS CLI's update_kubeconfig.py writes them), the
merge, and the clientcmd v1 schema, without AWS (the command against the sandbox:
tests/e2e/test_get_kubeconfig.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from eks_templates.deploy import kubeconfig
from eks_templates.deploy.kubeconfig_schema import schema
from eks_templates.errors import UserError

ARN = "arn:aws:eks:eu-west-1:111122223333:cluster/shop"


def cluster(**extra: Any) -> dict[str, Any]:
    return {"name": "shop", "arn": ARN, "status": "ACTIVE", "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
            "certificateAuthority": {"data": "Q0EK"}, "id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", **extra}


def test_entries_as_the_aws_cli_writes_them() -> None:
    new = kubeconfig.entries(cluster(), profile="admin")
    assert new.cluster == {"cluster": {"certificate-authority-data": "Q0EK",
                                       "server": "https://ABC.gr7.eu-west-1.eks.amazonaws.com"}, "name": ARN}
    assert new.user == {"name": ARN, "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "args": ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "shop", "--output", "json"],
        "command": "aws",
        "env": [{"name": "AWS_PROFILE", "value": "admin"}],
    }}}
    assert new.context == {"context": {"cluster": ARN, "user": ARN}, "name": ARN}
    assert kubeconfig.entries(cluster(), alias="shop").context["name"] == "shop"
    assert "env" not in kubeconfig.entries(cluster()).user["user"]["exec"]
    # a local cluster on Outposts (no etcdInstanceType) is named by its id
    local = kubeconfig.entries(cluster(outpostConfig={"controlPlaneInstanceType": "m5.large"}))
    assert local.user["user"]["exec"]["args"][4:6] == ["--cluster-id", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]


@pytest.mark.parametrize("status", ["CREATING", "FAILED", "DELETING"])
def test_a_cluster_that_is_not_active_is_refused(status: str) -> None:
    with pytest.raises(UserError, match=f"cluster shop is {status}"):
        kubeconfig.entries(cluster(status=status))


def test_merge_replaces_by_name_and_keeps_the_rest() -> None:
    old = {"apiVersion": "v1", "kind": "Config", "current-context": "dev",
           "clusters": [{"name": "dev", "cluster": {"server": "https://dev"}},
                        {"name": ARN, "cluster": {"server": "x"}}],
           "users": [{"name": "dev", "user": {"token": "t"}}], "contexts": None}
    merged = kubeconfig.merge(old, kubeconfig.entries(cluster()))
    assert [c["name"] for c in merged["clusters"]] == ["dev", ARN]
    assert merged["clusters"][1]["cluster"]["server"].startswith("https://ABC")
    assert [u["name"] for u in merged["users"]] == ["dev", ARN]
    assert [c["name"] for c in merged["contexts"]] == [ARN]
    assert merged["current-context"] == ARN
    assert old["clusters"][1]["cluster"]["server"] == "x"  # the input is not changed
    jsonschema.validate(merged, schema(strict=True))


def test_the_schema_takes_what_kubectl_reads() -> None:
    """client-go's own kinds of entries (kind, minikube, GKE's exec plugin), null fields
    and a key clientcmd does not know (ignored by client-go, refused only by strict)."""
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {"colors": True}, "current-context": None,
        "clusters": [{"name": "kind", "cluster": {"server": "https://127.0.0.1:6443",
                                                  "certificate-authority-data": "TFMwdExTMUNSVWRK\nCg==",
                                                  "insecure-skip-tls-verify": False, "proxy-url": None}}],
        "users": [
            {"name": "kind", "user": {"client-certificate-data": "YQ==", "client-key-data": "Yg=="}},
            {"name": "gke", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                              "command": "gke-gcloud-auth-plugin", "provideClusterInfo": True,
                                              "interactiveMode": "IfAvailable", "installHint": "see docs"}}},
            {"name": "old", "user": {"auth-provider": {"name": "oidc", "config": {"idp-issuer-url": "https://x"}},
                                     "as-groups": ["a"], "as-user-extra": {"k": ["v"]}}},
        ],
        "contexts": [{"name": "kind", "context": {"cluster": "kind", "user": "kind", "namespace": "default",
                                                  "extensions": [{"name": "e", "extension": {"any": [1, "x"]}}]}}],
    }
    jsonschema.validate(config, schema(strict=True))
    jsonschema.validate({**config, "newField": 1}, schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**config, "newField": 1}, schema(strict=True))


@pytest.mark.parametrize("bad", [
    {"clusters": {"name": "x"}},
    {"clusters": ["x"]},
    {"users": [{"name": "u", "user": {"exec": {"args": "get-token"}}}]},
    {"users": [{"name": "u", "user": {"exec": {"interactiveMode": "Sometimes"}}}]},
    {"clusters": [{"name": "c", "cluster": {"certificate-authority-data": "not base64!"}}]},
    {"contexts": [{"name": 5}]},
    {"kind": "Pod"},
    {"current-context": ["a"]},
])
def test_the_schema_refuses_what_kubectl_cannot_read(bad: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema())


def test_default_path(tmp_path: Path) -> None:
    assert kubeconfig.default_path({"KUBECONFIG": f":{tmp_path}/a:{tmp_path}/b"}) == tmp_path / "a"
    assert kubeconfig.default_path({}) == Path("~/.kube/config").expanduser()
    assert kubeconfig.default_path({"KUBECONFIG": "  "}) == Path("~/.kube/config").expanduser()


def test_write_through_a_symlink_and_an_empty_file(tmp_path: Path) -> None:
    real = tmp_path / "real-config"
    real.write_text("# only a comment\n")
    link = tmp_path / "config"
    link.symlink_to(real)
    written = kubeconfig.write(link, cluster())
    assert written.what == "added" and link.is_symlink()
    assert "get-token" in real.read_text()
    assert (tmp_path / "real-config.eks-templates.bak").read_text() == "# only a comment\n"


# --------------------------------------------------------------------------- the user's own file, round trip

#: a kubeconfig kept by hand: comments everywhere, another cluster, quoting, flow style,
#: an anchor, and kubectl's dash-under-the-key lists
HAND_KEPT = """\
# my kubeconfig -- kept by hand
apiVersion: v1
clusters:
# the dev cluster (kind)
- cluster:
    certificate-authority-data: TFMwdExTMUNSVWRK
    server: 'https://127.0.0.1:6443'   # kind's port
  name: dev
# staging, keep
- cluster: {server: "https://staging"}
  name: staging
contexts:
- context: &dev
    cluster: dev
    user: dev
  name: dev
- context: *dev
  name: dev-again   # same as dev
current-context: dev
kind: Config
preferences: {}
users:
- name: dev
  user:
    token: abc   # not a real one
# end of users
"""


def test_merge_keeps_the_users_comments_and_entries_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(HAND_KEPT)
    assert kubeconfig.write(path, cluster(), alias="shop").what == "added"
    assert path.read_text() == HAND_KEPT.replace("""\
  name: dev-again   # same as dev
current-context: dev
""", f"""\
  name: dev-again   # same as dev
- context:
    cluster: {ARN}
    user: {ARN}
  name: shop
current-context: shop
""").replace("""\
  name: staging
contexts:
""", f"""\
  name: staging
- cluster:
    certificate-authority-data: Q0EK
    server: https://ABC.gr7.eu-west-1.eks.amazonaws.com
  name: {ARN}
contexts:
""").replace("""\
    token: abc   # not a real one
# end of users
""", f"""\
    token: abc   # not a real one
- name: {ARN}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      args:
      - --region
      - eu-west-1
      - eks
      - get-token
      - --cluster-name
      - shop
      - --output
      - json
      command: aws
# end of users
""")
    assert (tmp_path / "config.eks-templates.bak").read_text() == HAND_KEPT
    # run again: nothing to change, nothing written
    before = path.read_text()
    assert kubeconfig.write(path, cluster(), alias="shop").what == "unchanged"
    assert path.read_text() == before


def test_an_updated_entry_keeps_its_neighbours_comments(tmp_path: Path) -> None:
    """The comments between entries belong (for ruamel.yaml) to the entry above: updating
    that entry in place, key by key, keeps them where they are; the keys the AWS CLI's entry
    does not have (a kubectl-added ``interactiveMode``) go, the comment after them stays."""
    old = f"""\
apiVersion: v1
clusters:
  # ours, from an earlier run
  - cluster:
      certificate-authority-data: T0xE
      server: "https://OLD.eks.amazonaws.com"  # before the endpoint moved
    name: {ARN}
  # the next one is prod -- do not touch
  - cluster:
      server: https://prod
    name: prod
contexts:
  - context:
      cluster: {ARN}
      user: {ARN}
    name: {ARN}
  # prod's context
  - context: {{cluster: prod, user: prod}}
    name: prod
current-context: prod
kind: Config
users:
  - name: {ARN}
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        args: [--region, eu-west-1, eks, get-token, --cluster-name, shop]
        command: aws
        interactiveMode: IfAvailable
  # prod's user: a token
  - name: prod
    user:
      token: xyz
"""
    path = tmp_path / "config"
    path.write_text(old)
    assert kubeconfig.write(path, cluster()).what == "updated"
    assert path.read_text() == old.replace(
        '      certificate-authority-data: T0xE\n      server: "https://OLD.eks.amazonaws.com"',
        '      certificate-authority-data: Q0EK\n      server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com"',
    ).replace("current-context: prod", f"current-context: {ARN}").replace(
        "args: [--region, eu-west-1, eks, get-token, --cluster-name, shop]\n        command: aws\n"
        "        interactiveMode: IfAvailable\n",
        "args: [--region, eu-west-1, eks, get-token, --cluster-name, shop, --output, json]\n        command: aws\n")


def test_a_comment_only_file_keeps_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("# written by hand\n# keep me")
    kubeconfig.write(path, cluster())
    text = path.read_text()
    assert text.startswith("# written by hand\n# keep me\napiVersion: v1\n")
    assert kubeconfig.load(path) == kubeconfig.merge(kubeconfig.new_content(), kubeconfig.entries(cluster()))


def test_a_merge_the_round_trip_cannot_make_is_written_plainly(tmp_path: Path) -> None:
    """An entry made of ``<<`` merge keys: the round trip would not read back as the merge,
    so the file is written as the AWS CLI writes it (right content, no comments)."""
    path = tmp_path / "config"
    path.write_text(f"""\
apiVersion: v1
kind: Config
base: &base {{server: https://old}}
clusters:
- name: {ARN}
  cluster:
    <<: *base
""")
    kubeconfig.write(path, cluster())
    assert kubeconfig.load(path)["clusters"] == [kubeconfig.entries(cluster()).cluster]
