"""Regenerate the six benchmark frames in benchmarks/frames/ (`python benchmarks/make_frames.py`).

Realistic, schema-valid OCPP 2.0.1 CALLs of the sizes seen in the field; checked with FrameValidator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

FRAMES = Path(__file__).resolve().parent / "frames"


def boot() -> list[Any]:
    return [
        2,
        "b7c8e6a4-1f3d-4c2a-9a57-0e7f1d2c3b4a",
        "BootNotification",
        {
            "reason": "PowerUp",
            "chargingStation": {
                "model": "WB-AC22",
                "vendorName": "ExampleCharge",
                "serialNumber": "EC-24-0012345",
                "firmwareVersion": "v2.8.14-b11",
                "modem": {"iccid": "8931440400012345678", "imsi": "262011234567890"},
            },
        },
    ]


def status() -> list[Any]:
    return [
        2,
        "5d2f1e7a-3c4b-4a9e-8f61-2b7c0d9e1a35",
        "StatusNotification",
        {
            "timestamp": "2024-05-01T10:15:03.123Z",
            "connectorStatus": "Occupied",
            "evseId": 1,
            "connectorId": 1,
        },
    ]


def heartbeat() -> list[Any]:
    return [2, "9e0a7c3b-6d18-4f52-b2e4-7a1c5d3f8e60", "Heartbeat", {}]


def transaction_event() -> list[Any]:
    meter = []
    for i in range(10):
        meter.append(
            {
                "timestamp": f"2024-05-01T10:{i:02d}:00Z",
                "sampledValue": [
                    {
                        "value": 1234 + i,
                        "context": "Sample.Periodic",
                        "measurand": "Energy.Active.Import.Register",
                        "unitOfMeasure": {"unit": "kWh"},
                    },
                ],
            }
        )
    return [
        2,
        "0c6b2f8d-7a14-4e3c-9d52-b1e8a7f60c29",
        "TransactionEvent",
        {
            "eventType": "Updated",
            "timestamp": "2024-05-01T10:10:00.000Z",
            "triggerReason": "MeterValuePeriodic",
            "seqNo": 12,
            "transactionInfo": {"transactionId": "tx-000042", "chargingState": "Charging"},
            "meterValue": meter,
        },
    ]


def set_charging_profile() -> list[Any]:
    periods = [
        {"startPeriod": 3600 * h, "limit": 16.25 + (h % 4) + 0.125, "numberPhases": 3} for h in range(24)
    ]
    return [
        2,
        "3a9d7e1c-5b62-4f08-a3c7-e4b1d0f9a256",
        "SetChargingProfile",
        {
            "evseId": 1,
            "chargingProfile": {
                "id": 101,
                "stackLevel": 1,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "validFrom": "2024-05-01T00:00:00.000Z",
                "validTo": "2024-12-31T23:59:59.000Z",
                "chargingSchedule": [
                    {
                        "id": 1,
                        "startSchedule": "2024-05-01T00:00:00.000Z",
                        "duration": 86400,
                        "chargingRateUnit": "A",
                        "minChargingRate": 6.0,
                        "chargingSchedulePeriod": periods,
                    }
                ],
            },
        },
    ]


def notify_report() -> list[Any]:
    data = []
    for i in range(50):
        data.append(
            {
                "component": {
                    "name": "EVSE" if i % 2 else "Connector",
                    "evse": {"id": 1 + i % 2, "connectorId": 1},
                },
                "variable": {"name": f"ExampleVariable{i:02d}", "instance": "Actual"},
                "variableAttribute": [
                    {
                        "type": "Actual",
                        "value": f"value-{i}",
                        "mutability": "ReadWrite",
                        "persistent": True,
                        "constant": False,
                    },
                ],
                "variableCharacteristics": {
                    "unit": "A",
                    "dataType": "decimal",
                    "minLimit": 0.0,
                    "maxLimit": 32.0,
                    "supportsMonitoring": True,
                },
            }
        )
    return [
        2,
        "7f4e2d9a-8c31-4b65-a0d7-c3e5f1b8a942",
        "NotifyReport",
        {
            "requestId": 7,
            "generatedAt": "2024-05-01T10:20:00.000Z",
            "tbc": False,
            "seqNo": 0,
            "reportData": data,
        },
    ]


BUILDERS = {
    "BootNotification": boot,
    "StatusNotification": status,
    "Heartbeat": heartbeat,
    "TransactionEvent": transaction_event,
    "SetChargingProfile": set_charging_profile,
    "NotifyReport": notify_report,
}


def main() -> None:
    from conformance.ocppj.validation import FrameValidator

    validator = FrameValidator()
    FRAMES.mkdir(exist_ok=True)
    for name, build in BUILDERS.items():
        text = orjson.dumps(build())
        decoded = validator.decode(text.decode())
        if decoded.violations:
            raise SystemExit(f"{name} is not schema-valid: {decoded.violations}")
        (FRAMES / f"{name}.json").write_bytes(text)
        print(f"{name}: {len(text)} bytes")


if __name__ == "__main__":
    main()
