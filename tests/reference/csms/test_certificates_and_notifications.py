"""A/M/N/K/...: SignCertificate then CertificateSigned; canned certificate answers; notifications;
DataTransfer; a station that disconnects mid-call loses nothing already recorded."""

from __future__ import annotations

import asyncio
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conformance.reference.csms import CsmsConfig, RunningCsms
from tests.reference.csms.conftest import StartCsms
from tests.reference.csms.station import Connected, boot_payload

T0 = "2024-01-01T00:00:00Z"


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def make_csr(cn: str = "CS1") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_sign_certificate_then_certificate_signed(csms: RunningCsms) -> None:
    async def scenario() -> tuple[Any, dict[str, Any], list[tuple[str, dict[str, Any]]]]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            answer = await cs.raw_call(
                "SignCertificate", {"csr": make_csr(), "certificateType": "ChargingStationCertificate"}
            )
            signed = await cs.wait_request("CertificateSigned")
            await asyncio.sleep(0)  # let the station's handler record it
            return answer, signed, list(cs.requests)

    answer, signed, _ = run(scenario())
    assert answer[0] == 3 and answer[2] == {"status": "Accepted"}
    assert signed["certificateType"] == "ChargingStationCertificate"
    chain = x509.load_pem_x509_certificates(signed["certificateChain"].encode())
    assert chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CS1"
    assert chain[0].issuer == chain[1].subject
    chain[0].verify_directly_issued_by(chain[1])


def test_bad_csr_is_rejected(csms: RunningCsms) -> None:
    async def scenario() -> Any:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            return await cs.raw_call("SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nxx"})

    assert run(scenario())[2] == {"status": "Rejected"}


def test_canned_answers_and_notifications(start_csms: StartCsms) -> None:
    config = CsmsConfig(
        data_transfer={"com.example": {"status": "Accepted", "data": "pong"}},
        get_certificate_status_response={"status": "Failed"},
    )
    csms = start_csms(config)
    ocsp = {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": "a",
        "issuerKeyHash": "b",
        "serialNumber": "1",
        "responderURL": "http://ocsp.example",
    }
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("DataTransfer", {"vendorId": "com.example", "data": "ping"}, {"status": "Accepted", "data": "pong"}),
        ("DataTransfer", {"vendorId": "org.other"}, {"status": "UnknownVendorId"}),
        ("GetCertificateStatus", {"ocspRequestData": ocsp}, {"status": "Failed"}),
        (
            "Get15118EVCertificate",
            {
                "iso15118SchemaVersion": "urn:iso:15118:2:2013:MsgDef",
                "action": "Install",
                "exiRequest": "AAAA",
            },
            {"status": "Accepted", "exiResponse": "UmVmZXJlbmNlQ1NNUw=="},
        ),
        ("FirmwareStatusNotification", {"status": "Downloading", "requestId": 1}, {}),
        ("LogStatusNotification", {"status": "Uploading", "requestId": 2}, {}),
        ("NotifyChargingLimit", {"chargingLimit": {"chargingLimitSource": "EMS"}}, {}),
        ("ReservationStatusUpdate", {"reservationId": 1, "reservationUpdateStatus": "Expired"}, {}),
        (
            "NotifyEVChargingNeeds",
            {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC"}},
            {"status": "Accepted"},
        ),
        ("NotifyCustomerInformation", {"data": "x", "seqNo": 0, "generatedAt": T0, "requestId": 3}, {}),
        ("NotifyDisplayMessages", {"requestId": 4}, {}),
        (
            "ReportChargingProfiles",
            {
                "requestId": 5,
                "chargingLimitSource": "CSO",
                "evseId": 1,
                "chargingProfile": [
                    {
                        "id": 1,
                        "stackLevel": 0,
                        "chargingProfilePurpose": "TxDefaultProfile",
                        "chargingProfileKind": "Relative",
                        "chargingSchedule": [
                            {
                                "id": 1,
                                "chargingRateUnit": "W",
                                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1000}],
                            }
                        ],
                    }
                ],
            },
            {},
        ),
        ("NotifyMonitoringReport", {"requestId": 6, "seqNo": 0, "generatedAt": T0}, {}),
        ("PublishFirmwareStatusNotification", {"status": "Published"}, {}),
        ("ClearedChargingLimit", {"chargingLimitSource": "EMS"}, {}),
    ]

    async def scenario() -> list[Any]:
        async with Connected(csms.url, "CS1") as cs:
            await cs.raw_call("BootNotification", boot_payload())
            return [await cs.raw_call(action, payload) for action, payload, _ in calls]

    answers = run(scenario())
    for (action, _, expected), answer in zip(calls, answers, strict=True):
        assert answer[0] == 3 and answer[2] == expected, (action, answer)
    st = csms.control.perform("get_state")["stations"]["CS1"]
    assert st["firmwareStatus"] == ["Downloading"] and st["logStatus"] == ["Uploading"]
    assert st["publishFirmwareStatus"] == ["Published"]
    assert st["monitoringReports"]["6"]["complete"] is True
    assert st["receivedCounts"]["DataTransfer"] == 2


def test_disconnect_mid_call_loses_nothing(csms: RunningCsms) -> None:
    async def scenario() -> dict[str, Any]:
        cs_ctx = Connected(csms.url, "CS1")
        cs = await cs_ctx.__aenter__()
        await cs.raw_call("BootNotification", boot_payload())
        await cs.raw_call("Heartbeat", {})
        never = asyncio.Event()

        async def hang(**_: Any) -> None:  # the station never answers: it drops the connection instead
            await never.wait()

        cs.route_map["GetVariables"]["_on_action"] = hang

        async def drop_when_asked() -> None:
            await cs.wait_request("GetVariables")
            await cs_ctx.__aexit__(None, None, None)

        dropper = asyncio.create_task(drop_when_asked())
        outcome = await csms.control.aperform(
            "GetVariables",
            {
                "station_id": "CS1",
                "request": {
                    "getVariableData": [
                        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
                    ]
                },
            },
            timeout=5,
        )
        await dropper
        return outcome

    outcome = run(scenario())
    assert outcome["error"]["code"] == "Disconnected", outcome
    st = csms.control.perform("get_state")["stations"]["CS1"]
    assert st["connected"] is False and st["heartbeats"] == 1 and st["bootStatus"] == "Accepted"
    assert st["sent"][0]["action"] == "GetVariables" and "error" in st["sent"][0]
