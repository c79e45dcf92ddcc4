"""Block P, DataTransfer: CSMS under test (Part 6 section 3.17).

The harness plays the charging station; every case starts from Reusable State Booted (Table 698).
"""

from __future__ import annotations

from typing import Any, Final

from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.session.states.common import now
from conformance.session.states.csms import SimulatedTransaction
from conformance.testing import case, check_in, step

# Part 6's <Configured vendorId> / <Configured messageId>: a vendor extension no CSMS knows.
UNKNOWN_VENDOR_ID: Final = "org.ocpp-conformance.unknown-vendor"
UNKNOWN_MESSAGE_ID: Final = "ConformanceProbe"
# Part 6's <customData>: CustomDataType needs only vendorId; vendors add their own properties.
CUSTOM_DATA: Final[dict[str, Any]] = {
    "vendorId": "org.ocpp-conformance",
    "probe": {"depth": 1, "tags": ["a"]},
}


@case(
    "TC_P_02_CSMS",
    requirements=("P02.FR.06", "P02.FR.07"),
    catches={"data-transfer-accepts-unknown": r"DataTransferResponse\.status \(TC_P_02_CSMS step 2\)"},
)
async def test_TC_P_02_CSMS(station: HarnessStation, sut: Any) -> None:
    """Data Transfer to the CSMS, Rejected / UnknownVendorId / UnknownMessageId (P02)."""
    await states.csms_booted(station, sut)
    with step("1-2: the OCTT sends DataTransferRequest with the configured vendorId and messageId"):
        response = await station.call_ok(
            "DataTransfer", {"vendorId": UNKNOWN_VENDOR_ID, "messageId": UNKNOWN_MESSAGE_ID}
        )
        check_in(
            response.get("status"),
            ("UnknownVendorId", "UnknownMessageId", "Rejected"),
            "DataTransferResponse.status (TC_P_02_CSMS step 2)",
        )


@case(
    "TC_P_03_CSMS",
    catches={"rejects-custom-data": r"StatusNotificationRequest with CALLERROR PropertyConstraintViolation"},
)
async def test_TC_P_03_CSMS(station: HarnessStation, sut: Any) -> None:
    """CustomData, receive custom data: the CSMS answers messages carrying customData normally."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    with step("1-2: the OCTT sends StatusNotificationRequest with customData"):
        await station.call_ok(
            "StatusNotification",
            {
                "timestamp": now(),
                "connectorStatus": "Occupied",
                "evseId": tx.evse_id,
                "connectorId": tx.connector_id,
                "customData": CUSTOM_DATA,
            },
        )
    with step("3-4: the OCTT sends TransactionEventRequest with customData and transactionInfo.customData"):
        info = {"transactionId": tx.transaction_id, "chargingState": "EVConnected", "customData": CUSTOM_DATA}
        await tx.event("CablePluggedIn", extra={"customData": CUSTOM_DATA, "transactionInfo": info})
