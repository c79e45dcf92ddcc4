"""The CSMS-request handlers of blocks L, N, M/A, O and I, called from `handlers.StationChargePoint`.

Each takes the charge point (for `st` and `later`) and the camelCase request, and returns the
camelCase response payload; follow-up CALLs start only after the response has been sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.reference.station import certificates, diagnostics, display, firmware

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore
    from conformance.reference.station.handlers import StationChargePoint

Payload = dict[str, Any]


# -- TriggerMessage hooks ------------------------------------------------------------------------
def _status(st: StationCore, what: str) -> Payload:
    if what == "FirmwareStatusNotification":
        return firmware.current_status(st)
    return diagnostics.current_status(st)


def busy(st: StationCore, what: str) -> bool:
    return bool(_status(st, what)["status"] != "Idle")


def trigger_status(st: StationCore, what: str) -> None:
    st.outbox.post(what, _status(st, what))


def request_signing(st: StationCore, trigger: str) -> None:
    kind = "V2GCertificate" if trigger == "SignV2GCertificate" else "ChargingStationCertificate"
    certificates.request_signing(st, kind)


# -- L: firmware ------------------------------------------------------------------------------------
def update_firmware(cp: StationChargePoint, req: Payload) -> Payload:
    st = cp.st
    status, job = firmware.update_firmware(st, req)
    if job is not None:
        cp.later(lambda: firmware.start(st, job))
    return {"status": status}


# -- N: logs ----------------------------------------------------------------------------------------
def get_log(cp: StationChargePoint, req: Payload) -> Payload:
    st = cp.st
    response, job = diagnostics.get_log(st, req)
    if job is not None:
        cp.later(lambda: diagnostics.start(st, job))
    return response


# -- M / A: certificates ------------------------------------------------------------------------------
def install_certificate(cp: StationChargePoint, req: Payload) -> Payload:
    return {"status": certificates.install_certificate(cp.st, req)}


def get_installed_certificate_ids(cp: StationChargePoint, req: Payload) -> Payload:
    return certificates.get_installed_ids(cp.st, req)


def delete_certificate(cp: StationChargePoint, req: Payload) -> Payload:
    return {"status": certificates.delete_certificate(cp.st, req)}


def certificate_signed(cp: StationChargePoint, req: Payload) -> Payload:
    return {"status": certificates.certificate_signed(cp.st, req)}


# -- O: display messages, I: cost -------------------------------------------------------------------
def set_display_message(cp: StationChargePoint, req: Payload) -> Payload:
    return {"status": display.set_display_message(cp.st, req)}


def get_display_messages(cp: StationChargePoint, req: Payload) -> Payload:
    st = cp.st
    status, found = display.get_display_messages(st, req)
    if found:
        request_id = int(req["requestId"])
        cp.later(lambda: display.notify_display_messages(st, request_id, found))
    return {"status": status}


def clear_display_message(cp: StationChargePoint, req: Payload) -> Payload:
    return {"status": display.clear_display_message(cp.st, req)}


def cost_updated(cp: StationChargePoint, req: Payload) -> Payload:
    display.cost_updated(cp.st, req)
    return {}


# -- get_state ------------------------------------------------------------------------------------
def snapshot(st: StationCore) -> Payload:
    """Blocks L, N, M/A, O, I in get_state (for tests and the harness's own checks)."""
    fw = firmware.state(st)
    return {
        "firmware": firmware.current_status(st) | {"installed_location": fw.installed_location},
        "log_upload": diagnostics.current_status(st),
        "installed_certificates": [i.use for i in certificates.store(st).installed],
        "display_message_ids": sorted(display.state(st).messages),
        "cost_updates": [list(c) for c in display.state(st).costs],
    }
