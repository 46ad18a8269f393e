"""The envelope every Agion message travels in (Proto/agion/v1/envelope.proto)."""

from __future__ import annotations

import os
import time

from google.protobuf.message import DecodeError, Message

from .errors import AgionError, error_for
from .v1 import envelope_pb2, errors_pb2

ERROR_TYPE = "agion.rpc.error"


def uuid7() -> str:
    """A UUIDv7 in canonical text form: 48 bits of Unix milliseconds, then random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis << 80) | (0x7 << 76) | (((rand >> 62) & 0xFFF) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def envelope(payload: Message, *, tenant: str, traceparent: str = "", correlation_id: str = "",
             type: str | None = None) -> envelope_pb2.Envelope:
    """A request or reply: its type is the payload's protobuf name, as the services expect."""
    id_ = uuid7()
    return envelope_pb2.Envelope(
        id=id_, type=type or payload.DESCRIPTOR.full_name, schema_version=1, occurred_at_unix_nanos=time.time_ns(),
        tenant=tenant, correlation_id=correlation_id or id_, traceparent=traceparent, payload=payload.SerializeToString())


def error_envelope(code: str, message: str, *, retriable: bool, tenant: str, field: str = "") -> envelope_pb2.Envelope:
    reply = errors_pb2.ErrorReply(code=code, message=message, retriable=retriable, field=field)
    return envelope(reply, tenant=tenant, type=ERROR_TYPE)


def decode_reply(data: bytes, reply_type: type[Message]) -> Message:
    """The reply's payload, or the ``AgionError`` an error reply carries."""
    try:
        env = envelope_pb2.Envelope.FromString(data)
    except DecodeError as error:
        raise AgionError("decode_failed", f"the reply is not an envelope: {error}") from None
    if env.type == ERROR_TYPE:
        reply = errors_pb2.ErrorReply.FromString(env.payload)
        raise error_for(reply.code, reply.message, retriable=reply.retriable, field=reply.field)
    try:
        return reply_type.FromString(env.payload)
    except DecodeError as error:
        raise AgionError("decode_failed", f"the reply is not a {reply_type.DESCRIPTOR.full_name}: {error}") from None
