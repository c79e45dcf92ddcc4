"""Fuzz cases for a CSMS under test: FZ_<Action>_CSMS for every station-initiated action (issue 8).

The harness plays a booted station and sends schema-valid and single-fault requests; properties in
`conformance.fuzz.properties`. DataTransfer goes both ways, so it is fuzzed in both blocks.
FZ_Framing_CSMS sends OCPP-J wrapper faults (not JSON, unknown message type, ...) instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.drivers.actions import CSMS_INITIATED_ACTIONS
from conformance.fuzz.engine import FuzzSettings, Verdict
from conformance.fuzz.examples import FuzzExample, csms_request_examples, framing_examples
from conformance.fuzz.properties import CsmsUnderTest, check_request
from conformance.fuzz.schemas import actions
from conformance.session import states
from conformance.session.endpoints import HarnessStation
from testcases.fuzz.common import fuzz_case

STATION_INITIATED: tuple[str, ...] = tuple(
    a for a in actions() if a not in CSMS_INITIATED_ACTIONS or a == "DataTransfer"
)


def _param(action: str) -> Any:
    return pytest.param(action, id=f"FZ_{action}_CSMS", marks=pytest.mark.ocpp_fuzz(action, sut="csms"))


def _booted_target(station: HarnessStation, sut: Any) -> CsmsUnderTest:
    identity = sut.sut
    boot = {
        "reason": "PowerUp",
        "chargingStation": {"model": identity.model, "vendorName": identity.vendor_name},
    }
    return CsmsUnderTest(station, boot)


@pytest.mark.parametrize("action", [_param(a) for a in STATION_INITIATED])
async def test_fuzz_csms(
    action: str, station: HarnessStation, sut: Any, fuzz_settings: FuzzSettings, fuzz_replay: str
) -> None:
    """Station-initiated `action` requests, valid and single-fault, to the CSMS under test."""
    await states.csms_booted(station, sut)
    target = _booted_target(station, sut)

    async def check(example: FuzzExample) -> Verdict:
        return await check_request(target, example, strict=fuzz_settings.strict, timeout=station.timeout)

    await fuzz_case(
        f"FZ_{action}_CSMS",
        csms_request_examples(action),
        check,
        fuzz_settings,
        timeout=station.timeout,
        connect_timeout=sut.timeouts.connect,
        replay=fuzz_replay,
    )


@pytest.mark.ocpp_fuzz("Framing", sut="csms")
async def test_FZ_Framing_CSMS(
    station: HarnessStation, sut: Any, fuzz_settings: FuzzSettings, fuzz_replay: str
) -> None:
    """OCPP-J wrapper faults (Part 4 section 4) around a HeartbeatRequest, to the CSMS under test."""
    await states.csms_booted(station, sut)
    target = _booted_target(station, sut)

    async def check(example: FuzzExample) -> Verdict:
        return await check_request(target, example, strict=fuzz_settings.strict, timeout=station.timeout)

    await fuzz_case(
        "FZ_Framing_CSMS",
        framing_examples("Heartbeat"),
        check,
        fuzz_settings,
        timeout=station.timeout,
        connect_timeout=sut.timeouts.connect,
        replay=fuzz_replay,
    )
