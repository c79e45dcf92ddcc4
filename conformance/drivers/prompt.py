"""The `prompt` driver: OCTT-style manual steps, performed by a person at the SUT.

The instruction goes to, and the answer comes from, the controlling terminal (`/dev/tty`), not
stdin/stdout (pytest captures those). Enter = done; `skip` = skip the test; `fail <why>` = the
action could not be done. Without a terminal, or with env CI set, nothing is supported, so the
tests that need a manual step are skipped with the action named.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from typing import Any, Final

from conformance.config import PromptDriverConfig
from conformance.drivers.actions import ALL_ACTIONS, OPERATOR_ACTIONS
from conformance.drivers.base import ActionDriver, render, template_values
from conformance.errors import ActionUnsupported, HarnessError

INSTRUCTIONS: Final[dict[str, str]] = {
    "plug_in": "Plug the EV's cable into EVSE {evse_id}, connector {connector_id}.",
    "unplug": "Unplug the EV's cable from EVSE {evse_id}, connector {connector_id}.",
    "ev_side_disconnect": "Pull the cable of EVSE {evse_id}, connector {connector_id} out of the EV only"
    " (leave it in the station's socket).",
    "ev_side_connect": "Plug the cable of EVSE {evse_id}, connector {connector_id} back into the EV.",
    "present_id_token": "Present id token {id_token} (type {type}) at the station.",
    "choose_transactions_to_stop": "On the station's Master Pass screen, select the transactions to stop:"
    " EVSE(s) {evse_ids}.",
    "ev_suspend": "Make the EV at EVSE {evse_id} stop drawing energy (SuspendedEV).",
    "ev_resume": "Make the EV at EVSE {evse_id} draw energy again.",
    "fault_connector": "Put connector {connector_id} of EVSE {evse_id} into a fault (Faulted).",
    "clear_fault": "Clear the fault of connector {connector_id} of EVSE {evse_id}.",
    "reboot": "Power cycle the station.",
    "drop_connection": "Interrupt the station's network connection briefly; it must reconnect by itself.",
    "go_offline": "Take the station offline for {seconds} seconds.",
    "go_online": "Bring the station back online now.",
    "advance_clock": "Advance the station's clock by {seconds} seconds.",
    "parking_bay_occupied": "Make the parking bay detector of EVSE {evse_id} see a car.",
    "parking_bay_unoccupied": "Make the parking bay detector of EVSE {evse_id} see no car.",
    "store_customer_identifier": "Store customer data under customerIdentifier {customer_identifier}"
    " at the station.",
    "set_external_limit": "Make the external system ({source}) limit EVSE {evse_id} (0: the grid connection)"
    " to {limit} {unit}.",
    "clear_external_limit": "Make the external system release its limit on EVSE {evse_id}.",
    "ev_charging_needs": "Make the ISO 15118 EV at EVSE {evse_id} (re)negotiate its charging needs.",
    "configure_boot_status": "In the CSMS, set the next BootNotification answer for station {station_id}"
    " to {status} (interval {interval} s).",
    "upgrade_security_profile": "In the CSMS, make it send station {station_id} a SetNetworkProfileRequest"
    " for configuration slot {configuration_slot} with its endpoint at security profile {security_profile}.",
    "restore_security_profile": "In the CSMS, let station {station_id} connect at its configured security"
    " profile again (undo the security profile upgrade).",
}
_OPERATOR: Final = "In the CSMS, make it send a {action}Request to station {station_id}. Requested: {request}"
_NOT_MANUAL: Final = frozenset({"get_state"})  # a snapshot only the reference SUTs can give


def instruction_for(
    action: str, params: Mapping[str, Any], station_id: str, overrides: Mapping[str, str] | None = None
) -> str:
    """The human text for `action`: the configured one, else ours."""
    template = (overrides or {}).get(action) or INSTRUCTIONS.get(action)
    if template is None:
        template = _OPERATOR if action in OPERATOR_ACTIONS else "Perform action {action} with {params}."
    return render(template, template_values(action, params, station_id), action)


class PromptDriver(ActionDriver):
    name = "prompt"

    def __init__(
        self,
        config: PromptDriverConfig,
        *,
        station_id: str,
        tty_path: str = "/dev/tty",
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.station_id = station_id
        self.tty_path = tty_path
        self.environ = environ
        self._available: bool | None = None

    def available(self) -> bool:
        """An operator can answer: not CI, and a terminal can be opened (checked once)."""
        if self._available is None:
            env = os.environ if self.environ is None else self.environ
            self._available = not env.get("CI") and _can_open(self.tty_path)
        return self._available

    def supports(self, action: str) -> bool:
        return action in ALL_ACTIONS and action not in _NOT_MANUAL and self.available()

    async def perform(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        if not self.supports(action):
            why = "env CI is set" if not self.available() else ""
            raise ActionUnsupported(action, self.name, why or "not a manual step")
        text = instruction_for(action, params, self.station_id, self.config.instructions)
        prompt = (
            f"\n[ocpp-conformance] MANUAL STEP ({action}): {text}\n  Enter = done, 'skip', 'fail <why>' > "
        )
        try:
            answer = await asyncio.wait_for(_ask(self.tty_path, prompt), self.config.timeout)
        except TimeoutError:
            raise HarnessError(
                f"action {action}: no answer from the operator within {self.config.timeout:g} s"
            ) from None
        word, _, rest = answer.strip().partition(" ")
        if word.lower() == "skip":
            raise ActionUnsupported(action, self.name, "the operator skipped it")
        if word.lower() == "fail":
            raise HarnessError(
                f"action {action}: the operator could not do it: {rest.strip() or 'no reason given'}"
            )
        return {"operator": answer.strip()} if answer.strip() else {}


def _can_open(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


async def _ask(path: str, prompt: str) -> str:
    """Write `prompt` to the terminal and read one line, without blocking the event loop."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise HarnessError(f"cannot open the terminal {path} for a manual step: {exc}") from None
    loop = asyncio.get_running_loop()
    line = bytearray()
    done: asyncio.Future[str] = loop.create_future()

    def readable() -> None:
        error: OSError | None = None
        try:
            chunk = os.read(fd, 1024)
        except BlockingIOError:
            return
        except OSError as exc:  # EIO: the terminal hung up
            chunk, error = b"", exc
        if not chunk:  # terminal gone
            if not done.done():
                done.set_exception(HarnessError(f"the terminal {path} closed: {error or 'end of input'}"))
            return
        line.extend(chunk)
        if b"\n" in line and not done.done():
            done.set_result(line.split(b"\n", 1)[0].decode("utf-8", "replace"))

    try:
        os.write(fd, prompt.encode())
        loop.add_reader(fd, readable)
        return await done
    finally:
        with contextlib.suppress(Exception):
            loop.remove_reader(fd)
        os.close(fd)
