"""get_state: a JSON snapshot of the station for tests and the harness's own checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.reference.station.clock import format_time
from conformance.reference.station.lmno_handlers import snapshot as lmno_snapshot
from conformance.reference.station.smart_charging import snapshot as smart_charging_snapshot

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

_DM_OF_INTEREST = (
    ("OCPPCommCtrlr", "HeartbeatInterval"),
    ("TxCtrlr", "TxStartPoint"),
    ("TxCtrlr", "TxStopPoint"),
    ("TxCtrlr", "StopTxOnInvalidId"),
    ("SampledDataCtrlr", "TxUpdatedInterval"),
    ("SampledDataCtrlr", "TxUpdatedMeasurands"),
    ("AlignedDataCtrlr", "Interval"),
    ("AlignedDataCtrlr", "Measurands"),
    ("AuthCtrlr", "AuthorizeRemoteStart"),
    ("AuthCtrlr", "LocalPreAuthorize"),
    ("AuthCacheCtrlr", "Enabled"),
)


def snapshot(st: StationCore) -> dict[str, Any]:
    return {
        "station_id": st.config.station_id,
        "mutant": st.mutant,
        "connected": st.connected,
        "connect_count": st.connect_count,
        "last_connect_error": st.last_connect_error,
        "boot_status": st.boot_status,
        "boot_count": st.boot_count,
        "operative": st.operative,
        "station_time": format_time(st.clock.now()),
        "evses": [
            {
                "evse_id": evse.evse_id,
                "operative": evse.operative,
                "parking_occupied": evse.parking_occupied,
                "ev_suspended": evse.ev_suspended,
                "id_token": evse.id_token,
                "meter_wh": round(evse.meter_wh, 3),
                "connectors": [
                    {
                        "connector_id": c.connector_id,
                        "type": c.connector_type,
                        "plugged": c.plugged,
                        "status": st.connector_status(evse, c),
                    }
                    for c in evse.connectors
                ],
                "transaction": None
                if evse.tx is None
                else {
                    "transaction_id": evse.tx.transaction_id,
                    "next_seq_no": evse.tx.seq_no,
                    "charging_state": evse.tx.charging_state,
                    "remote_start_id": evse.tx.remote_start_id,
                },
                "ended_transactions": list(evse.ended_txs),
            }
            for evse in st.evses.values()
        ],
        "device_model": {f"{c}/{v}": st.dm.get(c, v) for c, v in _DM_OF_INTEREST},
        "auth_cache": {k: v.get("status") for k, v in st.auth_cache.items()},
        "local_list_version": st.local_list_version,
        "queued_messages": st.outbox.queued,
        "retries": st.outbox.retries,
        "sent_actions": st.outbox.sent[-100:],
        "security_events": list(st.security_events),
        "firmware_logs_certificates_display": lmno_snapshot(st),  # blocks L, N, M/A, O, I
        "charging_profiles": smart_charging_snapshot(st),  # block K
    }
