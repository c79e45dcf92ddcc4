"""Fuzz examples: one OCPP-J message each, valid or broken at exactly one spot, ready to send.

An example carries its payload, not a message id: the id is made fresh at send time (a replayed
example must not reuse an id the SUT has seen), and `frame(id)` gives the text to send.

Disruption policy for messages sent to a charging station under test (issue 8): a schema-valid
example of a destructive action is rewritten to a variant that cannot disrupt (`SAFE_VALID`), or
not generated at all (`INVALID_ONLY`, with the reason). Invalid examples are always generated: a
conformant station rejects them before acting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st

from conformance.fuzz.framing import FramingFault, framing_faults
from conformance.fuzz.invalid import InvalidPayload, invalid_payloads
from conformance.fuzz.paths import json_path
from conformance.fuzz.valid import valid_payloads

Direction = Literal["request", "response"]
Payload = dict[str, Any]

# An EVSE id no station declares (Part 2 numbers EVSEs from 1): a request addressed to it is refused.
NO_SUCH_EVSE = 987
NO_SUCH_COMPONENT = "ZzFuzzNoSuchComponent"


def _with(**fields: Any) -> Callable[[Payload], Payload]:
    def apply(payload: Payload) -> Payload:
        return {**payload, **fields}

    return apply


def _unknown_components(payload: Payload) -> Payload:
    # SetVariables on a component no station has: answered UnknownComponent, nothing changes.
    data = [
        {**item, "component": {**item["component"], "name": NO_SUCH_COMPONENT}}
        for item in payload["setVariableData"]
    ]
    return {**payload, "setVariableData": data}


# CSMS -> station requests: valid examples rewritten so they cannot disrupt the station.
SAFE_VALID: dict[str, Callable[[Payload], Payload]] = {
    "Reset": _with(evseId=NO_SUCH_EVSE),  # never Immediate/OnIdle on the whole station
    "ChangeAvailability": _with(evse={"id": NO_SUCH_EVSE}),
    "RequestStartTransaction": _with(evseId=NO_SUCH_EVSE),
    "SetChargingProfile": _with(evseId=NO_SUCH_EVSE),
    "UnlockConnector": _with(evseId=NO_SUCH_EVSE),
    "ReserveNow": _with(evseId=NO_SUCH_EVSE),
    "SetVariables": _unknown_components,
}

# CSMS -> station requests whose valid examples are not generated: no harmless variant exists.
INVALID_ONLY: dict[str, str] = {
    "UpdateFirmware": "installs firmware from an arbitrary URL",
    "PublishFirmware": "downloads and publishes firmware from an arbitrary URL",
    "SetNetworkProfile": "replaces a network connection profile",
    "InstallCertificate": "installs a root certificate",
    "CertificateSigned": "replaces the station's certificate chain",
    "DeleteCertificate": "deletes an installed certificate",
    "SendLocalList": "replaces the local authorization list",
    "ClearCache": "clears the authorization cache",
    "CustomerInformation": "may clear customer data",
    "GetLog": "uploads logs to an arbitrary URL",
    "ClearChargingProfile": "may clear every installed charging profile",
    "SetMonitoringBase": "replaces the monitoring base",
}

# Station -> CSMS answers the harness sends (charging station under test): keep the station booted.
SAFE_VALID_RESPONSE: dict[str, Callable[[Payload], Payload]] = {
    "BootNotification": _with(status="Accepted", interval=300),
}


@dataclass(frozen=True)
class FuzzExample:
    action: str
    direction: Direction
    payload: Payload
    invalid: InvalidPayload | None = None  # None: schema-valid
    framing: FramingFault | None = None  # a wrapper-level fault: `data` is sent as is

    @property
    def valid(self) -> bool:
        return self.invalid is None and self.framing is None

    @property
    def rule(self) -> str:
        """What is wrong with it: a schema rule, a framing fault, or "valid"."""
        if self.framing is not None:
            return self.framing.fault
        return "valid" if self.invalid is None else self.invalid.rule

    def wire(self, unique_id: str) -> str | bytes:
        """Exactly what to send (a framing fault carries its own message id, if any)."""
        return self.framing.data if self.framing is not None else self.frame(unique_id)

    def frame(self, unique_id: str) -> str:
        """The OCPP-J text to send: a CALL (request) or a CALLRESULT (response); a binary framing
        fault is shown as its Python bytes literal."""
        if self.framing is not None:
            data = self.framing.data
            return data if isinstance(data, str) else f"(binary frame) {data!r}"
        wire: list[Any] = (
            [2, unique_id, self.action, self.payload]
            if self.direction == "request"
            else [3, unique_id, self.payload]
        )
        return json.dumps(wire, separators=(",", ":"), ensure_ascii=False)

    def key(self) -> str:
        """Identity for the result cache: same content, same verdict (ids aside)."""
        if self.framing is not None:
            return repr(("framing", self.framing.fault, self.framing.data))
        rule = "" if self.invalid is None else f"{self.invalid.rule}@{self.invalid.path}"
        return json.dumps([self.direction, self.action, rule, self.payload], sort_keys=True)

    def describe(self) -> str:
        kind = f"{self.action}{'Request' if self.direction == 'request' else 'Response'}"
        if self.framing is not None:
            return f"OCPP-J framing fault {self.framing.fault!r} around a {kind}"
        if self.invalid is None:
            return f"schema-valid {kind}"
        return f"invalid {kind} ({self.invalid.rule}): {self.invalid.mutation}"

    def field_paths(self) -> list[str]:
        """`$.a.b = value` for every leaf of the payload (values shortened)."""
        return [f"{path} = {_short(value)}" for path, value in _leaves(self.payload, ())]

    def __repr__(self) -> str:  # what Hypothesis prints as the falsifying example
        return f"FuzzExample({self.describe()}: {json.dumps(self.payload, ensure_ascii=False)[:300]})"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


def _leaves(value: Any, parts: tuple[str | int, ...]) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from _leaves(child, (*parts, key))
    elif isinstance(value, list) and value:
        for index, child in enumerate(value):
            yield from _leaves(child, (*parts, index))
    else:
        yield json_path(parts), value


def _invalid_example(action: str, direction: Direction) -> Callable[[InvalidPayload], FuzzExample]:
    def build(bad: InvalidPayload) -> FuzzExample:
        return FuzzExample(action, direction, bad.payload, bad)

    return build


def examples(
    action: str,
    direction: Direction,
    *,
    valid: bool = True,
    safe: Callable[[Payload], Payload] | None = None,
) -> st.SearchStrategy[FuzzExample]:
    """Valid examples (rewritten by `safe`, if given) and single-fault invalid ones, valid first so
    shrinking prefers them."""

    def build_valid(payload: Payload) -> FuzzExample:
        return FuzzExample(action, direction, safe(payload) if safe else payload)

    bad = invalid_payloads(action, direction).map(_invalid_example(action, direction))
    if not valid:
        return bad
    return st.one_of(valid_payloads(action, direction).map(build_valid), bad)


def station_request_examples(action: str) -> st.SearchStrategy[FuzzExample]:
    """Requests for a charging station under test, under the disruption policy."""
    return examples(action, "request", valid=action not in INVALID_ONLY, safe=SAFE_VALID.get(action))


def station_response_examples(action: str) -> st.SearchStrategy[FuzzExample]:
    """Answers to a charging station's own `action` requests."""
    return examples(action, "response", safe=SAFE_VALID_RESPONSE.get(action))


def csms_request_examples(action: str) -> st.SearchStrategy[FuzzExample]:
    """Requests for a CSMS under test (a CSMS has nothing to disrupt that a station could break)."""
    return examples(action, "request")


# Wrapper faults whose answer the harness can correlate: no reply id to read ("-1" allowed), or the
# id readable as sent. Left out: an over-long or numeric message id, which a receiver may answer
# under that id, under "-1", or not at all, so no single correlation is right.
FRAMING_FAULTS: tuple[str, ...] = (
    "not-json",
    "not-array",
    "empty-array",
    "binary-frame",
    "message-type-unknown",
    "message-type-string",
    "unknown-action",
    "payload-not-object",
    "call-3-elements",
)


def framing_examples(action: str) -> st.SearchStrategy[FuzzExample]:
    """OCPP-J wrapper faults around a valid `action` CALL (Part 4 section 4; codes in
    `conformance.fuzz.codes.FRAMING_FAULT_CODES`)."""

    def build(fault: FramingFault) -> FuzzExample:
        return FuzzExample(action, "request", {}, framing=fault)

    return framing_faults(action, faults=FRAMING_FAULTS).map(build)
