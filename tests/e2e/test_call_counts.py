"""The API calls of a redeploy with nothing changed and of a scale do not grow with
the cluster (issue 17 item 3): counted with a botocore hook, as bench/deploy_calls.py
does, on the real CLI commands against the sandbox, for 1 and for 20 nodegroups.

Before, both walked every nested stack (ListStackResources and GetStackPolicy on
each): 17 and 23 calls with 1 nodegroup, 52 and 57 with 20.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest

from bench.deploy_calls import Measured, scenario
from eks_templates.sandbox import server

#: what a redeploy with nothing changed needs: the stack (DescribeStacks: status, the
#: recorded digest, parameters, tags, outputs), no other run's change set
#: (ListChangeSets), and the root's policy (GetStackPolicy)
NO_OP_CALLS = Counter({("cloudformation", "DescribeStacks"): 1, ("cloudformation", "ListChangeSets"): 1,
                       ("cloudformation", "GetStackPolicy"): 1})


@pytest.fixture(scope="module")
def measured(sandbox_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, list[Measured]]]:
    server.reset(sandbox_endpoint)
    workdir = tmp_path_factory.mktemp("calls")
    with pytest.MonkeyPatch.context() as env:  # module scope: before the autouse fake_aws_env
        for key, value in {"AWS_ENDPOINT_URL": sandbox_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "ap-northeast-2",
                           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}.items():
            env.setenv(key, value)
        env.delenv("AWS_PROFILE", raising=False)
        env.chdir(workdir)
        try:
            yield {count: scenario(count, workdir) for count in (1, 20)}
        finally:
            server.reset(sandbox_endpoint)


def by_label(results: list[Measured], label: str) -> Measured:
    return next(m for m in results if m.label == label)


def test_a_redeploy_with_nothing_changed_makes_the_same_few_calls_at_1_and_20_nodegroups(
        measured: dict[int, list[Measured]]) -> None:
    one, twenty = (by_label(measured[n], "redeploy, nothing changed") for n in (1, 20))
    assert one.calls == twenty.calls
    assert one.calls == NO_OP_CALLS


def test_a_scale_makes_the_same_calls_at_1_and_20_nodegroups(measured: dict[int, list[Measured]]) -> None:
    one, twenty = (by_label(measured[n], "scale 2 -> 3") for n in (1, 20))
    assert one.calls == twenty.calls
    # the templates stay: no policy is read or set, no nested stack is listed
    assert not {op for _, op in one.calls} & {"GetStackPolicy", "SetStackPolicy", "ListStackResources"}


def test_the_create_sets_every_stack_policy_once(measured: dict[int, list[Measured]]) -> None:
    """The create sets the policy on each stack of the tree (each listed once), without reading any."""
    for count, results in measured.items():
        create = by_label(results, "deploy (create)")
        stacks = create.calls[("cloudformation", "ListStackResources")]
        assert stacks > count  # the root, the nested stacks, one per nodegroup
        assert create.calls[("cloudformation", "SetStackPolicy")] == stacks
        assert create.calls[("cloudformation", "GetStackPolicy")] == 0
