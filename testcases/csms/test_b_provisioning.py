"""Block B, Provisioning: CSMS under test (Part 6 section 3.3)."""

from __future__ import annotations

from typing import Any

from conformance.session import states
from conformance.session.endpoints import HarnessStation
from conformance.testing import case


@case(
    "TC_B_01_CSMS",
    requirements=("B01.FR.02",),
    catches={
        "heartbeat-interval-string": r"schema\.type at \$\.interval",
        "boot-time-bad-format": r"format\.date-time at \$\.currentTime",
    },
)
async def test_TC_B_01_CSMS(station: HarnessStation, sut: Any) -> None:
    """Cold boot, Accepted: Reusable State Booted (CSMS, Table 698)."""
    await states.csms_booted(station, sut)
