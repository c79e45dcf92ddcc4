"""The `builtin` driver: actions performed by a built-in reference SUT's control object.

The control runs its SUT in another thread and offers `async aperform(action, params, timeout)`.
The driver supports the vocabulary of the control's side: station actions for the reference
station, operator actions for the reference CSMS (or what the control lists itself).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from conformance.drivers.actions import ALL_ACTIONS, OPERATOR_ACTIONS, STATION_ACTIONS
from conformance.drivers.base import ActionDriver, as_result
from conformance.errors import ActionUnsupported, ConformanceFailure, HarnessError

SIDES = ("charging-station", "csms")


def infer_side(control: Any) -> str | None:
    """The SUT role of a control: its `sut_type` / `side` / `kind` attribute, else its class name."""
    for attribute in ("sut_type", "side", "kind"):
        value = getattr(control, attribute, None)
        if value in SIDES:
            return str(value)
        if value == "station":
            return "charging-station"
    name = type(control).__name__.lower()
    if "csms" in name:
        return "csms"
    if "station" in name:
        return "charging-station"
    return None


def actions_of(side: str | None) -> frozenset[str]:
    if side == "csms":
        return frozenset(OPERATOR_ACTIONS)
    if side == "charging-station":
        return frozenset(STATION_ACTIONS)
    return ALL_ACTIONS


class BuiltinDriver(ActionDriver):
    name = "builtin"

    def __init__(self, control: Any, *, timeout: float = 10.0, side: str | None = None) -> None:
        if not callable(getattr(control, "aperform", None)):
            raise HarnessError(
                f"builtin driver: {type(control).__name__} has no aperform(action, params, timeout)"
            )
        self.control = control
        self.timeout = timeout
        self.side = side or infer_side(control)
        listed: Iterable[str] | None = getattr(control, "supported_actions", None)
        self.actions = frozenset(listed) if listed is not None else actions_of(self.side)

    def supports(self, action: str) -> bool:
        return action in self.actions

    async def perform(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        self.require(action)
        try:
            # The control bounds the action itself; the margin catches a control that hangs.
            result = await asyncio.wait_for(
                self.control.aperform(action, dict(params), self.timeout),
                self.timeout + max(1.0, self.timeout / 2),
            )
        except (ActionUnsupported, HarnessError, ConformanceFailure):
            raise
        except TimeoutError:
            raise HarnessError(
                f"action {action}: the built-in {self.side or 'SUT'} did not finish it"
                f" within {self.timeout:g} s"
            ) from None
        except Exception as exc:
            raise HarnessError(
                f"action {action}: the built-in {self.side or 'SUT'} failed: {type(exc).__name__}: {exc}"
            ) from exc
        return as_result(result)
