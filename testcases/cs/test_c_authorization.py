"""Block C, Authorization: charging station under test (Part 6 section 2.4).

The harness plays the CSMS. Part 6's configuration state is set with SetVariables and restored
afterwards (`configuration_state`); each case leaves the station idle with its connectors Available.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.config import TOKEN_STATUS
from conformance.errors import ConformanceFailure, SutTimeout
from conformance.session import states
from conformance.session.endpoints import HarnessCsms
from conformance.session.session import ReceivedCall
from conformance.session.states.common import id_token_of
from conformance.session.states.cs import CsTransaction, cs_connectors_reported
from conformance.testing import case, check, check_equal, step


# ------------------------------------------------------------------ configuration state
@dataclass(frozen=True)
class Setting:
    """One line of Part 6's "Configuration State": Component.Variable is value.

    only_if_writable: Part 6 says "(If implemented AND ReadWrite)": a station that rejects the write
    keeps its value and the case goes on. Otherwise ("(If implemented)") a station that has the
    variable but refuses the value cannot be put in the case's state, and the case is skipped.
    """

    component: str
    variable: str
    value: str
    only_if_writable: bool = False

    @property
    def ref(self) -> dict[str, Any]:
        return {"component": {"name": self.component}, "variable": {"name": self.variable}}

    @property
    def name(self) -> str:
        return f"{self.component}.{self.variable}"


def _same(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()  # "True" and "true" are the same boolean


async def _read(csms: HarnessCsms, setting: Setting) -> str | None:
    """The variable's Actual value, or None when the station does not implement it."""
    response = await csms.call_ok("GetVariables", {"getVariableData": [setting.ref]})
    results = response.get("getVariableResult", [])
    if not results or results[0].get("attributeStatus") != "Accepted":
        return None
    return str(results[0].get("attributeValue", ""))


async def _write(csms: HarnessCsms, setting: Setting, value: str) -> str:
    response = await csms.call_ok(
        "SetVariables", {"setVariableData": [{**setting.ref, "attributeValue": value}]}
    )
    results = response.get("setVariableResult", [])
    return str(results[0].get("attributeStatus", "")) if results else ""


@contextlib.asynccontextmanager
async def configuration_state(csms: HarnessCsms, settings: Sequence[Setting]) -> AsyncIterator[None]:
    """Put the station in Part 6's configuration state; put every changed value back afterwards."""
    changed: list[tuple[Setting, str]] = []
    try:
        with step("Configuration state: " + ", ".join(f"{s.name} = {s.value}" for s in settings)):
            for setting in settings:
                old = await _read(csms, setting)
                if old is None or _same(old, setting.value):
                    continue
                status = await _write(csms, setting, setting.value)
                if status == "Accepted":
                    changed.append((setting, old))
                elif not setting.only_if_writable:
                    pytest.skip(
                        f"the station refused {setting.name} = {setting.value} ({status}): the case's"
                        " configuration state cannot be set"
                    )
        yield
    except BaseException:
        with contextlib.suppress(Exception):  # the case already failed: do not mask that failure
            await _restore(csms, changed)
        raise
    await _restore(csms, changed)


async def _restore(csms: HarnessCsms, changed: list[tuple[Setting, str]]) -> None:
    with step("Restore the configuration: " + (", ".join(s.name for s, _ in changed) or "nothing to do")):
        for setting, old in reversed(changed):
            await _write(csms, setting, old)


AUTH_ENABLED = (
    Setting("AuthCtrlr", "Enabled", "true", only_if_writable=True),
    Setting("AuthCtrlr", "DisableRemoteAuthorization", "false"),
)


# ------------------------------------------------------------------ shared scenario steps
async def _station_booted(csms: HarnessCsms, sut: Any) -> None:
    """Part 6's general precondition (Booted). The first case of a run can begin before the station's
    BootNotification has even arrived (the fixture waits for the connection only): then wait for the
    boot and the connectors' Available reports that follow it, so that no manual action is lost."""
    if csms.sut_identity:
        return
    with step("Precondition: the station that has just connected boots"):
        await csms.expect("BootNotification", what="the first BootNotificationRequest of the station")
    await cs_connectors_reported(csms, sut, "Available", label="Precondition")


async def _back_to_idle(csms: HarnessCsms, sut: Any, actions: Any, tx: CsTransaction) -> None:
    """Not a Part 6 step: unplug so the next case finds Part 6's general preconditions (idle)."""
    with step("Cleanup: manual action, disconnect the EV and EVSE"):
        await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
    await cs_connectors_reported(csms, sut, "Available", label="Cleanup", only=(tx.evse_id, tx.connector_id))
    events = [r.payload for r in csms.history("TransactionEvent")]
    ended = {
        p.get("transactionInfo", {}).get("transactionId") for p in events if p.get("eventType") == "Ended"
    }
    for payload in events:
        transaction_id = payload.get("transactionInfo", {}).get("transactionId")
        if payload.get("eventType") == "Started" and transaction_id not in ended:
            with step("Cleanup: the transaction ends"):
                await csms.expect(
                    "TransactionEvent", where=_event_of("Ended", transaction_id), what="its end"
                )
            ended.add(transaction_id)
    csms.discard_inbox()


