"""The action vocabulary and the SUT description guide do not drift apart."""

from __future__ import annotations

from pathlib import Path

from conformance.config import Tokens
from conformance.drivers.actions import OPERATOR_ACTIONS, STATION_ACTIONS

GUIDE = Path(__file__).parents[2] / "docs" / "sut-description.md"


def test_every_action_is_documented() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    named = [*STATION_ACTIONS, "configure_boot_status"]
    missing = [name for name in named if f"`{name}`" not in text]
    assert not missing, f"actions missing from {GUIDE.name}: {missing}"
    assert "configure_boot_status" in OPERATOR_ACTIONS


def test_every_token_role_is_documented() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    missing = [role for role in Tokens().named() if f"`{role}`" not in text]
    assert not missing, f"token roles missing from {GUIDE.name}: {missing}"
