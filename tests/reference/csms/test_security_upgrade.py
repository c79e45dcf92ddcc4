"""A05 / TC_A_19_CSMS: the reference CSMS's endpoint at security profile + 1, the SetNetworkProfileRequest
that points a station there, and the refusal of the old profile once the station connected there."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from conformance.reference.csms import CsmsConfig, RunningCsms, StationRecord
from conformance.reference.csms.errors import ControlError
from tests.reference.csms.conftest import StartCsms
from tests.reference.csms.pki import Pki, make_pki
from tests.reference.csms.station import Connected, basic_auth, boot_payload
from tests.reference.csms.test_security import client_context, refused_status

PASSWORD = "correct-horse-battery-0001"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def profile_1(pki: Pki) -> CsmsConfig:
    """Profile 1, with the server certificate its profile-2 endpoint needs."""
    return CsmsConfig(
        security_profile=1,
        stations={"CS1": StationRecord(password=PASSWORD)},
        certfile=pki.server_cert,
        keyfile=pki.server_key,
    )


async def upgrade(csms: RunningCsms, profile: int, **connect: Any) -> dict[str, Any]:
    """Connect at the configured profile and let the operator upgrade the station; the request sent."""
    async with Connected(csms.url, "CS1", **connect) as cs:
        cs.answers["SetNetworkProfile"] = {"status": "Accepted"}  # not among the station's canned answers
        cs.route_map["SetNetworkProfile"] = {
            "_on_action": cs._answer("SetNetworkProfile"),
            "_skip_schema_validation": False,
        }
        await cs.raw_call("BootNotification", boot_payload())
        params = {"station_id": "CS1", "configuration_slot": 2, "security_profile": profile}
        outcome = await csms.control.aperform("upgrade_security_profile", params)
        assert outcome["response"] == {"status": "Accepted"}
        return await cs.wait_request("SetNetworkProfile")


async def boot_status(url: str, **connect: Any) -> str:
    async with Connected(url, "CS1", **connect) as cs:
        frame = await cs.raw_call("BootNotification", boot_payload())
        return str(frame[2]["status"])


def test_profile_1_to_2(start_csms: StartCsms, pki: Pki) -> None:
    csms = start_csms(profile_1(pki))
    auth = basic_auth("CS1", PASSWORD)
    request = run(upgrade(csms, 2, headers=auth))
    data = request["connectionData"]
    assert request["configurationSlot"] == 2
    assert data["securityProfile"] == 2 and data["ocppVersion"] == "OCPP20"
    assert data["ocppTransport"] == "JSON"
    url = data["ocppCsmsUrl"]
    assert url.startswith("wss://") and url != csms.url
    assert run(refused_status(url, ssl_context=client_context(pki))) == 401  # still Basic auth at profile 2
    assert run(boot_status(url, headers=auth, ssl_context=client_context(pki))) == "Accepted"
    assert run(refused_status(csms.url, headers=auth)) == 403  # A05: the old profile is refused now
    csms.control.perform("restore_security_profile", {"station_id": "CS1"})
    assert run(boot_status(csms.url, headers=auth)) == "Accepted"


def test_profile_2_to_3_trusts_certificates_it_signed(start_csms: StartCsms, pki: Pki) -> None:
    csms = start_csms(
        CsmsConfig(
            security_profile=2,
            stations={"CS1": StationRecord(password=PASSWORD)},
            certfile=pki.server_cert,
            keyfile=pki.server_key,
            cafile=pki.ca_cert,
        )
    )
    auth = basic_auth("CS1", PASSWORD)
    request = run(upgrade(csms, 3, headers=auth, ssl_context=client_context(pki)))
    url = request["connectionData"]["ocppCsmsUrl"]
    other = client_context(pki, pki.other_client_cert, pki.other_client_key)  # CN CS2
    assert run(refused_status(url, ssl_context=other)) == 403
    assert csms.control.perform("get_state")["rejectedHandshakes"][-1]["status"] == "403"
    good = client_context(pki, pki.client_cert, pki.client_key)
    assert run(boot_status(url, ssl_context=good)) == "Accepted"
    assert run(refused_status(csms.url, headers=auth, ssl_context=client_context(pki))) == 403


def test_mutant_keeps_old_profile(start_csms: StartCsms, pki: Pki) -> None:
    csms = start_csms(profile_1(pki), mutant="upgrade-keeps-old-profile")
    auth = basic_auth("CS1", PASSWORD)
    url = run(upgrade(csms, 2, headers=auth))["connectionData"]["ocppCsmsUrl"]
    assert run(boot_status(url, headers=auth, ssl_context=client_context(pki))) == "Accepted"
    assert run(boot_status(csms.url, headers=auth)) == "Accepted"


def test_mutant_same_profile(start_csms: StartCsms, pki: Pki) -> None:
    csms = start_csms(profile_1(pki), mutant="upgrade-same-profile")
    request = run(upgrade(csms, 2, headers=basic_auth("CS1", PASSWORD)))
    assert request["connectionData"]["securityProfile"] == 1


def test_no_upgrade_endpoint(start_csms: StartCsms, pki: Pki) -> None:
    plain = start_csms(CsmsConfig(security_profile=1, stations={"CS1": StationRecord(password=PASSWORD)}))
    params = {"station_id": "CS1", "configuration_slot": 2, "security_profile": 2}
    with pytest.raises(ControlError, match="no endpoint at security profile 2"):
        run(plain.control.aperform("upgrade_security_profile", params))
    csms = start_csms(profile_1(pki))
    with pytest.raises(ControlError, match="no endpoint at security profile 3"):
        run(csms.control.aperform("upgrade_security_profile", {**params, "security_profile": 3}))
    with pytest.raises(ControlError, match="configuration_slot must be a non-negative integer"):
        csms.control.perform("upgrade_security_profile", {**params, "configuration_slot": "2"})
