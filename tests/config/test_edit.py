"""config/edit.py: round-trip edits of a stack file keep everything else byte for byte."""

from __future__ import annotations

from eks_templates.config.edit import set_versions

FLAT_LISTS = """\
metadata:
  name: a   # the name
  region: ap-northeast-2
managedNodeGroups:
- name: ng
  instanceType: t3.medium
"""


def test_a_missing_version_is_written_after_the_region_and_lists_keep_their_indent():
    out = set_versions(FLAT_LISTS, version="1.36", release_versions={0: "1.36.1-20261125"})
    assert out == ("metadata:\n  name: a   # the name\n  region: ap-northeast-2\n  version: \"1.36\"\n"
                   "managedNodeGroups:\n- name: ng\n  instanceType: t3.medium\n"
                   "  releaseVersion: \"1.36.1-20261125\"\n")


def test_single_quotes_stay_single():
    text = "metadata:\n  name: a\n  version: '1.35'\n"
    assert set_versions(text, version="1.36") == "metadata:\n  name: a\n  version: '1.36'\n"


# --------------------------------------------------------------------------- the edit is a splice of the text
# Each of these failed when set_versions re-dumped the whole document through ruamel.yaml.

import pytest  # noqa: E402
import yaml  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from eks_templates.errors import StackFileError, UserError  # noqa: E402


def changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    """The (old, new) pairs of lines that differ; the two texts must have the same lines otherwise."""
    a, b = old.split("\n"), new.split("\n")
    assert len(a) == len(b), (old, new)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def test_a_four_space_file_keeps_its_indentation_and_document_markers():
    text = ("---\nmetadata:\n    name: a\n    region: r\n    version: '1.35'\nmanagedNodeGroups:\n"
            "    -   name: ng\n        labels:\n            team:   platform\n...\n")
    out = set_versions(text, version="1.36")
    assert out == text.replace("'1.35'", "'1.36'")


def test_flow_mappings_with_spaces_stay_as_written():
    text = ("metadata:\n  name: a\n  region: r\n  version: \"1.35\"\n  tags: { team:   platform,  k8s: x }\n"
            "iam:\n  serviceAccounts:\n"
            "  - { metadata: { name: a }, attachPolicyARNs: [ arn:aws:iam::aws:policy/A ] }\n")
    out = set_versions(text, version="1.36")
    assert changed_lines(text, out) == [('  version: "1.35"', '  version: "1.36"')]


MIXED = """\
metadata:
  name: a
  region: r
  version: "1.35"
vpc:
  publicAccessCIDRs:
  - 203.0.113.0/24
availabilityZones:
- ap-northeast-2a
managedNodeGroups:
  - name: general
    releaseVersion: 1.35.0-20261001
    preBootstrapCommands:
      - |
        echo one
          indented two
    overrideBootstrapCommand: >
      folded
      text
  - name: arm
    amiFamily: Bottlerocket
    labels:
      role: arm
"""


def test_mixed_dash_offsets_and_block_scalars_stay_and_release_versions_are_set_and_inserted():
    out = set_versions(MIXED, version="1.36", release_versions={0: "1.36.1-20261125", 1: "1.52.0-4c8e9f1a"})
    assert out == MIXED.replace('"1.35"', '"1.36"').replace("1.35.0-20261001", "1.36.1-20261125").replace(
        "    amiFamily: Bottlerocket\n", '    amiFamily: Bottlerocket\n    releaseVersion: "1.52.0-4c8e9f1a"\n')


def test_an_anchored_version_changes_with_its_aliases_where_it_is_written():
    text = ('metadata:\n  name: a\n  region: r\n  version: &ver "1.34"\n  tags: {k8s: *ver}\n'
            "managedNodeGroups:\n  - name: ng\n    version: *ver\n")
    out = set_versions(text, version="1.35")
    assert out == text.replace('&ver "1.34"', '&ver "1.35"')
    data = yaml.safe_load(out)
    assert data["metadata"]["tags"] == {"k8s": "1.35"} and data["managedNodeGroups"][0]["version"] == "1.35"


