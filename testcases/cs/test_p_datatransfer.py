"""Block P, DataTransfer and custom data: charging station under test (Part 6 section 2.17).

Reading of Part 6 where it is ambiguous (as a certification lab would): TC_P_03_CS ("CustomData -
Receive custom data") lists plain SetVariables / GetVariables steps; the case exists to show that the
station accepts customData, so the OCTT's requests carry a customData object (CustomDataType: vendorId
plus vendor properties) at the top level and in the component; the station must treat them as usual.
"""

from __future__ import annotations

from typing import Any

from conformance.session.endpoints import HarnessCsms
from conformance.testing import case, check_equal, check_in, step
from testcases.cs._fgjp_support import Setting, preserved, station_ready

OCTT_VENDOR = "org.openchargealliance.octt"
# <Configured messageId>: one no station implements.
UNUSED_MESSAGE_ID = "ocpp-conformance-unused-message"
CUSTOM_DATA: dict[str, Any] = {"vendorId": OCTT_VENDOR, "note": "custom data the station may ignore"}


@case(
    "TC_P_01_CS",
    requirements=("P01.FR.05", "P01.FR.06"),
    catches={"datatransfer-accepted": r"DataTransferResponse.status"},
)
async def test_TC_P_01_CS(csms: HarnessCsms, sut: Any) -> None:
    """DataTransfer of an unknown vendor: UnknownVendorId, UnknownMessageId or Rejected (P01.FR.05/06)."""
    await station_ready(csms, sut)
    with step("1-2: the OCTT sends DataTransferRequest for vendor org.openchargealliance.octt"):
        response = await csms.call_ok(
            "DataTransfer", {"vendorId": OCTT_VENDOR, "messageId": UNUSED_MESSAGE_ID}
        )
        check_in(
            response.get("status"),
            ("UnknownVendorId", "UnknownMessageId", "Rejected"),
            "DataTransferResponse.status for an unknown vendorId / messageId (step 2)",
        )


@case(
    "TC_P_03_CS",
    catches={"customdata-rejected": r"CALLERROR PropertyConstraintViolation"},
)
async def test_TC_P_03_CS(csms: HarnessCsms, sut: Any) -> None:
    """SetVariables / GetVariables of OCPPCommCtrlr.OfflineThreshold carrying customData: Accepted, 200."""
    await station_ready(csms, sut)
    variable = {"name": "OfflineThreshold", "customData": CUSTOM_DATA}
    component = {"name": "OCPPCommCtrlr", "customData": CUSTOM_DATA}
    # The harness puts the old value back afterwards (it is not part of Part 6's scenario).
    async with preserved(csms, (Setting("OCPPCommCtrlr", "OfflineThreshold", "200"),), label="cleanup"):
        with step("1-2: the OCTT sends SetVariablesRequest OfflineThreshold = 200 with customData"):
            response = await csms.call_ok(
                "SetVariables",
                {
                    "customData": CUSTOM_DATA,
                    "setVariableData": [
                        {
                            "attributeType": "Actual",
                            "attributeValue": "200",
                            "component": component,
                            "variable": variable,
                        }
                    ],
                },
            )
            result = response.get("setVariableResult", [{}])[0]
            check_equal(
                result.get("attributeStatus"), "Accepted", "setVariableResult[0].attributeStatus (step 2)"
            )
        with step("3-4: the OCTT sends GetVariablesRequest OfflineThreshold with customData"):
            response = await csms.call_ok(
                "GetVariables",
                {
                    "customData": CUSTOM_DATA,
                    "getVariableData": [
                        {"attributeType": "Actual", "component": component, "variable": variable}
                    ],
                },
            )
            result = response.get("getVariableResult", [{}])[0]
            check_equal(
                result.get("attributeStatus"), "Accepted", "getVariableResult[0].attributeStatus (step 4)"
            )
            check_in(
                result.get("attributeType", "Actual"),
                ("Actual",),
                "getVariableResult[0].attributeType (Actual or omitted, step 4)",
            )
            check_equal(result.get("attributeValue"), "200", "getVariableResult[0].attributeValue (step 4)")
