"""Profiles 0 and 1 over real sockets: both roles, Basic auth (TC_A_01..03_CSMS), subprotocol rules (Part 4
section 3.2), URL/station-id handling, and dropped peers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from websockets.asyncio.client import connect

from conformance.errors import ConfigError
from conformance.transport import (
    ClientSecurity,
    ConnectFailed,
    CsmsServer,
    ServerSecurity,
    TransportClosed,
    WsConnection,
    basic_auth_header,
    connect_station,
    parse_basic_auth,
)

T = 5.0  # every wait in these tests is bounded by this


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro_fn(), 20)

    asyncio.run(bounded())


async def exchange(server: CsmsServer, station: WsConnection) -> WsConnection:
    """Accept the station on the server side and pass one text frame each way."""
    csms = await server.accept(timeout=T)
    await station.send('[2,"1","Heartbeat",{}]')
    assert await asyncio.wait_for(csms.recv(), T) == '[2,"1","Heartbeat",{}]'
    await csms.send('[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]')
    assert await asyncio.wait_for(station.recv(), T) == '[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]'
    return csms


PROFILE1 = ServerSecurity(profile=1, passwords={"CS001": "s3cret-password-1"})


def test_profile0_exchange_both_ways() -> None:
    async def body() -> None:
        async with CsmsServer() as server:
            assert server.url == f"ws://127.0.0.1:{server.port}/"
            station = await connect_station(server.url, "CS001", ClientSecurity(), timeout=T)
            csms = await exchange(server, station)
            assert csms.station_id == "CS001" and csms.path == "/CS001"
            assert csms.subprotocol == station.subprotocol == "ocpp2.0.1"
            assert csms.auth.basic_present is False
            assert csms.request_headers["Sec-WebSocket-Protocol"] == "ocpp2.0.1"
            assert server.rejections == []
            await station.close()
            with pytest.raises(TransportClosed) as closed:
                await asyncio.wait_for(csms.recv(), T)
            assert closed.value.code == 1000
            assert csms.closed

    run(body)


def test_base_path_and_percent_encoded_station_id() -> None:
    async def body() -> None:
        async with CsmsServer(base_path="/ocpp") as server:
            assert server.url.endswith("/ocpp/")
            station = await connect_station(server.url, "RDAM 123", ClientSecurity(), timeout=T)
            csms = await exchange(server, station)
            assert csms.path == "/ocpp/RDAM%20123"
            assert csms.station_id == "RDAM 123"
            await station.close()
            # Outside the base path: 404 and a rejection.
            with pytest.raises(ConnectFailed, match="HTTP 404"):
                await connect_station(f"ws://127.0.0.1:{server.port}/x", "CS9", ClientSecurity(), timeout=T)
            rejection = await server.next_rejection(timeout=T)
            assert rejection.station_id == "CS9" and "not /ocpp/<station id>" in rejection.reason

    run(body)


def test_profile1_basic_auth_accepted_and_password_never_exposed() -> None:
    async def body() -> None:
        async with CsmsServer(security=PROFILE1) as server:
            sec = ClientSecurity(profile=1, password="s3cret-password-1")
            station = await connect_station(server.url, "CS001", sec, timeout=T)
            csms = await exchange(server, station)
            assert csms.auth.basic_present and csms.auth.basic_valid
            assert csms.request_headers["Authorization"] == "<redacted>"
            for text in (repr(csms), repr(sec), repr(PROFILE1), str(dict(csms.request_headers))):
                assert "s3cret" not in text
            await station.close()

    run(body)


@pytest.mark.parametrize(
    ("security", "server_says"),
    [
        (ClientSecurity(profile=1, password="wrong-password"), "wrong Basic auth password for station"),
        (ClientSecurity(profile=1), "missing HTTP Basic authentication"),
        (
            ClientSecurity(profile=1, password="s3cret-password-1", username="CS001Invalid"),
            "username 'CS001Invalid' does not equal the station id 'CS001'",
        ),
    ],
    ids=["wrong-password", "no-auth", "username-not-station-id"],
)
def test_profile1_bad_credentials_get_401(security: ClientSecurity, server_says: str) -> None:
    async def body() -> None:
        async with CsmsServer(security=PROFILE1) as server:
            with pytest.raises(ConnectFailed, match="HTTP 401") as failed:
                await connect_station(server.url, "CS001", security, timeout=T)
            assert "Basic auth" in failed.value.reason
            rejection = await server.next_rejection(timeout=T)
            assert rejection.station_id == "CS001"
            assert server_says in rejection.reason
            assert rejection.detail == "HTTP 401 Unauthorized"
            assert "s3cret" not in repr(rejection) and "wrong-password" not in repr(rejection)
            with pytest.raises(TimeoutError):
                await server.accept(timeout=0.05)

    run(body)


@pytest.mark.parametrize(("offered", "listed"), [((), "none"), (("ocpp1.6",), "ocpp1.6")])
def test_station_without_ocpp201_gets_handshake_then_close(offered: tuple[str, ...], listed: str) -> None:
    async def body() -> None:
        async with CsmsServer() as server:
            # Raw websockets client: check the handshake really completed without the header.
            async with connect(server.url + "CS002", subprotocols=list(offered) or None, proxy=None) as ws:  # type: ignore[arg-type]
                assert ws.response is not None
                assert ws.response.status_code == 101
                assert "Sec-WebSocket-Protocol" not in ws.response.headers
                with pytest.raises(Exception) as closed:
                    await asyncio.wait_for(ws.recv(), T)
                assert getattr(closed.value, "rcvd", None) is not None and closed.value.rcvd.code == 1002  # type: ignore[attr-defined]
            rejection = await server.next_rejection(timeout=T)
            assert rejection.station_id == "CS002"
            assert rejection.reason == f"station offered no ocpp2.0.1 subprotocol (offered: {listed})"
            with pytest.raises(TimeoutError):
                await server.accept(timeout=0.05)

    run(body)


def test_client_side_reports_no_subprotocol_selected() -> None:
    async def body() -> None:
        async with CsmsServer() as server:
            # The harness's own client offering only 1.6 gets the connection back and sees the close.
            conn = await connect_station(
                server.url, "CS003", ClientSecurity(), timeout=T, subprotocols=("ocpp1.6",)
            )
            assert conn.subprotocol is None
            with pytest.raises(TransportClosed) as closed:
                await asyncio.wait_for(conn.recv(), T)
            assert closed.value.code == 1002

    run(body)


def test_connect_station_fails_when_csms_does_not_select_ocpp201() -> None:
    from websockets.asyncio.server import serve

    async def handler(ws: object) -> None:
        await ws.wait_closed()  # type: ignore[attr-defined]

    async def body() -> None:
        # A non-conformant CSMS that completes the handshake without selecting any subprotocol.
        async with serve(handler, "127.0.0.1", 0, select_subprotocol=lambda c, s: None) as srv:
            port = srv.sockets[0].getsockname()[1]
            with pytest.raises(ConnectFailed, match=r"did not select the ocpp2\.0\.1 subprotocol"):
                await connect_station(f"ws://127.0.0.1:{port}", "CS004", ClientSecurity(), timeout=T)

    run(body)


def test_dead_port_is_refused_quickly() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed now: nothing listens there.

    async def body() -> None:
        with pytest.raises(ConnectFailed, match=r"connection refused by 127\.0\.0\.1"):
            await connect_station(f"ws://127.0.0.1:{port}/", "CS005", ClientSecurity(), timeout=T)

    run(body)


def test_silent_server_times_out() -> None:
    async def body() -> None:
        # Accepts TCP but never answers the HTTP upgrade.
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            loop = asyncio.get_running_loop()
            start = loop.time()
            with pytest.raises(ConnectFailed, match=r"timed out after 0\.3 s"):
                await connect_station(f"ws://127.0.0.1:{port}/", "CS006", ClientSecurity(), timeout=0.3)
            assert loop.time() - start < 2.0

    run(body)


def test_dropped_peer_raises_transport_closed_quickly() -> None:
    async def body() -> None:
        async with CsmsServer() as server:
            station = await connect_station(server.url, "CS007", ClientSecurity(), timeout=T)
            csms = await server.accept(timeout=T)
            loop = asyncio.get_running_loop()
            start = loop.time()
            station.abort()  # TCP drop, no close frame
            with pytest.raises(TransportClosed) as closed:
                await asyncio.wait_for(csms.recv(), T)
            assert closed.value.code == 1006
            assert "dropped" in str(closed.value)
            assert loop.time() - start < 1.0
            with pytest.raises(TransportClosed):
                await csms.send("[]")
            # And the other way: the CSMS drops, the station notices.
            station2 = await connect_station(server.url, "CS007", ClientSecurity(), timeout=T)
            csms2 = await server.accept(timeout=T)
            csms2.abort()
            with pytest.raises(TransportClosed):
                await asyncio.wait_for(station2.recv(), T)

    run(body)


def test_large_frame_up_to_16_mib() -> None:
    async def body() -> None:
        async with CsmsServer() as server:
            station = await connect_station(server.url, "CS008", ClientSecurity(), timeout=T)
            csms = await server.accept(timeout=T)
            big = "x" * (3 * 1024 * 1024)
            await station.send(big)
            assert await asyncio.wait_for(csms.recv(), T) == big
            await station.close()

    run(body)


def test_basic_auth_header_round_trip() -> None:
    header = basic_auth_header("CS001", "pa:ss")
    assert header == "Basic Q1MwMDE6cGE6c3M="
    assert parse_basic_auth(header) == ("CS001", "pa:ss")
    assert parse_basic_auth("Bearer abc") is None
    assert parse_basic_auth("Basic !!!") is None
    assert parse_basic_auth("Basic Q1MwMDE=") is None  # no colon
    assert parse_basic_auth(None) is None


def test_inconsistent_security_settings_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="profile 1 uses HTTP Basic"):
        ServerSecurity(profile=1)
    with pytest.raises(ConfigError, match="needs a server certificate"):
        ServerSecurity(profile=2, passwords={"CS001": "x"})
    with pytest.raises(ConfigError, match="one of 0, 1, 2, 3"):
        ServerSecurity(profile=4)
    with pytest.raises(ConfigError, match="profile 3 needs a client certificate"):
        ClientSecurity(profile=3)

    async def body() -> None:
        with pytest.raises(ConfigError, match="needs a wss:// URL"):
            await connect_station("ws://127.0.0.1:1/", "CS1", ClientSecurity(profile=2), timeout=T)

    run(body)


def test_credentials_never_reach_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        async with CsmsServer(security=PROFILE1) as server:
            station = await connect_station(
                server.url, "CS001", ClientSecurity(profile=1, password="s3cret-password-1"), timeout=T
            )
            await exchange(server, station)
            await station.close()

    with caplog.at_level("DEBUG"):
        run(body)
    text = caplog.text
    assert "Authorization: <redacted>" in text  # both sides' header dumps were logged, redacted
    token = basic_auth_header("CS001", "s3cret-password-1").split()[1]
    assert token not in text and "s3cret" not in text


def test_stop_closes_open_connections() -> None:
    async def body() -> None:
        server = CsmsServer()
        await server.start()
        station = await connect_station(server.url, "CS010", ClientSecurity(), timeout=T)
        await server.accept(timeout=T)
        await asyncio.wait_for(server.stop(), T)
        with pytest.raises(TransportClosed) as closed:
            await asyncio.wait_for(station.recv(), T)
        assert closed.value.code == 1001  # going away
        await server.stop()  # idempotent

    run(body)
