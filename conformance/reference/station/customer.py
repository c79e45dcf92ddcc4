"""Blocks N09 / N10 of the reference station: CustomerInformation with NotifyCustomerInformation.

The customer data this station keeps is what it knows of an idToken (its authorization cache entry and
its Local Authorization List entry), of a customer certificate (an installed certificate matching the
certificateHashData) and of a customerIdentifier (records no OCPP message creates: `customer_records`
is filled by the control action `store_customer_identifier`, TC_N_62_CS's Memory State).
A report goes out in NotifyCustomerInformationRequests of at most
DATA_LIMIT characters each (seqNo from 0, tbc true on all but the last); no data is an empty `data`.
Clearing removes the cache entry and the certificate, never the Local Authorization List entry (N10:
the local list is the CSMS's to manage); a clear without a report is confirmed by one notification
("customer information cleared").
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.reference.station import auth, certificates

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

DATA_LIMIT = 512  # NotifyCustomerInformationRequest.data maxLength
IDENTIFIERS = ("idToken", "customerCertificate", "customerIdentifier")


@dataclass
class CustomerState:
    records: dict[str, list[str]] = field(default_factory=dict)  # customerIdentifier -> lines


_STATES: weakref.WeakKeyDictionary[StationCore, CustomerState] = weakref.WeakKeyDictionary()


def customer_records(st: StationCore) -> dict[str, list[str]]:
    found = _STATES.get(st)
    if found is None:
        found = _STATES[st] = CustomerState()
    return found.records


def check_request(req: dict[str, Any]) -> str:
    """CustomerInformationResponse.status: Invalid unless exactly one customer reference is given and
    something is asked (report or clear)."""
    given = [k for k in IDENTIFIERS if req.get(k)]
    if len(given) != 1 or not (req.get("report") or req.get("clear")):
        return "Invalid"
    return "Accepted"


def _token_lines(st: StationCore, id_token: dict[str, Any], clear: bool) -> list[str]:
    key = auth._key(id_token)  # the cache's and the local list's own key
    label = f"idToken {id_token.get('type', '')} {id_token.get('idToken', '')}"
    lines = []
    cached = st.auth_cache.get(key)
    if cached is not None:
        lines.append(f"{label}: authorization cache entry, status {cached.get('status', 'Unknown')}")
        if clear:
            del st.auth_cache[key]
    listed = st.local_list.get(key)
    if listed is not None:
        lines.append(f"{label}: Local Authorization List entry, status {listed.get('status', 'Unknown')}")
    return lines


def _certificate_lines(st: StationCore, hash_data: dict[str, Any], clear: bool) -> list[str]:
    box = certificates.store(st)
    lines = []
    for item in list(box.installed):
        if certificates._same(box.hash_data_of(item), hash_data):
            lines.append(f"customer certificate {item.cert.serial_number:x} ({item.use})")
            if clear:
                box.installed.remove(item)
    return lines


def collect(st: StationCore, req: dict[str, Any]) -> str:
    """The customer data the request refers to (cleared afterwards when `clear`), as text."""
    clear = bool(req.get("clear"))
    if req.get("idToken"):
        lines = _token_lines(st, dict(req["idToken"]), clear)
    elif req.get("customerCertificate"):
        lines = _certificate_lines(st, dict(req["customerCertificate"]), clear)
    else:
        records = customer_records(st)
        identifier = str(req.get("customerIdentifier", ""))
        lines = list(records.get(identifier, []))
        if clear and not st.is_mutant("customer-identifier-not-cleared"):  # N10.FR.01 / TC_N_62_CS
            records.pop(identifier, None)
    return "\n".join(lines)


def notify(st: StationCore, req: dict[str, Any]) -> None:
    """After an Accepted CustomerInformationResponse: collect (and clear), then notify (N09 / N10)."""
    data = collect(st, req)
    if st.is_mutant("customer-info-no-notify"):  # N09 / TC_N_28_CS broken on purpose
        return
    if st.is_mutant("customer-report-empty"):  # N09 / TC_N_27_CS broken on purpose
        data = ""
    if not req.get("report"):
        data = "customer information cleared"  # N10: the clear is confirmed by one notification
    parts = [data[i : i + DATA_LIMIT] for i in range(0, len(data), DATA_LIMIT)] or [""]
    for seq_no, part in enumerate(parts):
        last = seq_no == len(parts) - 1
        st.outbox.post(
            "NotifyCustomerInformation",
            {
                "data": part,
                "tbc": not last or st.is_mutant("customer-info-tbc-stuck"),  # N09 / TC_N_28_CS
                "seqNo": seq_no,
                "generatedAt": st.timestamp(),
                "requestId": int(req["requestId"]),
            },
        )
