"""OCPP-J message frames (Part 4, 4.2): CALL, CALLRESULT, CALLERROR, and their wire form."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import orjson


class MessageType(IntEnum):
    """The MessageTypeId of an OCPP-J frame (Part 4, table 3)."""

    CALL = 2
    CALLRESULT = 3
    CALLERROR = 4


@dataclass(frozen=True, slots=True)
class Call:
    """`[2, "<id>", "<Action>", {payload}]`."""

    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallResult:
    """`[3, "<id>", {payload}]`; the action is known only from the CALL it answers."""

    unique_id: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CallError:
    """`[4, "<id>", "<errorCode>", "<errorDescription>", {errorDetails}]`."""

    unique_id: str
    error_code: str
    error_description: str
    error_details: dict[str, Any]


Frame = Call | CallResult | CallError

# Part 4, 4.3 "RPC Framework Error Codes" (the complete 2.0.1 list).
ERROR_CODES: frozenset[str] = frozenset(
    {
        "FormatViolation",
        "GenericError",
        "InternalError",
        "MessageTypeNotSupported",
        "NotImplemented",
        "NotSupported",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "RpcFrameworkError",
        "SecurityError",
        "TypeConstraintViolation",
    }
)

# Seen in the field (and defined by the `ocpp` library); accepted, but reported as a note.
MISSPELLED_ERROR_CODES: frozenset[str] = frozenset({"OccurenceConstraintViolation"})

# Part 4, 4.1.4: message ids are strings of at most 36 characters (room for a UUID).
MAX_MESSAGE_ID_LENGTH = 36
# Part 4, table 7: errorDescription is string[255].
MAX_ERROR_DESCRIPTION_LENGTH = 255


def new_message_id() -> str:
    """A fresh message id: a UUID4 in its 36-character text form."""
    return str(uuid.uuid4())


def to_wire(frame: Frame) -> list[Any]:
    """The JSON array of a frame."""
    if isinstance(frame, Call):
        return [MessageType.CALL.value, frame.unique_id, frame.action, frame.payload]
    if isinstance(frame, CallResult):
        return [MessageType.CALLRESULT.value, frame.unique_id, frame.payload]
    return [
        MessageType.CALLERROR.value,
        frame.unique_id,
        frame.error_code,
        frame.error_description,
        frame.error_details,
    ]


def serialize(frame: Frame) -> str:
    """Compact JSON text of a frame, ready for a WebSocket text message.

    Integers beyond 64 bits and lone surrogates (orjson refuses both) go through the stdlib,
    surrogates escaped as `\\udXXX`. NaN and infinities become null (orjson's choice; JSON has none).
    """
    wire = to_wire(frame)
    try:
        return orjson.dumps(wire).decode()
    except orjson.JSONEncodeError:
        return json.dumps(wire, separators=(",", ":"), allow_nan=False)