async def _no_transaction_event_after(
    csms: HarnessCsms, sut: Any, authorize: ReceivedCall, status: str
) -> None:
    """C01.FR.02: nothing starts for a token the CSMS did not accept, within the message timeout.
    Events that arrived before the wait began count too (they are in the history, not the waiter)."""
    rule = f"C01.FR.02: the station must not start charging for an idToken the CSMS answered {status}"
    try:
        await csms.expect_no_message(sut.timeouts.no_message, action="TransactionEvent")
    except ConformanceFailure as failure:
        detail = str(failure).removeprefix("[conformance] ")
        raise ConformanceFailure(f"[conformance] {rule}: {detail}") from None
    history = csms.history()
    after = history[next(i for i, r in enumerate(history) if r is authorize) + 1 :]
    events = [r.payload for r in after if r.action == "TransactionEvent"]
    check(
        not events,
        f"{rule}: it sent TransactionEventRequest(s) (eventType, triggerReason)"
        f" {[(e.get('eventType'), e.get('triggerReason')) for e in events]}",
    )


async def _local_start_not_accepted(
    csms: HarnessCsms, sut: Any, actions: Any, token_role: str, status: str
) -> None:
    """TC_C_02/06/07/56_CS: EVConnectedPreSession, present a token, AuthorizeResponse `status`,
    then no TransactionEventRequest within the message timeout (C01.FR.02)."""
    token = id_token_of(getattr(sut.tokens, token_role))
    await _station_booted(csms, sut)
    async with configuration_state(csms, AUTH_ENABLED):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        csms.on("Authorize", {"idTokenInfo": {"status": status}})
        ok = False
        try:
            await tx.ev_connected_pre_session()
            await _present(actions, token, tx.evse_id, f"the {token_role} idToken")
            with step(f"1-2: the station sends AuthorizeRequest; the OCTT answers status {status}"):
                received = await _expect_authorize(csms, token, "step 1")
            with step("Note: no TransactionEventRequest after the AuthorizeRequest (message timeout)"):
                await _no_transaction_event_after(csms, sut, received, status)
            ok = True
        finally:
            if ok:
                await _back_to_idle(csms, sut, actions, tx)
            else:  # the case already failed: put the station back without masking that failure
                with contextlib.suppress(Exception):
                    await _back_to_idle(csms, sut, actions, tx)


# ------------------------------------------------------------------ C01 / C04 / C06: not accepted
_NOT_ACCEPTED = r"C01\.FR\.02: the station must not start charging"


@case(
    "TC_C_02_CS",
    requirements=("C01.FR.02", "C06.FR.02"),
    catches={"authorize-status-ignored": _NOT_ACCEPTED},
)
async def test_TC_C_02_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Local start, AuthorizeResponse Invalid for the configured invalid idToken: no transaction."""
    await _local_start_not_accepted(csms, sut, actions, "invalid", "Invalid")


@case(
    "TC_C_06_CS",
    requirements=("C01.FR.02",),
    catches={"authorize-status-ignored": _NOT_ACCEPTED},
)
async def test_TC_C_06_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Local start, AuthorizeResponse Blocked for the configured blocked idToken: no transaction."""
    await _local_start_not_accepted(csms, sut, actions, "blocked", "Blocked")


@case(
    "TC_C_07_CS",
    requirements=("C01.FR.02",),
    catches={"authorize-status-ignored": _NOT_ACCEPTED},
)
async def test_TC_C_07_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Local start, AuthorizeResponse Expired for the configured expired idToken: no transaction."""
    await _local_start_not_accepted(csms, sut, actions, "expired", "Expired")


@case(
    "TC_C_56_CS",
    requirements=("C01.FR.02",),
    catches={"authorize-status-ignored": _NOT_ACCEPTED},
)
async def test_TC_C_56_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Local start, AuthorizeResponse Unknown; Part 6 presents the configured invalid idToken."""
    await _local_start_not_accepted(csms, sut, actions, "invalid", "Unknown")


# ------------------------------------------------------------------ C01 / E07: stop with another token
async def _none_within(
    csms: HarnessCsms, sut: Any, where: Any, rule: str, *, action: str = "TransactionEvent"
) -> None:
    """No `action` CALL matching `where` within the message timeout (received before or during the
    wait): other messages (e.g. periodic meter values) may come."""
    try:
        found = await csms.expect(action, where=where, timeout=sut.timeouts.no_message)
    except SutTimeout:
        return
    payload = found.payload
    check(
        False,
        f"{rule}: it sent {action}Request eventType {payload.get('eventType')!r}, triggerReason"
        f" {payload.get('triggerReason')!r}, idToken {payload.get('idToken')!r}",
    )


async def _end_session(csms: HarnessCsms, sut: Any, actions: Any, tx: CsTransaction, ok: bool) -> None:
    """Not a Part 6 step: stop and unplug so the next case finds the station idle."""
    if ok:
        with step("Cleanup: end the transaction (StopAuthorized, EVConnectedPostSession, EVDisconnected)"):
            await tx.ev_connected_post_session()
            await tx.ev_disconnected()
        return
    with contextlib.suppress(Exception):  # the case already failed: do not mask that failure
        await _back_to_idle(csms, sut, actions, tx)


