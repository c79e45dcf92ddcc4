"""Block C, Authorization: CSMS under test (Part 6 section 3.4).

The harness plays the charging station; every case starts from Reusable State Booted (Table 698),
the precondition of every CSMS case.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.session.session import ReceivedCall
from conformance.session.states.common import id_token_of
from conformance.session.states.csms import SimulatedTransaction
from conformance.testing import case, check_equal, check_in, step


async def operator_request(
    actions: Any, station: HarnessStation, action: str, request: dict[str, Any]
) -> ReceivedCall:
    """Ask the CSMS (operator action) to send `action`; return the request as the station got it.

    The driver call returns once the CSMS has the station's answer, so it runs beside the expect;
    an unsupported action (ActionUnsupported, the case is skipped) surfaces at once.
    """
    perform = asyncio.ensure_future(
        actions.perform(action, {"station_id": station.station_id, "request": request})
    )
    expect = asyncio.ensure_future(station.expect(action))
    try:
        done, _ = await asyncio.wait({perform, expect}, return_when=asyncio.FIRST_EXCEPTION)
        for task in (perform, expect):
            if task in done and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        received = await expect
        await asyncio.wait_for(perform, station.timeout)
        return received
    finally:
        for task in (perform, expect):
            task.cancel()


async def authorize_status(station: HarnessStation, token: Any, allowed: tuple[str, ...], where: str) -> None:
    """Steps 1-2 of TC_C_02/06/07_CSMS: AuthorizeRequest with a configured token, status checked."""
    response = await station.call_ok("Authorize", {"idToken": id_token_of(token)})
    check_in(
        response.get("idTokenInfo", {}).get("status"),
        allowed,
        f"AuthorizeResponse.idTokenInfo.status ({where})",
    )


@case(
    "TC_C_02_CSMS",
    requirements=("C01.FR.07", "C04.FR.01", "C06.FR.04"),
    catches={"invalid-token-accepted": r"AuthorizeResponse\.idTokenInfo\.status \(TC_C_02_CSMS step 2\)"},
)
async def test_TC_C_02_CSMS(station: HarnessStation, sut: Any) -> None:
    """Local start transaction, Authorization Invalid/Unknown (C01, C04, C06)."""
    await states.csms_booted(station, sut)
    with step("1-2: the OCTT sends AuthorizeRequest with the invalid idToken; Invalid or Unknown"):
        await authorize_status(station, sut.tokens.invalid, ("Invalid", "Unknown"), "TC_C_02_CSMS step 2")


@case(
    "TC_C_06_CSMS",
    requirements=("C01.FR.07",),
    catches={"blocked-token-accepted": r"AuthorizeResponse\.idTokenInfo\.status \(TC_C_06_CSMS step 2\)"},
)
async def test_TC_C_06_CSMS(station: HarnessStation, sut: Any) -> None:
    """Local start transaction, Authorization Blocked (C01); the blocked token is Blocked at the CSMS."""
    await states.csms_booted(station, sut)
    with step("1-2: the OCTT sends AuthorizeRequest with the blocked idToken; Blocked or Invalid"):
        await authorize_status(station, sut.tokens.blocked, ("Blocked", "Invalid"), "TC_C_06_CSMS step 2")


@case(
    "TC_C_07_CSMS",
    requirements=("C01.FR.07",),
    catches={"expired-token-accepted": r"AuthorizeResponse\.idTokenInfo\.status \(TC_C_07_CSMS step 2\)"},
)
async def test_TC_C_07_CSMS(station: HarnessStation, sut: Any) -> None:
    """Local start transaction, Authorization Expired (C01); the expired token is Expired at the CSMS."""
    await states.csms_booted(station, sut)
    with step("1-2: the OCTT sends AuthorizeRequest with the expired idToken; Expired or Invalid"):
        await authorize_status(station, sut.tokens.expired, ("Expired", "Invalid"), "TC_C_07_CSMS step 2")


@case(
    "TC_C_08_CSMS",
    requirements=("C12.FR.03",),
    catches={
        "transaction-response-missing-idtokeninfo": r"TransactionEventResponse\.idTokenInfo\.status"
        r" \(TC_C_08_CSMS step 2\)",
        "started-requires-idtoken": r"TransactionEventRequest with CALLERROR",
    },
)
async def test_TC_C_08_CSMS(station: HarnessStation, sut: Any) -> None:
    """Authorization through authorization cache, Accepted (C12): the station authorizes from its
    cache, so no AuthorizeRequest precedes the Authorized event."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.ev_connected_pre_session()
    with step("1-2: TransactionEventRequest Updated, Authorized, with the cached valid idToken"):
        response = await tx.event("Authorized", id_token=id_token_of(sut.tokens.valid))
        check_equal(
            response.get("idTokenInfo", {}).get("status"),
            "Accepted",
            "TransactionEventResponse.idTokenInfo.status (TC_C_08_CSMS step 2)",
        )


