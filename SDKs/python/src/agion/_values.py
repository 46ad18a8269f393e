"""JSON values <-> ``agion.v1.Value`` / ``StructValue`` (a check's context,
mission inputs and outputs, agent invocations).

Depth is bounded here, before anything recursive reads a value: the services
refuse messages nested deeper than 100 levels, and a value deeper than that is a
caller's mistake worth a clear ``ValueError`` rather than a ``RecursionError``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from .v1 import governance_pb2 as pb

MAX_DEPTH = 64

JSON = Any


def to_value(obj: JSON, _depth: int = 0) -> pb.Value:
    value = pb.Value()
    _fill_value(value, obj, _depth)
    return value


def _fill_value(value: pb.Value, obj: JSON, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"the value nests deeper than {MAX_DEPTH} levels")
    if obj is None:
        value.null_value = True
    elif isinstance(obj, bool):
        value.bool_value = obj
    elif isinstance(obj, (int, float)):
        number = float(obj)
        if not math.isfinite(number):
            raise ValueError(f"{obj!r} is not a JSON number")
        value.number_value = number
    elif isinstance(obj, str):
        value.string_value = obj
    elif isinstance(obj, Mapping):
        struct = value.struct_value
        struct.SetInParent()
        _fill_struct(struct, obj, depth + 1)
    elif isinstance(obj, (list, tuple)):
        items = value.list_value
        items.SetInParent()
        for item in obj:
            _fill_value(items.values.add(), item, depth + 1)
    else:
        raise TypeError(f"{type(obj).__name__} is not a JSON value")


def to_struct(obj: Mapping[str, JSON] | None) -> pb.StructValue:
    struct = pb.StructValue()
    if obj:
        _fill_struct(struct, obj, 0)
    return struct


def _fill_struct(struct: pb.StructValue, obj: Mapping[str, JSON], depth: int) -> None:
    for key, item in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"object keys must be strings, not {type(key).__name__}")
        field = struct.fields.add()
        field.key = key
        _fill_value(field.value, item, depth)


def from_value(value: pb.Value, _depth: int = 0) -> JSON:
    if _depth > MAX_DEPTH:
        raise ValueError(f"the value nests deeper than {MAX_DEPTH} levels")
    kind = value.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        # Integers travel as doubles; give them back as ints when exact.
        return int(number) if number.is_integer() and abs(number) <= 2**53 else number
    if kind == "string_value":
        return value.string_value
    if kind == "list_value":
        return [from_value(item, _depth + 1) for item in value.list_value.values]
    return from_struct(value.struct_value, _depth + 1)


def from_struct(struct: pb.StructValue, _depth: int = 0) -> dict[str, JSON]:
    return {field.key: from_value(field.value, _depth) for field in struct.fields}
