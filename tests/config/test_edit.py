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
