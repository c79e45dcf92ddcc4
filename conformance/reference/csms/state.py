"""The reference CSMS's records, per station. Only touched from the CSMS's own event loop;
`snapshot()` makes the JSON copy that `get_state` hands to other threads."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_now() -> str:
    """RFC 3339 UTC with millisecond precision and 'Z' (what real stations parse best)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Report:
    """NotifyReport / NotifyMonitoringReport chunks of one requestId, assembled by seqNo."""

    chunks: dict[int, dict[str, Any]] = field(default_factory=dict)
    complete: bool = False

    def add(self, payload: dict[str, Any]) -> None:
        self.chunks[int(payload["seqNo"])] = payload
        if not payload.get("tbc", False):
            self.complete = True

    def as_json(self, key: str) -> dict[str, Any]:
        seq_nos = sorted(self.chunks)
        data = [item for n in seq_nos for item in self.chunks[n].get(key, [])]
        gaps = bool(seq_nos) and seq_nos != list(range(seq_nos[0], seq_nos[0] + len(seq_nos)))
        return {"seqNos": seq_nos, "complete": self.complete and not gaps, key: data}


@dataclass
class Transaction:
    transaction_id: str
    seq_nos: list[int] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    trigger_reasons: list[str] = field(default_factory=list)
    id_tokens: list[dict[str, Any]] = field(default_factory=list)
    evse: dict[str, Any] | None = None
    meter_values: int = 0
    ended: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "transactionId": self.transaction_id,
            "seqNos": list(self.seq_nos),
            "eventTypes": list(self.event_types),
            "triggerReasons": list(self.trigger_reasons),
            "idTokens": copy.deepcopy(self.id_tokens),
            "evse": copy.deepcopy(self.evse),
            "meterValues": self.meter_values,
            "ended": self.ended,
        }


@dataclass
class StationState:
    station_id: str
    connected: bool = False
    connections: int = 0
    boots: list[dict[str, Any]] = field(default_factory=list)  # {"request", "status", "interval"}
    boot_status: str | None = None  # the status of the last BootNotificationResponse
    next_boot_status: str | None = None  # one-shot override (configure_boot_status)
    next_boot_interval: int | None = None
    # actions a Pending station may send because the CSMS asked for them (TriggerMessage, GetReport)
    allowed_while_pending: set[str] = field(default_factory=set)
    heartbeats: int = 0
    connector_status: dict[str, str] = field(default_factory=dict)  # "evseId/connectorId" -> status
    transactions: dict[str, Transaction] = field(default_factory=dict)
    reports: dict[int, Report] = field(default_factory=dict)
    monitoring_reports: dict[int, Report] = field(default_factory=dict)
    authorizations: list[dict[str, Any]] = field(default_factory=list)  # {"idToken", "status"}
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # action -> payloads
    sent: list[dict[str, Any]] = field(default_factory=list)  # CSMS-initiated: request + outcome
    refused: list[dict[str, Any]] = field(default_factory=list)  # CALLERRORs we answered

    def record(self, action: str, payload: dict[str, Any]) -> None:
        self.received.setdefault(action, []).append(copy.deepcopy(payload))

    def of(self, action: str) -> list[dict[str, Any]]:
        return self.received.get(action, [])

    def as_json(self) -> dict[str, Any]:
        return {
            "stationId": self.station_id,
            "connected": self.connected,
            "connections": self.connections,
            "boots": copy.deepcopy(self.boots),
            "bootStatus": self.boot_status,
            "heartbeats": self.heartbeats,
            "connectorStatus": dict(self.connector_status),
            "statusNotifications": len(self.of("StatusNotification")),
            "transactions": {tid: tx.as_json() for tid, tx in self.transactions.items()},
            "meterValues": len(self.of("MeterValues")),
            "reports": {str(rid): r.as_json("reportData") for rid, r in self.reports.items()},
            "monitoringReports": {
                str(rid): r.as_json("monitor") for rid, r in self.monitoring_reports.items()
            },
            "authorizations": copy.deepcopy(self.authorizations),
            "events": [e for p in self.of("NotifyEvent") for e in p.get("eventData", [])],
            "securityEvents": copy.deepcopy(self.of("SecurityEventNotification")),
            "firmwareStatus": [p["status"] for p in self.of("FirmwareStatusNotification")],
            "publishFirmwareStatus": [p["status"] for p in self.of("PublishFirmwareStatusNotification")],
            "logStatus": [p["status"] for p in self.of("LogStatusNotification")],
            "received": {a: copy.deepcopy(p) for a, p in self.received.items()},
            "receivedCounts": {a: len(p) for a, p in self.received.items()},
            "sent": copy.deepcopy(self.sent),
            "refused": copy.deepcopy(self.refused),
        }


@dataclass
class CsmsState:
    stations: dict[str, StationState] = field(default_factory=dict)
    rejected_handshakes: list[dict[str, str]] = field(default_factory=list)

    def station(self, station_id: str) -> StationState:
        if station_id not in self.stations:
            self.stations[station_id] = StationState(station_id)
        return self.stations[station_id]

    def snapshot(self) -> dict[str, Any]:
        return {
            "connected": sorted(s.station_id for s in self.stations.values() if s.connected),
            "stations": {sid: s.as_json() for sid, s in self.stations.items()},
            "rejectedHandshakes": copy.deepcopy(self.rejected_handshakes),
        }
