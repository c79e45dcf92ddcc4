"""Block B, Provisioning: charging station under test (Part 6 section 2.3)."""

from __future__ import annotations

from typing import Any

from conformance.session import states
from conformance.session.endpoints import HarnessCsms
from conformance.testing import case


@case(
    "TC_B_01_CS",
    requirements=("B01.FR.01", "B01.FR.05", "B01.FR.09"),
    catches={
        "no-status-for-connector": r"report of connector\(s\) \[\(1, 1\)\] as Available",
        "security-event-missing": r"SecurityEventNotificationRequest",
    },
)
async def test_TC_B_01_CS(csms: HarnessCsms, sut: Any) -> None:
    """Cold boot, Accepted: Reusable State Booted; post-scenario, every connector's state reported."""
    await states.cs_booted(csms, sut)