def test_a_version_written_as_an_alias_of_another_value_is_refused():
    text = "x-k8s: &ver '1.34'\nmetadata:\n  name: a\n  region: r\n  version: *ver\n"
    with pytest.raises(StackFileError) as info:
        set_versions(text, version="1.35", source="stacks/a.yaml")
    assert info.value.messages == [
        "stacks/a.yaml: metadata.version: is an alias (*ver) of x-k8s (line 1); writing '1.35' would change "
        "that value and every other alias of it: write the value here instead of the alias"]


def test_release_versions_through_an_alias_are_one_edit_when_equal_and_refused_when_not():
    text = ("metadata:\n  name: a\n  region: r\nmanagedNodeGroups:\n- name: a\n  releaseVersion: &rel 1.35.0-1\n"
            "- name: b\n  releaseVersion: *rel\n")
    same = set_versions(text, release_versions={0: "1.36.0-2", 1: "1.36.0-2"})
    assert same == text.replace("&rel 1.35.0-1", "&rel 1.36.0-2")
    with pytest.raises(StackFileError, match=r"managedNodeGroups\[1\]\.releaseVersion: is an alias of "
                                             r"managedNodeGroups\[0\]\.releaseVersion, which gets '1.36.0-2'"):
        set_versions(text, release_versions={0: "1.36.0-2", 1: "1.36.0-3"})


def test_crlf_line_ends_a_byte_order_mark_and_trailing_spaces_stay():
    text = "\ufeffmetadata:\r\n  name: a   \r\n  region: r\r\n  version: \"1.35\"  # pinned  \r\n"
    assert set_versions(text, version="1.36") == text.replace("1.35", "1.36")
    missing = "\ufeffmetadata:\r\n  name: a\r\n  region: r\r\nvpc: {}\r\n"
    assert set_versions(missing, version="1.36") == missing.replace(
        "region: r\r\n", 'region: r\r\n  version: "1.36"\r\n')


def test_a_plain_version_that_would_read_as_a_number_is_quoted():
    text = "metadata:\n  name: a\n  region: r\n  version: 1.29 # old\n"
    assert set_versions(text, version="1.30") == text.replace("1.29", '"1.30"')


def test_a_missing_version_goes_in_the_mappings_own_indentation_and_at_the_end_without_a_newline():
    text = "metadata:\n   name: a   # three spaces\n   tags:\n     a: b\nkind: ClusterConfig"
    assert set_versions(text, version="1.36") == text.replace(
        "# three spaces\n", '# three spaces\n   version: "1.36"\n')
    last = "kind: ClusterConfig\nmetadata:\n  name: a\n  region: r"
    assert set_versions(last, version="1.36") == last + '\n  version: "1.36"'


def test_a_key_that_cannot_take_a_line_is_refused_naming_the_path():
    with pytest.raises(StackFileError) as info:
        set_versions("metadata: {name: a, region: r}\n", version="1.36", source="s.yaml")
    assert info.value.messages == ['s.yaml: metadata.version: is not set and metadata is a flow mapping ({...}); '
                                   'write version: "1.36" into it by hand or make it a block mapping']
    with pytest.raises(StackFileError, match=r"s.yaml: managedNodeGroups\[0\]\.releaseVersion: is not set and "
                                             r"managedNodeGroups\[0\] is a flow mapping"):
        set_versions("metadata:\n  name: a\nmanagedNodeGroups: [{name: a}]\n", release_versions={0: "1.36.0-1"},
                     source="s.yaml")
    with pytest.raises(StackFileError, match=r"metadata.version: is a block scalar \(|\)"):
        set_versions("metadata:\n  name: a\n  version: |\n    1.35\n", version="1.36")


