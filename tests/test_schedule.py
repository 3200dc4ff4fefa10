"""eks_templates.schedule: the earliest-start schedule the model and the sandbox's
time-scaled mode share."""

from __future__ import annotations

import pytest

from eks_templates.schedule import earliest


def test_a_node_starts_when_the_last_of_what_it_waits_for_finishes():
    deps = {"VPC": set(), "Subnet": {"VPC"}, "Role": set(), "Cluster": {"Subnet", "Role"}}
    seconds = {"VPC": 5.0, "Subnet": 5.0, "Role": 10.0, "Cluster": 750.0}
    times = earliest(deps, seconds.__getitem__)
    assert times["Cluster"] == (10.0, 760.0, "Role")  # a tie (Subnet, Role at 10): the first sorted
    assert times["VPC"] == (0.0, 5.0, None)


def test_a_cycle_is_refused_unless_it_is_to_be_broken():
    deps = {"A": {"B"}, "B": {"A"}}
    with pytest.raises(ValueError, match="dependency cycle through A"):
        earliest(deps, lambda _: 1.0)
    assert earliest(deps, lambda _: 1.0, break_cycles=True) == {"B": (0.0, 1.0, "A"), "A": (1.0, 2.0, "B")}