@case(
    "TC_C_04_CS",
    requirements=("C01.FR.02", "C01.FR.03"),
    catches={"stops-with-other-token": r"C01\.FR\.03: a transaction is stopped only by the idToken"},
)
async def test_TC_C_04_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Local stop with a different idToken (sut.tokens.unknown, no group id): the CSMS accepts it,
    yet the transaction goes on: no TransactionEventRequest with an idToken, none Ended."""
    other = id_token_of(sut.tokens.unknown)
    await _station_booted(csms, sut)
    async with configuration_state(csms, AUTH_ENABLED):
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.energy_transfer_started()
            # Part 6 step 2 answers Accepted, without a groupIdToken (memory state: no shared GroupId).
            csms.on("Authorize", {"idTokenInfo": {"status": "Accepted"}})
            with step("Manual action: present a different idToken than the one that started the transaction"):
                await actions.perform(
                    "present_id_token",
                    {"id_token": other["idToken"], "type": other["type"], "evse_id": tx.evse_id},
                )
            with step("1-2: the station sends AuthorizeRequest; the OCTT answers Accepted"):
                received = await csms.expect("Authorize", what="AuthorizeRequest for the different idToken")
                sent = received.payload.get("idToken", {})
                check_equal(
                    sent.get("idToken"), other["idToken"], "AuthorizeRequest idToken.idToken (step 1)"
                )
            with step("Note / post scenario: no TransactionEventRequest with an idToken, none Ended"):
                await _none_within(
                    csms,
                    sut,
                    lambda p: "idToken" in p or p.get("eventType") == "Ended",
                    "C01.FR.03: a transaction is stopped only by the idToken that started it (or one of its"
                    " GroupId): after a different, accepted idToken the station must not report it",
                )
            ok = True
        finally:
            await _end_session(csms, sut, actions, tx, ok)


# ------------------------------------------------------------------ C09: GroupId
def _answer_with_group(csms: HarnessCsms, sut: Any, statuses: dict[str, str]) -> dict[str, str]:
    """The OCTT answers Authorize / TransactionEvent (with an idToken) with <Configured groupIdToken>
    and the status Part 6 gives for the token (`statuses`, by idToken value; others Accepted)."""
    group = sut.tokens.group.group_id_token
    group_token = group.as_ocpp() if group is not None else {"idToken": "GROUP-0001", "type": "Central"}

    def info(token: Any) -> dict[str, Any]:
        value = token.get("idToken", "") if isinstance(token, dict) else ""
        return {"status": statuses.get(value, "Accepted"), "groupIdToken": group_token}

    csms.on("Authorize", lambda call: {"idTokenInfo": info(call.payload.get("idToken"))})
    csms.on(
        "TransactionEvent",
        lambda call: {"idTokenInfo": info(call.payload["idToken"])} if "idToken" in call.payload else {},
    )
    return group_token


async def _group_session_started(tx: CsTransaction) -> None:
    """TC_C_39/42_CS steps 1-5: EVConnectedPreSession, the valid idToken (answered with the GroupId),
    EnergyTransferStarted."""
    await tx.prepare()
    await tx.ev_connected_pre_session()
    was_started = tx.started
    count = len(tx.events)
    await tx.authorize()  # steps 1-4: Authorized A with the tool validations of steps 1 and 3
    if len(tx.events) > count:  # step 3 ran (TxStartPoint Authorized, or already started)
        check_equal(
            tx.events[count].get("eventType"),
            "Updated" if was_started else "Started",
            "TransactionEventRequest eventType (step 3)",
        )
    await tx.energy_transfer_started()  # step 5


async def _present(actions: Any, token: dict[str, str], evse_id: int, what: str) -> None:
    with step(f"Manual action: present {what}"):
        await actions.perform(
            "present_id_token", {"id_token": token["idToken"], "type": token["type"], "evse_id": evse_id}
        )


async def _expect_authorize(csms: HarnessCsms, token: dict[str, str], label: str) -> ReceivedCall:
    received = await csms.expect("Authorize", what=f"AuthorizeRequest ({label})")
    sent = received.payload.get("idToken", {})
    check_equal(sent.get("idToken"), token["idToken"], f"AuthorizeRequest idToken.idToken ({label})")
    check_equal(sent.get("type"), token["type"], f"AuthorizeRequest idToken.type ({label})")
    return received


async def _parking_bay_unoccupied(actions: Any, tx: CsTransaction) -> None:
    """Reusable State ParkingBayUnoccupied: only a station using its bay detector (TxStopPoint
    ParkingBayOccupancy) has a car to drive out; these cases never drove one in."""
    if "ParkingBayOccupancy" in tx.stop_points:
        with step("ParkingBayUnoccupied: manual action, drive the EV out of the parking bay"):
            await actions.perform("parking_bay_unoccupied", {"evse_id": tx.evse_id})


async def _group_stop_event(csms: HarnessCsms, tx: CsTransaction, other: dict[str, str], label: str) -> None:
    """TransactionEventRequest StopAuthorized after another idToken of the same GroupId (C09.FR.03).
    Part 6 names <Configured valid_idtoken> for its idToken, yet the other token is the one presented:
    we validate the presented (stopping) token."""
    with step(f"{label}: TransactionEventRequest StopAuthorized with the other idToken"):
        received = await csms.expect(
            "TransactionEvent",
            where=lambda p: p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id,
            what="C09.FR.03: TransactionEventRequest StopAuthorized for an idToken of the same GroupId",
        )
        payload = received.payload
        tx.events.append(payload)
        tx.ended = tx.ended or payload.get("eventType") == "Ended"
        tx.authorized = False  # stopped by the group: StopAuthorized is not executed again
        check_equal(payload.get("triggerReason"), "StopAuthorized", f"triggerReason ({label}, C09.FR.03)")
        sent = payload.get("idToken", {})
        check_equal(
            sent.get("idToken"), other["idToken"], f"TransactionEventRequest idToken.idToken ({label})"
        )
        check_equal(sent.get("type"), other["type"], f"TransactionEventRequest idToken.type ({label})")


@case(
    "TC_C_39_CS",
    requirements=("C09.FR.02", "C09.FR.03", "C09.FR.05"),
    catches={"no-group-stop": r"C09\.FR\.03"},
)
async def test_TC_C_39_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """GroupId: the transaction started with the valid idToken is stopped by another idToken (the
    configured group token) that the OCTT answers with the same groupIdToken.

    Part 6 names <Configured valid_idtoken> in the validations of steps 6 and 8, yet step 6 presents
    "other valid idToken": we read those steps as validating the token presented (sut.tokens.group)."""
    await _station_booted(csms, sut)
    _answer_with_group(csms, sut, {})
    other = id_token_of(sut.tokens.group)
    tx = CsTransaction(csms, sut, actions)
    ok = False
    try:
        await _group_session_started(tx)
        await _present(actions, other, tx.evse_id, "another valid idToken with the configured GroupId")
        with step("6-7: AuthorizeRequest for the other idToken; the OCTT answers Accepted + groupIdToken"):
            await _expect_authorize(csms, other, "step 6")
        await _group_stop_event(csms, tx, other, "8-9")
        await tx.ev_connected_post_session()  # step 10
        await tx.ev_disconnected()  # step 11
        await _parking_bay_unoccupied(actions, tx)  # step 12
        ok = True
    finally:
        if not ok:
            with contextlib.suppress(Exception):  # the case already failed: do not mask that failure
                await _back_to_idle(csms, sut, actions, tx)


@case(
    "TC_C_42_CS",
    requirements=("C09.FR.11",),
    catches={"group-stop-ignores-status": r"C09\.FR\.11: an idToken of the same GroupId stops a transaction"},
)
async def test_TC_C_42_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """GroupId: the configured invalid idToken, answered Invalid with the same groupIdToken, does not
    stop the transaction (post scenario: the energy transfer goes on).

    As in TC_C_39_CS, step 6 is validated against the token presented (sut.tokens.invalid)."""
    await _station_booted(csms, sut)
    invalid = id_token_of(sut.tokens.invalid)
    _answer_with_group(csms, sut, {invalid["idToken"]: "Invalid"})
    tx = CsTransaction(csms, sut, actions)
    ok = False
    try:
        await _group_session_started(tx)
        await _present(actions, invalid, tx.evse_id, "the invalid idToken with the configured GroupId")
        with step("6-7: AuthorizeRequest for the invalid idToken; the OCTT answers Invalid + groupIdToken"):
            await _expect_authorize(csms, invalid, "step 6")
        with step("Note / post scenario: no TransactionEventRequest stopping the energy transfer"):
            # Only sampled meter values may come: anything else would report the stop.
            await _none_within(
                csms,
                sut,
                lambda p: p.get("triggerReason") not in ("MeterValuePeriodic", "MeterValueClock"),
                "C09.FR.11: an idToken of the same GroupId stops a transaction only when it is Accepted:"
                " the energy transfer must go on",
            )
        ok = True
    finally:
        await _end_session(csms, sut, actions, tx, ok)


# ------------------------------------------------------------------ C10 / C11: authorization cache
AUTH_CACHE_ENABLED = (Setting("AuthCacheCtrlr", "Enabled", "true"),)


# Start points that an authorized, plugged-in EV reaches: the memory state's session is a transaction.
_SESSION_START_POINTS = frozenset({"Authorized", "EVConnected", "PowerPathClosed", "EnergyTransfer"})


def _event_of(kind: str, transaction_id: str | None = None) -> Any:
    def match(payload: dict[str, Any]) -> bool:
        found = payload.get("transactionInfo", {}).get("transactionId")
        return payload.get("eventType") == kind and transaction_id in (None, found)

    return match


async def _until_ended(csms: HarnessCsms, start: int) -> None:
    """Wait for the transaction of a setup session (history from `start` on) to start and end."""
    seen = [r.payload for r in csms.history()[start:] if r.action == "TransactionEvent"]
    started = next((p for p in seen if _event_of("Started")(p)), None)
    if started is None:
        started = (
            await csms.expect("TransactionEvent", where=_event_of("Started"), what="its start")
        ).payload
    transaction_id = started["transactionInfo"]["transactionId"]
    if not any(_event_of("Ended", transaction_id)(p) for p in seen):
        await csms.expect(
            "TransactionEvent",
            where=_event_of("Ended", transaction_id),
            what="the end of the setup session's transaction (after the EV was disconnected)",
        )


async def _id_token_cached(csms: HarnessCsms, sut: Any, actions: Any, role: str = "valid") -> None:
    """Memory State IdTokenCached (Table 443) for the configured `role` idToken.

    ParkingBayOccupied is optional (Table 435 note) and skipped. Authorized: the token is presented
    and its AuthorizeRequest expected "unless cached" (a station that has it cached, e.g. from an
    earlier case, with LocalPreAuthorize true, may send none). Main A (valid, Accepted) then connects
    and disconnects the EV and waits until any transaction that started has ended; Main B (not
    Accepted) has no EV connected, so nothing starts. The state has no tool validations: its messages
    are set aside afterwards."""
    token = id_token_of(getattr(sut.tokens, role))
    tx = CsTransaction(csms, sut, actions)
    await tx.prepare()
    start = len(csms.history())
    await _present(actions, token, tx.evse_id, f"the {role} idToken (memory state IdTokenCached)")
    with step(f"Memory state IdTokenCached: AuthorizeRequest for the {role} idToken (unless cached)"):
        try:
            received = await csms.expect("Authorize", timeout=sut.timeouts.no_message, what="IdTokenCached")
        except SutTimeout:
            received = None
        if received is not None:
            sent = received.payload.get("idToken", {})
            check_equal(
                sent.get("idToken"), token["idToken"], "AuthorizeRequest idToken.idToken (IdTokenCached)"
            )
    if TOKEN_STATUS.get(role) == "Accepted":
        with step("Memory state IdTokenCached A: EVConnectedPreSession, then EVDisconnected"):
            await actions.perform("plug_in", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            await cs_connectors_reported(
                csms, sut, "Occupied", label="IdTokenCached", only=(tx.evse_id, tx.connector_id)
            )
            await actions.perform("unplug", {"evse_id": tx.evse_id, "connector_id": tx.connector_id})
            await cs_connectors_reported(
                csms, sut, "Available", label="IdTokenCached", only=(tx.evse_id, tx.connector_id)
            )
            if tx.start_points & _SESSION_START_POINTS:
                await _until_ended(csms, start)
        await _parking_bay_unoccupied(actions, tx)
    csms.discard_inbox()


async def _authorized_event(csms: HarnessCsms, tx: CsTransaction, label: str) -> None:
    """The TransactionEventRequest Authorized that follows an accepted AuthorizeRequest, booked into
    `tx` so that the reusable states after it go on from there."""
    received = await csms.expect(
        "TransactionEvent",
        where=lambda p: (
            tx.transaction_id is None
            or p.get("transactionInfo", {}).get("transactionId") == tx.transaction_id
        ),
        what=f"TransactionEventRequest Authorized ({label})",
    )
    payload = received.payload
    if not tx.started:
        check_equal(payload.get("eventType"), "Started", f"eventType of the first TransactionEvent ({label})")
        tx.transaction_id, tx.started = payload["transactionInfo"]["transactionId"], True
    tx.events.append(payload)
    tx.authorized = True
    check_equal(payload.get("triggerReason"), "Authorized", f"triggerReason ({label})")


async def _clear_cache(csms: HarnessCsms, expected: str, rule: str) -> None:
    with step(f"1-2: the OCTT sends ClearCacheRequest; the station answers {expected}"):
        response = await csms.call_ok("ClearCache", {})
        check_equal(response.get("status"), expected, f"ClearCacheResponse.status (step 2, {rule})")


@case(
    "TC_C_37_CS",
    requirements=("C11.FR.01", "C11.FR.02", "C11.FR.03"),
    catches={"clear-cache-rejected": r"ClearCacheResponse\.status \(step 2, C11\.FR\.03\)"},
)
async def test_TC_C_37_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """ClearCache Accepted with the cache enabled; the cached valid idToken is then authorized online
    again (AuthorizeRequest, TransactionEventRequest Authorized) and energy transfer starts.
    ParkingBayOccupied (step 3) is optional (Table 435 note) and skipped."""
    await _station_booted(csms, sut)
    token = id_token_of(sut.tokens.valid)
    async with configuration_state(csms, AUTH_CACHE_ENABLED):
        await _id_token_cached(csms, sut, actions)
        await _clear_cache(csms, "Accepted", "C11.FR.03")
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.ev_connected_pre_session()  # step 4
            await _present(actions, token, tx.evse_id, "the valid idToken that was in the cache")
            with step("5-6: AuthorizeRequest (the cache was cleared); the OCTT answers Accepted"):
                await _expect_authorize(csms, token, "step 5, C11.FR.02")
            with step("7-8: TransactionEventRequest triggerReason Authorized"):
                await _authorized_event(csms, tx, "step 7")
            await tx.energy_transfer_started()  # step 9
            ok = True
        finally:
            await _end_session(csms, sut, actions, tx, ok)


@case(
    "TC_C_38_CS",
    requirements=("C11.FR.01", "C11.FR.02", "C11.FR.04"),
    catches={"clear-cache-while-disabled": r"ClearCacheResponse\.status \(step 2, C11\.FR\.04\)"},
)
async def test_TC_C_38_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """ClearCache Rejected while AuthCacheCtrlr.Enabled is false (set, then restored)."""
    await _station_booted(csms, sut)
    # Part 6 lists the configuration state before the memory state; with the cache disabled the
    # memory state stores nothing, which does not change what this case checks (the answer).
    async with configuration_state(csms, (Setting("AuthCacheCtrlr", "Enabled", "false"),)):
        await _id_token_cached(csms, sut, actions)
        await _clear_cache(csms, "Rejected", "C11.FR.04")


# ------------------------------------------------------------------ C10 / C12: using the cache
@dataclass
class _TokenTransaction(CsTransaction):
    """A CsTransaction started (and stopped) with another configured token than the valid one."""

    id_token: dict[str, str] = field(default_factory=dict)

    @property
    def token(self) -> dict[str, str]:
        return self.id_token or id_token_of(self.sut.tokens.valid)


CACHE_PRE_AUTHORIZE = (
    Setting("AuthCacheCtrlr", "Enabled", "true"),
    Setting("AuthCtrlr", "LocalPreAuthorize", "true"),
    Setting("AuthCacheCtrlr", "DisablePostAuthorize", "false"),
)
_POST_AUTHORIZE = r"AuthorizeRequest \(step 1, C10\.FR\.03 / C12\.FR\.05\)"


async def _cached_not_accepted(csms: HarnessCsms, sut: Any, actions: Any, role: str, status: str) -> None:
    """TC_C_09/10/11_CS: the `role` idToken is cached with a status other than Accepted; presented
    again, it is still authorized online (AuthorizeRequest), and the OCTT answers `status`."""
    token = id_token_of(getattr(sut.tokens, role))
    await _station_booted(csms, sut)
    async with configuration_state(csms, CACHE_PRE_AUTHORIZE):
        await _id_token_cached(csms, sut, actions, role)
        csms.on("Authorize", {"idTokenInfo": {"status": status}})
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        try:
            await tx.ev_connected_pre_session()
            await _present(actions, token, tx.evse_id, f"the {role} idToken that is in the cache")
            with step(f"1-2: the station sends AuthorizeRequest; the OCTT answers {status}"):
                await _expect_authorize(csms, token, "step 1, C10.FR.03 / C12.FR.05")
        finally:
            await _back_to_idle(csms, sut, actions, tx)


@case(
    "TC_C_09_CS",
    requirements=("C12.FR.05", "C10.FR.03"),
    catches={"cached-status-not-reauthorized": _POST_AUTHORIZE},
)
async def test_TC_C_09_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache: the invalid idToken cached as Invalid is authorized online again; answered Invalid."""
    await _cached_not_accepted(csms, sut, actions, "invalid", "Invalid")


