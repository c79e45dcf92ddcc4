"""Frame decoding and validation: the hot path of the harness.

Every frame is parsed with orjson and its payload checked by a jsonschema-rs validator compiled once
per schema, with format assertion on. Only when that fast validator says "invalid" is the frame walked
again by the reference validator (`jsonschema.Draft6Validator` with a strict date-time checker) to
report every error with its rule and JSON path. tests/ocppj/test_equivalence.py proves both agree on
the verdict for all 128 schemas.

Rules are stable ids: `rpc.*` for OCPP-J framing (Part 4, 4.1-4.3), `schema.<keyword>` for JSON schema
keywords, `format.date-time` for RFC 3339 date-times.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import jsonschema
import jsonschema_rs
import orjson

from conformance.ocppj.frames import (
    ERROR_CODES,
    MAX_ERROR_DESCRIPTION_LENGTH,
    MAX_MESSAGE_ID_LENGTH,
    MISSPELLED_ERROR_CODES,
    Call,
    CallError,
    CallResult,
    Frame,
    MessageType,
)
from conformance.ocppj.schemas import Kind, SchemaStore, default_store

__all__ = [
    "Decoded",
    "FrameValidator",
    "Violation",
    "error_code_for",
    "is_ocpp_datetime",
    "json_path",
]

_MAX_MESSAGE = 300  # keep violation messages readable: enum lists and long values are cut


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: stable `rule` id, JSON `path` ($ = the payload, or the frame for rpc.*)."""

    rule: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.rule}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Decoded:
    """The outcome of decoding one received WebSocket message.

    `frame` is None when the framing is broken beyond building a typed frame. `message_id` is the id to
    answer with a CALLERROR: set for a CALL (valid or not) and an unknown message type whenever the id
    is a readable string, None for responses (they are never answered) and unreadable ids (Part 4,
    4.2.3 then wants "-1"). `response_id` is the readable id of a CALLRESULT/CALLERROR, even a broken
    one. `notes` are warning-level findings that are not violations (a misspelled error code).
    """

    frame: Frame | None
    violations: tuple[Violation, ...]
    text: str
    message_id: str | None = None
    message_type: int | None = None
    response_id: str | None = None
    notes: tuple[Violation, ...] = ()


# ----------------------------------------------------------------------------- date-time

