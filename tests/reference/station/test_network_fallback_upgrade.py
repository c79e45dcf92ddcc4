"""The reference station's B10.FR.07 fallback (C-47, TC_B_49_CS) and A05.FR.02 refusal (AQ-1, TC_A_20_CS).

The fallback bookkeeping is checked on a real StationCore driven through network.py's own entry points
(the connection loop's view: target / failed / connected / reconnecting); the end-to-end timing is
TC_B_49_CS's job against the running station. A05.FR.02 runs over real sockets at security profile 1.
"""

from __future__ import annotations

import asyncio

from ocpp.v201 import call

from conformance.reference.station import StationConfig, network
from conformance.reference.station.core import StationCore
from conformance.reference.station.device_model import ComponentKey
from tests.reference.station.csms import TestCsms, running
from tests.support import self_signed_pem

COMM = ComponentKey("OCPPCommCtrlr")
MAIN, DEAD = "ws://127.0.0.1:9/main", "ws://127.0.0.1:9/dead"  # never dialled: no connection loop runs


def _core(mutant: str | None = None) -> StationCore:
    st = StationCore(MAIN, StationConfig(), mutant)
    st.dm.set_internal(COMM, "NetworkProfileConnectionAttempts", "1")
    data = {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": DEAD,
        "messageTimeout": 5,
        "securityProfile": 0,
        "ocppInterface": "Wired0",
    }
    assert network.set_network_profile(st, {"configurationSlot": 1, "connectionData": data}) == "Accepted"
    st.dm.set_internal(COMM, "NetworkConfigurationPriority", "1,0")
    network.on_reboot(st)  # the priority applies from the next boot
    return st


def test_after_every_entry_failed_the_station_reconnects_with_its_last_good_profile() -> None:
    st = _core()
    assert network.target(st).slot == 1 and not network.reconnecting(st)
    network.failed(st, OSError("refused"))  # step 7: the new slot, NetworkProfileConnectionAttempts 1
    assert network.target(st).slot == 0 and not network.reconnecting(st)  # step 9: the next entry
    network.failed(st, OSError("refused"))  # step 10: every entry failed
    assert network.target(st).slot == 0 and network.reconnecting(st)  # B10.FR.07, with the back-off
    network.failed(st, OSError("refused"))
    assert network.target(st).slot == 0  # it keeps to the last successful profile
    network.connected(st)
    assert network.target(st).slot == 0 and not network.reconnecting(st)


def test_fallback_mutants() -> None:
    wraps = _core("network-fallback-wraps")
    network.failed(wraps, OSError())
    network.failed(wraps, OSError())
    assert network.target(wraps).slot == 1 and not network.reconnecting(wraps)
    lax = _core("network-fallback-ignores-backoff")
    network.failed(lax, OSError())
    network.failed(lax, OSError())
    assert network.target(lax).slot == 0 and not network.reconnecting(lax)


def _root() -> str:
    return self_signed_pem("tc_a_20 root")


def test_last_csms_root_removable_and_no_upgrade_without_it() -> None:
    config = StationConfig(station_id="CP-A20", security_profile=1, basic_auth_password="basic-pass-0123456")

    async def priority(csms: TestCsms) -> str:
        result = await csms.call(
            call.SetVariables(
                set_variable_data=[
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "NetworkConfigurationPriority"},
                        "attribute_value": "1,0",
                    }
                ]
            )
        )
        return str(result.set_variable_result[0]["attribute_status"])

    async def main() -> None:
        async with running(config) as (csms, _station):
            await csms.booted()
            root = _root()
            installed = await csms.call(
                call.InstallCertificate(certificate_type="CSMSRootCertificate", certificate=root)
            )
            assert installed.status == "Accepted"
            listed = await csms.call(
                call.GetInstalledCertificateIds(certificate_type=["CSMSRootCertificate"])
            )
            (chain,) = listed.certificate_hash_data_chain
            data = {
                "hashAlgorithm": chain["certificate_hash_data"]["hash_algorithm"],
                "issuerNameHash": chain["certificate_hash_data"]["issuer_name_hash"],
                "issuerKeyHash": chain["certificate_hash_data"]["issuer_key_hash"],
                "serialNumber": chain["certificate_hash_data"]["serial_number"],
            }
            deleted = await csms.call(call.DeleteCertificate(certificate_hash_data=data))
            assert deleted.status == "Accepted"  # AQ-1: the last CSMS root can be removed
            left = await csms.call(call.GetInstalledCertificateIds(certificate_type=["CSMSRootCertificate"]))
            assert not left.certificate_hash_data_chain
            profile = {
                "ocpp_version": "OCPP20",
                "ocpp_transport": "JSON",
                "ocpp_csms_url": "wss://127.0.0.1:9/x",
                "message_timeout": 5,
                "security_profile": 2,
                "ocpp_interface": "Wired0",
            }
            accepted = await csms.call(call.SetNetworkProfile(configuration_slot=1, connection_data=profile))
            assert accepted.status == "Accepted"
            assert await priority(csms) == "Rejected"  # A05.FR.02
            await csms.call(call.InstallCertificate(certificate_type="CSMSRootCertificate", certificate=root))
            assert await priority(csms) in ("Accepted", "RebootRequired")

    asyncio.run(main())
