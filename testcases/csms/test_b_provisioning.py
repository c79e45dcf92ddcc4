"""Block B, Provisioning: CSMS under test (Part 6 section 3.3)."""

from __future__ import annotations

import asyncio
from typing import Any, Final

from conformance.ocppj.frames import CallError
from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.session.states.common import now
from conformance.session.states.csms import (
    SimulatedTransaction,
    connectors_outside,
    notify_connectors,
    operator_done,
    operator_request,
)
from conformance.testing import case, check, check_equal, check_in, step
from conformance.transport import ConnectFailed, TransportClosed, WsConnection, connect_station
from conformance.transport.client import OCPP201


@case(
    "TC_B_01_CSMS",
    requirements=("B01.FR.02",),
    catches={
        "heartbeat-interval-string": r"schema\.type at \$\.interval",
        "boot-time-bad-format": r"format\.date-time at \$\.currentTime",
    },
)
async def test_TC_B_01_CSMS(station: HarnessStation, sut: Any) -> None:
    """Cold boot, Accepted: Reusable State Booted (CSMS, Table 698)."""
    await states.csms_booted(station, sut)


# ---------------------------------------------------------------- B05/B06: Get/SetVariables
OFFLINE_THRESHOLD = ("OCPPCommCtrlr", "OfflineThreshold")


def entry_for(entries: Any, component: str, variable: str) -> dict[str, Any] | None:
    """The entry of a Get/SetVariablesRequest addressing component.variable (any position)."""
    for entry in entries if isinstance(entries, list) else []:
        if (
            entry.get("component", {}).get("name") == component
            and entry.get("variable", {}).get("name") == variable
        ):
            return dict(entry)
    return None


@case(
    "TC_B_06_CSMS",
    requirements=("B06.FR.01", "B06.FR.02", "B06.FR.03", "B06.FR.04", "B06.FR.10", "B06.FR.11"),
    catches={
        "component-name-typo": r"GetVariablesRequest\.getVariableData: no entry for OCPPCommCtrlr\.Offline"
    },
    actions=("GetVariables",),
)
async def test_TC_B_06_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Get Variables, single value (B06): OCPPCommCtrlr.OfflineThreshold."""
    await states.csms_booted(station, sut)
    component, variable = OFFLINE_THRESHOLD
    request = {"getVariableData": [{"component": {"name": component}, "variable": {"name": variable}}]}
    with step("1-2: the CSMS sends GetVariablesRequest for OCPPCommCtrlr.OfflineThreshold; the OCTT answers"):
        received, task = await operator_request(station, actions, "GetVariables", request)
        entry = entry_for(received.payload.get("getVariableData"), component, variable)
        check(
            entry is not None,
            f"GetVariablesRequest.getVariableData: no entry for {component}.{variable} (TC_B_06_CSMS step 1)",
        )
        assert entry is not None
        # Part 6: attributeType absent or Actual; Target, MinSet and MaxSet are allowed too.
        check_in(
            entry.get("attributeType", "Actual"),
            ("Actual", "Target", "MinSet", "MaxSet"),
            "GetVariablesRequest.getVariableData[].attributeType (TC_B_06_CSMS step 1)",
        )
        await operator_done(station, task)


@case(
    "TC_B_09_CSMS",
    requirements=("B05.FR.01", "B05.FR.02", "B05.FR.03", "B05.FR.10", "B05.FR.12"),
    catches={
        "component-name-typo": r"SetVariablesRequest\.setVariableData: no entry for OCPPCommCtrlr\.Offline",
        "set-variables-target-attribute": r"SetVariablesRequest\.setVariableData\[\]\.attributeType",
    },
    actions=("SetVariables",),
)
async def test_TC_B_09_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Set Variables, single value (B05): OCPPCommCtrlr.OfflineThreshold = "123"."""
    await states.csms_booted(station, sut)
    component, variable = OFFLINE_THRESHOLD
    request = {
        "setVariableData": [
            {"component": {"name": component}, "variable": {"name": variable}, "attributeValue": "123"}
        ]
    }
    with step(
        "1-2: the CSMS sends SetVariablesRequest OCPPCommCtrlr.OfflineThreshold = 123; the OCTT answers"
    ):
        received, task = await operator_request(station, actions, "SetVariables", request)
        entry = entry_for(received.payload.get("setVariableData"), component, variable)
        check(
            entry is not None,
            f"SetVariablesRequest.setVariableData: no entry for {component}.{variable} (TC_B_09_CSMS step 1)",
        )
        assert entry is not None
        check_equal(
            entry.get("attributeValue"),
            "123",
            "SetVariablesRequest.setVariableData[].attributeValue (TC_B_09_CSMS step 1)",
        )
        check_in(
            entry.get("attributeType", "Actual"),
            ("Actual",),
            "SetVariablesRequest.setVariableData[].attributeType, absent or Actual (TC_B_09_CSMS step 1)",
        )
        await operator_done(station, task)


