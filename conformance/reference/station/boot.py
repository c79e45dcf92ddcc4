"""Boot (B01-B03) and the per-connection session: BootNotification until Accepted, then Booted state."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from conformance.reference.station import firmware
from conformance.reference.station.device_model import ComponentKey, VariableKey
from conformance.reference.station.outbox import CallFailed, Offline

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore


async def session(st: StationCore) -> None:
    """Runs for one connection: boot if needed, then heartbeats until the connection ends."""
    if st.boot_status != "Accepted":
        await boot(st)
    else:
        st.outbox.set_open(True)
        # B04.FR.01: offline longer than OCPPCommCtrlr.OfflineThreshold, every connector is reported;
        # B04.FR.02: shorter, only those whose status changed while offline (TC_B_51/52_CS).
        offline = st.clock.now() - st.offline_since
        if not st.is_mutant("offline-change-unreported"):  # broken on purpose: nothing is reported
            threshold = st.dm.get_int("OCPPCommCtrlr", "OfflineThreshold")
            long = offline > threshold and not st.is_mutant("offline-long-only-changed")
            st.report_all_connectors(force=long)
    await heartbeat_loop(st)


def boot_payload(st: StationCore) -> dict[str, object]:
    cfg = st.config
    return {
        "reason": st.boot_reason,
        "chargingStation": {
            "model": cfg.model,
            "vendorName": cfg.vendor_name,
            "serialNumber": cfg.serial_number,
            # After a successful firmware update (L01), the version of the image installed.
            "firmwareVersion": firmware.state(st).installed_version or cfg.firmware_version,
        },
    }


async def boot(st: StationCore) -> None:
    while True:
        st.boot_status = "Sending"
        st.boot_count += 1
        try:
            response = await st.outbox.direct("BootNotification", boot_payload(st))
        except Offline:
            return
        except CallFailed:
            st.boot_status = "None"
            await st.clock.sleep(st.config.boot_retry_default)
            continue
        st.boot_status = str(response["status"])
        interval = int(response.get("interval", 0))
        if st.boot_status == "Accepted":
            _apply_heartbeat_interval(st, interval)
            break
        if st.is_mutant("boot-ignores-status"):
            # B02.FR.02 / B03.FR.02 broken on purpose: other messages while not Accepted.
            st.outbox.set_open(True)
            st.report_all_connectors(force=True)
            st.outbox.post("Heartbeat", {})
        # B02/B03: retry after `interval`, sending nothing else in between.
        await _retry_wait(st, interval if interval > 0 else st.config.boot_retry_default)
        st.outbox.set_open(False)
    st.outbox.set_open(True)
    st.report_all_connectors(force=True)
    if not st.is_mutant("security-event-missing"):
        st.security_event("StartupOfTheDevice" if st.boot_reason == "PowerUp" else "ResetOrReboot")
    st.boot_reason = "PowerUp"


async def _retry_wait(st: StationCore, seconds: float) -> None:
    """The boot retry interval, cut short by TriggerMessage(BootNotification)."""
    st.boot_now.clear()
    sleeper = asyncio.ensure_future(st.clock.sleep(seconds))
    trigger = asyncio.ensure_future(st.boot_now.wait())
    try:
        await asyncio.wait({sleeper, trigger}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        trigger.cancel()


def _apply_heartbeat_interval(st: StationCore, interval: int) -> None:
    if st.config.heartbeat_interval is not None:
        interval = st.config.heartbeat_interval
    var = st.dm.variable(ComponentKey("OCPPCommCtrlr"), VariableKey("HeartbeatInterval"))
    if var is not None:
        var.value = str(interval)


async def heartbeat_loop(st: StationCore) -> None:
    """Heartbeat every OCPPCommCtrlr.HeartbeatInterval seconds of station time (0 = off)."""
    while True:
        interval = st.dm.get_int("OCPPCommCtrlr", "HeartbeatInterval")
        if interval <= 0:
            await st.clock.sleep(1.0)
            continue
        await st.clock.sleep(interval)
        if st.outbox.is_open:
            st.outbox.post("Heartbeat", {})
