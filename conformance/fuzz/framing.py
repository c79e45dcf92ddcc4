"""Frames broken at the OCPP-J wrapper level (Part 4 section 4), one fault each.

Each is built around a valid CALL of `action` so only the named fault is wrong. Codes and whether a
reply is required: `conformance.fuzz.codes.FRAMING_FAULT_CODES`. Where `expects_reply` is False no
message id can be read; the property to check is that the peer keeps the connection open and keeps
answering (a CALLERROR with id "-1" is permitted, Part 4 4.2.3).
"""

from __future__ import annotations

import json
import string
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from conformance.fuzz.codes import FRAMING_FAULT_CODES
from conformance.fuzz.schemas import actions
from conformance.fuzz.valid import valid_payloads

MAX_MESSAGE_ID = 36  # Part 4 4.1.4

FAULTS: tuple[str, ...] = tuple(FRAMING_FAULT_CODES)


@dataclass(frozen=True)
class FramingFault:
    data: str | bytes
    fault: str
    allowed_codes: frozenset[str]
    exact_code: str
    expects_reply: bool


def message_ids() -> st.SearchStrategy[str]:
    """Valid message ids: UUIDs (what most peers send) or short alphanumerics, 1-36 characters."""
    return st.one_of(
        st.text(string.ascii_letters + string.digits, min_size=1, max_size=12),
        st.uuids().map(str),
    )


def dumps(frame: Any) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def _unknown_action(action: str) -> st.SearchStrategy[str]:
    known = set(actions())
    # Action names are case-sensitive (Part 4 4.2.1); avoid the "-Signed" form of section 7.
    candidates = [action.lower(), action + "X", "Foo", f"{action}Request", action.upper()]
    return st.sampled_from([c for c in candidates if c not in known])


@st.composite
def _fault(draw: st.DrawFn, action: str, faults: tuple[str, ...]) -> FramingFault:
    fault = draw(st.sampled_from(faults))
    payload = draw(valid_payloads(action, "request"))
    mid = draw(message_ids())
    call = [2, mid, action, payload]
    data: str | bytes
    if fault == "not-json":
        text = dumps(call)
        data = draw(
            st.one_of(
                st.integers(1, len(text) - 1).map(lambda n: text[:n]),  # truncated: never closes
                st.just(text.replace('"', "'")),
                st.just(text + "]"),
                st.just("hello"),
            )
        )
    elif fault == "not-array":
        data = dumps(draw(st.sampled_from([{"messageTypeId": 2, "messageId": mid}, "CALL", 2, None])))
    elif fault == "empty-array":
        data = "[]"
    elif fault == "binary-frame":
        data = dumps(call).encode("utf-8")
    elif fault == "message-type-unknown":
        data = dumps([draw(st.sampled_from([7, 0, 1, 5, 99, -2])), mid, action, payload])
    elif fault == "message-type-string":
        data = dumps(["2", mid, action, payload])
    elif fault == "unknown-action":
        data = dumps([2, mid, draw(_unknown_action(action)), payload])
    elif fault == "message-id-too-long":
        long_id = draw(st.text(string.ascii_letters + string.digits + "-", min_size=37, max_size=80))
        data = dumps([2, long_id, action, payload])
    elif fault == "message-id-numeric":
        data = dumps([2, draw(st.integers(0, 10**9)), action, payload])
    elif fault == "payload-not-object":
        data = dumps([2, mid, action, draw(st.sampled_from([[], "payload", 42, True, [payload]]))])
    elif fault == "call-3-elements":
        data = dumps([2, mid, action])
    else:  # pragma: no cover - FAULTS comes from the same table
        raise AssertionError(fault)
    allowed, exact, expects_reply = FRAMING_FAULT_CODES[fault]
    return FramingFault(data, fault, allowed, exact, expects_reply)


def framing_faults(action: str, *, faults: Collection[str] | None = None) -> st.SearchStrategy[FramingFault]:
    """One wrapper-level fault per example around a valid CALL of `action`; `faults` restricts
    which (names from `FAULTS`)."""
    if action not in actions():
        raise KeyError(f"unknown action {action!r}")
    chosen = FAULTS if faults is None else tuple(f for f in FAULTS if f in set(faults))
    unknown = set(faults or ()) - set(FAULTS)
    if unknown or not chosen:
        raise ValueError(f"unknown or no faults {sorted(unknown)}; known: {FAULTS}")
    return _fault(action, chosen)