# ---------------------------------------------------------------- B11/B12: Reset
async def boot(station: HarnessStation, sut: Any, reason: str) -> dict[str, Any]:
    """BootNotificationRequest with the configured model and vendor; the CSMS's answer (no CALLERROR)."""
    identity = sut.sut
    result = await station.call(
        "BootNotification",
        {"reason": reason, "chargingStation": {"model": identity.model, "vendorName": identity.vendor_name}},
    )
    check(
        not isinstance(result, CallError),
        f"the CSMS answered BootNotificationRequest with CALLERROR {getattr(result, 'error_code', '')}",
    )
    assert not isinstance(result, CallError)
    return result.payload


async def reboot(
    station: HarnessStation,
    sut: Any,
    reason: str,
    steps: tuple[str, str],
    where: str,
    *,
    occupied: tuple[int, int] | None = None,
) -> None:
    """The OCTT reboots after a Reset: it reconnects, boots with `reason` (Accepted required) and
    reports its connectors (`occupied` one Occupied, every other Available)."""
    boot_step, notify_step = steps
    await station.disconnect()
    with step(f"{boot_step}: the OCTT reconnects and sends BootNotificationRequest ({reason})"):
        await station.connect()
        answer = await boot(station, sut, reason)
        check_equal(answer.get("status"), "Accepted", f"BootNotificationResponse.status ({where})")
    with step(f"{notify_step}: the OCTT notifies the CSMS about the state of all connectors"):
        if occupied is not None:
            await notify_connectors(station, sut, "Occupied", skip=connectors_outside(sut, *occupied))
        await notify_connectors(station, sut, "Available", skip=(occupied,) if occupied else ())


def check_reset(request: dict[str, Any], reset_type: str | None, where: str) -> None:
    """Tool validations of a station-wide ResetRequest (errata 2025-01 §6.2.3-5: evseId omitted)."""
    if reset_type is not None:
        check_equal(request.get("type"), reset_type, f"ResetRequest.type ({where})")
    check(
        "evseId" not in request,
        f"ResetRequest.evseId must be omitted for a station reset ({where}), got {request.get('evseId')!r}",
    )


