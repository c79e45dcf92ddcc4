"""The reference CSMS's side of one station connection: an `ocpp.v201.ChargePoint` whose `@on`
handlers answer every station-initiated action and keep the records.

Requests reach these handlers only after `ocppj_filter.screen` validated them against the official
schemas, so the library's own (modified) schemas are skipped. Handlers never await a CALL of their
own (the library dispatches one message at a time): follow-ups run as tasks from `@after` hooks.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from ocpp.exceptions import InternalError, PropertyConstraintViolationError
from ocpp.messages import Call, MessageType
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint
from ocpp.v201 import call_result as result

from conformance.reference.csms.config import UNCHECKED_TOKEN_TYPES
from conformance.reference.csms.ocppj_filter import IncomingCall
from conformance.reference.csms.state import Report, StationState, Transaction, utc_now

if TYPE_CHECKING:
    from conformance.reference.csms.core import CsmsCore

# FirmwareStatusEnumType values reporting a failed update (L01; mutant firmware-failure-callerror).
FIRMWARE_FAILURES: Final = frozenset(
    {"DownloadFailed", "InvalidSignature", "InstallVerificationFailed", "InstallationFailed"}
)
# TriggerMessage requestedMessage -> the action the station then sends (MessageTriggerEnumType).
TRIGGERED_ACTION: Final = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
}


class CsmsChargePoint(ChargePoint):  # type: ignore[misc]  # ocpp is untyped
    def __init__(self, station_id: str, connection: Any, core: CsmsCore) -> None:
        super().__init__(station_id, connection, response_timeout=core.config.response_timeout)
        self.core = core
        self.record: StationState = core.state.station(station_id)
        self.current: IncomingCall | None = None  # the CALL being handled (camelCase, as received)
        self.closed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending_chain: str | None = None  # signed in on_sign_certificate, sent by the @after hook

    # ------------------------------------------------------------ plumbing
    @property
    def payload(self) -> dict[str, Any]:
        assert self.current is not None
        return self.current.payload

    @property
    def mutant(self) -> str | None:
        return self.core.mutant

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _send(self, message: str) -> None:
        if self.mutant == "mismatched-message-id":
            frame = json.loads(message)
            if frame[0] == MessageType.CallResult:  # Part 4: a CALLRESULT carries the CALL's id
                frame[1] = "mismatch-" + frame[1][:27]
                message = json.dumps(frame, separators=(",", ":"))
        await self._connection.send(message)

    async def call_raw(self, action: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one CALL with a camelCase payload through the library's RPC machinery (its lock
        keeps one CALL open at a time); return {"response": ...} or {"error": {...}}."""
        call = Call(unique_id=str(self._unique_id_generator()), action=action, payload=payload)
        async with self._call_lock:
            await self._send(call.to_json())
            if self.mutant == "second-call-while-open":  # Part 4 4.1.1: one CALL open at a time
                extra = Call(str(uuid.uuid4()), "TriggerMessage", {"requestedMessage": "Heartbeat"})
                await self._send(extra.to_json())
            response = await self._get_specific_response(call.unique_id, timeout)
        if response.message_type_id == MessageType.CallError:
            return {
                "error": {
                    "code": response.error_code,
                    "description": response.error_description,
                    "details": response.error_details,
                }
            }
        return {"response": response.payload}

    # ------------------------------------------------------------ B: provisioning
    @on("BootNotification", skip_schema_validation=True)
    def on_boot_notification(self, **_: Any) -> Any:
        rec, station = self.record, self.core.config.station(self.id)
        if rec.next_boot_status is not None:  # configure_boot_status: one shot
            status = rec.next_boot_status
            interval = rec.next_boot_interval
            rec.next_boot_status = rec.next_boot_interval = None
        elif station is not None and (not rec.boots or station.boot_status_sticky):
            status, interval = station.boot_status, None
        else:
            status, interval = "Accepted", None
        if self.mutant == "firmware-boot-pending" and self.payload.get("reason") == "FirmwareUpdate":
            status, interval = "Pending", None  # L01 / TC_L_01_CSMS step 14: Accepted after the update
        if self.mutant == "pending-sticky" and rec.boot_status == "Pending":  # B02.FR.01: Accepted follows
            status, interval = "Pending", None
        if interval is None:
            if status == "Accepted":
                interval = station.heartbeat_interval if station else self.core.config.heartbeat_interval
            else:
                interval = station.boot_retry_interval if station else 5
        rec.boot_status = status
        rec.allowed_while_pending = set()
        rec.boots.append({"request": dict(self.payload), "status": status, "interval": interval})
        current_time = utc_now()
        if self.mutant == "boot-time-bad-format":  # RFC 3339 needs an offset: local time, none given
            current_time = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
        sent_interval: Any = str(interval) if self.mutant == "heartbeat-interval-string" else interval
        return result.BootNotification(current_time=current_time, interval=sent_interval, status=status)

    @after("BootNotification")
    def after_boot_notification(self, **_: Any) -> None:
        if self.mutant == "ignores-pending" and self.record.boot_status == "Pending":
            # B02 / TC_B_02_CSMS: while Pending the CSMS may only retrieve or set configuration.
            request = {"idToken": {"idToken": "PENDING-IGNORED", "type": "Central"}, "remoteStartId": 1}
            self.spawn(self.core.send_request(self.id, "RequestStartTransaction", request, check=False))

    @on("Heartbeat", skip_schema_validation=True)
    def on_heartbeat(self, **_: Any) -> Any:
        self.record.heartbeats += 1
        if self.mutant == "schema-invalid-response":  # HeartbeatResponse.currentTime is required
            return result.Heartbeat(current_time=None)
        return result.Heartbeat(current_time=utc_now())

    @on("StatusNotification", skip_schema_validation=True)
    def on_status_notification(self, **_: Any) -> Any:
        p = self.payload
        self.record.connector_status[f"{p['evseId']}/{p['connectorId']}"] = p["connectorStatus"]
        return result.StatusNotification()

    @on("NotifyEvent", skip_schema_validation=True)
    def on_notify_event(self, **_: Any) -> Any:
        variables = {str(e["variable"]["name"]) for e in self.payload["eventData"]}
        if self.mutant == "notify-event-availability-only" and variables - {"AvailabilityState"}:
            raise PropertyConstraintViolationError(description="only AvailabilityState events are handled")
        return result.NotifyEvent()

    @on("SecurityEventNotification", skip_schema_validation=True)
    def on_security_event_notification(self, **_: Any) -> Any:
        return result.SecurityEventNotification()

    @on("NotifyReport", skip_schema_validation=True)
    def on_notify_report(self, **_: Any) -> Any:
        self.record.reports.setdefault(int(self.payload["requestId"]), Report()).add(self.payload)
        return result.NotifyReport()

    @on("NotifyMonitoringReport", skip_schema_validation=True)
    def on_notify_monitoring_report(self, **_: Any) -> Any:
        self.record.monitoring_reports.setdefault(int(self.payload["requestId"]), Report()).add(self.payload)
        return result.NotifyMonitoringReport()

    # ------------------------------------------------------------ C/E: authorization, transactions
    def id_token_info(self, id_token: dict[str, Any]) -> dict[str, Any]:
        """IdTokenInfoType for a presented token, from the CSMS's table (C01, TC_C_*_CSMS)."""
        entry = self.core.config.token(str(id_token.get("idToken", "")))
        if entry is not None:
            info = entry.id_token_info()
        elif id_token.get("type") in UNCHECKED_TOKEN_TYPES or self.mutant == "accepts-unknown-token":
            info = {"status": "Accepted"}
        else:
            info = {"status": "Unknown"}
        if info["status"] == "Blocked" and self.mutant == "blocked-token-accepted":
            info["status"] = "Accepted"
        if info["status"] == "Invalid" and self.mutant == "invalid-token-accepted":  # C01.FR.07
            info["status"] = "Accepted"
        if info["status"] == "Expired" and self.mutant == "expired-token-accepted":  # C01.FR.07
            info["status"] = "Accepted"
        if self.mutant == "no-group-id-token":  # C09.FR.02 / C16: the group travels with the status
            info.pop("groupIdToken", None)
        return info

    @on("Authorize", skip_schema_validation=True)
    def on_authorize(self, **_: Any) -> Any:
        token = self.payload["idToken"]
        info = self.id_token_info(token)
        self.record.authorizations.append({"idToken": dict(token), "status": info["status"]})
        return result.Authorize(id_token_info=info)

    def transaction_event_refusal(self, p: dict[str, Any]) -> str | None:
        """Why a block C/E mutant refuses a valid TransactionEventRequest (the conformant CSMS: never)."""
        info = p["transactionInfo"]
        if self.mutant == "started-requires-idtoken" and p["eventType"] == "Started" and "idToken" not in p:
            return "a transaction must start with an idToken"  # breaks E01.FR.01/02, E02
        common: tuple[str, ...] = ("Authorized", "CablePluggedIn", "ChargingStateChanged", "StopAuthorized")
        common += ("EVCommunicationLost", "RemoteStart", "RemoteStop", "MeterValuePeriodic")
        if self.mutant == "trigger-reason-subset" and p["triggerReason"] not in common:
            return f"triggerReason {p['triggerReason']} is not handled"
        suspended = ("SuspendedEV", "SuspendedEVSE")
        if self.mutant == "rejects-suspended-states" and info.get("chargingState") in suspended:
            return f"chargingState {info['chargingState']} is not handled"
        no_meter = p["eventType"] == "Ended" and not p.get("meterValue")
        if self.mutant == "ended-requires-meter-value" and no_meter:
            return "an Ended event needs the meter reading"  # meterValue is optional (Part 3)
        known = self.record.transactions.get(str(info["transactionId"]))
        if self.mutant == "ev-communication-lost-ends-transaction" and known is not None and known.ended:
            return "the transaction has ended"  # E10.FR.01: EVCommunicationLost (Updated) only suspends
        if self.mutant == "seqno-per-station":  # E01.FR.07: seqNo restarts at 0 in each transaction
            last = max((n for tx in self.record.transactions.values() for n in tx.seq_nos), default=-1)
            if int(p["seqNo"]) <= last:
                return f"seqNo {p['seqNo']} is not above the station's last seqNo {last}"
        return None

    @on("TransactionEvent", skip_schema_validation=True)
    def on_transaction_event(self, **_: Any) -> Any:
        p = self.payload
        refusal = self.transaction_event_refusal(p)
        if refusal is not None:
            raise PropertyConstraintViolationError(description=refusal)
        refusal = self.meter_value_refusal(p)
        if refusal is not None:
            raise PropertyConstraintViolationError(description=refusal)
        tx_id = str(p["transactionInfo"]["transactionId"])
        tx = self.record.transactions.setdefault(tx_id, Transaction(tx_id))
        if self.mutant == "ev-communication-lost-ends-transaction":
            tx.ended = tx.ended or p["triggerReason"] == "EVCommunicationLost"
        tx.seq_nos.append(int(p["seqNo"]))
        tx.event_types.append(str(p["eventType"]))
        tx.trigger_reasons.append(str(p["triggerReason"]))
        tx.meter_values += len(p.get("meterValue", []))
        if "evse" in p:
            tx.evse = dict(p["evse"])
        tx.ended = tx.ended or p["eventType"] == "Ended"
        info = None
        if "idToken" in p:
            tx.id_tokens.append(dict(p["idToken"]))
            # E01.FR.?? / TC_E_*_CSMS: idTokenInfo is in the response whenever the request has an idToken.
            if self.mutant != "transaction-response-missing-idtokeninfo":
                info = self.id_token_info(p["idToken"])
            # C09.FR.03 / C16: another token of the group, or a master pass, may stop; broken on purpose
            other = tx.id_tokens[0] != p["idToken"]
            if info is not None and other and self.mutant == "stop-token-must-match":
                info["status"] = "Invalid"
        return result.TransactionEvent(id_token_info=info)

    @on("MeterValues", skip_schema_validation=True)
    def on_meter_values(self, **_: Any) -> Any:
        refusal = self.meter_value_refusal(self.payload)
        if refusal is not None:
            raise PropertyConstraintViolationError(description=refusal)
        return result.MeterValues()

    def meter_value_refusal(self, p: dict[str, Any]) -> str | None:
        """Why a block J mutant refuses valid meter values (mutants/csms_fgj.py; conformant: never)."""
        m = self.mutant
        if m == "started-requires-evse" and p.get("eventType") == "Started" and "evse" not in p:
            return "a transaction must start on a known EVSE"  # E01/J02: the EVSE may come later
        sampled = [sv for mv in p.get("meterValue", []) for sv in mv["sampledValue"]]
        contexts = {str(sv.get("context", "Sample.Periodic")) for sv in sampled}  # Part 2 default
        refused = {
            "clock-aligned-rejected": "Sample.Clock",  # J01.FR.18
            "sample-periodic-rejected": "Sample.Periodic",  # J02.FR.19
            "transaction-begin-rejected": "Transaction.Begin",  # J02.FR.19
            "trigger-context-rejected": "Trigger",  # F06 / TC_F_11..14_CSMS: triggered readings
        }.get(m or "")
        if refused in contexts:
            return f"sampledValue.context {refused} is not handled"
        if m == "signed-meter-value-rejected" and any("signedMeterValue" in sv for sv in sampled):
            return "signed meter values are not handled"  # J01.FR.21 / J02.FR.21
        return None

    # ------------------------------------------------------------ A/L/N/K/...: notifications
    @on("FirmwareStatusNotification", skip_schema_validation=True)
    def on_firmware_status_notification(self, **_: Any) -> Any:
        if self.mutant == "idle-status-rejected" and self.payload["status"] == "Idle":  # F06 / TC_F_18_CSMS
            raise PropertyConstraintViolationError(description="status Idle: no firmware update is running")
        if self.mutant == "firmware-failure-callerror" and self.payload["status"] in FIRMWARE_FAILURES:
            raise InternalError(description=f"unexpected firmware status {self.payload['status']}")  # L01
        return result.FirmwareStatusNotification()

    @on("PublishFirmwareStatusNotification", skip_schema_validation=True)
    def on_publish_firmware_status_notification(self, **_: Any) -> Any:
        return result.PublishFirmwareStatusNotification()

    @on("LogStatusNotification", skip_schema_validation=True)
    def on_log_status_notification(self, **_: Any) -> Any:
        if self.mutant == "idle-status-rejected" and self.payload["status"] == "Idle":  # F06 / TC_F_15_CSMS
            raise PropertyConstraintViolationError(description="status Idle: no log upload is running")
        return result.LogStatusNotification()

    @on("NotifyChargingLimit", skip_schema_validation=True)
    def on_notify_charging_limit(self, **_: Any) -> Any:
        return result.NotifyChargingLimit()

    @on("ClearedChargingLimit", skip_schema_validation=True)
    def on_cleared_charging_limit(self, **_: Any) -> Any:
        return result.ClearedChargingLimit()

    @on("ReportChargingProfiles", skip_schema_validation=True)
    def on_report_charging_profiles(self, **_: Any) -> Any:
        return result.ReportChargingProfiles()

    @on("NotifyEVChargingNeeds", skip_schema_validation=True)
    def on_notify_ev_charging_needs(self, **_: Any) -> Any:
        return result.NotifyEVChargingNeeds(status="Accepted")

    @on("NotifyEVChargingSchedule", skip_schema_validation=True)
    def on_notify_ev_charging_schedule(self, **_: Any) -> Any:
        return result.NotifyEVChargingSchedule(status="Accepted")

    @on("ReservationStatusUpdate", skip_schema_validation=True)
    def on_reservation_status_update(self, **_: Any) -> Any:
        return result.ReservationStatusUpdate()

    @on("NotifyDisplayMessages", skip_schema_validation=True)
    def on_notify_display_messages(self, **_: Any) -> Any:
        return result.NotifyDisplayMessages()

    @on("NotifyCustomerInformation", skip_schema_validation=True)
    def on_notify_customer_information(self, **_: Any) -> Any:
        return result.NotifyCustomerInformation()

    @on("DataTransfer", skip_schema_validation=True)
    def on_data_transfer(self, **_: Any) -> Any:
        canned = self.core.config.data_transfer.get(str(self.payload["vendorId"]))
        if canned is None:
            if self.mutant == "data-transfer-accepts-unknown":  # P02.FR.06: an unknown vendor is not Accepted
                return result.DataTransfer(status="Accepted")
            return result.DataTransfer(status="UnknownVendorId")
        return result.DataTransfer(
            status=canned["status"], data=canned.get("data"), status_info=canned.get("statusInfo")
        )

    # ------------------------------------------------------------ A/M: certificates
    @on("SignCertificate", skip_schema_validation=True)
    def on_sign_certificate(self, **_: Any) -> Any:
        try:
            self._pending_chain = self.core.signing_ca.sign_csr(self.payload["csr"])
        except ValueError:
            self._pending_chain = None
            return result.SignCertificate(status="Rejected")
        return result.SignCertificate(status="Accepted")

    @after("SignCertificate")
    def after_sign_certificate(self, **_: Any) -> None:
        chain, self._pending_chain = self._pending_chain, None
        if chain is None or self.mutant == "no-certificate-signed":  # A02.FR.?: CertificateSigned follows
            return
        request: dict[str, Any] = {"certificateChain": chain}
        kind = self.payload.get("certificateType")
        if kind is not None:
            request["certificateType"] = kind
        self.spawn(self.core.send_request(self.id, "CertificateSigned", request, check=False))

    @on("Get15118EVCertificate", skip_schema_validation=True)
    def on_get_15118_ev_certificate(self, **_: Any) -> Any:
        canned = self.core.config.get_15118_ev_certificate_response
        return result.Get15118EVCertificate(
            status=canned["status"], exi_response=canned["exiResponse"], status_info=canned.get("statusInfo")
        )

    @on("GetCertificateStatus", skip_schema_validation=True)
    def on_get_certificate_status(self, **_: Any) -> Any:
        canned = self.core.config.get_certificate_status_response
        return result.GetCertificateStatus(
            status=canned["status"],
            ocsp_result=canned.get("ocspResult"),
            status_info=canned.get("statusInfo"),
        )
