"""The `ocpp` v201 ChargePoint of the reference station: an OCPP-J pre-filter plus CSMS-request handlers.

Every handler reads the original camelCase request from `self.req` (the library's snake_case kwargs
are ignored) and returns a `call_result` dataclass. Follow-up messages are queued in
`self.followups` and started only after the response has been sent (a handler that awaited a CALL
would deadlock the library's one-message-at-a-time reader).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ocpp.charge_point import camel_to_snake_case
from ocpp.exceptions import NotImplementedError as OcppNotImplemented
from ocpp.exceptions import OCPPError
from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result
from websockets.asyncio.client import ClientConnection

from conformance.reference.station import (
    auth,
    customer,
    firmware,
    iso15118,
    monitoring,
    network,
    reservations,
    transactions,
)
from conformance.reference.station import lmno_handlers as lmno
from conformance.reference.station.availability import change_availability
from conformance.reference.station.meter import meter_value
from conformance.reference.station.ocppj_filter import (
    IncomingResponse,
    Reject,
    call_error,
    has_overlong_string,
    screen,
)
from conformance.reference.station.reports import base_report_items, report_items, send_report

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

LOG = logging.getLogger("conformance.reference.station")
FRAME_LOG = logging.getLogger("conformance.reference.station.frames")  # the library logs every frame here


class _NoSecrets(logging.Filter):
    """Frames that carry a password (SetVariables of BasicAuthPassword, ...) are not logged verbatim."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if "assword" in text:
            record.msg, record.args = "%s", ("<frame omitted: it carries a password>",)
        return True


FRAME_LOG.addFilter(_NoSecrets())


def _offers(st: StationCore, feature: str) -> bool:
    """Optional features a SUT description can switch off through the vendor component ReferenceStation
    (`"ReferenceStation.SummaryInventory" = false`, `"ReferenceStation.EvseReset" = false`): the
    reference then behaves as a station without them (TC_B_15/28/29_CS, tests/cs_b)."""
    try:
        return st.dm.get("ReferenceStation", feature).strip().lower() != "false"
    except KeyError:
        return True


def _result(action: str, payload: dict[str, Any]) -> Any:
    return getattr(call_result, action)(**camel_to_snake_case(payload))


