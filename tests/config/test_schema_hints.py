"""config/schema.py's type_hints: the same as typing.get_type_hints for every model of
the stack file (it replaces it on the render path, where get_type_hints cost ~10 ms)."""

from __future__ import annotations

import typing

import pytest

from eks_templates.config import model
from eks_templates.config.schema import Model, type_hints

MODELS = sorted((c for c in vars(model).values() if isinstance(c, type) and issubclass(c, Model)),
                key=lambda c: c.__name__)


def test_every_model_is_checked() -> None:
    assert len(MODELS) > 30


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_type_hints_are_get_type_hints(cls: type) -> None:
    assert type_hints(cls) == typing.get_type_hints(cls)