@case(
    "TC_C_20_CSMS",
    requirements=("C12.FR.03",),
    catches={
        "invalid-token-accepted": r"TransactionEventResponse\.idTokenInfo\.status \(TC_C_20_CSMS step 2\)",
        "transaction-response-missing-idtokeninfo": r"TransactionEventResponse\.idTokenInfo\.status",
    },
)
async def test_TC_C_20_CSMS(station: HarnessStation, sut: Any) -> None:
    """Authorization through authorization cache, Invalid (C12): the station's cache holds the token,
    the CSMS knows it as invalid."""
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.ev_connected_pre_session()
    with step("1-2: TransactionEventRequest Updated, Authorized, with the invalid idToken"):
        response = await tx.event("Authorized", id_token=id_token_of(sut.tokens.invalid))
        check_in(
            response.get("idTokenInfo", {}).get("status"),
            ("Invalid", "Unknown"),
            "TransactionEventResponse.idTokenInfo.status (TC_C_20_CSMS step 2)",
        )


async def clear_cache(actions: Any, station: HarnessStation, answer: str) -> None:
    """Steps 1-2 of TC_C_37/38_CSMS; the request itself is checked against its schema on receipt."""
    station.on("ClearCache", {"status": answer})
    with step(f"1-2: the CSMS sends ClearCacheRequest; the OCTT answers {answer}"):
        await operator_request(actions, station, "ClearCache", {})


@case(
    "TC_C_37_CSMS",
    catches={"clear-cache-extra-field": r"schema\.additionalProperties at \$\.evseId"},
    actions=("ClearCache",),
)
async def test_TC_C_37_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Clear Authorization Data in Authorization Cache, Accepted (C11)."""
    await states.csms_booted(station, sut)
    await clear_cache(actions, station, "Accepted")


@case(
    "TC_C_38_CSMS",
    catches={"clear-cache-extra-field": r"schema\.additionalProperties at \$\.evseId"},
    actions=("ClearCache",),
)
async def test_TC_C_38_CSMS(station: HarnessStation, sut: Any, actions: Any) -> None:
    """Clear Authorization Data in Authorization Cache, Rejected (C11)."""
    await states.csms_booted(station, sut)
    await clear_cache(actions, station, "Rejected")


@case(
    "TC_C_48_CSMS",
    requirements=("C16.FR.01",),
    catches={
        "no-group-id-token": r"idTokenInfo\.groupIdToken\.idToken \(TC_C_48_CSMS step 2\)",
    },
)
async def test_TC_C_48_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop Transaction with a Master Pass, With UI, specific transactions (C16).

    Ambiguity: Part 6 step 1 names the valid idToken, yet step 2 expects the MasterPass group in the
    answer and step 3 presents the master pass token; as a lab would, the OCTT presents the master
    pass token in step 1. Before: EnergyTransferStarted on every EVSE.
    """
    await states.csms_booted(station, sut)
    transactions = []
    for evse in sut.evses:
        tx = SimulatedTransaction(station, sut, evse_id=evse.id, connector_id=evse.connectors[0].id)
        await tx.energy_transfer_started()
        transactions.append(tx)
    master = id_token_of(sut.tokens.master_pass)
    group = sut.tokens.master_pass.group_id_token.id_token
    with step("1-2: the OCTT sends AuthorizeRequest with the master pass idToken"):
        response = await station.call_ok("Authorize", {"idToken": master})
        info = response.get("idTokenInfo", {})
        check_equal(
            info.get("status"), "Accepted", "AuthorizeResponse.idTokenInfo.status (TC_C_48_CSMS step 2)"
        )
        check_equal(
            info.get("groupIdToken", {}).get("idToken"),
            group,
            "AuthorizeResponse.idTokenInfo.groupIdToken.idToken (TC_C_48_CSMS step 2)",
        )
    with step("3-4: TransactionEventRequest Ended, stoppedReason MasterPass, master pass idToken"):
        response = await transactions[0].event(
            "StopAuthorized", stopped_reason="MasterPass", id_token=master, ended=True
        )
        info = response.get("idTokenInfo", {})
        check_equal(
            info.get("status"),
            "Accepted",
            "TransactionEventResponse.idTokenInfo.status (TC_C_48_CSMS step 4)",
        )
        check_equal(
            info.get("groupIdToken", {}).get("idToken"),
            group,
            "TransactionEventResponse.idTokenInfo.groupIdToken.idToken (TC_C_48_CSMS step 4)",
        )


