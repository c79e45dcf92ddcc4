"""Errors of the reference CSMS's control API."""

from __future__ import annotations

from conformance.errors import HarnessError


class ControlError(HarnessError):
    """An operator action the reference CSMS cannot perform as asked (bad input, station not
    connected, request not allowed in the station's boot state); the CSMS keeps running."""