@case(
    "TC_C_10_CS",
    requirements=("C12.FR.05", "C10.FR.03"),
    catches={"cached-status-not-reauthorized": _POST_AUTHORIZE},
)
async def test_TC_C_10_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache: the blocked idToken cached as Blocked is authorized online again; answered Blocked."""
    await _cached_not_accepted(csms, sut, actions, "blocked", "Blocked")


@case(
    "TC_C_11_CS",
    requirements=("C12.FR.05", "C10.FR.03"),
    catches={"cached-status-not-reauthorized": _POST_AUTHORIZE},
)
async def test_TC_C_11_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache: the expired idToken cached as Expired is authorized online again; answered Expired.
    (Part 6 names <Configured valid_idtoken> in the step 1 validation; the expired one is presented.)"""
    await _cached_not_accepted(csms, sut, actions, "expired", "Expired")


@case(
    "TC_C_12_CS",
    requirements=("C12.FR.05", "C10.FR.03"),
    catches={"cached-status-not-reauthorized": _POST_AUTHORIZE},
)
async def test_TC_C_12_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache: the invalid idToken cached as Invalid, now answered Accepted: energy transfer starts.

    Part 6 names <Configured valid_idtoken> in the step 1 validation; the invalid one is presented.
    Afterwards the cache is cleared (not a Part 6 step): it would hold the invalid token as Accepted."""
    token = id_token_of(sut.tokens.invalid)
    await _station_booted(csms, sut)
    async with configuration_state(csms, CACHE_PRE_AUTHORIZE):
        await _id_token_cached(csms, sut, actions, "invalid")
        accepted = {"idTokenInfo": {"status": "Accepted"}}
        csms.on("Authorize", accepted)
        csms.on("TransactionEvent", lambda call: accepted if "idToken" in call.payload else {})
        tx = _TokenTransaction(csms, sut, actions, id_token=token)
        await tx.prepare()
        ok = False
        try:
            await tx.ev_connected_pre_session()
            await _present(actions, token, tx.evse_id, "the invalid idToken that is in the cache")
            with step("1-2: the station sends AuthorizeRequest; the OCTT answers Accepted"):
                await _expect_authorize(csms, token, "step 1, C10.FR.03 / C12.FR.05")
            if "Authorized" in tx.start_points or tx.started:  # step 3 is optional: per TxStartPoint
                with step("3-4: TransactionEventRequest triggerReason Authorized"):
                    await _authorized_event(csms, tx, "step 3")
            tx.authorized = True
            await tx.energy_transfer_started()  # step 5; post scenario: energy transfer started
            ok = True
        finally:
            await _end_session(csms, sut, actions, tx, ok)
            with contextlib.suppress(Exception):
                await csms.call("ClearCache", {})


@case(
    "TC_C_36_CS",
    requirements=("C10.FR.11",),
    catches={"local-preauthorize-ignored": r"AuthorizeRequest \(step 1, LocalPreAuthorize false\)"},
)
async def test_TC_C_36_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache with AuthCtrlr.LocalPreAuthorize false: the cached valid idToken is still authorized
    online (AuthorizeRequest); the OCTT answers Invalid. No EV is connected (no reusable state)."""
    token = id_token_of(sut.tokens.valid)
    await _station_booted(csms, sut)
    settings = (
        Setting("AuthCacheCtrlr", "Enabled", "true"),
        Setting("AuthCtrlr", "LocalPreAuthorize", "false"),
    )
    async with configuration_state(csms, settings):
        await _id_token_cached(csms, sut, actions)
        csms.on("Authorize", {"idTokenInfo": {"status": "Invalid"}})
        await _present(actions, token, sut.evses[0].id, "the valid idToken that is in the cache")
        with step("1-2: the station sends AuthorizeRequest; the OCTT answers Invalid"):
            await _expect_authorize(csms, token, "step 1, LocalPreAuthorize false")