@case(
    "TC_B_20_CSMS",
    requirements=("B11.FR.04",),
    catches={"reset-evse-id": r"ResetRequest\.evseId must be omitted"},
    actions=("Reset",),
)
async def test_TC_B_20_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Reset Charging Station without ongoing transaction, OnIdle (B11)."""
    await states.csms_booted(station, sut)
    station.on("Reset", {"status": "Accepted"})
    with step("1-2: the CSMS sends ResetRequest (OnIdle); the OCTT answers Accepted"):
        received, task = await operator_request(station, actions, "Reset", {"type": "OnIdle"})
        # Errata 2025-01 §6.2.3 adds only the evseId check to step 1; the type is the operator's.
        check_reset(received.payload, None, "TC_B_20_CSMS step 1")
        await operator_done(station, task)
    # An idle station resets at once on the CSMS's command: boot reason RemoteReset.
    await reboot(station, sut, "RemoteReset", ("3-4", "5-6"), "TC_B_20_CSMS step 4")


@case(
    "TC_B_21_CSMS",
    requirements=("B12.FR.01", "B12.FR.03", "E07.FR.03"),
    catches={
        "reset-evse-id": r"ResetRequest\.evseId must be omitted",
        "reset-always-immediate": r"ResetRequest\.type \(TC_B_21_CSMS step 1\): expected 'OnIdle'",
    },
    actions=("Reset",),
)
async def test_TC_B_21_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Reset Charging Station with ongoing transaction, OnIdle (B12): the station schedules the reset
    and reboots once the transaction has ended."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    station.on("Reset", {"status": "Scheduled"})
    with step("1-2: the CSMS sends ResetRequest (OnIdle); the OCTT answers Scheduled"):
        received, task = await operator_request(station, actions, "Reset", {"type": "OnIdle"})
        check_reset(received.payload, "OnIdle", "TC_B_21_CSMS step 1")
        await operator_done(station, task)
    with step("3-4: TransactionEventRequest Updated, StopAuthorized, EVConnected, with the idToken"):
        await tx.event("StopAuthorized", charging_state="EVConnected", id_token=tx.token)
    with step("5-6: TransactionEventRequest Ended, EVCommunicationLost, Idle, EVDisconnected"):
        await tx.event(
            "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected", ended=True
        )
    await reboot(station, sut, "ScheduledReset", ("7-8", "9-10"), "TC_B_21_CSMS step 8")


@case(
    "TC_B_22_CSMS",
    catches={"reset-evse-id": r"ResetRequest\.evseId must be omitted"},
    actions=("Reset",),
)
async def test_TC_B_22_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Reset Charging Station with ongoing transaction, Immediate (B12): the station ends the
    transaction (ImmediateReset) and reboots with the cable still plugged in."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    station.on("Reset", {"status": "Accepted"})
    with step("1-2: the CSMS sends ResetRequest (Immediate); the OCTT answers Accepted"):
        received, task = await operator_request(station, actions, "Reset", {"type": "Immediate"})
        check_reset(received.payload, "Immediate", "TC_B_22_CSMS step 1")
        await operator_done(station, task)
    with step("3-4: TransactionEventRequest Ended, ResetCommand, EVConnected, ImmediateReset, no idToken"):
        await tx.event(
            "ResetCommand", charging_state="EVConnected", stopped_reason="ImmediateReset", ended=True
        )
    await reboot(
        station,
        sut,
        "RemoteReset",
        ("5-6", "7-8"),
        "TC_B_22_CSMS step 6",
        occupied=(tx.evse_id, tx.connector_id),
    )


# ---------------------------------------------------------------- B09: SetNetworkProfile
# Part 6's <Configured configurationSlot> / <Configured ocppInterface>: the SUT description has no such
# settings, so the harness uses fixed ones (a station's first slot, its wired interface).
CONFIGURATION_SLOT: Final = 1
OCPP_INTERFACE: Final = "Wired0"


def network_profile(station: HarnessStation, sut: Any) -> dict[str, Any]:
    """The <Configured ...> network connection profile: the URL and security profile in use, and the
    message timeout the SUT description gives OCPPCommCtrlr.MessageTimeout (default 30 s)."""
    timeout = sut.device_model.get("OCPPCommCtrlr", "MessageTimeout", "30")
    return {
        "configurationSlot": CONFIGURATION_SLOT,
        "connectionData": {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppCsmsUrl": station.csms_url,
            "messageTimeout": int(str(timeout)),
            "securityProfile": station.security.profile,
            "ocppInterface": OCPP_INTERFACE,
        },
    }


@case(
    "TC_B_42_CSMS",
    requirements=("B09.FR.01",),
    catches={"network-profile-ocpp16": r"SetNetworkProfileRequest\.connectionData\.ocppVersion"},
    actions=("SetNetworkProfile",),
)
async def test_TC_B_42_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Set new NetworkConnectionProfile, Accepted (B09)."""
    await states.csms_booted(station, sut)
    configured = network_profile(station, sut)
    station.on("SetNetworkProfile", {"status": "Accepted"})
    with step("1-2: the CSMS sends SetNetworkProfileRequest; the OCTT answers Accepted"):
        received, task = await operator_request(station, actions, "SetNetworkProfile", configured)
        got = received.payload
        where = "(TC_B_42_CSMS step 1)"
        check_equal(
            got.get("configurationSlot"),
            configured["configurationSlot"],
            f"SetNetworkProfileRequest.configurationSlot {where}",
        )
        data = got.get("connectionData", {})
        for name, value in configured["connectionData"].items():
            check_equal(data.get(name), value, f"SetNetworkProfileRequest.connectionData.{name} {where}")
        await operator_done(station, task)


