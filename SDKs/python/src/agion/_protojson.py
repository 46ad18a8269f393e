"""Contract messages <-> the gateway's JSON (docs/gateway.md, "JSON mapping").

The gateway maps JSON to the messages of Proto/agion/v1 by their descriptors;
this is the same mapping from the client's side, so both transports speak the
same messages and the SDK builds its typed results in one place:

- field names are the ``.proto`` names; 64-bit integers are decimal strings;
- enums are value names without their prefix, in lower case (``allow``);
- ``StructValue`` is a JSON object, ``Value`` any JSON value, and a repeated
  ``Header`` (metadata, load, obligation parameters) an object of strings.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from ._values import from_struct, from_value, to_struct, to_value

M = TypeVar("M", bound=Message)

_SIXTY_FOUR_BITS = {
    FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64,
}


def _enum_prefix(enum: EnumDescriptor) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def enum_name(enum: EnumDescriptor, number: int) -> str:
    value = enum.values_by_number.get(number)
    if value is None:
        return str(number)
    prefix = _enum_prefix(enum)
    name = value.name[len(prefix):] if value.name.startswith(prefix) else value.name
    return name.lower()


def enum_number(enum: EnumDescriptor, name: str | int) -> int:
    if isinstance(name, int):
        return name
    value = enum.values_by_name.get(_enum_prefix(enum) + name.upper()) or enum.values_by_name.get(name)
    if value is None:
        raise ValueError(f"{name!r} is not a value of {enum.full_name}")
    return value.number


def _repeated(field: FieldDescriptor) -> bool:
    # protobuf 7 dropped `label` for `is_repeated`; 4.x has only `label`.
    repeated = getattr(field, "is_repeated", None)
    return bool(repeated) if repeated is not None else field.label == FieldDescriptor.LABEL_REPEATED


def _is(descriptor: Descriptor | None, name: str) -> bool:
    return descriptor is not None and descriptor.full_name == name


def to_json(message: Message, *, omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields that are set (proto3: not default), except ``omit``."""
    out: dict[str, Any] = {}
    for field, value in message.ListFields():
        if field.name in omit:
            continue
        out[field.name] = _field_to_json(field, value)
    return out


def _field_to_json(field: FieldDescriptor, value: Any) -> Any:
    if _repeated(field):
        if _is(field.message_type, "agion.v1.Header"):
            return {header.key: header.value for header in value}
        return [_single_to_json(field, item) for item in value]
    return _single_to_json(field, value)


def _single_to_json(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        if _is(field.message_type, "agion.v1.StructValue"):
            return from_struct(value)
        if _is(field.message_type, "agion.v1.Value"):
            return from_value(value)
        return to_json(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_name(field.enum_type, value)
    if field.type in _SIXTY_FOUR_BITS:
        return str(value)
    return value


def from_json(cls: type[M], data: dict[str, Any]) -> M:
    message = cls()
    fill(message, data)
    return message


def fill(message: Message, data: dict[str, Any]) -> None:
    fields = message.DESCRIPTOR.fields_by_name
    for name, value in data.items():
        field = fields.get(name)
        if field is None or value is None:
            continue  # a newer gateway's field: ignored, as protobuf readers do
        if _repeated(field):
            target = getattr(message, name)
            if _is(field.message_type, "agion.v1.Header"):
                for key, text in value.items():
                    header = target.add()
                    header.key, header.value = key, str(text)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value:
                    _fill_message(target.add(), field, item)
            else:
                target.extend(_scalar(field, item) for item in value)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            _fill_message(getattr(message, name), field, value)
        else:
            setattr(message, name, _scalar(field, value))


def _fill_message(target: Message, field: FieldDescriptor, value: Any) -> None:
    if _is(field.message_type, "agion.v1.StructValue"):
        target.CopyFrom(to_struct(value))
    elif _is(field.message_type, "agion.v1.Value"):
        target.CopyFrom(to_value(value))
    else:
        target.SetInParent()
        fill(target, value)


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return enum_number(field.enum_type, value)
    if field.type in _SIXTY_FOUR_BITS:
        return int(value)
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return float(value)
    return value
