"""Pagination for AWS calls, in one place.

boto3 has no paginator for some calls this package uses (``describe_change_set``),
and the others are simplest as the same loop; pages are fetched lazily, so a caller
that stops early makes no further call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def pages(call: Callable[..., dict[str, Any]], *, token_in: str = "NextToken", token_out: str = "NextToken",
          **args: Any) -> Iterator[dict[str, Any]]:
    """Every page of ``call(**args)``, following the continuation token."""
    token = None
    while True:
        page = call(**args, **({token_in: token} if token else {}))
        yield page
        token = page.get(token_out)
        if not token:
            return


def items(call: Callable[..., dict[str, Any]], key: str, *, token_in: str = "NextToken",
          token_out: str = "NextToken", **args: Any) -> Iterator[dict[str, Any]]:
    """Every element of ``page[key]`` over all pages."""
    for page in pages(call, token_in=token_in, token_out=token_out, **args):
        yield from page.get(key) or []