@case(
    "TC_B_44_CSMS",
    requirements=("B09.FR.03",),
    catches={"network-profile-failed-disconnects": r"\[disconnected\] no open connection to the CSMS"},
    actions=("SetNetworkProfile",),
)
async def test_TC_B_44_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Set new NetworkConnectionProfile, Failed (B09): the CSMS handles the station's Failed."""
    await states.csms_booted(station, sut)
    station.on("SetNetworkProfile", {"status": "Failed"})
    with step("1-2: the CSMS sends SetNetworkProfileRequest; the OCTT answers Failed"):
        _received, task = await operator_request(
            station, actions, "SetNetworkProfile", network_profile(station, sut)
        )
        await operator_done(station, task)
    # Part 6 has no tool validation here; "handles" is read as: the CSMS keeps serving the station.
    with step("After 2: the CSMS still serves the station (HeartbeatRequest answered)"):
        await station.call_ok("Heartbeat", {})


# ---------------------------------------------------------------- conditional: multiple values (C-45, C-46)
AUTHORIZE_REMOTE_START = ("AuthCtrlr", "AuthorizeRemoteStart")


@case(
    "TC_B_07_CSMS",
    requirements=("B06.FR.01", "B06.FR.02", "B06.FR.03"),
    catches={
        "component-name-typo": r"GetVariablesRequest\.getVariableData: no entry for OCPPCommCtrlr\.Offline"
    },
    actions=("GetVariables",),
)
async def test_TC_B_07_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Get Variables, multiple values (B06): OCPPCommCtrlr.OfflineThreshold and AuthCtrlr.AuthorizeRemoteStart
    in one request."""
    await states.csms_booted(station, sut)
    wanted = (OFFLINE_THRESHOLD, AUTHORIZE_REMOTE_START)
    request = {"getVariableData": [{"component": {"name": c}, "variable": {"name": v}} for c, v in wanted]}
    with step("1-2: the CSMS sends one GetVariablesRequest for both variables; the OCTT answers"):
        received, task = await operator_request(station, actions, "GetVariables", request)
        for component, variable in wanted:  # Part 6: in arbitrary order
            entry = entry_for(received.payload.get("getVariableData"), component, variable)
            check(
                entry is not None,
                f"GetVariablesRequest.getVariableData: no entry for {component}.{variable}"
                " (TC_B_07_CSMS step 1)",
            )
            assert entry is not None
            check_in(
                entry.get("attributeType", "Actual"),
                ("Actual", "Target", "MinSet", "MaxSet"),
                f"GetVariablesRequest.getVariableData[{component}.{variable}].attributeType"
                " (TC_B_07_CSMS step 1)",
            )
        await operator_done(station, task)


@case(
    "TC_B_10_CSMS",
    requirements=("B05.FR.01", "B05.FR.02", "B05.FR.03"),
    catches={
        "component-name-typo": r"SetVariablesRequest\.setVariableData: no entry for OCPPCommCtrlr\.Offline",
        "set-variables-target-attribute": r"SetVariablesRequest\.setVariableData\[\w+\.\w+\]\.attributeType",
    },
    actions=("SetVariables",),
)
async def test_TC_B_10_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Set Variables, multiple values (B05): OfflineThreshold = "123", AuthorizeRemoteStart = "false"."""
    await states.csms_booted(station, sut)
    wanted = ((OFFLINE_THRESHOLD, "123"), (AUTHORIZE_REMOTE_START, "false"))
    request = {
        "setVariableData": [
            {"component": {"name": c}, "variable": {"name": v}, "attributeValue": value}
            for (c, v), value in wanted
        ]
    }
    with step("1-2: the CSMS sends one SetVariablesRequest for both variables; the OCTT answers"):
        received, task = await operator_request(station, actions, "SetVariables", request)
        for (component, variable), value in wanted:  # Part 6: in arbitrary order
            entry = entry_for(received.payload.get("setVariableData"), component, variable)
            check(
                entry is not None,
                f"SetVariablesRequest.setVariableData: no entry for {component}.{variable}"
                " (TC_B_10_CSMS step 1)",
            )
            assert entry is not None
            where = f"SetVariablesRequest.setVariableData[{component}.{variable}]"
            check_equal(entry.get("attributeValue"), value, f"{where}.attributeValue (TC_B_10_CSMS step 1)")
            check_in(
                entry.get("attributeType", "Actual"),
                ("Actual",),
                f"{where}.attributeType, absent or Actual (TC_B_10_CSMS step 1)",
            )
        await operator_done(station, task)