_DATETIME_RE: Final = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)
# The common case, decided by one regex: day <= 28, second < 60, offset in range.
_PLAIN_DATETIME_RE: Final = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(?:\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
_DAYS_IN_MONTH: Final = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_ocpp_datetime(value: str) -> bool:
    """RFC 3339 `date-time` (section 5.6) with a mandatory offset, as OCPP's schemas require.

    Accepts `T`/`Z` in either case and any number of fraction digits (Part 2 advises at most 3, but
    more is schema-valid); checks the calendar day, and allows second 60 only where it falls on
    23:59 UTC. The reference walk uses it; the fast path reaches
    the same verdict natively (see `_DIGITS_PATTERN`).
    """
    if _PLAIN_DATETIME_RE.fullmatch(value) is not None:
        return True
    match = _DATETIME_RE.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    if not 1 <= month <= 12 or day < 1 or hour > 23 or minute > 59 or second > 60:
        return False
    leap_year = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day > (29 if month == 2 and leap_year else _DAYS_IN_MONTH[month - 1]):
        return False
    sign = match.group(7)
    off_hour = int(match.group(8)) if sign else 0
    off_minute = int(match.group(9)) if sign else 0
    if off_hour > 23 or off_minute > 59:
        return False
    if second == 60:
        offset = (off_hour * 60 + off_minute) * (1 if sign == "+" else -1)
        if (hour * 60 + minute - offset) % 1440 != 23 * 60 + 59:
            return False
    return True


def _is_datetime_format(value: object) -> bool:
    # Formats apply to strings only (JSON Schema); the `type` keyword judges the rest.
    return not isinstance(value, str) or is_ocpp_datetime(value)


_FORMAT_CHECKER: Final = jsonschema.FormatChecker(formats=())
_FORMAT_CHECKER.checks("date-time")(_is_datetime_format)

# The fast path keeps jsonschema-rs's native date-time check (no Python callback per value) but adds
# this pattern beside every `format: date-time`: jsonschema-rs 0.60 accepts non-digits in digit
# positions ("2024-01-0-T00:00:00Z"); wherever the digits are digits it agrees with
# `is_ocpp_datetime` (tests/ocppj/test_equivalence.py checks both claims).
_DIGITS_PATTERN: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def _with_digit_patterns(node: Any) -> Any:
    """A copy of a schema with `_DIGITS_PATTERN` next to each date-time format (none has a pattern)."""
    if isinstance(node, dict):
        out = {key: _with_digit_patterns(value) for key, value in node.items()}
        if out.get("format") == "date-time" and "pattern" not in out:
            out["pattern"] = _DIGITS_PATTERN
        return out
    if isinstance(node, list):
        return [_with_digit_patterns(item) for item in node]
    return node


# ----------------------------------------------------------------------------- paths

_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(parts: Iterable[str | int]) -> str:
    """`$.evse.connectorId`, `$.meterValue[0].sampledValue[2].value`, `$['odd key']`."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


def _short(value: Any) -> str:
    """A value as JSON for messages, cut to 80 characters."""
    try:
        text = json.dumps(value) if isinstance(value, str) else orjson.dumps(value, default=repr).decode()
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _not_object(path: str, what: str, value: Any, rule: str = "rpc.payload-type") -> Violation:
    return Violation(rule, path, f"{what} must be a JSON object, got {_short(value)}")


def _clip(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."


# ----------------------------------------------------------------------------- schema errors


def _schema_violations(validator: jsonschema.protocols.Validator, payload: Any) -> list[Violation]:
    """Every error the reference validator finds, as violations with rule and precise path."""
    out: list[Violation] = []
    for error in validator.iter_errors(payload):
        keyword = str(error.validator)
        base = list(error.absolute_path)
        if keyword == "required" and isinstance(error.instance, dict):
            missing = [p for p in error.validator_value if p not in error.instance]
            name = next((p for p in missing if error.message.startswith(repr(p))), None)
            path = json_path([*base, name] if name is not None else base)
            out.append(Violation("schema.required", path, f"required property {name!r} is missing"))
        elif keyword == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            for extra in [k for k in error.instance if k not in known]:
                out.append(
                    Violation(
                        "schema.additionalProperties",
                        json_path([*base, extra]),
                        f"property {extra!r} is not allowed here",
                    )
                )
        elif keyword == "format":
            out.append(
                Violation(
                    f"format.{error.validator_value}",
                    json_path(base),
                    f"{_short(error.instance)} is not an RFC 3339 {error.validator_value}",
                )
            )
        else:
            out.append(Violation(f"schema.{keyword}", json_path(base), _clip(error.message)))
    return out


def _fast_violations(validator: jsonschema_rs.Validator, payload: Any) -> list[Violation]:
    """Errors straight from jsonschema-rs: only used should the reference walk ever find none."""
    out: list[Violation] = []
    for error in validator.iter_errors(payload):
        keyword = str(error.schema_path[-1]) if error.schema_path else "unknown"
        rule = "format.date-time" if keyword == "format" else f"schema.{keyword}"
        out.append(Violation(rule, json_path(error.instance_path), _clip(error.message)))
    return out or [Violation("schema.unknown", "$", "payload rejected by the schema")]


# ----------------------------------------------------------------------------- decoding


def _loads(data: str | bytes) -> tuple[Any, bool]:
    """Parse JSON with orjson: (value, ok). orjson also refuses what cannot be UTF-8 text (escaped lone
    surrogates) and numbers beyond double range; both count as not JSON here (Part 4, 4.1.2)."""
    try:
        return orjson.loads(data), True
    except orjson.JSONDecodeError:
        return None, False


_FRAME_LENGTH: Final = {MessageType.CALL: 4, MessageType.CALLRESULT: 3, MessageType.CALLERROR: 5}
_FRAME_SYNTAX: Final = {
    MessageType.CALL: '[2, "<id>", "<Action>", {payload}]',
    MessageType.CALLRESULT: '[3, "<id>", {payload}]',
    MessageType.CALLERROR: '[4, "<id>", "<errorCode>", "<errorDescription>", {errorDetails}]',
}


class FrameValidator:
    """Decodes OCPP-J frames and checks payloads against the official schemas.

    Thread-compatible: validators are compiled lazily and cached per (action, kind); a race only
    compiles one twice.
    """

    __slots__ = ("_fast", "_reference", "actions", "store")

    def __init__(self, store: SchemaStore | None = None) -> None:
        self.store = store if store is not None else default_store()
        self.actions: frozenset[str] = self.store.actions
        self._fast: dict[tuple[str, Kind], jsonschema_rs.Validator] = {}
        self._reference: dict[tuple[str, Kind], jsonschema.protocols.Validator] = {}

    # -- compiled validators
    def fast_validator(self, action: str, kind: Kind) -> jsonschema_rs.Validator:
        key = (action, kind)
        validator = self._fast.get(key)
        if validator is None:
            schema = _with_digit_patterns(self.store.raw(action, kind))
            validator = jsonschema_rs.Draft6Validator(schema, validate_formats=True)
            self._fast[key] = validator
        return validator

    def reference_validator(self, action: str, kind: Kind) -> jsonschema.protocols.Validator:
        key = (action, kind)
        validator = self._reference.get(key)
        if validator is None:
            schema = self.store.raw(action, kind)
            validator = jsonschema.Draft6Validator(schema, format_checker=_FORMAT_CHECKER)
            self._reference[key] = validator
        return validator

    # -- payloads
    def check_payload(self, action: str, kind: Kind, payload: Any) -> tuple[Violation, ...]:
        """Violations of `payload` against `action`'s request or response schema (empty: valid)."""
        if action not in self.actions:
            return (Violation("rpc.unknown-action", "$", f"{action!r} is not an OCPP 2.0.1 action"),)
        if not isinstance(payload, dict):
            return (_not_object("$", "payload", payload),)
        fast = self.fast_validator(action, kind)
        if fast.is_valid(payload):
            return ()
        found = _schema_violations(self.reference_validator(action, kind), payload)
        return tuple(found or _fast_violations(fast, payload))

    # -- frames
    def decode(self, raw: str | bytes) -> Decoded:
        """Parse one received WebSocket message, checking OCPP-J framing and, for a CALL, its payload."""
        # Fast path: a well-framed, schema-valid CALL in a text frame (the overwhelmingly common case).
        violations: list[Violation] = []
        if isinstance(raw, str):
            text = raw
            msg, ok = _loads(raw)
            if ok and type(msg) is list and len(msg) == 4 and type(msg[0]) is int and msg[0] == 2:
                unique_id, action, payload = msg[1], msg[2], msg[3]
                well_formed = type(unique_id) is str and len(unique_id) <= MAX_MESSAGE_ID_LENGTH
                if well_formed and type(payload) is dict and type(action) is str:
                    fast = self._fast.get((action, "request"))  # compiled by the first full check
                    if fast is not None and fast.is_valid(payload):
                        return Decoded(Call(unique_id, action, payload), (), raw, unique_id, 2, None)
        else:
            text = bytes(raw).decode("utf-8", "backslashreplace")
            violations.append(Violation("rpc.binary-frame", "", "OCPP-J frames are WebSocket text frames"))
            msg, ok = _loads(raw)
        if not ok:
            violations.append(Violation("rpc.not-json", "", f"not valid UTF-8 JSON: {_short(text)}"))
            return Decoded(None, tuple(violations), text)
        return self._check_frame(msg, text, violations)

    def _check_frame(self, msg: Any, text: str, violations: list[Violation]) -> Decoded:
        """Every framing check on a parsed message, each failure reported."""
        if not isinstance(msg, list) or not msg:
            violations.append(Violation("rpc.frame-shape", "$", "a frame must be a non-empty JSON array"))
            return Decoded(None, tuple(violations), text)

        type_id = msg[0]
        readable_id = msg[1] if len(msg) > 1 and isinstance(msg[1], str) else None
        if type(type_id) is not int or type_id not in _FRAME_LENGTH:
            violations.append(
                Violation("rpc.message-type", "$[0]", f"MessageTypeId {_short(type_id)} is not 2, 3 or 4")
            )
            return Decoded(None, tuple(violations), text, message_id=readable_id)
        mtype = MessageType(type_id)
        is_call = mtype is MessageType.CALL
        answer_id = readable_id if is_call else None
        response_id = None if is_call else readable_id

        def broken(*found: Violation) -> Decoded:
            return Decoded(None, (*violations, *found), text, answer_id, type_id, response_id)

        if len(msg) != _FRAME_LENGTH[mtype]:
            return broken(
                Violation(
                    "rpc.frame-shape",
                    "$",
                    f"{len(msg)} elements; a {mtype.name} has {_FRAME_LENGTH[mtype]}: {_FRAME_SYNTAX[mtype]}",
                )
            )
        unique_id = msg[1]
        if not isinstance(unique_id, str):
            return broken(Violation("rpc.message-id", "$[1]", f"message id {_short(unique_id)} is no string"))
        if len(unique_id) > MAX_MESSAGE_ID_LENGTH:
            return broken(
                Violation(
                    "rpc.message-id",
                    "$[1]",
                    f"message id has {len(unique_id)} characters, at most {MAX_MESSAGE_ID_LENGTH} allowed",
                )
            )

        if is_call:
            return self._decode_call(msg, unique_id, text, violations)
        if mtype is MessageType.CALLRESULT:
            payload = msg[2]
            if not isinstance(payload, dict):
                return broken(_not_object("$[2]", "payload", payload))
            return Decoded(CallResult(unique_id, payload), tuple(violations), text, None, type_id, unique_id)
        return self._decode_call_error(msg, unique_id, text, violations)

    def _decode_call(self, msg: list[Any], unique_id: str, text: str, violations: list[Violation]) -> Decoded:
        action, payload = msg[2], msg[3]
        if not isinstance(action, str) or action not in self.actions:
            violations.append(
                Violation("rpc.unknown-action", "$[2]", f"{_short(action)} is not an OCPP 2.0.1 action")
            )
            return Decoded(None, tuple(violations), text, unique_id, 2, None)
        if not isinstance(payload, dict):
            violations.append(_not_object("$[3]", "payload", payload))
            return Decoded(None, tuple(violations), text, unique_id, 2, None)
        fast = self.fast_validator(action, "request")
        if not fast.is_valid(payload):
            found = _schema_violations(self.reference_validator(action, "request"), payload)
            violations.extend(found or _fast_violations(fast, payload))
        return Decoded(Call(unique_id, action, payload), tuple(violations), text, unique_id, 2, None)

    def _decode_call_error(
        self, msg: list[Any], unique_id: str, text: str, violations: list[Violation]
    ) -> Decoded:
        code, description, details = msg[2], msg[3], msg[4]
        notes: tuple[Violation, ...] = ()
        framing_ok = True
        if not isinstance(code, str) or (code not in ERROR_CODES and code not in MISSPELLED_ERROR_CODES):
            violations.append(
                Violation("rpc.error-code", "$[2]", f"{_short(code)} is not an OCPP-J 2.0.1 error code")
            )
            framing_ok = isinstance(code, str)
        elif code in MISSPELLED_ERROR_CODES:
            notes = (
                Violation(
                    "rpc.error-code-misspelled",
                    "$[2]",
                    f"{code!r} is a common misspelling of 'OccurrenceConstraintViolation'; accepted",
                ),
            )
        if not isinstance(description, str):
            violations.append(
                Violation("rpc.frame-shape", "$[3]", f"errorDescription {_short(description)} is no string")
            )
            framing_ok = False
        elif len(description) > MAX_ERROR_DESCRIPTION_LENGTH:
            violations.append(
                Violation(
                    "rpc.error-description",
                    "$[3]",
                    f"errorDescription has {len(description)} characters, "
                    f"at most {MAX_ERROR_DESCRIPTION_LENGTH} are allowed",
                )
            )
        if not isinstance(details, dict):
            violations.append(_not_object("$[4]", "errorDetails", details, rule="rpc.frame-shape"))
            framing_ok = False
        frame = CallError(unique_id, code, description, details) if framing_ok else None
        return Decoded(frame, tuple(violations), text, None, 4, unique_id, notes)


# ----------------------------------------------------------------------------- answering

_ERROR_CODE_BY_RULE: Final = {
    "rpc.not-json": "RpcFrameworkError",
    "rpc.binary-frame": "RpcFrameworkError",
    "rpc.frame-shape": "RpcFrameworkError",
    "rpc.message-id": "RpcFrameworkError",
    "rpc.message-type": "MessageTypeNotSupported",
    "rpc.unknown-action": "NotImplemented",
    "rpc.payload-type": "FormatViolation",
    "schema.required": "OccurrenceConstraintViolation",
    "schema.minItems": "OccurrenceConstraintViolation",
    "schema.maxItems": "OccurrenceConstraintViolation",
    "schema.type": "TypeConstraintViolation",
    "schema.additionalProperties": "FormatViolation",
}


def error_code_for(violations: Sequence[Violation]) -> str:
    """The CALLERROR code a conformant receiver would answer the first violation with (Part 4, 4.3).

    Value constraints (enum, maxLength, minimum, maximum, date-time) are PropertyConstraintViolation.
    """
    if not violations:
        return "GenericError"
    rule = violations[0].rule
    if rule in _ERROR_CODE_BY_RULE:
        return _ERROR_CODE_BY_RULE[rule]
    if rule.startswith(("schema.", "format.")):
        return "PropertyConstraintViolation"
    return "GenericError"
