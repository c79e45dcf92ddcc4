"""Security profiles: 1 (Basic auth), 2 (TLS + Basic auth), 3 (mutual TLS, CN = station id)."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus

from conformance.errors import ConfigError
from conformance.reference.csms import CsmsConfig, StationRecord
from conformance.reference.csms.core import server_ssl_context
from tests.reference.csms.conftest import StartCsms
from tests.reference.csms.pki import Pki, make_pki
from tests.reference.csms.station import Connected, basic_auth, boot_payload

PASSWORD = "correct-horse-battery-0001"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


async def boot(url: str, station_id: str = "CS1", **kwargs: Any) -> str:
    async with Connected(url, station_id, **kwargs) as cs:
        frame = await cs.raw_call("BootNotification", boot_payload())
        return str(frame[2]["status"])


async def refused_status(url: str, station_id: str = "CS1", **kwargs: Any) -> int:
    with pytest.raises(InvalidStatus) as info:
        await boot(url, station_id, **kwargs)
    return info.value.response.status_code


def client_context(pki: Pki, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca_cert))
    if cert is not None:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx


def test_profile_1_basic_auth(start_csms: StartCsms) -> None:
    csms = start_csms(CsmsConfig(security_profile=1, stations={"CS1": StationRecord(password=PASSWORD)}))
    assert csms.url.startswith("ws://")
    assert run(boot(csms.url, headers=basic_auth("CS1", PASSWORD))) == "Accepted"
    assert run(refused_status(csms.url, headers=basic_auth("CS1", "wrong-password-0000"))) == 401
    assert run(refused_status(csms.url)) == 401
    assert run(refused_status(csms.url, "CS2", headers=basic_auth("CS2", PASSWORD))) == 401
    assert run(refused_status(csms.url, headers=basic_auth("CS2", PASSWORD))) == 401  # username != station id
    rejected = csms.control.perform("get_state")["rejectedHandshakes"]
    assert len(rejected) == 4 and all(PASSWORD not in str(r) for r in rejected)
    assert PASSWORD not in repr(csms) and PASSWORD not in repr(
        CsmsConfig(stations={"X": StationRecord(PASSWORD)})
    )


def test_profile_2_tls_and_basic_auth(start_csms: StartCsms, pki: Pki) -> None:
    config = CsmsConfig(
        security_profile=2,
        certfile=pki.server_cert,
        keyfile=pki.server_key,
        stations={"CS1": StationRecord(password=PASSWORD)},
    )
    csms = start_csms(config)
    assert csms.url.startswith("wss://127.0.0.1:")
    ctx = client_context(pki)
    assert run(boot(csms.url, headers=basic_auth("CS1", PASSWORD), ssl_context=ctx)) == "Accepted"
    assert (
        run(refused_status(csms.url, headers=basic_auth("CS1", "nope-nope-nope-0"), ssl_context=ctx)) == 401
    )
    # TLS 1.2 minimum (a TLS 1.1 client cannot be built on this OpenSSL, so check the context)
    server_ctx = server_ssl_context(config)
    assert server_ctx is not None and server_ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert server_ctx.verify_mode == ssl.CERT_NONE  # profile 2: no client certificate asked


def test_profile_3_mutual_tls(start_csms: StartCsms, pki: Pki) -> None:
    config = CsmsConfig(
        security_profile=3,
        certfile=pki.server_cert,
        keyfile=pki.server_key,
        cafile=pki.ca_cert,
    )
    csms = start_csms(config)
    server_ctx = server_ssl_context(config)
    assert server_ctx is not None and server_ctx.verify_mode == ssl.CERT_REQUIRED
    good = client_context(pki, pki.client_cert, pki.client_key)
    assert run(boot(csms.url, ssl_context=good)) == "Accepted"
    # CN CS2 connecting as CS1
    other = client_context(pki, pki.other_client_cert, pki.other_client_key)
    assert run(refused_status(csms.url, ssl_context=other)) == 403
    # no client certificate at all: the TLS handshake fails (TLS 1.3 reports it late, see shared notes)
    with pytest.raises(Exception):  # noqa: B017 - ssl error or InvalidMessage depending on TLS version
        run(boot(csms.url, ssl_context=client_context(pki)))


def test_tls_profile_needs_files() -> None:
    with pytest.raises(ConfigError, match="certfile and keyfile"):
        CsmsConfig(security_profile=2)
    with pytest.raises(ConfigError, match="cafile"):
        CsmsConfig(security_profile=3, certfile="a", keyfile="b")