# ---------------------------------------------------------------- conditional: base reports (C-17, C-50.2)
async def base_report(station: HarnessStation, actions: Any, report_base: str, case_id: str) -> None:
    """Steps 1-2 of TC_B_12/13_CSMS, then the station's report (post-scenario: the CSMS receives every
    NotifyReportRequest of the requestId)."""
    with step(f"1-2: the CSMS sends GetBaseReportRequest ({report_base}); the OCTT answers Accepted"):
        received, task = await operator_request(
            station, actions, "GetBaseReport", {"requestId": 1, "reportBase": report_base}
        )
        request_id = received.payload.get("requestId")
        check(
            isinstance(request_id, int) and request_id >= 0,
            f"GetBaseReportRequest.requestId must be an integer >= 0 ({case_id} step 1), got {request_id!r}",
        )
        check_equal(
            received.payload.get("reportBase"),
            report_base,
            f"GetBaseReportRequest.reportBase ({case_id} step 1)",
        )
        await operator_done(station, task)
    with step("Post: the OCTT sends its NotifyReportRequest for the requestId; the CSMS answers"):
        component, variable = OFFLINE_THRESHOLD
        report = {
            "component": {"name": component},
            "variable": {"name": variable},
            "variableAttribute": [{"type": "Actual", "value": "60", "mutability": "ReadWrite"}],
            "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
        }
        await station.call_ok(
            "NotifyReport",
            {"requestId": request_id, "generatedAt": now(), "seqNo": 0, "tbc": False, "reportData": [report]},
        )


@case(
    "TC_B_12_CSMS",
    requirements=("B07.FR.07",),
    catches={"base-report-summary": r"GetBaseReportRequest\.reportBase \(TC_B_12_CSMS step 1\)"},
    actions=("GetBaseReport",),
)
async def test_TC_B_12_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Get Base Report, ConfigurationInventory (B07)."""
    await states.csms_booted(station, sut)
    await base_report(station, actions, "ConfigurationInventory", "TC_B_12_CSMS")


@case(
    "TC_B_13_CSMS",
    requirements=("B07.FR.08",),
    catches={"base-report-summary": r"GetBaseReportRequest\.reportBase \(TC_B_13_CSMS step 1\)"},
    actions=("GetBaseReport",),
)
async def test_TC_B_13_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Get Base Report, FullInventory (B07)."""
    await states.csms_booted(station, sut)
    await base_report(station, actions, "FullInventory", "TC_B_13_CSMS")


# ---------------------------------------------------------------- conditional: Reset EVSE (C-13)
def check_evse_reset(request: dict[str, Any], reset_type: str, evse_id: int, where: str) -> None:
    check_equal(request.get("type"), reset_type, f"ResetRequest.type ({where})")
    check_equal(request.get("evseId"), evse_id, f"ResetRequest.evseId, the configured EVSE ({where})")


