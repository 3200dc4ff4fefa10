"""EKS list calls on a cluster that does not exist (e.g. after ``delete``) answer like
EKS, ResourceNotFoundException, instead of moto's HTTP 500."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import Clients


@pytest.mark.parametrize("call", ["list_nodegroups", "list_fargate_profiles"])
def test_list_on_a_missing_cluster_is_not_found(remote: Clients, call: str) -> None:
    with pytest.raises(ClientError) as raised:
        getattr(remote.eks, call)(clusterName="myeks")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert raised.value.response["Error"]["Message"] == "No cluster found for name: myeks."
