"""Block C, Authorization: CSMS under test (Part 6 section 3.4).

The harness plays the charging station; every case starts from Reusable State Booted (Table 698),
the precondition of every CSMS case.
"""

from __future__ import annotations

import asyncio
from typing import Any

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
