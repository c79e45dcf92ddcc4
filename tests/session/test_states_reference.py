"""The reusable transaction states against the built-in reference SUTs (fixtures of the plugin)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.session.endpoints import HarnessCsms, HarnessStation
from conformance.session.states import CsTransaction, SimulatedTransaction, cs_booted, csms_booted


@pytest.mark.parametrize("mode", ["local", "remote"])
async def test_cs_transaction_walks_every_state(csms: HarnessCsms, actions: Any, sut: Any, mode: str) -> None:
    tx = CsTransaction(csms, sut, actions, auth_mode=mode)
    await tx.prepare()
    await tx.ev_connected_pre_session()
    await tx.authorize()
    await tx.energy_transfer_started()
    await tx.stop_authorized()
    await tx.ev_connected_post_session()
    await tx.ev_disconnected()
    assert tx.started and tx.ended and tx.transaction_id
    seq_nos = [event["seqNo"] for event in tx.events]
    assert seq_nos == sorted(seq_nos) and len(set(seq_nos)) == len(seq_nos)


async def test_cs_booted_state(csms: HarnessCsms, sut: Any) -> None:
    await cs_booted(csms, sut)


async def test_csms_transaction_walks_every_state(station: HarnessStation, sut: Any) -> None:
    await csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.ev_connected_pre_session()
    await tx.authorize()
    await tx.energy_transfer_started()
    await tx.stop_authorized()
    await tx.ev_connected_post_session()
    await tx.ev_disconnected()
    assert tx.ended and tx.seq_no == 6  # Started, Authorized, Charging, StopAuthorized, EVConnected, Ended