@case(
    "TC_B_25_CSMS",
    requirements=("B11.FR.04",),
    catches={"reset-evse-dropped": r"ResetRequest\.evseId, the configured EVSE \(TC_B_25_CSMS step 1\)"},
    actions=("Reset",),
)
async def test_TC_B_25_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Reset EVSE without ongoing transaction (B11): OnIdle, evseId <Configured evseId>."""
    await states.csms_booted(station, sut)
    evse_id = states.first_connector(sut)[0]
    station.on("Reset", {"status": "Accepted"})
    with step("1-2: the CSMS sends ResetRequest (OnIdle, the configured EVSE); the OCTT answers Accepted"):
        received, task = await operator_request(
            station, actions, "Reset", {"type": "OnIdle", "evseId": evse_id}
        )
        check_evse_reset(received.payload, "OnIdle", evse_id, "TC_B_25_CSMS step 1")
        await operator_done(station, task)


@case(
    "TC_B_26_CSMS",
    requirements=("B12.FR.07",),
    catches={"reset-evse-dropped": r"ResetRequest\.evseId, the configured EVSE \(TC_B_26_CSMS step 1\)"},
    actions=("Reset",),
)
async def test_TC_B_26_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Reset EVSE with ongoing transaction, OnIdle (B12): Scheduled, then the transaction ends."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    station.on("Reset", {"status": "Scheduled"})
    with step("1-2: the CSMS sends ResetRequest (OnIdle, the charging EVSE); the OCTT answers Scheduled"):
        received, task = await operator_request(
            station, actions, "Reset", {"type": "OnIdle", "evseId": tx.evse_id}
        )
        check_evse_reset(received.payload, "OnIdle", tx.evse_id, "TC_B_26_CSMS step 1")
        await operator_done(station, task)
    with step("3-4: TransactionEventRequest Updated, StopAuthorized, EVConnected, with the idToken"):
        await tx.event("StopAuthorized", charging_state="EVConnected", id_token=tx.token)
    with step("5-6: TransactionEventRequest Ended, EVCommunicationLost, Idle, EVDisconnected"):
        await tx.event(
            "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected", ended=True
        )


@case(
    "TC_B_27_CSMS",
    catches={"reset-evse-dropped": r"ResetRequest\.evseId, the configured EVSE \(TC_B_27_CSMS step 1\)"},
    actions=("Reset",),
)
async def test_TC_B_27_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Reset EVSE with ongoing transaction, Immediate (B12): the transaction ends with ImmediateReset."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.energy_transfer_started()
    station.on("Reset", {"status": "Accepted"})
    with step("1-2: the CSMS sends ResetRequest (Immediate, the charging EVSE); the OCTT answers Accepted"):
        received, task = await operator_request(
            station, actions, "Reset", {"type": "Immediate", "evseId": tx.evse_id}
        )
        check_evse_reset(received.payload, "Immediate", tx.evse_id, "TC_B_27_CSMS step 1")
        await operator_done(station, task)
    with step("3-4: TransactionEventRequest Ended, ResetCommand, EVConnected, ImmediateReset"):
        await tx.event(
            "ResetCommand", charging_state="EVConnected", stopped_reason="ImmediateReset", ended=True
        )


# ---------------------------------------------------------------- conditional: Pending boot (C-44)
# B02: what a CSMS may send a Pending station (Part 6 TC_B_02_CSMS note: use cases B05-B08, and
# TriggerMessage, which TC_B_31_CSMS uses).
PENDING_ALLOWED: Final = ("GetVariables", "SetVariables", "GetBaseReport", "GetReport", "TriggerMessage")


async def configure_first_boot(station: HarnessStation, actions: Any, status: str) -> None:
    """Prerequisite of TC_B_02/30/31_CSMS: the CSMS first answers BootNotification with `status` (and a
    short retry interval, so the case stays fast)."""
    with step(f"Before: the CSMS is configured to answer the next BootNotificationRequest {status}"):
        await actions.perform(
            "configure_boot_status", {"station_id": station.station_id, "status": status, "interval": 1}
        )


@case(
    "TC_B_02_CSMS",
    requirements=("B02.FR.01", "B02.FR.06"),
    catches={
        "ignores-pending": r"while the station's boot was Pending",
        "pending-sticky": r"BootNotificationResponse\.status \(TC_B_02_CSMS step 4\)",
    },
    actions=("configure_boot_status",),
)
async def test_TC_B_02_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Cold Boot Charging Station, Pending (B02): Pending first, Accepted after the retry interval."""
    await configure_first_boot(station, actions, "Pending")
    await station.connect()
    with step("1-2: the OCTT sends BootNotificationRequest (PowerUp); the CSMS answers Pending"):
        first = await boot(station, sut, "PowerUp")
        check_equal(first.get("status"), "Pending", "BootNotificationResponse.status (TC_B_02_CSMS step 2)")
    interval = first.get("interval")
    wait = interval if isinstance(interval, int) and interval > 0 else sut.timeouts.no_message
    with step(f"Pending: the OCTT waits the interval ({wait:g} s), answering what the CSMS sends"):
        # Part 6: the OCTT waits the interval the CSMS gave (0: its heartbeat interval; here the
        # no-message window) before it boots again; this wait is the protocol's, not a sync hack.
        await asyncio.sleep(wait)
        sent = [r.action for r in station.history() if r.action not in PENDING_ALLOWED]
        check(
            not sent,
            f"the CSMS sent {', '.join(s + 'Request' for s in sent)} while the station's boot was Pending;"
            f" only {', '.join(PENDING_ALLOWED)} are allowed (B02, TC_B_02_CSMS note)",
        )
    with step("3-4: the OCTT sends BootNotificationRequest (PowerUp) again; the CSMS answers Accepted"):
        second = await boot(station, sut, "PowerUp")
        check_equal(second.get("status"), "Accepted", "BootNotificationResponse.status (TC_B_02_CSMS step 4)")
    with step("5-6: the OCTT notifies the CSMS about the state of all connectors (Available)"):
        await notify_connectors(station, sut, "Available")


