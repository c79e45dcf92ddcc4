"""The control API (Python and HTTP): clear errors on bad input, and the station keeps running."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conformance.errors import HarnessError
from conformance.reference.station import ControlError
from tests.reference.station.csms import running, wait_state
from tests.reference.station.pki import make_pki


def _post(url: str, body: bytes, method: str = "POST") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body if method == "POST" else None, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize(
    ("action", "params", "message"),
    [
        ("fly_away", {}, "unknown action"),
        ("plug_in", {"evse_id": 7}, "unknown EVSE 7"),
        ("plug_in", {}, "'evse_id' is required"),
        ("plug_in", {"evse_id": "1"}, "must be an integer"),
        ("plug_in", {"evse_id": 1, "connector_id": 4}, "unknown connector 4"),
        ("present_id_token", {}, "'id_token' is required"),
        ("advance_clock", {"seconds": -1}, "must not be negative"),
        ("go_offline", {}, "must be a number"),
    ],
)
def test_bad_control_input_raises_control_error(action: str, params: dict[str, Any], message: str) -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            with pytest.raises(ControlError, match=message):
                await station.control.aperform(action, params)
            # the synchronous API from another thread says the same
            with pytest.raises(ControlError, match=message):
                await asyncio.to_thread(station.control.perform, action, params)
            assert issubclass(ControlError, HarnessError)
            state = await station.control.aperform("get_state")
            assert state["connected"] and state["boot_status"] == "Accepted"

    asyncio.run(main())


def test_http_control() -> None:
    async def main() -> None:
        async with running(http=True) as (csms, station):
            await csms.booted()
            assert station.http_url is not None and station.http_url.startswith("http://127.0.0.1:")
            base = f"{station.http_url}/actions"
            status, body = await asyncio.to_thread(_post, f"{base}/plug_in", b'{"evse_id": 1}')
            assert (status, body) == (200, {"changed": True})
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Occupied")
            status, body = await asyncio.to_thread(_post, f"{base}/plug_in", b"{not json")
            assert status == 400 and "not JSON" in body["error"]
            status, body = await asyncio.to_thread(_post, f"{base}/plug_in", b"[1, 2]")
            assert status == 400 and "JSON object" in body["error"]
            status, body = await asyncio.to_thread(_post, f"{base}/plug_in", b'{"evse_id": 5}')
            assert status == 400 and "unknown EVSE 5" in body["error"]
            status, body = await asyncio.to_thread(_post, f"{base}/fly_away", b"{}")
            assert status == 404 and "unknown action" in body["error"]
            status, body = await asyncio.to_thread(_post, f"{base}/get_state", b"", "GET")
            assert status == 405
            status, body = await asyncio.to_thread(_post, f"{base}/get_state", b"")
            assert status == 200 and body["evses"][0]["connectors"][0]["status"] == "Occupied"

    asyncio.run(main())


def test_fault_reboot_and_drop_connection() -> None:
    async def main() -> None:
        async with running() as (csms, station):
            await csms.booted()
            await csms.expect("BootNotification")
            await station.control.aperform("fault_connector", {"evse_id": 1, "connector_id": 1})
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Faulted")
            await station.control.aperform("clear_fault", {"evse_id": 1, "connector_id": 1})
            await csms.expect("StatusNotification", where=lambda p: p["connectorStatus"] == "Available")
            await station.control.aperform("drop_connection")
            await csms.wait_connections(2)
            await wait_state(station, lambda s: s["connected"] and s["connect_count"] == 2)
            await station.control.aperform("reboot")
            boot = await csms.expect("BootNotification")
            assert boot["reason"] == "PowerUp"
            await csms.booted()
            assert csms.boots == 2 and csms.connections == 3

    asyncio.run(main())


def test_security_profile_1_sends_basic_auth_and_subprotocol() -> None:
    async def main() -> None:
        from conformance.reference.station import StationConfig

        config = StationConfig(station_id="CP042", security_profile=1, basic_auth_password="s3cret-pass-0123")
        assert "s3cret" not in repr(config)
        async with running(config) as (csms, _station):
            await csms.booted()
            assert csms.subprotocols == ["ocpp2.0.1"]
            expected = base64.b64encode(b"CP042:s3cret-pass-0123").decode()
            assert csms.auth_headers == [f"Basic {expected}"]

    asyncio.run(main())


@pytest.mark.parametrize("profile", [2, 3])
def test_security_profiles_2_and_3_over_tls(profile: int, tmp_path: Path) -> None:
    from conformance.reference.station import StationConfig

    pki = make_pki(tmp_path, "CP077")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(pki.server_cert, pki.server_key)
    if profile == 3:
        server.verify_mode = ssl.CERT_REQUIRED  # the station must present its client certificate
        server.load_verify_locations(pki.ca)
    config = StationConfig(
        station_id="CP077",
        security_profile=profile,
        basic_auth_password="tls-pass-0123456" if profile == 2 else None,
        cafile=str(pki.ca),
        certfile=str(pki.client_cert) if profile == 3 else None,
        keyfile=str(pki.client_key) if profile == 3 else None,
    )

    async def main() -> None:
        async with running(config, ssl_context=server) as (csms, _station):
            assert csms.url.startswith("wss://")
            await csms.booted()
            if profile == 2:
                assert csms.auth_headers[0] is not None and csms.auth_headers[0].startswith("Basic ")
            else:
                assert csms.auth_headers == [None]
                subject = dict(pair[0] for pair in csms.peer_certs[0]["subject"])
                assert subject["commonName"] == "CP077"

    asyncio.run(main())


def test_passwords_stay_out_of_the_frame_log(caplog: pytest.LogCaptureFixture) -> None:
    from ocpp.v201 import call

    async def main() -> None:
        async with running() as (csms, _station):
            await csms.booted()
            item = {
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
                "attributeValue": "very-secret-value-42",
            }
            result = await csms.call(call.SetVariables(set_variable_data=[item]))
            assert result.set_variable_result[0]["attribute_status"] == "Accepted"

    with caplog.at_level(logging.DEBUG, logger="conformance.reference.station"):
        asyncio.run(main())
    assert any("SetVariables" in r.getMessage() or "password" in r.getMessage() for r in caplog.records)
    assert not any("very-secret-value-42" in r.getMessage() for r in caplog.records)