@case(
    "TC_C_32_CS",
    requirements=("C10.FR.02",),
    catches={"cache-lost-on-reboot": r"C10\.FR\.02"},
)
async def test_TC_C_32_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache persistent over a reboot: after Booted (a Reset), the cached valid idToken authorizes
    locally (LocalPreAuthorize true); energy transfer starts.

    Part 6 lists no validation of the AuthorizeRequest; with LocalPreAuthorize true an AuthorizeRequest
    for the cached Accepted token is what shows the cache was lost, so we read the purpose (C10.FR.02)
    as: no AuthorizeRequest for it after the reboot."""
    token = id_token_of(sut.tokens.valid)
    await _station_booted(csms, sut)
    settings = (
        Setting("AuthCacheCtrlr", "Enabled", "true"),
        Setting("AuthCtrlr", "LocalPreAuthorize", "true"),
    )
    async with configuration_state(csms, settings):
        await _id_token_cached(csms, sut, actions)
        await states.cs_booted(csms, sut)  # step 1
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            start = len(csms.history())
            await _present(actions, token, tx.evse_id, "the valid idToken that is in the cache")
            if "Authorized" in tx.start_points:  # step 2 per TxStartPoint (the cable is not plugged in)
                with step("2-3: TransactionEventRequest triggerReason Authorized"):
                    await _authorized_event(csms, tx, "step 2")
                    sent = tx.events[-1].get("idToken", {})
                    check_equal(
                        sent.get("idToken"), token["idToken"], "TransactionEventRequest idToken (step 2)"
                    )
            tx.authorized = True
            await tx.ev_connected_pre_session()  # step 4
            await tx.energy_transfer_started()  # step 5
            with step("C10.FR.02: the cached idToken was used after the reboot (no AuthorizeRequest)"):
                asked = [r for r in csms.history()[start:] if r.action == "Authorize"]
                check(
                    not asked,
                    "C10.FR.02: the Authorization Cache must persist over a reboot: the station sent an"
                    " AuthorizeRequest for the cached Accepted idToken (LocalPreAuthorize true)",
                )
            ok = True
        finally:
            await _end_session(csms, sut, actions, tx, ok)


CACHE_LOCAL = (
    Setting("AuthCacheCtrlr", "Enabled", "true"),
    Setting("AuthCtrlr", "LocalPreAuthorize", "true"),
)
_FROM_CACHE = r"C12\.FR\.02: with LocalPreAuthorize true"


def _check_no_authorize(csms: HarnessCsms, start: int) -> None:
    """C12.FR.02 (and Part 6's description of TC_C_08_CS): an idToken cached as Accepted is authorized
    from the cache with LocalPreAuthorize true: no AuthorizeRequest for it."""
    with step("C12.FR.02: the idToken was authorized from the cache (no AuthorizeRequest)"):
        asked = [r for r in csms.history()[start:] if r.action == "Authorize"]
        check(
            not asked,
            "C12.FR.02: with LocalPreAuthorize true, an idToken cached as Accepted is authorized from the"
            " Authorization Cache, yet the station sent an AuthorizeRequest for it",
        )


async def _authorized_from_cache(csms: HarnessCsms, tx: CsTransaction, token: dict[str, str]) -> None:
    """Present the cached valid idToken; Part 6's TransactionEventRequest Authorized comes when
    TxStartPoint contains Authorized (or the transaction already started)."""
    was_started = tx.started
    await _present(tx.actions, token, tx.evse_id, "the valid idToken which is in the Authorization Cache")
    if "Authorized" in tx.start_points or was_started:
        with step("TransactionEventRequest triggerReason Authorized with the valid idToken"):
            await _authorized_event(csms, tx, "Authorized")
            payload = tx.events[-1]
            sent = payload.get("idToken", {})
            check_equal(sent.get("idToken"), token["idToken"], "TransactionEventRequest idToken.idToken")
            check_equal(sent.get("type"), token["type"], "TransactionEventRequest idToken.type")
            check_equal(
                payload.get("eventType"),
                "Updated" if was_started else "Started",
                "TransactionEventRequest eventType",
            )
    tx.authorized = True


@case(
    "TC_C_08_CS",
    requirements=("C12.FR.02", "C12.FR.04"),
    catches={"cache-not-stored": _FROM_CACHE},
)
async def test_TC_C_08_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache Accepted: with the EV connected, the cached valid idToken is authorized (Authorized),
    then energy transfer starts (post scenario). The Authorized state is walked by hand: with the cable
    already in, the authorization itself may start the transaction (TxStartPoint PowerPathClosed)."""
    token = id_token_of(sut.tokens.valid)
    await _station_booted(csms, sut)
    async with configuration_state(csms, CACHE_LOCAL):
        await _id_token_cached(csms, sut, actions)
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.ev_connected_pre_session()
            start = len(csms.history())
            await _authorized_from_cache(csms, tx, token)  # step 1
            await tx.energy_transfer_started()  # step 2; post scenario: energy transfer started
            _check_no_authorize(csms, start)
            ok = True
        finally:
            await _end_session(csms, sut, actions, tx, ok)


@case(
    "TC_C_13_CS",
    requirements=("C12.FR.02", "C12.FR.04"),
    catches={"cache-not-stored": _FROM_CACHE},
)
async def test_TC_C_13_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache Accepted before the cable is connected: authorized from the cache (step 1 per
    TxStartPoint), then EVConnectedPreSession and EnergyTransferStarted. ParkingBayOccupied is optional."""
    token = id_token_of(sut.tokens.valid)
    await _station_booted(csms, sut)
    async with configuration_state(csms, CACHE_LOCAL):
        await _id_token_cached(csms, sut, actions)
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            start = len(csms.history())
            await _authorized_from_cache(csms, tx, token)  # step 1
            await tx.ev_connected_pre_session()  # step 3
            await tx.energy_transfer_started()  # step 4; post scenario: energy transfer started
            _check_no_authorize(csms, start)
            ok = True
        finally:
            await _end_session(csms, sut, actions, tx, ok)


@case(
    "TC_C_34_CS",
    requirements=("C10.FR.05", "C12.FR.06"),
    catches={"cache-not-updated-by-tx-response": r"AuthorizeRequest \(step 7, C10\.FR\.05\)"},
)
async def test_TC_C_34_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """Cache updated by a TransactionEventResponse: the cached valid idToken starts a transaction
    (step 1), the OCTT answers it Invalid; presented again in a new session, the station must
    authorize it online (step 7). ParkingBayUnoccupied / ParkingBayOccupied: see the helpers.

    Between steps 2 and 6 the station may end or suspend the transaction (StopTxOnInvalidId); Part 6
    validates neither, so EVDisconnected (step 3) waits for whatever it does to finish."""
    token = id_token_of(sut.tokens.valid)
    await _station_booted(csms, sut)
    settings = (*CACHE_LOCAL, Setting("LocalAuthListCtrlr", "Enabled", "true"))
    async with configuration_state(csms, settings):
        await _id_token_cached(csms, sut, actions)
        invalid = {"idTokenInfo": {"status": "Invalid"}}
        csms.on("TransactionEvent", lambda call: invalid if "idToken" in call.payload else {})
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        current, ok = tx, False
        try:
            await tx.ev_connected_pre_session()
            await _present(actions, token, tx.evse_id, "the valid idToken (in the Authorization Cache)")
            with step("1-2: TransactionEventRequest Authorized; the OCTT answers idTokenInfo.status Invalid"):
                was_started = tx.started
                await _authorized_event(csms, tx, "step 1")
                payload = tx.events[-1]
                sent = payload.get("idToken", {})
                check_equal(
                    sent.get("idToken"), token["idToken"], "TransactionEventRequest idToken.idToken (step 1)"
                )
                check_equal(sent.get("type"), token["type"], "TransactionEventRequest idToken.type (step 1)")
                check_equal(
                    payload.get("eventType"), "Updated" if was_started else "Started", "eventType (step 1)"
                )
            await _back_to_idle(csms, sut, actions, tx)  # step 3 EVDisconnected
            await _parking_bay_unoccupied(actions, tx)  # step 4
            csms.on("Authorize", invalid)
            current = CsTransaction(csms, sut, actions)
            await current.prepare()
            await current.ev_connected_pre_session()  # step 6 (ParkingBayOccupied, step 5, is optional)
            await _present(actions, token, current.evse_id, "the same valid idToken")
            with step("7-8: AuthorizeRequest (the cache now holds Invalid); the OCTT answers Invalid"):
                await _expect_authorize(csms, token, "step 7, C10.FR.05")
            ok = True
        finally:
            if ok:
                await _back_to_idle(csms, sut, actions, current)
            else:
                with contextlib.suppress(Exception):  # the case already failed: do not mask that failure
                    await _back_to_idle(csms, sut, actions, current)


@case(
    "TC_C_41_CS",
    requirements=("C09.FR.02", "C09.FR.03", "C09.FR.07"),
    catches={"no-group-stop": r"C09\.FR\.03"},
)
async def test_TC_C_41_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """GroupId with the Authorization Cache: the valid idToken and idToken2 (we use the configured group
    token, sut.tokens.group) are cached with <Configured groupIdToken>; the transaction started from
    the cache with the first is stopped by the second (StopAuthorized, step 4).

    The OCTT answers every Authorize / TransactionEvent with the GroupId, the memory states included
    (Part 6 leaves their answers open)."""
    token, token2 = id_token_of(sut.tokens.valid), id_token_of(sut.tokens.group)
    await _station_booted(csms, sut)
    async with configuration_state(csms, CACHE_LOCAL):
        _answer_with_group(csms, sut, {})
        await _id_token_cached(csms, sut, actions, "valid")
        await _id_token_cached(csms, sut, actions, "group")
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.ev_connected_pre_session()
            await _authorized_from_cache(csms, tx, token)  # steps 1-2
            await tx.energy_transfer_started()  # step 3
            await _present(actions, token2, tx.evse_id, "idToken2 with the configured GroupId (cached)")
            await _group_stop_event(csms, tx, token2, "4 StopAuthorized")
            await tx.ev_connected_post_session()  # step 5
            await tx.ev_disconnected()  # step 6
            await _parking_bay_unoccupied(actions, tx)  # step 7
            ok = True
        finally:
            if not ok:
                with contextlib.suppress(Exception):  # the case already failed: do not mask that failure
                    await _back_to_idle(csms, sut, actions, tx)


@case(
    "TC_C_44_CS",
    requirements=("C09.FR.02", "C09.FR.03", "C09.FR.07"),
    catches={
        "group-stop-ignores-status": r"C09\.FR\.11: an idToken of the same GroupId stops a transaction only",
        "cached-status-not-reauthorized": r"AuthorizeRequest \(step 4, C10\.FR\.03 / C12\.FR\.05\)",
    },
)
async def test_TC_C_44_CS(csms: HarnessCsms, sut: Any, actions: Any) -> None:
    """GroupId, invalid status with the Authorization Cache: the transaction started from the cache
    with the valid idToken is not stopped by the cached invalid idToken that the OCTT answers Invalid
    with the same groupIdToken. Answers carry the GroupId throughout, the memory states included."""
    token, invalid = id_token_of(sut.tokens.valid), id_token_of(sut.tokens.invalid)
    await _station_booted(csms, sut)
    async with configuration_state(csms, CACHE_PRE_AUTHORIZE):
        _answer_with_group(csms, sut, {invalid["idToken"]: "Invalid"})
        await _id_token_cached(csms, sut, actions, "valid")
        await _id_token_cached(csms, sut, actions, "invalid")
        tx = CsTransaction(csms, sut, actions)
        await tx.prepare()
        ok = False
        try:
            await tx.ev_connected_pre_session()
            await _authorized_from_cache(csms, tx, token)  # steps 1-2
            await tx.energy_transfer_started()  # step 3
            await _present(actions, invalid, tx.evse_id, "the invalid idToken with the configured GroupId")
            with step("4-5: AuthorizeRequest for the cached invalid idToken; the OCTT answers Invalid"):
                await _expect_authorize(csms, invalid, "step 4, C10.FR.03 / C12.FR.05")
            with step("Note: no TransactionEventRequest stopping the energy transfer"):
                await _none_within(
                    csms,
                    sut,
                    lambda p: p.get("triggerReason") not in ("MeterValuePeriodic", "MeterValueClock"),
                    "C09.FR.11: an idToken of the same GroupId stops a transaction only when it is Accepted:"
                    " the energy transfer must go on",
                )
            ok = True
        finally:
            await _end_session(csms, sut, actions, tx, ok)
