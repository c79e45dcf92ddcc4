"""Every station mutant breaks its rule when on, and the same scenario keeps the rule when off."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from ocpp.v201 import call

from conformance.ocppj.validation import FrameValidator
from conformance.reference.mutants_station import STATION_MUTANTS
from conformance.reference.station import StationConfig
from tests.reference.station.csms import CsmsBehaviour, running, wait_state
from tests.reference.station.test_transactions import TOKEN, fast_sampling, start_local_transaction

Scenario = Callable[[str | None], Coroutine[Any, Any, bool]]  # True when the rule was broken


async def boot_ignores_status(mutant: str | None) -> bool:
    behaviour = CsmsBehaviour(boot_statuses=["Pending", "Accepted"], boot_interval=30)
    async with running(mutant=mutant, behaviour=behaviour, strict=mutant is None) as (csms, station):
        await csms.expect("BootNotification")
        await wait_state(station, lambda s: s["boot_status"] == "Pending")
        await station.control.aperform("advance_clock", {"seconds": 30})
        await csms.booted()
        actions = csms.actions()
        return "Heartbeat" in actions or actions.count("StatusNotification") > 1


async def no_status_for_connector(mutant: str | None) -> bool:
    async with running(mutant=mutant, strict=mutant is None) as (csms, _station):
        await csms.booted()
        return csms.actions().count("StatusNotification") != 1


async def tx_seqno_gap(mutant: str | None) -> bool:
    async with running(mutant=mutant, strict=mutant is None) as (csms, station):
        await csms.booted()
        events = await start_local_transaction(csms, station.control)
        return [e["seqNo"] for e in events[1]] != [0, 1]


async def wrong_trigger_reason(mutant: str | None) -> bool:
    config = StationConfig(device_model={"TxCtrlr/TxStartPoint": "EVConnected"})
    async with running(config, mutant=mutant, strict=mutant is None) as (csms, station):
        await csms.booted()
        await station.control.aperform("plug_in", {"evse_id": 1})
        return bool((await csms.expect("TransactionEvent"))["triggerReason"] != "CablePluggedIn")


async def meter_missing_measurand(mutant: str | None) -> bool:
    async with running(fast_sampling(), mutant=mutant, strict=mutant is None) as (csms, station):
        await csms.booted()
        await start_local_transaction(csms, station.control)
        await station.control.aperform("advance_clock", {"seconds": 10})
        event = await csms.expect(
            "TransactionEvent", where=lambda p: p["triggerReason"] == "MeterValuePeriodic"
        )
        measurands = [s["measurand"] for s in event["meterValue"][0]["sampledValue"]]
        return measurands != ["Energy.Active.Import.Register", "Power.Active.Import"]


async def setvariables_readonly_accepted(mutant: str | None) -> bool:
    async with running(mutant=mutant, strict=mutant is None) as (csms, _station):
        await csms.booted()
        item = {
            "component": {"name": "ChargingStation"},
            "variable": {"name": "Model"},
            "attributeValue": "X",
        }
        result = await csms.call(call.SetVariables(set_variable_data=[item]))
        return bool(result.set_variable_result[0]["attribute_status"] == "Accepted")


async def keeps_charging_after_invalid_id(mutant: str | None) -> bool:
    behaviour = CsmsBehaviour(tx_token_status={TOKEN: "Invalid"})
    async with running(mutant=mutant, behaviour=behaviour, strict=mutant is None) as (csms, station):
        await csms.booted()
        await start_local_transaction(csms, station.control)
        state = await wait_state(station, lambda s: s["auth_cache"].get(f"ISO14443:{TOKEN}") == "Invalid")
        tx = state["evses"][0]["transaction"]
        return tx is not None and tx["charging_state"] == "Charging"


async def late_response(mutant: str | None) -> bool:
    config = StationConfig(late_response_delay=1.0)
    async with running(config, mutant=mutant, strict=mutant is None) as (csms, _station):
        await csms.booted()
        assert csms.cp is not None
        csms.cp._response_timeout = 0.5
        try:
            await csms.call(call.GetLocalListVersion())
        except TimeoutError:
            return True
        return False


async def schema_invalid_response(mutant: str | None) -> bool:
    async with running(mutant=mutant, strict=mutant is None) as (csms, _station):
        await csms.booted()
        result = await csms.call(call.Reset(type="Immediate", evse_id=1), validate=False)
        return bool(FrameValidator().check_payload("Reset", "response", {"status": result.status}))


async def notimplemented_mandatory(mutant: str | None) -> bool:
    async with running(mutant=mutant, strict=mutant is None) as (csms, _station):
        await csms.booted()
        await csms.send_raw(
            '[2,"g1","GetVariables",{"getVariableData":[{"component":{"name":"AuthCtrlr"},'
            '"variable":{"name":"Enabled"}}]}]'
        )
        response = await csms.response_to("g1")
        return bool(response[0] == 4 and response[2] == "NotImplemented")


async def wrong_callerror_code(mutant: str | None) -> bool:
    async with running(mutant=mutant, strict=mutant is None) as (csms, _station):
        await csms.booted()
        await csms.send_raw('[2,"m5","Reset",{}]')
        return bool((await csms.response_to("m5"))[2] != "OccurrenceConstraintViolation")


async def heartbeat_wrong_time_format(mutant: str | None) -> bool:
    async with running(mutant=mutant, strict=False) as (csms, _station):
        await csms.booted()
        return any("date-time" in v for v in csms.violations)


async def security_event_missing(mutant: str | None) -> bool:
    async with running(mutant=mutant, strict=mutant is None) as (csms, _station):
        await csms.expect("NotifyEvent")
        await csms.call(call.TriggerMessage(requested_message="Heartbeat"))
        await csms.expect("Heartbeat")  # queued after everything the boot sent
        return "SecurityEventNotification" not in csms.actions()


async def rejected_answers_requests(mutant: str | None) -> bool:
    behaviour = CsmsBehaviour(boot_statuses=["Rejected"], boot_interval=30)
    async with running(mutant=mutant, behaviour=behaviour, strict=mutant is None) as (csms, station):
        await csms.expect("BootNotification")
        await wait_state(station, lambda s: s["boot_status"] == "Rejected")
        await csms.send_raw('[2,"r1","GetLocalListVersion",{}]')
        response = await csms.response_to("r1")
        return not (response[0] == 4 and response[2] == "SecurityError")


SCENARIOS: dict[str, Scenario] = {
    "boot-ignores-status": boot_ignores_status,
    "no-status-for-connector": no_status_for_connector,
    "tx-seqno-gap": tx_seqno_gap,
    "wrong-trigger-reason": wrong_trigger_reason,
    "meter-missing-measurand": meter_missing_measurand,
    "setvariables-readonly-accepted": setvariables_readonly_accepted,
    "keeps-charging-after-invalid-id": keeps_charging_after_invalid_id,
    "late-response": late_response,
    "schema-invalid-response": schema_invalid_response,
    "notimplemented-mandatory": notimplemented_mandatory,
    "wrong-callerror-code": wrong_callerror_code,
    "heartbeat-wrong-time-format": heartbeat_wrong_time_format,
    "security-event-missing": security_event_missing,
    "rejected-answers-requests": rejected_answers_requests,
}


def test_every_mutant_has_a_scenario() -> None:
    """Core mutants are proven here; the per-block ones by the cases that catch them
    (tests/test_meta_mutants.py runs each case against each mutant it declares)."""
    from conformance.reference.mutants import extra_mutants

    assert set(SCENARIOS) == set(STATION_MUTANTS) - set(extra_mutants("station"))
    assert all(m.target == "station" and m.breaks and m.description for m in STATION_MUTANTS.values())


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_mutant_breaks_its_rule_only_when_on(name: str) -> None:
    scenario = SCENARIOS[name]
    assert asyncio.run(scenario(None)) is False, f"{name}: the conformant station broke the rule"
    assert asyncio.run(scenario(name)) is True, f"{name}: the mutant did not break its rule"


def test_unknown_mutant_is_refused() -> None:
    from conformance.reference.station import ControlError, start_reference_station

    with pytest.raises(ControlError, match="unknown station mutant"):
        start_reference_station("ws://127.0.0.1:0/ocpp", StationConfig(), mutant="no-such-mutant")
