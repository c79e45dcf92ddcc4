"""The benchmark frames stay realistic and schema-valid (benchmarks/run.py refuses invalid ones)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.ocppj.frames import Call
from conformance.ocppj.validation import FrameValidator

FRAMES = Path(__file__).resolve().parents[2] / "benchmarks" / "frames"
SIZES = {
    "BootNotification": 278,
    "StatusNotification": 161,
    "Heartbeat": 57,
    "TransactionEvent": 1967,
    "SetChargingProfile": 1732,
    "NotifyReport": 18000,
}


@pytest.mark.parametrize(("name", "size"), SIZES.items())
def test_benchmark_frame_is_valid_and_about_the_right_size(name: str, size: int) -> None:
    text = (FRAMES / f"{name}.json").read_text(encoding="utf-8")
    decoded = FrameValidator().decode(text)
    assert decoded.violations == ()
    assert isinstance(decoded.frame, Call) and decoded.frame.action == name
    assert abs(len(text.encode()) - size) <= size * 0.05
