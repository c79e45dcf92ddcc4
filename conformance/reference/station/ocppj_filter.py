"""A conformant OCPP-J front door for incoming frames (Part 4 section 4.2.3 / 4.3).

The `ocpp` library mishandles several malformed inputs (see shared notes, "ocpp-library-pitfalls"),
so every frame is screened here first, against the official schemas (not the library's modified
copies). A frame that passes is a well-formed CALL (for the library to dispatch) or a response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from conformance.resources import schema_dir

MAX_ID_LENGTH = 36

# jsonschema keyword -> OCPP-J error code. Order is the priority when a payload has several errors.
_KEYWORD_CODES: tuple[tuple[str, str], ...] = (
    ("required", "OccurrenceConstraintViolation"),
    ("minItems", "OccurrenceConstraintViolation"),
    ("maxItems", "OccurrenceConstraintViolation"),
    ("type", "TypeConstraintViolation"),
    ("additionalProperties", "FormatViolation"),
    ("format", "FormatViolation"),
    ("enum", "PropertyConstraintViolation"),
    ("maxLength", "PropertyConstraintViolation"),
    ("minimum", "PropertyConstraintViolation"),
    ("maximum", "PropertyConstraintViolation"),
)
_PRIORITY = {keyword: i for i, (keyword, _) in enumerate(_KEYWORD_CODES)}
_CODES = dict(_KEYWORD_CODES)


@dataclass(frozen=True)
class IncomingCall:
    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncomingResponse:
    """A CALLRESULT or CALLERROR: handed to the library unchanged."""

    raw: str


@dataclass(frozen=True)
class Reject:
    """Answer with this CALLERROR instead of dispatching."""

    frame: str


Screened = IncomingCall | IncomingResponse | Reject


def call_error(unique_id: str, code: str, description: str, details: dict[str, Any] | None = None) -> str:
    return json.dumps([4, unique_id, code, description[:255], details or {}])


@cache
def _validator(action: str, kind: str) -> jsonschema.Draft6Validator | None:
    path = schema_dir() / f"{action}{kind}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)


def is_known_action(action: str) -> bool:
    return _validator(action, "Request") is not None


def payload_error(action: str, kind: str, payload: Any) -> tuple[str, str] | None:
    """(error code, description) for the first schema violation of a payload, or None if valid."""
    validator = _validator(action, kind)
    if validator is None:
        return None
    errors = list(validator.iter_errors(payload))
    if not errors:
        return None
    first = min(errors, key=lambda e: (_PRIORITY.get(str(e.validator), 99), list(e.absolute_path)))
    code = _CODES.get(str(first.validator), "FormatViolation")
    return code, _describe(first)


def _describe(error: ValidationError) -> str:
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"{path}: {error.validator} violated"


def screen(raw: str | bytes) -> Screened:
    """Classify one incoming websocket message; malformed ones become the right CALLERROR."""
    if isinstance(raw, bytes):
        return Reject(call_error("-1", "RpcFrameworkError", "binary frames are not OCPP-J"))
    try:
        msg = json.loads(raw)
    except ValueError:
        return Reject(call_error("-1", "RpcFrameworkError", "message is not valid JSON"))
    if not isinstance(msg, list) or not msg:
        return Reject(call_error("-1", "RpcFrameworkError", "message is not a non-empty JSON array"))
    readable_id = msg[1] if len(msg) > 1 and _good_id(msg[1]) else "-1"
    type_id = msg[0]
    if not isinstance(type_id, int) or isinstance(type_id, bool):
        return Reject(call_error(readable_id, "RpcFrameworkError", "MessageTypeId is not an integer"))
    if type_id not in (2, 3, 4):
        return Reject(call_error(readable_id, "MessageTypeNotSupported", f"MessageTypeId {type_id}"))
    if len(msg) < 2 or not _good_id(msg[1]):
        return Reject(call_error("-1", "FormatViolation", "MessageId must be a string of 1-36 characters"))
    if type_id != 2:
        return IncomingResponse(raw)
    unique_id: str = msg[1]
    if len(msg) != 4 or not isinstance(msg[2], str):
        return Reject(
            call_error(unique_id, "RpcFrameworkError", "a CALL has 4 elements: 2, id, action, payload")
        )
    action, payload = msg[2], msg[3]
    if not is_known_action(action):
        return Reject(call_error(unique_id, "NotImplemented", f"unknown action {action!r}"))
    if not isinstance(payload, dict):
        return Reject(call_error(unique_id, "FormatViolation", "payload must be a JSON object"))
    problem = payload_error(action, "Request", payload)
    if problem is not None:
        return Reject(call_error(unique_id, problem[0], problem[1]))
    return IncomingCall(unique_id, action, payload)


def _good_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def has_overlong_string(raw: str | bytes) -> bool:
    """True for a CALL whose payload has a string longer than its schema's maxLength (used by the
    closes-on-long-string mutant, which drops the connection where a CALLERROR is due)."""
    try:
        msg = json.loads(raw)
    except ValueError:
        return False
    if not (isinstance(msg, list) and len(msg) == 4 and msg[0] == 2 and isinstance(msg[2], str)):
        return False
    validator = _validator(msg[2], "Request")
    if validator is None or not isinstance(msg[3], dict):
        return False
    return any(error.validator == "maxLength" for error in validator.iter_errors(msg[3]))