@case(
    "TC_B_30_CSMS",
    requirements=("B02.FR.09", "B03.FR.07"),
    catches={"pending-no-security-error": r"CALLERROR SecurityError \(TC_B_30_CSMS step 4\)"},
    actions=("configure_boot_status",),
)
async def test_TC_B_30_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Cold Boot Charging Station, Pending/Rejected, SecurityError (B02, B03): a message the station may
    not send yet is refused with CALLERROR SecurityError."""
    await configure_first_boot(station, actions, "Pending")
    await station.connect()
    with step("1-2: the OCTT sends BootNotificationRequest (PowerUp); the CSMS answers Pending or Rejected"):
        first = await boot(station, sut, "PowerUp")
        check_in(
            first.get("status"),
            ("Pending", "Rejected"),
            "BootNotificationResponse.status (TC_B_30_CSMS step 2)",
        )
    with step("3-4: the OCTT reports its connectors; the CSMS answers CALLERROR SecurityError"):
        for evse_id, connector_id in states.connectors_of(sut):
            result = await station.call(
                "StatusNotification",
                {
                    "timestamp": now(),
                    "connectorStatus": "Available",
                    "evseId": evse_id,
                    "connectorId": connector_id,
                },
            )
            code = result.error_code if isinstance(result, CallError) else "a StatusNotificationResponse"
            check_equal(
                code,
                "SecurityError",
                "StatusNotificationRequest answer, CALLERROR SecurityError (TC_B_30_CSMS step 4)",
            )


@case(
    "TC_B_31_CSMS",
    catches={"pending-sticky": r"BootNotificationResponse\.status \(TC_B_31_CSMS step 6\)"},
    actions=("configure_boot_status", "TriggerMessage"),
)
async def test_TC_B_31_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Cold Boot Charging Station, Pending/Rejected, TriggerMessage (B02, F06): the CSMS triggers the
    next BootNotification before the interval expires."""
    await configure_first_boot(station, actions, "Pending")
    await station.connect()
    with step("1-2: the OCTT sends BootNotificationRequest (PowerUp); the CSMS answers Pending or Rejected"):
        first = await boot(station, sut, "PowerUp")
        check_in(
            first.get("status"),
            ("Pending", "Rejected"),
            "BootNotificationResponse.status (TC_B_31_CSMS step 2)",
        )
    station.on("TriggerMessage", {"status": "Accepted"})
    with step("3-4: the CSMS sends TriggerMessageRequest (BootNotification); the OCTT answers Accepted"):
        # Part 6 names no manual action here: the operator action stands for whatever makes the CSMS send it.
        received, task = await operator_request(
            station, actions, "TriggerMessage", {"requestedMessage": "BootNotification"}
        )
        check_equal(
            received.payload.get("requestedMessage"),
            "BootNotification",
            "TriggerMessageRequest.requestedMessage (TC_B_31_CSMS step 3)",
        )
        await operator_done(station, task)
    with step("5-6: the OCTT sends BootNotificationRequest (Triggered); the CSMS answers Accepted"):
        second = await boot(station, sut, "Triggered")
        check_equal(second.get("status"), "Accepted", "BootNotificationResponse.status (TC_B_31_CSMS step 6)")
    with step("7-8: the OCTT notifies the CSMS about the state of all connectors (Available)"):
        await notify_connectors(station, sut, "Available")