def test_an_empty_value_gets_the_version_after_its_colon_anchor_or_tag():
    for before, after in [("version:   # c", 'version: "1.36"   # c'), ("version: &v", 'version: &v "1.36"'),
                          ("version: !!str", 'version: !!str "1.36"')]:
        text = f"metadata:\n  name: a\n  {before}\n  region: r\n"
        assert set_versions(text, version="1.36") == text.replace(before, after)


def test_a_nodegroup_written_as_an_alias_gets_a_line_only_through_its_anchor():
    text = "metadata:\n  name: a\nmanagedNodeGroups:\n- &ng\n  name: a\n  instanceType: t3\n- *ng\n"
    both = set_versions(text, release_versions={0: "1.36.0-1", 1: "1.36.0-1"})
    assert both == text.replace("t3\n", 't3\n  releaseVersion: "1.36.0-1"\n')
    with pytest.raises(StackFileError, match=r"managedNodeGroups\[1\]\.releaseVersion: is not set, and "
                                             r"managedNodeGroups\[1\] is an alias of managedNodeGroups\[0\]"):
        set_versions(text, release_versions={1: "1.36.0-1"})


def test_an_edit_that_would_not_read_back_as_intended_fails_loudly(monkeypatch: pytest.MonkeyPatch):
    from eks_templates.config import edit

    monkeypatch.setattr(edit, "_written", lambda value, style: '"1.99"')  # a splice gone wrong
    with pytest.raises(UserError, match=r"s\.yaml: the edit did not read back as the intended change"):
        set_versions("metadata:\n  name: a\n  version: '1.35'\n", version="1.36", source="s.yaml")


# ----- property: any layout of a valid file, only the version's characters change

_SPACES = st.sampled_from(["", " ", "   "])


@st.composite
def layouts(draw: st.DrawFn) -> tuple[str, str | None]:
    """A stack file in a random layout, and its ``version`` value as written (None: not written)."""
    indent = " " * draw(st.integers(1, 6))
    dash = " " * draw(st.integers(0, 4))
    after_dash = " " * draw(st.integers(1, 3))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    quote = draw(st.sampled_from(['"', "'"]))
    version = f"{quote}1.35{quote}" if draw(st.booleans()) else None
    tail = draw(st.sampled_from(["", "   ", "  # pinned", " #"]))
    flow_gap = draw(_SPACES)
    lines = [
        *draw(st.sampled_from([[], ["---"], ["# top", "%YAML 1.1", "---"]])),
        "apiVersion: eksctl.io/v1alpha5",
        "metadata:",
        f"{indent}name: a",
        f"{indent}region: ap-northeast-2",
        *([f"{indent}version: {version}{tail}"] if version else []),
        f"{indent}tags: {{{flow_gap}team:{draw(_SPACES)} platform{flow_gap}}}",
        "vpc:",
        f"{indent}publicAccessCIDRs:",
        f"{indent}{' ' * len(dash)}-{after_dash}203.0.113.0/24",
        "managedNodeGroups:",
        f"{dash}-{after_dash}name: ng",
        f"{dash} {after_dash}preBootstrapCommands:",
        f"{dash} {after_dash}{indent}- |",
        f"{dash} {after_dash}{indent}  echo{draw(_SPACES)}hi",
        *draw(st.sampled_from([[], ["..."]])),
    ]
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return bom + nl.join(lines) + draw(st.sampled_from([nl, ""])), version


@settings(max_examples=150, deadline=None)
@given(layouts())
def test_any_layout_changes_only_the_version_characters(case: tuple[str, str | None]):
    text, version = case
    out = set_versions(text, version="1.36")
    if version is None:  # one line after the region's, in its indentation and line end
        region = next(line for line in text.split("\n") if "region:" in line)
        indent = region[:len(region) - len(region.lstrip())]
        end = "\r" if region.endswith("\r") else ""
        assert out == text.replace(region + "\n", f'{region}\n{indent}version: "1.36"{end}\n', 1)
    else:
        assert out == text.replace(version, version.replace("1.35", "1.36"), 1)
    assert yaml.safe_load(out)["metadata"]["version"] == "1.36"