def _check_info(response: dict[str, Any], status: str, group: str | None, message: str, where: str) -> None:
    """idTokenInfo.status and (when Part 6 names one) idTokenInfo.groupIdToken.idToken of `message`
    (AuthorizeResponse / TransactionEventResponse) at `where` (case and step)."""
    info = response.get("idTokenInfo", {})
    check_equal(info.get("status"), status, f"{message}.idTokenInfo.status ({where})")
    if group is not None:
        check_equal(
            info.get("groupIdToken", {}).get("idToken"),
            group,
            f"{message}.idTokenInfo.groupIdToken.idToken ({where})",
        )


@case(
    "TC_C_39_CSMS",
    requirements=("C09.FR.02", "C09.FR.03"),
    catches={
        "no-group-id-token": r"idTokenInfo\.groupIdToken\.idToken \(TC_C_39_CSMS step 2\)",
        "stop-token-must-match": r"TransactionEventResponse\.idTokenInfo\.status \(TC_C_39_CSMS step 9",
    },
)
async def test_TC_C_39_CSMS(station: HarnessStation, sut: Any) -> None:
    """Authorization by GroupId, Success (C09): two valid idTokens of one GroupId; the transaction
    started with the first is stopped with the second, and every answer carries the GroupId.

    Memory state "two valid idTokens with the same GroupId": <Configured valid_idtoken> is
    sut.tokens.group, <Configured valid_idtoken2> sut.tokens.valid2, <Configured groupIdToken> the
    group's group_id_token (the CSMS must know both tokens in that group)."""
    first, second = sut.tokens.group, sut.tokens.valid2
    if first.group_id_token is None or first.group_id_token != second.group_id_token:
        pytest.skip("the SUT description's tokens.group and tokens.valid2 must share one group_id_token")
    group = first.group_id_token.id_token
    await states.csms_booted(station, sut)
    tx = SimulatedTransaction(station, sut)
    await tx.ev_connected_pre_session()
    # Part 6 step 1 authorizes valid_idtoken2 while step 3 starts the transaction with valid_idtoken:
    # we send them as written (both are in the group, so the expected answers are the same).
    with step("1-2: the OCTT sends AuthorizeRequest with valid_idtoken2"):
        response = await station.call_ok("Authorize", {"idToken": id_token_of(second)})
        _check_info(response, "Accepted", group, "AuthorizeResponse", "TC_C_39_CSMS step 2")
    with step("3-4: TransactionEventRequest Authorized with valid_idtoken"):
        response = await tx.event("Authorized", id_token=id_token_of(first))
        _check_info(response, "Accepted", group, "TransactionEventResponse", "TC_C_39_CSMS step 4")
    tx.authorized = True
    await tx.energy_transfer_started()  # step 5
    with step("6-7: the OCTT sends AuthorizeRequest with valid_idtoken2"):
        response = await station.call_ok("Authorize", {"idToken": id_token_of(second)})
        _check_info(response, "Accepted", group, "AuthorizeResponse", "TC_C_39_CSMS step 7")
    with step("8-9: TransactionEventRequest Updated, StopAuthorized, with valid_idtoken2"):
        response = await tx.event("StopAuthorized", id_token=id_token_of(second))
        _check_info(response, "Accepted", group, "TransactionEventResponse", "TC_C_39_CSMS step 9")
    tx.authorized = False
    await tx.ev_connected_post_session()  # step 10
    await tx.ev_disconnected()  # step 11


def _two_evses(sut: Any) -> list[tuple[int, int]]:
    """EVSE 1 and EVSE 2 (Part 6 names both) with their first connector; a description with a single
    EVSE still gets EVSE 2, connector 1: the harness simulates the station, the CSMS learns the EVSE
    from its StatusNotification."""
    found = [(evse.id, evse.connectors[0].id) for evse in sut.evses[:2]]
    return found if len(found) == 2 else [found[0], (2, 1)]


