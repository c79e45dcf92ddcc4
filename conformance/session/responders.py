"""Conformant default answers of the harness, per role, like OCTT's configured responses.

Tests override them per step with `Session.on(action, ...)`. Every answer is schema-checked before it is
sent (`Session._send_result`), so a default that drifted from the schema fails loudly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from conformance.ocppj.frames import Call

Payload = dict[str, Any]


def ocpp_now() -> str:
    """Current UTC time as OCPP wants it: RFC 3339, millisecond precision, 'Z'."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _const(payload: Payload) -> Callable[[Call], Payload]:
    return lambda _call: dict(payload)


def csms_responders(
    *,
    heartbeat_interval: int = 300,
    token_status: Callable[[Mapping[str, Any]], str] | None = None,
) -> dict[str, Callable[[Call], Payload]]:
    """What the harness, playing the CSMS, answers a station's CALLs with by default."""

    def status_of(call: Call, token: Mapping[str, Any] | None) -> Payload:
        status = token_status(token) if (token_status and token is not None) else "Accepted"
        return {"status": status}

    def boot(_call: Call) -> Payload:
        return {"currentTime": ocpp_now(), "interval": heartbeat_interval, "status": "Accepted"}

    def authorize(call: Call) -> Payload:
        return {"idTokenInfo": status_of(call, call.payload.get("idToken"))}

    def transaction_event(call: Call) -> Payload:
        token = call.payload.get("idToken")
        return {"idTokenInfo": status_of(call, token)} if token is not None else {}

    empty = _const({})
    return {
        "Authorize": authorize,
        "BootNotification": boot,
        "ClearedChargingLimit": empty,
        "DataTransfer": _const({"status": "UnknownVendorId"}),
        "FirmwareStatusNotification": empty,
        "Get15118EVCertificate": _const({"status": "Failed", "exiResponse": ""}),
        "GetCertificateStatus": _const({"status": "Failed"}),
        "Heartbeat": lambda _call: {"currentTime": ocpp_now()},
        "LogStatusNotification": empty,
        "MeterValues": empty,
        "NotifyChargingLimit": empty,
        "NotifyCustomerInformation": empty,
        "NotifyDisplayMessages": empty,
        "NotifyEVChargingNeeds": _const({"status": "Accepted"}),
        "NotifyEVChargingSchedule": _const({"status": "Accepted"}),
        "NotifyEvent": empty,
        "NotifyMonitoringReport": empty,
        "NotifyReport": empty,
        "PublishFirmwareStatusNotification": empty,
        "ReportChargingProfiles": empty,
        "ReservationStatusUpdate": empty,
        "SecurityEventNotification": empty,
        "SignCertificate": _const({"status": "Accepted"}),
        "StatusNotification": empty,
        "TransactionEvent": transaction_event,
    }


def station_responders(
    device_model: Mapping[str, str] | None = None,
) -> dict[str, Callable[[Call], Payload]]:
    """What the harness, playing a charging station, answers a CSMS's CALLs with by default.

    `device_model` maps "Component.Variable" to the value GetVariables reports; anything else is
    UnknownComponent, and SetVariables accepts (the harness's station keeps what the CSMS sets).
    """
    values: dict[str, str] = dict(device_model or {})

    def get_variables(call: Call) -> Payload:
        results = []
        for item in call.payload.get("getVariableData", []):
            key = f"{item['component']['name']}.{item['variable']['name']}"
            result: Payload = {"component": item["component"], "variable": item["variable"]}
            if "attributeType" in item:
                result["attributeType"] = item["attributeType"]
            if key in values:
                result.update(attributeStatus="Accepted", attributeValue=values[key])
            else:
                result["attributeStatus"] = "UnknownComponent"
            results.append(result)
        return {"getVariableResult": results}

    def set_variables(call: Call) -> Payload:
        results = []
        for item in call.payload.get("setVariableData", []):
            values[f"{item['component']['name']}.{item['variable']['name']}"] = item["attributeValue"]
            result: Payload = {
                "attributeStatus": "Accepted",
                "component": item["component"],
                "variable": item["variable"],
            }
            if "attributeType" in item:
                result["attributeType"] = item["attributeType"]
            results.append(result)
        return {"setVariableResult": results}

    def set_monitoring(call: Call) -> Payload:
        return {
            "setMonitoringResult": [
                {
                    "id": index + 1,
                    "status": "Accepted",
                    "type": item["type"],
                    "severity": item["severity"],
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for index, item in enumerate(call.payload.get("setMonitoringData", []))
            ]
        }

    def clear_monitoring(call: Call) -> Payload:
        return {
            "clearMonitoringResult": [{"id": i, "status": "Accepted"} for i in call.payload.get("id", [])]
        }

    accepted = _const({"status": "Accepted"})
    return {
        "CancelReservation": accepted,
        "CertificateSigned": accepted,
        "ChangeAvailability": accepted,
        "ClearCache": accepted,
        "ClearChargingProfile": accepted,
        "ClearDisplayMessage": accepted,
        "ClearVariableMonitoring": clear_monitoring,
        "CostUpdated": _const({}),
        "CustomerInformation": accepted,
        "DataTransfer": _const({"status": "UnknownVendorId"}),
        "DeleteCertificate": accepted,
        "GetBaseReport": accepted,
        "GetChargingProfiles": _const({"status": "NoProfiles"}),
        "GetCompositeSchedule": _const({"status": "Rejected"}),
        "GetDisplayMessages": _const({"status": "Unknown"}),
        "GetInstalledCertificateIds": _const({"status": "NotFound"}),
        "GetLocalListVersion": _const({"versionNumber": 0}),
        "GetLog": accepted,
        "GetMonitoringReport": accepted,
        "GetReport": accepted,
        "GetTransactionStatus": _const({"messagesInQueue": False}),
        "GetVariables": get_variables,
        "InstallCertificate": accepted,
        "PublishFirmware": accepted,
        "RequestStartTransaction": accepted,
        "RequestStopTransaction": accepted,
        "ReserveNow": accepted,
        "Reset": accepted,
        "SendLocalList": accepted,
        "SetChargingProfile": accepted,
        "SetDisplayMessage": accepted,
        "SetMonitoringBase": accepted,
        "SetMonitoringLevel": accepted,
        "SetNetworkProfile": accepted,
        "SetVariableMonitoring": set_monitoring,
        "SetVariables": set_variables,
        "TriggerMessage": accepted,
        "UnlockConnector": _const({"status": "Unlocked"}),
        "UnpublishFirmware": _const({"status": "Unpublished"}),
        "UpdateFirmware": accepted,
    }
