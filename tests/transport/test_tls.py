"""Profiles 2 and 3 over real TLS on 127.0.0.1 with the generated test PKI (TC_A_04..TC_A_14 transport
conditions): good paths in both roles, and every certificate / TLS-version refusal with its reason on the
side that notices it."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator

import pytest

from conformance.transport import (
    ClientSecurity,
    ConnectFailed,
    CsmsServer,
    HandshakeRejection,
    ServerSecurity,
    connect_station,
    server_ssl_context,
)
from conformance.transport.pki import TestPki

from .conftest import STATION

T = 5.0
PASSWORD = "profile-2-password-xyz"


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro_fn(), 20)

    asyncio.run(bounded())


def profile2(pki: TestPki, cert: str = "server") -> ServerSecurity:
    return ServerSecurity(
        profile=2,
        passwords={STATION: PASSWORD},
        certfile=getattr(pki, f"{cert}_cert"),
        keyfile=getattr(pki, f"{cert}_key"),
    )


def profile3(pki: TestPki) -> ServerSecurity:
    return ServerSecurity(profile=3, certfile=pki.server_cert, keyfile=pki.server_key, cafile=pki.ca_cert)


def station3(pki: TestPki, which: str = "station", **extra: object) -> ClientSecurity:
    return ClientSecurity(
        profile=3,
        cafile=pki.ca_cert,
        certfile=getattr(pki, f"{which}_cert"),
        keyfile=getattr(pki, f"{which}_key"),
        **extra,  # type: ignore[arg-type]
    )


async def refused(server: CsmsServer, sec: ClientSecurity, station_id: str = STATION, host: str = "") -> str:
    url = server.url if not host else server.url.replace("127.0.0.1", host)
    with pytest.raises(ConnectFailed) as failed:
        await connect_station(url, station_id, sec, timeout=T)
    with pytest.raises(TimeoutError):
        await server.accept(timeout=0.05)
    return failed.value.reason


async def rejection(server: CsmsServer) -> HandshakeRejection:
    return await server.next_rejection(timeout=T)


def test_profile2_tls_and_basic_auth(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile2(pki)) as server:
            assert server.url.startswith("wss://127.0.0.1:")
            for host in ("127.0.0.1", "localhost"):
                station = await connect_station(
                    server.url.replace("127.0.0.1", host),
                    STATION,
                    ClientSecurity(profile=2, password=PASSWORD, cafile=pki.ca_cert),
                    timeout=T,
                )
                csms = await server.accept(timeout=T)
                await station.send("ping")
                assert await asyncio.wait_for(csms.recv(), T) == "ping"
                await csms.send("pong")
                assert await asyncio.wait_for(station.recv(), T) == "pong"
                assert csms.auth.basic_valid and csms.auth.client_cert_cn is None
                assert csms.peer_certificate is None  # no client certificate in profile 2
                tls = server.tls_of(csms)
                assert tls is not None and tls.version in ("TLSv1.2", "TLSv1.3")
                assert tls.cipher and tls.cipher in tls.shared_ciphers
                assert station.peer_certificate is not None  # the verified server certificate
                await station.close()
            assert server.rejections == []

    run(body)


def test_profile2_wrong_password_over_tls(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile2(pki)) as server:
            reason = await refused(server, ClientSecurity(profile=2, password="nope", cafile=pki.ca_cert))
            assert reason.startswith("HTTP 401")
            assert "wrong Basic auth password" in (await rejection(server)).reason

    run(body)


def test_profile3_mutual_tls(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile3(pki)) as server:
            station = await connect_station(server.url, STATION, station3(pki), timeout=T)
            csms = await server.accept(timeout=T)
            await station.send("ping")
            assert await asyncio.wait_for(csms.recv(), T) == "ping"
            await csms.send(b"\x00binary")
            assert await asyncio.wait_for(station.recv(), T) == b"\x00binary"
            assert csms.auth.client_cert_cn == STATION
            assert csms.auth.basic_present is False
            cert = csms.peer_certificate
            assert cert is not None and ((("commonName", STATION),) in cert["subject"])
            await station.close()

    run(body)


def test_profile3_cn_must_equal_station_id(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile3(pki)) as server:
            reason = await refused(server, station3(pki), station_id="CS999")
            assert reason.startswith("HTTP 403")
            got = await rejection(server)
            assert got.station_id == "CS999"
            assert got.reason == (
                f"client certificate CN {STATION!r} does not equal the station id 'CS999' in the URL"
            )

    run(body)


@pytest.mark.parametrize(
    ("cert", "host", "client_says"),
    [
        ("untrusted_server", "", "server certificate is signed by an untrusted CA"),
        ("expired_server", "", "server certificate has expired"),
        ("wrong_host_server", "", "server certificate does not match the IP address"),
        ("wrong_host_server", "localhost", "server certificate does not match the host name"),
    ],
    ids=["untrusted", "expired", "wrong-ip", "wrong-hostname"],
)
def test_station_refuses_bad_server_certificates(
    pki: TestPki, cert: str, host: str, client_says: str
) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile2(pki, cert)) as server:
            sec = ClientSecurity(profile=2, password=PASSWORD, cafile=pki.ca_cert)
            reason = await refused(server, sec, host=host)
            assert reason.startswith("TLS certificate verify failed: ")
            assert client_says in reason
            # asyncio's TLS client drops the connection without flushing its alert: nothing to record.
            assert server.rejections == []

    run(body)


@pytest.mark.parametrize(
    ("which", "max_version", "server_says", "client_says"),
    [
        (None, None, "no client certificate", "requires a client certificate"),
        ("untrusted_station", None, "untrusted CA (alert UNKNOWN_CA)", "refuses a client certificate"),
        ("expired_station", None, "expired (alert CERTIFICATE_EXPIRED)", "refuses a client certificate"),
        (None, ssl.TLSVersion.TLSv1_2, "alert HANDSHAKE_FAILURE", "may require a client certificate"),
        ("untrusted_station", ssl.TLSVersion.TLSv1_2, "alert UNKNOWN_CA", "refused the client certificate"),
    ],
    ids=["none-tls13", "untrusted-tls13", "expired-tls13", "none-tls12", "untrusted-tls12"],
)
def test_harness_csms_refuses_bad_client_certificates(
    pki: TestPki, which: str | None, max_version: ssl.TLSVersion | None, server_says: str, client_says: str
) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile3(pki)) as server:
            if which is None:
                sec = ClientSecurity(profile=2, cafile=pki.ca_cert, tls_max_version=max_version)
            else:
                sec = station3(pki, which, tls_max_version=max_version)
            reason = await refused(server, sec)
            assert client_says in reason
            got = await rejection(server)
            assert got.station_id == ""  # TLS fails before the request path is known
            assert got.reason.startswith("TLS handshake refused: ") and server_says in got.reason

    run(body)


def test_station_offering_only_tls11_is_refused(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile2(pki)) as server:
            sec = ClientSecurity(
                profile=2, password=PASSWORD, cafile=pki.ca_cert, tls_max_version=ssl.TLSVersion.TLSv1_1
            )
            try:
                await connect_station(server.url, STATION, sec, timeout=T)
            except ConnectFailed as exc:
                reason = exc.reason
            else:
                pytest.fail("a TLS 1.1-only station was accepted")
            if "refused locally" in reason:
                # This OpenSSL build will not even offer TLS 1.1: nothing reaches the server.
                pytest.skip(f"local OpenSSL refuses TLS 1.1: {reason}")
            assert "refused the offered TLS version (at most TLSv1_1" in reason
            got = await rejection(server)
            assert "TLS 1.2 or higher is required" in got.reason and "PROTOCOL_VERSION" in got.reason

    run(body)


@pytest.fixture
def alerting_csms(pki: TestPki) -> Iterator[int]:
    """A blocking-socket TLS server (profile 3 context) that, unlike asyncio, flushes its fatal alerts.

    Serves exactly one connection (each test makes one), so the thread ends without a wake-up trick."""
    ctx = server_ssl_context(profile3(pki))
    assert ctx is not None
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(T)

    def serve() -> None:
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        with raw:
            raw.settimeout(T)
            try:
                ctx.wrap_socket(raw, server_side=True).recv(1)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    thread.join(T)
    listener.close()


@pytest.mark.parametrize(
    ("sec_kind", "client_says"),
    [
        ("tls11", "the CSMS does not accept the offered TLS version (alert PROTOCOL_VERSION)"),
        ("nocert", "requires a client certificate (security profile 3) and none was presented"),
        ("untrusted", "does not trust the CA of the client certificate (alert UNKNOWN_CA)"),
    ],
)
def test_client_names_the_tls_alert_of_a_csms(
    pki: TestPki, alerting_csms: int, sec_kind: str, client_says: str
) -> None:
    secs = {
        "tls11": ClientSecurity(profile=2, cafile=pki.ca_cert, tls_max_version=ssl.TLSVersion.TLSv1_1),
        "nocert": ClientSecurity(profile=2, cafile=pki.ca_cert, tls_max_version=ssl.TLSVersion.TLSv1_2),
        "untrusted": station3(pki, "untrusted_station", tls_max_version=ssl.TLSVersion.TLSv1_2),
    }

    async def body() -> None:
        with pytest.raises(ConnectFailed) as failed:
            await connect_station(f"wss://127.0.0.1:{alerting_csms}", STATION, secs[sec_kind], timeout=T)
        if "refused locally" in failed.value.reason:
            pytest.skip(failed.value.reason)
        assert client_says in failed.value.reason

    run(body)


def test_scheme_mismatch_is_explained(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile2(pki)) as server:
            plain = server.url.replace("wss://", "ws://")
            with pytest.raises(ConnectFailed, match=r"TLS-only \(wss://\) endpoint"):
                await connect_station(plain, STATION, ClientSecurity(profile=1, password=PASSWORD), timeout=T)
        async with CsmsServer() as server:
            secure = server.url.replace("ws://", "wss://")
            with pytest.raises(ConnectFailed, match=r"not be a TLS \(wss://\) endpoint"):
                sec = ClientSecurity(profile=2, cafile=pki.ca_cert)
                await connect_station(secure, STATION, sec, timeout=T)

    run(body)


def test_live_password_change_tc_a_09(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile2(pki)) as server:
            server.set_password(STATION, "the-new-password-0123")
            old = ClientSecurity(profile=2, password=PASSWORD, cafile=pki.ca_cert)
            assert (await refused(server, old)).startswith("HTTP 401")
            new = ClientSecurity(profile=2, password="the-new-password-0123", cafile=pki.ca_cert)
            station = await connect_station(server.url, STATION, new, timeout=T)
            assert (await server.accept(timeout=T)).auth.basic_valid
            await station.close()

    run(body)


def test_live_certificate_swap_tc_a_05(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile2(pki)) as server:
            sec = ClientSecurity(profile=2, password=PASSWORD, cafile=pki.ca_cert)
            server.use_server_certificate(pki.expired_server_cert, pki.expired_server_key)
            assert "server certificate has expired" in await refused(server, sec)
            server.use_server_certificate(pki.server_cert, pki.server_key)
            station = await connect_station(server.url, STATION, sec, timeout=T)
            await server.accept(timeout=T)
            await station.close()

    run(body)


def test_live_tls_version_too_low_tc_a_06(pki: TestPki) -> None:
    async def body() -> None:
        async with CsmsServer(security=profile2(pki)) as server:
            sec = ClientSecurity(profile=2, password=PASSWORD, cafile=pki.ca_cert)
            server.set_tls_max_version(ssl.TLSVersion.TLSv1_1)
            reason = await refused(server, sec)  # the station (TLS 1.2 minimum) must refuse
            assert "closed the connection during the TLS handshake" in reason
            got = await rejection(server)
            assert got.reason.startswith("no common TLS version: the harness offered at most TLSv1_1")
            server.set_tls_max_version(None)
            station = await connect_station(server.url, STATION, sec, timeout=T)
            await server.accept(timeout=T)
            await station.close()

    run(body)