@dataclass
class _TokenTransaction(SimulatedTransaction):
    """A SimulatedTransaction authorized with another configured token than the valid one."""

    id_token: dict[str, str] = field(default_factory=dict)

    @property
    def token(self) -> dict[str, str]:
        return self.id_token or id_token_of(self.sut.tokens.valid)


async def _master_pass_before(station: HarnessStation, sut: Any) -> list[SimulatedTransaction]:
    """TC_C_47/49_CSMS before: EnergyTransferStarted on EVSE 1 with the valid idToken and on EVSE 2
    with valid_idtoken2 (sut.tokens.valid2)."""
    await states.csms_booted(station, sut)
    transactions: list[SimulatedTransaction] = []
    for (evse_id, connector_id), token in zip(
        _two_evses(sut), (sut.tokens.valid, sut.tokens.valid2), strict=True
    ):
        tx = _TokenTransaction(
            station, sut, evse_id=evse_id, connector_id=connector_id, id_token=id_token_of(token)
        )
        with step(f"Before: EnergyTransferStarted on EVSE {evse_id} with idToken {token.id_token}"):
            await tx.energy_transfer_started()
        transactions.append(tx)
    return transactions


async def _master_pass_authorize(station: HarnessStation, sut: Any, label: str) -> str:
    """Steps 1-2 of TC_C_47/49_CSMS. Part 6 lists no tool validations for these two cases; as a lab
    would, we apply those of TC_C_48_CSMS (Accepted, groupIdToken the configured MasterPassGroupId)."""
    master = sut.tokens.master_pass
    group = master.group_id_token.id_token if master.group_id_token is not None else None
    with step("1-2: the OCTT sends AuthorizeRequest with the master pass idToken"):
        response = await station.call_ok("Authorize", {"idToken": id_token_of(master)})
        _check_info(response, "Accepted", group, "AuthorizeResponse", f"{label} step 2")
    return group or ""


@case(
    "TC_C_47_CSMS",
    requirements=("C16.FR.01",),
    catches={
        "no-group-id-token": r"idTokenInfo\.groupIdToken\.idToken \(TC_C_47_CSMS step 2\)",
        "stop-token-must-match": r"TransactionEventResponse\.idTokenInfo\.status \(TC_C_47_CSMS step 4",
    },
)
async def test_TC_C_47_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop Transaction with a Master Pass, With UI, all transactions (C16): both transactions end
    with stoppedReason MasterPass and the master pass idToken."""
    transactions = await _master_pass_before(station, sut)
    group = await _master_pass_authorize(station, sut, "TC_C_47_CSMS")
    master = id_token_of(sut.tokens.master_pass)
    for tx in transactions:
        with step(f"3-4: TransactionEventRequest Ended, stoppedReason MasterPass, EVSE {tx.evse_id}"):
            response = await tx.event(
                "StopAuthorized", stopped_reason="MasterPass", id_token=master, ended=True
            )
            _check_info(
                response,
                "Accepted",
                group,
                "TransactionEventResponse",
                f"TC_C_47_CSMS step 4, EVSE {tx.evse_id}",
            )


@case(
    "TC_C_49_CSMS",
    requirements=("C16.FR.02",),
    catches={
        "no-group-id-token": r"idTokenInfo\.groupIdToken\.idToken \(TC_C_49_CSMS step 2\)",
        "stop-token-must-match": r"TransactionEventResponse\.idTokenInfo\.status \(TC_C_49_CSMS step 4",
    },
)
async def test_TC_C_49_CSMS(station: HarnessStation, sut: Any) -> None:
    """Stop Transaction with a Master Pass, Without UI (C16): the station ends both transactions
    with stoppedReason MasterPass.

    Part 6 step 3 sends <Configured valid_idtoken> in the Ended event of both EVSEs; we send it as
    written and expect it Accepted (the valid token has no GroupId of its own to check)."""
    transactions = await _master_pass_before(station, sut)
    await _master_pass_authorize(station, sut, "TC_C_49_CSMS")
    valid = id_token_of(sut.tokens.valid)
    for tx in transactions:
        with step(f"3-4: TransactionEventRequest Ended, stoppedReason MasterPass, EVSE {tx.evse_id}"):
            response = await tx.event(
                "StopAuthorized", stopped_reason="MasterPass", id_token=valid, ended=True
            )
            _check_info(
                response,
                "Accepted",
                None,
                "TransactionEventResponse",
                f"TC_C_49_CSMS step 4, EVSE {tx.evse_id}",
            )
