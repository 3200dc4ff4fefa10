"""eks_templates.records.Record does what ``@dataclass(frozen=True)`` does for the render
path's value classes (issue 17 item 5: dataclasses compiled ~1 ms of source per class at
every start). Each check runs the same declaration both ways and compares."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any, ClassVar

import pytest

from eks_templates.config.problems import Problem
from eks_templates.names import Port
from eks_templates.records import Record, replace
from eks_templates.render import RenderedSet
from eks_templates.stack_plan import CRITICAL_PATH, ONE_PER_BUILDER, StackPlan


class Rec(Record):
    name: str
    kind: str = "scalar"
    count: int = 0
    shared: ClassVar[str] = "not a field"


@dataclasses.dataclass(frozen=True)
class Dc:
    name: str
    kind: str = "scalar"
    count: int = 0
    shared: ClassVar[str] = "not a field"


class Ordered(Record, order=True):
    path: str
    message: str
    severity: str = "error"


@dataclasses.dataclass(frozen=True, order=True)
class DcOrdered:
    path: str
    message: str
    severity: str = "error"


class Child(Rec):
    extra: bool = False


def _same(rec: Any, dc: Any) -> None:
    assert repr(rec).replace("Rec", "X", 1) == repr(dc).replace("Dc", "X", 1)
    assert hash(rec) == hash(dc)


@pytest.mark.parametrize(("args", "kwargs"), [
    (("a",), {}), (("a", "list"), {}), (("a",), {"count": 3}), ((), {"name": "a", "kind": "list", "count": 2}),
])
def test_init_repr_hash_as_a_frozen_dataclass(args: tuple[Any, ...], kwargs: dict[str, Any]):
    rec, dc = Rec(*args, **kwargs), Dc(*args, **kwargs)
    _same(rec, dc)
    assert (rec.name, rec.kind, rec.count) == (dc.name, dc.kind, dc.count)
    assert Rec._record_fields == tuple(f.name for f in dataclasses.fields(Dc))


@pytest.mark.parametrize(("args", "kwargs"), [
    ((), {}), (("a", "b", 1, "too many"), {}), (("a",), {"name": "twice"}), (("a",), {"unknown": 1}),
])
def test_the_same_calls_fail(args: tuple[Any, ...], kwargs: dict[str, Any]):
    with pytest.raises(TypeError):
        Dc(*args, **kwargs)
    with pytest.raises(TypeError):
        Rec(*args, **kwargs)


def test_equality_is_by_class_and_fields():
    assert Rec("a") == Rec("a", "scalar", 0)
    assert Rec("a") != Rec("b")
    assert Rec("a") != Child("a")  # as dataclasses: another class is never equal
    assert Rec("a") != ("a", "scalar", 0)
    assert len({Rec("a"), Rec("a"), Rec("b")}) == 2


def test_frozen():
    rec = Rec("a")
    for attempt in (lambda: setattr(rec, "name", "b"), lambda: setattr(rec, "new", 1),
                    lambda: delattr(rec, "name")):
        with pytest.raises(AttributeError):
            attempt()
    assert rec.name == "a"


def test_order_as_a_dataclass_with_order():
    rows = [("b", "x"), ("a", "y", "warning"), ("a", "y"), ("a", "x")]
    assert [(r.path, r.message, r.severity) for r in sorted(Ordered(*row) for row in rows)] == \
        [(d.path, d.message, d.severity) for d in sorted(DcOrdered(*row) for row in rows)]
    assert Ordered("a", "x") <= Ordered("a", "x") < Ordered("b", "x")
    with pytest.raises(TypeError):
        _ = Rec("a") < Rec("b")  # type: ignore[operator]  # no order unless asked, as dataclasses
    with pytest.raises(TypeError):
        _ = Ordered("a", "x") < ("a", "x")  # type: ignore[operator]


def test_subclass_fields_follow_the_base_fields():
    child = Child("a", "list", 1, True)
    assert Child._record_fields == ("name", "kind", "count", "extra")
    assert repr(child) == "Child(name='a', kind='list', count=1, extra=True)"
    assert Rec._record_fields == ("name", "kind", "count")  # the base is unchanged


def test_a_field_without_default_after_one_with_is_refused():
    with pytest.raises(TypeError, match="non-default field 'late' follows default field 'kind'"):
        class Bad(Record):
            name: str
            kind: str = "scalar"
            late: int


def test_replace_and_pickle():
    rec = Rec("a", "list", 2)
    assert replace(rec, count=3) == Rec("a", "list", 3)
    assert rec.count == 2
    with pytest.raises(TypeError):
        replace(rec, unknown=1)
    assert pickle.loads(pickle.dumps(rec)) == rec


def test_the_render_paths_records():
    """The classes that were dataclasses keep their fields, defaults and behaviour."""
    assert Port("VpcId", "AWS::EC2::VPC::Id", "the VPC") == Port(
        name="VpcId", param_type="AWS::EC2::VPC::Id", description="the VPC", kind="scalar", root_output=False)
    assert sorted([Problem("b", "m"), Problem("a", "m", "warning"), Problem("a", "m")]) == [
        Problem("a", "m"), Problem("a", "m", "warning"), Problem("b", "m")]
    assert repr(Problem("a", "m")) == "Problem(path='a', message='m', severity='error')"
    rendered = RenderedSet("s", "root.json", {"root.json": "{}", "X.json": "{}"})
    assert rendered.fmt == "json" and rendered.children == {"X.json": "{}"}
    assert replace(rendered, files={"root.json": "[]"}).files == {"root.json": "[]"}
    assert StackPlan("p") == ONE_PER_BUILDER.__class__("p", {})
    assert dict(StackPlan("p").joins) == {} and CRITICAL_PATH.merged_away()
    assert dict(ONE_PER_BUILDER.joins) == {"FargateStack": "ControlPlaneStack"}  # the profiles were the control plane's
