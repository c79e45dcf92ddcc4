"""Part 4 3.1.2 / 3.2 and TC_B_58_CSMS: how the reference CSMS (and its mutants) negotiate the subprotocol."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from conformance.reference.csms import RunningCsms
from tests.reference.csms.conftest import StartCsms

WAIT = 5.0


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


async def handshake(
    csms: RunningCsms, offered: list[str], *, wait_close: bool = False
) -> tuple[str | None, str | None, bool]:
    """(selected subprotocol, response header, closed by the CSMS within WAIT if `wait_close`)."""
    async with connect(
        csms.url + "CS1", subprotocols=offered, proxy=None, open_timeout=WAIT  # type: ignore[arg-type]
    ) as ws:
        assert ws.response is not None
        header = ws.response.headers.get("Sec-WebSocket-Protocol")
        if not wait_close:
            return ws.subprotocol, header, False
        try:
            await asyncio.wait_for(ws.recv(), WAIT)
            closed = False
        except ConnectionClosed:
            closed = True
        except TimeoutError:
            closed = False
        return ws.subprotocol, header, closed


def test_selects_ocpp201_among_offered(csms: RunningCsms) -> None:
    assert run(handshake(csms, ["ocpp0.1", "ocpp2.0.1"]))[:2] == ("ocpp2.0.1", "ocpp2.0.1")


def test_unsupported_only_completes_without_header_then_closes(csms: RunningCsms) -> None:
    assert run(handshake(csms, ["ocpp0.1"], wait_close=True)) == (None, None, True)


def test_mutant_first_offered(start_csms: StartCsms) -> None:
    csms = start_csms(mutant="subprotocol-first-offered")
    selected, header, _closed = run(handshake(csms, ["ocpp0.1", "ocpp2.0.1"]))
    assert (selected, header) == ("ocpp0.1", "ocpp0.1")


def test_mutant_not_offered(start_csms: StartCsms) -> None:
    csms = start_csms(mutant="subprotocol-not-offered")
    with pytest.raises(InvalidHandshake, match="unsupported subprotocol"):
        run(handshake(csms, ["ocpp0.1"]))
