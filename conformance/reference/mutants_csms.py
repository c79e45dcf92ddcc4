"""Deliberately broken variants of the reference CSMS.

A CSMS started with ``mutant=NAME`` breaks exactly the rule named in ``breaks``; each mutant is
checked at the one place in ``conformance.reference.csms`` where that rule lives, so the harness's
own tests can show that a conformance test really fails when the rule is broken.
"""

from __future__ import annotations

from typing import Final

from conformance.reference.mutants_station import Mutant


def _m(name: str, breaks: str, description: str) -> Mutant:
    return Mutant(name=name, target="csms", breaks=breaks, description=description)


CSMS_MUTANTS: Final[dict[str, Mutant]] = {
    m.name: m
    for m in (
        _m(
            "accepts-unknown-token",
            "C01 / TC_C_02_CSMS (unknown idToken)",
            "answers Authorize and TransactionEvent for a token not in its table with status Accepted",
        ),
        _m(
            "blocked-token-accepted",
            "C01 / TC_C_03_CSMS (blocked idToken)",
            "answers Accepted for a token its table has as Blocked",
        ),
        _m(
            "no-certificate-signed",
            "A02 / TC_A_11_CSMS (SignCertificate then CertificateSigned)",
            "accepts a SignCertificateRequest but never sends the CertificateSignedRequest",
        ),
        _m(
            "heartbeat-interval-string",
            "Part 3 BootNotificationResponse.interval (integer) / TC_B_01_CSMS",
            'sends BootNotificationResponse.interval as a string ("300")',
        ),
        _m(
            "boot-time-bad-format",
            "Part 2 dateTime (RFC 3339 with offset) / TC_B_01_CSMS",
            "sends BootNotificationResponse.currentTime as local time without a timezone",
        ),
        _m(
            "schema-invalid-response",
            "Part 3 HeartbeatResponse (currentTime required) / TC_G_*_CSMS, Reusable State Booted",
            "answers Heartbeat with an empty payload",
        ),
        _m(
            "mismatched-message-id",
            "Part 4 4.1.2 (a CALLRESULT carries its CALL's message id)",
            "answers every CALL with a CALLRESULT whose message id is another one",
        ),
        _m(
            "second-call-while-open",
            "Part 4 4.1.1 (one outstanding CALL per direction)",
            "sends a TriggerMessage(Heartbeat) right after each operator request, before its response",
        ),
        _m(
            "ignores-pending",
            "B02 / TC_B_02_CSMS (Pending: only configuration requests)",
            "sends RequestStartTransaction to a station it just answered Pending, and lets operators send"
            " any request to a Pending station",
        ),
        _m(
            "pending-no-security-error",
            "B02.FR.09, B03.FR.07 / TC_B_30_CSMS",
            "answers StatusNotification etc. normally while the station's boot is Pending or Rejected",
        ),
        _m(
            "wrong-callerror-code",
            "Part 4 4.3 (RPC framework error codes)",
            "bypasses the OCPP-J front door: the ocpp library's own (wrong or missing) answers to"
            " malformed frames are sent",
        ),
        _m(
            "transaction-response-missing-idtokeninfo",
            "E01/E03 / TC_E_*_CSMS (TransactionEventResponse.idTokenInfo when an idToken is sent)",
            "leaves idTokenInfo out of TransactionEventResponse",
        ),
        _m(
            "accepts-bad-password",
            "A00 security profile 1/2 / TC_A_01_CSMS (wrong Basic auth password)",
            "accepts a station's connection with a wrong Basic auth password",
        ),
        _m(
            "no-subprotocol",
            "Part 4 3.1.2 (the server selects ocpp2.0.1)",
            "completes the websocket handshake without a Sec-WebSocket-Protocol header",
        ),
    )
}


def _merge_block_mutants() -> None:
    from conformance.reference.mutants import extra_mutants

    for name, mutant in extra_mutants("csms").items():
        if name in CSMS_MUTANTS:
            raise ValueError(f"CSMS mutant {name!r} is defined twice")
        CSMS_MUTANTS[name] = mutant


_merge_block_mutants()
