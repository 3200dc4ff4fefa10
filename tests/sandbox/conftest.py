"""Fixtures: the sandbox applied, moto in-process or as a server (fake credentials: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from eks_templates.sandbox import server as sandbox_server

from .templates import REGION, make_bucket


class Clients:
    """boto3 clients of one endpoint (in-process mock or a server URL)."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self._cache: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._cache:
            self._cache[service] = boto3.client(service, region_name=REGION, endpoint_url=self.endpoint_url)
        return self._cache[service]


@pytest.fixture
def aws() -> Iterator[Clients]:
    """moto in-process (``mock_aws``) with the sandbox applied and the template bucket made."""
    from moto import mock_aws

    sandbox_server.apply()
    with mock_aws():
        clients = Clients()
        make_bucket(clients.s3)
        yield clients


@pytest.fixture
def remote(sandbox_endpoint: str) -> Iterator[Clients]:
    """Clients of the session's server, reset before the test, with the template bucket made."""
    sandbox_server.reset(sandbox_endpoint)
    clients = Clients(sandbox_endpoint)
    make_bucket(clients.s3)
    yield clients
