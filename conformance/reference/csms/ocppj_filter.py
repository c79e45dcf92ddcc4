"""The reference CSMS's OCPP-J front door (Part 4 sections 4.1.3 and 4.3).

The `ocpp` library answers several malformed frames wrongly or not at all (shared notes,
"ocpp-library-pitfalls"), so every incoming frame is screened here against the official schemas
(`conformance.resources.schema_dir()`, not the library's modified copies) before the library sees it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import jsonschema
from jsonschema.exceptions import ValidationError

from conformance.resources import schema_dir

MAX_ID_LENGTH: Final = 36
UNREADABLE_ID: Final = "-1"  # Part 4: the id to use when the message id cannot be read

# jsonschema keyword -> OCPP-J error code; the order is the priority when a payload has several errors.
_KEYWORD_CODES: Final[tuple[tuple[str, str], ...]] = (
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
_PRIORITY: Final = {keyword: i for i, (keyword, _) in enumerate(_KEYWORD_CODES)}
_CODES: Final = dict(_KEYWORD_CODES)


@dataclass(frozen=True)
class IncomingCall:
    unique_id: str
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncomingResponse:
    """A CALLRESULT or CALLERROR, handed to the library's response queue unchanged."""

    unique_id: str
    message_type: int


@dataclass(frozen=True)
class Reject:
    """Answer with this CALLERROR frame instead of dispatching."""

    unique_id: str
    code: str
    description: str
    answer: bool = True  # False for a malformed response: a response is never answered (Part 4)

    def frame(self) -> str:
        return call_error(self.unique_id, self.code, self.description)


Screened = IncomingCall | IncomingResponse | Reject


@dataclass(frozen=True)
class PayloadProblem:
    code: str  # the OCPP-J error code
    path: str  # JSON path, e.g. $.idToken.type
    keyword: str  # the schema keyword violated
    message: str

    def describe(self) -> str:
        return f"{self.path}: {self.keyword} violated ({self.message})"[:255]


def call_error(unique_id: str, code: str, description: str, details: dict[str, Any] | None = None) -> str:
    return json.dumps([4, unique_id, code, description[:255], details or {}], separators=(",", ":"))


@cache
def _validator(action: str, kind: str) -> jsonschema.Draft6Validator | None:
    path = schema_dir() / f"{action}{kind}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft6Validator(schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER)


def is_known_action(action: str) -> bool:
    return _validator(action, "Request") is not None


def payload_problem(action: str, kind: str, payload: Any) -> PayloadProblem | None:
    """The most telling schema violation of a payload (``kind`` "Request" or "Response"), or None."""
    validator = _validator(action, kind)
    if validator is None:
        return PayloadProblem("NotImplemented", "$", "action", f"unknown action {action!r}")
    errors = list(validator.iter_errors(payload))
    if not errors:
        return None
    first = min(errors, key=lambda e: (_PRIORITY.get(str(e.validator), 99), len(e.absolute_path)))
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.absolute_path)
    return PayloadProblem(
        _CODES.get(str(first.validator), "FormatViolation"), path, str(first.validator), _short(first)
    )


def _short(error: ValidationError) -> str:
    message = str(error.message)
    return message if len(message) <= 120 else message[:117] + "..."


def _good_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def screen(raw: str | bytes) -> Screened:
    """Classify one incoming websocket message; a malformed one becomes the right CALLERROR."""
    if isinstance(raw, bytes):
        return Reject(UNREADABLE_ID, "RpcFrameworkError", "binary websocket frames are not OCPP-J")
    try:
        msg = json.loads(raw)
    except ValueError:
        return Reject(UNREADABLE_ID, "RpcFrameworkError", "message is not valid JSON")
    if not isinstance(msg, list) or not msg:
        return Reject(UNREADABLE_ID, "RpcFrameworkError", "message is not a non-empty JSON array")
    readable_id = msg[1] if len(msg) > 1 and _good_id(msg[1]) else UNREADABLE_ID
    type_id = msg[0]
    if not isinstance(type_id, int) or isinstance(type_id, bool):
        return Reject(readable_id, "RpcFrameworkError", "MessageTypeId is not an integer")
    if type_id not in (2, 3, 4):
        return Reject(readable_id, "MessageTypeNotSupported", f"MessageTypeId {type_id} is not supported")
    if len(msg) < 2 or not _good_id(msg[1]):
        return Reject(UNREADABLE_ID, "FormatViolation", "MessageId must be a string of 1 to 36 characters")
    unique_id: str = msg[1]
    if type_id == 3:
        if len(msg) != 3 or not isinstance(msg[2], dict):
            return Reject(unique_id, "RpcFrameworkError", "a CALLRESULT is [3, id, {payload}]", False)
        return IncomingResponse(unique_id, 3)
    if type_id == 4:
        if len(msg) != 5 or not isinstance(msg[2], str) or not isinstance(msg[3], str):
            return Reject(
                unique_id, "RpcFrameworkError", "a CALLERROR is [4, id, code, description, {details}]", False
            )
        return IncomingResponse(unique_id, 4)
    if len(msg) != 4 or not isinstance(msg[2], str):
        return Reject(unique_id, "RpcFrameworkError", "a CALL is [2, id, action, {payload}]")
    action, payload = msg[2], msg[3]
    if not is_known_action(action):
        return Reject(unique_id, "NotImplemented", f"unknown action {action[:100]!r}")
    if not isinstance(payload, dict):
        return Reject(unique_id, "FormatViolation", "the payload of a CALL must be a JSON object")
    problem = payload_problem(action, "Request", payload)
    if problem is not None:
        return Reject(unique_id, problem.code, problem.describe())
    return IncomingCall(unique_id, action, payload)


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
