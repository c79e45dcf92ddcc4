"""Fuzz cases for a charging station under test (issue 8).

FZ_<Action>_CS for every CSMS-initiated action: the harness, as CSMS, sends schema-valid and
single-fault requests (destructive actions under the policy of `conformance.fuzz.examples`).
FZ_<Action>_CS for station-initiated actions the station can be made to send (TriggerMessage): the
harness answers the station's own request with a valid or single-fault response.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.drivers.actions import CSMS_INITIATED_ACTIONS
from conformance.errors import NotApplicable
from conformance.fuzz.engine import FuzzSettings, Verdict
from conformance.fuzz.examples import (
    FuzzExample,
    framing_examples,
    station_request_examples,
    station_response_examples,
)
from conformance.fuzz.properties import (
    TRIGGERABLE,
    StationUnderTest,
    TriggerRefused,
    check_request,
    check_response,
    provoke,
)
from conformance.session.endpoints import HarnessCsms
from conformance.session.responders import csms_responders
from conformance.session.states import connectors_of
from conformance.testing.steps import step
from testcases.fuzz.common import fuzz_case


def _param(action: str) -> Any:
    return pytest.param(action, id=f"FZ_{action}_CS", marks=pytest.mark.ocpp_fuzz(action, sut="cs"))


def _target(csms: HarnessCsms, sut: Any) -> StationUnderTest:
    connectors = connectors_of(sut)
    return StationUnderTest(
        csms, connect_timeout=sut.timeouts.connect, evse=connectors[0] if connectors else (1, 1)
    )


@pytest.mark.parametrize("action", [_param(a) for a in CSMS_INITIATED_ACTIONS])
async def test_fuzz_cs_requests(
    action: str, csms: HarnessCsms, sut: Any, fuzz_settings: FuzzSettings, fuzz_replay: str
) -> None:
    """CSMS-initiated `action` requests, valid (non-disruptive) and single-fault, to the station."""
    target = _target(csms, sut)

    async def check(example: FuzzExample) -> Verdict:
        return await check_request(target, example, strict=fuzz_settings.strict, timeout=csms.timeout)

    await fuzz_case(
        f"FZ_{action}_CS",
        station_request_examples(action),
        check,
        fuzz_settings,
        timeout=csms.timeout,
        connect_timeout=sut.timeouts.connect,
        replay=fuzz_replay,
    )


@pytest.mark.parametrize("action", [_param(a) for a in TRIGGERABLE])
async def test_fuzz_cs_responses(
    action: str, csms: HarnessCsms, sut: Any, fuzz_settings: FuzzSettings, fuzz_replay: str
) -> None:
    """Valid and single-fault answers to the station's own `action` request (made by TriggerMessage)."""
    target = _target(csms, sut)
    with step(f"the station sends {action}Request on TriggerMessage (a conformant answer first)"):
        try:
            received = await provoke(target, action, csms.timeout)
        except TriggerRefused as exc:  # F06 lets a station refuse; a disconnect or silence fails
            raise NotApplicable(f"the station cannot be made to send {action}Request: {exc}") from None
        await received.reply(csms_responders()[action](received.call))

    async def check(example: FuzzExample) -> Verdict:
        return await check_response(target, example, timeout=csms.timeout)

    await fuzz_case(
        f"FZ_{action}_CS",
        station_response_examples(action),
        check,
        fuzz_settings,
        timeout=csms.timeout,
        connect_timeout=sut.timeouts.connect,
        replay=fuzz_replay,
    )


@pytest.mark.ocpp_fuzz("Framing", sut="cs")
async def test_FZ_Framing_CS(
    csms: HarnessCsms, sut: Any, fuzz_settings: FuzzSettings, fuzz_replay: str
) -> None:
    """OCPP-J wrapper faults (Part 4 section 4) around a GetVariablesRequest, to the station."""
    target = _target(csms, sut)

    async def check(example: FuzzExample) -> Verdict:
        return await check_request(target, example, strict=fuzz_settings.strict, timeout=csms.timeout)

    await fuzz_case(
        "FZ_Framing_CS",
        framing_examples("GetVariables"),
        check,
        fuzz_settings,
        timeout=csms.timeout,
        connect_timeout=sut.timeouts.connect,
        replay=fuzz_replay,
    )
