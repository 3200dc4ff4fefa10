"""Deploy tests: the real lint, memoized per rendered set (cfn-lint takes a while and
most tests lint the same small hand-made set)."""

from __future__ import annotations

from typing import Any

import pytest

import eks_templates.lint

_real_lint_set = eks_templates.lint.lint_set
_cache: dict[Any, Any] = {}


def _cached_lint_set(rendered: Any, *, region: str = "us-east-1", **kwargs: Any) -> Any:
    if kwargs:
        return _real_lint_set(rendered, region=region, **kwargs)
    key = (tuple(sorted(rendered.files.items())), rendered.root, region)
    if key not in _cache:
        _cache[key] = _real_lint_set(rendered, region=region)
    return list(_cache[key])


@pytest.fixture(autouse=True)
def _memoized_lint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eks_templates.lint, "lint_set", _cached_lint_set)


@pytest.fixture
def endpoint(sandbox_endpoint: str) -> str:
    from eks_templates.sandbox import server

    server.reset(sandbox_endpoint)
    return sandbox_endpoint