class StationChargePoint(ChargePoint):  # type: ignore[misc]
    def __init__(self, st: StationCore, ws: ClientConnection) -> None:
        super().__init__(
            st.config.station_id, ws, response_timeout=st.config.response_timeout, logger=FRAME_LOG
        )
        self.st = st
        self.req: dict[str, Any] = {}
        self.followups: list[Callable[[], object]] = []
        self.boot_answered = False  # a response arrived while the BootNotification was outstanding
        if st.is_mutant("wrong-callerror-code"):
            for handlers in self.route_map.values():
                handlers["_skip_schema_validation"] = False  # let the library validate (and err) its way

    # -- OCPP-J front door ----------------------------------------------------------------------
    async def route_message(self, raw_msg: str | bytes) -> None:
        st = self.st
        if st.is_mutant("wrong-callerror-code"):
            await super().route_message(raw_msg)  # the library's own (non-conformant) error handling
            return
        if st.is_mutant("closes-on-long-string") and has_overlong_string(raw_msg):
            await st.drop_connection()  # breaks Part 4 4.2.3: a CALLERROR was due, not a hang-up
            return
        screened = screen(raw_msg)
        if isinstance(screened, Reject):
            await self._send(screened.frame)
            return
        if isinstance(screened, IncomingResponse):
            st.outbox.response_read()  # E14 (TC_E_30_CS): answered, before any CALL read after it
            await super().route_message(screened.raw)
            self.boot_answered = st.boot_status == "Sending"
            return
        uid, action = screened.unique_id, screened.action
        for _ in range(200):  # bounded: at most about 1 s
            # A BootNotificationResponse read but not yet acted on by the boot task (the ocpp library
            # hands it over through a queue): a real station handles frames in order (TC_B_02/30_CS).
            if not self.boot_answered or st.boot_status != "Sending":
                break
            await asyncio.sleep(0.005)
        self.boot_answered = False
        if st.boot_status == "Rejected" and not st.is_mutant("rejected-answers-requests"):
            # B03.FR.08: while Rejected, CSMS-initiated requests get SecurityError.
            await self._send(call_error(uid, "SecurityError", "boot notification was rejected"))
            return
        handlers = self.route_map.get(action, {})
        if "_on_action" not in handlers:
            await self._send(call_error(uid, "NotSupported", f"{action} is not supported by this station"))
            return
        if st.is_mutant("late-response"):
            await asyncio.sleep(st.config.late_response_delay)
        if st.is_mutant("customdata-rejected") and '"customData"' in json.dumps(screened.payload):
            # Part 2 CustomDataType broken on purpose: a request carrying customData is refused
            await self._send(call_error(uid, "PropertyConstraintViolation", "customData is not supported"))
            return
        self.req, self.followups = screened.payload, []
        msg = Call(unique_id=uid, action=action, payload=screened.payload)
        try:
            await self._handle_call(msg)
        except OCPPError as error:
            await self._send(msg.create_call_error(error).to_json())
            return
        for followup in self.followups:
            followup()

    def later(self, fn: Callable[[], object]) -> None:
        self.followups.append(fn)

    # -- B: provisioning --------------------------------------------------------------------------
    @on("GetVariables", skip_schema_validation=True)
    def on_get_variables(self, **_: Any) -> Any:
        if self.st.is_mutant("notimplemented-mandatory"):
            raise OcppNotImplemented(description="GetVariables")
        results = [self.st.dm.get_variable(item) for item in self.req["getVariableData"]]
        return _result("GetVariables", {"getVariableResult": results})

    @on("SetVariables", skip_schema_validation=True)
    def on_set_variables(self, **_: Any) -> Any:
        ro_ok = self.st.is_mutant("setvariables-readonly-accepted")
        results = [
            network.set_variable(self, item) or self.st.dm.set_variable(item, readonly_accepted=ro_ok)
            for item in self.req["setVariableData"]
        ]
        return _result("SetVariables", {"setVariableResult": results})

    @on("SetNetworkProfile", skip_schema_validation=True)
    def on_set_network_profile(self, **_: Any) -> Any:  # B09 (network.py)
        return _result("SetNetworkProfile", {"status": network.set_network_profile(self.st, self.req)})

    @on("GetBaseReport", skip_schema_validation=True)
    def on_get_base_report(self, **_: Any) -> Any:
        request_id, base = int(self.req["requestId"]), str(self.req["reportBase"])
        ignore = self.st.is_mutant("summary-unsupported-accepted")  # B07.FR.02 broken on purpose
        if base == "SummaryInventory" and not _offers(self.st, "SummaryInventory") and not ignore:
            # B07.FR.02 (TC_B_15_CS): an optional report this station lacks
            unsupported = {"status": "NotSupported", "statusInfo": {"reasonCode": "UnsupportedParam"}}
            return _result("GetBaseReport", unsupported)
        items = base_report_items(self.st, base)
        self.later(lambda: send_report(self.st, request_id, items))
        return _result("GetBaseReport", {"status": "Accepted"})

    @on("GetReport", skip_schema_validation=True)
    def on_get_report(self, **_: Any) -> Any:
        request_id = int(self.req["requestId"])
        items = report_items(self.st, self.req)
        if not items:
            return _result("GetReport", {"status": "EmptyResultSet"})
        self.later(lambda: send_report(self.st, request_id, items))
        return _result("GetReport", {"status": "Accepted"})

    @on("Reset", skip_schema_validation=True)
    def on_reset(self, **_: Any) -> Any:
        st = self.st
        kind, evse_id = self.req["type"], self.req.get("evseId")
        status = "Accepted"
        if evse_id is not None:
            evse = st.evses.get(int(evse_id))
            if evse is None or st.is_mutant("reset-evse-rejected"):  # C-13 (B11.FR.08) broken on purpose
                status = "Rejected"
            elif not _offers(st, "EvseReset") and not st.is_mutant("evse-reset-unsupported-accepted"):
                status = "Rejected"  # B11.FR.09 / B12.FR.09 (TC_B_28/29_CS): no reset of one EVSE
            elif evse.tx is not None and kind == "OnIdle":
                status = "Scheduled"
            elif evse.tx is not None:
                self.later(lambda: transactions.end_for_reset(st, evse))
        elif kind == "OnIdle" and any(e.tx is not None for e in st.evses.values()):
            # B12.FR.01 / TC_B_21_CS: the reboot waits for the transactions; its boot says ScheduledReset
            broken_reason = st.is_mutant("scheduled-reset-reason-remote")
            st.pending_reset = "RemoteReset" if broken_reason else "ScheduledReset"
            status = "Scheduled"
        else:
            st.pending_reset = None  # an Immediate reset overrides one scheduled before
            self.later(lambda: st.spawn(st.reboot("RemoteReset")))
        if status == "Scheduled" and st.is_mutant("reset-onidle-not-scheduled"):
            status = "Accepted"  # B12.FR.01 broken on purpose: the reset is still scheduled
        if st.is_mutant("schema-invalid-response"):
            status = "Ok"  # not a ResetStatusEnumType value: broken on purpose
        return _result("Reset", {"status": status})

    # -- F: remote control ------------------------------------------------------------------------
    @on("TriggerMessage", skip_schema_validation=True)
    def on_trigger_message(self, **_: Any) -> Any:
        return _result(
            "TriggerMessage", {"status": self._trigger(self.req["requestedMessage"], self.req.get("evse"))}
        )

    def _trigger(self, what: str, target: dict[str, Any] | None) -> str:
        st = self.st
        evses = list(st.evses.values())
        if target is not None:
            evse = st.evses.get(int(target["id"]))
            if evse is None:
                return "Rejected"
            evses = [evse]
        if what == "BootNotification":
            if st.boot_status == "Accepted" and not st.is_mutant("trigger-boot-accepted"):
                return "Rejected"  # F06.FR.17 / TC_F_26_CS; the mutant boots again
            st.boot_reason = "Triggered"  # F06.FR.17 / TC_B_02_CS step 15
            st.boot_now.set()
            return "Accepted"
        if what == "Heartbeat":
            if not st.is_mutant("trigger-heartbeat-unsent"):  # F06.FR.05 broken on purpose
                self.later(lambda: st.outbox.post("Heartbeat", {}))
        elif what == "StatusNotification":
            connector_id = (target or {}).get("connectorId")
            pairs = [(e, c) for e in evses for c in e.connectors if connector_id in (None, c.connector_id)]
            if not pairs:
                return "Rejected"

            def send_status() -> None:
                if st.is_mutant("trigger-status-unsent"):  # F06.FR.05 / TC_F_23/24_CS broken on purpose
                    return
                for e, c in pairs:
                    st.report_connector(e, c, force=True)

            self.later(send_status)
        elif what == "MeterValues":
            measurands = st.dm.get_list("AlignedDataCtrlr", "Measurands")
            # F06.FR.06/07: triggered readings have context Trigger; the mutant says Sample.Periodic
            context = "Sample.Periodic" if st.is_mutant("trigger-wrong-context") else "Trigger"

            def send_meter() -> None:
                for e in evses:
                    values = meter_value(st, e, measurands, context)
                    if values:
                        st.outbox.post("MeterValues", {"evseId": e.evse_id, "meterValue": values})

            self.later(send_meter)
        elif what == "TransactionEvent":
            busy = [e for e in evses if e.tx is not None]
            if not busy:
                return "Rejected"
            measurands = st.dm.get_list("SampledDataCtrlr", "TxUpdatedMeasurands")
            context = "Sample.Periodic" if st.is_mutant("trigger-wrong-context") else "Trigger"

            def send_tx() -> None:
                for e in busy:
                    values = meter_value(st, e, measurands, context)
                    transactions.send_tx_event(st, e, "Updated", "Trigger", meter=values)

            self.later(send_tx)
        elif (
            what in ("FirmwareStatusNotification", "LogStatusNotification")
            and lmno.busy(st, what)
            and not st.is_mutant("trigger-status-idle-while-busy")  # TC_F_16/19_CS broken on purpose
        ):
            self.later(lambda: lmno.trigger_status(st, what))  # L01 / N01: the ongoing job's status
        elif what in ("SignChargingStationCertificate", "SignV2GCertificate"):  # A02, TC_A_11/12_CS
            self.later(lambda: lmno.request_signing(st, what))
        elif what in ("FirmwareStatusNotification", "LogStatusNotification"):
            if not st.is_mutant("trigger-idle-status-unsent"):  # F06.FR.05 / TC_F_15/17/18_CS
                self.later(lambda: st.outbox.post(what, {"status": "Idle"}))
        else:
            # F06.FR.08: NotImplemented; the mutant claims Accepted (and sends nothing)
            return "Accepted" if st.is_mutant("trigger-unimplemented-accepted") else "NotImplemented"
        return "Accepted"

    @on("RequestStartTransaction", skip_schema_validation=True)
    def on_request_start(self, **_: Any) -> Any:
        st, req = self.st, self.req
        evse_id = req.get("evseId")
        evse = (
            st.evses.get(int(evse_id))
            if evse_id is not None
            else next((e for e in st.evses.values() if e.tx is None or e.id_token is None), None)
        )
        if evse is None or not evse.operative or not st.operative or evse.id_token is not None:
            return _result("RequestStartTransaction", {"status": "Rejected"})
        if evse.tx is None and firmware.blocks_sessions(st, evse.evse_id):  # L01.FR.07: install pending
            return _result("RequestStartTransaction", {"status": "Rejected"})
        if st.boot_status != "Accepted":  # B02: no transaction while Pending (TC_B_02_CS step 12)
            return _result("RequestStartTransaction", {"status": "Rejected"})
        response: dict[str, Any] = {"status": "Accepted"}
        if evse.tx is not None:
            response["transactionId"] = evse.tx.transaction_id
        id_token, remote_id = dict(req["idToken"]), int(req["remoteStartId"])
        if "chargingProfile" in req:  # K05.FR.03 / TC_K_37_CS (smart_charging.py)
            from conformance.reference.station.smart_charging import enabled, remote_start_profile

            if st.is_mutant("remote-start-profile-rejected") and not enabled(st):
                # F01.FR.12 / TC_K_38_CS broken on purpose: without smart charging the profile is ignored
                return _result("RequestStartTransaction", {"status": "Rejected"})
            remote_start_profile(st, evse.evse_id, remote_id, req["chargingProfile"])
        self.later(lambda: st.spawn(_remote_start(st, evse.evse_id, id_token, remote_id)))
        return _result("RequestStartTransaction", response)

    @on("RequestStopTransaction", skip_schema_validation=True)
    def on_request_stop(self, **_: Any) -> Any:
        st, tx_id = self.st, self.req["transactionId"]
        evse = next((e for e in st.evses.values() if e.tx is not None and e.tx.transaction_id == tx_id), None)
        if evse is None:
            # F03.FR.08: an unknown transactionId is Rejected; the mutant accepts it (and does nothing)
            accepted = st.is_mutant("remote-stop-unknown-id-accepted")
            return _result("RequestStopTransaction", {"status": "Accepted" if accepted else "Rejected"})
        if st.is_mutant("remote-stop-ignored"):  # F03.FR.02 broken on purpose: Accepted, nothing stops
            return _result("RequestStopTransaction", {"status": "Accepted"})
        self.later(lambda: transactions.on_stop_authorized(st, evse, "RemoteStop", "Remote"))
        return _result("RequestStopTransaction", {"status": "Accepted"})

    @on("GetTransactionStatus", skip_schema_validation=True)
    def on_get_transaction_status(self, **_: Any) -> Any:
        st, tx_id = self.st, self.req.get("transactionId")
        response: dict[str, Any] = {
            "messagesInQueue": st.outbox.queued_for(
                "TransactionEvent", "transactionInfo.transactionId", tx_id
            )
            and not st.is_mutant("tx-status-queue-hidden")  # E14.FR.04 / E14.FR.07 broken on purpose
        }
        if tx_id is not None and not st.is_mutant("tx-status-ongoing-missing"):  # E14.FR.01-03
            response["ongoingIndicator"] = st.is_mutant("tx-status-ongoing-any-id") or any(
                e.tx is not None and e.tx.transaction_id == tx_id for e in st.evses.values()
            )
        elif tx_id is None and st.is_mutant("tx-status-ongoing-without-id"):  # E14.FR.06: omitted
            response["ongoingIndicator"] = False
        return _result("GetTransactionStatus", response)

    @on("UnlockConnector", skip_schema_validation=True)
    def on_unlock_connector(self, **_: Any) -> Any:
        st = self.st
        evse = st.evses.get(int(self.req["evseId"]))
        if evse is None or evse.connector(int(self.req["connectorId"])) is None:
            # F05.FR.03 / TC_F_10_CS; the mutant claims to unlock a connector it does not have
            status = "Unlocked" if st.is_mutant("unlock-unknown-connector-unlocked") else "UnknownConnector"
        elif evse.tx is not None and evse.id_token is not None and not st.is_mutant(
            "unlock-during-transaction"  # F05.FR.02 / TC_F_05_CS broken on purpose: it unlocks anyway
        ):
            status = "OngoingAuthorizedTransaction"
        else:
            # F05.FR.04, F05.FR.06 / TC_F_06_CS, TC_F_07_CS; the mutant's lock never opens
            status = "UnlockFailed" if st.is_mutant("unlock-fails") else "Unlocked"
        return _result("UnlockConnector", {"status": status})

    # -- H: reservations ------------------------------------------------------------------------------
    @on("ReserveNow", skip_schema_validation=True)
    def on_reserve_now(self, **_: Any) -> Any:
        status, evse = reservations.reserve_now(self.st, self.req)
        if evse is not None:
            self.later(lambda: reservations.after_reserve(self.st, evse))
        return _result("ReserveNow", {"status": status})

    @on("CancelReservation", skip_schema_validation=True)
    def on_cancel_reservation(self, **_: Any) -> Any:
        evse = reservations.cancel(self.st, int(self.req["reservationId"]))
        if evse is None:
            return _result("CancelReservation", {"status": "Rejected"})
        self.later(lambda: reservations.report_evse(self.st, evse))
        return _result("CancelReservation", {"status": "Accepted"})

    # -- G: availability, P: data transfer -------------------------------------------------------------
    @on("ChangeAvailability", skip_schema_validation=True)
    def on_change_availability(self, **_: Any) -> Any:
        return _result("ChangeAvailability", {"status": change_availability(self.st, self.req)})

    @on("DataTransfer", skip_schema_validation=True)
    def on_data_transfer(self, **_: Any) -> Any:
        # P01.FR.05/06: no vendor-specific extensions here; the mutant accepts any vendor
        status = "Accepted" if self.st.is_mutant("datatransfer-accepted") else "UnknownVendorId"
        return _result("DataTransfer", {"status": status})

    # -- C / D: authorization cache, local list ------------------------------------------------------
    @on("ClearCache", skip_schema_validation=True)
    def on_clear_cache(self, **_: Any) -> Any:
        enabled = self.st.dm.get_bool("AuthCacheCtrlr", "Enabled")
        if self.st.is_mutant("clear-cache-rejected") or (
            not enabled and not self.st.is_mutant("clear-cache-while-disabled")  # C11.FR.04
        ):
            return _result("ClearCache", {"status": "Rejected"})
        self.st.auth_cache.clear()
        return _result("ClearCache", {"status": "Accepted"})

    @on("GetLocalListVersion", skip_schema_validation=True)
    def on_get_local_list_version(self, **_: Any) -> Any:
        return _result("GetLocalListVersion", {"versionNumber": self.st.local_list_version})

    @on("SendLocalList", skip_schema_validation=True)
    def on_send_local_list(self, **_: Any) -> Any:
        return _result("SendLocalList", {"status": auth.send_local_list(self.st, self.req)})

    # -- K: smart charging (reference/station/smart_charging.py) ---------------------------------------
    def _smart_charging(self) -> Any:
        from ocpp.exceptions import NotSupportedError

        from conformance.reference.station import smart_charging

        if not smart_charging.enabled(self.st):  # K01.FR.29 / TC_K_15_CS
            raise NotSupportedError(description="smart charging is not enabled on this station")
        return smart_charging

    @on("SetChargingProfile", skip_schema_validation=True)
    def on_set_charging_profile(self, **_: Any) -> Any:
        sc = self._smart_charging()
        before = sc.tx_limits(self.st)
        status, reason = sc.set_charging_profile(self.st, self.req)
        response: dict[str, Any] = {"status": status}
        if reason is not None:
            response["statusInfo"] = {"reasonCode": reason}
        else:
            # K15: an ISO 15118 EV awaiting a schedule returns its own first (before the rate change)
            self.later(lambda: iso15118.schedule_set(self.st, self.req))
            self.later(lambda: sc.report_rate_changes(self.st, before))
        return _result("SetChargingProfile", response)

    @on("GetChargingProfiles", skip_schema_validation=True)
    def on_get_charging_profiles(self, **_: Any) -> Any:
        sc = self._smart_charging()
        reports = sc.get_charging_profiles(self.st, self.req)
        if not reports:
            return _result("GetChargingProfiles", {"status": "NoProfiles"})
        self.later(lambda: sc.send_reports(self.st, reports))
        return _result("GetChargingProfiles", {"status": "Accepted"})

    @on("ClearChargingProfile", skip_schema_validation=True)
    def on_clear_charging_profile(self, **_: Any) -> Any:
        sc = self._smart_charging()
        before = sc.tx_limits(self.st)
        status = sc.clear_charging_profile(self.st, self.req)
        self.later(lambda: sc.report_rate_changes(self.st, before))
        return _result("ClearChargingProfile", {"status": status})

    @on("GetCompositeSchedule", skip_schema_validation=True)
    def on_get_composite_schedule(self, **_: Any) -> Any:
        schedule = self._smart_charging().composite_schedule(self.st, self.req)
        if schedule is None:
            return _result("GetCompositeSchedule", {"status": "Rejected"})
        return _result("GetCompositeSchedule", {"status": "Accepted", "schedule": schedule})

    # -- L, N, M/A, O, I: firmware, logs, certificates, display messages, cost (lmno_handlers.py) -------
    @on("UpdateFirmware", skip_schema_validation=True)
    def on_update_firmware(self, **_: Any) -> Any:
        return _result("UpdateFirmware", lmno.update_firmware(self, self.req))

    @on("GetLog", skip_schema_validation=True)
    def on_get_log(self, **_: Any) -> Any:
        return _result("GetLog", lmno.get_log(self, self.req))

    @on("InstallCertificate", skip_schema_validation=True)
    def on_install_certificate(self, **_: Any) -> Any:
        return _result("InstallCertificate", lmno.install_certificate(self, self.req))

    @on("GetInstalledCertificateIds", skip_schema_validation=True)
    def on_get_installed_certificate_ids(self, **_: Any) -> Any:
        return _result("GetInstalledCertificateIds", lmno.get_installed_certificate_ids(self, self.req))

    @on("DeleteCertificate", skip_schema_validation=True)
    def on_delete_certificate(self, **_: Any) -> Any:
        return _result("DeleteCertificate", lmno.delete_certificate(self, self.req))

    @on("CertificateSigned", skip_schema_validation=True)
    def on_certificate_signed(self, **_: Any) -> Any:
        return _result("CertificateSigned", lmno.certificate_signed(self, self.req))

    @on("SetDisplayMessage", skip_schema_validation=True)
    def on_set_display_message(self, **_: Any) -> Any:
        return _result("SetDisplayMessage", lmno.set_display_message(self, self.req))

    @on("GetDisplayMessages", skip_schema_validation=True)
    def on_get_display_messages(self, **_: Any) -> Any:
        return _result("GetDisplayMessages", lmno.get_display_messages(self, self.req))

    @on("ClearDisplayMessage", skip_schema_validation=True)
    def on_clear_display_message(self, **_: Any) -> Any:
        return _result("ClearDisplayMessage", lmno.clear_display_message(self, self.req))

    @on("CostUpdated", skip_schema_validation=True)
    def on_cost_updated(self, **_: Any) -> Any:
        return _result("CostUpdated", lmno.cost_updated(self, self.req))

    # -- N02-N06: variable monitoring (monitoring.py) ---------------------------------------------------
    @on("SetVariableMonitoring", skip_schema_validation=True)
    def on_set_variable_monitoring(self, **_: Any) -> Any:
        return _result("SetVariableMonitoring", monitoring.set_variable_monitoring(self.st, self.req))

    @on("ClearVariableMonitoring", skip_schema_validation=True)
    def on_clear_variable_monitoring(self, **_: Any) -> Any:
        return _result("ClearVariableMonitoring", monitoring.clear_variable_monitoring(self.st, self.req))

    @on("SetMonitoringBase", skip_schema_validation=True)
    def on_set_monitoring_base(self, **_: Any) -> Any:
        return _result("SetMonitoringBase", monitoring.set_monitoring_base(self.st, self.req))

    @on("SetMonitoringLevel", skip_schema_validation=True)
    def on_set_monitoring_level(self, **_: Any) -> Any:
        return _result("SetMonitoringLevel", monitoring.set_monitoring_level(self.st, self.req))

    @on("GetMonitoringReport", skip_schema_validation=True)
    def on_get_monitoring_report(self, **_: Any) -> Any:
        st, request_id = self.st, int(self.req["requestId"])
        response, entries = monitoring.get_monitoring_report(st, self.req)
        if entries:
            self.later(lambda: monitoring.send_monitoring_report(st, request_id, entries))
        return _result("GetMonitoringReport", response)

    # -- N09 / N10: customer information (customer.py) ------------------------------------------------
    @on("CustomerInformation", skip_schema_validation=True)
    def on_customer_information(self, **_: Any) -> Any:
        st, req = self.st, dict(self.req)
        status = customer.check_request(req)
        if status == "Accepted":
            self.later(lambda: customer.notify(st, req))
        return _result("CustomerInformation", {"status": status})


async def _remote_start(
    st: StationCore, evse_id: int, id_token: dict[str, Any], remote_start_id: int
) -> None:
    """F01/F02: after RequestStartTransaction, authorize (if AuthorizeRemoteStart) and start."""
    evse = st.evses[evse_id]
    authorize_first = st.dm.get_bool("AuthCtrlr", "AuthorizeRemoteStart")
    if st.is_mutant("remote-start-authorize-ignored"):  # F01.FR.01 broken on purpose
        authorize_first = False
    elif st.is_mutant("remote-start-always-authorizes"):  # F01.FR.02 broken on purpose
        authorize_first = True
    if authorize_first:
        info = await auth.authorize(st, id_token)
        if info.get("status") != "Accepted":
            return
    evse.id_token = id_token
    evse.remote_start_id = remote_start_id
    if evse.tx is not None:
        evse.tx.remote_start_id = remote_start_id
    transactions.on_authorized(st, evse, "RemoteStart")