# ---------------------------------------------------------------- Part 4: WebSocket subprotocol negotiation
UNSUPPORTED_SUBPROTOCOL: Final = "ocpp0.1"  # no OCPP version has this subprotocol name (Part 4 Table 1)


async def _closed_by_csms(conn: WsConnection, seconds: float) -> bool:
    """Whether the CSMS closes the connection within `seconds` (anything it sends first is ignored)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    try:
        while True:
            await asyncio.wait_for(conn.recv(), max(0.0, deadline - loop.time()))
    except TransportClosed:
        return True
    except TimeoutError:
        return False


@case(
    "TC_B_58_CSMS",
    requirements=("OCPP-J 3.1.2", "OCPP-J 3.2"),
    catches={
        "no-subprotocol": r"kept the WebSocket connection open without a subprotocol",
        "subprotocol-first-offered": r"selected the subprotocol 'ocpp0\.1'",
        "subprotocol-not-offered": r"selected a subprotocol the station did not offer",
    },
)
async def test_TC_B_58_CSMS(station: HarnessStation, sut: Any) -> None:
    """WebSocket Subprotocol validation (Part 4 sections 3.1.2 and 3.2; added to Part 6 by errata 2025).

    The errata text is not in our reference set: the scenario follows Part 4 and public readings of it
    (tzi-app/tzi-OCTT 2.0.1/B/test_tc_b_58_csms.py): the OCTT offers only an unsupported subprotocol,
    then that one plus ocpp2.0.1. Reading of step 2 ("the CSMS does not upgrade"): Part 4 3.2 lets the
    CSMS either refuse the upgrade, or complete the handshake without a Sec-WebSocket-Protocol header
    and close at once; both pass. Selecting a subprotocol (offered or not) or keeping the connection open
    fails."""
    security, url, sid = station.security, station.csms_url, station.station_id
    timeout = station.connect_timeout
    with step(f"1-2: the OCTT connects offering only {UNSUPPORTED_SUBPROTOCOL}; the CSMS does not upgrade"):
        try:
            conn = await connect_station(url, sid, security, timeout, subprotocols=(UNSUPPORTED_SUBPROTOCOL,))
        except ConnectFailed as exc:
            check(
                "negotiation failed" not in str(exc),
                "the CSMS selected a subprotocol the station did not offer (Part 4 3.2, RFC 6455 4.2.2):"
                f" {exc}",
            )
        else:
            try:
                check(
                    conn.subprotocol is None,
                    f"the CSMS selected the subprotocol {conn.subprotocol!r}, which is no OCPP version"
                    " (Part 4 3.1.2, 3.2)",
                )
                check(
                    await _closed_by_csms(conn, station.timeout),
                    "the CSMS completed the handshake for an unsupported subprotocol and kept the WebSocket"
                    f" connection open without a subprotocol for {station.timeout:g} s (Part 4 3.2: it must"
                    " close it immediately)",
                )
            finally:
                await conn.close()
    offered = (UNSUPPORTED_SUBPROTOCOL, OCPP201)
    with step(f"3-4: the OCTT connects offering {', '.join(offered)}; the CSMS upgrades with ocpp2.0.1"):
        refusal = ""
        try:
            accepted: WsConnection | None = await connect_station(
                url, sid, security, timeout, subprotocols=offered
            )
        except ConnectFailed as exc:
            accepted, refusal = None, str(exc)
        check(
            accepted is not None,
            f"the CSMS did not upgrade a connection offering {', '.join(offered)} (Part 4 3.2): {refusal}",
        )
        assert accepted is not None
        conn = accepted
        station.bind(conn)
        header = conn.response_headers.get("Sec-WebSocket-Protocol")
        check_equal(header, OCPP201, "HTTP 101 response header Sec-WebSocket-Protocol (TC_B_58_CSMS step 4)")
