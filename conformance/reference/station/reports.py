"""Reports (B07, B08): GetBaseReport and GetReport, sent as chunked NotifyReport messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.reference.station.device_model import ComponentKey, Variable, VariableKey, component_key
from conformance.reference.station.outbox import CallFailed, Offline

if TYPE_CHECKING:
    from conformance.reference.station.core import StationCore

_SUMMARY = {"AvailabilityState", "Available"}
Item = tuple[ComponentKey, VariableKey, Variable]


def base_report_items(st: StationCore, report_base: str) -> list[Item]:
    items = list(st.dm.items())
    if report_base == "ConfigurationInventory":
        return [i for i in items if i[2].mutability != "ReadOnly"]
    if report_base == "SummaryInventory":
        return [i for i in items if i[1].name in _SUMMARY]
    return items  # FullInventory


def _component_matches(comp: ComponentKey, wanted: dict[str, Any]) -> bool:
    want = component_key(wanted)
    if comp.name != want.name or (want.instance is not None and comp.instance != want.instance):
        return False
    if "evse" not in wanted:
        return True
    return comp.evse_id == want.evse_id and (
        want.connector_id is None or comp.connector_id == want.connector_id
    )


def _criteria_match(st: StationCore, comp: ComponentKey, criteria: list[str]) -> bool:
    for criterion in criteria:
        if criterion == "Problem":
            var = st.dm.variable(comp, VariableKey("Problem"))
        else:
            var = st.dm.variable(comp, VariableKey(criterion))
        if var is not None and var.mutability != "WriteOnly" and var.read() == "true":
            return True
    return False


def report_items(st: StationCore, payload: dict[str, Any]) -> list[Item]:
    """B08: items selected by componentVariable AND componentCriteria (either may be absent)."""
    items = list(st.dm.items())
    wanted = payload.get("componentVariable")
    if wanted:
        items = [
            i
            for i in items
            if any(
                _component_matches(i[0], cv["component"])
                and ("variable" not in cv or _variable_matches(i[1], cv["variable"]))
                for cv in wanted
            )
        ]
    criteria = payload.get("componentCriteria")
    if criteria:
        items = [i for i in items if _criteria_match(st, i[0], criteria)]
    return items


def _variable_matches(var: VariableKey, wanted: dict[str, Any]) -> bool:
    return var.name == wanted["name"] and ("instance" not in wanted or var.instance == wanted["instance"])


def send_report(st: StationCore, request_id: int, items: list[Item]) -> None:
    """NotifyReport in chunks of ItemsPerMessage[GetReport]: seqNo from 0, tbc on all but the last."""
    per_message = max(1, st.dm.get_int("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"))
    chunks = [items[i : i + per_message] for i in range(0, len(items), per_message)] or [[]]
    generated_at = st.timestamp()
    payloads: list[dict[str, Any]] = []
    for seq_no, chunk in enumerate(chunks):
        payload: dict[str, Any] = {
            "requestId": request_id,
            "generatedAt": generated_at,
            "seqNo": seq_no,
            "tbc": seq_no < len(chunks) - 1,
        }
        if chunk:
            payload["reportData"] = [st.dm.report_data(c, v, var) for c, v, var in chunk]
        payloads.append(payload)
    if st.boot_status != "Accepted":
        # B02: while Pending the station still reports what the CSMS asked for, though its own queue
        # stays closed until Accepted: send the report directly, in order (TC_B_02_CS steps 9-10).
        # (Not "== Pending": the request may be handled before the boot loop has read the response.)
        st.spawn(_send_directly(st, payloads))
        return
    for payload in payloads:
        st.outbox.post("NotifyReport", payload)


async def _send_directly(st: StationCore, payloads: list[dict[str, Any]]) -> None:
    for payload in payloads:
        try:
            await st.outbox.direct("NotifyReport", payload)
        except (Offline, CallFailed):
            return
